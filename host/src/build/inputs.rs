//! Gathering a build's inputs: every byte the build depends on, read once.
//!
//! The inputs' digest is what decides whether a build is up to date, so
//! everything that can change the image or bundle.json must come through
//! here: the manifest, the Dockerfile template, the runtime, the pinned
//! mixins, the build options and the bundle's files. Gathering reads and
//! may pull pinned mixins from a registry, but writes nothing and never
//! talks to Docker.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value};

use super::dockerfile::{DEFAULT_BASE_IMAGE, default_template};
use super::frontend::Builder;
use super::stamp::InputDigest;
use super::{BuildOptions, context, runtime_binary};
use crate::digest::Digest;
use crate::manifest::{self, Manifest};
use crate::mixin::{Catalog, MixinHost, ResolvedMixin};
use crate::pins::Pinner;

/// Reads everything the build of `options.manifest` depends on, resolving
/// its mixins through `wharf.lock`. Manifest warnings go to `progress`.
pub async fn gather(
    options: &BuildOptions,
    host: &MixinHost,
    catalog: &Catalog,
    progress: &mut dyn FnMut(&str),
) -> Result<BuildInputs> {
    let manifest_path = options.manifest.clone();
    let bundle_dir = manifest_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let manifest_text = std::fs::read_to_string(&manifest_path)
        .with_context(|| format!("cannot read {}", manifest_path.display()))?;
    let (mut manifest, warnings) = manifest::parse(&manifest_text, &manifest_path)?;
    for warning in &warnings {
        progress(&format!("{}\n", warning.display_in(&manifest_path)));
    }
    apply_overrides(&mut manifest, options, &manifest_path)?;
    let pinner = Pinner {
        host,
        catalog,
        home: catalog.home(),
        options: &options.pins,
    };
    let mixins = pinner.resolve(&manifest, &manifest_path).await?;
    let runtime_path = match &options.runtime {
        Some(path) => path.clone(),
        None => runtime_binary::locate()?,
    };
    let runtime = runtime_binary::read_static(&runtime_path)?;
    let custom_overrides = custom_overrides(&manifest, &options.custom)?;
    let template = template(
        &manifest,
        &manifest_path,
        &bundle_dir,
        options.base_image.as_deref(),
    )?;
    let files = bundle_files(&bundle_dir)?;
    Ok(BuildInputs {
        manifest_path,
        bundle_dir,
        manifest_text,
        manifest,
        template,
        runtime,
        runtime_digest: std::sync::OnceLock::new(),
        mixins,
        build_args: options.build_args.clone(),
        builder: options.builder,
        secret_ids: options.secrets.iter().map(|s| s.id.clone()).collect(),
        ssh: options.ssh,
        custom_overrides,
        files,
    })
}

/// `--name` and `--version` over porter.yaml's, as Porter's `build` has
/// them; the bundle must have a version by then.
fn apply_overrides(manifest: &mut Manifest, options: &BuildOptions, path: &Path) -> Result<()> {
    if let Some(name) = &options.name {
        if !manifest::is_valid_bundle_name(name) {
            bail!(
                "--name `{name}` is not a valid bundle name; {}",
                manifest::BUNDLE_NAME_RULE
            );
        }
        manifest.name = name.clone();
    }
    if let Some(version) = &options.version {
        manifest.version = Some(manifest::parse_bundle_version(version).with_context(|| {
            format!("--version `{version}` is not a semantic version; use MAJOR.MINOR.PATCH")
        })?);
    }
    if manifest.version.is_none() {
        bail!(
            "{} has no `version`; add one (`version: 0.1.0`), or pass `wharf build --version \
             0.1.0`",
            path.display()
        );
    }
    Ok(())
}

/// The bundle's own files in the build context: all but `.cnab/`, which
/// the build writes from the other inputs.
pub(super) fn bundle_files(bundle_dir: &Path) -> Result<Vec<PathBuf>> {
    Ok(context::context_files(bundle_dir)?
        .into_iter()
        .filter(|f| !f.starts_with(".cnab"))
        .collect())
}

/// Everything a build reads, gathered once.
pub struct BuildInputs {
    /// The manifest file.
    pub manifest_path: PathBuf,
    /// Its directory: the build context.
    pub bundle_dir: PathBuf,
    /// The manifest text, exactly as written.
    pub manifest_text: String,
    /// The parsed manifest.
    pub manifest: Manifest,
    /// The Dockerfile template: the author's, or the default one, as
    /// written (the builder's reading of it is settled when building).
    pub template: String,
    /// The static runtime's bytes.
    pub runtime: Vec<u8>,
    /// Their digest, computed once (see [`BuildInputs::runtime_digest`]).
    pub runtime_digest: std::sync::OnceLock<Digest>,
    /// The mixins, pinned.
    pub mixins: Vec<ResolvedMixin>,
    /// `--build-arg NAME=VALUE`, in the order given.
    pub build_args: Vec<(String, String)>,
    /// The builder asked for.
    pub builder: Builder,
    /// The ids of `--secret`s: which secrets a step may mount. Their bytes
    /// are no input: like BuildKit's cache, a build does not depend on them.
    pub secret_ids: Vec<String>,
    /// `--ssh default`.
    pub ssh: bool,
    /// `--custom a.b=value` applied: the overridden top-level custom keys.
    pub custom_overrides: Map<String, Value>,
    /// The bundle's files that go into the context (sorted), `.cnab/`
    /// excluded: Wharf writes that itself.
    pub files: Vec<PathBuf>,
}

impl BuildInputs {
    /// The runtime's digest: part of the inputs' digest and of the tooling
    /// image's name, hashed once (the runtime is 4 MB).
    pub fn runtime_digest(&self) -> &Digest {
        self.runtime_digest
            .get_or_init(|| Digest::of(&self.runtime))
    }

    /// The digest of every input: equal digests mean an equal build.
    pub fn digest(&self) -> Result<Digest> {
        let mut digest = InputDigest::default();
        digest.add("wharf", crate::VERSION.as_bytes());
        digest.add("template", self.template.as_bytes());
        digest.add("runtime", self.runtime_digest().as_bytes());
        // `--name` and `--version` change the bundle without a file changing.
        let version = self.manifest.version.as_ref().map(ToString::to_string);
        digest.add("name", self.manifest.name.as_bytes());
        digest.add("version", version.unwrap_or_default().as_bytes());
        for mixin in &self.mixins {
            digest.add("mixin", mixin.mixin.digest().as_bytes());
        }
        for (k, v) in &self.build_args {
            digest.add("build-arg", format!("{k}={v}").as_bytes());
        }
        digest.add("builder", self.builder.describe().as_bytes());
        for id in &self.secret_ids {
            digest.add("secret", id.as_bytes());
        }
        digest.add("ssh", if self.ssh { b"1" } else { b"0" });
        digest.add(
            "custom",
            Value::Object(self.custom_overrides.clone())
                .to_string()
                .as_bytes(),
        );
        for rel in &self.files {
            digest.add_file(&self.bundle_dir, rel)?;
        }
        Ok(digest.finish())
    }
}

/// The Dockerfile template: the manifest's `dockerfile`, else the default
/// one on `base_image` (Porter's default base when `None`).
fn template(
    manifest: &Manifest,
    manifest_path: &Path,
    bundle_dir: &Path,
    base_image: Option<&str>,
) -> Result<String> {
    match &manifest.dockerfile {
        Some(file) => {
            let path = bundle_dir.join(file);
            std::fs::read_to_string(&path).with_context(|| {
                format!(
                    "cannot read the Dockerfile template {} named by `dockerfile` in {}",
                    path.display(),
                    manifest_path.display()
                )
            })
        }
        None => Ok(default_template(base_image.unwrap_or(DEFAULT_BASE_IMAGE))),
    }
}

/// Applies `--custom a.b=value` overrides to the manifest's custom values;
/// returns the overridden top-level keys with their new values.
pub(super) fn custom_overrides(
    manifest: &Manifest,
    pairs: &[(String, String)],
) -> Result<Map<String, Value>> {
    let mut custom = manifest.custom.clone();
    for (path, value) in pairs {
        let keys: Vec<&str> = path.split('.').collect();
        if keys.iter().any(|k| k.is_empty()) {
            bail!("--custom {path}={value}: the key must be a dotted path such as app.version");
        }
        let mut map = &mut custom;
        for key in &keys[..keys.len() - 1] {
            let entry = map
                .entry(key.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            map = entry
                .as_object_mut()
                .context("a custom value was just made an object")?;
        }
        map.insert(
            keys[keys.len() - 1].to_string(),
            Value::String(value.clone()),
        );
    }
    Ok(custom
        .into_iter()
        .filter(|(k, _)| pairs.iter().any(|(p, _)| p.split('.').next() == Some(k)))
        .collect())
}
