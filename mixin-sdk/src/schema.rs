//! JSON Schema documents in the shape Porter's `mixin schema` prints.
//!
//! Porter (and Wharf's `wharf schema`) merges each mixin's document into the
//! porter.yaml schema by reading `definitions.installStep`, `upgradeStep`,
//! `invokeStep`, `uninstallStep` and `config`. A mixin author writes only the
//! schema of one step body (and of the config, if any); [`porter_document`]
//! wraps it. The fragments here describe the shared step fields so every
//! mixin documents them the same way.

use serde_json::{Value, json};

/// Wraps a step schema (and an optional config schema) into Porter's mixin
/// schema document for the mixin called `name`.
pub fn porter_document(name: &str, step: Value, config: Option<Value>) -> Value {
    let step_ref = json!({ "$ref": format!("#/definitions/{name}") });
    let wrapper = json!({
        "type": "object",
        "properties": { name: step_ref },
        "additionalProperties": false,
        "required": [name],
    });
    let mut definitions = serde_json::Map::new();
    for key in ["installStep", "upgradeStep", "invokeStep", "uninstallStep"] {
        definitions.insert(key.into(), wrapper.clone());
    }
    definitions.insert(name.into(), step);
    if let Some(config) = config {
        definitions.insert("config".into(), config);
    }
    let steps =
        |kind: &str| json!({"type": "array", "items": {"$ref": format!("#/definitions/{kind}")}});
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "definitions": definitions,
        "type": "object",
        "properties": {
            "install": steps("installStep"),
            "upgrade": steps("upgradeStep"),
            "uninstall": steps("uninstallStep"),
        },
        "additionalProperties": steps("invokeStep"),
    })
}

/// `description`: the step's description.
pub fn description() -> Value {
    json!({"description": "A description of the mixin step", "type": "string", "minLength": 1})
}

/// A list of strings (numbers and booleans are accepted and stringified).
pub fn string_list(what: &str) -> Value {
    json!({"description": what, "type": "array", "items": {"type": ["string", "number", "boolean"]}})
}

/// `flags`: a map of flag names to a value, a list of values, or null.
pub fn flags() -> Value {
    json!({
        "description": "Flags to pass to the command; a one-letter name gets -, a longer one --",
        "type": "object",
        "additionalProperties": {
            "type": ["null", "boolean", "number", "string", "array"],
            "items": {"type": ["string", "number", "boolean"]}
        }
    })
}

/// `envs`: environment variables for the command.
pub fn envs() -> Value {
    json!({
        "description": "Environment variables to set for the command",
        "type": "object",
        "additionalProperties": {"type": ["string", "number", "boolean"]}
    })
}

/// `suppress-output`.
pub fn suppress_output() -> Value {
    json!({"description": "Do not print output from the command", "type": "boolean"})
}

/// `outputs`: jsonPath, regex or path outputs.
pub fn outputs() -> Value {
    json!({
        "description": "Values to capture from the command",
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "name": {"description": "The output name", "type": "string"},
                "jsonPath": {"description": "A JSONPath evaluated against the command's stdout", "type": "string"},
                "regex": {"description": "A regular expression whose capture groups are taken from stdout", "type": "string"},
                "path": {"description": "A file the command wrote", "type": "string"},
                "sensitive": {"description": "Ignored, as Porter ignores it: the bundle output's `sensitive` decides", "type": "boolean"}
            },
            "additionalProperties": false,
            "required": ["name"],
            "oneOf": [
                {"required": ["jsonPath"]},
                {"required": ["regex"]},
                {"required": ["path"]}
            ]
        }
    })
}

/// `ignoreError`.
pub fn ignore_error() -> Value {
    json!({
        "description": "Ignore the command's failure under certain conditions",
        "type": "object",
        "properties": {
            "all": {"description": "Ignore all errors", "type": "boolean"},
            "exitCodes": {"description": "Ignore these exit codes", "type": "array", "items": {"type": "integer"}},
            "output": {
                "description": "Ignore errors by what the command wrote to stderr",
                "type": "object",
                "properties": {
                    "contains": {"description": "Ignore when stderr contains any of these", "type": "array", "items": {"type": "string"}},
                    "regex": {"description": "Ignore when stderr matches any of these", "type": "array", "items": {"type": "string"}}
                },
                "additionalProperties": false
            }
        },
        "additionalProperties": false
    })
}

/// The schema of [`crate::CommandStep`]: Porter's exec step.
pub fn command_step(what: &str) -> Value {
    json!({
        "description": what,
        "type": "object",
        "properties": {
            "description": description(),
            "command": {"description": "The program to run", "type": "string"},
            "dir": {"description": "The directory in which to run the command", "type": "string"},
            "arguments": string_list("Positional arguments, before any flags"),
            "flags": flags(),
            "suffix-arguments": string_list("Positional arguments, after any flags"),
            "envs": envs(),
            "suppress-output": suppress_output(),
            "outputs": outputs(),
            "ignoreError": ignore_error()
        },
        "additionalProperties": false,
        "required": ["description", "command"]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_has_porter_step_definitions_and_config() {
        let doc = porter_document("demo", command_step("x"), Some(json!({"type": "object"})));
        for key in [
            "installStep",
            "upgradeStep",
            "invokeStep",
            "uninstallStep",
            "demo",
            "config",
        ] {
            assert!(doc["definitions"][key].is_object(), "missing {key}");
        }
        assert_eq!(
            doc["definitions"]["installStep"]["properties"]["demo"]["$ref"],
            "#/definitions/demo"
        );
        assert_eq!(
            doc["additionalProperties"]["items"]["$ref"],
            "#/definitions/invokeStep"
        );
    }
}
