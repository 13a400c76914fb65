//! The helm3 step and the helm command lines it becomes, argument for
//! argument as Porter's helm3 mixin builds them (its `helm3` binary is
//! Wharf's `helm`), so a bundle moved from Porter runs the same commands.
//!
//! ```yaml
//! install:
//!   - helm3:
//!       description: Install MySQL
//!       name: mydb
//!       chart: bitnami/mysql
//!       version: 9.4.1
//!       namespace: db
//!       set: {auth.database: app}
//!       outputs:
//!         - {name: root-password, secret: mydb-mysql, key: mysql-root-password}
//! uninstall:
//!   - helm3: {description: Remove MySQL, namespace: db, releases: [mydb]}
//! ```

use std::collections::BTreeMap;

use mixin_sdk::words::split_all;
use mixin_sdk::{Command, Flags};
use serde::Deserialize;

use crate::kubectl::lenient;
use crate::outputs::HelmOutput;

/// What a step does, by the action holding it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `install`: `helm upgrade --install` with the install options.
    Install,
    /// `upgrade`: `helm upgrade --install` with the upgrade options.
    Upgrade,
    /// `uninstall`: `helm uninstall` for each release.
    Uninstall,
    /// A custom action: `helm` with the step's `arguments` and `flags`.
    Invoke,
}

impl Kind {
    /// The kind of step `action` holds.
    pub fn of(action: &str) -> Kind {
        match action {
            "install" => Kind::Install,
            "upgrade" => Kind::Upgrade,
            "uninstall" => Kind::Uninstall,
            _ => Kind::Invoke,
        }
    }

    /// Whether Porter's helm3 mixin ignores `field` (a porter.yaml name) in
    /// this kind of step. Wharf ignores it too, so the command lines match,
    /// and lint says so.
    pub fn ignores(self, field: &str) -> bool {
        const CHART: &str = "name chart version set values devel skipCrds resetValues \
                             reuseValues atomic createNamespace repo username password";
        let (common, own) = match self {
            Kind::Install => ("", "resetValues reuseValues releases arguments flags"),
            Kind::Upgrade => (
                "",
                "devel skipCrds noHooks repo username password releases arguments flags",
            ),
            Kind::Uninstall => (CHART, "arguments flags outputs"),
            Kind::Invoke => (CHART, "wait noHooks timeout debug releases"),
        };
        common
            .split_whitespace()
            .chain(own.split_whitespace())
            .any(|f| f == field)
    }
}

/// Fields of older helm mixins that Porter's helm3 mixin accepts and
/// ignores: it always runs `helm upgrade --install` (so `upsert` and
/// `replace` are moot) and Helm 3 always purges (`purge`).
pub const LEGACY_FIELDS: [&str; 3] = ["upsert", "replace", "purge"];

/// One helm3 step: every field of Porter's install, upgrade, uninstall and
/// invoke steps in one type (the SDK has one step type per mixin), with
/// unknown fields rejected so typos are caught.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Helm3Step {
    /// What the step does.
    #[serde(default)]
    pub description: String,
    /// The release name.
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: Option<String>,
    /// The chart: `repo/chart`, a path, a URL or `oci://`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub chart: Option<String>,
    /// The chart version.
    #[serde(default, deserialize_with = "lenient::string")]
    pub version: Option<String>,
    /// `--namespace`; also where secret outputs are read.
    #[serde(default, deserialize_with = "lenient::string")]
    pub namespace: Option<String>,
    /// `--set KEY=VALUE`, sorted by key.
    #[serde(default, deserialize_with = "lenient::string_map")]
    pub set: Option<BTreeMap<String, String>>,
    /// `--values FILE`, in order.
    #[serde(default, deserialize_with = "lenient::strings")]
    pub values: Option<Vec<String>>,
    /// `--wait`.
    #[serde(default, deserialize_with = "lenient::bool")]
    pub wait: Option<bool>,
    /// `--devel`.
    #[serde(default, deserialize_with = "lenient::bool")]
    pub devel: Option<bool>,
    /// `--skip-crds`.
    #[serde(default, deserialize_with = "lenient::bool")]
    pub skip_crds: Option<bool>,
    /// `--no-hooks`.
    #[serde(default, deserialize_with = "lenient::bool")]
    pub no_hooks: Option<bool>,
    /// `--debug`.
    #[serde(default, deserialize_with = "lenient::bool")]
    pub debug: Option<bool>,
    /// `--reset-values`.
    #[serde(default, deserialize_with = "lenient::bool")]
    pub reset_values: Option<bool>,
    /// `--reuse-values`.
    #[serde(default, deserialize_with = "lenient::bool")]
    pub reuse_values: Option<bool>,
    /// `--atomic` unless false.
    #[serde(default, deserialize_with = "lenient::bool")]
    pub atomic: Option<bool>,
    /// `--create-namespace` unless false.
    #[serde(default, deserialize_with = "lenient::bool")]
    pub create_namespace: Option<bool>,
    /// `--timeout`, a Go duration such as `5m`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub timeout: Option<String>,
    /// `--repo`, passed only with `username` and `password`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub repo: Option<String>,
    /// `--username`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub username: Option<String>,
    /// `--password`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub password: Option<String>,
    /// The releases an uninstall step removes.
    #[serde(default, deserialize_with = "lenient::strings")]
    pub releases: Option<Vec<String>>,
    /// A custom action's helm arguments.
    #[serde(default, deserialize_with = "lenient::strings")]
    pub arguments: Option<Vec<String>>,
    /// A custom action's helm flags.
    #[serde(default)]
    pub flags: Option<Flags>,
    /// Values read from secrets or resources after the command.
    #[serde(default)]
    pub outputs: Option<Vec<HelmOutput>>,
    /// Legacy: no effect.
    #[serde(default, deserialize_with = "lenient::bool")]
    pub upsert: Option<bool>,
    /// Legacy: no effect.
    #[serde(default, deserialize_with = "lenient::bool")]
    pub replace: Option<bool>,
    /// Legacy: no effect.
    #[serde(default, deserialize_with = "lenient::bool")]
    pub purge: Option<bool>,
}

fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}

fn on(flag: Option<bool>) -> bool {
    flag == Some(true)
}

impl Helm3Step {
    /// The outputs, or none.
    pub fn output_list(&self) -> &[HelmOutput] {
        self.outputs.as_deref().unwrap_or_default()
    }

    /// The releases, or none.
    pub fn release_list(&self) -> &[String] {
        self.releases.as_deref().unwrap_or_default()
    }

    /// The fields this step sets, by their porter.yaml names.
    pub fn fields_set(&self) -> Vec<&'static str> {
        [
            ("name", self.name.is_some()),
            ("chart", self.chart.is_some()),
            ("version", self.version.is_some()),
            ("set", self.set.is_some()),
            ("values", self.values.is_some()),
            ("wait", self.wait.is_some()),
            ("devel", self.devel.is_some()),
            ("skipCrds", self.skip_crds.is_some()),
            ("noHooks", self.no_hooks.is_some()),
            ("debug", self.debug.is_some()),
            ("resetValues", self.reset_values.is_some()),
            ("reuseValues", self.reuse_values.is_some()),
            ("atomic", self.atomic.is_some()),
            ("createNamespace", self.create_namespace.is_some()),
            ("timeout", self.timeout.is_some()),
            ("repo", self.repo.is_some()),
            ("username", self.username.is_some()),
            ("password", self.password.is_some()),
            ("releases", self.releases.is_some()),
            ("arguments", self.arguments.is_some()),
            ("flags", self.flags.is_some()),
            ("outputs", !self.output_list().is_empty()),
            ("upsert", self.upsert.is_some()),
            ("replace", self.replace.is_some()),
            ("purge", self.purge.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, present)| present.then_some(name))
        .collect()
    }

    /// The helm commands the step runs, in order: one, or one per release
    /// for an uninstall.
    pub fn commands(&self, kind: Kind) -> Result<Vec<Command>, String> {
        let helm = |args: Vec<String>| Command::new("helm").args(args);
        Ok(match kind {
            Kind::Install => vec![helm(self.install_args()?)],
            Kind::Upgrade => vec![helm(self.upgrade_args()?)],
            Kind::Uninstall => {
                if self.release_list().is_empty() {
                    return Err("the step lists no `releases` to uninstall".into());
                }
                self.release_list()
                    .iter()
                    .map(|release| helm(self.uninstall_args(release)))
                    .collect()
            }
            Kind::Invoke => {
                let args = split_all(self.arguments.iter().flatten());
                if args.is_empty() {
                    return Err(
                        "a helm3 step in a custom action runs `helm` with its `arguments`; \
                         it has none"
                            .into(),
                    );
                }
                let flags = self.flags.as_ref().map(Flags::to_args).unwrap_or_default();
                vec![helm(args).args(split_all(&flags))]
            }
        })
    }

    /// `upgrade --install NAME CHART`, the start of both install and upgrade.
    fn release_args(&self) -> Result<Vec<String>, String> {
        let (Some(name), Some(chart)) = (given(&self.name), given(&self.chart)) else {
            return Err("the step needs a release `name` and a `chart`".into());
        };
        let mut args: Vec<String> = vec![
            "upgrade".into(),
            "--install".into(),
            name.into(),
            chart.into(),
        ];
        if let Some(ns) = given(&self.namespace) {
            args.extend(["--namespace".into(), ns.into()]);
        }
        if let Some(v) = given(&self.version) {
            args.extend(["--version".into(), v.into()]);
        }
        Ok(args)
    }

    fn push_values(&self, args: &mut Vec<String>) {
        for file in self.values.iter().flatten() {
            args.extend(["--values".into(), file.clone()]);
        }
    }

    /// `--timeout`, `--debug`, `--atomic`, `--create-namespace` and the
    /// sorted `--set`s: the common tail of install and upgrade.
    fn push_tail(&self, args: &mut Vec<String>) {
        if let Some(t) = given(&self.timeout) {
            args.extend(["--timeout".into(), t.into()]);
        }
        if on(self.debug) {
            args.push("--debug".into());
        }
        if self.atomic != Some(false) {
            args.push("--atomic".into());
        }
        if self.create_namespace != Some(false) {
            args.push("--create-namespace".into());
        }
        for (key, value) in self.set.iter().flatten() {
            args.extend(["--set".into(), format!("{key}={value}")]);
        }
    }

    fn install_args(&self) -> Result<Vec<String>, String> {
        let mut args = self.release_args()?;
        if on(self.wait) {
            args.push("--wait".into());
        }
        if on(self.devel) {
            args.push("--devel".into());
        }
        self.push_values(&mut args);
        if on(self.skip_crds) {
            args.push("--skip-crds".into());
        }
        if on(self.no_hooks) {
            args.push("--no-hooks".into());
        }
        if let (Some(repo), Some(user), Some(password)) = (
            given(&self.repo),
            given(&self.username),
            given(&self.password),
        ) {
            args.extend(
                ["--repo", repo, "--username", user, "--password", password].map(String::from),
            );
        }
        self.push_tail(&mut args);
        Ok(args)
    }

    fn upgrade_args(&self) -> Result<Vec<String>, String> {
        let mut args = self.release_args()?;
        if on(self.reset_values) {
            args.push("--reset-values".into());
        }
        if on(self.reuse_values) {
            args.push("--reuse-values".into());
        }
        if on(self.wait) {
            args.push("--wait".into());
        }
        self.push_values(&mut args);
        self.push_tail(&mut args);
        Ok(args)
    }

    fn uninstall_args(&self, release: &str) -> Vec<String> {
        let mut args: Vec<String> = vec!["uninstall".into(), release.into()];
        if let Some(ns) = given(&self.namespace) {
            args.extend(["--namespace".into(), ns.into()]);
        }
        if on(self.no_hooks) {
            args.push("--no-hooks".into());
        }
        if on(self.wait) {
            args.push("--wait".into());
        }
        if let Some(t) = given(&self.timeout) {
            args.extend(["--timeout".into(), t.into()]);
        }
        if on(self.debug) {
            args.push("--debug".into());
        }
        args
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn step(body: Value) -> Helm3Step {
        serde_json::from_value(body).unwrap()
    }

    fn lines(kind: Kind, body: Value) -> Vec<String> {
        step(body)
            .commands(kind)
            .unwrap()
            .iter()
            .map(|c| {
                assert_eq!(c.program(), "helm");
                c.get_args().join(" ")
            })
            .collect()
    }

    fn chart(extra: Value) -> Value {
        let mut v = json!({
            "description": "d", "name": "MY-RELEASE", "chart": "MY-CHART", "version": "1.0.0",
            "namespace": "MY-NAMESPACE", "set": {"foo": "bar", "baz": "qux"},
            "values": ["/tmp/val1.yaml", "/tmp/val2.yaml"]
        });
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        v
    }

    const BASE: &str =
        "upgrade --install MY-RELEASE MY-CHART --namespace MY-NAMESPACE --version 1.0.0";
    const VALUES: &str = "--values /tmp/val1.yaml --values /tmp/val2.yaml";
    const TAIL: &str = "--atomic --create-namespace --set baz=qux --set foo=bar";

    /// Porter's helm3 upgrade tests' expectations, for every upgrade option.
    #[test]
    fn upgrade_command_lines_match_porter() {
        for (extra, flags) in [
            (json!({}), ""),
            (json!({"resetValues": true}), "--reset-values "),
            (json!({"reuseValues": true}), "--reuse-values "),
            (json!({"wait": true}), "--wait "),
        ] {
            assert_eq!(
                lines(Kind::Upgrade, chart(extra)),
                [format!("{BASE} {flags}{VALUES} {TAIL}")]
            );
        }
        assert_eq!(
            lines(
                Kind::Upgrade,
                chart(
                    json!({"timeout": "10m", "debug": true, "atomic": false, "createNamespace": false})
                )
            ),
            [format!(
                "{BASE} {VALUES} --timeout 10m --debug --set baz=qux --set foo=bar"
            )]
        );
        // Porter's upgrade ignores the install-only options.
        assert_eq!(
            lines(
                Kind::Upgrade,
                chart(json!({"devel": true, "skipCrds": true, "noHooks": true,
                "repo": "r", "username": "u", "password": "p"}))
            ),
            [format!("{BASE} {VALUES} {TAIL}")]
        );
    }

    /// Porter's helm3 install code, option by option, in its order.
    #[test]
    fn install_command_lines_match_porter() {
        assert_eq!(
            lines(Kind::Install, chart(json!({}))),
            [format!("{BASE} {VALUES} {TAIL}")]
        );
        assert_eq!(
            lines(
                Kind::Install,
                chart(json!({
                    "wait": true, "devel": true, "skipCrds": true, "noHooks": true,
                    "repo": "https://charts.example.com", "username": "u", "password": "p",
                    "timeout": "5m0s", "debug": true
                }))
            ),
            [format!(
                "{BASE} --wait --devel {VALUES} --skip-crds --no-hooks \
                 --repo https://charts.example.com --username u --password p \
                 --timeout 5m0s --debug {TAIL}"
            )]
        );
        // --repo only comes with both credentials; atomic and namespace
        // creation can be turned off; upgrade-only options are ignored.
        assert_eq!(
            lines(
                Kind::Install,
                json!({"name": "r", "chart": "c", "repo": "x", "atomic": false,
                "createNamespace": "false", "resetValues": true, "replace": true})
            ),
            ["upgrade --install r c"]
        );
    }

    #[test]
    fn set_values_are_sorted_text_and_keep_dotted_keys() {
        assert_eq!(
            lines(
                Kind::Install,
                json!({"name": "r", "chart": "c", "set": {
                    "persistence.enabled": false, "livenessProbe.initialDelaySeconds": 30,
                    "image.tag": "12.1.0", "empty": null
                }})
            ),
            [
                "upgrade --install r c --atomic --create-namespace --set empty= \
              --set image.tag=12.1.0 --set livenessProbe.initialDelaySeconds=30 \
              --set persistence.enabled=false"
            ]
        );
    }

    /// Porter's helm3 uninstall tests' expectations: one command per release.
    #[test]
    fn uninstall_command_lines_match_porter() {
        assert_eq!(
            lines(Kind::Uninstall, json!({"releases": ["foo"]})),
            ["uninstall foo"]
        );
        assert_eq!(
            lines(
                Kind::Uninstall,
                json!({"releases": ["foo"], "namespace": "my-namespace"})
            ),
            ["uninstall foo --namespace my-namespace"]
        );
        assert_eq!(
            lines(
                Kind::Uninstall,
                json!({"releases": ["foo", "bar"], "namespace": "my-namespace",
                "noHooks": true, "wait": true, "timeout": "2m", "debug": true, "purge": true})
            ),
            [
                "uninstall foo --namespace my-namespace --no-hooks --wait --timeout 2m --debug",
                "uninstall bar --namespace my-namespace --no-hooks --wait --timeout 2m --debug"
            ]
        );
        let err = step(json!({"description": "x"}))
            .commands(Kind::Uninstall)
            .unwrap_err();
        assert!(err.contains("releases"), "{err}");
    }

    #[test]
    fn custom_actions_run_helm_with_arguments_and_flags_split_like_porter() {
        assert_eq!(
            lines(
                Kind::Invoke,
                json!({
                    "description": "Login", "arguments": ["registry", "login", "localhost:5000", "--insecure"],
                    "flags": {"u": "me", "p": "'a secret'"}
                })
            ),
            ["registry login localhost:5000 --insecure -p a secret -u me"]
        );
        let cmd = step(json!({"arguments": ["status", "my-mysql"], "flags": {"o": "yaml"}}))
            .commands(Kind::Invoke)
            .unwrap();
        assert_eq!(cmd[0].get_args(), ["status", "my-mysql", "-o", "yaml"]);
        assert!(step(json!({"name": "x"})).commands(Kind::Invoke).is_err());
        assert_eq!(Kind::of("status"), Kind::Invoke);
    }

    #[test]
    fn install_and_upgrade_need_a_name_and_chart() {
        let err = step(json!({"chart": "c"}))
            .commands(Kind::Install)
            .unwrap_err();
        assert!(err.contains("`name`"), "{err}");
        assert!(
            step(json!({"name": "n", "chart": ""}))
                .commands(Kind::Upgrade)
                .is_err()
        );
    }

    #[test]
    fn unknown_fields_and_non_scalar_sets_are_rejected() {
        assert!(serde_json::from_value::<Helm3Step>(json!({"nmae": "x"})).is_err());
        assert!(serde_json::from_value::<Helm3Step>(json!({"set": {"a": [1]}})).is_err());
    }

    #[test]
    fn fields_set_and_ignored_fields_use_porter_yaml_names() {
        let s = step(json!({"description": "d", "releases": ["r"], "chart": "c", "purge": true}));
        assert_eq!(s.fields_set(), ["chart", "releases", "purge"]);
        assert!(Kind::Uninstall.ignores("chart"));
        assert!(Kind::Uninstall.ignores("password"));
        assert!(Kind::Invoke.ignores("releases"));
        assert!(!Kind::Invoke.ignores("namespace"));
        assert!(!Kind::Install.ignores("repo"));
    }
}
