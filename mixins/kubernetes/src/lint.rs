//! The kubernetes mixin's lint rules (`kubernetes-1xx`): mistakes that would
//! otherwise surface only when kubectl runs against a cluster, most of them
//! combinations real kubectl refuses before it connects (Wharf's tests run
//! the generated command lines through a real kubectl to keep these honest).

use mixin_sdk::{Finding, Input, Level, Step};

use crate::KubernetesConfig;
use crate::kubectl::{check_json_path_template, is_template};
use crate::step::{Kind, KubernetesStep};

/// A step without a description (Porter's schema requires one).
pub const MISSING_DESCRIPTION: &str = "kubernetes-100";
/// A step without manifests.
pub const NO_MANIFESTS: &str = "kubernetes-101";
/// `forceConflicts` without `serverSide`: kubectl refuses it.
pub const FORCE_CONFLICTS_WITHOUT_SERVER_SIDE: &str = "kubernetes-102";
/// `force` with a non-zero `gracePeriod`: the step fails.
pub const FORCE_WITH_GRACE_PERIOD: &str = "kubernetes-103";
/// `force` with `prune` on apply: kubectl refuses it.
pub const FORCE_WITH_PRUNE: &str = "kubernetes-104";
/// `prune` without a `selector`: kubectl refuses to prune everything.
pub const PRUNE_WITHOUT_SELECTOR: &str = "kubernetes-105";
/// A field the step's action ignores, as Porter's mixin does.
pub const IGNORED_FIELD: &str = "kubernetes-106";
/// An output missing its resource type, name or JSONPath.
pub const INCOMPLETE_OUTPUT: &str = "kubernetes-107";
/// An output JSONPath that is not a kubectl template.
pub const BAD_JSON_PATH: &str = "kubernetes-108";
/// A `cascade` kubectl does not know.
pub const BAD_CASCADE: &str = "kubernetes-109";
/// An invalid mixin configuration.
pub const BAD_CONFIG: &str = "kubernetes-110";
/// `record`, which kubectl deprecated.
pub const DEPRECATED_RECORD: &str = "kubernetes-111";

/// Every finding for the configuration and steps.
pub fn lint(input: &Input<KubernetesConfig, KubernetesStep>) -> Vec<Finding> {
    let mut findings = Vec::new();
    if let Err(problem) = input.config.kubectl() {
        findings.push(
            Finding::error(BAD_CONFIG, "Invalid kubernetes mixin configuration").message(problem),
        );
    }
    for step in &input.steps {
        lint_step(step, &mut findings);
    }
    findings
}

fn lint_step(step: &Step<KubernetesStep>, findings: &mut Vec<Finding>) {
    let body = &step.body;
    let kind = Kind::of(&step.action);
    let mut report = |level: Level, code: &str, title: &str, message: String| {
        findings.push(
            Finding::new(level, code, title)
                .message(message)
                .at(step.location()),
        );
    };
    if body.description.trim().is_empty() {
        report(
            Level::Error,
            MISSING_DESCRIPTION,
            "Missing description",
            "Give the step a `description`; Porter's kubernetes mixin requires one.".into(),
        );
    }
    if body.manifest_list().is_empty() {
        report(
            Level::Error,
            NO_MANIFESTS,
            "No manifests",
            "List the manifest files or directories to apply under `manifests`.".into(),
        );
    }
    for field in body.fields_set() {
        if kind.ignores(field) {
            report(
                Level::Warning,
                IGNORED_FIELD,
                "Field has no effect here",
                format!(
                    "`{field}` has no effect in a {} step, as with Porter's kubernetes mixin; remove it",
                    step.action
                ),
            );
        }
    }
    let applies = |field: &str| !kind.ignores(field);
    if kind != Kind::Uninstall
        && body.force_conflicts == Some(true)
        && body.server_side != Some(true)
    {
        report(
            Level::Error,
            FORCE_CONFLICTS_WITHOUT_SERVER_SIDE,
            "forceConflicts needs serverSide",
            "kubectl refuses --force-conflicts without --server-side; add `serverSide: true`."
                .into(),
        );
    }
    if applies("force") && body.force == Some(true) && body.grace_period.is_some_and(|g| g != 0) {
        report(
            Level::Error,
            FORCE_WITH_GRACE_PERIOD,
            "force needs a zero gracePeriod",
            "With `force: true` the grace period must be 0 (or left out); the step would fail."
                .into(),
        );
    }
    if kind == Kind::Upgrade && body.prune == Some(true) {
        if body.force == Some(true) || body.grace_period == Some(0) {
            report(
                Level::Error,
                FORCE_WITH_PRUNE,
                "force cannot be used with prune",
                "kubectl refuses `--force` (given by `force: true` or `gracePeriod: 0`) together \
                 with `--prune`; drop one of them."
                    .into(),
            );
        }
        if body.selector.as_deref().is_none_or(str::is_empty) {
            report(
                Level::Error,
                PRUNE_WITHOUT_SELECTOR,
                "prune needs a selector",
                "kubectl refuses to prune without a label selector (it would prune every \
                 resource); add `selector`."
                    .into(),
            );
        }
    }
    if let Some(cascade) = body.cascade.as_deref().filter(|c| !is_template(c))
        && applies("cascade")
        && !["background", "foreground", "orphan"].contains(&cascade)
    {
        report(
            Level::Error,
            BAD_CASCADE,
            "Unknown cascade",
            format!("cascade {cascade:?} must be background, foreground or orphan"),
        );
    }
    if body.record == Some(true) && applies("record") {
        report(
            Level::Info,
            DEPRECATED_RECORD,
            "record is deprecated",
            "kubectl deprecated --record and will remove it; prefer annotations in the manifests."
                .into(),
        );
    }
    if applies("outputs") {
        for output in body.output_list() {
            match output.query() {
                Err(problem) => report(
                    Level::Error,
                    INCOMPLETE_OUTPUT,
                    "Incomplete output",
                    problem,
                ),
                Ok(query) if !is_template(query.json_path) => {
                    if let Err(problem) = check_json_path_template(query.json_path) {
                        report(
                            Level::Error,
                            BAD_JSON_PATH,
                            "Invalid jsonPath",
                            format!("output `{}`: {problem}", output.name),
                        );
                    }
                }
                Ok(_) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn findings(config: Value, steps: Vec<(&str, Value)>) -> Vec<(String, Level, Option<u32>)> {
        let input = Input::from_json(config, steps).unwrap();
        lint(&input)
            .into_iter()
            .map(|f| (f.code, f.level, f.location.map(|l| l.step_number)))
            .collect()
    }

    fn codes(action: &str, body: Value) -> Vec<String> {
        findings(json!({}), vec![(action, body)])
            .into_iter()
            .map(|f| f.0)
            .collect()
    }

    #[test]
    fn a_porter_style_bundle_is_clean() {
        let ok = json!({
            "description": "Install", "manifests": ["manifests"], "namespace": "n",
            "outputs": [{"name": "ip", "resourceType": "service", "resourceName": "web",
                         "namespace": "n", "jsonPath": "{.spec.clusterIP}"}]
        });
        assert!(codes("install", ok.clone()).is_empty());
        assert!(codes("upgrade", ok).is_empty());
        let delete = json!({"description": "Remove", "manifests": ["m"], "force": true, "cascade": "orphan"});
        assert!(codes("uninstall", delete).is_empty());
    }

    #[test]
    fn missing_description_and_manifests_are_errors() {
        assert_eq!(
            codes("install", json!({})),
            [MISSING_DESCRIPTION, NO_MANIFESTS]
        );
    }

    #[test]
    fn combinations_kubectl_refuses_are_errors() {
        let base = |extra: Value| {
            let mut v = json!({"description": "d", "manifests": ["m"]});
            v.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            v
        };
        assert_eq!(
            codes("install", base(json!({"forceConflicts": true}))),
            [FORCE_CONFLICTS_WITHOUT_SERVER_SIDE]
        );
        assert_eq!(
            codes("uninstall", base(json!({"force": true, "gracePeriod": 5}))),
            [FORCE_WITH_GRACE_PERIOD]
        );
        assert_eq!(
            codes("upgrade", base(json!({"force": true, "prune": true}))),
            [FORCE_WITH_PRUNE, PRUNE_WITHOUT_SELECTOR]
        );
        assert!(codes("upgrade", base(json!({"prune": true, "selector": "app=x"}))).is_empty());
        assert_eq!(
            codes("uninstall", base(json!({"cascade": "later"}))),
            [BAD_CASCADE]
        );
        assert!(
            codes(
                "uninstall",
                base(json!({"cascade": "${ bundle.parameters.c }"}))
            )
            .is_empty()
        );
    }

    #[test]
    fn fields_an_action_ignores_are_warned_about() {
        let found = findings(
            json!({}),
            vec![
                (
                    "install",
                    json!({"description": "d", "manifests": ["m"], "prune": true, "timeout": 5}),
                ),
                (
                    "uninstall",
                    json!({"description": "d", "manifests": ["m"], "validate": false,
                                      "outputs": [{"name": "x"}]}),
                ),
            ],
        );
        assert_eq!(
            found,
            [
                (IGNORED_FIELD.to_string(), Level::Warning, Some(1)),
                (IGNORED_FIELD.to_string(), Level::Warning, Some(1)),
                (IGNORED_FIELD.to_string(), Level::Warning, Some(2)),
                (IGNORED_FIELD.to_string(), Level::Warning, Some(2)),
            ]
        );
    }

    #[test]
    fn outputs_must_be_complete_kubectl_templates() {
        let step =
            |output: Value| json!({"description": "d", "manifests": ["m"], "outputs": [output]});
        assert_eq!(
            codes(
                "install",
                step(json!({"name": "x", "resourceType": "svc", "jsonPath": "{.a}"}))
            ),
            [INCOMPLETE_OUTPUT]
        );
        assert_eq!(
            codes(
                "install",
                step(
                    json!({"name": "x", "resourceType": "svc", "resourceName": "w", "jsonPath": "$.spec.a"})
                )
            ),
            [BAD_JSON_PATH]
        );
    }

    #[test]
    fn config_problems_and_record_are_reported() {
        let found = findings(json!({"clientVersion": "latest"}), vec![]);
        assert_eq!(found, [(BAD_CONFIG.to_string(), Level::Error, None)]);
        assert_eq!(
            codes(
                "install",
                json!({"description": "d", "manifests": ["m"], "record": true})
            ),
            [DEPRECATED_RECORD]
        );
    }
}
