//! Porter's linter rules that need the dependencies' own bundles:
//! `porter-103` (a parameter the dependency does not have), `porter-104`
//! (a credential it does not have), `porter-105` (a dependency that cannot
//! be resolved), `porter-109` (a wired output no bundle makes) and, for
//! dependencies v2, `porter-110`/`porter-111` (a required parameter or
//! credential the wiring leaves out).
//!
//! `wharf lint` and `wharf build` apply them to the bundles they can pull,
//! and install and upgrade apply them to the tree they resolved, so an
//! error stops a run before anything in it changes.

use std::collections::BTreeMap;

use super::requirement::Requirement;
use crate::cnab::Bundle;
use crate::manifest::{TemplateSyntax, templates};
use crate::mixin::Level;
use crate::sets::is_internal_parameter;

/// Where Porter documents its rules.
const RULES_URL: &str = "https://porter.sh/docs/references/linter/";

/// One finding about a requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleFinding {
    pub level: Level,
    pub code: &'static str,
    pub title: &'static str,
    /// The requirement's field, e.g. `dependencies.db.parameters.name`.
    pub field: String,
    pub message: String,
}

impl RuleFinding {
    /// Porter's page about the rule.
    pub fn url(&self) -> String {
        format!("{RULES_URL}#{}", self.code)
    }

    /// `error porter-103: dependencies.db.parameters.x: ...`.
    pub fn display(&self) -> String {
        let level = match self.level {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Info => "info",
        };
        format!("{level} {}: {}: {}", self.code, self.field, self.message)
    }
}

/// porter-105: a requirement that cannot be resolved, so the other rules
/// cannot check it.
pub fn unresolved(requirement: &Requirement, why: &str) -> RuleFinding {
    RuleFinding {
        level: Level::Warning,
        code: "porter-105",
        title: "Dependency warning",
        field: format!("dependencies.{}", requirement.alias),
        message: format!(
            "the dependency {} could not be resolved, so its parameters, credentials and \
             outputs are not checked: {why}",
            requirement.alias
        ),
    }
}

/// The findings about `requirements` of one bundle, given the bundle each
/// resolved to, by alias (an alias that did not resolve is left out).
pub fn check(requirements: &[Requirement], bundles: &BTreeMap<&str, &Bundle>) -> Vec<RuleFinding> {
    let mut found = Vec::new();
    for requirement in requirements {
        let alias = &requirement.alias;
        let Some(bundle) = bundles.get(alias.as_str()) else {
            continue;
        };
        for name in requirement.parameters.keys() {
            if !bundle.parameters.contains_key(name) {
                found.push(error(
                    "porter-103",
                    format!("dependencies.{alias}.parameters.{name}"),
                    format!(
                        "dependencies.{alias}.parameters.{name} is not defined as a parameter on \
                         the dependency bundle {}; its parameters are {}",
                        bundle.name,
                        list(
                            bundle
                                .parameters
                                .keys()
                                .filter(|p| !is_internal_parameter(bundle, p))
                        )
                    ),
                ));
            }
        }
        for name in requirement.credentials.keys() {
            if !bundle.credentials.contains_key(name) {
                found.push(error(
                    "porter-104",
                    format!("dependencies.{alias}.credentials.{name}"),
                    format!(
                        "dependencies.{alias}.credentials.{name} is not defined as a credential \
                         on the dependency bundle {}; its credentials are {}",
                        bundle.name,
                        list(bundle.credentials.keys())
                    ),
                ));
            }
        }
        if requirement.templated {
            unmapped(requirement, bundle, &mut found);
            wired_outputs(requirement, requirements, bundles, &mut found);
        }
    }
    found
}

/// [`check`] on every level of a resolved tree.
pub fn check_tree(resolved: &[super::ResolvedDependency]) -> Vec<RuleFinding> {
    let requirements: Vec<Requirement> = resolved.iter().map(|d| d.requirement.clone()).collect();
    let bundles: BTreeMap<&str, &Bundle> = resolved
        .iter()
        .map(|d| (d.requirement.alias.as_str(), &d.bundle))
        .collect();
    let mut found = check(&requirements, &bundles);
    for dependency in resolved {
        found.extend(check_tree(&dependency.dependencies));
    }
    found
}

/// porter-110 and porter-111 (v2): what the dependency requires and the
/// wiring does not give.
fn unmapped(requirement: &Requirement, bundle: &Bundle, found: &mut Vec<RuleFinding>) {
    let alias = &requirement.alias;
    for (name, parameter) in &bundle.parameters {
        if parameter.required && !requirement.parameters.contains_key(name) {
            found.push(warning(
                "porter-110",
                format!("dependencies.{alias}.parameters.{name}"),
                format!(
                    "dependencies.{alias}.parameters.{name} is required by the dependency bundle \
                     but is not mapped; wire it, or pass it with --param {alias}#{name}=VALUE"
                ),
            ));
        }
    }
    for (name, credential) in &bundle.credentials {
        if credential.required && !requirement.credentials.contains_key(name) {
            found.push(warning(
                "porter-111",
                format!("dependencies.{alias}.credentials.{name}"),
                format!(
                    "dependencies.{alias}.credentials.{name} is required by the dependency bundle \
                     but is not mapped; wire it, or give it in a credential set"
                ),
            ));
        }
    }
}

/// porter-109 (v2): a wiring that reads an output the resolved bundle does
/// not make.
fn wired_outputs(
    requirement: &Requirement,
    requirements: &[Requirement],
    bundles: &BTreeMap<&str, &Bundle>,
    found: &mut Vec<RuleFinding>,
) {
    let alias = &requirement.alias;
    let makes = |dep: &str, output: &str| {
        let mapped = requirements
            .iter()
            .any(|r| r.alias == dep && r.outputs.contains_key(output));
        mapped
            || bundles
                .get(dep)
                .is_none_or(|b| b.outputs.contains_key(output))
    };
    for (kind, map) in [
        ("parameters", &requirement.parameters),
        ("credentials", &requirement.credentials),
        ("outputs", &requirement.outputs),
    ] {
        for (key, template) in map {
            let references =
                templates::references(template, TemplateSyntax::Dollar).unwrap_or_default();
            for reference in references {
                let segments: Vec<&str> = reference.split('.').collect();
                let (dep, output) = match segments.as_slice() {
                    ["bundle", "dependencies", dep, "outputs", name @ ..] => (*dep, name.join(".")),
                    ["outputs", name @ ..] if kind == "outputs" => (alias.as_str(), name.join(".")),
                    _ => continue,
                };
                let own_mapping = dep == alias && kind == "outputs" && output == *key;
                if !own_mapping && !makes(dep, &output) {
                    found.push(error(
                        "porter-109",
                        format!("dependencies.{alias}.{kind}.{key}"),
                        format!(
                            "dependencies.{alias}.{kind}.{key} references {reference}, which is \
                             not defined as an output on the {dep} dependency"
                        ),
                    ));
                }
            }
        }
    }
}

fn error(code: &'static str, field: String, message: String) -> RuleFinding {
    RuleFinding {
        level: Level::Error,
        code,
        title: "Dependency error",
        field,
        message,
    }
}

fn warning(code: &'static str, field: String, message: String) -> RuleFinding {
    RuleFinding {
        level: Level::Warning,
        code,
        title: "Dependency warning",
        field,
        message,
    }
}

fn list<'a>(names: impl Iterator<Item = &'a String>) -> String {
    let names: Vec<&str> = names.map(String::as_str).collect();
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn db() -> Bundle {
        serde_json::from_value(json!({
            "name": "mysql", "version": "1.0.0",
            "definitions": {"s": {"type": "string"}},
            "parameters": {"database": {"definition": "s", "required": true},
                           "port": {"definition": "s"}},
            "credentials": {"root": {"env": "ROOT", "required": true}},
            "outputs": {"host": {"definition": "s", "path": "/cnab/app/outputs/host"}}
        }))
        .unwrap()
    }

    fn requirement(alias: &str, templated: bool) -> Requirement {
        Requirement {
            alias: alias.into(),
            reference: "reg/mysql:v1".into(),
            templated,
            ..Requirement::default()
        }
    }

    fn codes(found: &[RuleFinding]) -> Vec<(&str, &str)> {
        found.iter().map(|f| (f.code, f.field.as_str())).collect()
    }

    #[test]
    fn v1_checks_names_only() {
        let mut r = requirement("db", false);
        r.parameters.insert("database".into(), "x".into());
        r.parameters.insert("dbname".into(), "x".into());
        let bundle = db();
        let found = check(&[r], &BTreeMap::from([("db", &bundle)]));
        assert_eq!(
            codes(&found),
            [("porter-103", "dependencies.db.parameters.dbname")]
        );
        assert!(
            found[0].message.contains("database, port"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn v2_checks_mapping_and_wired_outputs() {
        let mut db_req = requirement("db", true);
        db_req
            .credentials
            .insert("admin".into(), "${ bundle.credentials.x }".into());
        db_req.outputs.insert(
            "url".into(),
            "db://${ outputs.host }:${ outputs.port }".into(),
        );
        let mut app = requirement("app", true);
        app.parameters.insert(
            "conn".into(),
            "${ bundle.dependencies.db.outputs.url }".into(),
        );
        app.parameters.insert(
            "other".into(),
            "${ bundle.dependencies.db.outputs.ip }".into(),
        );
        let (db_bundle, app_bundle) = (db(), db());
        let found = check(
            &[db_req, app],
            &BTreeMap::from([("db", &db_bundle), ("app", &app_bundle)]),
        );
        assert_eq!(
            codes(&found),
            [
                ("porter-104", "dependencies.db.credentials.admin"),
                ("porter-110", "dependencies.db.parameters.database"),
                ("porter-111", "dependencies.db.credentials.root"),
                ("porter-109", "dependencies.db.outputs.url"),
                ("porter-103", "dependencies.app.parameters.conn"),
                ("porter-103", "dependencies.app.parameters.other"),
                ("porter-110", "dependencies.app.parameters.database"),
                ("porter-111", "dependencies.app.credentials.root"),
                ("porter-109", "dependencies.app.parameters.other"),
            ]
        );
        assert!(
            found[3].message.contains("outputs.port"),
            "{}",
            found[3].message
        );
    }
}
