//! The JSON Schema of porter.yaml, with every installed mixin's step and
//! config schema merged in, as Porter's `porter schema` gives it, so editors
//! complete and check mixin steps.
//!
//! Each mixin's `definitions` are copied in under the mixin's name
//! (`exec.installStep`), with their internal `$ref`s rewritten to match;
//! the manifest's step lists then accept any installed mixin's step.

use serde_json::{Map, Value, json};

use super::definitions::{PARAMETER_TYPES, SCHEMA_KEYWORDS};
use super::grants::GRANT_KEY;
use super::parse::SCHEMA_VERSIONS;

/// The porter.yaml schema with `mixins` (name, mixin schema document)
/// merged in.
pub fn manifest_schema(mixins: &[(String, Value)]) -> Value {
    let mut definitions = base_definitions();
    let mut step_refs: Map<String, Value> = Map::new();
    let mut config_entries =
        vec![json!({"type": "string", "description": "A mixin name, optionally NAME@VERSION"})];
    for (name, doc) in mixins {
        if let Some(defs) = doc.get("definitions").and_then(Value::as_object) {
            for (key, def) in defs {
                definitions.insert(format!("{name}.{key}"), rewrite_refs(def, name));
            }
            let config = if defs.contains_key("config") {
                json!({"$ref": format!("#/definitions/{name}.config")})
            } else {
                json!({"type": ["object", "null"]})
            };
            config_entries.push(json!({
                "type": "object",
                "properties": {name: config, GRANT_KEY: {"$ref": "#/definitions/mixinGrant"}},
                "required": [name],
                "additionalProperties": false
            }));
        }
        for kind in ["installStep", "upgradeStep", "invokeStep", "uninstallStep"] {
            let refs = step_refs.entry(kind).or_insert_with(|| json!([]));
            if let Some(list) = refs.as_array_mut() {
                list.push(json!({"$ref": format!("#/definitions/{name}.{kind}")}));
            }
        }
    }
    let steps = |kind: &str| {
        let any_of = step_refs.get(kind).cloned().unwrap_or_else(|| json!([]));
        let items = if any_of.as_array().is_some_and(|a| a.is_empty()) {
            json!({"type": "object", "minProperties": 1, "maxProperties": 1})
        } else {
            json!({"anyOf": any_of})
        };
        json!({"type": "array", "items": items})
    };
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "porter.yaml (Wharf)",
        "type": "object",
        "definitions": definitions,
        "properties": {
            "schemaType": {"type": "string", "enum": ["Bundle", "bundle"]},
            "schemaVersion": {"type": "string", "enum": SCHEMA_VERSIONS},
            "name": {"type": "string", "description": "The bundle's name"},
            "version": {"type": "string", "description": "The bundle's semantic version (or `wharf build --version`)"},
            "tag": {"type": "string", "description": "Deprecated and ignored, as in Porter v1: use registry or reference"},
            "invocationImage": {"type": "string", "description": "Deprecated and ignored, as in Porter v1: use registry or reference"},
            "description": {"type": "string"},
            "maintainers": {"type": "array", "items": {"$ref": "#/definitions/maintainer"}},
            "registry": {"type": "string", "description": "The registry to publish to"},
            "reference": {"type": "string", "description": "The full reference to publish to"},
            "dockerfile": {"type": "string", "description": "A Dockerfile template, relative to porter.yaml"},
            "custom": {"type": "object"},
            "required": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "object", "minProperties": 1, "maxProperties": 1}]}},
            "mixins": {"type": "array", "items": {"anyOf": config_entries}},
            "install": steps("installStep"),
            "upgrade": steps("upgradeStep"),
            "uninstall": steps("uninstallStep"),
            "customActions": {"type": "object", "additionalProperties": {"$ref": "#/definitions/customAction"}},
            "parameters": {"type": "array", "items": {"$ref": "#/definitions/parameter"}},
            "credentials": {"type": "array", "items": {"$ref": "#/definitions/credential"}},
            "outputs": {"type": "array", "items": {"$ref": "#/definitions/output"}},
            "state": {"type": "array", "items": {"$ref": "#/definitions/state"}},
            "images": {"type": "object", "additionalProperties": {"$ref": "#/definitions/image"}},
            "files": {"type": "array", "items": {"$ref": "#/definitions/file"}},
            "dependencies": {"$ref": "#/definitions/dependencies"}
        },
        "required": ["schemaVersion", "name", "install"],
        "additionalProperties": steps("invokeStep")
    })
}

/// Rewrites `#/definitions/X` to `#/definitions/<mixin>.X`.
fn rewrite_refs(value: &Value, mixin: &str) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = match (k.as_str(), v.as_str()) {
                        ("$ref", Some(r)) => match r.strip_prefix("#/definitions/") {
                            Some(target) => json!(format!("#/definitions/{mixin}.{target}")),
                            None => v.clone(),
                        },
                        _ => rewrite_refs(v, mixin),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| rewrite_refs(v, mixin)).collect()),
        other => other.clone(),
    }
}

fn schema_properties(extra: Value) -> Value {
    let mut props: Map<String, Value> = SCHEMA_KEYWORDS
        .iter()
        .map(|k| ((*k).to_string(), json!({})))
        .collect();
    props.insert(
        "type".into(),
        json!({"type": "string", "enum": PARAMETER_TYPES}),
    );
    props.insert("description".into(), json!({"type": "string"}));
    if let Value::Object(extra) = extra {
        props.extend(extra);
    }
    Value::Object(props)
}

fn base_definitions() -> Map<String, Value> {
    let apply_to = json!({"type": "array", "items": {"type": "string"}, "description": "The actions this applies to; all when absent"});
    let defs = json!({
        "mixinGrant": {
            "type": "object",
            "description": "Wharf: what the mixin may have beyond its sandbox",
            "properties": {"env": {"type": "array", "items": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"}, "description": "Environment variables execute may read, each by name"}},
            "additionalProperties": false
        },
        "maintainer": {"type": "object", "properties": {"name": {"type": "string"}, "email": {"type": "string"}, "url": {"type": "string"}}, "additionalProperties": false},
        "customAction": {"type": ["object", "null"], "properties": {"description": {"type": "string"}, "modifies": {"type": "boolean"}, "stateless": {"type": "boolean"}}, "additionalProperties": false},
        "parameter": {
            "type": "object",
            "properties": schema_properties(json!({
                "name": {"type": "string"},
                "sensitive": {"type": "boolean"},
                "applyTo": apply_to,
                "env": {"type": "string", "description": "The environment variable the value is passed in"},
                "path": {"type": "string", "description": "The file the value is written to"},
                "persistent": {"type": "boolean"},
                "destination": {"type": "object", "properties": {"env": {"type": "string"}, "path": {"type": "string"}}, "additionalProperties": false},
                "source": {"type": "object", "properties": {"dependency": {"type": "string"}, "output": {"type": "string"}}, "additionalProperties": false}
            })),
            "required": ["name"],
            "additionalProperties": false
        },
        "credential": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "description": {"type": "string"}, "required": {"type": "boolean"}, "applyTo": apply_to, "env": {"type": "string"}, "path": {"type": "string"}, "type": {"description": "Ignored, as Porter ignores it"}},
            "required": ["name"],
            "additionalProperties": false
        },
        "output": {
            "type": "object",
            "properties": schema_properties(json!({"name": {"type": "string"}, "sensitive": {"type": "boolean"}, "applyTo": apply_to, "path": {"type": "string"}})),
            "required": ["name"],
            "additionalProperties": false
        },
        "state": {"type": "object", "properties": {"name": {"type": "string"}, "description": {"type": "string"}, "path": {"type": "string"}, "mixin": {"type": "string"}}, "required": ["name", "path"], "additionalProperties": false},
        "image": {
            "type": "object",
            "properties": {"description": {"type": "string"}, "imageType": {"type": "string"}, "repository": {"type": "string"}, "digest": {"type": "string"}, "size": {"type": "integer"}, "mediaType": {"type": "string"}, "labels": {"type": "object"}, "tag": {"type": "string"}},
            "required": ["repository"],
            "additionalProperties": false
        },
        "file": {"type": "object", "properties": {"url": {"type": "string"}, "destination": {"type": "string"}}, "required": ["url", "destination"], "additionalProperties": false},
        "dependencies": {
            "type": "object",
            "properties": {
                "requires": {"type": "array", "items": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "bundle": {"type": "object", "properties": {"reference": {"type": "string"}, "version": {"type": "string"}, "interface": {"type": "object"}, "id": {"type": "string"}}, "additionalProperties": false},
                        "parameters": {"type": "object"},
                        "credentials": {"type": "object"},
                        "outputs": {"type": "object"},
                        "sharing": {"type": "object"}
                    },
                    "required": ["name", "bundle"],
                    "additionalProperties": false
                }},
                "provides": {"type": "object"}
            },
            "additionalProperties": false
        }
    });
    match defs {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}
