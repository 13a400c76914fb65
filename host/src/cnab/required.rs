//! The members CNAB Core 1.2.0 requires of a bundle.json, checked before a
//! bundle from elsewhere (`--cnab-file`) runs.
//!
//! [`Bundle`](super::Bundle) reads leniently, as cnab-go does, so a
//! parameter with no `destination` parses and would run with its value
//! delivered nowhere. The full CNAB JSON schema ([`super::BundleSchema`])
//! is not shipped with Wharf, so the members the schema marks required are
//! checked here on the raw document (where a missing member and a `null`
//! one still differ), every violation at once, each as
//! `/json/pointer: message` like the schema validator's.

use serde_json::{Map, Value};

/// The top-level members every bundle has.
const BUNDLE: &[&str] = &["schemaVersion", "name", "version", "invocationImages"];
/// Per collection: the members each entry must have.
const ENTRIES: &[(&str, &[&str])] = &[
    ("parameters", &["definition", "destination"]),
    ("outputs", &["definition", "path"]),
    ("images", &["image"]),
];

/// Checks `document` for the members CNAB requires; one message per
/// violation.
pub fn check_required(document: &Value) -> Result<(), Vec<String>> {
    let Some(bundle) = document.as_object() else {
        return Err(vec!["/: a bundle.json is a JSON object".into()]);
    };
    let mut problems = Vec::new();
    missing("", bundle, BUNDLE, &mut problems);
    match bundle.get("invocationImages") {
        Some(Value::Array(images)) => {
            if images.is_empty() {
                problems
                    .push("/invocationImages: at least one invocation image is required".into());
            }
            for (index, image) in images.iter().enumerate() {
                entry(
                    &format!("/invocationImages/{index}"),
                    image,
                    &["image"],
                    &mut problems,
                );
            }
        }
        Some(_) => problems.push("/invocationImages: must be an array".into()),
        None => {}
    }
    for (collection, required) in ENTRIES {
        match bundle.get(*collection) {
            Some(Value::Object(entries)) => {
                for (name, value) in entries {
                    let pointer = format!("/{collection}/{}", escape(name));
                    entry(&pointer, value, required, &mut problems);
                }
            }
            Some(Value::Null) | None => {}
            Some(_) => problems.push(format!("/{collection}: must be an object")),
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

fn entry(pointer: &str, value: &Value, required: &[&str], problems: &mut Vec<String>) {
    match value.as_object() {
        Some(object) => missing(pointer, object, required, problems),
        None => problems.push(format!("{pointer}: must be an object")),
    }
}

fn missing(
    pointer: &str,
    object: &Map<String, Value>,
    required: &[&str],
    problems: &mut Vec<String>,
) {
    for member in required {
        if object.get(*member).is_none_or(Value::is_null) {
            let at = if pointer.is_empty() { "/" } else { pointer };
            problems.push(format!("{at}: {member:?} is a required property"));
        }
    }
}

/// A member name as a JSON pointer token (RFC 6901).
fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bundle() -> Value {
        json!({
            "schemaVersion": "1.2.0", "name": "b", "version": "0.1.0",
            "invocationImages": [{"image": "x:1", "imageType": "docker"}],
            "parameters": {"port": {"definition": "port", "destination": {"env": "PORT"}}},
            "outputs": {"msg": {"definition": "msg", "path": "/cnab/app/outputs/msg"}},
        })
    }

    #[test]
    fn a_complete_bundle_passes() {
        check_required(&bundle()).unwrap();
    }

    #[test]
    fn every_missing_member_is_named_by_pointer() {
        let mut doc = bundle();
        doc["parameters"]["port"]
            .as_object_mut()
            .unwrap()
            .remove("destination");
        doc["outputs"]["a/b"] = json!({"definition": "x"});
        doc["invocationImages"] = json!([{"imageType": "docker"}]);
        doc.as_object_mut().unwrap().remove("version");
        let problems = check_required(&doc).unwrap_err();
        assert_eq!(
            problems,
            [
                "/: \"version\" is a required property",
                "/invocationImages/0: \"image\" is a required property",
                "/parameters/port: \"destination\" is a required property",
                "/outputs/a~1b: \"path\" is a required property",
            ]
        );
        assert!(check_required(&json!([])).is_err());
    }
}
