//! From the positioned YAML tree to a [`Manifest`], collecting every problem.

use std::path::Path;

use indexmap::IndexMap;

use super::definitions::{credentials, dependencies, files, images, outputs, parameters, state};
use super::diagnostics::{Diagnostics, ManifestError, did_you_mean, suggestion};
use super::grants::{GRANT_KEY, MixinGrant, read_grant};
use super::model::{
    CustomActionDefinition, Maintainer, Manifest, MixinDeclaration, RequiredExtension, Step,
    TemplateSyntax,
};
use super::reader::{Fields, Reader, index, join};
use super::yaml::{self, Node, Span};

/// The top-level fields of porter.yaml. Any other key holding a list is a
/// custom action.
pub const TOP_LEVEL_FIELDS: &[&str] = &[
    "schemaType",
    "schemaVersion",
    "name",
    "version",
    "description",
    "maintainers",
    "registry",
    "reference",
    "dockerfile",
    "custom",
    "required",
    "mixins",
    "install",
    "upgrade",
    "uninstall",
    "customActions",
    "parameters",
    "credentials",
    "outputs",
    "state",
    "images",
    "files",
    "dependencies",
];

/// The schema versions Wharf reads.
pub const SCHEMA_VERSIONS: &[&str] =
    &["1.0.0-alpha.1", "1.0.0", "1.0.1", "1.1.0", "1.2.0", "1.3.0"];

/// Fields Porter v1 deprecated and ignores, with a warning, and what
/// replaced them.
const REMOVED_FIELDS: &[(&str, &str)] = &[
    (
        "tag",
        "deprecated and ignored, as Porter v1 ignores it; use `registry` (the tag defaults to \
         v<version>) or `reference`",
    ),
    (
        "invocationImage",
        "deprecated and ignored, as Porter v1 ignores it; the image is named from `registry` \
         or `reference`",
    ),
];

/// Parses porter.yaml text. `file` names it in diagnostics. Warnings alone
/// do not fail the parse; they are returned alongside the manifest.
pub fn parse(text: &str, file: &Path) -> Result<(Manifest, Vec<super::Diagnostic>), ManifestError> {
    let fail = |diags: Diagnostics, partial: Option<Manifest>| ManifestError {
        file: file.to_path_buf(),
        diagnostics: diags.into_sorted(),
        partial: partial.map(Box::new),
    };
    let mut diags = Diagnostics::default();
    let (root, issues) = match yaml::parse(text) {
        Ok(parsed) => parsed,
        Err(issue) => {
            diags.error(issue.span, "", issue.message);
            return Err(fail(diags, None));
        }
    };
    for issue in issues {
        diags.error(issue.span, "", issue.message);
    }
    let Some(root) = root else {
        diags.error(
            Span { line: 1, column: 1 },
            "",
            "the manifest is empty; run `wharf create` for a starting point",
        );
        return Err(fail(diags, None));
    };
    let manifest = read_manifest(&root, &mut diags);
    match manifest {
        Some(manifest) if !diags.has_errors() => Ok((manifest, diags.into_sorted())),
        partial => Err(fail(diags, partial)),
    }
}

fn read_manifest(root: &Node, diags: &mut Diagnostics) -> Option<Manifest> {
    let mut r = Reader { diags };
    let entries = r.map(root, "")?;
    // Unknown top-level keys are custom actions, checked below.
    let top = Fields::from_entries(entries);
    let mut spans = IndexMap::new();
    for (key, _) in entries {
        if let Some(name) = key.scalar_text() {
            spans.insert(name.to_string(), key.span);
        }
    }
    // A missing key is reported at the top of the document, not at
    // whatever token the root mapping happens to start with.
    let top_of_document = Span { line: 1, column: 1 };
    let at = |key: &str| spans.get(key).copied().unwrap_or(top_of_document);

    let schema_type = r.opt_string(&top, "schemaType", "");
    if let Some(t) = &schema_type
        && !t.eq_ignore_ascii_case("bundle")
    {
        r.diags.error(
            at("schemaType"),
            "schemaType",
            format!("must be `Bundle`, not `{t}`"),
        );
    }
    let schema_version = r.opt_string(&top, "schemaVersion", "");
    if schema_version.is_none() {
        // Porter v1: "(none) is not a valid semantic version: invalid
        // schema version". Pre-v1 manifests had none.
        r.missing(
            top_of_document,
            "",
            "schemaVersion",
            &format!(
                "; Porter v1 needs one: add `schemaVersion: 1.0.0-alpha.1` to keep `{{{{ }}}}` \
                 templates, or `schemaVersion: 1.0.1` with `${{ }}` ones (Wharf reads {})",
                SCHEMA_VERSIONS.join(", ")
            ),
        );
    }
    let template_syntax = match schema_version.as_deref() {
        None | Some("1.0.0-alpha.1") => TemplateSyntax::Mustache,
        Some(v) => {
            if !SCHEMA_VERSIONS.contains(&v) {
                r.diags.error(
                    at("schemaVersion"),
                    "schemaVersion",
                    format!(
                        "`{v}` is not a schema version Wharf reads; use one of {}",
                        SCHEMA_VERSIONS.join(", ")
                    ),
                );
            }
            TemplateSyntax::Dollar
        }
    };

    let name = r.opt_string(&top, "name", "");
    match &name {
        None => r.missing(
            top_of_document,
            "",
            "name",
            "; give the bundle a name, for example `name: hello`",
        ),
        Some(n) if !is_valid_bundle_name(n) => r.diags.error(
            at("name"),
            "name",
            format!("`{n}` is not a valid bundle name; {BUNDLE_NAME_RULE}"),
        ),
        Some(_) => {}
    }
    let version = read_version(&mut r, &top, at("version"), top_of_document);

    let mixins = read_mixins(&mut r, top.get("mixins"));
    let declared: Vec<&str> = mixins.iter().map(|m| m.name.as_str()).collect();

    let mut custom_actions = IndexMap::new();
    let mut install = Vec::new();
    let mut upgrade = Vec::new();
    let mut uninstall = Vec::new();
    for (key, value) in entries {
        let Some(action) = key.scalar_text() else {
            continue;
        };
        match action {
            "install" => install = read_steps(&mut r, value, action, &declared),
            "upgrade" => upgrade = read_steps(&mut r, value, action, &declared),
            "uninstall" => uninstall = read_steps(&mut r, value, action, &declared),
            known if TOP_LEVEL_FIELDS.contains(&known) => {}
            removed if REMOVED_FIELDS.iter().any(|(f, _)| *f == removed) => {
                let why = REMOVED_FIELDS
                    .iter()
                    .find(|(f, _)| *f == removed)
                    .map(|(_, w)| *w)
                    .unwrap_or_default();
                r.diags.warning(key.span, removed, why);
            }
            other => {
                if value.items().is_some()
                    && (looks_like_steps(value, &declared)
                        || did_you_mean(other, TOP_LEVEL_FIELDS.iter().copied()).is_none())
                {
                    let steps = read_steps(&mut r, value, other, &declared);
                    custom_actions.insert(other.to_string(), steps);
                } else {
                    r.diags.error(
                        key.span,
                        other,
                        format!(
                            "unknown field `{other}`{}; a custom action is a list of steps",
                            suggestion(other, TOP_LEVEL_FIELDS.iter().copied())
                        ),
                    );
                }
            }
        }
    }
    if !top.has("install") {
        r.missing(
            top_of_document,
            "",
            "install",
            "; every bundle needs an install action with at least one step",
        );
    }

    let custom_action_definitions =
        read_custom_action_definitions(&mut r, top.get("customActions"));
    let parameters = top
        .get("parameters")
        .map(|n| parameters(&mut r, n))
        .unwrap_or_default();
    let credentials = top
        .get("credentials")
        .map(|n| credentials(&mut r, n))
        .unwrap_or_default();
    let outputs = top
        .get("outputs")
        .map(|n| outputs(&mut r, n))
        .unwrap_or_default();
    let state = top
        .get("state")
        .map(|n| state(&mut r, n))
        .unwrap_or_default();
    let images = top
        .get("images")
        .map(|n| images(&mut r, n))
        .unwrap_or_default();
    let files = top
        .get("files")
        .map(|n| files(&mut r, n))
        .unwrap_or_default();
    let dependencies = top.get("dependencies").map(|n| dependencies(&mut r, n));

    let manifest = Manifest {
        schema_type,
        schema_version,
        template_syntax,
        name: name.unwrap_or_default(),
        version,
        description: r.opt_string(&top, "description", ""),
        maintainers: read_maintainers(&mut r, top.get("maintainers")),
        registry: r.opt_string(&top, "registry", ""),
        reference: r.opt_string(&top, "reference", ""),
        dockerfile: r.opt_string(&top, "dockerfile", ""),
        custom: top
            .get("custom")
            .map(|n| r.json_map(n, "custom"))
            .unwrap_or_default(),
        required: read_required(&mut r, top.get("required")),
        mixins,
        install,
        upgrade,
        uninstall,
        custom_actions,
        custom_action_definitions,
        parameters,
        credentials,
        outputs,
        state,
        images,
        files,
        dependencies,
        spans,
    };
    super::validate::check(&manifest, r.diags);
    Some(manifest)
}

/// What [`is_valid_bundle_name`] asks of a name, for messages.
pub const BUNDLE_NAME_RULE: &str = "use lowercase letters, digits, '.', '_' and '-' (and '/' \
    between parts), starting and ending with a letter or digit";

/// Whether `name` is a bundle name Porter accepts. A bundle name becomes
/// an image repository, so it follows the OCI rules for repository paths:
/// lowercase components separated by `/`.
pub fn is_valid_bundle_name(name: &str) -> bool {
    name.split('/').all(|part| {
        part.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && part.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && part.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
            })
    })
}

/// A bundle version as Porter takes it: semantic, a leading `v` allowed.
pub fn parse_bundle_version(text: &str) -> Result<semver::Version, semver::Error> {
    semver::Version::parse(text.strip_prefix('v').unwrap_or(text))
}

fn read_version(
    r: &mut Reader<'_>,
    top: &Fields<'_>,
    span: Span,
    root: Span,
) -> Option<semver::Version> {
    let Some(text) = r.opt_string(top, "version", "") else {
        // Porter lints it and takes the version from `build --version`.
        r.diags.warning(
            root,
            "version",
            "is missing; `wharf build` needs one: add `version: 0.1.0`, or pass \
             `wharf build --version 0.1.0` as Porter does",
        );
        return None;
    };
    match parse_bundle_version(&text) {
        Ok(v) => Some(v),
        Err(e) => {
            r.diags.error(
                span,
                "version",
                format!("`{text}` is not a semantic version ({e}); use MAJOR.MINOR.PATCH, for example 0.1.0"),
            );
            None
        }
    }
}

fn read_maintainers(r: &mut Reader<'_>, node: Option<&Node>) -> Vec<Maintainer> {
    let Some(items) = node.and_then(|n| r.list(n, "maintainers")) else {
        return Vec::new();
    };
    let mut maintainers = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = index("maintainers", i);
        if let Some(f) = r.fields(item, &path, &["name", "email", "url"]) {
            maintainers.push(Maintainer {
                name: r.opt_string(&f, "name", &path),
                email: r.opt_string(&f, "email", &path),
                url: r.opt_string(&f, "url", &path),
            });
        }
    }
    maintainers
}

fn read_required(r: &mut Reader<'_>, node: Option<&Node>) -> Vec<RequiredExtension> {
    let Some(items) = node.and_then(|n| r.list(n, "required")) else {
        return Vec::new();
    };
    let mut required = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = index("required", i);
        if let Some(name) = item.scalar_text() {
            required.push(RequiredExtension {
                name: name.to_string(),
                config: None,
            });
        } else if let Some([(key, value)]) = item.entries() {
            let name = r.string(key, &path).unwrap_or_default();
            required.push(RequiredExtension {
                name,
                config: (!value.is_null()).then(|| value.to_json()),
            });
        } else {
            r.expected(
                item,
                &path,
                "an extension name, or a map of one name to its configuration",
            );
        }
    }
    required
}

fn read_mixins(r: &mut Reader<'_>, node: Option<&Node>) -> Vec<MixinDeclaration> {
    let Some(items) = node.and_then(|n| r.list(n, "mixins")) else {
        return Vec::new();
    };
    let mut mixins: Vec<MixinDeclaration> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = index("mixins", i);
        let mut grant = MixinGrant::default();
        let (spec, config) = if item.is_null() {
            r.diags
                .warning(item.span, &path, "an empty entry in mixins is ignored");
            continue;
        } else if let Some(text) = item.scalar_text() {
            (text.to_string(), None)
        } else if let Some((key, value, granted)) = mixin_entry(item) {
            let Some(spec) = r.string(key, &path) else {
                continue;
            };
            if let Some(node) = granted {
                grant = read_grant(r, node, &path);
            }
            (spec, (!value.is_null()).then(|| value.to_json()))
        } else {
            r.expected(
                item,
                &path,
                "a mixin name (`exec`, `helm3@1.0.0`) or a map of one name to its config, with \
                 an optional `grant`",
            );
            continue;
        };
        let (name, constraint) = match spec.split_once('@') {
            Some((name, constraint)) => (name.to_string(), Some(constraint.to_string())),
            None => (spec.clone(), None),
        };
        if name.is_empty() || constraint.as_deref() == Some("") {
            r.diags.error(
                item.span,
                &path,
                format!("`{spec}` is not a mixin name; use NAME or NAME@VERSION"),
            );
            continue;
        }
        if let Some(first) = mixins.iter().find(|m| m.name == name) {
            r.diags.error(
                item.span,
                &path,
                format!(
                    "the {name} mixin is declared twice; the first is at line {}",
                    first.span.line
                ),
            );
            continue;
        }
        mixins.push(MixinDeclaration {
            name,
            constraint,
            config,
            grant,
            span: item.span,
        });
    }
    mixins
}

/// The name, config and grant of a `mixins:` entry that is a map: its
/// one key, or its one key beside `grant`.
fn mixin_entry(item: &Node) -> Option<(&Node, &Node, Option<&Node>)> {
    let is_grant = |key: &Node| key.scalar_text() == Some(GRANT_KEY);
    match item.entries()? {
        [(key, value)] => Some((key, value, None)),
        [(a, va), (b, vb)] if is_grant(a) != is_grant(b) => Some(if is_grant(b) {
            (a, va, Some(vb))
        } else {
            (b, vb, Some(va))
        }),
        _ => None,
    }
}

/// True when every item is a step of a declared mixin (or empty).
fn looks_like_steps(node: &Node, declared: &[&str]) -> bool {
    node.items().is_some_and(|items| {
        items.iter().all(|item| {
            item.is_null()
                || matches!(item.entries(), Some([(k, _)]) if k.scalar_text().is_some_and(|m| declared.contains(&m)))
        })
    })
}

fn read_steps(r: &mut Reader<'_>, node: &Node, action: &str, declared: &[&str]) -> Vec<Step> {
    if node.is_null() {
        return Vec::new();
    }
    let Some(items) = r.list(node, action) else {
        return Vec::new();
    };
    let mut steps = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = index(action, i);
        let Some(entries) = item.entries().filter(|e| !e.is_empty()) else {
            if item.is_null() {
                r.diags.error(
                    item.span,
                    &path,
                    format!(
                        "found an empty step in {action}; remove the empty `-` or give it a mixin"
                    ),
                );
            } else {
                r.expected(item, &path, "a step: a map of one mixin name to the step");
            }
            continue;
        };
        if entries.len() > 1 {
            let names: Vec<&str> = entries
                .iter()
                .filter_map(|(k, _)| k.scalar_text())
                .collect();
            r.diags.error(
                item.span,
                &path,
                format!(
                    "a step names exactly one mixin, but this one names {}; check the indentation",
                    names.join(", ")
                ),
            );
            continue;
        }
        let (key, body) = &entries[0];
        let Some(mixin) = r.string(key, &path) else {
            continue;
        };
        if !declared.contains(&mixin.as_str()) {
            r.diags.error(
                key.span,
                join(&path, &mixin),
                format!(
                    "the step uses the {mixin} mixin, which is not declared in `mixins`{}",
                    did_you_mean(&mixin, declared.iter().copied())
                        .map(|m| format!("; did you mean `{m}`?"))
                        .unwrap_or_else(|| format!("; add `- {mixin}` to mixins"))
                ),
            );
        }
        if body.entries().is_none() {
            r.expected(body, &join(&path, &mixin), "a map of the step's fields");
            continue;
        }
        let description = body
            .get("description")
            .and_then(Node::scalar_text)
            .map(str::to_string);
        // Point at the mixin's name: where a person looks for the step.
        steps.push(Step {
            mixin,
            body: body.clone(),
            description,
            span: key.span,
        });
    }
    steps
}

fn read_custom_action_definitions(
    r: &mut Reader<'_>,
    node: Option<&Node>,
) -> IndexMap<String, CustomActionDefinition> {
    let mut defs = IndexMap::new();
    let Some(entries) = node.and_then(|n| r.map(n, "customActions")) else {
        return defs;
    };
    for (key, value) in entries {
        let Some(name) = key.scalar_text() else {
            continue;
        };
        let path = join("customActions", name);
        if value.is_null() {
            defs.insert(name.to_string(), CustomActionDefinition::default());
            continue;
        }
        if let Some(f) = r.fields(value, &path, &["description", "modifies", "stateless"]) {
            defs.insert(
                name.to_string(),
                CustomActionDefinition {
                    description: r.opt_string(&f, "description", &path),
                    modifies: r.bool(&f, "modifies", &path),
                    stateless: r.bool(&f, "stateless", &path),
                },
            );
        }
    }
    defs
}
