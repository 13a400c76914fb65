//! Unit tests for the bundle model: cnab-go's omission rules and helpers.

use super::*;
use serde_json::json;

fn bundle(v: Value) -> Bundle {
    Bundle::from_value(v).unwrap()
}

#[test]
fn zero_bundle_writes_go_non_omitempty_members() {
    let v = Bundle::default().to_value().unwrap();
    assert_eq!(
        v,
        json!({"schemaVersion": "", "name": "", "version": "", "description": "", "invocationImages": []})
    );
}

#[test]
fn nulls_read_as_empty_and_unknown_members_are_ignored() {
    let b = bundle(json!({
        "name": "x", "description": null, "parameters": null, "credentials": null,
        "images": {"a": {"image": "a:1", "refs": null, "name": "legacy"}},
        "invocationImages": null,
    }));
    assert_eq!(b.description, "");
    assert!(b.parameters.is_empty() && b.credentials.is_empty());
    assert!(b.invocation_images.is_empty());
    assert_eq!(b.images["a"].image, "a:1");
    let v = b.to_value().unwrap();
    assert_eq!(
        v["images"],
        json!({"a": {"imageType": "", "image": "a:1", "description": ""}})
    );
}

#[test]
fn omitempty_members_are_skipped() {
    let b = bundle(json!({
        "actions": {"a": {"modifies": false, "stateless": false, "description": ""}},
        "credentials": {"c": {"path": "", "env": "E", "required": false, "applyTo": []}},
        "outputs": {"o": {"definition": "d", "path": "/cnab/app/outputs/o", "applyTo": []}},
        "invocationImages": [{"image": "i:1", "size": 0, "labels": {}, "contentDigest": ""}],
        "keywords": [], "license": "", "custom": {}, "requiredExtensions": [],
    }));
    let v = b.to_value().unwrap();
    assert_eq!(v["actions"], json!({"a": {}}));
    assert_eq!(v["credentials"], json!({"c": {"env": "E"}}));
    assert_eq!(
        v["outputs"],
        json!({"o": {"definition": "d", "path": "/cnab/app/outputs/o"}})
    );
    assert_eq!(
        v["invocationImages"],
        json!([{"imageType": "", "image": "i:1"}])
    );
    for absent in [
        "keywords",
        "license",
        "custom",
        "requiredExtensions",
        "images",
    ] {
        assert!(v.get(absent).is_none(), "{absent} should be omitted");
    }
}

#[test]
fn missing_destination_is_written_as_null_like_cnab_go() {
    let b = bundle(json!({"parameters": {"p": {"definition": "d"}}}));
    assert_eq!(
        b.to_value().unwrap()["parameters"],
        json!({"p": {"definition": "d", "destination": null}})
    );
    let b = bundle(json!({"parameters": {"p": {"definition": "d", "destination": {}}}}));
    assert_eq!(
        b.to_value().unwrap()["parameters"]["p"]["destination"],
        json!({})
    );
}

#[test]
fn definitions_and_custom_are_kept_verbatim() {
    let defs = json!({"d": {"type": "string", "pattern": "^a", "default": null, "x-extra": [1]}});
    let custom = json!({"io.cnab.docker": null, "sh.porter.file-parameters": {}});
    let b = bundle(json!({"definitions": defs, "custom": custom}));
    let v = b.to_value().unwrap();
    assert_eq!(v["definitions"], defs);
    assert_eq!(v["custom"], custom);
}

#[test]
fn wrong_types_are_errors_not_panics() {
    for bad in [
        json!({"name": 5}),
        json!({"invocationImages": {}}),
        json!({"invocationImages": [{"size": -1}]}),
        json!({"parameters": {"p": {"required": "yes"}}}),
    ] {
        assert!(
            matches!(Bundle::from_value(bad.clone()), Err(BundleError::Parse(_))),
            "{bad}"
        );
    }
    for bad in [json!([]), json!(null), json!("bundle")] {
        assert!(matches!(
            Bundle::from_value(bad),
            Err(BundleError::NotAnObject)
        ));
    }
    assert!(Bundle::from_slice(b"{not json").is_err());
}

#[test]
fn apply_to_empty_means_every_action() {
    let b = bundle(json!({
        "parameters": {
            "all": {"definition": "s"},
            "install-only": {"definition": "s", "applyTo": ["install"]},
            "secret": {"definition": "secret"},
        },
        "credentials": {"kube": {"path": "/k", "applyTo": ["upgrade", "boom"]}},
        "outputs": {"o": {"definition": "s", "path": "/cnab/app/outputs/o", "applyTo": ["install"]}},
        "definitions": {"s": {"type": "string"}, "secret": {"type": "string", "writeOnly": true}},
        "actions": {"boom": {"modifies": true}, "status": {"stateless": true}},
    }));
    let names = |action| {
        b.parameters_for_action(action)
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
    };
    assert_eq!(names("install"), ["all", "install-only", "secret"]);
    assert_eq!(names("upgrade"), ["all", "secret"]);
    assert_eq!(b.credentials_for_action("install").count(), 0);
    assert_eq!(b.credentials_for_action("boom").count(), 1);
    assert_eq!(b.outputs_for_action("install").count(), 1);
    assert_eq!(b.outputs_for_action("uninstall").count(), 0);

    assert!(b.is_sensitive_parameter("secret"));
    assert!(!b.is_sensitive_parameter("all"));
    assert!(!b.is_sensitive_parameter("missing"));
    assert!(!b.is_sensitive_output("o"));

    assert_eq!(b.action_modifies("install"), Some(true));
    assert_eq!(b.action_modifies("boom"), Some(true));
    assert_eq!(b.action_modifies("status"), Some(false));
    assert_eq!(b.action_modifies("nope"), None);
    assert!(b.action_is_stateless("status"));
    assert!(!b.action_is_stateless("install"));
    assert!(b.has_action("uninstall") && b.has_action("boom") && !b.has_action("nope"));
}

#[test]
fn is_sensitive_needs_write_only_true() {
    let def = |v: Value| v.as_object().cloned().unwrap();
    assert!(is_sensitive(&def(json!({"writeOnly": true}))));
    assert!(!is_sensitive(&def(json!({"writeOnly": false}))));
    assert!(!is_sensitive(&def(json!({"writeOnly": "true"}))));
    assert!(!is_sensitive(&def(json!({}))));
}

#[test]
fn canonical_json_and_digest() {
    let b = bundle(json!({
        "schemaVersion": "1.2.0", "name": "n", "version": "0.1.0",
        "invocationImages": [{"imageType": "docker", "image": "i:1", "size": 3}],
    }));
    let bytes = b.to_canonical_json().unwrap();
    assert_eq!(
        String::from_utf8(bytes.clone()).unwrap(),
        r#"{"description":"","invocationImages":[{"image":"i:1","imageType":"docker","size":3}],"name":"n","schemaVersion":"1.2.0","version":"0.1.0"}"#
    );
    assert_eq!(
        b.content_digest().unwrap(),
        crate::digest::Digest::of(&bytes)
    );
}
