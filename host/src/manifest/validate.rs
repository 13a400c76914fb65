//! Checks across fields: what `applyTo`, parameter sources and templates
//! point at must exist.

use std::collections::BTreeSet;

use super::diagnostics::{Diagnostics, suggestion};
use super::model::Manifest;
use super::templates;
use super::work_dirs;
use super::yaml::{Node, Span, Yaml};

/// Bundle metadata a template may name: `bundle.name` and friends.
const BUNDLE_METADATA: &[&str] = &["name", "version", "description", "installerImage"];
/// Installation metadata: `installation.name` and `installation.namespace`.
const INSTALLATION_METADATA: &[&str] = &["name", "namespace"];
/// The fields of `bundle.images.<alias>`.
const IMAGE_FIELDS: &[&str] = &[
    "repository",
    "digest",
    "tag",
    "imageType",
    "mediaType",
    "size",
    "labels",
    "description",
];
/// Well-known custom actions that need no steps of their own to be named.
const STANDARD_ACTIONS: &[&str] = &["install", "upgrade", "uninstall"];

/// Adds every cross-field problem of `manifest` to `diags`.
pub(crate) fn check(manifest: &Manifest, diags: &mut Diagnostics) {
    check_apply_to(manifest, diags);
    check_parameters(manifest, diags);
    check_custom_actions(manifest, diags);
    check_templates(manifest, diags);
    check_work_dirs(manifest, diags);
}

/// Each mixin's configured working directories (see [`work_dirs`]) stay
/// inside the bundle directory and are its own: two mixins that shared one
/// could rewrite each other's files. A step's own `workingDir` is the
/// mixin's to lint (terraform does) and the runtime's to refuse.
fn check_work_dirs(manifest: &Manifest, diags: &mut Diagnostics) {
    let mut owners: Vec<(&str, std::path::PathBuf)> = Vec::new();
    for mixin in &manifest.mixins {
        let dirs = match work_dirs::configured(&mixin.name, mixin.config.as_ref()) {
            Ok(dirs) => dirs,
            Err(why) => {
                diags.error(mixin.span, format!("mixins.{}", mixin.name), why);
                continue;
            }
        };
        for dir in dirs {
            if let Some((other, _)) = owners
                .iter()
                .find(|(other, theirs)| *other != mixin.name && work_dirs::overlap(theirs, &dir))
            {
                diags.error(
                    mixin.span,
                    format!("mixins.{}", mixin.name),
                    format!(
                        "its working directory `{}` overlaps the {other} mixin's; each mixin \
                         writes only in a directory of its own, so give it another `{}`",
                        dir.display(),
                        work_dirs::WORKING_DIR
                    ),
                );
            }
            owners.push((&mixin.name, dir));
        }
    }
}

fn action_names(manifest: &Manifest) -> Vec<&str> {
    let mut names: Vec<&str> = STANDARD_ACTIONS.to_vec();
    names.extend(manifest.custom_actions.keys().map(String::as_str));
    names.extend(
        manifest
            .custom_action_definitions
            .keys()
            .map(String::as_str),
    );
    names
}

fn check_apply_to(manifest: &Manifest, diags: &mut Diagnostics) {
    let actions = action_names(manifest);
    let mut check = |what: &str, name: &str, span: Span, apply_to: &[String]| {
        for action in apply_to {
            if !actions.contains(&action.as_str()) {
                diags.error(
                    span,
                    format!("{what}.{name}.applyTo"),
                    format!(
                        "names the action `{action}`, which the bundle does not define{}",
                        suggestion(action, actions.iter().copied())
                    ),
                );
            }
        }
    };
    for p in &manifest.parameters {
        check("parameters", &p.name, p.span, &p.apply_to);
    }
    for c in &manifest.credentials {
        check("credentials", &c.name, c.span, &c.apply_to);
    }
    for o in &manifest.outputs {
        check("outputs", &o.name, o.span, &o.apply_to);
    }
}

fn check_parameters(manifest: &Manifest, diags: &mut Diagnostics) {
    let outputs: Vec<&str> = manifest.outputs.iter().map(|o| o.name.as_str()).collect();
    let deps: Vec<&str> = dependency_names(manifest);
    for p in &manifest.parameters {
        let field = format!("parameters.{}", p.name);
        if p.is_file() && p.path.is_none() {
            diags.error(
                p.span,
                &field,
                "is a file parameter without a `path`; say where in the image the file goes",
            );
        }
        if p.env.is_some() && p.path.is_some() {
            diags.error(
                p.span,
                &field,
                "gives both `env` and `path`; a parameter goes to one place",
            );
        }
        let Some(source) = &p.source else { continue };
        match (&source.dependency, &source.output) {
            (Some(dep), _) if !deps.contains(&dep.as_str()) => diags.error(
                p.span,
                format!("{field}.source.dependency"),
                format!(
                    "names the dependency `{dep}`, which is not declared{}",
                    suggestion(dep, deps.iter().copied())
                ),
            ),
            (None, Some(output)) if !outputs.contains(&output.as_str()) => diags.error(
                p.span,
                format!("{field}.source.output"),
                format!(
                    "names the output `{output}`, which is not declared{}",
                    suggestion(output, outputs.iter().copied())
                ),
            ),
            _ => {}
        }
    }
}

fn check_custom_actions(manifest: &Manifest, diags: &mut Diagnostics) {
    for (name, steps) in &manifest.custom_actions {
        if STANDARD_ACTIONS.contains(&name.as_str()) {
            continue;
        }
        if steps.is_empty()
            && let Some(span) = manifest.spans.get(name)
        {
            diags.warning(*span, name, "the custom action has no steps");
        }
    }
    for name in manifest.custom_action_definitions.keys() {
        if !manifest.custom_actions.contains_key(name) {
            let span = manifest
                .spans
                .get("customActions")
                .copied()
                .unwrap_or_default();
            diags.warning(
                span,
                format!("customActions.{name}"),
                "is declared but has no steps; add a top-level list of steps with this name",
            );
        }
    }
}

fn dependency_names(manifest: &Manifest) -> Vec<&str> {
    manifest
        .required_dependencies()
        .map(|r| r.name.as_str())
        .collect()
}

/// Checks every template reference in every step.
fn check_templates(manifest: &Manifest, diags: &mut Diagnostics) {
    let step_outputs: BTreeSet<String> = manifest
        .actions()
        .into_iter()
        .flat_map(|(_, steps)| steps.iter())
        .filter_map(|s| s.body.get("outputs"))
        .filter_map(Node::items)
        .flatten()
        .filter_map(|o| {
            o.get("name")
                .and_then(Node::scalar_text)
                .map(str::to_string)
        })
        .collect();
    let known = Known {
        manifest,
        step_outputs,
        deps: dependency_names(manifest),
    };
    for (action, steps) in manifest.actions() {
        for (i, step) in steps.iter().enumerate() {
            let field = format!("{action}[{i}].{}", step.mixin);
            visit_scalars(&step.body, &mut |text, span| match templates::references(
                text,
                manifest.template_syntax,
            ) {
                Err(problem) => diags.error(span, &field, problem),
                Ok(refs) => {
                    for reference in refs {
                        if let Err(problem) = known.check(reference) {
                            diags.error(span, &field, problem);
                        }
                    }
                }
            });
        }
    }
}

/// Calls `f` with every scalar's text and position.
pub fn visit_scalars(node: &Node, f: &mut impl FnMut(&str, Span)) {
    match &node.value {
        Yaml::Scalar(text, _) => f(text, node.span),
        Yaml::Seq(items) => items.iter().for_each(|n| visit_scalars(n, f)),
        Yaml::Map(entries) => entries.iter().for_each(|(_, v)| visit_scalars(v, f)),
    }
}

struct Known<'m> {
    manifest: &'m Manifest,
    step_outputs: BTreeSet<String>,
    deps: Vec<&'m str>,
}

impl Known<'_> {
    fn check(&self, reference: &str) -> Result<(), String> {
        let m = self.manifest;
        let parts: Vec<&str> = reference.split('.').collect();
        let undeclared = |kind: &str, name: &str, names: Vec<&str>| {
            Err(format!(
                "the template `{reference}` refers to the {kind} `{name}`, which is not declared{}",
                suggestion(name, names)
            ))
        };
        match parts.as_slice() {
            ["bundle", "parameters", name, ..] => {
                let names: Vec<&str> = m.parameters.iter().map(|p| p.name.as_str()).collect();
                if names.contains(name) {
                    Ok(())
                } else {
                    undeclared("parameter", name, names)
                }
            }
            ["bundle", "credentials", name] => {
                let names: Vec<&str> = m.credentials.iter().map(|c| c.name.as_str()).collect();
                if names.contains(name) {
                    Ok(())
                } else {
                    undeclared("credential", name, names)
                }
            }
            ["bundle", "outputs", name] => {
                let mut names: Vec<&str> = m.outputs.iter().map(|o| o.name.as_str()).collect();
                names.extend(self.step_outputs.iter().map(String::as_str));
                if names.contains(name) {
                    Ok(())
                } else {
                    undeclared("output", name, names)
                }
            }
            ["bundle", "dependencies", dep, "outputs", _output] => {
                if self.deps.contains(dep) {
                    Ok(())
                } else {
                    undeclared("dependency", dep, self.deps.clone())
                }
            }
            // A dependency's metadata, which Porter's runtime fills from the
            // dependency's bundle (Porter accepts them whatever the alias).
            [
                "bundle",
                "dependencies",
                _dep,
                "name" | "version" | "description",
            ] => Ok(()),
            ["bundle", "images", alias, field] => {
                let names: Vec<&str> = m.images.keys().map(String::as_str).collect();
                if !names.contains(alias) {
                    return undeclared("image", alias, names);
                }
                if IMAGE_FIELDS.contains(field) {
                    Ok(())
                } else {
                    Err(format!(
                        "the template `{reference}` asks for `{field}`, which images do not have; use one of {}",
                        IMAGE_FIELDS.join(", ")
                    ))
                }
            }
            ["bundle", "custom", key, ..] => {
                if m.custom.contains_key(*key) {
                    Ok(())
                } else {
                    undeclared(
                        "custom value",
                        key,
                        m.custom.keys().map(String::as_str).collect(),
                    )
                }
            }
            ["bundle", field] if BUNDLE_METADATA.contains(field) => Ok(()),
            ["installation", field] if INSTALLATION_METADATA.contains(field) => Ok(()),
            ["env", name] if !name.is_empty() => Ok(()),
            _ => Err(format!(
                "`{reference}` is not something a template can name; use bundle.parameters.*, bundle.credentials.*, \
                 bundle.outputs.*, bundle.dependencies.*.outputs.*, \
                 bundle.dependencies.*.{{name,version,description}}, bundle.images.*, bundle.custom.*, \
                 bundle.{{name,version,description,installerImage}}, installation.{{name,namespace}} or env.*"
            )),
        }
    }
}
