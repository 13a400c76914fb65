//! cnab-to-oci's bundle layout, byte for byte, against golden files
//! reconstructed from cnab-to-oci's own tests (MakeTestBundle, the index
//! whose digest is `tests.BundleDigest`, the Docker fallback manifest of
//! TestFallbackConfigManifest) and the CNAB spec's example.
//!
//! The material lives outside the repository; `WHARF_CONFORMANCE_DIR`
//! points at it (default: `shared/conformance` next to the workspace).
//! cnab-to-oci/SOURCE.txt says where every file comes from and
//! DIGESTS.txt gives each file's digest and size.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use wharf::cnab::Bundle;
use wharf::digest::Digest;
use wharf::oci::cnab_layout::{
    BundleIndex, ConfigFlavor, Descriptor, LayoutError, bundle_index, bundle_manifest_list,
    config_manifest, descriptor, parse_bundle_index, parse_config_manifest,
    parse_relocation_mapping, relocation_mapping,
};
use wharf::oci::media_types::{
    CNAB_CONFIG, DOCKER_IMAGE_CONFIG, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_IMAGE_CONFIG,
    OCI_INDEX, OCI_MANIFEST,
};

/// `tests.BundleDigest` in cnab-to-oci: the index of MakeTestBundle().
const BUNDLE_DIGEST: &str =
    "sha256:00043ca96c3c9470fc0f647c67613ddf500941556d1ecc14d75bc9b2834f66c3";

fn conformance_dir() -> PathBuf {
    match std::env::var_os("WHARF_CONFORMANCE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance"),
    }
}

fn golden(name: &str) -> Vec<u8> {
    let path = conformance_dir().join("cnab-to-oci").join(name);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}); set WHARF_CONFORMANCE_DIR to the conformance material",
            path.display()
        )
    })
}

/// DIGESTS.txt: file name -> (digest, size).
fn digests() -> BTreeMap<String, (String, u64)> {
    let text = String::from_utf8(golden("DIGESTS.txt")).unwrap();
    let digests: BTreeMap<_, _> = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [digest, size, name] = fields[..] else {
                panic!("DIGESTS.txt: malformed line {line:?}");
            };
            (name.to_owned(), (digest.to_owned(), size.parse().unwrap()))
        })
        .collect();
    assert!(digests.len() >= 8, "DIGESTS.txt lists too few files");
    digests
}

/// Asserts `bytes` are the golden file `name`, and that its digest and size
/// are the ones DIGESTS.txt records.
fn assert_golden(bytes: &[u8], name: &str) {
    let expected = golden(name);
    assert_eq!(
        String::from_utf8_lossy(bytes),
        String::from_utf8_lossy(&expected),
        "{name}: bytes differ"
    );
    let (digest, size) = digests()[name].clone();
    assert_eq!(Digest::of(bytes).to_string(), digest, "{name}: digest");
    assert_eq!(bytes.len() as u64, size, "{name}: size");
}

fn test_bundle() -> Bundle {
    Bundle::from_slice(&golden("testbundle.bundle.canonical.json")).unwrap()
}

/// cnab-to-oci's makeDescriptor for a pushed image: its digest, size and
/// media type (or, without one, the manifest type its imageType implies).
fn make_descriptor(image_type: &str, media_type: &str, digest: &str, size: u64) -> Descriptor {
    let media_type = match (media_type, image_type) {
        ("", "docker") => DOCKER_MANIFEST,
        ("", "oci") => OCI_MANIFEST,
        (given, _) => given,
    };
    Descriptor {
        media_type: media_type.to_owned(),
        digest: digest.to_owned(),
        size,
        annotations: BTreeMap::new(),
    }
}

/// The index entries of the test bundle's images, from its own
/// invocationImages and images, as cnab-to-oci's makeManifests takes them.
fn test_images() -> (Vec<Descriptor>, Vec<(String, Descriptor)>) {
    let bundle = test_bundle();
    let invocations = bundle
        .invocation_images
        .iter()
        .map(|i| make_descriptor(&i.image_type, &i.media_type, &i.content_digest, i.size))
        .collect();
    let components = bundle
        .images
        .iter()
        .map(|(name, i)| {
            let d = make_descriptor(&i.image_type, &i.media_type, &i.content_digest, i.size);
            (name.clone(), d)
        })
        .collect();
    (invocations, components)
}

fn test_config() -> Descriptor {
    let json = test_bundle().to_canonical_json().unwrap();
    let manifest = config_manifest(&json, ConfigFlavor::Cnab);
    descriptor(ConfigFlavor::Cnab.manifest_media_type(), &manifest)
}

#[test]
fn canonical_bundles_round_trip_to_their_digests() {
    for name in [
        "testbundle.bundle.canonical.json",
        "spec201-helloworld.bundle.canonical.json",
    ] {
        let bundle = Bundle::from_slice(&golden(name)).unwrap();
        assert_golden(&bundle.to_canonical_json().unwrap(), name);
    }
    // cnab-to-oci's expectedConfigManifest names this blob.
    assert_eq!(
        test_bundle().content_digest().unwrap(),
        "sha256:dbe3480b9cb300f389e8d02e4a682f9107772468feb6845f912dc8deed6d76fd"
    );
}

#[test]
fn config_manifests_of_every_flavor_are_cnab_to_ocis() {
    let json = test_bundle().to_canonical_json().unwrap();
    let goldens = [
        (ConfigFlavor::Cnab, "testbundle.config-manifest.oci.json"),
        (
            ConfigFlavor::OciImageConfig,
            "testbundle.config-manifest.oci-imageconfig-fallback.json",
        ),
        (
            ConfigFlavor::Docker,
            "testbundle.config-manifest.docker-fallback.json",
        ),
    ];
    for (flavor, name) in goldens {
        assert_golden(&config_manifest(&json, flavor), name);
    }
    let chain: Vec<_> = goldens.iter().map(|(flavor, _)| *flavor).collect();
    assert_eq!(ConfigFlavor::CHAIN.to_vec(), chain, "the fallback order");
    assert_eq!(ConfigFlavor::Cnab.manifest_media_type(), OCI_MANIFEST);
    assert_eq!(
        ConfigFlavor::OciImageConfig.manifest_media_type(),
        OCI_MANIFEST
    );
    assert_eq!(ConfigFlavor::Docker.manifest_media_type(), DOCKER_MANIFEST);

    let spec = Bundle::from_slice(&golden("spec201-helloworld.bundle.canonical.json")).unwrap();
    let spec_json = spec.to_canonical_json().unwrap();
    assert_golden(
        &config_manifest(&spec_json, ConfigFlavor::Cnab),
        "spec201-helloworld.config-manifest.oci.json",
    );
}

#[test]
fn config_manifests_of_every_flavor_parse_back_to_the_bundle_blob() {
    let json = test_bundle().to_canonical_json().unwrap();
    let expected = [CNAB_CONFIG, OCI_IMAGE_CONFIG, DOCKER_IMAGE_CONFIG];
    for (flavor, media_type) in ConfigFlavor::CHAIN.into_iter().zip(expected) {
        let config = parse_config_manifest(&config_manifest(&json, flavor)).unwrap();
        assert_eq!(config, descriptor(media_type, &json), "{flavor:?}");
    }
}

#[test]
fn the_index_is_cnab_to_ocis_bundle_digest() {
    let (invocations, components) = test_images();
    // makeDescriptor's choices, spelled out: digest, size and media type
    // straight from the bundle's images.
    let bundle = test_bundle();
    let invocation = &bundle.invocation_images[0];
    assert_eq!(
        invocations,
        vec![Descriptor {
            media_type: invocation.media_type.clone(),
            digest: invocation.content_digest.clone(),
            size: invocation.size,
            annotations: BTreeMap::new(),
        }]
    );
    let names: Vec<&str> = components.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["another-image", "image-1"]);

    let index = bundle_index(&bundle, &test_config(), &invocations, &components);
    assert_golden(&index, "testbundle.index.json");
    let d = descriptor(OCI_INDEX, &index);
    assert_eq!((d.digest.as_str(), d.size), (BUNDLE_DIGEST, 1360));

    // Components are sorted by name whatever order they come in.
    let reversed: Vec<_> = components.iter().rev().cloned().collect();
    let again = bundle_index(&bundle, &test_config(), &invocations, &reversed);
    assert_eq!(Digest::of(&again).to_string(), BUNDLE_DIGEST);
}

#[test]
fn the_golden_index_parses_and_writes_back_identically() {
    let bytes = golden("testbundle.index.json");
    let index = parse_bundle_index(&bytes).unwrap();
    assert_eq!(index.config.digest, test_config().digest);
    assert_eq!(index.config.size, 189);
    let (invocations, components) = test_images();
    let digests = |list: &[Descriptor]| list.iter().map(|d| d.digest.clone()).collect::<Vec<_>>();
    assert_eq!(digests(&index.invocations), digests(&invocations));
    let names: Vec<&str> = index.components.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["another-image", "image-1"]);
    for ((name, parsed), (_, built)) in index.components.iter().zip(&components) {
        assert_eq!(
            (&parsed.digest, parsed.size),
            (&built.digest, built.size),
            "{name}"
        );
        assert_eq!(parsed.annotations["io.cnab.component.name"], *name);
    }
    assert_eq!(index.annotations["io.cnab.runtime_version"], "v1.0.0");
    assert_eq!(
        index.annotations["io.cnab.keywords"],
        r#"["keyword1","keyword2"]"#
    );

    let rewritten = bundle_index(
        &test_bundle(),
        &index.config,
        &index.invocations,
        &index.components,
    );
    assert_golden(&rewritten, "testbundle.index.json");
}

#[test]
fn the_manifest_list_fallback_carries_the_same_entries() {
    let (invocations, components) = test_images();
    let list = bundle_manifest_list(&test_bundle(), &test_config(), &invocations, &components);
    // ociIndexWrapper: the index, then its own mediaType last.
    let index = golden("testbundle.index.json");
    let mut expected = index[..index.len() - 1].to_vec();
    expected.extend_from_slice(format!(",\"mediaType\":\"{DOCKER_MANIFEST_LIST}\"}}").as_bytes());
    assert_eq!(String::from_utf8(list.clone()), String::from_utf8(expected));

    let from_list = parse_bundle_index(&list).unwrap();
    let from_index = parse_bundle_index(&index).unwrap();
    assert_eq!(from_list, from_index);
}

/// cnab-to-oci's GenerateRelocationMap, over a parsed index.
fn relocation_from(index: &BundleIndex, bundle: &Bundle, repo: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for entry in &index.invocations {
        let image = &bundle.invocation_images[0].image;
        map.insert(image.clone(), format!("{repo}@{}", entry.digest));
    }
    for (name, entry) in &index.components {
        let image = &bundle.images[name].image;
        map.insert(image.clone(), format!("{repo}@{}", entry.digest));
    }
    map
}

#[test]
fn the_relocation_mapping_round_trips() {
    // MakeRelocationMap().
    let mapping: BTreeMap<String, String> = [
        ("my.registry/namespace/my-app-invoc", "0343"),
        ("my.registry/namespace/another-image", "0342"),
        ("my.registry/namespace/image-1", "0341"),
    ]
    .into_iter()
    .map(|(image, tail)| {
        let digest = format!(
            "my.registry/namespace/my-app@sha256:\
             d59a1aa7866258751a261bae525a1842c7ff0662d4f34a355d5f36826abc{tail}"
        );
        (image.to_owned(), digest)
    })
    .collect();
    let bytes = relocation_mapping(&mapping);
    assert_eq!(parse_relocation_mapping(&bytes).unwrap(), mapping);

    let file = golden("testbundle.relocation-mapping.json");
    let semantic = |b: &[u8]| serde_json::from_slice::<Value>(b).unwrap();
    assert_eq!(semantic(&bytes), semantic(&file));
    assert_eq!(parse_relocation_mapping(&file).unwrap(), mapping);
    assert_eq!(
        String::from_utf8(bytes).unwrap(),
        String::from_utf8(file).unwrap()
    );

    // And it is what the pushed index says about where each image went.
    let index = parse_bundle_index(&golden("testbundle.index.json")).unwrap();
    let derived = relocation_from(&index, &test_bundle(), "my.registry/namespace/my-app");
    assert_eq!(derived, mapping);
}

#[test]
fn relocation_mapping_errors_are_clear() {
    for (junk, words) in [
        (&b"not json"[..], "relocation mapping is not valid JSON"),
        (b"[\"a\",\"b\"]", "relocation mapping is not a JSON object"),
        (b"{\"a\":1}", "relocation mapping is not valid JSON"),
    ] {
        let message = parse_relocation_mapping(junk).unwrap_err().to_string();
        assert!(message.contains(words), "{message}");
    }
}

#[test]
fn annotations_follow_make_annotations_and_go_escaping() {
    let mut bundle = test_bundle();
    bundle.description = String::new();
    bundle.keywords.clear();
    bundle.maintainers.truncate(1);
    bundle.maintainers[0].email = String::new();
    bundle.maintainers[0].url = "https://example.com/?a=1&b=<2>".into();
    bundle.name = "a & b\u{2028}".into();
    let (invocations, components) = test_images();
    let index = bundle_index(&bundle, &test_config(), &invocations, &components);
    let text = String::from_utf8(index.clone()).unwrap();
    let annotations = &text[text.find(r#""annotations":{"io.cnab.runtime"#).unwrap()..];
    // Go always writes description, title and version; it writes authors
    // and keywords only when the bundle has them; it escapes & < > and
    // U+2028 in every string, the authors' JSON included, whose
    // backslashes the index then escapes once more.
    assert_eq!(
        annotations,
        r#""annotations":{"io.cnab.runtime_version":"v1.0.0","org.opencontainers.artifactType":"application/vnd.cnab.manifest.v1","org.opencontainers.image.authors":"[{\"name\":\"docker\",\"url\":\"https://example.com/?a=1\\u0026b=\\u003c2\\u003e\"}]","org.opencontainers.image.description":"","org.opencontainers.image.title":"a \u0026 b\u2028","org.opencontainers.image.version":"0.1.0"}}"#
    );
    let parsed = parse_bundle_index(&index).unwrap();
    assert_eq!(
        parsed.annotations["org.opencontainers.image.title"],
        "a & b\u{2028}"
    );
}

fn parse_error(bytes: &str) -> String {
    match parse_bundle_index(bytes.as_bytes()) {
        Ok(index) => panic!("{bytes} parsed as {index:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_indexes_are_refused_clearly() {
    let d = |n: u8| format!("sha256:{}", format!("{n:02x}").repeat(32));
    let entry = |media: &str, digest: &str, annotations: &str| {
        format!(
            r#"{{"mediaType":"{media}","digest":"{digest}","size":5,"annotations":{annotations}}}"#
        )
    };
    let config = entry(OCI_MANIFEST, &d(1), r#"{"io.cnab.manifest.type":"config"}"#);
    let invocation = entry(
        DOCKER_MANIFEST,
        &d(2),
        r#"{"io.cnab.manifest.type":"invocation"}"#,
    );
    let index = |entries: &[&str]| {
        format!(
            r#"{{"schemaVersion":2,"manifests":[{}]}}"#,
            entries.join(",")
        )
    };
    let cases = [
        ("junk".to_owned(), "bundle index is not valid JSON"),
        (String::new(), "bundle index is not valid JSON"),
        ("[2,[]]".to_owned(), "bundle index is not a JSON object"),
        (
            r#"{"schemaVersion":2,"manifests":{}}"#.to_owned(),
            "bundle index is not valid JSON",
        ),
        (r#"{"manifests":[]}"#.to_owned(), "schemaVersion missing"),
        (
            r#"{"schemaVersion":1,"manifests":[]}"#.to_owned(),
            "schemaVersion 1",
        ),
        (
            r#"{"schemaVersion":2,"manifests":null}"#.to_owned(),
            "no config manifest",
        ),
        (index(&[&invocation]), "no config manifest"),
        (index(&[&config, &config]), "two config manifests"),
        (
            format!(r#"{{"schemaVersion":2,"mediaType":"text/plain","manifests":[{config}]}}"#),
            "media type \"text/plain\"",
        ),
        (
            index(&[&entry(OCI_MANIFEST, "sha256:00", "{}")]),
            "invalid digest \"sha256:00\"",
        ),
        (
            index(&[&entry("text/plain", &d(3), "{}")]),
            "has media type \"text/plain\"",
        ),
        (
            index(&[&config, &entry(OCI_MANIFEST, &d(4), "null")]),
            "no io.cnab.manifest.type annotation",
        ),
        (
            index(&[
                &config,
                &entry(OCI_MANIFEST, &d(5), r#"{"io.cnab.manifest.type":"extra"}"#),
            ]),
            "io.cnab.manifest.type \"extra\"",
        ),
        (
            index(&[
                &config,
                &entry(
                    OCI_MANIFEST,
                    &d(6),
                    r#"{"io.cnab.manifest.type":"component"}"#,
                ),
            ]),
            "no io.cnab.component.name annotation",
        ),
        (
            index(&[&entry(
                OCI_INDEX,
                &d(7),
                r#"{"io.cnab.manifest.type":"config"}"#,
            )]),
            "config manifest entry",
        ),
    ];
    for (bytes, words) in cases {
        let message = parse_error(&bytes);
        assert!(message.contains(words), "{bytes}: {message}");
    }
    let named = |name: &str| {
        let annotations =
            format!(r#"{{"io.cnab.manifest.type":"component","io.cnab.component.name":"{name}"}}"#);
        entry(OCI_MANIFEST, &d(8), &annotations)
    };
    let message = parse_error(&index(&[&config, &named("a"), &named("a")]));
    assert!(message.contains("component \"a\" twice"), "{message}");
    // A well-formed minimal index parses.
    let ok = parse_bundle_index(index(&[&config, &invocation, &named("a")]).as_bytes()).unwrap();
    assert_eq!((ok.invocations.len(), ok.components.len()), (1, 1));
    // Errors chain their cause where there is one.
    let err = parse_bundle_index(b"{").unwrap_err();
    assert!(matches!(err, LayoutError::Json { .. }));
    assert!(std::error::Error::source(&err).is_some());
}

#[test]
fn bad_config_manifests_are_refused_clearly() {
    let digest = Digest::of(b"x").to_string();
    let cases = [
        ("junk".to_owned(), "config manifest is not valid JSON"),
        (r#"{"schemaVersion":2}"#.to_owned(), "no config descriptor"),
        (
            r#"{"schemaVersion":2,"config":null}"#.to_owned(),
            "no config descriptor",
        ),
        (
            format!(r#"{{"config":{{"mediaType":"{CNAB_CONFIG}","digest":"{digest}","size":1}}}}"#),
            "schemaVersion missing",
        ),
        (
            format!(
                r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","config":{{"mediaType":"{CNAB_CONFIG}","digest":"{digest}","size":1}}}}"#
            ),
            "config manifest has media type",
        ),
        (
            format!(
                r#"{{"schemaVersion":2,"config":{{"mediaType":"{CNAB_CONFIG}","digest":"x","size":1}}}}"#
            ),
            "invalid digest \"x\"",
        ),
        (
            format!(
                r#"{{"schemaVersion":2,"config":{{"mediaType":"text/plain","digest":"{digest}","size":1}}}}"#
            ),
            "config has media type \"text/plain\"",
        ),
        (
            format!(
                r#"{{"schemaVersion":2,"config":{{"mediaType":"{CNAB_CONFIG}","digest":"{digest}","size":-1}}}}"#
            ),
            "config manifest is not valid JSON",
        ),
    ];
    for (bytes, words) in cases {
        let message = parse_config_manifest(bytes.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(message.contains(words), "{bytes}: {message}");
    }
}
