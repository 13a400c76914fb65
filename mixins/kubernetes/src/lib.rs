//! Wharf's kubernetes mixin: applies and deletes Kubernetes manifests with
//! kubectl, compatible with Porter's kubernetes mixin (same configuration,
//! step fields, kubectl command lines and outputs).
//!
//! ```yaml
//! mixins:
//!   - kubernetes:
//!       clientVersion: v1.32.4    # kubectl to install; this is the default
//!       mirror: https://mirror.example.com/k8s   # optional: dl.k8s.io's layout, for airgapped builds
//! ```
//!
//! `install` runs `kubectl apply -f` for each manifest, `upgrade` and custom
//! actions add the upgrade options, `uninstall` runs `kubectl delete`. The
//! build downloads kubectl from dl.k8s.io (or the mirror) and checks it
//! against the published `.sha256` before installing it.

use mixin_sdk::{
    ActionKind, Context, Contribution, Error, Finding, Input, Metadata, Mixin, Output, Result,
    StepResult, export_mixin, log, schema,
};
use serde::Deserialize;
use serde_json::{Value, json};

pub mod kubectl;
mod lint;
pub mod step;

pub use step::{Kind, KubernetesOutput, KubernetesStep};

/// The kubernetes mixin.
pub struct Kubernetes;

/// The `kubernetes:` entry under `mixins:`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KubernetesConfig {
    /// The kubectl version to install, `v1.x.y`.
    #[serde(default)]
    pub client_version: Option<String>,
    /// A base URL laid out like dl.k8s.io, used instead of it.
    #[serde(default)]
    pub mirror: Option<String>,
}

impl KubernetesConfig {
    /// The checked kubectl version and download base.
    pub fn kubectl(&self) -> std::result::Result<(String, String), String> {
        let version = kubectl::client_version(
            self.client_version
                .as_deref()
                .unwrap_or(kubectl::DEFAULT_KUBECTL_VERSION),
            1,
            "clientVersion",
        )?;
        let base = kubectl::mirror(self.mirror.as_deref(), kubectl::KUBECTL_DOWNLOADS, "mirror")?;
        Ok((version, base))
    }
}

impl Mixin for Kubernetes {
    type Config = KubernetesConfig;
    type Step = KubernetesStep;

    fn metadata() -> Metadata {
        Metadata::new("kubernetes", env!("CARGO_PKG_VERSION"))
            .description("Apply and delete Kubernetes manifests with kubectl")
            .author("Wharf")
            .programs(["kubectl"])
    }

    fn step_schema() -> Value {
        step_schema()
    }

    fn action_step_schema(kind: ActionKind) -> Option<Value> {
        action_step_schema(kind)
    }

    fn config_schema() -> Option<Value> {
        Some(json!({
            "description": "kubernetes mixin configuration",
            "type": "object",
            "properties": {
                "clientVersion": {"description": "Version of kubectl to install in the bundle, v1.x.y", "type": "string"},
                "mirror": {"description": "Download kubectl from this base URL (laid out like https://dl.k8s.io) instead of dl.k8s.io", "type": "string"}
            },
            "additionalProperties": false
        }))
    }

    fn build(input: &Input<KubernetesConfig, KubernetesStep>) -> Result<Vec<Contribution>> {
        let (version, base) = input.config.kubectl().map_err(Error::new)?;
        Ok(vec![kubectl::kubectl_download(&version, &base).into()])
    }

    fn lint(input: &Input<KubernetesConfig, KubernetesStep>) -> Vec<Finding> {
        lint::lint(input)
    }

    fn execute(context: &Context<KubernetesConfig>, step: KubernetesStep) -> Result<StepResult> {
        let kind = Kind::of(&context.action);
        for cmd in step.commands(kind).map_err(Error::new)? {
            log::info(cmd.display());
            cmd.run()?.check()?;
        }
        // Porter's mixin reads outputs after install, upgrade and custom
        // actions, never after uninstall.
        if kind == Kind::Uninstall {
            return Ok(StepResult::default());
        }
        let outputs: Result<Vec<Output>> = step
            .output_list()
            .iter()
            .map(|output| {
                let query = output.query().map_err(Error::new)?;
                let value = kubectl::run_captured(&query.command())
                    .map_err(|e| e.context(format!("reading output `{}`", output.name)))?;
                Ok(Output::new(output.name.clone(), value))
            })
            .collect();
        outputs.map(Into::into)
    }
}

/// The fields every kind of step takes.
const COMMON_FIELDS: [&str; 5] = [
    "manifests",
    "namespace",
    "selector",
    "context",
    "kubeConfig",
];

/// Porter's per-action steps: install (and custom actions) apply,
/// upgrade applies with its own options, uninstall deletes.
fn action_step_schema(kind: ActionKind) -> Option<Value> {
    let apply = [
        "record",
        "validate",
        "wait",
        "serverSide",
        "forceConflicts",
        "outputs",
    ];
    let upgrade = ["force", "gracePeriod", "overwrite", "prune", "timeout"];
    let uninstall = ["wait", "force", "gracePeriod", "timeout", "cascade"];
    let extra: Vec<&str> = match kind {
        ActionKind::Install | ActionKind::Invoke => apply.to_vec(),
        ActionKind::Upgrade => apply.iter().chain(&upgrade).copied().collect(),
        ActionKind::Uninstall => uninstall.to_vec(),
    };
    let fields: Vec<&str> = COMMON_FIELDS.iter().chain(&extra).copied().collect();
    Some(schema::narrowed(&step_schema(), &fields, &["manifests"]))
}

/// The schema of every field a step of any action may have; each action
/// kind's schema is narrowed from it ([`action_step_schema`]). The step
/// type parses this union, and lint reports the fields an action ignores.
fn step_schema() -> Value {
    let boolean = |what: &str| json!({"description": what, "type": ["boolean", "string"]});
    let text = |what: &str| json!({"description": what, "type": "string"});
    let integer = |what: &str| json!({"description": what, "type": ["integer", "string"]});
    json!({
        "description": "A step run by the kubernetes mixin",
        "type": "object",
        "properties": {
            "description": schema::description(),
            "manifests": {
                "description": "Manifest files or directories, relative to the bundle directory",
                "type": "array", "items": {"type": "string"}, "minItems": 1
            },
            "namespace": text("The namespace to apply to or delete from (-n)"),
            "record": boolean("Record the command in the resource annotation (--record, deprecated in kubectl)"),
            "selector": text("A label selector (--selector)"),
            "context": text("The kubeconfig context to use (--context)"),
            "kubeConfig": text("The kubeconfig file to use (--kubeconfig)"),
            "validate": boolean("Validate the manifests against the server's schema; default true"),
            "wait": boolean("Wait for the resources (--wait); default true"),
            "serverSide": boolean("Use server-side apply (--server-side)"),
            "forceConflicts": boolean("Take over fields managed by others in a server-side apply (--force-conflicts)"),
            "force": boolean("Upgrade and uninstall: delete and re-create or delete immediately (--force)"),
            "gracePeriod": integer("Upgrade and uninstall: seconds a resource gets to terminate (--grace-period)"),
            "overwrite": boolean("Upgrade: overwrite fields changed in the cluster; default true"),
            "prune": boolean("Upgrade: delete resources that are no longer in the manifests (needs a selector)"),
            "timeout": integer("Upgrade and uninstall: seconds to wait before giving up (--timeout)"),
            "cascade": text("Uninstall: background, foreground or orphan (--cascade)"),
            "outputs": {
                "description": "Values read from resources with kubectl get after the step",
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "name": {"description": "The output name", "type": "string"},
                        "resourceType": text("The resource type, for example service"),
                        "resourceName": text("The resource name"),
                        "namespace": text("The resource's namespace"),
                        "jsonPath": text("A kubectl JSONPath template, for example {.spec.clusterIP}")
                    },
                    "additionalProperties": false,
                    "required": ["name", "resourceType", "resourceName", "jsonPath"]
                }
            }
        },
        "additionalProperties": false,
        "required": ["description", "manifests"]
    })
}

export_mixin!(Kubernetes);

#[cfg(test)]
mod tests {
    use super::*;

    fn config(v: Value) -> KubernetesConfig {
        serde_json::from_value(v).unwrap()
    }

    fn build(v: Value) -> Result<Vec<Contribution>> {
        Kubernetes::build(&Input {
            config: config(v),
            steps: vec![],
        })
    }

    #[test]
    fn build_installs_the_default_or_configured_kubectl() {
        let url = |made: Vec<Contribution>| match &made[..] {
            [Contribution::Client(d)] => (d.url.clone(), d.checksum.clone()),
            other => panic!("{other:?}"),
        };
        let (default, _) = url(build(json!({})).unwrap());
        assert_eq!(
            default,
            "https://dl.k8s.io/release/v1.32.4/bin/linux/amd64/kubectl"
        );
        let (mirrored, checksum) = url(build(
            json!({"clientVersion": "1.29.0", "mirror": "https://m.local/k8s/"}),
        )
        .unwrap());
        assert_eq!(
            mirrored,
            "https://m.local/k8s/release/v1.29.0/bin/linux/amd64/kubectl"
        );
        assert_eq!(
            checksum,
            mixin_sdk::Checksum::SumsFile(format!("{mirrored}.sha256"))
        );
    }

    #[test]
    fn build_refuses_a_bad_version_or_mirror() {
        let err = build(json!({"clientVersion": "v2.0.0"})).unwrap_err();
        assert!(err.message().contains("only v1.x.y"), "{err}");
        assert!(build(json!({"mirror": "file:///x"})).is_err());
        assert!(serde_json::from_value::<KubernetesConfig>(json!({"clientVersoin": "x"})).is_err());
    }

    #[test]
    fn metadata_declares_only_kubectl() {
        assert_eq!(Kubernetes::metadata().programs, ["kubectl"]);
    }

    #[test]
    fn step_schema_accepts_every_field_the_step_type_does() {
        let schema = step_schema();
        let props = schema["properties"].as_object().unwrap();
        let body = json!({
            "description": "d", "manifests": ["m"], "namespace": "n", "record": true, "selector": "s",
            "context": "c", "kubeConfig": "k", "validate": true, "wait": true, "serverSide": true,
            "forceConflicts": true, "force": true, "gracePeriod": 0, "overwrite": true, "prune": true,
            "timeout": 1, "cascade": "orphan", "outputs": []
        });
        let parsed: std::result::Result<KubernetesStep, _> = serde_json::from_value(body.clone());
        assert!(parsed.is_ok(), "{parsed:?}");
        for key in body.as_object().unwrap().keys() {
            assert!(props.contains_key(key), "schema lacks {key}");
        }
        assert_eq!(props.len(), body.as_object().unwrap().len());
    }
}
