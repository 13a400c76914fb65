//! `wharf publish`, `wharf copy` and `wharf archive`: bundles to and from
//! OCI registries, in cnab-to-oci's layout.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use oci_client::Reference;
use wharf::home::WharfHome;
use wharf::manifest::{self, MANIFEST_FILE};
use wharf::oci::registry::{Registry, RegistryOptions};
use wharf::oci::{archive, bundles};

use super::bundle_source::BundleSourceArgs;
use super::output::{outln, progress_line};

/// The registry flags every command that talks to one takes.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RegistryArgs {
    /// Talk plain HTTP to this registry (loopback registries always may);
    /// repeatable.
    #[arg(long = "insecure-registry", value_name = "HOST[:PORT]")]
    pub insecure: Vec<String>,
}

impl RegistryArgs {
    /// The registry options these flags ask for, showing progress.
    pub fn options(&self) -> RegistryOptions {
        RegistryOptions {
            insecure: self.insecure.clone(),
            progress: super::progress::TerminalProgress::shared(),
            ..RegistryOptions::default()
        }
    }

    /// A registry client with these flags.
    pub fn registry(&self) -> Registry {
        Registry::new(self.options())
    }
}

#[derive(Debug, clap::Args)]
pub struct PublishArgs {
    /// Path to the porter.yaml to build and publish.
    #[arg(short, long, conflicts_with = "archive")]
    file: Option<PathBuf>,
    /// Where to publish, REGISTRY/REPOSITORY:TAG; defaults to porter.yaml's
    /// `reference`, else `registry/name:vVERSION`.
    #[arg(short, long, value_name = "REF")]
    reference: Option<String>,
    /// Publish an archive made by `wharf archive` instead of a local build.
    #[arg(short, long, value_name = "FILE")]
    archive: Option<PathBuf>,
    #[command(flatten)]
    registry: RegistryArgs,
}

#[derive(Debug, clap::Args)]
pub struct CopyArgs {
    /// The bundle to copy, REGISTRY/REPOSITORY:TAG or @DIGEST.
    #[arg(long, value_name = "REF")]
    source: String,
    /// Where to copy it, REGISTRY/REPOSITORY:TAG.
    #[arg(long, value_name = "REF")]
    destination: String,
    #[command(flatten)]
    registry: RegistryArgs,
}

#[derive(Debug, clap::Args)]
pub struct ArchiveArgs {
    /// The archive file to write (a .tgz).
    file: PathBuf,
    /// The published bundle to archive.
    #[arg(short, long, value_name = "REF")]
    reference: String,
    #[command(flatten)]
    registry: RegistryArgs,
}

pub async fn publish(args: PublishArgs) -> Result<ExitCode> {
    let registry = args.registry.registry();
    if let Some(file) = &args.archive {
        let Some(reference) = &args.reference else {
            bail!("publishing an archive needs --reference REGISTRY/REPOSITORY:TAG");
        };
        let target = Registry::parse_reference(reference)?;
        let digest = archive::publish_archive(&registry, file, &target).await?;
        outln!(
            "Published {} ({digest}) from {}",
            target.whole(),
            file.display()
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let manifest_path = args
        .file
        .clone()
        .unwrap_or_else(|| PathBuf::from(MANIFEST_FILE));
    let (manifest, _) = manifest::load(&manifest_path)?;
    // Where it goes is settled, and a given reference checked, before
    // anything is built.
    let destination = match (&args.reference, &manifest.reference, &manifest.registry) {
        (Some(reference), _, _) | (None, Some(reference), _) => {
            Destination::Reference(Registry::parse_reference(reference)?)
        }
        (None, None, Some(registry)) => {
            Destination::Registry(registry.trim_end_matches('/').to_string())
        }
        (None, None, None) => bail!(
            "{} names no `registry` or `reference`; add one, or pass --reference \
             REGISTRY/REPOSITORY:TAG",
            manifest_path.display()
        ),
    };
    let source = BundleSourceArgs {
        file: Some(manifest_path.clone()),
        ..BundleSourceArgs::default()
    };
    let built = source.load(&mut progress_line).await?;
    let target = match destination {
        Destination::Reference(reference) => reference,
        // The name and version are the built bundle's, which `build --name`
        // and `build --version` may have given.
        Destination::Registry(registry) => Registry::parse_reference(&format!(
            "{registry}/{}:v{}",
            built.bundle.name, built.bundle.version
        ))?,
    };
    let docker = wharf::build::image::connect().await?;
    let published = bundles::publish(
        &docker,
        &registry,
        &built.bundle,
        &target,
        &mut progress_line,
    )
    .await?;
    outln!("Published {} ({})", target.whole(), published.digest())?;
    Ok(ExitCode::SUCCESS)
}

/// Where `publish` pushes a bundle.
enum Destination {
    /// `--reference`, or porter.yaml's `reference`.
    Reference(Reference),
    /// porter.yaml's `registry`, under which the built bundle's name and
    /// version make the reference.
    Registry(String),
}

pub async fn copy(args: CopyArgs) -> Result<ExitCode> {
    let registry = args.registry.registry();
    let source = Registry::parse_reference(&args.source)?;
    let destination = Registry::parse_reference(&args.destination)?;
    let digest = bundles::copy(&registry, &source, &destination).await?;
    outln!(
        "Copied {} to {} ({digest})",
        source.whole(),
        destination.whole()
    )?;
    Ok(ExitCode::SUCCESS)
}

pub async fn archive(args: ArchiveArgs) -> Result<ExitCode> {
    let registry = args.registry.registry();
    let reference = Registry::parse_reference(&args.reference)?;
    let home = WharfHome::from_env()?;
    let pulled = bundles::pull(&registry, &home, &reference).await?;
    let digest = archive::archive(&registry, &pulled, &reference, &args.file)
        .await
        .with_context(|| format!("cannot archive {}", reference.whole()))?;
    outln!(
        "Archived {} ({digest}) to {}",
        reference.whole(),
        args.file.display()
    )?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    #[command(flatten)]
    bundle: BundleSourceArgs,
    #[command(flatten)]
    dependencies: super::dependency_tree::DependencyTreeArgs,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    output: super::output::OutputFormat,
}

/// What `wharf inspect` shows: the explanation and where each image is.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Inspection {
    #[serde(flatten)]
    explanation: wharf::explain::Explanation,
    digest: String,
    invocation_images: Vec<InspectedImage>,
    images: Vec<InspectedImage>,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct InspectedImage {
    name: String,
    image: String,
    content_digest: String,
}

/// `wharf inspect`: `explain` plus the bundle's images, relocated when it
/// was pulled from a registry (Porter's `inspect`).
pub async fn inspect(args: InspectArgs) -> Result<ExitCode> {
    let loaded = args.bundle.load(&mut progress_line).await?;
    let bundle = &loaded.bundle;
    let mut explanation = wharf::explain::explain_bundle(bundle);
    let registry = loaded
        .registry
        .clone()
        .unwrap_or_else(|| args.bundle.registry.registry());
    args.dependencies
        .resolve(&registry, &mut explanation)
        .await?;
    let inspection = Inspection {
        explanation,
        digest: loaded.info.digest.clone(),
        invocation_images: bundle
            .invocation_images
            .iter()
            .map(|i| InspectedImage {
                name: String::new(),
                image: i.image.clone(),
                content_digest: i.content_digest.clone(),
            })
            .collect(),
        images: bundle
            .images
            .iter()
            .map(|(name, i)| InspectedImage {
                name: name.clone(),
                image: i.image.clone(),
                content_digest: i.content_digest.clone(),
            })
            .collect(),
    };
    if super::output::print_structured(args.output, &inspection)? {
        return Ok(ExitCode::SUCCESS);
    }
    outln!("Name: {}", bundle.name)?;
    outln!("Version: {}", bundle.version)?;
    if !inspection.digest.is_empty() {
        outln!("Digest: {}", inspection.digest)?;
    }
    outln!()?;
    outln!("Invocation images:")?;
    let rows: Vec<Vec<String>> = inspection
        .invocation_images
        .iter()
        .map(|i| vec![i.image.clone(), i.content_digest.clone()])
        .collect();
    super::output::print_table(&["IMAGE", "DIGEST"], &rows)?;
    outln!()?;
    outln!("Images:")?;
    if inspection.images.is_empty() {
        outln!("No images defined")?;
    } else {
        let rows: Vec<Vec<String>> = inspection
            .images
            .iter()
            .map(|i| vec![i.name.clone(), i.image.clone(), i.content_digest.clone()])
            .collect();
        super::output::print_table(&["NAME", "IMAGE", "DIGEST"], &rows)?;
    }
    super::dependency_tree::print(&inspection.explanation.dependencies)?;
    Ok(ExitCode::SUCCESS)
}
