//! Conformance of `wharf::cnab` against real CNAB material: bundle.json
//! files from cnab-spec, cnab-go, cnab-to-oci and Porter, the CNAB JSON
//! schemas, and cnab-to-oci's golden canonical bytes and digests.
//!
//! The material lives outside the repository; `WHARF_CONFORMANCE_DIR`
//! points at it (default: `shared/conformance` next to the workspace).
//! Each folder has a SOURCE.txt saying where every file comes from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use wharf::cnab::{Bundle, canonicalize};
use wharf::digest::Digest;

fn conformance_dir() -> PathBuf {
    match std::env::var_os("WHARF_CONFORMANCE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance"),
    }
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}); set WHARF_CONFORMANCE_DIR to the conformance material",
            path.display()
        )
    })
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every `*.json` in cnab-bundles, by file name.
fn bundle_files() -> BTreeMap<String, PathBuf> {
    let dir = conformance_dir().join("cnab-bundles");
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let files: BTreeMap<String, PathBuf> = entries
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .map(|path| {
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                path,
            )
        })
        .collect();
    assert!(files.len() >= 10, "too few bundles in {}", dir.display());
    files
}

fn parse(path: &Path) -> Bundle {
    Bundle::from_slice(&read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

// ---------------------------------------------------------------- (a) ---

/// Members of the inputs that cnab-go's types do not have (legacy image
/// fields), so cnab-go and Wharf both drop them.
const UNKNOWN_MEMBERS: &[(&str, &str)] = &[
    ("cnab-go__foo.json", "/images/image1/refs"),
    ("cnab-go__foo.json", "/images/image2/name"),
    ("cnab-go__foo.json", "/images/image2/uri"),
    ("cnab-go__foo.json", "/images/image2/refs"),
    ("cnab-go__examplebun.bundle.json", "/images/image-a/name"),
    ("cnab-go__examplebun.bundle.json", "/images/image-a/refs"),
    ("cnab-go__examplebun.bundle.json", "/images/image-b/name"),
    ("cnab-go__examplebun.bundle.json", "/images/image-b/refs"),
];

/// Drops the members whose presence depends only on Go's zero values:
/// `null`, `""`, `false`, `0`, `[]` and `{}` members of the bundle's
/// structs, which cnab-go either omits (`omitempty`) or fills in. Payloads
/// under `custom` and `definitions` are data, compared exactly.
fn drop_zero_members(value: &mut Value, verbatim: bool) {
    match value {
        Value::Object(map) if !verbatim => {
            for (name, v) in map.iter_mut() {
                let data = name == "custom" || name == "definitions";
                if data {
                    // Keep the payloads; only their container is structural.
                    if let Value::Object(entries) = v {
                        entries
                            .values_mut()
                            .for_each(|e| drop_zero_members(e, true));
                    }
                } else {
                    drop_zero_members(v, false);
                }
            }
            // Bottom-up, so a struct left with only zero members goes too.
            map.retain(|_, v| !is_zero(v));
        }
        Value::Array(items) if !verbatim => {
            items.iter_mut().for_each(|v| drop_zero_members(v, false))
        }
        _ => {}
    }
}

fn is_zero(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

fn remove_pointer(value: &mut Value, pointer: &str) {
    let (parent, name) = pointer.rsplit_once('/').unwrap();
    let removed = value
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .and_then(|o| o.remove(name));
    assert!(removed.is_some(), "{pointer} not in the input any more");
}

#[test]
fn every_bundle_round_trips_semantically() {
    for (name, path) in bundle_files() {
        let mut input = read_json(&path);
        let output = parse(&path).to_value().unwrap();
        for (_, pointer) in UNKNOWN_MEMBERS.iter().filter(|(file, _)| *file == name) {
            remove_pointer(&mut input, pointer);
        }
        let (mut want, mut got) = (input, output.clone());
        drop_zero_members(&mut want, false);
        drop_zero_members(&mut got, false);
        assert_eq!(got, want, "{name} changed in the round trip");
        // And the output parses back to the same bundle.
        assert_eq!(Bundle::from_value(output).unwrap(), parse(&path), "{name}");
    }
}

#[test]
fn go_non_omitempty_members_are_always_written() {
    let files = bundle_files();
    let foo = parse(&files["cnab-go__foo.json"]).to_value().unwrap();
    // No description in the input: cnab-go writes "" for the bundle and images.
    assert_eq!(foo["description"], json!(""));
    assert_eq!(
        foo["images"]["image2"],
        json!({"image": "", "imageType": "", "description": ""})
    );

    let examplebun = parse(&files["cnab-go__examplebun.bundle.json"])
        .to_value()
        .unwrap();
    assert_eq!(examplebun["schemaVersion"], json!(""));
    assert!(examplebun.get("parameters").is_none() && examplebun.get("credentials").is_none());
}

/// These files are byte-exact JCS already (SOURCE.txt), so the model and
/// the canonical writer must reproduce them exactly.
#[test]
fn canonical_bundles_reproduce_byte_for_byte() {
    let files = bundle_files();
    for name in [
        "cnab-go__canonical-bundle.json",
        "cnab-go__minimal.json",
        "porter__wordpress.bundle.json",
    ] {
        let bytes = read(&files[name]);
        let value: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(
            text(&canonicalize(&value)),
            text(&bytes),
            "{name}: JCS of the document"
        );
        let through_model = parse(&files[name]).to_canonical_json().unwrap();
        assert_eq!(text(&through_model), text(&bytes), "{name}: through Bundle");
    }
}

/// Porter's config-adapter goldens are cnab-go output, only pretty-printed:
/// their canonical form must be exactly what Wharf writes for them.
#[test]
fn porter_goldens_canonicalise_identically_through_the_model() {
    let files = bundle_files();
    for name in [
        "porter__mybuns-depsv1.bundle.json",
        "porter__mybuns-depsv2.bundle.json",
    ] {
        let document = read_json(&files[name]);
        let ours = parse(&files[name]).to_canonical_json().unwrap();
        assert_eq!(text(&ours), text(&canonicalize(&document)), "{name}");
    }
}

/// cnab-go's zero Bundle writes `"invocationImages":null` (a Go nil
/// slice); Wharf writes `[]`, which keeps the document schema-valid. That
/// is the one byte difference on cnab-go's TestBundle_RoundTrip vector.
#[test]
fn empty_bundle_differs_from_cnab_go_only_in_invocation_images() {
    let path = &bundle_files()["cnab-go__empty.json"];
    let golden = text(&read(path));
    let ours = text(&parse(path).to_canonical_json().unwrap());
    assert_eq!(
        ours,
        golden.replace("\"invocationImages\":null", "\"invocationImages\":[]")
    );
}

// ---------------------------------------------------------------- (b) ---

/// DIGESTS.txt: `sha256:<hex> <size> <file>` per line.
fn golden_digests() -> BTreeMap<String, (String, usize)> {
    let path = conformance_dir().join("cnab-to-oci/DIGESTS.txt");
    String::from_utf8(read(&path))
        .unwrap()
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(fields.len(), 3, "bad DIGESTS.txt line: {line}");
            (
                fields[2].to_owned(),
                (fields[0].to_owned(), fields[1].parse().unwrap()),
            )
        })
        .collect()
}

#[test]
fn golden_canonical_bundles_round_trip_with_their_digests() {
    let digests = golden_digests();
    let dir = conformance_dir().join("cnab-to-oci");
    for name in [
        "testbundle.bundle.canonical.json",
        "spec201-helloworld.bundle.canonical.json",
    ] {
        let golden = read(&dir.join(name));
        let (want_digest, want_size) = &digests[name];
        assert_eq!(
            &Digest::of(&golden).to_string(),
            want_digest,
            "{name}: the file itself"
        );
        assert_eq!(golden.len(), *want_size, "{name}");

        let bundle = parse(&dir.join(name));
        let ours = bundle.to_canonical_json().unwrap();
        assert_eq!(text(&ours), text(&golden), "{name}");
        assert_eq!(&bundle.content_digest().unwrap(), want_digest, "{name}");
    }
}

/// The spec 201 example, pretty-printed and with `null` maps, canonicalises
/// to the bytes whose digest the spec prints.
#[test]
fn spec201_example_canonicalises_to_the_golden() {
    let files = bundle_files();
    let golden_name = "spec201-helloworld.bundle.canonical.json";
    let golden = read(&conformance_dir().join("cnab-to-oci").join(golden_name));
    let bundle = parse(&files["cnab-to-oci__helloworld.complete.bundle.json"]);
    assert_eq!(text(&bundle.to_canonical_json().unwrap()), text(&golden));
    assert_eq!(
        bundle.content_digest().unwrap(),
        golden_digests()[golden_name].0
    );
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

// ---------------------------------------------------------------- (c) ---

/// Schema validation needs the `jsonschema` crate, which only the `cli`
/// feature brings.
#[cfg(feature = "cli")]
mod schema_validation {
    use super::*;
    use wharf::cnab::BundleSchema;

    fn schema() -> BundleSchema {
        BundleSchema::load(&conformance_dir().join("cnab-spec")).unwrap()
    }

    /// Expected schema results (SOURCE.txt), with a fragment each invalid
    /// file's messages must contain.
    const VALID: &[&str] = &[
        "cnab-go__canonical-bundle.json",
        "cnab-go__digest.json",
        "cnab-go__minimal.json",
        "cnab-spec__101.01-bundle.json",
        "cnab-spec__101.02-bundle.json",
        "cnab-spec__101.03-bundle.json",
        "porter__mybuns-depsv1.bundle.json",
        "porter__mybuns-depsv2.bundle.json",
        "porter__wordpress.bundle.json",
    ];
    const INVALID: &[(&str, &str)] = &[
        (
            "cnab-go__foo.json",
            "/images/image2: \"image\" is a required property",
        ),
        (
            "cnab-go__examplebun.bundle.json",
            "\"schemaVersion\" is a required property",
        ),
        (
            "cnab-go__empty.json",
            "/invocationImages: null is not of type \"array\"",
        ),
        (
            "cnab-to-oci__helloworld.bundle.json",
            "/images: null is not of type \"object\"",
        ),
        (
            "cnab-to-oci__helloworld.complete.bundle.json",
            "/parameters: null is not of type \"object\"",
        ),
    ];

    #[test]
    fn every_bundle_file_has_an_expected_schema_result() {
        for name in bundle_files().keys() {
            let known = VALID.contains(&name.as_str()) || INVALID.iter().any(|(n, _)| n == name);
            assert!(known, "{name}: add it to VALID or INVALID");
        }
    }

    #[test]
    fn valid_bundles_validate_and_stay_valid_after_a_round_trip() {
        let schema = schema();
        let files = bundle_files();
        for name in VALID {
            let document = read_json(&files[*name]);
            assert_eq!(schema.validate(&document), Ok(()), "{name}");
            let ours = parse(&files[*name]).to_value().unwrap();
            assert_eq!(schema.validate(&ours), Ok(()), "{name} as Wharf writes it");
        }
        let examples = conformance_dir().join("cnab-spec/examples");
        for example in [
            "101.01-bundle.json",
            "101.02-bundle.json",
            "101.03-bundle.json",
        ] {
            assert_eq!(
                schema.validate(&read_json(&examples.join(example))),
                Ok(()),
                "{example}"
            );
        }
    }

    #[test]
    fn invalid_bundles_fail_naming_the_field() {
        let schema = schema();
        let files = bundle_files();
        for (name, fragment) in INVALID {
            let errors = schema.validate(&read_json(&files[*name])).unwrap_err();
            assert!(
                errors.iter().any(|e| e.contains(fragment)),
                "{name}: {errors:#?}"
            );
        }
    }

    /// `wharf::cnab::check_required` (what `--cnab-file` is checked with,
    /// as the schema is not shipped) never refuses a bundle the full
    /// schema accepts, and refuses a parameter without a destination as
    /// the schema does.
    #[test]
    fn the_required_members_check_agrees_with_the_schema() {
        let schema = schema();
        let files = bundle_files();
        for name in VALID {
            let document = read_json(&files[*name]);
            assert_eq!(wharf::cnab::check_required(&document), Ok(()), "{name}");
        }
        let mut broken = read_json(&files["porter__mybuns-depsv1.bundle.json"]);
        let parameters = broken["parameters"].as_object_mut().unwrap();
        let (name, parameter) = parameters.iter_mut().next().unwrap();
        let name = name.clone();
        parameter.as_object_mut().unwrap().remove("destination");
        let ours = wharf::cnab::check_required(&broken).unwrap_err();
        let theirs = schema.validate(&broken).unwrap_err();
        let expected = format!("/parameters/{name}: \"destination\" is a required property");
        assert!(ours.contains(&expected), "{ours:?}");
        assert!(
            theirs.iter().any(|e| e.starts_with(&expected)),
            "{theirs:?}"
        );
    }

    #[test]
    fn broken_porter_bundles_fail_naming_the_field() {
        let schema = schema();
        let good = read_json(&bundle_files()["porter__mybuns-depsv1.bundle.json"]);
        let cases: &[(&str, Value, &str)] = &[
            (
                "/invocationImages",
                Value::Null,
                "/: \"invocationImages\" is a required property",
            ),
            ("/name", json!(42), "/name: 42 is not of type \"string\""),
            (
                "/invocationImages",
                json!({"image": "x"}),
                "/invocationImages: ",
            ),
            (
                "/parameters/afile/destination",
                Value::Null,
                "\"destination\" is a required property",
            ),
            (
                "/outputs/msg/path",
                json!("/tmp/msg"),
                "/outputs/msg/path: ",
            ),
            (
                "/credentials/username/required",
                json!("yes"),
                "/credentials/username/required: ",
            ),
            (
                "/definitions/anumber-parameter/type",
                json!(7),
                "/definitions/anumber-parameter/type: ",
            ),
            ("/unexpected", json!(true), "'unexpected' was unexpected"),
        ];
        for (pointer, value, fragment) in cases {
            let mut broken = good.clone();
            let (parent, field) = pointer.rsplit_once('/').unwrap();
            let parent = broken
                .pointer_mut(parent)
                .and_then(Value::as_object_mut)
                .unwrap();
            // Null means "remove the member".
            if value.is_null() {
                parent.remove(field);
            } else {
                parent.insert(field.to_owned(), value.clone());
            }
            let errors = schema.validate(&broken).unwrap_err();
            assert!(
                errors.iter().any(|e| e.contains(fragment)),
                "{pointer}: {errors:#?}"
            );
        }
    }
}
