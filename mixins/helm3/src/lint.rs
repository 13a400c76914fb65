//! The helm3 mixin's lint rules (`helm3-1xx`): mistakes that would
//! otherwise surface only when helm runs against a cluster, and fields that
//! Porter's helm3 mixin silently ignores in the action they are in.

use mixin_sdk::{Finding, Input, Level, Step};

use crate::image::Helm3Config;
use crate::kubectl::{check_json_path_template, is_template};
use crate::outputs::Source;
use crate::step::{Helm3Step, Kind, LEGACY_FIELDS};

/// A step without a description (Porter's schema requires one).
pub const MISSING_DESCRIPTION: &str = "helm3-100";
/// An install or upgrade step without a release name or chart.
pub const MISSING_RELEASE: &str = "helm3-101";
/// An uninstall step without releases.
pub const MISSING_RELEASES: &str = "helm3-102";
/// A custom action step without arguments.
pub const MISSING_ARGUMENTS: &str = "helm3-103";
/// A field the step's action ignores, as Porter's mixin does.
pub const IGNORED_FIELD: &str = "helm3-104";
/// A field of older helm mixins that has no effect.
pub const LEGACY_FIELD: &str = "helm3-105";
/// An output that is neither a complete secret nor a complete resource.
pub const BAD_OUTPUT: &str = "helm3-106";
/// A resource output that will not look in the step's namespace.
pub const RESOURCE_OUTPUT_NAMESPACE: &str = "helm3-107";
/// An output JSONPath that is not a kubectl template.
pub const BAD_JSON_PATH: &str = "helm3-108";
/// `repo` without both `username` and `password`, which Porter drops.
pub const PARTIAL_REPO: &str = "helm3-109";
/// A `timeout` without a unit, which helm refuses.
pub const TIMEOUT_WITHOUT_UNIT: &str = "helm3-110";
/// An invalid mixin configuration.
pub const BAD_CONFIG: &str = "helm3-111";
/// A `set` value with a comma helm would split on.
pub const SET_COMMA: &str = "helm3-112";

/// Every finding for the configuration and steps.
pub fn lint(input: &Input<Helm3Config, Helm3Step>) -> Vec<Finding> {
    let mut findings = Vec::new();
    if let Err(problems) = input.config.plan() {
        findings.extend(
            problems.into_iter().map(|p| {
                Finding::error(BAD_CONFIG, "Invalid helm3 mixin configuration").message(p)
            }),
        );
    }
    for step in &input.steps {
        lint_step(step, &mut findings);
    }
    findings
}

fn lint_step(step: &Step<Helm3Step>, findings: &mut Vec<Finding>) {
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
            "Give the step a `description`; Porter's helm3 mixin requires one.".into(),
        );
    }
    if let Err(problem) = body.commands(kind) {
        let (code, title) = match kind {
            Kind::Install | Kind::Upgrade => (MISSING_RELEASE, "Missing release or chart"),
            Kind::Uninstall => (MISSING_RELEASES, "No releases"),
            Kind::Invoke => (MISSING_ARGUMENTS, "No helm arguments"),
        };
        report(Level::Error, code, title, problem);
    }
    for field in body.fields_set() {
        if LEGACY_FIELDS.contains(&field) {
            let why = match field {
                "purge" => "Helm 3 always deletes a release's history on uninstall",
                _ => "install and upgrade always run `helm upgrade --install`",
            };
            report(
                Level::Info,
                LEGACY_FIELD,
                "Field has no effect",
                format!("`{field}` is left from older helm mixins and has no effect: {why}"),
            );
        } else if kind.ignores(field) {
            report(
                Level::Warning,
                IGNORED_FIELD,
                "Field has no effect here",
                format!(
                    "`{field}` has no effect in a {} step, as with Porter's helm3 mixin; remove it",
                    step.action
                ),
            );
        }
    }
    let applies = |field: &str| !kind.ignores(field);
    if kind == Kind::Install {
        let parts = [&body.repo, &body.username, &body.password]
            .map(|v| v.as_deref().is_some_and(|v| !v.is_empty()));
        if parts.iter().any(|p| *p) && !parts.iter().all(|p| *p) {
            report(
                Level::Warning,
                PARTIAL_REPO,
                "repo needs username and password",
                "`repo`, `username` and `password` are passed to helm only all together; \
                 give all three, or put the repository in the mixin's `repositories`."
                    .into(),
            );
        }
    }
    if let Some(timeout) = body.timeout.as_deref().filter(|_| applies("timeout"))
        && !timeout.is_empty()
        && timeout.chars().all(|c| c.is_ascii_digit())
    {
        report(
            Level::Error,
            TIMEOUT_WITHOUT_UNIT,
            "timeout needs a unit",
            format!("helm refuses timeout {timeout:?}; give a duration such as \"{timeout}s\""),
        );
    }
    if applies("set") {
        for (key, value) in body.set.iter().flatten() {
            if !is_template(value) && !value.starts_with('{') && has_unescaped_comma(value) {
                report(
                    Level::Warning,
                    SET_COMMA,
                    "Comma in a set value",
                    format!(
                        "helm splits `--set {key}=...` at the comma in {value:?}; escape it as \\, \
                         or pass the value in a `values` file"
                    ),
                );
            }
        }
    }
    if applies("outputs") {
        lint_outputs(body, &mut report);
    }
}

fn lint_outputs(body: &Helm3Step, report: &mut impl FnMut(Level, &str, &str, String)) {
    for output in body.output_list() {
        match output.source(body.namespace.as_deref()) {
            Err(problem) => report(Level::Error, BAD_OUTPUT, "Invalid output", problem),
            Ok(Source::Resource(query)) => {
                if !is_template(query.json_path)
                    && let Err(problem) = check_json_path_template(query.json_path)
                {
                    report(
                        Level::Error,
                        BAD_JSON_PATH,
                        "Invalid jsonPath",
                        format!("output `{}`: {problem}", output.name),
                    );
                }
                if query.namespace.is_none()
                    && body.namespace.as_deref().is_some_and(|n| !n.is_empty())
                {
                    report(
                        Level::Warning,
                        RESOURCE_OUTPUT_NAMESPACE,
                        "Resource output without a namespace",
                        format!(
                            "output `{}` is read from the kubeconfig's namespace, not the step's \
                             (as in Porter's helm3 mixin); give the output a `namespace`",
                            output.name
                        ),
                    );
                }
            }
            Ok(Source::Secret { .. }) => {}
        }
    }
}

fn has_unescaped_comma(value: &str) -> bool {
    let mut escaped = false;
    for c in value.chars() {
        match c {
            ',' if !escaped => return true,
            '\\' => escaped = !escaped,
            _ => escaped = false,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn lint_of(config: Value, steps: Vec<(&str, Value)>) -> Vec<(String, Level, Option<u32>)> {
        let input = Input::from_json(config, steps).unwrap();
        lint(&input)
            .into_iter()
            .map(|f| (f.code, f.level, f.location.map(|l| l.step_number)))
            .collect()
    }

    fn codes(action: &str, body: Value) -> Vec<String> {
        lint_of(json!({}), vec![(action, body)])
            .into_iter()
            .map(|f| f.0)
            .collect()
    }

    #[test]
    fn porters_example_bundle_is_clean() {
        let install = json!({
            "description": "Install MySQL", "name": "{{ bundle.parameters.mysql-name }}",
            "chart": "stable/mysql", "version": "1.6.2", "namespace": "{{ bundle.parameters.namespace }}",
            "set": {"mysqlDatabase": "{{ bundle.parameters.database-name}}"},
            "outputs": [{"name": "mysql-password", "secret": "{{ bundle.parameters.mysql-name }}",
                         "key": "mysql-password"}]
        });
        assert!(codes("install", install.clone()).is_empty());
        assert!(codes("upgrade", install).is_empty());
        let login = json!({"description": "Login", "arguments": ["registry", "login", "localhost:5000"],
                           "flags": {"u": "me", "p": "pw"}});
        assert!(codes("login", login).is_empty());
        let uninstall = json!({"description": "Uninstall", "namespace": "ns", "releases": ["r"]});
        assert!(codes("uninstall", uninstall).is_empty());
    }

    #[test]
    fn each_action_needs_its_own_fields() {
        assert_eq!(
            codes("install", json!({"chart": "c"})),
            [MISSING_DESCRIPTION, MISSING_RELEASE]
        );
        assert_eq!(
            codes("uninstall", json!({"description": "d"})),
            [MISSING_RELEASES]
        );
        assert_eq!(
            codes("status", json!({"description": "d"})),
            [MISSING_ARGUMENTS]
        );
    }

    #[test]
    fn ignored_and_legacy_fields_are_reported_with_their_levels() {
        let found = lint_of(
            json!({}),
            vec![
                (
                    "install",
                    json!({"description": "d", "name": "n", "chart": "c", "replace": true,
                                   "reuseValues": true}),
                ),
                (
                    "uninstall",
                    json!({"description": "d", "releases": ["r"], "purge": true,
                                     "chart": "c"}),
                ),
            ],
        );
        assert_eq!(
            found,
            [
                (IGNORED_FIELD.to_string(), Level::Warning, Some(1)),
                (LEGACY_FIELD.to_string(), Level::Info, Some(1)),
                (IGNORED_FIELD.to_string(), Level::Warning, Some(2)),
                (LEGACY_FIELD.to_string(), Level::Info, Some(2)),
            ]
        );
    }

    #[test]
    fn outputs_must_be_complete_and_read_where_the_author_expects() {
        let step = |outputs: Value| json!({"description": "d", "name": "n", "chart": "c", "namespace": "db", "outputs": outputs});
        assert_eq!(
            codes("install", step(json!([{"name": "x", "jsonPath": "$Id"}]))),
            [BAD_OUTPUT]
        );
        assert_eq!(
            codes(
                "install",
                step(
                    json!([{"name": "ip", "resourceType": "svc", "resourceName": "w",
                                           "jsonPath": ".spec.clusterIP"}])
                )
            ),
            [BAD_JSON_PATH, RESOURCE_OUTPUT_NAMESPACE]
        );
        assert!(
            codes(
                "install",
                step(
                    json!([{"name": "ip", "resourceType": "svc", "resourceName": "w",
                                           "namespace": "db", "jsonPath": "{.spec.clusterIP}"}])
                )
            )
            .is_empty()
        );
    }

    #[test]
    fn helm_argument_mistakes_are_caught() {
        let base = |extra: Value| {
            let mut v = json!({"description": "d", "name": "n", "chart": "c"});
            v.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            v
        };
        assert_eq!(
            codes("install", base(json!({"repo": "https://r"}))),
            [PARTIAL_REPO]
        );
        assert_eq!(
            codes("upgrade", base(json!({"timeout": 300}))),
            [TIMEOUT_WITHOUT_UNIT]
        );
        assert!(codes("upgrade", base(json!({"timeout": "300s"}))).is_empty());
        assert_eq!(
            codes("install", base(json!({"set": {"hosts": "a,b"}}))),
            [SET_COMMA]
        );
        assert!(
            codes(
                "install",
                base(json!({"set": {"hosts": "{a,b}", "x": "a\\,b"}}))
            )
            .is_empty()
        );
    }

    #[test]
    fn config_problems_are_reported_one_by_one() {
        let found = lint_of(
            json!({"clientVersion": "v2.0.0", "clientArchitecture": "arm"}),
            vec![],
        );
        assert_eq!(found.len(), 2);
        assert!(
            found
                .iter()
                .all(|f| f.0 == BAD_CONFIG && f.1 == Level::Error && f.2.is_none())
        );
    }
}
