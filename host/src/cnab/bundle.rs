//! The CNAB Core 1.2.0 bundle descriptor, `bundle.json`.
//!
//! The types mirror cnab-go's `bundle` package member for member, because a
//! bundle's digest is taken over its serialised form: a field cnab-go omits
//! and Wharf writes (or the reverse) is a different bundle. Hence:
//!
//! - members Go tags `omitempty` are skipped when empty, `""`, `false` or
//!   `0`, and the others are always written (`description` of a bundle or
//!   an image, `imageType`, `image`, a parameter's `definition`, an
//!   output's `definition` and `path`, a maintainer's `name`);
//! - a parameter's `destination` is written even when absent, as `null`:
//!   cnab-go's tag is misspelt `omitemtpty`, so Go never omits it;
//! - `null` reads as the empty value and unknown members are ignored, as
//!   Go's `encoding/json` does;
//! - maps are [`BTreeMap`]s, so even the non-canonical form is stable.
//!
//! Two deliberate differences from cnab-go: definitions keep every JSON
//! Schema keyword (cnab-go's typed `Schema` drops the ones it does not
//! model, e.g. `pattern`, `maxItems`), and an empty `invocationImages`
//! writes `[]` where a Go nil slice writes `null`.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::canonical::canonicalize;
use crate::digest::Digest;

/// The CNAB Core version Wharf writes in `schemaVersion`, as Porter does.
pub const CNAB_SCHEMA_VERSION: &str = "1.2.0";

/// The actions every bundle has without declaring them; all modify state.
pub const CORE_ACTIONS: [&str; 3] = ["install", "upgrade", "uninstall"];

/// A JSON Schema (draft-07) object from the bundle's `definitions`, kept
/// verbatim so every keyword survives a round trip.
pub type Definition = Map<String, Value>;

/// Failure to read or write a bundle.json.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// The document is not JSON or does not have the shape of a bundle.
    #[error("invalid bundle.json: {0}")]
    Parse(#[source] serde_json::Error),
    /// The document is JSON but not an object.
    #[error("invalid bundle.json: the document is not a JSON object")]
    NotAnObject,
    /// The bundle could not be turned into JSON.
    #[error("cannot serialise bundle: {0}")]
    Serialize(#[source] serde_json::Error),
}

/// A CNAB bundle descriptor (`bundle.json`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Bundle {
    #[serde(deserialize_with = "nullable")]
    pub schema_version: String,
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    #[serde(deserialize_with = "nullable")]
    pub version: String,
    #[serde(deserialize_with = "nullable")]
    pub description: String,
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub maintainers: Vec<Maintainer>,
    #[serde(deserialize_with = "nullable")]
    pub invocation_images: Vec<InvocationImage>,
    #[serde(
        deserialize_with = "nullable",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub images: BTreeMap<String, Image>,
    /// Custom actions; the core actions are implicit (see [`CORE_ACTIONS`]).
    #[serde(
        deserialize_with = "nullable",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub actions: BTreeMap<String, Action>,
    #[serde(
        deserialize_with = "nullable",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub parameters: BTreeMap<String, Parameter>,
    #[serde(
        deserialize_with = "nullable",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub credentials: BTreeMap<String, Credential>,
    #[serde(
        deserialize_with = "nullable",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub outputs: BTreeMap<String, Output>,
    #[serde(
        deserialize_with = "nullable",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub definitions: BTreeMap<String, Definition>,
    #[serde(
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub license: String,
    /// Keys of `custom` a runtime must understand to run the bundle.
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub required_extensions: Vec<String>,
    /// Extension payloads, by extension name; values are kept verbatim
    /// (including `null`, e.g. Porter's `io.cnab.docker`).
    #[serde(
        deserialize_with = "nullable",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub custom: BTreeMap<String, Value>,
}

/// Someone responsible for a bundle.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Maintainer {
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    #[serde(
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub email: String,
    #[serde(
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub url: String,
}

/// The image that runs the bundle's actions (cnab-go `InvocationImage`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct InvocationImage {
    /// `docker` or `oci` in practice; the spec's default is `oci`.
    #[serde(deserialize_with = "nullable")]
    pub image_type: String,
    /// A resolvable reference, e.g. `registry/repo:tag`.
    #[serde(deserialize_with = "nullable")]
    pub image: String,
    #[serde(
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub content_digest: String,
    #[serde(deserialize_with = "nullable", skip_serializing_if = "is_zero")]
    pub size: u64,
    #[serde(
        deserialize_with = "nullable",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub labels: BTreeMap<String, String>,
    #[serde(
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub media_type: String,
}

/// An application image the bundle uses (cnab-go `Image`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Image {
    #[serde(deserialize_with = "nullable")]
    pub image_type: String,
    #[serde(deserialize_with = "nullable")]
    pub image: String,
    #[serde(
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub content_digest: String,
    #[serde(deserialize_with = "nullable", skip_serializing_if = "is_zero")]
    pub size: u64,
    #[serde(
        deserialize_with = "nullable",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub labels: BTreeMap<String, String>,
    #[serde(
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub media_type: String,
    /// Always written, even empty: cnab-go has no `omitempty` here.
    #[serde(deserialize_with = "nullable")]
    pub description: String,
}

/// A custom action's properties.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Action {
    /// The action can change the resources the installation manages.
    #[serde(deserialize_with = "nullable", skip_serializing_if = "is_false")]
    pub modifies: bool,
    /// Informational only: no credentials needed and no claim recorded.
    #[serde(deserialize_with = "nullable", skip_serializing_if = "is_false")]
    pub stateless: bool,
    #[serde(
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub description: String,
}

/// Where a value is placed in the invocation image.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Location {
    #[serde(
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub path: String,
    #[serde(
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub env: String,
}

/// A value passed into the invocation image.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Parameter {
    /// Name of the entry in [`Bundle::definitions`] that types the value.
    #[serde(deserialize_with = "nullable")]
    pub definition: String,
    /// Actions the parameter is for; empty means every action.
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub apply_to: Vec<String>,
    #[serde(
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub description: String,
    /// Serialised as `null` when absent, like cnab-go (see module docs).
    pub destination: Option<Location>,
    #[serde(deserialize_with = "nullable", skip_serializing_if = "is_false")]
    pub required: bool,
}

/// A credential injected into the invocation image. cnab-go embeds a
/// `Location`, so `path` and `env` sit directly on the credential.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Credential {
    #[serde(
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub path: String,
    #[serde(
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub env: String,
    #[serde(
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub description: String,
    #[serde(deserialize_with = "nullable", skip_serializing_if = "is_false")]
    pub required: bool,
    /// Actions the credential is for; empty means every action.
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub apply_to: Vec<String>,
}

/// A value the invocation image produces, read from `path`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Output {
    #[serde(deserialize_with = "nullable")]
    pub definition: String,
    /// Actions producing the output; empty means every action.
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub apply_to: Vec<String>,
    #[serde(
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub description: String,
    /// Under `/cnab/app/outputs/`.
    #[serde(deserialize_with = "nullable")]
    pub path: String,
}

impl Bundle {
    /// Parses a bundle.json document.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, BundleError> {
        Self::from_value(serde_json::from_slice(bytes).map_err(BundleError::Parse)?)
    }

    /// Reads a bundle from an already parsed JSON document.
    pub fn from_value(value: Value) -> Result<Self, BundleError> {
        // serde would also read a struct from a positional array; Go
        // refuses anything but an object, and so does Wharf.
        if !value.is_object() {
            return Err(BundleError::NotAnObject);
        }
        serde_json::from_value(value).map_err(BundleError::Parse)
    }

    /// The bundle as a JSON document, with cnab-go's omissions applied.
    pub fn to_value(&self) -> Result<Value, BundleError> {
        serde_json::to_value(self).map_err(BundleError::Serialize)
    }

    /// The canonical bytes cnab-go's `Bundle.Marshal` produces: what is
    /// pushed as the CNAB config blob and hashed into the bundle digest.
    pub fn to_canonical_json(&self) -> Result<Vec<u8>, BundleError> {
        Ok(canonicalize(&self.to_value()?))
    }

    /// The digest of [`Bundle::to_canonical_json`].
    pub fn content_digest(&self) -> Result<Digest, BundleError> {
        Ok(Digest::of(&self.to_canonical_json()?))
    }

    /// Whether `action` exists: a core action or a declared custom one.
    pub fn has_action(&self, action: &str) -> bool {
        is_core_action(action) || self.actions.contains_key(action)
    }

    /// Whether running `action` may change the installation; `None` for
    /// an action the bundle does not have.
    pub fn action_modifies(&self, action: &str) -> Option<bool> {
        if is_core_action(action) {
            return Some(true);
        }
        self.actions.get(action).map(|a| a.modifies)
    }

    /// Whether `action` is stateless (never true for core actions).
    pub fn action_is_stateless(&self, action: &str) -> bool {
        self.actions.get(action).is_some_and(|a| a.stateless)
    }

    /// The parameters that apply to `action`, in name order.
    pub fn parameters_for_action<'a>(
        &'a self,
        action: &'a str,
    ) -> impl Iterator<Item = (&'a String, &'a Parameter)> + 'a {
        self.parameters
            .iter()
            .filter(move |(_, p)| p.applies_to(action))
    }

    /// The credentials that apply to `action`, in name order.
    pub fn credentials_for_action<'a>(
        &'a self,
        action: &'a str,
    ) -> impl Iterator<Item = (&'a String, &'a Credential)> + 'a {
        self.credentials
            .iter()
            .filter(move |(_, c)| c.applies_to(action))
    }

    /// The outputs that `action` produces, in name order.
    pub fn outputs_for_action<'a>(
        &'a self,
        action: &'a str,
    ) -> impl Iterator<Item = (&'a String, &'a Output)> + 'a {
        self.outputs
            .iter()
            .filter(move |(_, o)| o.applies_to(action))
    }

    /// The schema of parameter `name`, if both exist.
    pub fn parameter_definition(&self, name: &str) -> Option<&Definition> {
        let parameter = self.parameters.get(name)?;
        self.definitions.get(&parameter.definition)
    }

    /// The schema of output `name`, if both exist.
    pub fn output_definition(&self, name: &str) -> Option<&Definition> {
        let output = self.outputs.get(name)?;
        self.definitions.get(&output.definition)
    }

    /// Whether parameter `name` holds a secret (its definition is
    /// `writeOnly`), so its value must be masked and kept out of records.
    pub fn is_sensitive_parameter(&self, name: &str) -> bool {
        self.parameter_definition(name).is_some_and(is_sensitive)
    }

    /// Whether output `name` holds a secret (its definition is `writeOnly`).
    pub fn is_sensitive_output(&self, name: &str) -> bool {
        self.output_definition(name).is_some_and(is_sensitive)
    }

    /// Whether the bundle declares the extension `name` as required.
    pub fn requires_extension(&self, name: &str) -> bool {
        self.required_extensions.iter().any(|e| e == name)
    }
}

impl Parameter {
    /// Whether the parameter is used by `action` (empty `applyTo`: all).
    pub fn applies_to(&self, action: &str) -> bool {
        applies_to(&self.apply_to, action)
    }
}

impl Credential {
    /// Whether the credential is used by `action` (empty `applyTo`: all).
    pub fn applies_to(&self, action: &str) -> bool {
        applies_to(&self.apply_to, action)
    }
}

impl Output {
    /// Whether `action` produces the output (empty `applyTo`: all).
    pub fn applies_to(&self, action: &str) -> bool {
        applies_to(&self.apply_to, action)
    }
}

/// CNAB's `applyTo` rule: an empty list means every action, otherwise
/// exactly the listed ones.
pub fn applies_to(apply_to: &[String], action: &str) -> bool {
    apply_to.is_empty() || apply_to.iter().any(|a| a == action)
}

/// Whether `action` is one of [`CORE_ACTIONS`].
pub fn is_core_action(action: &str) -> bool {
    CORE_ACTIONS.contains(&action)
}

/// Whether a definition marks its value secret: `"writeOnly": true`.
pub fn is_sensitive(definition: &Definition) -> bool {
    definition.get("writeOnly") == Some(&Value::Bool(true))
}

/// A file parameter: a base64-encoded string, as Porter declares `file`.
pub fn is_file_definition(definition: &Definition) -> bool {
    definition_type(Some(definition)) == "string"
        && definition.get("contentEncoding").and_then(Value::as_str) == Some("base64")
}

/// The declared JSON type, the first non-null one of a list; `string` when
/// there is none (how Porter and the runtime read an untyped value).
pub fn definition_type(definition: Option<&Definition>) -> &str {
    match definition.and_then(|d| d.get("type")) {
        Some(Value::String(t)) => t,
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("string"),
        _ => "string",
    }
}

/// Reads `null` as the type's empty value, as Go's decoder does.
fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[cfg(test)]
mod tests;
