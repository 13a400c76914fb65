//! Carrying out a [`BuildPlan`]: precompile the mixins, stage `.cnab/`,
//! make sure the tooling image exists, build the image through the Docker
//! Engine, write bundle.json and the stamp.
//!
//! Everything here has a side effect, and nothing here decides anything:
//! what to stage and build was settled by the plan. The stamp is written
//! last, so a build cut short is never mistaken for a finished one.

use std::collections::HashMap;

use anyhow::{Context, Result};

use super::image::{BuildRoute, ImageBuild, build_image};
use super::inputs::BuildInputs;
use super::plan::BuildPlan;
use super::stage::{StagedMixin, Staging, stage};
use super::stamp::{BuildStamp, write_stamp};
use super::tooling::ToolingImage;
use super::{BuildResult, context};
use crate::digest::Digest;
use crate::fs_atomic::write_atomically;
use crate::mixin::MixinHost;

/// The Dockerfile's path in the build context.
const DOCKERFILE: &str = ".cnab/Dockerfile";

/// Executes `plan`: precompiles and stages the mixins, builds the image
/// and records the result.
pub async fn execute(
    inputs: &BuildInputs,
    plan: &BuildPlan,
    host: &MixinHost,
    docker: &bollard::Docker,
    route: BuildRoute<'_>,
    no_cache: bool,
    progress: &mut dyn FnMut(&str),
) -> Result<BuildResult> {
    let bundle_dir = &inputs.bundle_dir;
    let mut mixins = Vec::with_capacity(plan.mixins.len());
    for mixin in &plan.mixins {
        let component = &mixin.component;
        let started = std::time::Instant::now();
        let framed = host.precompile(&component.source, mixin.digest, &component.bytes)?;
        tracing::debug!(
            mixin = %mixin.name,
            component = %mixin.digest,
            elapsed = ?started.elapsed(),
            "build: the mixin is ready for the image's baseline x86-64 target"
        );
        let staged = StagedMixin {
            name: mixin.name.clone(),
            version: mixin.version.clone(),
            digest: mixin.digest,
            compiled: Digest::of(&framed),
            programs: mixin.programs.clone(),
            file: format!("{}.cwasm", mixin.name),
        };
        mixins.push((staged, framed));
    }
    let tooling = ToolingImage::for_contents(inputs.runtime_digest(), &mixins)?;
    stage(
        bundle_dir,
        &Staging {
            manifest: &inputs.manifest_text,
            dockerfile: &plan.dockerfile(inputs, &tooling.reference),
            bundle_json: &plan.bundle(inputs, "").to_canonical_json()?,
        },
    )?;
    tooling
        .ensure(
            docker,
            route.for_tooling(),
            &inputs.runtime,
            &mixins,
            progress,
        )
        .await?;

    let context = context::stream_context(bundle_dir.clone(), context::context_files(bundle_dir)?);
    let build_args: HashMap<String, String> = plan.build_args.clone().into_iter().collect();
    progress(&format!(
        "Building the invocation image {}...\n",
        plan.image
    ));
    let image_id = build_image(
        docker,
        ImageBuild {
            context: Box::pin(context),
            dockerfile: DOCKERFILE,
            tag: &plan.image,
            build_args: &build_args,
            no_cache,
        },
        route,
        progress,
    )
    .await?;

    let bundle_json = bundle_dir.join(".cnab/bundle.json");
    let bundle = plan.bundle(inputs, &image_id);
    write_atomically(&bundle_json, &bundle.to_canonical_json()?)
        .with_context(|| format!("the image {} was built", plan.image))?;
    write_stamp(
        bundle_dir,
        &BuildStamp {
            inputs: plan.inputs,
            image: plan.image.clone(),
            image_id: image_id.clone(),
        },
    )?;
    Ok(BuildResult {
        image: plan.image.clone(),
        image_id,
        bundle_json,
        up_to_date: false,
    })
}
