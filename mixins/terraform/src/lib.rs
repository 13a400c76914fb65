//! Wharf's terraform mixin: runs terraform from a bundle, compatible with
//! Porter's terraform mixin (same configuration, step schema and commands).
//!
//! ```yaml
//! mixins:
//!   - terraform:
//!       clientVersion: 1.11.4
//!       mirror: http://mirror.internal/terraform/1.11.4/   # optional, for air-gapped builds
//!
//! state:   # terraform's state travels with the installation
//!   - name: tfstate
//!     path: terraform/terraform.tfstate
//!   - name: tfvars
//!     path: terraform/terraform.tfvars.json
//!
//! install:
//!   - terraform:
//!       description: Create the infrastructure
//!       vars:
//!         region: ${ bundle.parameters.region }
//!       outputs:
//!         - name: endpoint
//! ```
//!
//! - `build` installs terraform at `clientVersion`, checked against
//!   HashiCorp's SHA256SUMS ([`build`]).
//! - `execute` runs `terraform init` and then `apply`, `destroy` or the
//!   custom action's command in the working directory (`terraform/` of the
//!   bundle by default), and collects outputs with `terraform output`
//!   ([`step`]). The local backend keeps the state in that directory, so the
//!   bundle's `state:` carries it from run to run.
//! - `lint` catches the mistakes listed in [`lint`].
//!
//! The mixin runs nothing but `terraform`, so that is all it declares.

pub mod build;
pub mod config;
pub mod lint;
pub mod run;
pub mod step;

use mixin_sdk::{
    Context, Contribution, Finding, Input, Metadata, Mixin, Result, StepResult, export_mixin,
    schema,
};
use serde_json::{Value, json};

use crate::config::Config;
use crate::step::{PROGRAM, TerraformStep};

/// The terraform mixin.
pub struct Terraform;

impl Mixin for Terraform {
    type Config = Config;
    type Step = TerraformStep;

    fn metadata() -> Metadata {
        Metadata::new("terraform", env!("CARGO_PKG_VERSION"))
            .description("Run terraform, as Porter's terraform mixin does")
            .author("Wharf")
            .programs([PROGRAM])
    }

    fn step_schema() -> Value {
        step_schema()
    }

    fn config_schema() -> Option<Value> {
        Some(config::schema())
    }

    fn build(input: &Input<Config, TerraformStep>) -> Result<Vec<Contribution>> {
        Ok(build::contributions(&input.config)?)
    }

    fn lint(input: &Input<Config, TerraformStep>) -> Vec<Finding> {
        lint::lint(input)
    }

    fn execute(context: &Context<Config>, step: TerraformStep) -> Result<StepResult> {
        let runtime = context.config.runtime().unwrap_or_default();
        run::execute(&context.action, &step, &runtime)
    }
}

/// Porter's terraform step schema, with `workingDir`, `input` and
/// `destinationFile`, which Porter's mixin reads too.
fn step_schema() -> Value {
    let scalar = json!({"type": ["string", "number", "boolean", "null"]});
    json!({
        "description": "A step that is executed by the terraform mixin",
        "type": "object",
        "properties": {
            "description": schema::description(),
            "arguments": {
                "description": "For a custom action: the terraform command and its arguments (default: the action's name)",
                "type": "array",
                "items": {"type": "string"}
            },
            "flags": schema::flags(),
            "vars": {
                "description": "Terraform input variables: written to terraform.tfvars.json on install and passed as -var flags",
                "type": ["object", "null"]
            },
            "disableVarFile": {"description": "Do not write terraform.tfvars.json on install", "type": "boolean"},
            "backendConfig": {
                "description": "-backend-config values for terraform init",
                "type": ["object", "null"],
                "additionalProperties": scalar
            },
            "logLevel": {"description": "TF_LOG for the step's terraform commands, such as DEBUG or TRACE", "type": "string"},
            "workingDir": {"description": "The terraform directory, relative to the bundle (default: the configured one, else terraform)", "type": "string"},
            "input": {"description": "Accepted for compatibility; terraform always runs with -input=false", "type": "boolean"},
            "outputs": {
                "description": "Terraform outputs to collect, by name",
                "type": ["array", "null"],
                "items": {
                    "type": "object",
                    "properties": {
                        "name": {"description": "The terraform output's name", "type": "string"},
                        "destinationFile": {"description": "Also write the value to this file: relative to the working directory, or an absolute path outside /cnab, which the runtime writes", "type": "string"}
                    },
                    "additionalProperties": false,
                    "required": ["name"]
                }
            }
        },
        "additionalProperties": false,
        "required": ["description"]
    })
}

export_mixin!(Terraform);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_declares_only_terraform() {
        let metadata = Terraform::metadata();
        assert_eq!(metadata.name, "terraform");
        assert_eq!(metadata.programs, ["terraform"]);
    }

    #[test]
    fn schema_has_porters_step_fields_and_the_config() {
        let step = &step_schema()["properties"];
        for field in [
            "description",
            "arguments",
            "flags",
            "vars",
            "disableVarFile",
            "backendConfig",
            "logLevel",
            "workingDir",
            "outputs",
        ] {
            assert!(step[field].is_object(), "missing {field}");
        }
        let config_schema = Terraform::config_schema().unwrap();
        let config = &config_schema["properties"];
        for field in [
            "clientVersion",
            "workingDir",
            "workingDirs",
            "initFile",
            "installHost",
            "mirror",
        ] {
            assert!(config[field].is_object(), "missing {field}");
        }
    }
}
