//! The kubernetes step and the kubectl command lines it becomes, argument for
//! argument as Porter's kubernetes mixin builds them, so a bundle moved from
//! Porter runs the same kubectl commands.
//!
//! ```yaml
//! install:
//!   - kubernetes:
//!       description: Install the app
//!       manifests: [manifests/app]
//!       namespace: web
//!       outputs:
//!         - name: ip
//!           resourceType: service
//!           resourceName: web
//!           namespace: web
//!           jsonPath: "{.spec.clusterIP}"
//! ```

use mixin_sdk::Command;
use serde::Deserialize;

use crate::kubectl::{ResourceQuery, lenient};

/// Which kubectl command a step runs, by the action holding it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `install`: `kubectl apply` with the apply options.
    Install,
    /// `upgrade` and every custom action: `kubectl apply` with the apply
    /// options and the upgrade options (`force`, `gracePeriod`, `prune`,
    /// `overwrite`, `timeout`), as Porter's `invoke` does.
    Upgrade,
    /// `uninstall`: `kubectl delete`.
    Uninstall,
}

impl Kind {
    /// The kind of step `action` holds.
    pub fn of(action: &str) -> Kind {
        match action {
            "install" => Kind::Install,
            "uninstall" => Kind::Uninstall,
            _ => Kind::Upgrade,
        }
    }

    /// Whether Porter's mixin ignores `field` (a porter.yaml name) in this
    /// kind of step; Wharf ignores it too (so the command lines match) and
    /// lint says so.
    pub fn ignores(self, field: &str) -> bool {
        let ignored = match self {
            Kind::Install => "force gracePeriod overwrite prune timeout cascade",
            Kind::Upgrade => "cascade",
            Kind::Uninstall => "record validate serverSide forceConflicts overwrite prune outputs",
        };
        ignored.split_whitespace().any(|f| f == field)
    }
}

/// One kubernetes step: every field of Porter's install, upgrade, invoke and
/// uninstall steps in one type (the SDK has one step type per mixin), with
/// unknown fields rejected so typos are caught.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KubernetesStep {
    /// What the step does.
    #[serde(default)]
    pub description: String,
    /// Manifest files or directories, one kubectl command each.
    #[serde(default, deserialize_with = "lenient::strings")]
    pub manifests: Option<Vec<String>>,
    /// `-n`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub namespace: Option<String>,
    /// `--record=true` (deprecated in kubectl).
    #[serde(default, deserialize_with = "lenient::bool")]
    pub record: Option<bool>,
    /// `--selector=`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub selector: Option<String>,
    /// `--context=`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub context: Option<String>,
    /// `--kubeconfig=`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub kube_config: Option<String>,
    /// `false` gives `--validate=false`.
    #[serde(default, deserialize_with = "lenient::bool")]
    pub validate: Option<bool>,
    /// `--wait` unless false.
    #[serde(default, deserialize_with = "lenient::bool")]
    pub wait: Option<bool>,
    /// `--server-side=true`.
    #[serde(default, deserialize_with = "lenient::bool")]
    pub server_side: Option<bool>,
    /// `--force-conflicts=true` (kubectl requires server-side apply).
    #[serde(default, deserialize_with = "lenient::bool")]
    pub force_conflicts: Option<bool>,
    /// `--force`, with a zero grace period.
    #[serde(default, deserialize_with = "lenient::bool")]
    pub force: Option<bool>,
    /// `--grace-period=`, in seconds.
    #[serde(default, deserialize_with = "lenient::int")]
    pub grace_period: Option<i64>,
    /// `false` gives `--overwrite=false`.
    #[serde(default, deserialize_with = "lenient::bool")]
    pub overwrite: Option<bool>,
    /// `--prune=true`.
    #[serde(default, deserialize_with = "lenient::bool")]
    pub prune: Option<bool>,
    /// `--timeout=Ns`, in seconds.
    #[serde(default, deserialize_with = "lenient::int")]
    pub timeout: Option<i64>,
    /// `--cascade=` on delete.
    #[serde(default, deserialize_with = "lenient::string")]
    pub cascade: Option<String>,
    /// Values read from resources after the commands ran.
    #[serde(default)]
    pub outputs: Option<Vec<KubernetesOutput>>,
}

/// An output read from a resource with `kubectl get`. Its parts are
/// optional here so lint can name the one that is missing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KubernetesOutput {
    /// The output's name.
    pub name: String,
    /// The resource's namespace.
    #[serde(default)]
    pub namespace: Option<String>,
    /// The resource's type.
    #[serde(default)]
    pub resource_type: Option<String>,
    /// The resource's name.
    #[serde(default)]
    pub resource_name: Option<String>,
    /// A kubectl JSONPath template.
    #[serde(default)]
    pub json_path: Option<String>,
}

impl KubernetesOutput {
    /// The query this output runs, or what is missing.
    pub fn query(&self) -> Result<ResourceQuery<'_>, String> {
        fn part<'a>(
            value: &'a Option<String>,
            output: &str,
            field: &str,
        ) -> Result<&'a str, String> {
            value
                .as_deref()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| format!("output `{output}` needs `{field}`"))
        }
        Ok(ResourceQuery {
            resource_type: part(&self.resource_type, &self.name, "resourceType")?,
            resource_name: part(&self.resource_name, &self.name, "resourceName")?,
            json_path: part(&self.json_path, &self.name, "jsonPath")?,
            namespace: self.namespace.as_deref(),
        })
    }
}

fn set(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}

impl KubernetesStep {
    /// The manifests, or none.
    pub fn manifest_list(&self) -> &[String] {
        self.manifests.as_deref().unwrap_or_default()
    }

    /// The outputs, or none.
    pub fn output_list(&self) -> &[KubernetesOutput] {
        self.outputs.as_deref().unwrap_or_default()
    }

    /// The fields this step sets, by their porter.yaml names.
    pub fn fields_set(&self) -> Vec<&'static str> {
        [
            ("record", self.record.is_some()),
            ("validate", self.validate.is_some()),
            ("serverSide", self.server_side.is_some()),
            ("forceConflicts", self.force_conflicts.is_some()),
            ("force", self.force.is_some()),
            ("gracePeriod", self.grace_period.is_some()),
            ("overwrite", self.overwrite.is_some()),
            ("prune", self.prune.is_some()),
            ("timeout", self.timeout.is_some()),
            ("cascade", self.cascade.is_some()),
            ("outputs", !self.output_list().is_empty()),
        ]
        .into_iter()
        .filter_map(|(name, present)| present.then_some(name))
        .collect()
    }

    /// One kubectl command per manifest, in order.
    pub fn commands(&self, kind: Kind) -> Result<Vec<Command>, String> {
        if self.manifest_list().is_empty() {
            return Err(
                "the step lists no `manifests`; name the files or directories to apply".into(),
            );
        }
        self.manifest_list()
            .iter()
            .map(|manifest| {
                let args = match kind {
                    Kind::Uninstall => self.delete_args(manifest)?,
                    Kind::Install | Kind::Upgrade => self.apply_args(manifest, kind)?,
                };
                Ok(Command::new("kubectl").args(args))
            })
            .collect()
    }

    /// `kubectl apply -f MANIFEST ...`.
    fn apply_args(&self, manifest: &str, kind: Kind) -> Result<Vec<String>, String> {
        let mut args = vec!["apply".to_string(), "-f".into(), manifest.into()];
        if let Some(ns) = set(&self.namespace) {
            args.extend(["-n".to_string(), ns.into()]);
        }
        if self.record == Some(true) {
            args.push("--record=true".into());
        }
        self.push_targeting(&mut args);
        if self.validate == Some(false) {
            args.push("--validate=false".into());
        }
        if self.wait != Some(false) {
            args.push("--wait".into());
        }
        if self.server_side == Some(true) {
            args.push("--server-side=true".into());
        }
        if self.force_conflicts == Some(true) {
            args.push("--force-conflicts=true".into());
        }
        if kind == Kind::Upgrade {
            self.push_force_and_grace(&mut args)?;
            if self.prune == Some(true) {
                args.push("--prune=true".into());
            }
            if self.overwrite == Some(false) {
                args.push("--overwrite=false".into());
            }
            if let Some(t) = self.timeout {
                args.push(format!("--timeout={t}s"));
            }
        }
        Ok(args)
    }

    /// `kubectl delete --ignore-not-found=true -f MANIFEST ...`.
    fn delete_args(&self, manifest: &str) -> Result<Vec<String>, String> {
        let mut args = vec![
            "delete".to_string(),
            "--ignore-not-found=true".into(),
            "-f".into(),
            manifest.into(),
        ];
        if let Some(ns) = set(&self.namespace) {
            args.extend(["-n".to_string(), ns.into()]);
        }
        self.push_force_and_grace(&mut args)?;
        self.push_targeting(&mut args);
        if let Some(t) = self.timeout {
            args.push(format!("--timeout={t}s"));
        }
        if self.wait != Some(false) {
            args.push("--wait".into());
        }
        if let Some(cascade) = set(&self.cascade) {
            args.push(format!("--cascade={cascade}"));
        }
        Ok(args)
    }

    /// `--selector`, `--context` and `--kubeconfig`, in Porter's order.
    fn push_targeting(&self, args: &mut Vec<String>) {
        if let Some(s) = set(&self.selector) {
            args.push(format!("--selector={s}"));
        }
        if let Some(c) = set(&self.context) {
            args.push(format!("--context={c}"));
        }
        if let Some(k) = set(&self.kube_config) {
            args.push(format!("--kubeconfig={k}"));
        }
    }

    /// Porter's force rules: `force` brings a zero grace period (and refuses
    /// any other), and a zero `gracePeriod` brings `--force`. Both given
    /// repeat `--force`, exactly as Porter's mixin does.
    fn push_force_and_grace(&self, args: &mut Vec<String>) -> Result<(), String> {
        if self.force == Some(true) {
            args.push("--force".into());
            match self.grace_period {
                Some(0) => {}
                Some(g) => {
                    return Err(format!(
                        "grace period must be zero when force is specified: {g}"
                    ));
                }
                None => args.push("--grace-period=0".into()),
            }
        }
        if let Some(g) = self.grace_period {
            args.push(format!("--grace-period={g}"));
            if g == 0 {
                args.push("--force".into());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    const DIR: &str = "/cnab/app/manifests";

    fn argv(kind: Kind, fields: Value) -> Vec<String> {
        let mut body = json!({"description": "Hello", "manifests": [DIR]});
        body.as_object_mut()
            .unwrap()
            .extend(fields.as_object().unwrap().clone());
        let step: KubernetesStep = serde_json::from_value(body).unwrap();
        let cmds = step.commands(kind).unwrap();
        assert_eq!(cmds.len(), 1);
        assert_eq!(cmds[0].program(), "kubectl");
        cmds[0].get_args().to_vec()
    }

    fn line(kind: Kind, fields: Value) -> String {
        argv(kind, fields).join(" ")
    }

    /// The expectations of Porter's kubernetes mixin's install tests.
    #[test]
    fn install_command_lines_match_porter() {
        let apply = format!("apply -f {DIR}");
        for (fields, rest) in [
            (json!({}), " --wait"),
            (json!({"wait": false}), ""),
            (
                json!({"wait": false, "namespace": "meditations"}),
                " -n meditations",
            ),
            (
                json!({"wait": false, "namespace": "meditations", "validate": false}),
                " -n meditations --validate=false",
            ),
            (
                json!({"wait": false, "namespace": "meditations", "record": true}),
                " -n meditations --record=true",
            ),
            (
                json!({"selector": "app=nginx"}),
                " --selector=app=nginx --wait",
            ),
            (json!({"context": "context"}), " --context=context --wait"),
            (
                json!({"kubeConfig": "$HOME/.kube/config"}),
                " --kubeconfig=$HOME/.kube/config --wait",
            ),
            (json!({"serverSide": true}), " --wait --server-side=true"),
            (
                json!({"serverSide": true, "forceConflicts": true}),
                " --wait --server-side=true --force-conflicts=true",
            ),
            (
                json!({"forceConflicts": true}),
                " --wait --force-conflicts=true",
            ),
            // Upgrade options have no effect on install, as in Porter.
            (
                json!({"force": true, "prune": true, "timeout": 3}),
                " --wait",
            ),
        ] {
            assert_eq!(
                line(Kind::Install, fields.clone()),
                format!("{apply}{rest}"),
                "{fields}"
            );
        }
    }

    /// The expectations of Porter's kubernetes mixin's execute (upgrade and
    /// custom action) tests.
    #[test]
    fn upgrade_command_lines_match_porter() {
        let apply = format!("apply -f {DIR}");
        for (fields, rest) in [
            (json!({}), " --wait"),
            (
                json!({"wait": false, "namespace": "meditations", "record": true}),
                " -n meditations --record=true",
            ),
            (json!({"force": true}), " --wait --force --grace-period=0"),
            (json!({"gracePeriod": 1}), " --wait --grace-period=1"),
            (
                json!({"gracePeriod": 0}),
                " --wait --grace-period=0 --force",
            ),
            (
                json!({"force": true, "gracePeriod": 0}),
                " --wait --force --grace-period=0 --force",
            ),
            (json!({"overwrite": false}), " --wait --overwrite=false"),
            (json!({"overwrite": true}), " --wait"),
            (json!({"prune": true}), " --wait --prune=true"),
            (json!({"timeout": 1}), " --wait --timeout=1s"),
            (json!({"cascade": "orphan"}), " --wait"),
        ] {
            assert_eq!(
                line(Kind::Upgrade, fields.clone()),
                format!("{apply}{rest}"),
                "{fields}"
            );
        }
        assert_eq!(Kind::of("upgrade"), Kind::Upgrade);
        assert_eq!(Kind::of("restart"), Kind::Upgrade);
    }

    /// The expectations of Porter's kubernetes mixin's uninstall tests.
    #[test]
    fn uninstall_command_lines_match_porter() {
        let delete = format!("delete --ignore-not-found=true -f {DIR}");
        for (fields, rest) in [
            (json!({}), " --wait"),
            (json!({"wait": false}), ""),
            (
                json!({"wait": false, "namespace": "meditations"}),
                " -n meditations",
            ),
            (
                json!({"selector": "app=nginx"}),
                " --selector=app=nginx --wait",
            ),
            (json!({"context": "context"}), " --context=context --wait"),
            (json!({"kubeConfig": "/k"}), " --kubeconfig=/k --wait"),
            (json!({"force": true}), " --force --grace-period=0 --wait"),
            (json!({"gracePeriod": 1}), " --grace-period=1 --wait"),
            (json!({"timeout": 1}), " --timeout=1s --wait"),
            (
                json!({"cascade": "background"}),
                " --wait --cascade=background",
            ),
            (
                json!({"validate": false, "prune": true, "record": true}),
                " --wait",
            ),
        ] {
            assert_eq!(
                line(Kind::Uninstall, fields.clone()),
                format!("{delete}{rest}"),
                "{fields}"
            );
        }
        assert_eq!(Kind::of("uninstall"), Kind::Uninstall);
    }

    #[test]
    fn each_manifest_gets_its_own_command() {
        let step: KubernetesStep = serde_json::from_value(json!({
            "description": "two", "manifests": ["a.yaml", "dir"], "namespace": "ns"
        }))
        .unwrap();
        let lines: Vec<String> = step
            .commands(Kind::Install)
            .unwrap()
            .iter()
            .map(|c| c.get_args().join(" "))
            .collect();
        assert_eq!(
            lines,
            ["apply -f a.yaml -n ns --wait", "apply -f dir -n ns --wait"]
        );
    }

    #[test]
    fn force_with_a_grace_period_and_no_manifests_are_errors() {
        let step: KubernetesStep =
            serde_json::from_value(json!({"manifests": ["m"], "force": true, "gracePeriod": 5}))
                .unwrap();
        let err = step.commands(Kind::Uninstall).unwrap_err();
        assert_eq!(err, "grace period must be zero when force is specified: 5");
        assert!(
            step.commands(Kind::Install).is_ok(),
            "install ignores force"
        );
        let empty: KubernetesStep = serde_json::from_value(json!({"description": "x"})).unwrap();
        assert!(
            empty
                .commands(Kind::Install)
                .unwrap_err()
                .contains("manifests")
        );
    }

    #[test]
    fn templated_and_textual_values_parse() {
        let step: KubernetesStep = serde_json::from_value(json!({
            "manifests": ["m"], "wait": "false", "timeout": "30", "validate": "${ bundle.parameters.v }"
        }))
        .unwrap();
        assert_eq!(
            (step.wait, step.timeout, step.validate),
            (Some(false), Some(30), None)
        );
        let err = serde_json::from_value::<KubernetesStep>(json!({"manifest": ["m"]})).unwrap_err();
        assert!(err.to_string().contains("manifest"), "{err}");
    }

    #[test]
    fn outputs_name_their_missing_part() {
        let out: KubernetesOutput = serde_json::from_value(json!({
            "name": "ip", "resourceType": "service", "jsonPath": "{.spec.clusterIP}"
        }))
        .unwrap();
        assert_eq!(out.query().unwrap_err(), "output `ip` needs `resourceName`");
        let out = KubernetesOutput {
            resource_name: Some("web".into()),
            ..out
        };
        assert_eq!(
            out.query().unwrap().command().get_args(),
            ["get", "service", "web", "-o=jsonpath={.spec.clusterIP}"]
        );
    }

    #[test]
    fn fields_set_lists_what_the_author_wrote() {
        let step: KubernetesStep = serde_json::from_value(json!({
            "manifests": ["m"], "prune": false, "cascade": "orphan",
            "outputs": [{"name": "x"}]
        }))
        .unwrap();
        assert_eq!(step.fields_set(), ["prune", "cascade", "outputs"]);
    }
}
