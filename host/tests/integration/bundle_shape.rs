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

/// Porter writes mybuns with its dependencies-v2 flag as
/// `mybuns-depsv2.bundle.json`; Wharf writes v2 for schema 1.1.0, so the
/// same manifest at 1.1.0 must give the same extension.
#[test]
fn mybuns_at_schema_1_1_matches_porters_dependencies_v2() {
    let porter: Value = serde_json::from_slice(
        &std::fs::read(conformance().join("cnab-bundles/porter__mybuns-depsv2.bundle.json"))
            .unwrap(),
    )
    .unwrap();
    let path = conformance()
        .join("porter-manifests")
        .join("porter__tests__testdata__mybuns__porter.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("schemaVersion: 1.0.1"));
    let text = text.replace("schemaVersion: 1.0.1", "schemaVersion: 1.1.0");
    let (m, _) = manifest::parse(&text, &path).unwrap_or_else(|e| panic!("{e}"));
    let image = InvocationImage {
        image_type: "docker".into(),
        image: "localhost:5000/mybuns:wharf-test".into(),
        ..InvocationImage::default()
    };
    let wharf = bundle_for(&m, image, &Stamp::default(), &Map::new())
        .to_value()
        .unwrap();
    let key = "org.getporter.dependencies@v2";
    assert_eq!(wharf["custom"][key], porter["custom"][key], "{key} differs");
    assert!(wharf["custom"].get("io.cnab.dependencies").is_none());
    assert_eq!(wharf["requiredExtensions"], porter["requiredExtensions"]);
    let sources = |b: &Value| without_internal(&b["custom"]["io.cnab.parameter-sources"]);
    assert_eq!(sources(&wharf), sources(&porter));
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

/// Every corpus manifest that declares dependencies builds a bundle.json
/// whose requirements Wharf reads back as it wrote them: the extension its
/// schema calls for, every alias in order, and every version range
/// understood (Porter's Masterminds ranges, hyphens and wildcards too).
#[test]
fn corpus_dependencies_read_back_from_their_bundle_json() {
    use wharf::dependencies::{requirements_of, version::parse_ranges};
    let manifests = [
        "porter__tests__testdata__mybuns__porter.yaml",
        "porter__tests__testdata__myenv__porter.yaml",
        "porter__tests__testdata__myinfra__porter.yaml",
        "porter__pkg__cnab__config-adapter__testdata__porter-with-deps.yaml__porter.yaml",
        "porter__pkg__cnab__config-adapter__testdata__porter-with-depsv2.yaml__porter.yaml",
        "porter__pkg__cnab__config-adapter__testdata__porter.yaml",
        "porter__pkg__manifest__testdata__porter-with-templating.yaml__porter.yaml",
    ];
    for file in manifests {
        let path = conformance().join("porter-manifests").join(file);
        let (m, _) = manifest::load(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
        let bundle = bundle_for(
            &m,
            InvocationImage::default(),
            &Stamp::default(),
            &Map::new(),
        );
        let requirements = requirements_of(&bundle).unwrap_or_else(|e| panic!("{file}: {e}"));
        let declared: Vec<&str> = m.required_dependencies().map(|d| d.name.as_str()).collect();
        let read: Vec<&str> = requirements.iter().map(|r| r.alias.as_str()).collect();
        assert_eq!(read, declared, "{file}");
        for requirement in &requirements {
            parse_ranges(&requirement.ranges).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(
                requirement.templated,
                m.uses_dependencies_v2(),
                "{file}: v2 wiring is read as templates"
            );
        }
    }
}
