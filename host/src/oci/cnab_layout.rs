//! Bundles in cnab-to-oci's layout, byte for byte.
//!
//! Porter publishes a bundle with cnab-to-oci (github.com/cnabio/cnab-to-oci):
//! the canonical bundle.json is a config blob, wrapped in a *config manifest*;
//! an *index* lists that manifest, the invocation image and the component
//! images, each marked by an annotation, and carries the bundle's metadata as
//! annotations. The digest of the index is "the bundle digest" Porter records,
//! so Wharf must write the same bytes cnab-to-oci writes, not merely
//! equivalent JSON: every struct here mirrors the Go struct cnab-to-oci
//! marshals, field for field and in the same order, and the output gets Go's
//! string escaping (`<`, `>`, `&`, U+2028 and U+2029 as `\uXXXX`).
//!
//! Reading goes the other way and never trusts the registry: every parse
//! returns a [`LayoutError`] naming what is missing or malformed.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::digest::Digest;

use super::media_types::{
    CNAB_ARTIFACT_TYPE, CNAB_CONFIG, DOCKER_IMAGE_CONFIG, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST,
    OCI_IMAGE_CONFIG, OCI_INDEX, OCI_MANIFEST,
};
use crate::cnab::Bundle;

/// Index entry annotation saying what the entry is: `config`, `invocation`
/// or `component`.
pub const ANNOTATION_MANIFEST_TYPE: &str = "io.cnab.manifest.type";
/// Index entry annotation naming a component (the key in `images`).
pub const ANNOTATION_COMPONENT_NAME: &str = "io.cnab.component.name";
/// [`ANNOTATION_MANIFEST_TYPE`] of the config manifest.
pub const MANIFEST_TYPE_CONFIG: &str = "config";
/// [`ANNOTATION_MANIFEST_TYPE`] of an invocation image.
pub const MANIFEST_TYPE_INVOCATION: &str = "invocation";
/// [`ANNOTATION_MANIFEST_TYPE`] of a component image.
pub const MANIFEST_TYPE_COMPONENT: &str = "component";

/// The index annotations cnab-to-oci derives from the bundle.
const ANNOTATION_RUNTIME_VERSION: &str = "io.cnab.runtime_version";
const ANNOTATION_KEYWORDS: &str = "io.cnab.keywords";
const ANNOTATION_ARTIFACT_TYPE: &str = "org.opencontainers.artifactType";
const ANNOTATION_AUTHORS: &str = "org.opencontainers.image.authors";
const ANNOTATION_DESCRIPTION: &str = "org.opencontainers.image.description";
const ANNOTATION_TITLE: &str = "org.opencontainers.image.title";
const ANNOTATION_VERSION: &str = "org.opencontainers.image.version";

/// The manifest media types an index entry may have (cnab-to-oci's
/// `GenerateRelocationMap` accepts exactly these).
const ENTRY_TYPES: [&str; 4] = [
    OCI_MANIFEST,
    OCI_INDEX,
    DOCKER_MANIFEST,
    DOCKER_MANIFEST_LIST,
];

/// What goes wrong reading cnab-to-oci's layout back from a registry.
#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    #[error("the {what} is not valid JSON: {source}")]
    Json {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error("the {what} is not a JSON object")]
    NotAnObject { what: &'static str },
    #[error("the {what} has schemaVersion {found}; only 2 is supported")]
    SchemaVersion { what: &'static str, found: String },
    #[error("the {what} has media type {found:?}; expected {expected}")]
    MediaType {
        what: String,
        found: String,
        expected: String,
    },
    #[error("the {what} has an invalid digest {digest:?} (expected sha256:<64 hex digits>)")]
    Digest { what: String, digest: String },
    #[error(
        "the bundle index has no config manifest (no entry annotated \
         io.cnab.manifest.type=config)"
    )]
    MissingConfig,
    #[error("the bundle index has two config manifests, {first} and {second}")]
    DuplicateConfig { first: String, second: String },
    #[error("bundle index entry {digest} has no {annotation} annotation")]
    MissingAnnotation {
        digest: String,
        annotation: &'static str,
    },
    #[error(
        "bundle index entry {digest} has io.cnab.manifest.type {found:?}; expected config, \
         invocation or component"
    )]
    UnknownManifestType { digest: String, found: String },
    #[error("the bundle index lists the component {name:?} twice")]
    DuplicateComponent { name: String },
    #[error("the config manifest has no config descriptor")]
    MissingConfigDescriptor,
}

/// One entry of a manifest or index: what to fetch, how big it is and how
/// to read it. Field order is the OCI image-spec's Go `Descriptor`, so it
/// serialises as cnab-to-oci's index entries do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    #[serde(default, deserialize_with = "nullable")]
    pub media_type: String,
    #[serde(default, deserialize_with = "nullable")]
    pub digest: String,
    #[serde(default, deserialize_with = "nullable")]
    pub size: u64,
    /// Go omits an empty map (`omitempty`) and so does Wharf.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub annotations: BTreeMap<String, String>,
}

/// cnab-to-oci's config fallback chain, tried in this order when a registry
/// refuses one: registries that reject an unknown config media type get an
/// OCI image config, and those that reject OCI manifests get Docker's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigFlavor {
    /// An OCI manifest whose config is `application/vnd.cnab.config.v1+json`.
    Cnab,
    /// An OCI manifest whose config claims to be an OCI image config.
    OciImageConfig,
    /// A Docker schema 2 manifest, the config repeated as its one layer.
    Docker,
}

impl ConfigFlavor {
    /// The order cnab-to-oci's `PrepareForPush` chains the flavors in.
    pub const CHAIN: [ConfigFlavor; 3] = [Self::Cnab, Self::OciImageConfig, Self::Docker];

    /// The media type of the config manifest itself, for pushing it.
    pub fn manifest_media_type(self) -> &'static str {
        match self {
            Self::Cnab | Self::OciImageConfig => OCI_MANIFEST,
            Self::Docker => DOCKER_MANIFEST,
        }
    }

    /// The media type the config manifest gives the bundle.json blob.
    pub fn config_media_type(self) -> &'static str {
        match self {
            Self::Cnab => CNAB_CONFIG,
            Self::OciImageConfig => OCI_IMAGE_CONFIG,
            Self::Docker => DOCKER_IMAGE_CONFIG,
        }
    }
}

/// The descriptor of `bytes` (no annotations), as cnab-to-oci's
/// `descriptorOf`.
pub fn descriptor(media_type: &str, bytes: &[u8]) -> Descriptor {
    Descriptor {
        media_type: media_type.to_owned(),
        digest: Digest::of(bytes).to_string(),
        size: bytes.len() as u64,
        annotations: BTreeMap::new(),
    }
}

/// Go's `json.Marshal` of an image-spec v1.1.1 `Manifest` holding only a
/// config: no top-level mediaType (omitempty) and `"layers":null` (a nil
/// slice without omitempty).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OciConfigManifest<'a> {
    schema_version: u32,
    config: &'a Descriptor,
    layers: Option<&'a [Descriptor]>,
}

/// distribution's schema2 `Manifest`, whose descriptors put size before
/// digest.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DockerManifest<'a> {
    schema_version: u32,
    media_type: &'a str,
    config: DockerDescriptor<'a>,
    layers: [DockerDescriptor<'a>; 1],
}

#[derive(Serialize, Clone, Copy)]
#[serde(rename_all = "camelCase")]
struct DockerDescriptor<'a> {
    media_type: &'a str,
    size: u64,
    digest: &'a str,
}

/// The config manifest wrapping the canonical bundle.json: what the index's
/// `config` entry points at, and whose config blob is the bundle itself.
pub fn config_manifest(bundle_config: &[u8], flavor: ConfigFlavor) -> Vec<u8> {
    let config = descriptor(flavor.config_media_type(), bundle_config);
    match flavor {
        ConfigFlavor::Cnab | ConfigFlavor::OciImageConfig => to_go_json(&OciConfigManifest {
            schema_version: 2,
            config: &config,
            layers: None,
        }),
        ConfigFlavor::Docker => {
            // distribution marshals with MarshalIndent("", "   ") and some
            // registries want a layer, so the config doubles as one.
            let blob = DockerDescriptor {
                media_type: &config.media_type,
                size: config.size,
                digest: &config.digest,
            };
            let manifest = DockerManifest {
                schema_version: 2,
                media_type: DOCKER_MANIFEST,
                config: blob,
                layers: [blob],
            };
            let mut out = Vec::new();
            let formatter = serde_json::ser::PrettyFormatter::with_indent(b"   ");
            let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
            manifest
                .serialize(&mut serializer)
                .expect("a manifest of plain strings always serialises");
            go_escape(out)
        }
    }
}

/// Go's `json.Marshal` of an image-spec `Index`, or of cnab-to-oci's
/// `ociIndexWrapper` for the manifest list: the wrapper's own `mediaType`
/// field shadows the embedded one and, coming after the embedded struct,
/// is written last.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct IndexOut<'a> {
    schema_version: u32,
    manifests: &'a [Descriptor],
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    annotations: &'a BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    media_type: Option<&'static str>,
}

/// The bundle's OCI index, as cnab-to-oci pushes it under the tag: the
/// config manifest (annotation io.cnab.manifest.type=config), the
/// invocation images (invocation), then the components (component +
/// io.cnab.component.name) sorted by name, and the bundle annotations
/// (io.cnab.keywords, io.cnab.runtime_version,
/// org.opencontainers.artifactType, org.opencontainers.image.authors,
/// description, title and version). As in cnab-to-oci, keywords and
/// authors appear only when the bundle has some, while runtime_version,
/// title, version and description are always written, empty or not: the
/// bytes, and so the bundle digest, must be cnab-to-oci's.
pub fn bundle_index(
    bundle: &Bundle,
    config: &Descriptor,
    invocations: &[Descriptor],
    components: &[(String, Descriptor)],
) -> Vec<u8> {
    write_index(bundle, config, invocations, components, None)
}

/// The same entries as a Docker manifest list, for registries that refuse
/// an OCI index (cnab-to-oci's fallback): mediaType
/// application/vnd.docker.distribution.manifest.list.v2+json.
pub fn bundle_manifest_list(
    bundle: &Bundle,
    config: &Descriptor,
    invocations: &[Descriptor],
    components: &[(String, Descriptor)],
) -> Vec<u8> {
    write_index(
        bundle,
        config,
        invocations,
        components,
        Some(DOCKER_MANIFEST_LIST),
    )
}

fn write_index(
    bundle: &Bundle,
    config: &Descriptor,
    invocations: &[Descriptor],
    components: &[(String, Descriptor)],
    media_type: Option<&'static str>,
) -> Vec<u8> {
    let typed = |descriptor: &Descriptor, annotations: BTreeMap<String, String>| Descriptor {
        annotations,
        ..descriptor.clone()
    };
    let mut manifests = Vec::with_capacity(1 + invocations.len() + components.len());
    // The config entry keeps its own annotations; the others get only the
    // CNAB ones, as in cnab-to-oci's makeManifests.
    let mut config_annotations = config.annotations.clone();
    config_annotations.insert(ANNOTATION_MANIFEST_TYPE.into(), MANIFEST_TYPE_CONFIG.into());
    manifests.push(typed(config, config_annotations));
    for invocation in invocations {
        let annotations = [(ANNOTATION_MANIFEST_TYPE, MANIFEST_TYPE_INVOCATION)];
        manifests.push(typed(invocation, owned(&annotations)));
    }
    let mut sorted: Vec<&(String, Descriptor)> = components.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, component) in sorted {
        let annotations = [
            (ANNOTATION_MANIFEST_TYPE, MANIFEST_TYPE_COMPONENT),
            (ANNOTATION_COMPONENT_NAME, name.as_str()),
        ];
        manifests.push(typed(component, owned(&annotations)));
    }
    to_go_json(&IndexOut {
        schema_version: 2,
        manifests: &manifests,
        annotations: &index_annotations(bundle),
        media_type,
    })
}

fn owned(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// cnab-to-oci's `makeAnnotations`. Maintainers and keywords are JSON
/// inside a string, marshalled by Go first (so escaped twice).
fn index_annotations(bundle: &Bundle) -> BTreeMap<String, String> {
    let mut annotations = owned(&[
        (ANNOTATION_RUNTIME_VERSION, bundle.schema_version.as_str()),
        (ANNOTATION_TITLE, bundle.name.as_str()),
        (ANNOTATION_VERSION, bundle.version.as_str()),
        (ANNOTATION_DESCRIPTION, bundle.description.as_str()),
        (ANNOTATION_ARTIFACT_TYPE, CNAB_ARTIFACT_TYPE),
    ]);
    // Go tests `!= nil`; a bundle read from canonical JSON has nil for an
    // empty list (omitempty), which is what an empty Vec stands for here.
    let mut embedded = |key: &str, json: Vec<u8>| {
        let text = String::from_utf8(json).expect("serde_json writes UTF-8");
        annotations.insert(key.to_owned(), text);
    };
    if !bundle.maintainers.is_empty() {
        embedded(ANNOTATION_AUTHORS, to_go_json(&bundle.maintainers));
    }
    if !bundle.keywords.is_empty() {
        embedded(ANNOTATION_KEYWORDS, to_go_json(&bundle.keywords));
    }
    annotations
}

/// Reading an index (or manifest list) back when pulling: which entry is
/// the config, which the invocation images, which the components (by
/// annotation), in the order the index lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleIndex {
    pub config: Descriptor,
    pub invocations: Vec<Descriptor>,
    pub components: Vec<(String, Descriptor)>,
    pub annotations: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IndexIn {
    #[serde(default)]
    schema_version: Option<Value>,
    #[serde(default, deserialize_with = "nullable")]
    media_type: String,
    #[serde(default, deserialize_with = "nullable")]
    manifests: Vec<Descriptor>,
    #[serde(default, deserialize_with = "nullable")]
    annotations: BTreeMap<String, String>,
}

/// Reads a bundle index or manifest list pulled from a registry. Every
/// entry must be a manifest (or index) with a well-formed digest and a CNAB
/// type annotation, as cnab-to-oci requires when it pulls; exactly one must
/// be the config.
pub fn parse_bundle_index(bytes: &[u8]) -> Result<BundleIndex, LayoutError> {
    const WHAT: &str = "bundle index";
    let index: IndexIn = from_json_object(bytes, WHAT)?;
    check_schema_version(index.schema_version.as_ref(), WHAT)?;
    if !matches!(
        index.media_type.as_str(),
        "" | OCI_INDEX | DOCKER_MANIFEST_LIST
    ) {
        return Err(LayoutError::MediaType {
            what: WHAT.into(),
            found: index.media_type,
            expected: format!("{OCI_INDEX} or {DOCKER_MANIFEST_LIST}"),
        });
    }
    let mut config: Option<Descriptor> = None;
    let mut invocations = Vec::new();
    let mut components: Vec<(String, Descriptor)> = Vec::new();
    for (i, entry) in index.manifests.into_iter().enumerate() {
        let what = || format!("bundle index entry {i} ({})", entry.digest);
        if !Digest::is_valid(&entry.digest) {
            let what = format!("bundle index entry {i}");
            return Err(LayoutError::Digest {
                what,
                digest: entry.digest,
            });
        }
        if !ENTRY_TYPES.contains(&entry.media_type.as_str()) {
            return Err(LayoutError::MediaType {
                what: what(),
                found: entry.media_type,
                expected: ENTRY_TYPES.join(", "),
            });
        }
        let missing = |annotation| LayoutError::MissingAnnotation {
            digest: entry.digest.clone(),
            annotation,
        };
        let kind = entry
            .annotations
            .get(ANNOTATION_MANIFEST_TYPE)
            .ok_or_else(|| missing(ANNOTATION_MANIFEST_TYPE))?;
        match kind.as_str() {
            MANIFEST_TYPE_CONFIG => {
                if !matches!(entry.media_type.as_str(), OCI_MANIFEST | DOCKER_MANIFEST) {
                    return Err(LayoutError::MediaType {
                        what: format!("config manifest entry ({})", entry.digest),
                        found: entry.media_type,
                        expected: format!("{OCI_MANIFEST} or {DOCKER_MANIFEST}"),
                    });
                }
                if let Some(first) = &config {
                    return Err(LayoutError::DuplicateConfig {
                        first: first.digest.clone(),
                        second: entry.digest,
                    });
                }
                config = Some(entry);
            }
            MANIFEST_TYPE_INVOCATION => invocations.push(entry),
            MANIFEST_TYPE_COMPONENT => {
                let name = entry
                    .annotations
                    .get(ANNOTATION_COMPONENT_NAME)
                    .ok_or_else(|| missing(ANNOTATION_COMPONENT_NAME))?
                    .clone();
                if components.iter().any(|(seen, _)| *seen == name) {
                    return Err(LayoutError::DuplicateComponent { name });
                }
                components.push((name, entry));
            }
            other => {
                return Err(LayoutError::UnknownManifestType {
                    found: other.to_owned(),
                    digest: entry.digest,
                });
            }
        }
    }
    Ok(BundleIndex {
        config: config.ok_or(LayoutError::MissingConfig)?,
        invocations,
        components,
        annotations: index.annotations,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConfigManifestIn {
    #[serde(default)]
    schema_version: Option<Value>,
    #[serde(default, deserialize_with = "nullable")]
    media_type: String,
    #[serde(default)]
    config: Option<Descriptor>,
}

/// The config blob's descriptor from a config manifest of any flavor. The
/// blob must be declared as one of the three config media types
/// cnab-to-oci uses, so some other image is not mistaken for a bundle.
pub fn parse_config_manifest(bytes: &[u8]) -> Result<Descriptor, LayoutError> {
    const WHAT: &str = "config manifest";
    let manifest: ConfigManifestIn = from_json_object(bytes, WHAT)?;
    check_schema_version(manifest.schema_version.as_ref(), WHAT)?;
    if !matches!(
        manifest.media_type.as_str(),
        "" | OCI_MANIFEST | DOCKER_MANIFEST
    ) {
        return Err(LayoutError::MediaType {
            what: WHAT.into(),
            found: manifest.media_type,
            expected: format!("{OCI_MANIFEST} or {DOCKER_MANIFEST}"),
        });
    }
    let config = manifest
        .config
        .ok_or(LayoutError::MissingConfigDescriptor)?;
    if !Digest::is_valid(&config.digest) {
        let what = "config manifest's config".to_owned();
        return Err(LayoutError::Digest {
            what,
            digest: config.digest,
        });
    }
    let known = ConfigFlavor::CHAIN.map(ConfigFlavor::config_media_type);
    if !known.contains(&config.media_type.as_str()) {
        return Err(LayoutError::MediaType {
            what: "config manifest's config".into(),
            found: config.media_type,
            expected: known.join(", "),
        });
    }
    Ok(config)
}

/// relocation-mapping.json: original image reference -> relocated reference
/// (repo@digest). Pretty-printed with sorted keys and a final newline, so
/// the file reads well and diffs cleanly.
pub fn relocation_mapping(map: &BTreeMap<String, String>) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(map).expect("a map of strings always serialises");
    out.push(b'\n');
    go_escape(out)
}

/// Reads relocation-mapping.json: a JSON object of strings.
pub fn parse_relocation_mapping(bytes: &[u8]) -> Result<BTreeMap<String, String>, LayoutError> {
    from_json_object(bytes, "relocation mapping")
}

/// Parses `bytes` as `T`, refusing anything but a JSON object (serde would
/// also read a struct from an array, Go would not).
fn from_json_object<'a, T: Deserialize<'a>>(
    bytes: &'a [u8],
    what: &'static str,
) -> Result<T, LayoutError> {
    let json = |source| LayoutError::Json { what, source };
    let first = bytes
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    if first.is_some_and(|b| *b != b'{') {
        // Valid JSON of another kind, or not JSON at all?
        serde_json::from_slice::<serde::de::IgnoredAny>(bytes).map_err(json)?;
        return Err(LayoutError::NotAnObject { what });
    }
    serde_json::from_slice(bytes).map_err(json)
}

fn check_schema_version(found: Option<&Value>, what: &'static str) -> Result<(), LayoutError> {
    if found.and_then(Value::as_u64) == Some(2) {
        return Ok(());
    }
    let found = found.map_or_else(|| "missing".to_owned(), Value::to_string);
    Err(LayoutError::SchemaVersion { what, found })
}

/// Go's `null` for a slice or map is its zero value; serde's is an error.
fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Compact JSON as Go's `json.Marshal` writes it.
fn to_go_json<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    go_escape(serde_json::to_vec(value).expect("plain structs of strings always serialise"))
}

/// Go's encoding/json escapes `<`, `>` and `&` (HTML safety) and U+2028
/// and U+2029 (JavaScript safety) inside strings; serde_json does not. In
/// serde_json's output these can only occur inside strings, so a byte
/// rewrite is exact.
fn go_escape(json: Vec<u8>) -> Vec<u8> {
    if !json.iter().any(|b| matches!(b, b'<' | b'>' | b'&' | 0xE2)) {
        return json;
    }
    let mut out = Vec::with_capacity(json.len() + 16);
    let mut i = 0;
    while i < json.len() {
        let escape: Option<&[u8]> = match json[i..] {
            [b'<', ..] => Some(br"\u003c"),
            [b'>', ..] => Some(br"\u003e"),
            [b'&', ..] => Some(br"\u0026"),
            [0xE2, 0x80, 0xA8, ..] => Some(br"\u2028"),
            [0xE2, 0x80, 0xA9, ..] => Some(br"\u2029"),
            _ => None,
        };
        match escape {
            Some(text) => {
                out.extend_from_slice(text);
                i += if json[i] == 0xE2 { 3 } else { 1 };
            }
            None => {
                out.push(json[i]);
                i += 1;
            }
        }
    }
    out
}
