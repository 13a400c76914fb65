//! `wharf mixins list|schema|install|uninstall|publish|create`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Result, bail};
use clap::Subcommand;
use wharf::home::WharfHome;
use wharf::mixin::{Catalog, HostConfig, MixinHost, TerminalSink};
use wharf::oci::blob_cache::BlobCache;
use wharf::oci::mixin_artifact::{default_namespace, publish_mixin, pull_mixin, resolve_mixin};
use wharf::oci::registry::{Registry, RegistryOptions};
use wharf::scaffold::mixin as mixin_scaffold;

use super::output::{OutputFormat, outln, print_json, print_table};

#[derive(Debug, Subcommand)]
pub enum MixinsCommand {
    /// List the available mixins with their versions, sources and digests.
    List {
        /// Output format.
        #[arg(short, long, value_enum, default_value_t)]
        output: OutputFormat,
    },
    /// Print a mixin's JSON Schema (its config and step schema).
    Schema {
        /// The mixin's name.
        name: String,
        /// Output format (the schema is JSON either way).
        #[arg(short, long, value_enum, default_value_t)]
        output: OutputFormat,
    },
    /// Install a mixin from a component file, by name (NAME[@VERSION], from
    /// the official namespace) or from an OCI reference.
    Install {
        /// A .wasm file (any file that exists), NAME[@VERSION] (VERSION is
        /// an exact version or a semver range such as ^1.2), or an OCI
        /// reference such as ghcr.io/wharf-sh/mixins/exec:1.0.0.
        #[arg(value_name = "FILE|NAME[@VERSION]|REFERENCE")]
        source: String,
        /// A registry (host or host:port) to reach over plain HTTP; loopback
        /// registries always are.
        #[arg(long = "insecure-registry", value_name = "HOST")]
        insecure_registries: Vec<String>,
    },
    /// Remove an installed mixin.
    Uninstall {
        /// The mixin's name.
        name: String,
    },
    /// Publish a mixin component to an OCI registry as a Wasm artifact.
    Publish {
        /// The .wasm component.
        file: PathBuf,
        /// Where to publish it: REGISTRY/REPOSITORY:TAG.
        #[arg(long)]
        reference: String,
        /// A registry (host or host:port) to reach over plain HTTP; loopback
        /// registries always are.
        #[arg(long = "insecure-registry", value_name = "HOST")]
        insecure_registries: Vec<String>,
    },
    /// Create a new mixin crate: an example step, unit tests and a README,
    /// with the mixin SDK vendored so it builds with cargo and crates.io
    /// alone.
    Create {
        /// The mixin's name (lowercase letters, digits, '-' and '_'); also
        /// the crate's name and its directory, unless --dir is given.
        name: String,
        /// The directory to create the crate in; it must be new or empty.
        #[arg(short, long)]
        dir: Option<PathBuf>,
    },
}

/// The host and catalog for the current `WHARF_HOME`.
pub fn open() -> Result<(MixinHost, Catalog)> {
    let home = WharfHome::from_env()?;
    let host = MixinHost::new(HostConfig {
        cache_dir: Some(home.compiled_cache_dir()),
        sink: Arc::new(TerminalSink::default()),
        ..HostConfig::default()
    })?;
    Ok((host, Catalog::new(home)))
}

pub async fn run(command: MixinsCommand) -> Result<ExitCode> {
    // Scaffolding needs no mixin host and no WHARF_HOME.
    let command = match command {
        MixinsCommand::Create { name, dir } => return create(&name, dir),
        other => other,
    };
    let (host, catalog) = open()?;
    match command {
        MixinsCommand::List { output } => {
            let records = catalog.list(&host).await?;
            match output {
                OutputFormat::Json => print_json(&records)?,
                OutputFormat::Yaml => super::output::print_yaml(&records)?,
                OutputFormat::Plaintext => {
                    let rows: Vec<Vec<String>> = records
                        .iter()
                        .map(|r| {
                            vec![
                                r.name.clone(),
                                r.version.clone(),
                                r.source.clone(),
                                r.world_version.clone(),
                                r.manifest_digest
                                    .clone()
                                    .unwrap_or_else(|| r.digest.to_string()),
                            ]
                        })
                        .collect();
                    print_table(&["NAME", "VERSION", "SOURCE", "WORLD", "DIGEST"], &rows)?;
                }
            }
        }
        MixinsCommand::Schema { name, output: _ } => {
            let mixin = catalog.load(&host, &name).await?;
            print_json(&mixin.schema().await?)?;
        }
        MixinsCommand::Install {
            source,
            insecure_registries,
        } => {
            let record = if Path::new(&source).is_file() {
                catalog.install_file(&host, Path::new(&source)).await?
            } else {
                let registry = registry(insecure_registries);
                let home = WharfHome::from_env()?;
                match install_published(&host, &catalog, &registry, &home, &source).await {
                    Ok(record) => record,
                    Err(e) => return use_builtin_instead(&host, &catalog, &home, &source, e).await,
                }
            };
            outln!(
                "installed the {} mixin v{} from {} ({})",
                record.name,
                record.version,
                record.source,
                record
                    .manifest_digest
                    .clone()
                    .unwrap_or_else(|| record.digest.to_string())
            )?;
        }
        MixinsCommand::Uninstall { name } => {
            catalog.uninstall(&name)?;
            outln!("uninstalled the {name} mixin")?;
        }
        MixinsCommand::Publish {
            file,
            reference,
            insecure_registries,
        } => {
            let reference = Registry::parse_reference(&reference)?;
            let bytes = wharf::mixin::read_component_file(&file)?;
            // Loading proves it is a mixin of this world before anything
            // is uploaded.
            let mixin = host
                .load(&file.display().to_string(), bytes.clone())
                .await?;
            let metadata = mixin.metadata();
            let published = publish_mixin(
                &registry(insecure_registries),
                &bytes,
                &metadata.world_version,
                &reference,
            )
            .await?;
            outln!(
                "published the {} mixin v{} to {}",
                metadata.name,
                metadata.version,
                published.reference
            )?;
            outln!("digest: {}", published.digest)?;
        }
        MixinsCommand::Create { .. } => unreachable!("handled before the host is opened"),
    }
    Ok(ExitCode::SUCCESS)
}

/// Pulls and installs the mixin `source` names (a reference, or
/// `NAME[@VERSION]` in the default namespace).
async fn install_published(
    host: &MixinHost,
    catalog: &Catalog,
    registry: &Registry,
    home: &WharfHome,
    source: &str,
) -> Result<wharf::mixin::MixinRecord> {
    let reference = registry_reference(registry, home, source).await?;
    let parsed = Registry::parse_reference(&reference)?;
    let pulled = pull_mixin(registry, &BlobCache::new(home), &parsed).await?;
    catalog
        .install_bytes(
            host,
            pulled.wasm,
            parsed.whole(),
            Some(pulled.manifest_digest),
        )
        .await
}

/// When an official mixin (`terraform`, `terraform@1.x`) cannot be pulled
/// from the default namespace, the built-in one is what bundles get: says
/// so, and succeeds if it satisfies the version asked for. Anything else
/// keeps the pull's error.
async fn use_builtin_instead(
    host: &MixinHost,
    catalog: &Catalog,
    home: &WharfHome,
    source: &str,
    pull_error: anyhow::Error,
) -> Result<ExitCode> {
    let (name, constraint) = source.split_once('@').unwrap_or((source, "*"));
    if source.contains('/') || wharf::mixin::builtin(name).is_none() {
        return Err(pull_error);
    }
    let mixin = catalog.load_builtin(host, name).await?;
    let version = &mixin.metadata().version;
    let fits = semver::VersionReq::parse(constraint)
        .ok()
        .zip(semver::Version::parse(version).ok())
        .is_some_and(|(req, v)| req.matches(&v));
    if !fits {
        return Err(pull_error.context(format!(
            "the built-in {name} mixin is v{version}, which is not {constraint}"
        )));
    }
    let namespace = default_namespace(home)?;
    outln!(
        "nothing to install from {namespace}/{name} ({:#}); Wharf's built-in {name} mixin \
         v{version} ({}) is used",
        pull_error,
        mixin.digest()
    )?;
    if catalog.resolve(host, name).await?.source != "built-in" {
        outln!("an installed {name} mixin takes its place until `wharf mixins uninstall {name}`")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `wharf mixins create NAME [--dir DIR]`: writes the crate and says how to
/// build, test and publish it.
fn create(name: &str, dir: Option<PathBuf>) -> Result<ExitCode> {
    let dir = dir.unwrap_or_else(|| PathBuf::from(name));
    let files = mixin_scaffold::create(&dir, name)?;
    outln!("Created the {name} mixin in {}:", dir.display())?;
    for file in files.iter().filter(|f| !f.starts_with(dir.join("vendor"))) {
        outln!("  {}", file.display())?;
    }
    outln!(
        "  {} (the mixin SDK and its WIT package)",
        dir.join("vendor").display()
    )?;
    outln!("Next:")?;
    outln!("  cd {}", dir.display())?;
    outln!("  cargo test")?;
    outln!("  cargo build --target wasm32-wasip2 --release")?;
    outln!(
        "  wharf mixins publish target/wasm32-wasip2/release/{} --reference REGISTRY/REPOSITORY/{name}:0.1.0",
        mixin_scaffold::component_file(name)
    )?;
    Ok(ExitCode::SUCCESS)
}

fn registry(insecure: Vec<String>) -> Registry {
    Registry::new(RegistryOptions {
        insecure,
        progress: super::progress::TerminalProgress::shared(),
        ..RegistryOptions::default()
    })
}

/// The OCI reference `source` names: itself when it has a `/` (a full
/// reference), else `NAME[@VERSION]` in the default namespace, with the
/// version resolved against the repository's tags (the highest release
/// when no version is given).
async fn registry_reference(registry: &Registry, home: &WharfHome, source: &str) -> Result<String> {
    let looks_like_a_path =
        source.ends_with(".wasm") || ["/", "./", "../"].iter().any(|p| source.starts_with(p));
    if looks_like_a_path {
        bail!(
            "{source} is not a file; give the path of a .wasm component, NAME[@VERSION] or an OCI reference"
        );
    }
    if source.contains('/') {
        return Ok(source.to_string());
    }
    let (name, constraint) = source.split_once('@').unwrap_or((source, "*"));
    Ok(resolve_mixin(registry, &default_namespace(home)?, name, constraint).await?)
}
