//! Mixins as CNCF Wasm OCI artifacts (the format of wasm-pkg-tools and
//! `oci-wasm`): an OCI image manifest whose config is
//! `application/vnd.wasm.config.v0+json` and whose one layer is the
//! component, `application/wasm`. Any tool that speaks that format can
//! publish or fetch a Wharf mixin, and a mixin is a single artifact for
//! every platform.
//!
//! Pulls verify everything ([`Registry`] checks digests and sizes) and keep
//! both the component (by its layer digest) and the manifest (by its own
//! digest) in the [`BlobCache`], so installing a reference pinned by digest
//! a second time needs no registry at all.

use oci_client::Reference;
use serde_json::{Value, json};

use super::blob_cache::{BlobCache, BlobCacheError};
use super::media_types;
use super::registry::{Registry, RegistryError};
use crate::digest::Digest;
use crate::home::{ConfigError, WharfHome};
use crate::mixin::component_header::is_component;

/// Where official mixins live unless configured otherwise.
pub const DEFAULT_NAMESPACE: &str = "ghcr.io/wharf-sh/mixins";
/// The environment variable that overrides the namespace.
pub const NAMESPACE_ENV: &str = "WHARF_MIXIN_NAMESPACE";

/// A published mixin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The reference it was pushed to.
    pub reference: String,
    /// The manifest's digest, which pins exactly this artifact.
    pub digest: Digest,
}

/// A pulled, verified mixin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pulled {
    /// The manifest's digest.
    pub manifest_digest: String,
    /// The component layer's digest (the sha256 of `wasm`).
    pub layer_digest: String,
    /// The component.
    pub wasm: Vec<u8>,
}

/// Why a mixin could not be published or pulled.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    /// The bytes are a core module or not WebAssembly at all.
    #[error(
        "{0} is not a WebAssembly component; mixins are components of the wharf:mixin world, \
         built with `cargo build --target wasm32-wasip2`"
    )]
    NotAComponent(String),
    /// The artifact is not a Wasm artifact with one component layer.
    #[error("{reference} is not a Wasm mixin artifact: {detail}")]
    NotAMixin {
        /// The reference.
        reference: String,
        /// What is wrong with it.
        detail: String,
    },
    /// `NAME@VERSION` with a VERSION that is neither a version nor a range.
    #[error(
        "{constraint:?} is not a version or a version range ({reason}); write, for example, \
         {name}@1.2.0 or {name}@^1.2"
    )]
    BadConstraint {
        /// The mixin's name.
        name: String,
        /// What was given.
        constraint: String,
        /// Why it does not parse.
        reason: String,
    },
    /// No tag satisfies the constraint.
    #[error(
        "no version of the {name} mixin in {namespace} matches {constraint:?}; it has {available}"
    )]
    NoMatchingVersion {
        /// The mixin's name.
        name: String,
        /// The namespace searched.
        namespace: String,
        /// The constraint.
        constraint: String,
        /// The tags there are, for the message.
        available: String,
    },
    /// The registry operation failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The blob cache failed.
    #[error(transparent)]
    Cache(#[from] BlobCacheError),
}

/// Publishes a component of `wharf:mixin@{world_version}` as a Wasm
/// artifact at `reference`.
pub async fn publish_mixin(
    registry: &Registry,
    wasm: &[u8],
    world_version: &str,
    reference: &Reference,
) -> Result<Published, ArtifactError> {
    if !is_component(wasm) {
        return Err(ArtifactError::NotAComponent(
            "the file to publish".to_string(),
        ));
    }
    let layer_digest = registry.push_blob(reference, wasm).await?;
    let config = config_json(&layer_digest, world_version);
    let config_digest = registry.push_blob(reference, &config).await?;
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": media_types::OCI_MANIFEST,
        "config": {
            "mediaType": media_types::WASM_CONFIG,
            "digest": config_digest,
            "size": config.len(),
        },
        "layers": [{
            "mediaType": media_types::WASM_LAYER,
            "digest": layer_digest,
            "size": wasm.len(),
        }],
    }))
    .expect("a JSON value always serializes");
    let digest = registry
        .push_manifest(reference, &manifest, media_types::OCI_MANIFEST)
        .await?;
    Ok(Published {
        reference: reference.whole(),
        digest,
    })
}

/// The artifact's config: what the spec requires of a `wasip2` component,
/// described by the world version the mixin implements.
fn config_json(layer_digest: &str, world_version: &str) -> Vec<u8> {
    let world = |item: &str| format!("wharf:mixin/{item}@{world_version}");
    serde_json::to_vec(&json!({
        "created": created(),
        "architecture": "wasm",
        "os": "wasip2",
        "layerDigests": [layer_digest],
        "component": {
            "exports": [world("api")],
            "imports": [world("host")],
            "target": world("mixin"),
        },
    }))
    .expect("a JSON value always serializes")
}

/// Now, or `$SOURCE_DATE_EPOCH` when set, so that publishing the same
/// component twice can give the same manifest digest.
fn created() -> String {
    use crate::time::Timestamp;
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .and_then(|secs| Timestamp::from_unix(i64::try_from(secs).ok()?, 0))
        .unwrap_or_else(Timestamp::now)
        .to_rfc3339_millis()
}

/// Pulls the mixin at `reference`, verified, through `cache`. A reference
/// pinned by digest whose manifest and component are cached needs no
/// registry.
pub async fn pull_mixin(
    registry: &Registry,
    cache: &BlobCache,
    reference: &Reference,
) -> Result<Pulled, ArtifactError> {
    let not_a_mixin = |detail| ArtifactError::NotAMixin {
        reference: reference.whole(),
        detail,
    };
    if let Some(pinned) = reference.digest().filter(|d| Digest::is_valid(d))
        && let Some(manifest) = cache.get(pinned)?
        && let Ok((layer_digest, _)) = wasm_layer(&manifest)
        && let Some(wasm) = cache.get(&layer_digest)?
    {
        return Ok(Pulled {
            manifest_digest: pinned.to_string(),
            layer_digest,
            wasm,
        });
    }
    let manifest = registry
        .pull_manifest(reference, &[media_types::OCI_MANIFEST])
        .await?;
    let (layer_digest, size) = wasm_layer(&manifest.bytes).map_err(not_a_mixin)?;
    let wasm = match cache.get(&layer_digest)? {
        Some(wasm) => wasm,
        None => {
            registry
                .pull_blob(reference, &layer_digest, Some(size))
                .await?
        }
    };
    if !is_component(&wasm) {
        return Err(not_a_mixin(format!(
            "its layer {layer_digest} is not a WebAssembly component"
        )));
    }
    cache.put(&layer_digest, &wasm)?;
    cache.put(&manifest.digest.to_string(), &manifest.bytes)?;
    Ok(Pulled {
        manifest_digest: manifest.digest.to_string(),
        layer_digest,
        wasm,
    })
}

/// The digest and size of a manifest's one component layer.
pub fn wasm_layer(manifest: &[u8]) -> Result<(String, u64), String> {
    let manifest: Value =
        serde_json::from_slice(manifest).map_err(|e| format!("its manifest is not JSON ({e})"))?;
    let layers = manifest
        .get("layers")
        .and_then(Value::as_array)
        .ok_or("its manifest has no layers")?;
    let wasm: Vec<&Value> = layers
        .iter()
        .filter(|layer| {
            matches!(
                layer.get("mediaType").and_then(Value::as_str),
                Some(media_types::WASM_LAYER | media_types::WASM_LAYER_LEGACY)
            )
        })
        .collect();
    let [layer] = wasm.as_slice() else {
        return Err(format!(
            "it has {} layers of type {} where a mixin has exactly one",
            wasm.len(),
            media_types::WASM_LAYER
        ));
    };
    let digest = layer
        .get("digest")
        .and_then(Value::as_str)
        .filter(|d| Digest::is_valid(d))
        .ok_or("its layer has no sha256 digest")?;
    let size = layer
        .get("size")
        .and_then(Value::as_u64)
        .ok_or("its layer has no size")?;
    Ok((digest.to_string(), size))
}

/// A version constraint: a bare version means exactly that version,
/// anything else is a semver range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Constraint {
    /// `1.2.0` or `v1.2.0`.
    Exact(semver::Version),
    /// `^1.2`, `~1.2`, `>=1, <2`, `*`.
    Range(semver::VersionReq),
}

impl Constraint {
    /// Parses a constraint.
    pub fn parse(text: &str) -> Result<Self, semver::Error> {
        let text = text.trim();
        match semver::Version::parse(strip_v(text)) {
            Ok(version) => Ok(Self::Exact(version)),
            // `v1.2` is a partial version as Porter users write it.
            Err(_) => semver::VersionReq::parse(strip_v(text)).map(Self::Range),
        }
    }

    /// Whether `version` satisfies the constraint. Ranges take a
    /// prerelease only when they name one of the same version, as Cargo
    /// does.
    pub fn matches(&self, version: &semver::Version) -> bool {
        match self {
            Self::Exact(exact) => exact == version,
            Self::Range(range) => range.matches(version),
        }
    }
}

/// The highest tag (a semver version, with or without a leading `v`) that
/// satisfies `constraint`; `None` when none does or the constraint is not
/// one.
pub fn resolve_version(tags: &[String], constraint: &str) -> Option<String> {
    let constraint = Constraint::parse(constraint).ok()?;
    tags.iter()
        .filter_map(|tag| Some((semver::Version::parse(strip_v(tag)).ok()?, tag)))
        .filter(|(version, _)| constraint.matches(version))
        // Between `1.2.0` and `v1.2.0`, the bare one, so the choice is stable.
        .max_by_key(|(version, tag)| (version.clone(), !tag.starts_with('v')))
        .map(|(_, tag)| tag.clone())
}

fn strip_v(text: &str) -> &str {
    text.strip_prefix('v').unwrap_or(text)
}

/// The reference of mixin `name` in `namespace` at the highest tag that
/// satisfies `constraint` (`*` for the highest release).
pub async fn resolve_mixin(
    registry: &Registry,
    namespace: &str,
    name: &str,
    constraint: &str,
) -> Result<String, ArtifactError> {
    if let Err(e) = Constraint::parse(constraint) {
        return Err(ArtifactError::BadConstraint {
            name: name.into(),
            constraint: constraint.into(),
            reason: e.to_string(),
        });
    }
    let repository = Registry::parse_reference(&mixin_reference(namespace, name, "latest"))?;
    let tags = registry.list_tags(&repository).await?;
    let tag =
        resolve_version(&tags, constraint).ok_or_else(|| ArtifactError::NoMatchingVersion {
            name: name.into(),
            namespace: namespace.into(),
            constraint: constraint.into(),
            available: if tags.is_empty() {
                "no tags".into()
            } else {
                format!("the tags {}", tags.join(", "))
            },
        })?;
    Ok(mixin_reference(namespace, name, &tag))
}

/// The namespace of official mixins: `$WHARF_MIXIN_NAMESPACE`, else
/// `mixinNamespace` in `$WHARF_HOME/config.json`, else
/// [`DEFAULT_NAMESPACE`]. A config file that cannot be read is an error,
/// not a silent fall back to the default registry.
pub fn default_namespace(home: &WharfHome) -> Result<String, ConfigError> {
    if let Some(namespace) = std::env::var(NAMESPACE_ENV)
        .ok()
        .filter(|v| !v.trim().is_empty())
    {
        return Ok(namespace.trim().trim_end_matches('/').to_string());
    }
    Ok(home
        .config()?
        .mixin_namespace()
        .unwrap_or(DEFAULT_NAMESPACE)
        .to_string())
}

/// The reference of mixin `name` at `tag` in `namespace`.
pub fn mixin_reference(namespace: &str, name: &str, tag: &str) -> String {
    format!("{}/{name}:{tag}", namespace.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn versions_resolve_to_the_highest_match() {
        let tags = tags(&[
            "1.0.0",
            "v1.2.0",
            "1.2.5",
            "1.3.0-rc.1",
            "2.0.0",
            "latest",
            "1.10",
        ]);
        let pick = |c| resolve_version(&tags, c);
        assert_eq!(pick("1.0.0").as_deref(), Some("1.0.0"));
        assert_eq!(pick("v1.2.0").as_deref(), Some("v1.2.0"));
        assert_eq!(pick("1.2.0").as_deref(), Some("v1.2.0"));
        assert_eq!(pick("^1.2").as_deref(), Some("1.2.5"));
        assert_eq!(pick("~1.2").as_deref(), Some("1.2.5"));
        assert_eq!(pick(">=1, <2").as_deref(), Some("1.2.5"));
        assert_eq!(pick("*").as_deref(), Some("2.0.0"));
        assert_eq!(pick(">=1.3.0-rc.1").as_deref(), Some("2.0.0"));
        assert_eq!(pick("~1.3.0-rc.0").as_deref(), Some("1.3.0-rc.1"));
        assert_eq!(pick("1.3.0-rc.1").as_deref(), Some("1.3.0-rc.1"));
        assert_eq!(pick("^3"), None);
        assert_eq!(pick("1.1.0"), None);
        assert_eq!(pick("not a version"), None);
    }

    #[test]
    fn prefers_the_bare_tag_between_equal_versions() {
        let tags = tags(&["v1.2.0", "1.2.0"]);
        assert_eq!(resolve_version(&tags, "^1").as_deref(), Some("1.2.0"));
    }

    #[test]
    fn component_headers_are_told_from_modules() {
        assert!(is_component(b"\0asm\x0d\x00\x01\x00rest"));
        assert!(!is_component(b"\0asm\x01\x00\x00\x00rest"));
        assert!(!is_component(b"\0asm"));
        assert!(!is_component(b"#!/bin/sh"));
    }

    #[test]
    fn manifests_need_exactly_one_component_layer() {
        let digest = format!("sha256:{}", "a".repeat(64));
        let manifest = |layers: Value| serde_json::to_vec(&json!({ "layers": layers })).unwrap();
        let one = manifest(json!([{"mediaType": "application/wasm", "digest": digest, "size": 9}]));
        assert_eq!(wasm_layer(&one).unwrap(), (digest.clone(), 9));
        let legacy = manifest(json!([{
            "mediaType": media_types::WASM_LAYER_LEGACY, "digest": digest, "size": 9
        }]));
        assert!(wasm_layer(&legacy).is_ok());
        let two = manifest(json!([
            {"mediaType": "application/wasm", "digest": digest, "size": 9},
            {"mediaType": "application/wasm", "digest": digest, "size": 9}
        ]));
        assert!(wasm_layer(&two).unwrap_err().contains("2 layers"));
        let bad = manifest(
            json!([{"mediaType": "application/wasm", "digest": "sha256:../x", "size": 9}]),
        );
        assert!(wasm_layer(&bad).is_err());
        assert!(wasm_layer(b"nope").is_err());
        let negative =
            manifest(json!([{"mediaType": "application/wasm", "digest": digest, "size": -1}]));
        assert!(wasm_layer(&negative).is_err());
    }

    #[test]
    fn the_config_is_a_wasip2_component_config() {
        let layer = format!("sha256:{}", "b".repeat(64));
        let config: Value = serde_json::from_slice(&config_json(&layer, "0.1.0")).unwrap();
        assert_eq!(config["architecture"], "wasm");
        assert_eq!(config["os"], "wasip2");
        assert_eq!(config["layerDigests"], json!([layer]));
        assert!(config["created"].as_str().unwrap().ends_with('Z'));
        assert_eq!(config["component"]["exports"][0], "wharf:mixin/api@0.1.0");
        assert_eq!(config["component"]["target"], "wharf:mixin/mixin@0.1.0");
    }

    #[test]
    fn the_namespace_comes_from_the_home_config() {
        // The environment override is exercised end to end; here the
        // file and the default (nothing sets the variable in unit tests).
        let dir = tempfile::tempdir().unwrap();
        let home = WharfHome::new(dir.path());
        assert_eq!(default_namespace(&home).unwrap(), DEFAULT_NAMESPACE);
        std::fs::write(
            home.config_file(),
            r#"{"mixinNamespace": "registry.lan/mixins/"}"#,
        )
        .unwrap();
        assert_eq!(default_namespace(&home).unwrap(), "registry.lan/mixins");
        std::fs::write(home.config_file(), "{broken").unwrap();
        let err = default_namespace(&home).unwrap_err().to_string();
        assert!(
            err.contains(&home.config_file().display().to_string()),
            "{err}"
        );
        assert_eq!(
            mixin_reference("registry.lan/mixins/", "exec", "1.2.0"),
            "registry.lan/mixins/exec:1.2.0"
        );
    }
}
