//! Porter's `mixin schema` document, assembled by the host from what a
//! 0.2.0 mixin's `schema` returns.
//!
//! Porter (and `wharf schema`) merges each mixin's document into the
//! porter.yaml schema by reading `definitions.installStep`, `upgradeStep`,
//! `invokeStep`, `uninstallStep` and `config`. A 0.1.0 mixin wrote that
//! document itself; a 0.2.0 mixin gives one step schema per action kind and
//! the host wraps them, so every mixin's document has the same shape.

use serde_json::{Map, Value, json};

/// The action kinds a step schema is given for, with the definition each
/// fills. `invoke` covers every custom action.
pub(crate) const ACTION_KINDS: [(&str, &str); 4] = [
    ("install", "installStep"),
    ("upgrade", "upgradeStep"),
    ("invoke", "invokeStep"),
    ("uninstall", "uninstallStep"),
];

/// Wraps per-action step schemas (and an optional config schema) into the
/// document for the mixin called `name`. A kind without a schema gets the
/// `install` one; an unknown kind or a missing `install` schema is the
/// mixin's mistake, named in the error.
pub(crate) fn porter_document(
    name: &str,
    steps: Vec<(String, Value)>,
    config: Option<Value>,
) -> Result<Value, String> {
    if let Some((unknown, _)) = steps
        .iter()
        .find(|(action, _)| !ACTION_KINDS.iter().any(|(kind, _)| kind == action))
    {
        return Err(format!(
            "its schema names the action kind {unknown:?}; the kinds are install, upgrade, \
             invoke (every custom action) and uninstall"
        ));
    }
    let step_of = |kind: &str| {
        steps
            .iter()
            .rev()
            .find(|(action, _)| action == kind)
            .map(|(_, schema)| schema.clone())
    };
    let install = step_of("install")
        .ok_or("its schema gives no install step schema, which every mixin must".to_string())?;
    // Porter's shape: the step body at `definitions.<name>`, each kind's
    // wrapper referring to it; a kind whose body differs gets its own
    // definition, `<name>-<kind>`.
    let mut definitions = Map::new();
    for (kind, definition) in ACTION_KINDS {
        let body_name = match step_of(kind) {
            Some(body) if body != install => {
                let own = format!("{name}-{kind}");
                definitions.insert(own.clone(), body);
                own
            }
            _ => name.to_string(),
        };
        definitions.insert(
            definition.into(),
            json!({
                "type": "object",
                "properties": { name: {"$ref": format!("#/definitions/{body_name}")} },
                "additionalProperties": false,
                "required": [name],
            }),
        );
    }
    definitions.insert(name.into(), install);
    if let Some(config) = config {
        definitions.insert("config".into(), config);
    }
    let steps =
        |kind: &str| json!({"type": "array", "items": {"$ref": format!("#/definitions/{kind}")}});
    Ok(json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "definitions": definitions,
        "type": "object",
        "properties": {
            "install": steps("installStep"),
            "upgrade": steps("upgradeStep"),
            "uninstall": steps("uninstallStep"),
        },
        "additionalProperties": steps("invokeStep"),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_action_gets_its_own_step_schema_and_the_rest_get_install() {
        let doc = porter_document(
            "m",
            vec![
                ("install".into(), json!({"required": ["a"]})),
                ("uninstall".into(), json!({"required": ["b"]})),
            ],
            Some(json!({"type": "object"})),
        )
        .unwrap();
        let body = |d: &str| {
            let target = doc["definitions"][d]["properties"]["m"]["$ref"]
                .as_str()
                .unwrap()
                .trim_start_matches("#/definitions/")
                .to_string();
            doc["definitions"][target.as_str()]["required"][0].clone()
        };
        assert_eq!(body("installStep"), "a");
        assert_eq!(body("upgradeStep"), "a");
        assert_eq!(body("invokeStep"), "a");
        assert_eq!(body("uninstallStep"), "b");
        assert_eq!(
            doc["definitions"]["installStep"]["properties"]["m"]["$ref"],
            "#/definitions/m"
        );
        assert_eq!(
            doc["definitions"]["uninstallStep"]["properties"]["m"]["$ref"],
            "#/definitions/m-uninstall"
        );
        assert_eq!(doc["definitions"]["config"]["type"], "object");
    }

    #[test]
    fn unknown_kinds_and_a_missing_install_schema_are_named() {
        let err = porter_document("m", vec![("deploy".into(), json!({}))], None).unwrap_err();
        assert!(err.contains("\"deploy\""), "{err}");
        let err = porter_document("m", vec![("upgrade".into(), json!({}))], None).unwrap_err();
        assert!(err.contains("no install step schema"), "{err}");
    }
}
