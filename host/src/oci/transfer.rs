//! Copying a graph of manifests and blobs from one place to another:
//! registry to registry (`wharf copy`), registry to an OCI image layout
//! (`wharf archive`) and back (`wharf publish --archive`).
//!
//! Children go first: every blob before the manifest that names it, every
//! manifest before the index that lists it, as registries require
//! (distribution 2.8 refuses an index whose manifests it lacks). Nothing
//! here writes a tag; the caller tags the root last, so an interrupted
//! copy never leaves a tag pointing at half a bundle.

use std::collections::BTreeSet;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use super::cnab_layout::Descriptor;
use super::media_types::{DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST};
use crate::digest::Digest;

/// The manifest media types this walk descends into.
pub const MANIFEST_TYPES: [&str; 4] = [
    OCI_INDEX,
    DOCKER_MANIFEST_LIST,
    OCI_MANIFEST,
    DOCKER_MANIFEST,
];

/// Where content is read from. Both reads verify the digest.
pub trait ContentSource {
    /// The manifest with `digest`, as bytes.
    fn manifest(&self, digest: &str) -> impl Future<Output = Result<Vec<u8>>> + Send;
    /// The blob with `digest`, at most `size` bytes.
    fn blob(&self, digest: &str, size: u64) -> impl Future<Output = Result<Vec<u8>>> + Send;
}

/// Where content is written.
pub trait ContentSink {
    /// Whether the blob is there already (then it is not copied).
    fn has_blob(&self, digest: &str) -> impl Future<Output = Result<bool>> + Send;
    /// Stores a blob.
    fn put_blob(&self, digest: &str, bytes: &[u8]) -> impl Future<Output = Result<()>> + Send;
    /// Stores a manifest under its digest (never under a tag).
    fn put_manifest(
        &self,
        digest: &str,
        bytes: &[u8],
        media_type: &str,
    ) -> impl Future<Output = Result<()>> + Send;
}

/// Copies the manifest `root` and everything it reaches from `source` to
/// `sink`, children first. Returns how many blobs were copied.
pub async fn transfer<S: ContentSource + Sync, K: ContentSink + Sync>(
    source: &S,
    sink: &K,
    root: &Descriptor,
) -> Result<usize> {
    let mut done = BTreeSet::new();
    let mut copied = 0;
    // An explicit stack instead of recursion: async recursion needs boxing,
    // and a hostile index must not be able to nest without bound.
    let mut stack = vec![(root.clone(), false)];
    while let Some((descriptor, children_done)) = stack.pop() {
        if done.contains(&descriptor.digest) {
            continue;
        }
        if stack.len() > 10_000 {
            bail!(
                "the manifest graph under {} is too large to copy",
                root.digest
            );
        }
        let bytes = source.manifest(&descriptor.digest).await?;
        if !children_done {
            stack.push((descriptor.clone(), true));
            let (manifests, blobs) = children(&bytes)
                .with_context(|| format!("cannot read the manifest {}", descriptor.digest))?;
            for blob in blobs {
                if done.insert(blob.digest.clone()) && !sink.has_blob(&blob.digest).await? {
                    let data = source.blob(&blob.digest, blob.size).await?;
                    sink.put_blob(&blob.digest, &data).await?;
                    copied += 1;
                }
            }
            for child in manifests.into_iter().rev() {
                stack.push((child, false));
            }
            continue;
        }
        sink.put_manifest(&descriptor.digest, &bytes, &descriptor.media_type)
            .await?;
        done.insert(descriptor.digest.clone());
    }
    Ok(copied)
}

/// The child manifests (of an index or list) and the blobs (config and
/// layers of an image manifest) that `manifest` names.
pub fn children(manifest: &[u8]) -> Result<(Vec<Descriptor>, Vec<Descriptor>)> {
    let value: Value = serde_json::from_slice(manifest).context("it is not JSON")?;
    let mut manifests = Vec::new();
    let mut blobs = Vec::new();
    if let Some(list) = value.get("manifests").and_then(Value::as_array) {
        for entry in list {
            let child = read_descriptor(entry)?;
            if !MANIFEST_TYPES.contains(&child.media_type.as_str()) {
                bail!(
                    "it lists {} of media type {:?}, which is not a manifest Wharf can copy",
                    child.digest,
                    child.media_type
                );
            }
            manifests.push(child);
        }
    }
    if let Some(config) = value.get("config").filter(|c| !c.is_null()) {
        blobs.push(read_descriptor(config)?);
    }
    if let Some(layers) = value.get("layers").and_then(Value::as_array) {
        for layer in layers {
            blobs.push(read_descriptor(layer)?);
        }
    }
    Ok((manifests, blobs))
}

fn read_descriptor(value: &Value) -> Result<Descriptor> {
    let text = |key: &str| {
        value
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_string)
            .with_context(|| format!("a descriptor has no {key}"))
    };
    let digest = text("digest")?;
    if !Digest::is_valid(&digest) {
        bail!("a descriptor has the digest {digest:?}, which is not sha256:<64 hex digits>");
    }
    Ok(Descriptor {
        media_type: text("mediaType")?,
        digest,
        size: value
            .get("size")
            .and_then(Value::as_u64)
            .context("a descriptor has no size")?,
        annotations: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_of_an_index_and_an_image_manifest() {
        let d = |c: char| format!("sha256:{}", c.to_string().repeat(64));
        let index = serde_json::json!({"schemaVersion": 2, "manifests": [
            {"mediaType": OCI_MANIFEST, "digest": d('a'), "size": 10}
        ]});
        let (manifests, blobs) = children(index.to_string().as_bytes()).unwrap();
        assert_eq!((manifests.len(), blobs.len()), (1, 0));
        let image = serde_json::json!({"schemaVersion": 2,
            "config": {"mediaType": "x", "digest": d('b'), "size": 1},
            "layers": [{"mediaType": "y", "digest": d('c'), "size": 2}]});
        let (manifests, blobs) = children(image.to_string().as_bytes()).unwrap();
        assert_eq!((manifests.len(), blobs.len()), (0, 2));
        // cnab-to-oci's config manifests have `"layers": null`.
        let config = serde_json::json!({"schemaVersion": 2,
            "config": {"mediaType": "x", "digest": d('b'), "size": 1}, "layers": null});
        assert_eq!(children(config.to_string().as_bytes()).unwrap().1.len(), 1);
    }

    #[test]
    fn hostile_descriptors_are_refused() {
        let bad = serde_json::json!({"manifests": [
            {"mediaType": OCI_MANIFEST, "digest": "sha256:../../etc", "size": 1}
        ]});
        assert!(children(bad.to_string().as_bytes()).is_err());
        assert!(children(b"not json").is_err());
    }
}
