//! Resolving porter.yaml's `mixins:` to exact components, through
//! `wharf.lock` (see [`super::lock`]).
//!
//! - A locked mixin is used as locked: a registry mixin is read from the
//!   content-addressed cache by its digests (the registry is asked only on
//!   a cache miss), a built-in or installed one is checked against the
//!   locked digest.
//! - An entry without a lock is resolved and locked: a plain name is the
//!   built-in or installed mixin; a version or range is the installed
//!   mixin when it satisfies it, else the highest matching tag in the
//!   default mixin namespace; a reference (`REPO:TAG`, `REPO@DIGEST`) or a
//!   bare digest is pulled as given.
//! - A lock that no longer matches porter.yaml is an error that names
//!   `--update-lock`, which re-resolves everything.

use anyhow::{Context, Result, bail};
use oci_client::Reference;

use super::lock::{
    BUILT_IN, INSTALLED, LOCK_VERSION, Lock, LockedMixin, lock_path, read_lock, write_lock,
};
use crate::digest::{Digest, SHA256_PREFIX};
use crate::home::WharfHome;
use crate::manifest::{Manifest, MixinDeclaration};
use crate::mixin::{Catalog, MixinHost, ResolvedMixin};
use crate::oci::blob_cache::BlobCache;
use crate::oci::mixin_artifact::{Constraint, default_namespace, pull_mixin, resolve_mixin};
use crate::oci::registry::{Registry, RegistryOptions};

/// How to pin.
#[derive(Debug, Clone, Default)]
pub struct PinOptions {
    /// Re-resolve every mixin and rewrite the lock.
    pub update_lock: bool,
    /// How to reach registries.
    pub registry: RegistryOptions,
}

/// Everything resolution needs.
pub struct Pinner<'a> {
    pub host: &'a MixinHost,
    pub catalog: &'a Catalog,
    pub home: &'a WharfHome,
    pub options: &'a PinOptions,
}

impl Pinner<'_> {
    /// Each declared mixin's component, in porter.yaml's order; writes the
    /// lock beside `manifest_path` when it changed.
    pub async fn resolve(
        &self,
        manifest: &Manifest,
        manifest_path: &std::path::Path,
    ) -> Result<Vec<ResolvedMixin>> {
        let path = lock_path(manifest_path);
        let lock = if self.options.update_lock {
            Lock::default()
        } else {
            read_lock(&path)?
        };
        let registry = Registry::new(self.options.registry.clone());
        let mut next = Lock {
            lock_version: LOCK_VERSION,
            ..Lock::default()
        };
        let mut resolved = Vec::new();
        for declared in &manifest.mixins {
            let requested = requested(declared);
            let (mixin, entry) = match lock.mixins.get(&declared.name) {
                Some(locked) if locked.requested == requested => {
                    let mixin = self.load_locked(&registry, &declared.name, locked).await?;
                    let entry = LockedMixin {
                        programs: Some(mixin.mixin.metadata().programs.clone()),
                        ..locked.clone()
                    };
                    (mixin, entry)
                }
                Some(locked) => bail!(
                    "{} asks for `{requested}`, but {} pins `{}`; run `wharf build --update-lock` \
                     to pin what porter.yaml asks for now",
                    manifest_path.display(),
                    path.display(),
                    locked.requested
                ),
                None => self.resolve_fresh(&registry, declared, requested).await?,
            };
            next.mixins.insert(declared.name.clone(), entry);
            resolved.push(mixin);
        }
        write_lock(&path, &next)?;
        Ok(resolved)
    }

    /// One declared mixin as a build would use it, without writing the
    /// lock: what `wharf lint` and `wharf explain` ask the mixin.
    pub async fn load_one(
        &self,
        manifest_path: &std::path::Path,
        declared: &MixinDeclaration,
    ) -> Result<ResolvedMixin> {
        let lock = read_lock(&lock_path(manifest_path))?;
        let registry = Registry::new(self.options.registry.clone());
        let requested = requested(declared);
        match lock.mixins.get(&declared.name) {
            Some(locked) if locked.requested == requested => {
                self.load_locked(&registry, &declared.name, locked).await
            }
            _ => Ok(self.resolve_fresh(&registry, declared, requested).await?.0),
        }
    }

    async fn load_locked(
        &self,
        registry: &Registry,
        name: &str,
        locked: &LockedMixin,
    ) -> Result<ResolvedMixin> {
        if !locked.is_remote() {
            let mut local = self.catalog.resolve(self.host, name).await?;
            let digest = local.mixin.digest();
            if digest != locked.digest {
                bail!(
                    "the {} {name} mixin here is {digest}, but wharf.lock pins {}; install the \
                     pinned one, or run `wharf build --update-lock` to pin this one",
                    locked.reference,
                    locked.digest
                );
            }
            local.source = locked.reference.clone();
            check_programs(name, &local, locked)?;
            return Ok(local);
        }
        let reference = Registry::parse_reference(&locked.reference)?;
        let pinned = Reference::with_digest(
            reference.registry().to_string(),
            reference.repository().to_string(),
            locked.manifest.clone(),
        );
        let mixin = self.pull(registry, &pinned, &locked.reference).await?;
        let digest = mixin.mixin.digest();
        if digest != locked.digest {
            bail!(
                "{} holds the component {digest}, but wharf.lock pins {}; the lock is damaged",
                locked.reference,
                locked.digest
            );
        }
        check_programs(name, &mixin, locked)?;
        Ok(mixin)
    }

    async fn resolve_fresh(
        &self,
        registry: &Registry,
        declared: &MixinDeclaration,
        requested: String,
    ) -> Result<(ResolvedMixin, LockedMixin)> {
        let name = &declared.name;
        let local = self.catalog.resolve(self.host, name).await;
        let reference = match declared.constraint.as_deref() {
            None => return local_pin(local?, requested),
            Some(constraint) if is_version_constraint(constraint) => {
                if let Ok(mixin) = local
                    && satisfies(&mixin, constraint)
                {
                    return local_pin(mixin, requested);
                }
                let namespace = default_namespace(self.home)?;
                resolve_mixin(registry, &namespace, name, constraint).await?
            }
            Some(digest) if digest.starts_with(SHA256_PREFIX) => {
                let digest = Digest::parse(digest).with_context(|| {
                    format!(
                        "the mixins entry {name}@{digest} in porter.yaml pins a malformed digest"
                    )
                })?;
                format!("{}/{name}@{digest}", default_namespace(self.home)?)
            }
            Some(reference) => reference.to_string(),
        };
        let parsed = Registry::parse_reference(&reference)?;
        let mixin = self.pull(registry, &parsed, &reference).await?;
        let entry = LockedMixin {
            requested,
            reference: reference.clone(),
            manifest: mixin.manifest_digest.clone(),
            digest: mixin.mixin.digest(),
            version: mixin.mixin.metadata().version.clone(),
            programs: Some(mixin.mixin.metadata().programs.clone()),
        };
        Ok((mixin, entry))
    }

    /// Pulls and loads a mixin.
    async fn pull(
        &self,
        registry: &Registry,
        reference: &Reference,
        source: &str,
    ) -> Result<ResolvedMixin> {
        let cache = BlobCache::new(self.home);
        let pulled = pull_mixin(registry, &cache, reference)
            .await
            .with_context(|| format!("cannot get the mixin {source}"))?;
        let mixin = self
            .host
            .load(source, pulled.wasm.clone())
            .await
            .with_context(|| format!("{source} is not a mixin this Wharf can run"))?;
        Ok(ResolvedMixin {
            mixin,
            bytes: pulled.wasm,
            source: source.to_string(),
            manifest_digest: pulled.manifest_digest,
        })
    }
}

/// How porter.yaml wrote the entry: `exec` or `exec@CONSTRAINT`.
fn requested(declared: &MixinDeclaration) -> String {
    match &declared.constraint {
        Some(constraint) => format!("{}@{constraint}", declared.name),
        None => declared.name.clone(),
    }
}

/// Pins a built-in or installed mixin by its component digest.
fn local_pin(mut mixin: ResolvedMixin, requested: String) -> Result<(ResolvedMixin, LockedMixin)> {
    let reference = if mixin.source == BUILT_IN {
        BUILT_IN
    } else {
        INSTALLED
    };
    mixin.source = reference.to_string();
    let entry = LockedMixin {
        requested,
        reference: reference.to_string(),
        manifest: String::new(),
        digest: mixin.mixin.digest(),
        version: mixin.mixin.metadata().version.clone(),
        programs: Some(mixin.mixin.metadata().programs.clone()),
    };
    Ok((mixin, entry))
}

/// Refuses a locked mixin whose metadata now declares other programs than
/// the lock recorded: what a mixin may run is fixed when it is pinned.
fn check_programs(name: &str, mixin: &ResolvedMixin, locked: &LockedMixin) -> Result<()> {
    let declared = &mixin.mixin.metadata().programs;
    match &locked.programs {
        Some(pinned) if pinned != declared => bail!(
            "the {name} mixin ({}) now declares the programs {}, but wharf.lock pinned {}; a \
             mixin's programs are fixed when it is pinned: check where it came from, and run \
             `wharf build --update-lock` only if you accept what it declares now",
            locked.digest,
            program_list(declared),
            program_list(pinned)
        ),
        _ => Ok(()),
    }
}

/// `[echo, sh]`, for messages.
pub(crate) fn program_list(programs: &[String]) -> String {
    format!("[{}]", programs.join(", "))
}

/// A version (`1.2.0`, `v1.2.0`) or a range (`^1.2`, `>=1, <2`), rather
/// than a reference.
fn is_version_constraint(constraint: &str) -> bool {
    !constraint.contains('/')
        && !constraint.starts_with(SHA256_PREFIX)
        && Constraint::parse(constraint).is_ok()
}

/// Whether a local mixin's version meets `constraint`, as a registry
/// version would (a bare version means exactly that version).
fn satisfies(mixin: &ResolvedMixin, constraint: &str) -> bool {
    let version = mixin.mixin.metadata().version.clone();
    match (
        semver::Version::parse(version.trim_start_matches('v')),
        Constraint::parse(constraint),
    ) {
        (Ok(version), Ok(constraint)) => constraint.matches(&version),
        _ => false,
    }
}
