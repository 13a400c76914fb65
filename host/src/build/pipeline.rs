//! `wharf build` end to end: gather the inputs, decide, plan, execute.
//!
//! Kept short on purpose: each step lives in its own module and this one
//! only says their order.

use std::path::PathBuf;

use anyhow::{Context, Result};

use super::build_secrets::{self, BuildSecret};
use super::dockerfile::MixinLines;
use super::frontend::{self, Builder};
use super::image::{BuildRoute, connect};
use super::inputs::{BuildInputs, gather};
use super::plan::{BuildPlan, Freshness, mixin_input};
use super::stamp::read_stamp;
use crate::mixin::{Catalog, MixinHost};
use crate::pins::PinOptions;

/// How to build.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// The manifest file; its directory is the bundle directory.
    pub manifest: PathBuf,
    /// Ignore both Wharf's stamp and Docker's layer cache.
    pub no_cache: bool,
    /// `--build-arg NAME=VALUE`.
    pub build_args: Vec<(String, String)>,
    /// `--custom a.b=value`: overrides of the manifest's `custom` values.
    pub custom: Vec<(String, String)>,
    /// Replaces the default template's base image.
    pub base_image: Option<String>,
    /// The static runtime to stage; found with
    /// [`super::runtime_binary::locate`] when absent.
    pub runtime: Option<PathBuf>,
    /// How mixins are pinned (`--update-lock`, registries).
    pub pins: PinOptions,
    /// `--name`: the bundle's name instead of porter.yaml's.
    pub name: Option<String>,
    /// `--version`: the bundle's version instead of porter.yaml's (which
    /// may have none), as Porter's CI pipelines pass it.
    pub version: Option<String>,
    /// The builder asked for (see [`Builder::from_env`]); the classic one
    /// builds anyway where the daemon has no BuildKit.
    pub builder: Builder,
    /// `--secret`: what a `RUN --mount=type=secret` step may mount.
    pub secrets: Vec<BuildSecret>,
    /// `--ssh default`: forward the ssh agent at `$SSH_AUTH_SOCK`.
    pub ssh: bool,
}

/// What a build produced.
#[derive(Debug, Clone)]
pub struct BuildResult {
    /// The invocation image reference.
    pub image: String,
    /// Its image ID.
    pub image_id: String,
    /// The bundle.json written on disk.
    pub bundle_json: PathBuf,
    /// True when nothing had changed and nothing was built.
    pub up_to_date: bool,
}

/// Builds the bundle whose manifest `options.manifest` names.
pub async fn build(
    options: &BuildOptions,
    host: &MixinHost,
    catalog: &Catalog,
    progress: &mut dyn FnMut(&str),
) -> Result<BuildResult> {
    let masker = build_secrets::read_all(&options.secrets)?;
    let mut inputs = gather(options, host, catalog, progress).await?;
    let digest = inputs.digest()?;
    let bundle_json = inputs.bundle_dir.join(".cnab/bundle.json");
    let previous = read_stamp(&inputs.bundle_dir);
    match Freshness::decide(&digest, previous, bundle_json.exists(), options.no_cache) {
        Freshness::UpToDate(stamp) => {
            tracing::debug!(
                inputs = %digest,
                image = %stamp.image,
                "build: up to date (same inputs as the last build); Docker is not contacted"
            );
            return Ok(BuildResult {
                image: stamp.image,
                image_id: stamp.image_id,
                bundle_json,
                up_to_date: true,
            });
        }
        Freshness::Stale(reason) => {
            tracing::debug!(inputs = %digest, reason, "build: building");
        }
    }
    let docker = connect().await?;
    let builder = settle_builder(&docker, inputs.builder, progress);
    let file = inputs
        .manifest
        .dockerfile
        .clone()
        .unwrap_or_else(|| "the default template".into());
    let adapted = frontend::adapt_for_build(
        &inputs.template,
        &file,
        builder,
        &inputs.secret_ids,
        progress,
    )?;
    let route = match builder {
        Builder::Classic => BuildRoute::Classic,
        Builder::BuildKit if adapted.secrets.is_empty() && !adapted.ssh && !inputs.ssh => {
            BuildRoute::BuildKit
        }
        Builder::BuildKit => BuildRoute::BuildKitWithSecrets {
            secrets: &options.secrets,
            ssh: inputs.ssh,
            masker: &masker,
        },
    };
    inputs.template = adapted.text;
    let lines = mixin_lines(&inputs).await?;
    let plan = BuildPlan::new(&inputs, digest, lines);
    super::execute::execute(
        &inputs,
        &plan,
        host,
        &docker,
        route,
        options.no_cache,
        progress,
    )
    .await
}

/// The builder to use: the one asked for, unless it is BuildKit and the
/// daemon has none, which is said (once, here) and the classic one used.
fn settle_builder(
    docker: &bollard::Docker,
    asked: Builder,
    progress: &mut dyn FnMut(&str),
) -> Builder {
    if asked == Builder::Classic || super::buildkit::available(docker) {
        return asked;
    }
    progress(
        "This Docker daemon has no BuildKit Wharf can use (it needs Engine API 1.39 or later); \
         building with Docker's classic builder instead\n",
    );
    Builder::Classic
}

/// Asks each mixin what the image needs and turns it into Dockerfile
/// lines, refusing what a mixin may not ask for (see
/// [`super::contributions`]).
async fn mixin_lines(inputs: &BuildInputs) -> Result<Vec<MixinLines>> {
    let escape = super::mixin_lines::escape_char(&inputs.template);
    let mut lines = Vec::with_capacity(inputs.mixins.len());
    for mixin in &inputs.mixins {
        let name = &mixin.mixin.metadata().name;
        let input = mixin_input(&inputs.manifest, name);
        let contributions = mixin
            .mixin
            .build(&input, Some(&inputs.bundle_dir))
            .await
            .with_context(|| format!("the {name} mixin could not generate its Dockerfile lines"))?;
        let mixin_lines = super::contributions::render(name, &contributions, escape)?;
        lines.push(MixinLines {
            name: name.clone(),
            lines: mixin_lines,
        });
    }
    Ok(lines)
}
