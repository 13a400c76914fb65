//! The bundle.json Wharf writes for Porter's `mybuns` test bundle has the
//! same user-declared shape as the one Porter writes, and every bundle.json
//! Wharf writes for the conformance corpus is valid CNAB.

use std::path::PathBuf;

use serde_json::{Map, Value};
use wharf::build::{Stamp, bundle_for};
use wharf::cnab::{BundleSchema, InvocationImage};
use wharf::manifest;

fn conformance() -> PathBuf {
    std::env::var_os("WHARF_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance")
        })
}

fn wharf_bundle(manifest_file: &str) -> Value {
    let path = conformance().join("porter-manifests").join(manifest_file);
    let (m, _) = manifest::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let image = InvocationImage {
        image_type: "docker".into(),
        image: format!("localhost:5000/{}:wharf-test", m.name),
        ..InvocationImage::default()
    };
    bundle_for(&m, image, &Stamp::default(), &Map::new())
        .to_value()
        .unwrap()
}

fn without_internal(map: &Value) -> Map<String, Value> {
    map.as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| !k.starts_with("porter-") && !k.starts_with("wharf-"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[test]
fn mybuns_matches_porters_bundle_json() {
    let porter: Value = serde_json::from_slice(
        &std::fs::read(conformance().join("cnab-bundles/porter__mybuns-depsv1.bundle.json"))
            .unwrap(),
    )
    .unwrap();
    let wharf = wharf_bundle("porter__tests__testdata__mybuns__porter.yaml");
    for section in [
        "parameters",
        "credentials",
        "outputs",
        "actions",
        "images",
        "maintainers",
    ] {
        let (p, w) = (&porter[section], &wharf[section]);
        if p.is_object() {
            assert_eq!(without_internal(w), without_internal(p), "{section} differ");
        } else {
            assert_eq!(w, p, "{section} differ");
        }
    }
    let definitions = |b: &Value| -> Map<String, Value> {
        without_internal(&b["definitions"])
            .into_iter()
            .filter(|(k, _)| k != "porter-state")
            .collect()
    };
    assert_eq!(
        definitions(&wharf),
        definitions(&porter),
        "definitions differ"
    );
    for extension in ["io.cnab.dependencies", "io.cnab.docker"] {
        assert_eq!(
            wharf["custom"][extension], porter["custom"][extension],
            "{extension} differs"
        );
    }
    let sources = |b: &Value| without_internal(&b["custom"]["io.cnab.parameter-sources"]);
    assert_eq!(
        sources(&wharf),
        sources(&porter),
        "io.cnab.parameter-sources differ"
    );
    assert_eq!(wharf["custom"]["app"], porter["custom"]["app"]);
    assert_eq!(wharf["custom"]["foo"], porter["custom"]["foo"]);
    assert_eq!(wharf["requiredExtensions"], porter["requiredExtensions"]);
    // Wharf's internals mirror Porter's under its own prefix.
    let internal = &wharf["custom"]["io.cnab.parameter-sources"];
    assert_eq!(
        internal["wharf-msg-output"],
        porter["custom"]["io.cnab.parameter-sources"]["porter-msg-output"]
    );
    assert_eq!(
        internal["wharf-state"]["sources"]["output"]["name"],
        "wharf-state"
    );
}

#[test]
fn every_corpus_bundle_json_is_valid_cnab() {
    let schema = BundleSchema::load(&conformance().join("cnab-spec")).unwrap();
    let dir = conformance().join("porter-manifests");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let Ok((m, _)) = manifest::load(&path) else {
            continue;
        };
        let image = InvocationImage {
            image_type: "docker".into(),
            image: format!("example.com/{}:wharf-test", m.name),
            ..InvocationImage::default()
        };
        let bundle = bundle_for(&m, image, &Stamp::default(), &Map::new())
            .to_value()
            .unwrap();
        if let Err(problems) = schema.validate(&bundle) {
            panic!("{}: {}", path.display(), problems.join("\n"));
        }
        checked += 1;
    }
    assert_eq!(
        checked, 38,
        "every manifest but the two negative ones yields a bundle"
    );
}
