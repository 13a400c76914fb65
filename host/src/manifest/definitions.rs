//! Parameters, credentials, outputs, state, images, files and dependencies.

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::diagnostics::suggestion;
use super::model::{
    CredentialDefinition, Dependencies, Dependency, FileSource, MappedImage, OutputDefinition,
    ParameterDefinition, ParameterSource, StateVariable,
};
use super::reader::{Fields, Reader, index, join};
use super::yaml::Node;

/// The JSON Schema keywords a parameter or output may carry, as Porter's
/// definition schema accepts them.
pub const SCHEMA_KEYWORDS: &[&str] = &[
    "$comment",
    "$id",
    "$ref",
    "additionalItems",
    "additionalProperties",
    "allOf",
    "anyOf",
    "const",
    "contains",
    "contentEncoding",
    "contentMediaType",
    "default",
    "definitions",
    "dependencies",
    "description",
    "else",
    "enum",
    "examples",
    "exclusiveMaximum",
    "exclusiveMinimum",
    "format",
    "if",
    "items",
    "maxItems",
    "maxLength",
    "maxProperties",
    "maximum",
    "minItems",
    "minLength",
    "minProperties",
    "minimum",
    "multipleOf",
    "not",
    "oneOf",
    "pattern",
    "patternProperties",
    "properties",
    "propertyNames",
    "readOnly",
    "required",
    "then",
    "title",
    "type",
    "uniqueItems",
    "writeOnly",
];

/// The types a parameter may declare: JSON Schema's, plus `file`.
pub const PARAMETER_TYPES: &[&str] = &[
    "string", "integer", "number", "boolean", "object", "array", "file", "null",
];

const PARAMETER_FIELDS: &[&str] = &[
    "name",
    "sensitive",
    "applyTo",
    "env",
    "path",
    "source",
    "persistent",
    "destination",
];
const OUTPUT_FIELDS: &[&str] = &["name", "sensitive", "applyTo", "path"];

/// Reads the `parameters:` list.
pub(crate) fn parameters(r: &mut Reader<'_>, node: &Node) -> Vec<ParameterDefinition> {
    let known: Vec<&str> = PARAMETER_FIELDS
        .iter()
        .chain(SCHEMA_KEYWORDS)
        .copied()
        .collect();
    named_list(
        r,
        node,
        "parameters",
        &known,
        |r, f, path, node| {
            let schema = schema_keywords(r, f, path, PARAMETER_TYPES);
            let (mut env, mut path_field) =
                (r.opt_string(f, "env", path), r.opt_string(f, "path", path));
            if let Some(dest) = f.get("destination") {
                let dpath = join(path, "destination");
                if let Some(d) = r.fields(dest, &dpath, &["env", "path"]) {
                    env = env.or(r.opt_string(&d, "env", &dpath));
                    path_field = path_field.or(r.opt_string(&d, "path", &dpath));
                }
            }
            let source = f.get("source").and_then(|s| {
            let spath = join(path, "source");
            let sf = r.fields(s, &spath, &["dependency", "output"])?;
            let source = ParameterSource {
                dependency: r.opt_string(&sf, "dependency", &spath),
                output: r.opt_string(&sf, "output", &spath),
            };
            if source.output.is_none() {
                r.diags.error(s.span, &spath, "names no output; give `output:` (and `dependency:` for a dependency's output)");
            }
            Some(source)
        });
            ParameterDefinition {
                name: String::new(),
                schema,
                sensitive: r.bool(f, "sensitive", path),
                apply_to: r.strings(f, "applyTo", path),
                env,
                path: path_field,
                source,
                persistent: r.bool(f, "persistent", path),
                span: node.span,
            }
        },
        |p, name| p.name = name,
    )
}

/// Reads the `credentials:` list.
pub(crate) fn credentials(r: &mut Reader<'_>, node: &Node) -> Vec<CredentialDefinition> {
    // Porter's loader ignores a credential's `type`, and real bundles
    // (getporter/examples) have one.
    let known = [
        "name",
        "description",
        "required",
        "applyTo",
        "env",
        "path",
        "type",
    ];
    named_list(
        r,
        node,
        "credentials",
        &known,
        |r, f, path, node| {
            if let Some(ignored) = f.get("type") {
                r.diags.warning(
                    ignored.span,
                    format!("{path}.type"),
                    "a credential has no type; Porter ignores it and so does Wharf (a \
                     credential is passed as text in its `env` or as a file at its `path`), \
                     so remove it",
                );
            }
            CredentialDefinition {
                name: String::new(),
                description: r.opt_string(f, "description", path),
                required: if f.get("required").is_some() {
                    r.bool(f, "required", path)
                } else {
                    true
                },
                apply_to: r.strings(f, "applyTo", path),
                env: r.opt_string(f, "env", path),
                path: r.opt_string(f, "path", path),
                span: node.span,
            }
        },
        |c, name| c.name = name,
    )
}

/// Reads the `outputs:` list.
pub(crate) fn outputs(r: &mut Reader<'_>, node: &Node) -> Vec<OutputDefinition> {
    let known: Vec<&str> = OUTPUT_FIELDS
        .iter()
        .chain(SCHEMA_KEYWORDS)
        .copied()
        .collect();
    named_list(
        r,
        node,
        "outputs",
        &known,
        |r, f, path, node| OutputDefinition {
            name: String::new(),
            schema: schema_keywords(r, f, path, PARAMETER_TYPES),
            sensitive: r.bool(f, "sensitive", path),
            apply_to: r.strings(f, "applyTo", path),
            path: r.opt_string(f, "path", path),
            span: node.span,
        },
        |o, name| o.name = name,
    )
}

/// Reads a list of maps that each need a unique `name`.
fn named_list<T>(
    r: &mut Reader<'_>,
    node: &Node,
    what: &str,
    known: &[&str],
    read: impl Fn(&mut Reader<'_>, &Fields<'_>, &str, &Node) -> T,
    set_name: impl Fn(&mut T, String),
) -> Vec<T> {
    let Some(items) = r.list(node, what) else {
        return Vec::new();
    };
    let mut seen: Vec<(String, usize, serde_json::Value)> = Vec::new();
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = index(what, i);
        let Some(f) = r.fields(item, &path, known) else {
            continue;
        };
        let Some(name) = r.opt_string(&f, "name", &path) else {
            r.missing(item.span, &path, "name", "");
            continue;
        };
        if let Some((_, line, first)) = seen.iter().find(|(n, _, _)| *n == name) {
            // Porter keeps the last of two identical declarations; only a
            // conflicting pair is an error.
            if *first == item.to_json() {
                r.diags.warning(
                    item.span,
                    join(&path, "name"),
                    format!("`{name}` is declared twice in {what}, identically (first at line {line}); remove one"),
                );
            } else {
                r.diags.error(
                    item.span,
                    join(&path, "name"),
                    format!("`{name}` is declared twice in {what} with different settings; the first is at line {line}"),
                );
            }
            continue;
        }
        seen.push((name.clone(), item.span.line, item.to_json()));
        let mut value = read(r, &f, &path, item);
        set_name(&mut value, name);
        out.push(value);
    }
    out
}

/// Collects the JSON Schema keywords of a definition, checking `type` and
/// that `default` and `enum` fit it.
fn schema_keywords(
    r: &mut Reader<'_>,
    f: &Fields<'_>,
    path: &str,
    types: &[&str],
) -> Map<String, Value> {
    let mut schema = Map::new();
    for keyword in SCHEMA_KEYWORDS {
        if let Some(node) = f.get(keyword) {
            schema.insert((*keyword).to_string(), node.to_json());
        }
    }
    if let Some(node) = f.get("type") {
        match node.scalar_text() {
            Some(t) if types.contains(&t) => {}
            Some(t) => r.diags.error(
                node.span,
                join(path, "type"),
                format!(
                    "`{t}` is not a type{} (types: {})",
                    suggestion(t, types.iter().copied()),
                    types.join(", ")
                ),
            ),
            None => r.expected(node, &join(path, "type"), "a type name"),
        }
    }
    let ty = schema
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if let (Some(default), Some(node)) = (schema.get("default"), f.get("default"))
        && !fits_type(default, &ty)
    {
        r.diags.error(
            node.span,
            join(path, "default"),
            format!("the default {default} is not of type {ty}"),
        );
    }
    if let Some(node) = f.get("enum") {
        match node.items() {
            None => r.expected(node, &join(path, "enum"), "a list of allowed values"),
            Some(_)
                if schema
                    .get("default")
                    .is_some_and(|d| !schema["enum"].as_array().is_some_and(|e| e.contains(d))) =>
            {
                r.diags.error(
                    node.span,
                    join(path, "enum"),
                    "does not contain the default value",
                );
            }
            Some(_) => {}
        }
    }
    schema
}

/// Whether a JSON value is of a declared type (untyped and `file` accept a
/// string; integers are numbers too).
fn fits_type(value: &Value, ty: &str) -> bool {
    match ty {
        "" | "file" | "string" => value.is_string() || (ty.is_empty() && !value.is_null()),
        "integer" => value.as_i64().is_some() || value.as_u64().is_some(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        "null" => value.is_null(),
        _ => true,
    }
}

/// Reads `state:`.
pub(crate) fn state(r: &mut Reader<'_>, node: &Node) -> Vec<StateVariable> {
    let Some(items) = r.list(node, "state") else {
        return Vec::new();
    };
    let mut vars = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = index("state", i);
        let Some(f) = r.fields(item, &path, &["name", "description", "path", "mixin"]) else {
            continue;
        };
        let (Some(name), Some(file)) = (
            r.opt_string(&f, "name", &path),
            r.opt_string(&f, "path", &path),
        ) else {
            r.missing(
                item.span,
                &path,
                if f.get("name").is_none() {
                    "name"
                } else {
                    "path"
                },
                "",
            );
            continue;
        };
        vars.push(StateVariable {
            name,
            description: r.opt_string(&f, "description", &path),
            path: file,
            mixin: r.opt_string(&f, "mixin", &path),
        });
    }
    vars
}

/// Reads `images:`.
pub(crate) fn images(r: &mut Reader<'_>, node: &Node) -> IndexMap<String, MappedImage> {
    let mut images = IndexMap::new();
    let Some(entries) = r.map(node, "images") else {
        return images;
    };
    let known = [
        "description",
        "imageType",
        "repository",
        "digest",
        "size",
        "mediaType",
        "labels",
        "tag",
    ];
    for (key, value) in entries {
        let Some(alias) = key.scalar_text() else {
            continue;
        };
        let path = join("images", alias);
        let Some(f) = r.fields(value, &path, &known) else {
            continue;
        };
        let Some(repository) = r.opt_string(&f, "repository", &path) else {
            r.missing(
                value.span,
                &path,
                "repository",
                "; for example `repository: nginx`",
            );
            continue;
        };
        let labels = f
            .get("labels")
            .map(|n| r.json_map(n, &join(&path, "labels")))
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_string)))
            .collect();
        images.insert(
            alias.to_string(),
            MappedImage {
                description: r.opt_string(&f, "description", &path),
                image_type: r.opt_string(&f, "imageType", &path),
                repository,
                digest: r.opt_string(&f, "digest", &path),
                tag: r.opt_string(&f, "tag", &path),
                size: f.get("size").and_then(|n| n.to_json().as_u64()),
                media_type: r.opt_string(&f, "mediaType", &path),
                labels,
            },
        );
    }
    images
}

/// Reads `files:` (schema 1.3.0).
pub(crate) fn files(r: &mut Reader<'_>, node: &Node) -> Vec<FileSource> {
    let Some(items) = r.list(node, "files") else {
        return Vec::new();
    };
    let mut files = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = index("files", i);
        let Some(f) = r.fields(item, &path, &["url", "destination"]) else {
            continue;
        };
        match (
            r.opt_string(&f, "url", &path),
            r.opt_string(&f, "destination", &path),
        ) {
            (Some(url), Some(destination)) => files.push(FileSource { url, destination }),
            (None, _) => r.missing(item.span, &path, "url", ""),
            (_, None) => r.missing(item.span, &path, "destination", ""),
        }
    }
    files
}

/// Reads `dependencies:` (v1 `requires`, and v2's extra fields).
pub(crate) fn dependencies(r: &mut Reader<'_>, node: &Node) -> Dependencies {
    let mut deps = Dependencies {
        requires: Vec::new(),
        provides: None,
    };
    let Some(f) = r.fields(node, "dependencies", &["requires", "provides"]) else {
        return deps;
    };
    deps.provides = f.get("provides").map(Node::to_json);
    let Some(items) = f
        .get("requires")
        .and_then(|n| r.list(n, "dependencies.requires"))
    else {
        return deps;
    };
    let known = [
        "name",
        "bundle",
        "parameters",
        "credentials",
        "outputs",
        "sharing",
    ];
    for (i, item) in items.iter().enumerate() {
        let path = index("dependencies.requires", i);
        let Some(df) = r.fields(item, &path, &known) else {
            continue;
        };
        let Some(name) = r.opt_string(&df, "name", &path) else {
            r.missing(item.span, &path, "name", "");
            continue;
        };
        let mut dep = Dependency {
            name,
            reference: None,
            version: None,
            interface: None,
            parameters: string_map(r, df.get("parameters"), &join(&path, "parameters")),
            credentials: string_map(r, df.get("credentials"), &join(&path, "credentials")),
            outputs: string_map(r, df.get("outputs"), &join(&path, "outputs")),
            sharing: df.get("sharing").map(Node::to_json),
            span: item.span,
        };
        match df.get("bundle") {
            Some(bundle) => {
                let bpath = join(&path, "bundle");
                if let Some(bf) =
                    r.fields(bundle, &bpath, &["reference", "version", "interface", "id"])
                {
                    dep.reference = r.opt_string(&bf, "reference", &bpath);
                    dep.version = r.opt_string(&bf, "version", &bpath);
                    dep.interface = bf.get("interface").map(Node::to_json).or_else(|| {
                        // Dependencies v2 shorthand: `bundle.id` names the interface.
                        bf.get("id")
                            .map(|id| serde_json::json!({ "id": id.to_json() }))
                    });
                    if dep.reference.is_none() && dep.interface.is_none() {
                        r.missing(
                            bundle.span,
                            &bpath,
                            "reference",
                            "; name the bundle to depend on",
                        );
                    }
                }
            }
            None => r.missing(
                item.span,
                &path,
                "bundle",
                "; for example `bundle: {reference: getporter/mysql:v0.1.0}`",
            ),
        }
        deps.requires.push(dep);
    }
    deps
}

fn string_map(r: &mut Reader<'_>, node: Option<&Node>, path: &str) -> IndexMap<String, Value> {
    node.map(|n| r.json_map(n, path).into_iter().collect())
        .unwrap_or_default()
}
