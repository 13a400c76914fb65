//! Porter's own linter rules (`porter-100` … `porter-109` of Porter's
//! `pkg/linter`), with Porter's codes and titles so that a search for the
//! code finds Porter's documentation, and Wharf's located messages.
//!
//! The rules that need a dependency's own bundle.json (`porter-103`,
//! `porter-104`, `porter-105`, `porter-110`, `porter-111`) are the
//! dependency resolver's; these are the ones a manifest alone decides.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use super::lint::{FindingLocation, LintFinding};
use crate::manifest::{Dependency, Manifest, TemplateSyntax, templates, visit_scalars};
use crate::mixin::Level;

/// Where Porter documents its rules.
const RULES_URL: &str = "https://porter.sh/docs/references/linter/";

/// Prefixes Porter keeps for its own parameters.
const RESERVED_PREFIXES: &[&str] = &["porter-", "porter_"];

/// The findings of Porter's rules on `manifest`, read from `path`.
pub fn findings(path: &Path, manifest: &Manifest) -> Vec<LintFinding> {
    let mut rules = Rules {
        path,
        found: Vec::new(),
    };
    rules.reserved_parameter_names(manifest);
    rules.parameters_apply_to_their_actions(manifest);
    rules.dependencies_are_named_once(manifest);
    if manifest.uses_dependencies_v2() {
        for dependency in manifest.required_dependencies() {
            rules.dependency_wiring(manifest, dependency);
        }
    }
    rules.experimental_features(manifest);
    rules.found
}

struct Rules<'p> {
    path: &'p Path,
    found: Vec<LintFinding>,
}

impl Rules<'_> {
    /// An error of Porter's rule `code`, linked to Porter's page on it.
    fn error(&mut self, code: &str, title: &str, at: (usize, usize, String), message: String) {
        let url = Some(format!("{RULES_URL}#{code}"));
        self.push(Level::Error, code, title, at, message, url);
    }

    fn push(
        &mut self,
        level: Level,
        code: &str,
        title: &str,
        (line, column, field): (usize, usize, String),
        message: String,
        url: Option<String>,
    ) {
        self.found.push(LintFinding {
            level,
            code: code.to_string(),
            source: "porter".to_string(),
            title: title.to_string(),
            message,
            location: FindingLocation {
                file: self.path.to_path_buf(),
                line,
                column,
                field,
            },
            url,
        });
    }

    /// Says which features of the newer schemas the bundle uses: Porter
    /// enables them only behind `--experimental` flags, Wharf always, so a
    /// bundle that builds here may need the flag there.
    fn experimental_features(&mut self, manifest: &Manifest) {
        let mut used = Vec::new();
        if manifest.uses_dependencies_v2() && manifest.dependencies.is_some() {
            used.push(("dependencies v2 (schema 1.1.0)", "dependencies-v2"));
        }
        if manifest.parameters.iter().any(|p| p.persistent) {
            used.push((
                "persistent parameters (schema 1.2.0)",
                "persistent-parameters",
            ));
        }
        for (feature, flag) in used {
            self.push(
                Level::Info,
                "experimental",
                "Experimental in Porter",
                (0, 0, "schemaVersion".to_string()),
                format!(
                    "the bundle uses {feature}, which Porter v1 enables only with \
                     `--experimental {flag}`; Wharf always enables it"
                ),
                None,
            );
        }
    }

    /// porter-100: Porter's parameters (`porter-debug`, ...) share the
    /// bundle's parameter names.
    fn reserved_parameter_names(&mut self, manifest: &Manifest) {
        for p in &manifest.parameters {
            let lower = p.name.to_lowercase();
            if RESERVED_PREFIXES.iter().any(|r| lower.starts_with(r)) {
                self.error(
                    "porter-100",
                    "Reserved name error",
                    (p.span.line, p.span.column, format!("parameters.{}", p.name)),
                    format!(
                        "{} has a reserved prefix. Parameters cannot start with porter- or \
                         porter_; rename it",
                        p.name
                    ),
                );
            }
        }
    }

    /// porter-101: a step names a parameter that the action does not get,
    /// so the template would have no value when it runs.
    fn parameters_apply_to_their_actions(&mut self, manifest: &Manifest) {
        for (action, steps) in manifest.actions() {
            for (i, step) in steps.iter().enumerate() {
                let field = format!("{action}[{i}].{}", step.mixin);
                let mut refused = Vec::new();
                visit_scalars(&step.body, &mut |text, span| {
                    for name in parameters_named(text, manifest.template_syntax) {
                        let declared = manifest.parameters.iter().find(|p| p.name == name);
                        if let Some(p) = declared.filter(|p| !p.applies_to(action)) {
                            refused.push((span, p.name.clone(), p.apply_to.join(", ")));
                        }
                    }
                });
                for (span, name, apply_to) in refused {
                    self.error(
                        "porter-101",
                        "Parameter does not apply to action",
                        (span.line, span.column, field.clone()),
                        format!(
                            "Parameter {name} does not apply to {action} action (its applyTo \
                             is [{apply_to}]); add {action} to its applyTo, or do not use it \
                             in this step"
                        ),
                    );
                }
            }
        }
    }

    /// porter-102: two dependencies with one alias.
    fn dependencies_are_named_once(&mut self, manifest: &Manifest) {
        let mut seen = BTreeSet::new();
        for (i, dep) in manifest.required_dependencies().enumerate() {
            if !seen.insert(dep.name.as_str()) {
                self.error(
                    "porter-102",
                    "Dependency error",
                    (
                        dep.span.line,
                        dep.span.column,
                        format!("dependencies.requires[{i}].name"),
                    ),
                    format!(
                        "The dependency {} is defined multiple times; give each dependency \
                         its own name",
                        dep.name
                    ),
                );
            }
        }
    }

    /// porter-106 … porter-109: what a dependency's parameters,
    /// credentials and outputs are wired to must exist, and `outputs.*`
    /// (the dependency's own outputs) is only for its outputs.
    fn dependency_wiring(&mut self, manifest: &Manifest, dep: &Dependency) {
        let at = (
            dep.span.line,
            dep.span.column,
            format!("dependencies.{}", dep.name),
        );
        let wired = [
            ("parameters", &dep.parameters, false),
            ("credentials", &dep.credentials, false),
            ("outputs", &dep.outputs, true),
        ];
        for (kind, values, own_outputs_allowed) in wired {
            for (key, value) in values {
                let Value::String(text) = value else { continue };
                let Ok(references) = templates::references(text, manifest.template_syntax) else {
                    continue; // The manifest's own checks report bad templates.
                };
                let place = format!("dependencies.{}.{kind}.{key}", dep.name);
                for reference in references {
                    if let Some((code, message)) =
                        wiring_problem(manifest, reference, own_outputs_allowed)
                    {
                        self.error(
                            code,
                            "Dependency error",
                            at.clone(),
                            format!("{place} references {reference}, {message}"),
                        );
                    }
                }
            }
        }
    }
}

/// The names of the parameters `text` names in its templates.
fn parameters_named(text: &str, syntax: TemplateSyntax) -> Vec<&str> {
    templates::references(text, syntax)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|r| r.strip_prefix("bundle.parameters."))
        .map(|rest| rest.split('.').next().unwrap_or(rest))
        .collect()
}

/// What is wrong with `reference` in a dependency's wiring, with Porter's
/// code.
fn wiring_problem(
    manifest: &Manifest,
    reference: &str,
    own_outputs_allowed: bool,
) -> Option<(&'static str, String)> {
    let parts: Vec<&str> = reference.split('.').collect();
    match parts.as_slice() {
        ["bundle", "parameters", name, ..] => {
            (!manifest.parameters.iter().any(|p| p.name == *name)).then(|| {
                (
                    "porter-107",
                    "which is not defined as a parameter on the bundle; declare it under \
                 parameters"
                        .to_string(),
                )
            })
        }
        ["bundle", "credentials", name] => (!manifest.credentials.iter().any(|c| c.name == *name))
            .then(|| {
                (
                    "porter-108",
                    "which is not defined as a credential on the bundle; declare it under \
                 credentials"
                        .to_string(),
                )
            }),
        ["bundle", "dependencies", other, "outputs", _] => undeclared_dependency(manifest, other),
        ["bundle", ..] => None,
        ["installation", "name" | "namespace" | "id"] => None,
        ["outputs", _] if own_outputs_allowed => None,
        ["outputs", ..] => Some((
            "porter-106",
            "but the outputs variable can only be used within a dependency's output mappings"
                .to_string(),
        )),
        _ => Some((
            "porter-106",
            "which is not a supported template variable in the dependencies section \
             (supported: bundle.*, installation.*, and outputs.* inside a dependency's output \
             mappings)"
                .to_string(),
        )),
    }
}

/// porter-109: an output of a dependency that is not declared. (Whether a
/// declared dependency has the output is known once it is resolved.)
fn undeclared_dependency(manifest: &Manifest, dependency: &str) -> Option<(&'static str, String)> {
    let declared = manifest
        .required_dependencies()
        .any(|d| d.name == dependency);
    (!declared).then(|| {
        (
            "porter-109",
            format!(
                "but {dependency} is not declared under dependencies.requires; declare it, or \
                 wire to a dependency that is"
            ),
        )
    })
}
