//! JSON Schema documents in the shape Porter's `mixin schema` prints.
//!
//! A mixin gives the schema of one step body (per action kind, if they
//! differ) and of its config; Wharf wraps them into the document Porter's
//! `mixin schema` prints. The fragments here describe the shared step
//! fields so every mixin documents them the same way.

use serde_json::{Value, json};

/// The step schema `union` with only the properties `fields` (and
/// `description`), requiring `required` (and `description`): for a mixin
/// whose actions take different fields (see
/// [`crate::Mixin::action_step_schema`]).
pub fn narrowed(union: &Value, fields: &[&str], required: &[&str]) -> Value {
    let mut schema = union.clone();
    if let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        properties.retain(|name, _| name == "description" || fields.contains(&name.as_str()));
    }
    let mut needed = vec![json!("description")];
    needed.extend(required.iter().map(|r| json!(r)));
    schema["required"] = Value::Array(needed);
    schema
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
    fn a_narrowed_schema_keeps_only_its_fields() {
        let step = narrowed(&command_step("x"), &["command", "dir"], &["command"]);
        let mut kept: Vec<&String> = step["properties"].as_object().unwrap().keys().collect();
        kept.sort();
        assert_eq!(kept, ["command", "description", "dir"]);
        assert_eq!(step["required"], json!(["description", "command"]));
    }

    #[test]
    fn a_command_step_requires_its_description_and_command() {
        let step = command_step("x");
        assert_eq!(step["required"], json!(["description", "command"]));
        assert_eq!(step["additionalProperties"], false);
        assert!(step["properties"]["outputs"].is_object());
    }
}
