//! The build plan: everything `wharf build` will do, decided before any of
//! it is done.
//!
//! Planning reads (the manifest, the template, the runtime, the bundle's
//! files, the pinned mixins) and asks mixins for their Dockerfile lines, but
//! writes nothing and never talks to Docker. That split keeps the decisions
//! that matter to a user (is this build up to date? what Dockerfile, image
//! tag and bundle.json will it produce?) testable without a daemon, and
//! leaves the executor ([`super::execute`]) with nothing to decide.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::bundle_json::{Stamp, StampedMixin, bundle_for};
use super::dockerfile::{MixinLines, render};
use super::inputs::BuildInputs;
use super::stamp::BuildStamp;
use crate::cnab::{Bundle, InvocationImage};
use crate::digest::Digest;
use crate::manifest::{Manifest, upper_snake};
use crate::mixin::{ActionSteps, BuildInput, ResolvedMixin};

/// Whether a build has anything to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Freshness {
    /// The last build had the same inputs and its bundle.json is there:
    /// reuse it without touching Docker.
    UpToDate(BuildStamp),
    /// Build, for this reason (said in `WHARF_LOG` output).
    Stale(&'static str),
}

impl Freshness {
    /// Decides from the inputs' digest and what the last build left.
    pub fn decide(
        inputs: &Digest,
        previous: Option<BuildStamp>,
        bundle_json_exists: bool,
        no_cache: bool,
    ) -> Self {
        match previous {
            _ if no_cache => Self::Stale("--no-cache was given"),
            None => Self::Stale("no earlier build is recorded"),
            Some(stamp) if stamp.inputs != *inputs => {
                Self::Stale("an input changed since the last build")
            }
            Some(_) if !bundle_json_exists => Self::Stale("the last build's bundle.json is gone"),
            Some(stamp) => Self::UpToDate(stamp),
        }
    }
}

/// A build to execute: nothing left to decide.
pub struct BuildPlan {
    /// The digest of the inputs, recorded in the stamp.
    pub inputs: Digest,
    /// The image reference to build.
    pub image: String,
    /// Each mixin's Dockerfile lines, for [`BuildPlan::dockerfile`].
    pub mixin_lines: Vec<MixinLines>,
    /// Wharf's stamp in bundle.json.
    pub stamp: Stamp,
    /// Build arguments: `--build-arg` first, then `CUSTOM_*` (Porter's
    /// names for custom values) where not given.
    pub build_args: BTreeMap<String, String>,
    /// The mixins to precompile and stage, as each will be named in the
    /// image's mixin index.
    pub mixins: Vec<PlannedMixin>,
}

/// One mixin as the image will hold it.
pub struct PlannedMixin {
    /// Its name in steps.
    pub name: String,
    /// Its version.
    pub version: String,
    /// Its component's digest.
    pub digest: Digest,
    /// The programs it was pinned with (see `wharf.lock`): all its
    /// `execute` may run in the image.
    pub programs: Vec<String>,
    /// The component to precompile.
    pub component: ResolvedMixin,
}

impl BuildPlan {
    /// Plans the build of `inputs` whose digest is `digest`, given each
    /// mixin's Dockerfile lines (in `inputs.mixins` order).
    pub fn new(inputs: &BuildInputs, digest: Digest, lines: Vec<MixinLines>) -> Self {
        let manifest = &inputs.manifest;
        let mut build_args: BTreeMap<String, String> = inputs.build_args.iter().cloned().collect();
        for (key, value) in custom_build_args(manifest, &inputs.custom_overrides) {
            build_args.entry(key).or_insert(value);
        }
        let mixins = inputs
            .mixins
            .iter()
            .map(|m| {
                let meta = m.mixin.metadata();
                PlannedMixin {
                    name: meta.name.clone(),
                    version: meta.version.clone(),
                    digest: m.mixin.digest(),
                    programs: meta.programs.clone(),
                    component: m.clone(),
                }
            })
            .collect();
        Self {
            image: format!("{}:wharf-{}", repository(manifest), &digest.hex()[..16]),
            inputs: digest,
            mixin_lines: lines,
            stamp: stamp(inputs),
            build_args,
            mixins,
        }
    }

    /// The Dockerfile, its tail copying from the tooling image `tooling`
    /// (named once the mixins are compiled; see [`super::tooling`]).
    pub fn dockerfile(&self, inputs: &BuildInputs, tooling: &str) -> String {
        render(&inputs.template, &self.mixin_lines, tooling)
    }

    /// The bundle.json for the image with content digest `image_digest`
    /// (empty before the image exists).
    pub fn bundle(&self, inputs: &BuildInputs, image_digest: &str) -> Bundle {
        let invocation = InvocationImage {
            image_type: "docker".into(),
            image: self.image.clone(),
            content_digest: image_digest.to_string(),
            ..InvocationImage::default()
        };
        bundle_for(
            &inputs.manifest,
            invocation,
            &self.stamp,
            &inputs.custom_overrides,
        )
    }
}

fn stamp(inputs: &BuildInputs) -> Stamp {
    Stamp {
        manifest_digest: Digest::of(inputs.manifest_text.as_bytes()),
        manifest: inputs.manifest_text.clone(),
        mixins: inputs
            .mixins
            .iter()
            .map(|m| {
                let meta = m.mixin.metadata();
                let stamped = StampedMixin {
                    version: meta.version.clone(),
                    digest: m.mixin.digest(),
                    reference: m.source.clone(),
                };
                (meta.name.clone(), stamped)
            })
            .collect(),
    }
}

/// The input to a mixin's `build` and `lint`: its config and its steps in
/// every action.
pub fn mixin_input(manifest: &Manifest, mixin: &str) -> BuildInput {
    BuildInput {
        config: manifest.mixin(mixin).and_then(|m| m.config.clone()),
        actions: manifest
            .actions()
            .into_iter()
            .map(|(action, steps)| ActionSteps {
                action: action.to_string(),
                steps: steps
                    .iter()
                    .filter(|s| s.mixin == mixin)
                    .map(|s| s.body_json())
                    .collect(),
            })
            .filter(|a| !a.steps.is_empty())
            .collect(),
    }
}

/// The image repository: the manifest's reference without its tag, else
/// `<registry>/<name>`, else a local name.
fn repository(manifest: &Manifest) -> String {
    match manifest.default_reference() {
        Some(reference) => match reference.rsplit_once(':') {
            Some((repo, tag)) if !tag.contains('/') => repo.to_string(),
            _ => reference,
        },
        None => format!("wharf.local/{}", manifest.name),
    }
}

/// `CUSTOM_APP_VERSION=1.2.3` for `custom: {app: {version: 1.2.3}}`, as
/// Porter passes custom values to the Dockerfile.
fn custom_build_args(manifest: &Manifest, overrides: &Map<String, Value>) -> Vec<(String, String)> {
    let mut custom = manifest.custom.clone();
    for (k, v) in overrides {
        custom.insert(k.clone(), v.clone());
    }
    let mut args = Vec::new();
    fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    flatten(&format!("{prefix}_{}", upper_snake(k)), v, out);
                }
            }
            Value::String(s) => out.push((prefix.to_string(), s.clone())),
            Value::Null => {}
            other => out.push((prefix.to_string(), other.to_string())),
        }
    }
    flatten("CUSTOM", &Value::Object(custom), &mut args);
    args
}

#[cfg(test)]
#[path = "plan/tests.rs"]
mod tests;
