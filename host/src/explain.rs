//! `wharf explain`: what a bundle takes, gives and does, in Porter's shape.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::manifest::Manifest;

/// A bundle explained.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Version.
    pub version: String,
    /// Parameters the operator can set.
    pub parameters: Vec<ExplainedParameter>,
    /// Credentials the operator supplies.
    pub credentials: Vec<ExplainedCredential>,
    /// Outputs the bundle produces.
    pub outputs: Vec<ExplainedOutput>,
    /// Custom actions.
    pub custom_actions: Vec<ExplainedAction>,
    /// Bundles this one requires.
    pub dependencies: Vec<ExplainedDependency>,
    /// Mixins it uses.
    pub mixins: Vec<String>,
    /// Mixins it uses that are not installed here.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing_mixins: Vec<String>,
    /// The environment variables each mixin is granted (`grant: env:`), by
    /// mixin; only mixins with a grant are listed.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub granted_env: BTreeMap<String, Vec<String>>,
    /// It requires Docker (`required: docker`): its runs need the host's
    /// Docker daemon, which `--allow-docker-host-access` grants.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub docker_host_access: bool,
}

/// A parameter.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExplainedParameter {
    pub name: String,
    pub description: String,
    #[serde(rename = "type")]
    pub type_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    pub required: bool,
    pub sensitive: bool,
    pub apply_to: String,
}

/// A credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExplainedCredential {
    pub name: String,
    pub description: String,
    pub required: bool,
    pub apply_to: String,
}

/// An output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExplainedOutput {
    pub name: String,
    pub description: String,
    #[serde(rename = "type")]
    pub type_name: String,
    pub sensitive: bool,
    pub apply_to: String,
}

/// A custom action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExplainedAction {
    pub name: String,
    pub description: String,
    pub modifies: bool,
    pub stateless: bool,
}

/// A dependency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExplainedDependency {
    pub alias: String,
    pub reference: String,
    /// The version range it must be in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The sharing group it is installed once for (dependencies v2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sharing_group: Option<String>,
    /// The bundle it resolves to today (`--show-dependencies`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved: Option<ResolvedBundle>,
    /// Its own dependencies (`--show-dependencies`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<ExplainedDependency>,
}

/// The bundle a dependency resolves to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedBundle {
    pub reference: String,
    pub name: String,
    pub version: String,
    pub digest: String,
}

impl ExplainedDependency {
    /// A requirement as explain shows it, unresolved.
    pub fn of(requirement: &crate::dependencies::Requirement) -> Self {
        Self {
            alias: requirement.alias.clone(),
            reference: requirement.reference.clone(),
            version: (!requirement.ranges.is_empty()).then(|| requirement.ranges.join(" || ")),
            sharing_group: requirement.sharing_group.clone(),
            resolved: None,
            dependencies: Vec::new(),
        }
    }
}

fn apply_to(actions: &[String]) -> String {
    if actions.is_empty() {
        "All Actions".into()
    } else {
        actions.join(",")
    }
}

fn description(schema: &serde_json::Map<String, Value>) -> String {
    schema
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// The bundle's custom actions.
fn custom_actions(bundle: &crate::cnab::Bundle) -> Vec<ExplainedAction> {
    bundle
        .actions
        .iter()
        .map(|(name, a)| ExplainedAction {
            name: name.clone(),
            description: a.description.clone(),
            modifies: a.modifies,
            stateless: a.stateless,
        })
        .collect()
}

/// Explains `manifest`; `missing_mixins` are the declared mixins this
/// machine does not have.
pub fn explain(manifest: &Manifest, missing_mixins: Vec<String>) -> Explanation {
    let bundle = crate::build::bundle_for(
        manifest,
        Default::default(),
        &Default::default(),
        &Default::default(),
    );
    Explanation {
        name: manifest.name.clone(),
        description: manifest.description.clone().unwrap_or_default(),
        version: manifest
            .version
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        parameters: manifest
            .parameters
            .iter()
            .map(|p| ExplainedParameter {
                name: p.name.clone(),
                description: description(&p.schema),
                type_name: p.type_name().to_string(),
                default: p.default().cloned(),
                required: p.default().is_none(),
                sensitive: p.sensitive,
                apply_to: apply_to(&p.apply_to),
            })
            .collect(),
        credentials: manifest
            .credentials
            .iter()
            .map(|c| ExplainedCredential {
                name: c.name.clone(),
                description: c.description.clone().unwrap_or_default(),
                required: c.required,
                apply_to: apply_to(&c.apply_to),
            })
            .collect(),
        outputs: manifest
            .outputs
            .iter()
            .map(|o| ExplainedOutput {
                name: o.name.clone(),
                description: description(&o.schema),
                type_name: o.type_name().to_string(),
                sensitive: o.sensitive,
                apply_to: apply_to(&o.apply_to),
            })
            .collect(),
        custom_actions: custom_actions(&bundle),
        dependencies: manifest
            .required_dependencies()
            .map(|d| {
                let requirement = crate::dependencies::Requirement::from_manifest(
                    d,
                    manifest.uses_dependencies_v2(),
                );
                ExplainedDependency::of(&requirement)
            })
            .collect(),
        mixins: manifest.mixins.iter().map(|m| m.name.clone()).collect(),
        missing_mixins,
        granted_env: manifest
            .mixins
            .iter()
            .filter(|m| !m.grant.env.is_empty())
            .map(|m| {
                (
                    m.name.clone(),
                    m.grant.env_names().map(String::from).collect(),
                )
            })
            .collect(),
        docker_host_access: manifest.requires_docker(),
    }
}

/// Explains a built or pulled bundle from its bundle.json (for `explain
/// --reference` and `--cnab-file`): Wharf's and Porter's internal
/// parameters and outputs are left out, as Porter leaves them out.
pub fn explain_bundle(bundle: &crate::cnab::Bundle) -> Explanation {
    use crate::cnab::definition_type;
    use crate::sets::is_internal_parameter;
    let internal_output = crate::cnab::contract::is_internal;
    let type_name = |definition: Option<&crate::cnab::Definition>| {
        if definition.is_some_and(crate::cnab::is_file_definition) {
            "file".to_string()
        } else {
            definition_type(definition).to_string()
        }
    };
    let stamp_mixins = bundle
        .custom
        .get(crate::cnab::contract::STAMP_EXTENSION)
        .and_then(|s| s.get("mixins"))
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    Explanation {
        name: bundle.name.clone(),
        description: bundle.description.clone(),
        version: bundle.version.clone(),
        parameters: bundle
            .parameters
            .iter()
            .filter(|(name, _)| !is_internal_parameter(bundle, name))
            .map(|(name, p)| {
                let definition = bundle.parameter_definition(name);
                ExplainedParameter {
                    name: name.clone(),
                    description: p.description.clone(),
                    type_name: type_name(definition),
                    default: definition.and_then(|d| d.get("default")).cloned(),
                    required: p.required,
                    sensitive: bundle.is_sensitive_parameter(name),
                    apply_to: apply_to(&p.apply_to),
                }
            })
            .collect(),
        credentials: bundle
            .credentials
            .iter()
            .map(|(name, c)| ExplainedCredential {
                name: name.clone(),
                description: c.description.clone(),
                required: c.required,
                apply_to: apply_to(&c.apply_to),
            })
            .collect(),
        outputs: bundle
            .outputs
            .iter()
            .filter(|(name, _)| !internal_output(name))
            .map(|(name, o)| ExplainedOutput {
                name: name.clone(),
                description: o.description.clone(),
                type_name: type_name(bundle.output_definition(name)),
                sensitive: bundle.is_sensitive_output(name),
                apply_to: apply_to(&o.apply_to),
            })
            .collect(),
        custom_actions: custom_actions(bundle),
        dependencies: crate::dependencies::requirements_of(bundle)
            .unwrap_or_default()
            .iter()
            .map(ExplainedDependency::of)
            .collect(),
        mixins: stamp_mixins,
        missing_mixins: Vec::new(),
        granted_env: BTreeMap::new(),
        docker_host_access: bundle.requires_extension(crate::cnab::contract::DOCKER_EXTENSION),
    }
}
