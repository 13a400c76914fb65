//! The two places bundle content is copied between: a repository in a
//! registry, and an OCI image layout directory (inside an archive).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use oci_client::Reference;

use super::registry::Registry;
use super::transfer::{ContentSink, ContentSource, MANIFEST_TYPES};
use crate::digest::Digest;
use crate::fs_atomic::write_atomically;

/// One repository of a registry, e.g. `127.0.0.1:5000/bundles/hello`.
#[derive(Clone)]
pub struct RepositoryContent {
    pub registry: Registry,
    /// The registry's host (and port).
    pub host: String,
    pub repository: String,
}

impl RepositoryContent {
    /// The repository `reference` names (its tag or digest is ignored).
    pub fn of(registry: &Registry, reference: &Reference) -> Self {
        Self {
            registry: registry.clone(),
            host: reference.registry().to_string(),
            repository: reference.repository().to_string(),
        }
    }

    /// `host/repository@digest`.
    pub fn at_digest(&self, digest: &str) -> Reference {
        Reference::with_digest(
            self.host.clone(),
            self.repository.clone(),
            digest.to_string(),
        )
    }

    /// `host/repository:tag`.
    pub fn at_tag(&self, tag: &str) -> Reference {
        Reference::with_tag(self.host.clone(), self.repository.clone(), tag.to_string())
    }

    /// `host/repository`, for messages and relocation mappings.
    pub fn name(&self) -> String {
        format!("{}/{}", self.host, self.repository)
    }
}

impl ContentSource for RepositoryContent {
    async fn manifest(&self, digest: &str) -> Result<Vec<u8>> {
        let pulled = self
            .registry
            .pull_manifest(&self.at_digest(digest), &MANIFEST_TYPES)
            .await?;
        Ok(pulled.bytes)
    }

    async fn blob(&self, digest: &str, size: u64) -> Result<Vec<u8>> {
        Ok(self
            .registry
            .pull_blob(&self.at_digest(digest), digest, Some(size))
            .await?)
    }
}

impl ContentSink for RepositoryContent {
    async fn has_blob(&self, _digest: &str) -> Result<bool> {
        // `push_blob` itself skips a blob the registry has.
        Ok(false)
    }

    async fn put_blob(&self, digest: &str, bytes: &[u8]) -> Result<()> {
        self.registry
            .push_blob(&self.at_digest(digest), bytes)
            .await?;
        Ok(())
    }

    async fn put_manifest(&self, digest: &str, bytes: &[u8], media_type: &str) -> Result<()> {
        self.registry
            .push_manifest(&self.at_digest(digest), bytes, media_type)
            .await?;
        Ok(())
    }
}

/// An OCI image layout: `oci-layout`, `index.json` and
/// `blobs/sha256/<hex>`. Every read is verified against its digest.
#[derive(Debug, Clone)]
pub struct LayoutDir {
    root: PathBuf,
}

/// The most a manifest read from a layout may weigh.
const MAX_MANIFEST_BYTES: u64 = 4 << 20;

impl LayoutDir {
    /// The layout at `root` (created on the first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The layout's directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn blob_path(&self, digest: &str) -> Result<(Digest, PathBuf)> {
        let parsed = Digest::parse(digest)?;
        Ok((parsed, self.root.join("blobs/sha256").join(parsed.hex())))
    }

    fn read(&self, digest: &str, limit: u64) -> Result<Vec<u8>> {
        let (expected, path) = self.blob_path(digest)?;
        let len = std::fs::metadata(&path)
            .with_context(|| format!("the archive has no blob {digest}"))?
            .len();
        if len > limit {
            bail!("the archive's blob {digest} is {len} bytes, more than the {limit} expected");
        }
        let bytes =
            std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        if Digest::of(&bytes) != expected {
            bail!("the archive's blob {digest} does not match its digest: the archive is damaged");
        }
        Ok(bytes)
    }

    /// Writes `index.json` (one entry, the bundle, named `tag`) and
    /// `oci-layout`.
    pub fn write_index(&self, root: &super::cnab_layout::Descriptor, tag: &str) -> Result<()> {
        let index = serde_json::json!({
            "schemaVersion": 2,
            "manifests": [{
                "mediaType": root.media_type,
                "digest": root.digest,
                "size": root.size,
                "annotations": {"org.opencontainers.image.ref.name": tag},
            }],
        });
        write_atomically(&self.root.join("index.json"), index.to_string().as_bytes())?;
        write_atomically(
            &self.root.join("oci-layout"),
            br#"{"imageLayoutVersion":"1.0.0"}"#,
        )?;
        Ok(())
    }

    /// The bundle's entry in `index.json`.
    pub fn read_index(&self) -> Result<super::cnab_layout::Descriptor> {
        let path = self.root.join("index.json");
        let text = std::fs::read(&path)
            .with_context(|| format!("the archive has no OCI layout index ({})", path.display()))?;
        let (manifests, _) = super::transfer::children(&text)
            .with_context(|| format!("{} is not an OCI index", path.display()))?;
        match manifests.as_slice() {
            [one] => Ok(one.clone()),
            _ => bail!(
                "{} lists {} manifests; a Wharf archive holds exactly one bundle",
                path.display(),
                manifests.len()
            ),
        }
    }
}

impl ContentSource for LayoutDir {
    async fn manifest(&self, digest: &str) -> Result<Vec<u8>> {
        self.read(digest, MAX_MANIFEST_BYTES)
    }

    async fn blob(&self, digest: &str, size: u64) -> Result<Vec<u8>> {
        self.read(digest, size)
    }
}

impl ContentSink for LayoutDir {
    async fn has_blob(&self, digest: &str) -> Result<bool> {
        Ok(self.blob_path(digest)?.1.exists())
    }

    async fn put_blob(&self, digest: &str, bytes: &[u8]) -> Result<()> {
        Ok(write_atomically(&self.blob_path(digest)?.1, bytes)?)
    }

    async fn put_manifest(&self, digest: &str, bytes: &[u8], _media_type: &str) -> Result<()> {
        Ok(write_atomically(&self.blob_path(digest)?.1, bytes)?)
    }
}
