//! Wharf's helm3 mixin: installs, upgrades and uninstalls Helm releases,
//! compatible with Porter's helm3 mixin (MChorfa/porter-helm3, published as
//! getporter/helm3-mixin): the same configuration, step fields, helm command
//! lines and outputs, with `helm` where Porter's image calls it `helm3`.
//!
//! - `install` and `upgrade` run `helm upgrade --install` (atomic and
//!   creating the namespace unless told otherwise), then read outputs;
//! - `uninstall` runs `helm uninstall` for each release, treating a release
//!   that is already gone as uninstalled;
//! - custom actions run `helm` with the step's `arguments` and `flags`.
//!
//! Outputs come from secrets (`secret` + `key`) or resources
//! (`resourceType` + `resourceName` + `jsonPath`) through kubectl, which the
//! build installs next to helm (see [`image`]). The mixin may run `helm` and
//! `kubectl` and nothing else.

use mixin_sdk::{
    ActionKind, Context, Contribution, Error, Finding, Input, Metadata, Mixin, Output, Result,
    StepResult, export_mixin, log, schema,
};
use serde_json::{Value, json};

pub mod image;
#[path = "../../kubernetes/src/kubectl.rs"]
pub mod kubectl;
mod lint;
pub mod outputs;
pub mod step;

pub use image::Helm3Config;
pub use step::{Helm3Step, Kind};

/// The helm3 mixin.
pub struct Helm3;

impl Mixin for Helm3 {
    type Config = Helm3Config;
    type Step = Helm3Step;

    fn metadata() -> Metadata {
        Metadata::new("helm3", env!("CARGO_PKG_VERSION"))
            .description("Install, upgrade and uninstall Helm 3 releases")
            .author("Wharf")
            .programs(["helm", "kubectl"])
    }

    fn step_schema() -> Value {
        step_schema()
    }

    fn action_step_schema(kind: ActionKind) -> Option<Value> {
        action_step_schema(kind)
    }

    fn config_schema() -> Option<Value> {
        let text = |what: &str| json!({"description": what, "type": "string"});
        Some(json!({
            "description": "helm3 mixin configuration",
            "type": "object",
            "properties": {
                "clientVersion": text("Version of helm to install in the bundle, v3.x.y"),
                "apiVersion": text("Version of kubectl to install in the bundle, v1.x.y"),
                "clientArchitecture": {"description": "Architecture of the clients; only amd64", "type": "string", "enum": ["amd64"]},
                "clientPlatform": {"description": "Operating system of the clients; only linux", "type": "string", "enum": ["linux"]},
                "imagePlatform": text("none to leave helm and kubectl out of the image (the base has them)"),
                "repositories": {
                    "description": "Helm repositories to add in the bundle, keyed by the repository alias",
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "properties": {"url": text("URL of the helm chart repository")},
                        "additionalProperties": false,
                        "required": ["url"]
                    }
                },
                "mirror": text("Download helm from this base URL (laid out like https://get.helm.sh)"),
                "kubectlMirror": text("Download kubectl from this base URL (laid out like https://dl.k8s.io)")
            },
            "additionalProperties": false
        }))
    }

    fn build(input: &Input<Helm3Config, Helm3Step>) -> Result<Vec<Contribution>> {
        let plan = input
            .config
            .plan()
            .map_err(|problems| Error::new(problems.join("; ")))?;
        Ok(image::contributions(&plan))
    }

    fn lint(input: &Input<Helm3Config, Helm3Step>) -> Vec<Finding> {
        lint::lint(input)
    }

    fn execute(context: &Context<Helm3Config>, step: Helm3Step) -> Result<StepResult> {
        let kind = Kind::of(&context.action);
        let commands = step.commands(kind).map_err(Error::new)?;
        if kind == Kind::Uninstall {
            return uninstall(&step, commands).map(Into::into);
        }
        for cmd in &commands {
            log::info(cmd.display());
            cmd.run()?.check()?;
        }
        read_outputs(&step).map(Into::into)
    }
}

/// Runs every `helm uninstall`, going on after a failure as Porter does, and
/// reports all failures together. A release that is already gone counts as
/// uninstalled.
fn uninstall(step: &Helm3Step, commands: Vec<mixin_sdk::Command>) -> Result<Vec<Output>> {
    let mut errors = Vec::new();
    for (release, cmd) in step.release_list().iter().zip(commands) {
        log::info(cmd.display());
        let result = cmd.run()?;
        if result.success() {
            continue;
        }
        let said = format!("{}\n{}", result.stdout_text(), result.stderr_text());
        if release_not_found(release, &said) {
            log::info(format!("release {release} is already gone"));
        } else {
            errors.push(result.check().unwrap_err());
        }
    }
    kubectl::join_errors(errors).map(|()| Vec::new())
}

/// True when a failed `helm uninstall` failed because the release is
/// already gone, which Porter's mixin treats as success. Porter looks for
/// Helm 2's wording; Helm 3 says `Release not loaded: NAME: release: not
/// found`, so both are recognized.
fn release_not_found(release: &str, output: &str) -> bool {
    output.contains(&format!("release: \"{release}\" not found"))
        || output.contains(&format!(
            "Release not loaded: {release}: release: not found"
        ))
}

/// Reads the step's outputs with kubectl, in order.
fn read_outputs(step: &Helm3Step) -> Result<Vec<Output>> {
    step.output_list()
        .iter()
        .map(|output| {
            let context = |e: Error| e.context(format!("reading output `{}`", output.name));
            let source = output
                .source(step.namespace.as_deref())
                .map_err(Error::new)?;
            let stdout = kubectl::run_captured(&source.command()).map_err(context)?;
            let value = source.value(&stdout).map_err(|e| context(Error::new(e)))?;
            Ok(Output::new(output.name.clone(), value))
        })
        .collect()
}

/// Porter's per-action steps, narrowed from the union: install and upgrade
/// name a release and a chart, uninstall lists releases, a custom action
/// gives helm's arguments.
fn action_step_schema(kind: ActionKind) -> Option<Value> {
    let release = [
        "name",
        "chart",
        "version",
        "namespace",
        "set",
        "values",
        "wait",
        "debug",
        "atomic",
        "createNamespace",
        "timeout",
        "repo",
        "username",
        "password",
        "flags",
        "outputs",
        "upsert",
        "replace",
    ];
    let (fields, required): (Vec<&str>, &[&str]) = match kind {
        ActionKind::Install => (
            release
                .iter()
                .chain(&["devel", "skipCrds", "noHooks"])
                .copied()
                .collect(),
            &["name", "chart"],
        ),
        ActionKind::Upgrade => (
            release
                .iter()
                .chain(&["resetValues", "reuseValues"])
                .copied()
                .collect(),
            &["name", "chart"],
        ),
        ActionKind::Uninstall => (
            vec![
                "releases",
                "namespace",
                "wait",
                "noHooks",
                "debug",
                "timeout",
                "flags",
                "purge",
            ],
            &["releases"],
        ),
        ActionKind::Invoke => (vec!["arguments", "namespace", "flags", "outputs"], &[]),
    };
    Some(schema::narrowed(&step_schema(), &fields, required))
}

/// The schema of every field a step of any action may have; each action
/// kind's schema is narrowed from it ([`action_step_schema`]). The step
/// type parses this union, and lint reports what an action needs and
/// ignores.
fn step_schema() -> Value {
    let boolean = |what: &str| json!({"description": what, "type": ["boolean", "string"]});
    let text = |what: &str| json!({"description": what, "type": "string"});
    let strings = |what: &str| json!({"description": what, "type": "array", "items": {"type": ["string", "number", "boolean"]}});
    json!({
        "description": "A step run by the helm3 mixin",
        "type": "object",
        "properties": {
            "description": schema::description(),
            "name": text("Install and upgrade: the release name"),
            "chart": text("Install and upgrade: the chart (repo/chart, a path, a URL or oci://)"),
            "version": {"description": "Install and upgrade: the chart version", "type": ["string", "number"]},
            "namespace": text("The release's namespace; also where secret outputs are read"),
            "set": {"description": "Install and upgrade: values set with --set, by key", "type": "object",
                    "additionalProperties": {"type": ["string", "number", "boolean", "null"]}},
            "values": strings("Install and upgrade: values files, passed with --values in order"),
            "wait": boolean("Wait until the release is ready (or removed)"),
            "devel": boolean("Install: accept development chart versions"),
            "skipCrds": boolean("Install: do not install CRDs"),
            "noHooks": boolean("Install and uninstall: do not run hooks"),
            "debug": boolean("Verbose helm output"),
            "resetValues": boolean("Upgrade: reset values to the chart's defaults"),
            "reuseValues": boolean("Upgrade: reuse the last release's values"),
            "atomic": boolean("Roll back a failed install or upgrade; default true"),
            "createNamespace": boolean("Create the release namespace if needed; default true"),
            "timeout": {"description": "How long helm waits, a duration such as 5m", "type": ["string", "number"]},
            "repo": text("Install: a chart repository URL, used with username and password"),
            "username": text("Install: the chart repository user"),
            "password": text("Install: the chart repository password"),
            "releases": strings("Uninstall: the releases to remove"),
            "arguments": strings("Custom actions: helm's arguments"),
            "flags": schema::flags(),
            "outputs": {
                "description": "Values read with kubectl after the step: a secret's key, or a resource field",
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "name": text("The output name"),
                        "secret": text("A secret to read"),
                        "key": text("The key within the secret"),
                        "namespace": text("The namespace of the secret or resource"),
                        "resourceType": text("A resource type, for example service"),
                        "resourceName": text("The resource name"),
                        "jsonPath": text("A kubectl JSONPath template, for example {.spec.clusterIP}")
                    },
                    "additionalProperties": false,
                    "required": ["name"]
                }
            },
            "upsert": boolean("Legacy, no effect: install and upgrade always upsert"),
            "replace": boolean("Legacy, no effect"),
            "purge": boolean("Legacy, no effect: Helm 3 always purges")
        },
        "additionalProperties": false,
        "required": ["description"]
    })
}

export_mixin!(Helm3);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_declares_only_helm_and_kubectl() {
        assert_eq!(Helm3::metadata().programs, ["helm", "kubectl"]);
        assert_eq!(Helm3::metadata().name, "helm3");
    }

    #[test]
    fn build_reports_config_problems_and_emits_lines_otherwise() {
        let input = |config: Value| Input {
            config: serde_json::from_value::<Helm3Config>(config).unwrap(),
            steps: Vec::<mixin_sdk::Step<Helm3Step>>::new(),
        };
        let err = Helm3::build(&input(json!({"clientVersion": "v2.1.0"}))).unwrap_err();
        assert!(err.message().contains("only v3.x.y"), "{err}");
        let made = Helm3::build(&input(json!({}))).unwrap();
        let urls: Vec<&str> = made
            .iter()
            .filter_map(Contribution::as_download)
            .map(|d| d.url.as_str())
            .collect();
        assert!(urls.iter().any(|u| u.contains("get.helm.sh")), "{urls:?}");
        assert!(urls.iter().any(|u| u.contains("dl.k8s.io")), "{urls:?}");
    }

    #[test]
    fn not_found_releases_are_recognized_in_helm_2_and_3_wording() {
        let helm3 = "Error: uninstall: Release not loaded: foo: release: not found";
        assert!(release_not_found("foo", helm3));
        assert!(release_not_found(
            "foo",
            "Error: release: \"foo\" not found"
        ));
        assert!(!release_not_found("fo", helm3));
        assert!(!release_not_found(
            "foo",
            "Error: Kubernetes cluster unreachable"
        ));
    }

    #[test]
    fn step_schema_lists_exactly_the_step_fields() {
        let schema = step_schema();
        let props = schema["properties"].as_object().unwrap();
        let mut body = serde_json::Map::new();
        for key in props.keys() {
            let value = match key.as_str() {
                "set" | "flags" => json!({}),
                "values" | "releases" | "arguments" | "outputs" => json!([]),
                _ => json!("true"),
            };
            body.insert(key.clone(), value);
        }
        let parsed = serde_json::from_value::<Helm3Step>(Value::Object(body));
        assert!(parsed.is_ok(), "{parsed:?}");
        assert_eq!(props.len(), 27);
    }
}
