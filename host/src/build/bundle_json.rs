//! From a manifest to a CNAB 1.2.0 bundle.json, mapped as Porter maps it.
//!
//! What a bundle author declared (parameters, credentials, outputs, actions,
//! their definitions, the `io.cnab.*` extensions) comes out exactly as
//! Porter writes it, so CNAB tools read Wharf's bundles as they read
//! Porter's. Wharf's own internal parameters are prefixed `wharf-` where
//! Porter's are prefixed `porter-`, and Wharf's stamp is `sh.wharf` where
//! Porter's is `sh.porter`.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::{Map, Value, json};

use crate::cnab::contract::{
    BUNDLE_DIR, DEBUG_NAME, DOCKER_EXTENSION, FILE_PARAMETERS_EXTENSION, INTERNAL_COMMENT,
    OUTPUTS_DIR, PARAMETER_SOURCES_EXTENSION, STAMP_EXTENSION, STATE_NAME, STATE_PATH,
    output_parameter_name,
};
use crate::cnab::{
    Action, Bundle, CNAB_SCHEMA_VERSION, Credential, Definition, Image, InvocationImage, Location,
    Maintainer, Output, Parameter,
};
use crate::digest::Digest;
use crate::manifest::{Manifest, ParameterDefinition, templates, upper_snake};

/// What goes into the stamp besides the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// The digest of the manifest text.
    pub manifest_digest: Digest,
    /// The manifest text, embedded so `wharf explain --reference` works.
    pub manifest: String,
    /// Each mixin's version and component digest.
    pub mixins: BTreeMap<String, StampedMixin>,
}

/// The stamp of an empty manifest with no mixins.
impl Default for Stamp {
    fn default() -> Self {
        Self {
            manifest_digest: Digest::of(b""),
            manifest: String::new(),
            mixins: BTreeMap::new(),
        }
    }
}

/// One mixin in the stamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StampedMixin {
    /// Its version.
    pub version: String,
    /// The digest of its component, as `wharf.lock` pins it.
    pub digest: Digest,
    /// Where it came from, as `wharf.lock` records it: an OCI reference,
    /// `built-in` or `installed`.
    pub reference: String,
}

/// Builds the bundle.json for `manifest`. `invocation_image` is the
/// installer image reference (with its digest once known).
pub fn bundle_for(
    manifest: &Manifest,
    invocation_image: InvocationImage,
    stamp: &Stamp,
    custom_overrides: &Map<String, Value>,
) -> Bundle {
    let mut bundle = Bundle {
        schema_version: CNAB_SCHEMA_VERSION.to_string(),
        name: manifest.name.clone(),
        // `build` refuses a manifest that is still without a version here.
        version: manifest
            .version
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        description: manifest.description.clone().unwrap_or_default(),
        maintainers: manifest
            .maintainers
            .iter()
            .map(|m| Maintainer {
                name: m.name.clone().unwrap_or_default(),
                email: m.email.clone().unwrap_or_default(),
                url: m.url.clone().unwrap_or_default(),
            })
            .collect(),
        invocation_images: vec![invocation_image],
        ..Bundle::default()
    };
    add_images(manifest, &mut bundle);
    add_actions(manifest, &mut bundle);
    let mut sources = Map::new();
    add_parameters(manifest, &mut bundle, &mut sources);
    add_credentials(manifest, &mut bundle);
    add_outputs(manifest, &mut bundle);
    add_internals(manifest, &mut bundle, &mut sources);
    super::dependencies_json::add_output_parameters(manifest, &mut bundle, &mut sources);
    add_extensions(manifest, &mut bundle, sources, stamp, custom_overrides);
    bundle
}

fn add_images(manifest: &Manifest, bundle: &mut Bundle) {
    for (alias, image) in &manifest.images {
        let reference = match (&image.tag, &image.digest) {
            (Some(tag), _) => format!("{}:{tag}", image.repository),
            (None, Some(digest)) => format!("{}@{digest}", image.repository),
            (None, None) => image.repository.clone(),
        };
        bundle.images.insert(
            alias.clone(),
            Image {
                image_type: image.image_type.clone().unwrap_or_else(|| "docker".into()),
                image: reference,
                content_digest: image.digest.clone().unwrap_or_default(),
                size: image.size.unwrap_or_default(),
                labels: image
                    .labels
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                media_type: image.media_type.clone().unwrap_or_default(),
                description: image.description.clone().unwrap_or_default(),
            },
        );
    }
}

fn add_actions(manifest: &Manifest, bundle: &mut Bundle) {
    for name in manifest.custom_actions.keys() {
        let action = match manifest.custom_action_definitions.get(name) {
            Some(def) => Action {
                modifies: def.modifies,
                stateless: def.stateless,
                description: def.description.clone().unwrap_or_else(|| name.clone()),
            },
            // Porter's default for an undeclared custom action: it may
            // change the installation.
            None => Action {
                modifies: true,
                stateless: false,
                description: name.clone(),
            },
        };
        bundle.actions.insert(name.clone(), action);
    }
}

/// A definition from a manifest's schema keywords: `file` becomes a
/// base64 string, untyped values get their inferred type, sensitive ones
/// are write-only.
fn definition(schema: &Map<String, Value>, type_name: &str, sensitive: bool) -> Definition {
    let mut def = schema.clone();
    if type_name == "file" {
        def.insert("type".into(), json!("string"));
        def.insert("contentEncoding".into(), json!("base64"));
    } else {
        def.insert("type".into(), json!(type_name));
    }
    if sensitive {
        def.insert("writeOnly".into(), json!(true));
    }
    def
}

fn destination(param: &ParameterDefinition) -> Location {
    match &param.path {
        Some(path) => Location {
            path: absolute_in_bundle(path),
            env: String::new(),
        },
        None => Location {
            path: String::new(),
            env: param.env_var().unwrap_or_default(),
        },
    }
}

/// A relative path in the manifest means the bundle directory.
pub fn absolute_in_bundle(path: &str) -> String {
    if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{BUNDLE_DIR}/{}", path.trim_start_matches("./"))
    }
}

fn add_parameters(manifest: &Manifest, bundle: &mut Bundle, sources: &mut Map<String, Value>) {
    for param in &manifest.parameters {
        let def_name = format!("{}-parameter", param.name);
        bundle.definitions.insert(
            def_name.clone(),
            definition(&param.schema, param.type_name(), param.sensitive),
        );
        bundle.parameters.insert(
            param.name.clone(),
            Parameter {
                definition: def_name,
                apply_to: param.apply_to.clone(),
                description: param
                    .schema
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                destination: Some(destination(param)),
                required: param.default().is_none(),
            },
        );
        if let Some(source) = &param.source
            && let Some(output) = &source.output
        {
            let entry = match &source.dependency {
                Some(dep) => json!({
                    "priority": ["dependencies.output"],
                    "sources": {"dependencies.output": {"dependency": dep, "name": output}}
                }),
                None => json!({"priority": ["output"], "sources": {"output": {"name": output}}}),
            };
            sources.insert(param.name.clone(), entry);
        }
    }
}

fn add_credentials(manifest: &Manifest, bundle: &mut Bundle) {
    for cred in &manifest.credentials {
        bundle.credentials.insert(
            cred.name.clone(),
            Credential {
                path: cred.path.clone().unwrap_or_default(),
                env: cred.env.clone().unwrap_or_default(),
                description: cred.description.clone().unwrap_or_default(),
                required: cred.required,
                apply_to: cred.apply_to.clone(),
            },
        );
    }
}

fn add_outputs(manifest: &Manifest, bundle: &mut Bundle) {
    for output in &manifest.outputs {
        let def_name = format!("{}-output", output.name);
        bundle.definitions.insert(
            def_name.clone(),
            definition(&output.schema, output.type_name(), output.sensitive),
        );
        bundle.outputs.insert(
            output.name.clone(),
            Output {
                definition: def_name,
                apply_to: output.apply_to.clone(),
                description: output
                    .schema
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                path: format!("{OUTPUTS_DIR}/{}", output.name),
            },
        );
    }
}

/// Bundle outputs that a template reads: each becomes a parameter sourced
/// from that output, so a later action sees the value an earlier one made.
fn referenced_outputs(manifest: &Manifest) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    each_step_reference(manifest, &mut |reference| {
        if let Some(name) = reference.strip_prefix("bundle.outputs.")
            && manifest.outputs.iter().any(|o| o.name == name)
            && !names.iter().any(|n| n == name)
        {
            names.push(name.to_string());
        }
    });
    names
}

/// Calls `each` with every template reference in every step, in order.
pub(super) fn each_step_reference(manifest: &Manifest, each: &mut dyn FnMut(&str)) {
    for (_, steps) in manifest.actions() {
        for step in steps {
            crate::manifest::visit_scalars(&step.body, &mut |text, _| {
                for reference in
                    templates::references(text, manifest.template_syntax).unwrap_or_default()
                {
                    each(reference);
                }
            });
        }
    }
}

fn internal_definition(id: &str, mut def: Definition) -> Definition {
    def.insert("$comment".into(), json!(INTERNAL_COMMENT));
    def.insert(
        "$id".into(),
        json!(format!("https://wharf.dev/generated-bundle/#{id}")),
    );
    def
}

fn add_internals(manifest: &Manifest, bundle: &mut Bundle, sources: &mut Map<String, Value>) {
    let debug_description = "Print debug information from Wharf when executing the bundle";
    let mut debug = Map::new();
    debug.insert("type".into(), json!("boolean"));
    debug.insert("default".into(), json!(false));
    debug.insert("description".into(), json!(debug_description));
    bundle.definitions.insert(
        format!("{DEBUG_NAME}-parameter"),
        internal_definition(DEBUG_NAME, debug),
    );
    bundle.parameters.insert(
        DEBUG_NAME.into(),
        Parameter {
            definition: format!("{DEBUG_NAME}-parameter"),
            description: debug_description.into(),
            destination: Some(Location {
                path: String::new(),
                env: upper_snake(DEBUG_NAME),
            }),
            ..Parameter::default()
        },
    );

    let state_description = "Supports persisting state for bundles. Wharf internal parameter that should not be set manually.";
    let mut state = Map::new();
    state.insert("type".into(), json!("string"));
    state.insert("contentEncoding".into(), json!("base64"));
    state.insert("description".into(), json!(state_description));
    bundle
        .definitions
        .insert(STATE_NAME.into(), internal_definition(STATE_NAME, state));
    bundle.parameters.insert(
        STATE_NAME.into(),
        Parameter {
            definition: STATE_NAME.into(),
            description: state_description.into(),
            destination: Some(Location {
                path: STATE_PATH.into(),
                env: String::new(),
            }),
            ..Parameter::default()
        },
    );
    bundle.outputs.insert(
        STATE_NAME.into(),
        Output {
            definition: STATE_NAME.into(),
            description: state_description.into(),
            path: format!("{OUTPUTS_DIR}/{STATE_NAME}"),
            ..Output::default()
        },
    );
    sources.insert(
        STATE_NAME.into(),
        json!({"priority": ["output"], "sources": {"output": {"name": STATE_NAME}}}),
    );

    for output in referenced_outputs(manifest) {
        let name = output_parameter_name(&output);
        let mut def = Map::new();
        def.insert("type".into(), json!("string"));
        def.insert("default".into(), json!(""));
        bundle.definitions.insert(
            name.clone(),
            internal_definition("wharf-parameter-source-definition", def),
        );
        bundle.parameters.insert(
            name.clone(),
            Parameter {
                definition: name.clone(),
                description: format!("Wires up the {output} output for use as a parameter. Wharf internal parameter that should not be set manually."),
                destination: Some(Location { path: String::new(), env: upper_snake(&name) }),
                ..Parameter::default()
            },
        );
        sources.insert(
            name,
            json!({"priority": ["output"], "sources": {"output": {"name": output}}}),
        );
    }
}

fn add_extensions(
    manifest: &Manifest,
    bundle: &mut Bundle,
    sources: Map<String, Value>,
    stamp: &Stamp,
    overrides: &Map<String, Value>,
) {
    let mut custom: BTreeMap<String, Value> = manifest
        .custom
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (key, value) in overrides {
        custom.insert(key.clone(), value.clone());
    }
    let mut required = Vec::new();
    if manifest.parameters.iter().any(ParameterDefinition::is_file) {
        required.push(FILE_PARAMETERS_EXTENSION.to_string());
    }
    super::dependencies_json::add_extension(manifest, &mut custom, &mut required);
    custom.insert(PARAMETER_SOURCES_EXTENSION.into(), Value::Object(sources));
    required.push(PARAMETER_SOURCES_EXTENSION.to_string());
    for extension in &manifest.required {
        let key = if extension.name == "docker" {
            DOCKER_EXTENSION
        } else {
            extension.name.as_str()
        };
        custom.insert(key.into(), extension.config.clone().unwrap_or(Value::Null));
        if !required.iter().any(|r| r == key) {
            required.push(key.to_string());
        }
    }
    let mixins: Map<String, Value> = stamp
        .mixins
        .iter()
        .map(|(name, m)| {
            (
                name.clone(),
                json!({"version": m.version, "digest": m.digest, "reference": m.reference}),
            )
        })
        .collect();
    custom.insert(
        STAMP_EXTENSION.into(),
        json!({
            "manifestDigest": stamp.manifest_digest,
            "manifest": base64::engine::general_purpose::STANDARD.encode(&stamp.manifest),
            "mixins": mixins,
            "version": crate::VERSION,
        }),
    );
    bundle.custom = custom;
    bundle.required_extensions = required;
}
