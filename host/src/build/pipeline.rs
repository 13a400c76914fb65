//! The build pipeline, from manifest to image.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::bundle_json::{Stamp, StampedMixin, bundle_for};
use super::context::{context_files, tar_context};
use super::dockerfile::{DEFAULT_BASE_IMAGE, MixinLines, default_template, render};
use super::image::{ImageBuild, build_image, connect};
use super::runtime_binary;
use super::stage::{StagedMixin, Staging, stage};
use super::stamp::{BuildStamp, InputDigest, read_stamp, write_stamp};
use crate::cnab::InvocationImage;
use crate::fs_atomic::write_atomically;
use crate::manifest::{self, Manifest, upper_snake};
use crate::mixin::{ActionSteps, BuildInput, Catalog, MixinHost};

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
    /// The static runtime to stage; found with [`runtime_binary::locate`]
    /// when absent.
    pub runtime: Option<PathBuf>,
    /// How mixins are pinned (`--update-lock`, registries).
    pub pins: super::mixin_pins::PinOptions,
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

/// Builds the bundle whose manifest `options.manifest` names.
pub async fn build(
    options: &BuildOptions,
    host: &MixinHost,
    catalog: &Catalog,
    progress: &mut dyn FnMut(&str),
) -> Result<BuildResult> {
    let manifest_path = &options.manifest;
    let bundle_dir = manifest_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let manifest_text = std::fs::read_to_string(manifest_path)
        .with_context(|| format!("cannot read {}", manifest_path.display()))?;
    let (manifest, warnings) = manifest::parse(&manifest_text, manifest_path)?;
    for warning in &warnings {
        progress(&format!("{}\n", warning.display_in(manifest_path)));
    }
    let pinner = super::mixin_pins::Pinner {
        host,
        catalog,
        home: catalog.home(),
        options: &options.pins,
    };
    let mixins = pinner.resolve(&manifest, manifest_path).await?;
    let runtime_path = match &options.runtime {
        Some(path) => path.clone(),
        None => runtime_binary::locate()?,
    };
    let runtime = runtime_binary::read_static(&runtime_path)?;
    let custom_overrides = custom_overrides(&manifest, &options.custom)?;

    let template = match &manifest.dockerfile {
        Some(file) => {
            let path = bundle_dir.join(file);
            std::fs::read_to_string(&path).with_context(|| {
                format!(
                    "cannot read the Dockerfile template {} named by `dockerfile` in {}",
                    path.display(),
                    manifest_path.display()
                )
            })?
        }
        None => default_template(options.base_image.as_deref().unwrap_or(DEFAULT_BASE_IMAGE)),
    };

    let files = context_files(&bundle_dir)?;
    let mut digest = InputDigest::default();
    digest.add("wharf", crate::VERSION.as_bytes());
    digest.add("template", template.as_bytes());
    digest.add("runtime", &Sha256::digest(&runtime));
    for mixin in &mixins {
        digest.add("mixin", mixin.mixin.digest().as_bytes());
    }
    for (k, v) in &options.build_args {
        digest.add("build-arg", format!("{k}={v}").as_bytes());
    }
    digest.add(
        "custom",
        Value::Object(custom_overrides.clone())
            .to_string()
            .as_bytes(),
    );
    for rel in files.iter().filter(|f| !f.starts_with(".cnab")) {
        digest.add_file(&bundle_dir, rel)?;
    }
    let inputs = digest.finish();
    if !options.no_cache
        && let Some(previous) = read_stamp(&bundle_dir)
        && previous.inputs == inputs
        && bundle_dir.join(".cnab/bundle.json").exists()
    {
        return Ok(BuildResult {
            image: previous.image,
            image_id: previous.image_id,
            bundle_json: bundle_dir.join(".cnab/bundle.json"),
            up_to_date: true,
        });
    }

    let mut lines = Vec::new();
    for mixin in &mixins {
        let name = &mixin.mixin.metadata().name;
        let input = mixin_input(&manifest, name);
        let mixin_lines = mixin
            .mixin
            .build(&input, Some(&bundle_dir))
            .await
            .with_context(|| format!("the {name} mixin could not generate its Dockerfile lines"))?;
        lines.push(MixinLines {
            name: name.clone(),
            lines: mixin_lines,
        });
    }
    let dockerfile = render(&template, &lines);
    let image = format!("{}:wharf-{}", repository(&manifest), &inputs[..16]);
    let stamp = Stamp {
        manifest_digest: format!(
            "sha256:{}",
            hex::encode(Sha256::digest(manifest_text.as_bytes()))
        ),
        manifest: manifest_text.clone(),
        mixins: mixins
            .iter()
            .map(|m| {
                let meta = m.mixin.metadata();
                (
                    meta.name.clone(),
                    StampedMixin {
                        version: meta.version.clone(),
                        digest: format!("sha256:{}", m.mixin.digest()),
                        reference: m.source.clone(),
                    },
                )
            })
            .collect(),
    };
    let invocation = |content_digest: String| InvocationImage {
        image_type: "docker".into(),
        image: image.clone(),
        content_digest,
        ..InvocationImage::default()
    };
    let staged_bundle = bundle_for(
        &manifest,
        invocation(String::new()),
        &stamp,
        &custom_overrides,
    );
    let mut staged_mixins = Vec::new();
    for mixin in &mixins {
        let meta = mixin.mixin.metadata();
        let framed = host.precompile(&mixin.source, &mixin.bytes)?;
        staged_mixins.push((
            StagedMixin {
                name: meta.name.clone(),
                version: meta.version.clone(),
                digest: format!("sha256:{}", mixin.mixin.digest()),
                file: format!("{}.cwasm", meta.name),
            },
            framed,
        ));
    }
    stage(
        &bundle_dir,
        &Staging {
            manifest: &manifest_text,
            runtime: &runtime,
            mixins: staged_mixins,
            dockerfile: &dockerfile,
            bundle_json: &staged_bundle.to_canonical_json()?,
        },
    )?;

    let context = tar_context(&bundle_dir, &context_files(&bundle_dir)?)?;
    let mut build_args: HashMap<String, String> = options.build_args.iter().cloned().collect();
    for (key, value) in custom_build_args(&manifest, &custom_overrides) {
        build_args.entry(key).or_insert(value);
    }
    progress(&format!("Building the invocation image {image}...\n"));
    let docker = connect().await?;
    let image_id = build_image(
        &docker,
        ImageBuild {
            context,
            dockerfile: ".cnab/Dockerfile",
            tag: &image,
            build_args: &build_args,
            no_cache: options.no_cache,
        },
        progress,
    )
    .await?;

    let final_bundle = bundle_for(
        &manifest,
        invocation(image_id.clone()),
        &stamp,
        &custom_overrides,
    );
    let bundle_json = bundle_dir.join(".cnab/bundle.json");
    write_atomically(&bundle_json, &final_bundle.to_canonical_json()?)?;
    write_stamp(
        &bundle_dir,
        &BuildStamp {
            inputs,
            image: image.clone(),
            image_id: image_id.clone(),
        },
    )?;
    Ok(BuildResult {
        image,
        image_id,
        bundle_json,
        up_to_date: false,
    })
}

/// Loads every declared mixin, reporting all missing ones at once.
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

/// Applies `--custom a.b=value` overrides to the manifest's custom values.
fn custom_overrides(manifest: &Manifest, pairs: &[(String, String)]) -> Result<Map<String, Value>> {
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
    // Only the overridden top-level keys go into the override map.
    Ok(custom
        .into_iter()
        .filter(|(k, _)| pairs.iter().any(|(p, _)| p.split('.').next() == Some(k)))
        .collect())
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
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        let text = "schemaVersion: 1.0.1\nname: app\nversion: 0.1.0\nregistry: localhost:5000/team\nmixins: [exec]\n\
                    custom:\n  app:\n    version: 1.2.3\n    debug: true\n  region: eu\n\
                    install:\n  - exec:\n      description: x\n      command: echo\n";
        manifest::parse(text, Path::new("porter.yaml")).unwrap().0
    }

    #[test]
    fn custom_values_become_build_args_and_overrides_win() {
        let m = manifest();
        let overrides = custom_overrides(&m, &[("app.version".into(), "2.0.0".into())]).unwrap();
        assert_eq!(overrides["app"]["version"], "2.0.0");
        assert_eq!(
            overrides["app"]["debug"], true,
            "the rest of an overridden object stays"
        );
        assert!(
            !overrides.contains_key("region"),
            "only overridden keys are overrides"
        );
        let mut args = custom_build_args(&m, &overrides);
        args.sort();
        assert_eq!(
            args,
            [
                ("CUSTOM_APP_DEBUG".to_string(), "true".to_string()),
                ("CUSTOM_APP_VERSION".to_string(), "2.0.0".to_string()),
                ("CUSTOM_REGION".to_string(), "eu".to_string()),
            ]
        );
        assert!(custom_overrides(&m, &[("app..x".into(), "1".into())]).is_err());
    }

    #[test]
    fn the_image_repository_comes_from_the_registry_and_name() {
        assert_eq!(repository(&manifest()), "localhost:5000/team/app");
    }
}
