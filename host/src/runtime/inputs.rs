//! The values a CNAB runtime hands the invocation image: the action and
//! installation in `CNAB_*` variables, and the parameters and credentials
//! of the action wherever bundle.json puts them.
//!
//! Values are read as Porter's runtime reads them: a parameter comes from
//! its environment variable (typed from its text as JSON when its
//! definition is not a string), a file parameter's value is the path of
//! the file, and a credential's value is its environment variable, or its
//! path when it is delivered only as a file.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};

use super::error::RuntimeError;
use super::layout::Layout;
use super::mask::Masker;
use crate::cnab::contract::{DEBUG_NAME, STATE_NAME};
use crate::cnab::{Bundle, Definition, definition_type, is_file_definition, is_sensitive};

/// Who and what this run is for, from the `CNAB_*` variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// `CNAB_ACTION`.
    pub action: String,
    /// `CNAB_INSTALLATION_NAME`.
    pub installation: Option<String>,
    /// `WHARF_INSTALLATION_NAMESPACE`.
    pub namespace: String,
    /// `CNAB_BUNDLE_NAME`.
    pub bundle_name: Option<String>,
    /// `CNAB_BUNDLE_VERSION`.
    pub bundle_version: Option<String>,
    /// `CNAB_REVISION`.
    pub revision: Option<String>,
}

impl Invocation {
    /// Reads the `CNAB_*` variables; only the action is required.
    pub fn from_env(env: &BTreeMap<String, String>) -> Result<Self, RuntimeError> {
        let get = |name: &str| env.get(name).filter(|v| !v.is_empty()).cloned();
        let action = get("CNAB_ACTION").ok_or(RuntimeError::MissingEnv {
            name: "CNAB_ACTION",
            why: "a CNAB runtime must say which action to run (install, upgrade, uninstall or a \
                  custom action); run the bundle with `wharf install` or another CNAB tool",
        })?;
        Ok(Self {
            action,
            installation: get("CNAB_INSTALLATION_NAME"),
            namespace: get("WHARF_INSTALLATION_NAMESPACE").unwrap_or_default(),
            bundle_name: get("CNAB_BUNDLE_NAME"),
            bundle_version: get("CNAB_BUNDLE_VERSION"),
            revision: get("CNAB_REVISION"),
        })
    }
}

/// The parameters and credentials of one action.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inputs {
    /// Each parameter's value, typed by its definition.
    pub parameters: Map<String, Value>,
    /// The parameters whose definitions are `writeOnly`.
    pub sensitive_parameters: Vec<String>,
    /// Each credential's value.
    pub credentials: Map<String, Value>,
    /// Whether `wharf-debug` is on.
    pub debug: bool,
    /// Where the state bag parameter is, if the bundle has one.
    pub state_file: Option<std::path::PathBuf>,
}

/// Reads the parameters and credentials that apply to `action`. Every
/// sensitive value (writeOnly parameters, all credentials, and the files
/// behind them) is added to `masker`.
pub fn read_inputs(
    bundle: &Bundle,
    action: &str,
    layout: &Layout,
    env: &BTreeMap<String, String>,
    masker: &Masker,
) -> Result<Inputs, RuntimeError> {
    let mut inputs = Inputs::default();
    for (name, parameter) in bundle.parameters_for_action(action) {
        let definition = bundle.parameter_definition(name);
        let destination = parameter.destination.clone().unwrap_or_default();
        let sensitive = definition.is_some_and(is_sensitive);
        let env_value = Some(destination.env.as_str())
            .filter(|e| !e.is_empty())
            .and_then(|e| env.get(e))
            .filter(|v| !v.is_empty());
        let file = Some(destination.path.as_str())
            .filter(|p| !p.is_empty())
            .map(|p| layout.host_path(p));
        if sensitive {
            if let Some(value) = env_value {
                masker.add(value);
            }
            if let Some(text) = file.as_deref().and_then(read_small_text) {
                masker.add(&text);
            }
        }
        let value = if definition.is_some_and(is_file_definition) {
            match (env_value, &file) {
                (_, Some(path)) => Value::String(path.display().to_string()),
                (Some(value), None) => Value::String(value.clone()),
                (None, None) => default_value(definition),
            }
        } else {
            let text = env_value
                .cloned()
                .or_else(|| file.as_deref().and_then(read_small_text));
            match text {
                Some(text) => typed(name, &text, definition)?,
                None => default_value(definition),
            }
        };
        if sensitive {
            masker.add(&super::variables::text_of(&value));
            inputs.sensitive_parameters.push(name.clone());
        }
        if name == DEBUG_NAME {
            inputs.debug = value == Value::Bool(true);
        }
        if name == STATE_NAME {
            inputs.state_file = file.clone();
        }
        inputs.parameters.insert(name.clone(), value);
    }
    for (name, credential) in bundle.credentials_for_action(action) {
        let env_value = Some(credential.env.as_str())
            .filter(|e| !e.is_empty())
            .and_then(|e| env.get(e));
        let file = Some(credential.path.as_str())
            .filter(|p| !p.is_empty())
            .map(|p| layout.host_path(p));
        if let Some(value) = env_value {
            masker.add(value);
        }
        if let Some(text) = file.as_deref().and_then(read_small_text) {
            masker.add(&text);
        }
        let value = match (env_value, file) {
            (Some(value), _) => value.clone(),
            (None, Some(path)) => path.display().to_string(),
            (None, None) => String::new(),
        };
        inputs
            .credentials
            .insert(name.clone(), Value::String(value));
    }
    Ok(inputs)
}

/// A value not given: the definition's default, else the empty string
/// (what Porter renders for an unset parameter).
fn default_value(definition: Option<&Definition>) -> Value {
    definition
        .and_then(|d| d.get("default"))
        .cloned()
        .unwrap_or_else(|| Value::String(String::new()))
}

/// Types a parameter's text by its definition: strings stay text, any
/// other type is read as JSON. The error never quotes the value, which may
/// be a secret.
fn typed(name: &str, text: &str, definition: Option<&Definition>) -> Result<Value, RuntimeError> {
    let wanted = definition_type(definition);
    if wanted == "string" {
        return Ok(Value::String(text.to_string()));
    }
    let value: Value = serde_json::from_str(text.trim()).map_err(|e| RuntimeError::Parameter {
        name: name.to_string(),
        message: format!("its value is not a valid {wanted} ({e})"),
    })?;
    let fits = match wanted {
        "integer" => {
            value.as_i64().is_some()
                || value.as_u64().is_some()
                || value.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        _ => true,
    };
    if !fits {
        return Err(RuntimeError::Parameter {
            name: name.to_string(),
            message: format!("its value is not a valid {wanted}"),
        });
    }
    Ok(value)
}

/// The text of a file small enough to be a value (1 MiB), if it is text.
fn read_small_text(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > 1 << 20 {
        return None;
    }
    String::from_utf8(std::fs::read(path).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(v: Value) -> Definition {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn values_are_typed_by_their_definition() {
        let t = |text, d: Value| typed("p", text, Some(&def(d)));
        assert_eq!(t("5", json!({"type": "integer"})).unwrap(), json!(5));
        assert_eq!(t("true", json!({"type": "boolean"})).unwrap(), json!(true));
        assert_eq!(
            t("{\"a\":1}", json!({"type": "object"})).unwrap(),
            json!({"a": 1})
        );
        assert_eq!(
            t("[1]", json!({"type": ["array", "null"]})).unwrap(),
            json!([1])
        );
        assert_eq!(t("5", json!({"type": "string"})).unwrap(), json!("5"));
        let err = t("secret-ish", json!({"type": "integer"}))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("not a valid integer") && !err.contains("secret-ish"),
            "{err}"
        );
        assert!(t("1.5", json!({"type": "integer"})).is_err());
    }

    #[test]
    fn the_action_is_required() {
        let err = Invocation::from_env(&BTreeMap::new())
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("CNAB_ACTION is not set"), "{err}");
    }
}
