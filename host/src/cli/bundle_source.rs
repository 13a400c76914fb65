//! Where the bundle of a command comes from: Porter's `--file`,
//! `--cnab-file` and `--reference` flags, shared by every command that
//! needs a bundle (`install`, `upgrade`, `invoke`, `uninstall`,
//! `parameters generate`, `credentials generate`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use wharf::cnab::Bundle;
use wharf::home::WharfHome;
use wharf::manifest::MANIFEST_FILE;
use wharf::oci::bundles;
use wharf::oci::registry::Registry;
use wharf::store::BundleInfo;

use super::distribution::RegistryArgs;
use super::mixins::open;

/// The bundle flags. With none of them, `./porter.yaml` is used.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct BundleSourceArgs {
    /// Path to a porter.yaml: the bundle is built first if it changed.
    #[arg(short, long, conflicts_with_all = ["cnab_file", "reference"])]
    pub file: Option<PathBuf>,
    /// Path to a bundle.json (its invocation image must be in Docker).
    #[arg(long, value_name = "FILE", conflicts_with = "reference")]
    pub cnab_file: Option<PathBuf>,
    /// An OCI reference of a published bundle.
    #[arg(short, long, value_name = "REF")]
    pub reference: Option<String>,
    /// Use the last build of porter.yaml (.cnab/bundle.json) as it is,
    /// even if the bundle changed since.
    #[arg(long)]
    pub autobuild_disabled: bool,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// A bundle ready to run, with where it came from.
#[derive(Debug, Clone)]
pub struct LoadedBundle {
    pub bundle: Bundle,
    /// The bundle.json text as read.
    pub json: String,
    pub info: BundleInfo,
    /// The registry a pulled bundle came from: its images are pulled
    /// from there before a run.
    pub registry: Option<Registry>,
}

impl BundleSourceArgs {
    /// Whether any bundle flag was given.
    pub fn is_given(&self) -> bool {
        self.file.is_some() || self.cnab_file.is_some() || self.reference.is_some()
    }

    /// Loads the bundle: builds a porter.yaml when it changed (nothing
    /// happens, not even a Docker call, when it is up to date), reads a
    /// bundle.json as it is.
    pub async fn load(&self, progress: &mut dyn FnMut(&str)) -> Result<LoadedBundle> {
        if let Some(reference) = &self.reference {
            return pull(reference, &self.registry).await;
        }
        let path = match &self.cnab_file {
            Some(path) => path.clone(),
            None => {
                let manifest = self
                    .file
                    .clone()
                    .unwrap_or_else(|| PathBuf::from(MANIFEST_FILE));
                if !manifest.exists() {
                    bail!(
                        "{} does not exist; run this in a bundle directory, or name the bundle \
                         with --file porter.yaml, --cnab-file bundle.json or --reference",
                        manifest.display()
                    );
                }
                if self.autobuild_disabled || versioned_by_build(&manifest) {
                    built_bundle_json(&manifest)
                } else {
                    build(&manifest, &self.registry, progress).await?
                }
            }
        };
        read_bundle_json(&path)
    }
}

/// Pulls a published bundle (cached by digest).
async fn pull(reference: &str, registry: &RegistryArgs) -> Result<LoadedBundle> {
    let registry = registry.registry();
    let parsed = Registry::parse_reference(reference)?;
    let home = WharfHome::from_env()?;
    let pulled = bundles::pull(&registry, &home, &parsed).await?;
    let info = BundleInfo {
        reference: reference.to_string(),
        name: pulled.bundle.name.clone(),
        version: pulled.bundle.version.clone(),
        digest: pulled.digest().to_string(),
    };
    let json = pulled
        .bundle
        .to_value()
        .map(|v| v.to_string())
        .context("cannot write the pulled bundle.json")?;
    Ok(LoadedBundle {
        bundle: pulled.bundle,
        json,
        info,
        registry: Some(registry),
    })
}

async fn build(
    manifest: &Path,
    registry: &RegistryArgs,
    progress: &mut dyn FnMut(&str),
) -> Result<PathBuf> {
    let (host, catalog) = open()?;
    let options = wharf::build::BuildOptions {
        manifest: manifest.to_path_buf(),
        pins: wharf::pins::PinOptions {
            update_lock: false,
            registry: registry.options(),
        },
        builder: wharf::build::Builder::from_env(),
        ..wharf::build::BuildOptions::default()
    };
    let result = wharf::build::build(&options, &host, &catalog, progress)
        .await
        .with_context(|| format!("cannot build the bundle of {}", manifest.display()))?;
    Ok(result.bundle_json)
}

/// Whether `manifest` has no version of its own and was built with
/// `wharf build --version`: the bundle is then taken as built, since only
/// that command knows its version.
fn versioned_by_build(manifest: &Path) -> bool {
    built_bundle_json(manifest).exists()
        && wharf::manifest::load(manifest).is_ok_and(|(m, _)| m.version.is_none())
}

/// Where `wharf build` wrote the bundle.json of `manifest`.
fn built_bundle_json(manifest: &Path) -> PathBuf {
    manifest
        .parent()
        .unwrap_or(Path::new(""))
        .join(".cnab")
        .join("bundle.json")
}

/// Reads and checks a bundle.json.
pub fn read_bundle_json(path: &Path) -> Result<LoadedBundle> {
    let json = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the bundle {}", path.display()))?;
    let document: serde_json::Value = serde_json::from_str(&json)
        .with_context(|| format!("{} is not a valid bundle.json", path.display()))?;
    // Lenient parsing would run a bundle CNAB forbids (a parameter with
    // no destination gets its value delivered nowhere): refuse it first.
    if let Err(problems) = wharf::cnab::check_required(&document) {
        bail!(
            "{} breaks the CNAB 1.2 bundle.json schema, so it is not run:\n  {}\nfix the \
             bundle.json, or rebuild it from porter.yaml with `wharf build`",
            path.display(),
            problems.join("\n  ")
        );
    }
    let bundle = Bundle::from_value(document)
        .with_context(|| format!("{} is not a valid bundle.json", path.display()))?;
    if bundle.invocation_images.is_empty() {
        bail!(
            "{} has no invocation image, so there is nothing to run; rebuild it with `wharf build`",
            path.display()
        );
    }
    let reference = std::fs::canonicalize(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string();
    let info = BundleInfo {
        reference,
        name: bundle.name.clone(),
        version: bundle.version.clone(),
        digest: String::new(),
    };
    Ok(LoadedBundle {
        bundle,
        json,
        info,
        registry: None,
    })
}
