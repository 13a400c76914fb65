//! Bundles in registries: `wharf publish`, pulling for `install
//! --reference`, and `wharf copy`, in cnab-to-oci's layout so Porter reads
//! what Wharf writes and the other way round.
//!
//! A published bundle is one repository holding the invocation image (and
//! the bundle's other images, relocated into it), a config manifest whose
//! config blob is the canonical bundle.json, and an index listing them,
//! tagged. Everything is pushed children first and the tag last, so a
//! publish cut short leaves no tag at all, never a tag on half a bundle.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use bollard::Docker;
use oci_client::Reference;

use super::cnab_layout::{
    ConfigFlavor, Descriptor, bundle_index, bundle_manifest_list, config_manifest, descriptor,
    parse_bundle_index, parse_config_manifest,
};
use super::content::RepositoryContent;
use super::docker_images;
use super::media_types::{DOCKER_MANIFEST_LIST, OCI_INDEX};
use super::registry::{PulledManifest, Registry};
use super::transfer::{MANIFEST_TYPES, transfer};
use crate::cnab::Bundle;
use crate::digest::Digest;
use crate::fs_atomic::write_atomically;
use crate::home::WharfHome;

/// A bundle in a registry.
#[derive(Debug, Clone)]
pub struct RemoteBundle {
    /// The bundle with its images relocated into the repository.
    pub bundle: Bundle,
    /// The canonical bundle.json as the registry holds it (images not
    /// relocated: [`relocation`](Self::relocation) says where they are).
    pub json: String,
    /// The index (or manifest list) under the tag; its digest is the
    /// "bundle digest" Porter records.
    pub index: PulledManifest,
    /// Original image reference → `repository@digest`.
    pub relocation: BTreeMap<String, String>,
}

impl RemoteBundle {
    /// The bundle's digest: its index's.
    pub fn digest(&self) -> Digest {
        self.index.digest
    }
}

/// Publishes a locally built bundle to `target` (`registry/repository:tag`).
pub async fn publish(
    docker: &Docker,
    registry: &Registry,
    bundle: &Bundle,
    target: &Reference,
    progress: &mut dyn FnMut(&str),
) -> Result<RemoteBundle> {
    let Some(tag) = target.tag() else {
        bail!(
            "publish needs a tag: {} has none (e.g. add :v{})",
            target.whole(),
            bundle.version
        );
    };
    let repo = RepositoryContent::of(registry, target);
    let mut published = bundle.clone();
    let mut relocation = BTreeMap::new();
    let mut invocations = Vec::new();
    for image in &mut published.invocation_images {
        let original = image.image.clone();
        progress(&format!("pushing the invocation image {original}\n"));
        let pushed =
            push_image(docker, &repo, &original, &image_tag(&original, "installer")).await?;
        relocation.insert(original, format!("{}@{}", repo.name(), pushed.digest));
        image.image = format!("{}@{}", repo.name(), pushed.digest);
        image.content_digest = pushed.digest.clone();
        image.size = pushed.size;
        image.media_type = pushed.media_type.clone();
        invocations.push(pushed);
    }
    let mut components = Vec::new();
    for (name, image) in &mut published.images {
        let original = image.image.clone();
        progress(&format!("relocating the image {name} ({original})\n"));
        docker_images::ensure_pulled(docker, registry, &original).await?;
        let pushed = push_image(docker, &repo, &original, &image_tag(&original, name)).await?;
        relocation.insert(original, format!("{}@{}", repo.name(), pushed.digest));
        image.image = format!("{}@{}", repo.name(), pushed.digest);
        image.content_digest = pushed.digest.clone();
        image.size = pushed.size;
        image.media_type = pushed.media_type.clone();
        components.push((name.clone(), pushed));
    }

    let json = published
        .to_canonical_json()
        .context("cannot write the bundle's canonical bundle.json")?;
    progress(&format!("pushing the bundle to {}\n", target.whole()));
    let config_blob = Digest::of(&json).to_string();
    registry
        .push_blob(&repo.at_digest(&config_blob), &json)
        .await?;
    let config = push_config_manifest(&repo, &json).await?;
    let index = push_index(&repo, &published, &config, &invocations, &components).await?;
    // Last, and in one request: the tag.
    registry
        .push_manifest(&repo.at_tag(tag), &index.bytes, &index.media_type)
        .await?;
    Ok(RemoteBundle {
        json: String::from_utf8_lossy(&json).into_owned(),
        bundle: published,
        index,
        relocation,
    })
}

/// `<name>-<tag of the image>`, so each pushed image has a readable tag.
fn image_tag(image: &str, prefix: &str) -> String {
    let (_, tag) = docker_images::split_tag(image);
    let tag: String = tag
        .unwrap_or("latest")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("{prefix}-{tag}")
}

async fn push_image(
    docker: &Docker,
    repo: &RepositoryContent,
    image: &str,
    tag: &str,
) -> Result<Descriptor> {
    docker_images::push(
        docker,
        &repo.registry,
        image,
        &repo.host,
        &repo.repository,
        tag,
    )
    .await?;
    let pulled = repo
        .registry
        .pull_manifest(&repo.at_tag(tag), &MANIFEST_TYPES)
        .await
        .with_context(|| {
            format!(
                "cannot read back the image Docker pushed to {}:{tag}",
                repo.name()
            )
        })?;
    Ok(Descriptor {
        media_type: pulled.media_type,
        digest: pulled.digest.to_string(),
        size: pulled.bytes.len() as u64,
        annotations: BTreeMap::new(),
    })
}

/// Pushes the config manifest, trying cnab-to-oci's flavors in order
/// until the registry takes one.
async fn push_config_manifest(repo: &RepositoryContent, json: &[u8]) -> Result<Descriptor> {
    let mut refusals = Vec::new();
    for flavor in ConfigFlavor::CHAIN {
        let bytes = config_manifest(json, flavor);
        let descriptor = descriptor(flavor.manifest_media_type(), &bytes);
        match repo
            .registry
            .push_manifest(
                &repo.at_digest(&descriptor.digest),
                &bytes,
                &descriptor.media_type,
            )
            .await
        {
            Ok(_) => return Ok(descriptor),
            Err(e) => refusals.push(format!("{}: {e}", descriptor.media_type)),
        }
    }
    Err(anyhow!(
        "{} refused the bundle's config manifest in every form cnab-to-oci knows:\n  {}",
        repo.name(),
        refusals.join("\n  ")
    ))
}

/// Pushes the index by digest (falling back to a Docker manifest list);
/// returns what was pushed, for tagging.
async fn push_index(
    repo: &RepositoryContent,
    bundle: &Bundle,
    config: &Descriptor,
    invocations: &[Descriptor],
    components: &[(String, Descriptor)],
) -> Result<PulledManifest> {
    let index = bundle_index(bundle, config, invocations, components);
    let refused = match repo
        .registry
        .push_manifest(
            &repo.at_digest(&Digest::of(&index).to_string()),
            &index,
            OCI_INDEX,
        )
        .await
    {
        Ok(digest) => return Ok(pushed(index, digest, OCI_INDEX)),
        Err(e) => e,
    };
    let list = bundle_manifest_list(bundle, config, invocations, components);
    let digest = repo
        .registry
        .push_manifest(
            &repo.at_digest(&Digest::of(&list).to_string()),
            &list,
            DOCKER_MANIFEST_LIST,
        )
        .await
        .map_err(|e| {
            anyhow!(
                "{} refused the bundle both as an OCI index ({refused}) and as a Docker \
                 manifest list ({e})",
                repo.name()
            )
        })?;
    Ok(pushed(list, digest, DOCKER_MANIFEST_LIST))
}

fn pushed(bytes: Vec<u8>, digest: Digest, media_type: &str) -> PulledManifest {
    PulledManifest {
        bytes,
        digest,
        media_type: media_type.to_string(),
    }
}

/// Where pulled bundles are kept, by index digest.
fn cache_dir(home: &WharfHome, digest: &Digest) -> PathBuf {
    home.bundle_cache_dir().join(digest.hex())
}

/// Pulls the bundle at `reference` (a tag or a digest). A bundle pulled
/// before is read from the cache by its digest; a tag is still resolved
/// against the registry, since tags move.
pub async fn pull(
    registry: &Registry,
    home: &WharfHome,
    reference: &Reference,
) -> Result<RemoteBundle> {
    let repo = RepositoryContent::of(registry, reference);
    let root = pull_root(registry, reference).await?;
    let cached = cache_dir(home, &root.digest);
    if let Some((json, relocation)) = read_cache(&cached) {
        let mut bundle = Bundle::from_slice(json.as_bytes())?;
        apply_relocation(&mut bundle, &relocation);
        return Ok(RemoteBundle {
            bundle,
            json,
            index: root,
            relocation,
        });
    }
    let index = parse_bundle_index(&root.bytes)
        .with_context(|| format!("{} is not a CNAB bundle", reference.whole()))?;
    let config_manifest = registry
        .pull_manifest(&repo.at_digest(&index.config.digest), &MANIFEST_TYPES)
        .await?;
    let config = parse_config_manifest(&config_manifest.bytes)
        .with_context(|| format!("the config manifest of {} is malformed", reference.whole()))?;
    let json = registry
        .pull_blob(
            &repo.at_digest(&config.digest),
            &config.digest,
            Some(config.size),
        )
        .await?;
    let mut bundle = Bundle::from_slice(&json)
        .with_context(|| format!("the bundle.json of {} is not valid", reference.whole()))?;
    let relocation = relocation_from(&bundle, &repo, &index)?;
    apply_relocation(&mut bundle, &relocation);
    let remote = RemoteBundle {
        json: String::from_utf8_lossy(&json).into_owned(),
        bundle,
        index: root,
        relocation,
    };
    store_in_cache(&cached, &remote)?;
    Ok(remote)
}

/// Where the index says the bundle's images are: each in the repository
/// it was pulled from, by digest, so a copied or re-published bundle runs
/// from its new home.
fn relocation_from(
    bundle: &Bundle,
    repo: &RepositoryContent,
    index: &super::cnab_layout::BundleIndex,
) -> Result<BTreeMap<String, String>> {
    if bundle.invocation_images.is_empty() || index.invocations.is_empty() {
        bail!("the bundle in {} has no invocation image", repo.name());
    }
    let moved = |entry: &Descriptor| format!("{}@{}", repo.name(), entry.digest);
    let mut relocation = BTreeMap::new();
    for (image, entry) in bundle.invocation_images.iter().zip(&index.invocations) {
        relocation.insert(image.image.clone(), moved(entry));
    }
    for (name, entry) in &index.components {
        if let Some(image) = bundle.images.get(name) {
            relocation.insert(image.image.clone(), moved(entry));
        }
    }
    Ok(relocation)
}

/// Points the bundle's images where `relocation` says they are.
fn apply_relocation(bundle: &mut Bundle, relocation: &BTreeMap<String, String>) {
    let images = bundle
        .invocation_images
        .iter_mut()
        .map(|i| &mut i.image)
        .chain(bundle.images.values_mut().map(|i| &mut i.image));
    for image in images {
        if let Some(moved) = relocation.get(image.as_str()) {
            *image = moved.clone();
        }
    }
}

/// The cached bundle.json and relocation mapping, when both are there
/// and readable.
fn read_cache(dir: &std::path::Path) -> Option<(String, BTreeMap<String, String>)> {
    let json = std::fs::read_to_string(dir.join("bundle.json")).ok()?;
    Bundle::from_slice(json.as_bytes()).ok()?;
    let mapping = std::fs::read(dir.join("relocation-mapping.json")).ok()?;
    let relocation = super::cnab_layout::parse_relocation_mapping(&mapping).ok()?;
    Some((json, relocation))
}

/// Keeps the bundle.json as pulled and its relocation mapping, the pair
/// an archive holds too. Each file is written atomically; a crash between
/// the two leaves an entry that [`read_cache`] skips (it needs both), so the
/// next pull writes it again.
fn store_in_cache(dir: &std::path::Path, remote: &RemoteBundle) -> Result<()> {
    write_atomically(&dir.join("bundle.json"), remote.json.as_bytes())?;
    write_atomically(
        &dir.join("relocation-mapping.json"),
        &super::cnab_layout::relocation_mapping(&remote.relocation),
    )?;
    Ok(())
}

/// Copies the bundle at `source` to `destination` (another repository, or
/// another registry), images included, tagging it last.
pub async fn copy(
    registry: &Registry,
    source: &Reference,
    destination: &Reference,
) -> Result<String> {
    let Some(tag) = destination.tag() else {
        bail!("the destination {} needs a tag", destination.whole());
    };
    let from = RepositoryContent::of(registry, source);
    let to = RepositoryContent::of(registry, destination);
    let root = pull_root(registry, source).await?;
    parse_bundle_index(&root.bytes)
        .with_context(|| format!("{} is not a CNAB bundle", source.whole()))?;
    transfer(&from, &to, &root_descriptor(&root)).await?;
    registry
        .push_manifest(&to.at_tag(tag), &root.bytes, &root.media_type)
        .await?;
    Ok(root.digest.to_string())
}

/// The bundle's index (or manifest list) at `reference`.
pub async fn pull_root(registry: &Registry, reference: &Reference) -> Result<PulledManifest> {
    Ok(registry
        .pull_manifest(reference, &[OCI_INDEX, DOCKER_MANIFEST_LIST])
        .await?)
}

/// The descriptor of a pulled index: the root of what a copy or an
/// archive transfers.
pub fn root_descriptor(index: &PulledManifest) -> Descriptor {
    Descriptor {
        media_type: index.media_type.clone(),
        digest: index.digest.to_string(),
        size: index.bytes.len() as u64,
        annotations: BTreeMap::new(),
    }
}
