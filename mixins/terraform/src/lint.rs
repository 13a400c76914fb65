//! Mistakes `wharf lint` catches before a build or a run would.
//!
//! - `terraform-100` (error): a working directory outside `/cnab/app`. The
//!   state and the var file live in the working directory; outside the
//!   bundle directory the state bag cannot carry them and the mixin cannot
//!   write the var file.
//! - `terraform-101` (error): an output without a name, a name given twice
//!   in one step, or a `destinationFile` in `/cnab` outside the bundle
//!   directory. (A `destinationFile` outside `/cnab` is written by Wharf's
//!   runtime after the step, since the mixin may not write there.)
//! - `terraform-102` (warning): the var file used in a way that loses
//!   values: `disableVarFile` on a step other than install (only install
//!   writes the file), or an install that disables it while an uninstall
//!   step of the same directory gives no `vars`, so `terraform destroy` runs
//!   without the values install used.
//! - `terraform-103` (error): an invalid configuration (a version or URL
//!   that is not one, `mirror` with `installHost`, `workingDir` with
//!   `workingDirs`, a step directory missing from `workingDirs`, an
//!   `initFile` that is not in the bundle).
//! - `terraform-104` (warning): a setting with no effect: `input: true`
//!   (a bundle has no terminal, so terraform always gets `-input=false`) or
//!   `arguments` on install, upgrade or uninstall (their command is fixed).

use std::collections::BTreeSet;
use std::path::Path;

use mixin_sdk::{Finding, Input, Step};

use crate::config::{BUNDLE_DIR, Config, RuntimeConfig, bundle_relative, normalize};
use crate::step::{TerraformStep, in_dir};

/// Lint code: a working directory outside the bundle directory.
pub const CODE_DIR_OUTSIDE_BUNDLE: &str = "terraform-100";
/// Lint code: an invalid output.
pub const CODE_INVALID_OUTPUT: &str = "terraform-101";
/// Lint code: the var file used in a way that loses values.
pub const CODE_VAR_FILE: &str = "terraform-102";
/// Lint code: an invalid configuration.
pub const CODE_INVALID_CONFIG: &str = "terraform-103";
/// Lint code: a setting that has no effect.
pub const CODE_NO_EFFECT: &str = "terraform-104";

const STATE_URL: &str = "https://github.com/getporter/terraform-mixin#terraform-state";
const VAR_FILE_URL: &str = "https://github.com/getporter/terraform-mixin#terraform-variables-file";

/// Every finding for the configuration and steps.
pub fn lint(input: &Input<Config, TerraformStep>) -> Vec<Finding> {
    let mut findings = Vec::new();
    let config = &input.config;
    for problem in config.problems() {
        findings.push(
            Finding::error(CODE_INVALID_CONFIG, "Invalid terraform mixin configuration")
                .message(problem),
        );
    }
    if let Some(init_file) = &config.init_file
        && config.problems().is_empty()
    {
        for dir in config.dirs() {
            let path = in_dir(&dir, init_file);
            if !Path::new(&path).is_file() {
                findings.push(
                    Finding::error(CODE_INVALID_CONFIG, "initFile not found").message(format!(
                        "initFile {init_file:?} is not in the bundle at {path}; the build copies \
                             it into the image to run terraform init"
                    )),
                );
            }
        }
    }
    let runtime = config.runtime().unwrap_or_default();
    for step in &input.steps {
        lint_step(step, &runtime, &mut findings);
    }
    lint_var_file(input, &runtime, &mut findings);
    findings
}

fn lint_step(step: &Step<TerraformStep>, runtime: &RuntimeConfig, findings: &mut Vec<Finding>) {
    let body = &step.body;
    if let Some(dir) = &body.working_dir
        && bundle_relative(dir).is_none()
    {
        findings.push(
            Finding::error(
                CODE_DIR_OUTSIDE_BUNDLE,
                "Working directory outside the bundle",
            )
            .message(format!(
                "workingDir {dir:?} is outside {BUNDLE_DIR}. Terraform keeps its state and \
                     terraform.tfvars.json in the working directory; use a directory of the \
                     bundle (such as `terraform`) so the bundle's state can carry them"
            ))
            .at(step.location())
            .url(STATE_URL),
        );
    } else if let Err(problem) = runtime.working_dir(body.working_dir.as_deref()) {
        findings.push(
            Finding::error(CODE_INVALID_CONFIG, "Working directory not configured")
                .message(problem)
                .at(step.location()),
        );
    }

    let mut names = BTreeSet::new();
    for output in &body.outputs {
        let problem = if output.name.is_empty() {
            Some("an output needs the `name` of a terraform output".to_string())
        } else if !names.insert(output.name.as_str()) {
            Some(format!("output {:?} is listed twice", output.name))
        } else {
            output
                .destination_file
                .as_deref()
                .filter(|f| {
                    (*f == "/cnab" || f.starts_with("/cnab/")) && bundle_relative(f).is_none()
                })
                .map(|f| {
                    format!(
                        "output {:?} has destinationFile {f:?}, inside /cnab but outside \
                         {BUNDLE_DIR}, which holds the bundle, the runtime and the mixins and \
                         which nothing may write; choose a path in {BUNDLE_DIR} or outside /cnab",
                        output.name
                    )
                })
        };
        if let Some(problem) = problem {
            findings.push(
                Finding::error(CODE_INVALID_OUTPUT, "Invalid output")
                    .message(problem)
                    .at(step.location()),
            );
        }
    }

    if body.input == Some(true) {
        findings.push(
            Finding::warning(CODE_NO_EFFECT, "input has no effect")
                .message(
                    "A bundle runs without a terminal, so terraform always gets -input=false; \
                     give every variable a value in `vars` instead",
                )
                .at(step.location()),
        );
    }
    if !body.arguments.is_empty()
        && matches!(step.action.as_str(), "install" | "upgrade" | "uninstall")
    {
        findings.push(
            Finding::warning(CODE_NO_EFFECT, "arguments have no effect")
                .message(format!(
                    "{} always runs terraform {}; `arguments` choose the command of a custom \
                     action only. Use `flags` to pass options",
                    step.action,
                    if step.action == "uninstall" {
                        "destroy"
                    } else {
                        "apply"
                    }
                ))
                .at(step.location()),
        );
    }
}

fn lint_var_file(
    input: &Input<Config, TerraformStep>,
    runtime: &RuntimeConfig,
    findings: &mut Vec<Finding>,
) {
    let dir_of = |step: &Step<TerraformStep>| {
        runtime
            .working_dir(step.body.working_dir.as_deref())
            .map(|d| normalize(&d))
            .ok()
    };
    for step in &input.steps {
        if !step.body.disable_var_file {
            continue;
        }
        if step.action != "install" {
            findings.push(
                Finding::warning(CODE_VAR_FILE, "disableVarFile has no effect here")
                    .message(format!(
                        "Only install writes terraform.tfvars.json, so disableVarFile on a {} step \
                         changes nothing",
                        step.action
                    ))
                    .at(step.location())
                    .url(VAR_FILE_URL),
            );
            continue;
        }
        if step.body.vars.is_empty() {
            continue;
        }
        let dir = dir_of(step);
        let bare_uninstall = input.steps.iter().find(|other| {
            other.action == "uninstall" && other.body.vars.is_empty() && dir_of(other) == dir
        });
        if let Some(uninstall) = bare_uninstall {
            findings.push(
                Finding::warning(CODE_VAR_FILE, "Uninstall runs without the install's vars")
                    .message(format!(
                        "This install sets disableVarFile, so its vars are not saved in \
                         terraform.tfvars.json, and uninstall step {} gives no vars: terraform \
                         destroy fails on any variable without a default. Give the uninstall \
                         step the same vars, or keep the var file in the bundle's state",
                        uninstall.number
                    ))
                    .at(step.location())
                    .url(VAR_FILE_URL),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mixin_sdk::Level;
    use serde_json::{Value, json};

    fn input(config: Value, steps: Vec<(&str, Value)>) -> Input<Config, TerraformStep> {
        Input::from_json(config, steps).unwrap()
    }

    fn codes(findings: &[Finding]) -> Vec<(&str, Level, Option<u32>)> {
        findings
            .iter()
            .map(|f| {
                (
                    f.code.as_str(),
                    f.level,
                    f.location.as_ref().map(|l| l.step_number),
                )
            })
            .collect()
    }

    #[test]
    fn a_porter_style_bundle_is_clean() {
        let findings = lint(&input(
            json!({"clientVersion": "1.11.4"}),
            vec![
                (
                    "install",
                    json!({"description": "i", "input": false, "vars": {"a": 1}, "outputs": [{"name": "o"}]}),
                ),
                (
                    "upgrade",
                    json!({"description": "u", "outputs": [{"name": "o"}]}),
                ),
                ("show", json!({"description": "s", "arguments": ["show"]})),
                ("uninstall", json!({"description": "d"})),
            ],
        ));
        assert!(findings.is_empty(), "{findings:?}");
    }

    #[test]
    fn working_dirs_outside_the_bundle_are_errors() {
        let findings = lint(&input(
            json!({}),
            vec![
                (
                    "install",
                    json!({"description": "a", "workingDir": "/tmp/tf"}),
                ),
                (
                    "install",
                    json!({"description": "b", "workingDir": "../tf"}),
                ),
                (
                    "install",
                    json!({"description": "c", "workingDir": "/cnab/app/tf"}),
                ),
            ],
        ));
        assert_eq!(
            codes(&findings),
            [
                (CODE_DIR_OUTSIDE_BUNDLE, Level::Error, Some(1)),
                (CODE_DIR_OUTSIDE_BUNDLE, Level::Error, Some(2)),
            ]
        );
    }

    #[test]
    fn outputs_need_a_unique_name_and_a_writable_destination() {
        let findings = lint(&input(
            json!({}),
            vec![(
                "install",
                json!({"description": "o", "outputs": [
                    {"destinationFile": "x"},
                    {"name": "a"}, {"name": "a"},
                    {"name": "k", "destinationFile": "/cnab/wharf/mixins/x"},
                    {"name": "runtime", "destinationFile": "/root/.kube/config"},
                    {"name": "ok", "destinationFile": "/cnab/app/kubeconfig"}
                ]}),
            )],
        ));
        assert_eq!(
            codes(&findings),
            [(CODE_INVALID_OUTPUT, Level::Error, Some(1)); 3]
        );
        assert!(findings[0].message.contains("name"));
        assert!(findings[1].message.contains("twice"));
        assert!(findings[2].message.contains("/cnab/wharf/mixins/x"));
    }

    #[test]
    fn var_file_misuse_is_a_warning() {
        let findings = lint(&input(
            json!({}),
            vec![
                (
                    "install",
                    json!({"description": "i", "disableVarFile": true, "vars": {"a": 1}}),
                ),
                (
                    "upgrade",
                    json!({"description": "u", "disableVarFile": true}),
                ),
                ("uninstall", json!({"description": "d"})),
            ],
        ));
        assert_eq!(
            codes(&findings),
            [
                (CODE_VAR_FILE, Level::Warning, Some(1)),
                (CODE_VAR_FILE, Level::Warning, Some(2)),
            ]
        );
        assert!(
            findings[0].message.contains("uninstall step 3"),
            "{findings:?}"
        );
        // An uninstall that repeats the vars is fine.
        let fine = lint(&input(
            json!({}),
            vec![
                (
                    "install",
                    json!({"description": "i", "disableVarFile": true, "vars": {"a": 1}}),
                ),
                ("uninstall", json!({"description": "d", "vars": {"a": 1}})),
            ],
        ));
        assert!(fine.is_empty(), "{fine:?}");
    }

    #[test]
    fn config_problems_and_unconfigured_dirs_are_errors() {
        let findings = lint(&input(
            json!({"mirror": "http://m/", "installHost": "https://h", "workingDirs": ["a", "b"]}),
            vec![
                ("install", json!({"description": "a", "workingDir": "a"})),
                ("install", json!({"description": "c", "workingDir": "c"})),
                ("install", json!({"description": "none"})),
            ],
        ));
        assert_eq!(
            codes(&findings),
            [
                (CODE_INVALID_CONFIG, Level::Error, None),
                (CODE_INVALID_CONFIG, Level::Error, Some(2)),
                (CODE_INVALID_CONFIG, Level::Error, Some(3)),
            ]
        );
    }

    #[test]
    fn a_missing_init_file_is_an_error() {
        let findings = lint(&input(
            json!({"workingDir": "no-such-dir-here", "initFile": "providers.tf"}),
            vec![],
        ));
        assert_eq!(
            codes(&findings),
            [(CODE_INVALID_CONFIG, Level::Error, None)]
        );
        assert!(
            findings[0]
                .message
                .contains("no-such-dir-here/providers.tf")
        );
    }

    #[test]
    fn settings_without_effect_are_warnings() {
        let findings = lint(&input(
            json!({}),
            vec![
                ("install", json!({"description": "i", "input": true})),
                (
                    "uninstall",
                    json!({"description": "d", "arguments": ["destroy", "-target=x"]}),
                ),
            ],
        ));
        assert_eq!(
            codes(&findings),
            [
                (CODE_NO_EFFECT, Level::Warning, Some(1)),
                (CODE_NO_EFFECT, Level::Warning, Some(2)),
            ]
        );
    }
}
