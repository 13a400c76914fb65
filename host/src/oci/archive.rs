//! Airgap archives: `wharf archive FILE --reference REF` writes a gzipped
//! tar with the bundle's `bundle.json`, its `relocation-mapping.json` and
//! an OCI image layout (`artifacts/layout/`) holding every manifest and
//! blob of the bundle, images included; `wharf publish --archive FILE
//! --reference REF` pushes it into a registry that never saw the bundle.

use std::path::{Component, Path};

use anyhow::{Context, Result, bail};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use oci_client::Reference;

use super::bundles::RemoteBundle;
use super::cnab_layout::{parse_bundle_index, relocation_mapping};
use super::content::{LayoutDir, RepositoryContent};
use super::registry::Registry;
use super::transfer::transfer;
use crate::fs_atomic::AtomicFile;

/// Where the layout sits inside the archive.
const LAYOUT_DIR: &str = "artifacts/layout";
/// The most an archive may unpack to, so a hostile one cannot fill a disk.
const MAX_UNPACKED_BYTES: u64 = 16 << 30;

/// Writes the archive of `pulled`, the bundle at `reference`, to `file`;
/// returns the bundle's digest. The file appears whole or not at all.
pub async fn archive(
    registry: &Registry,
    pulled: &RemoteBundle,
    reference: &Reference,
    file: &Path,
) -> Result<String> {
    let staging = tempfile::tempdir().context("cannot make a temporary directory")?;
    let layout = LayoutDir::new(staging.path().join(LAYOUT_DIR));
    let repo = RepositoryContent::of(registry, reference);
    let descriptor = super::bundles::root_descriptor(&pulled.index);
    transfer(&repo, &layout, &descriptor).await?;
    let tag = reference.tag().unwrap_or("latest");
    layout.write_index(&descriptor, tag)?;
    std::fs::write(staging.path().join("bundle.json"), pulled.json.as_bytes())?;
    std::fs::write(
        staging.path().join("relocation-mapping.json"),
        relocation_mapping(&pulled.relocation),
    )?;

    let out = AtomicFile::create(file)?;
    let mut tar = tar::Builder::new(GzEncoder::new(out, Compression::default()));
    tar.follow_symlinks(false);
    tar.append_dir_all(".", staging.path())
        .with_context(|| format!("cannot write the archive {}", file.display()))?;
    let out = tar
        .into_inner()
        .and_then(GzEncoder::finish)
        .with_context(|| format!("cannot write the archive {}", file.display()))?;
    out.commit()?;
    Ok(descriptor.digest)
}

/// Publishes the bundle in the archive `file` to `target`, tagging it
/// last; returns its digest.
pub async fn publish_archive(
    registry: &Registry,
    file: &Path,
    target: &Reference,
) -> Result<String> {
    let Some(tag) = target.tag() else {
        bail!("publish needs a tag: {} has none", target.whole());
    };
    let staging = tempfile::tempdir().context("cannot make a temporary directory")?;
    unpack(file, staging.path())?;
    let layout = LayoutDir::new(staging.path().join(LAYOUT_DIR));
    let root = layout
        .read_index()
        .with_context(|| format!("{} is not a Wharf or Porter archive", file.display()))?;
    let index = super::transfer::ContentSource::manifest(&layout, &root.digest).await?;
    parse_bundle_index(&index)
        .with_context(|| format!("the archive {} holds no CNAB bundle", file.display()))?;
    let repo = RepositoryContent::of(registry, target);
    transfer(&layout, &repo, &root).await?;
    registry
        .push_manifest(&repo.at_tag(tag), &index, &root.media_type)
        .await?;
    Ok(root.digest)
}

/// Unpacks plain files and directories with relative paths that stay in
/// `dir`; anything else in the archive is refused.
fn unpack(file: &Path, dir: &Path) -> Result<()> {
    let reader = std::fs::File::open(file)
        .with_context(|| format!("cannot open the archive {}", file.display()))?;
    unpack_reader(reader, file, dir)
}

/// [`unpack`] from any reader of gzipped tar bytes; `file` names it in
/// errors. Public so the archive fuzz target drives exactly this code.
pub fn unpack_reader(reader: impl std::io::Read, file: &Path, dir: &Path) -> Result<()> {
    let mut tar = tar::Archive::new(GzDecoder::new(reader));
    let mut total = 0u64;
    for entry in tar
        .entries()
        .with_context(|| format!("{} is not a gzipped tar archive", file.display()))?
    {
        let mut entry = entry.with_context(|| format!("{} is damaged", file.display()))?;
        let path = entry.path()?.into_owned();
        let safe = path
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
        if !safe {
            bail!(
                "{} holds the unsafe path {}",
                file.display(),
                path.display()
            );
        }
        let kind = entry.header().entry_type();
        if !(kind.is_file() || kind.is_dir()) {
            bail!(
                "{} holds {}, which is not a file or a directory",
                file.display(),
                path.display()
            );
        }
        total += entry.size();
        if total > MAX_UNPACKED_BYTES {
            bail!("{} unpacks to more than 16 GiB", file.display());
        }
        entry.unpack_in(dir)?;
    }
    Ok(())
}
