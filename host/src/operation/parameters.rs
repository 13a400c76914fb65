//! A run's parameter values, chosen by Porter's precedence.
//!
//! For each parameter that applies to the action, the first of these that
//! has a value wins:
//!
//! 1. `--param NAME=VALUE` on the command line;
//! 2. the parameter sets of the run, the last named set first;
//! 3. the value of the installation's earlier runs (what Porter keeps in
//!    an installation's parameters), except a value that was merely the
//!    old default, so a new bundle version's default still takes effect;
//! 4. the parameter's source (`io.cnab.parameter-sources`): an output of
//!    the installation, such as the `wharf-state` bag;
//! 5. the definition's default.
//!
//! A parameter fed from an output never takes an earlier run's value: the
//! output is the newer fact. Every value is typed by its definition and
//! checked against it, and the errors never quote a sensitive value.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use serde_json::Value;

use crate::build::bundle_json::{DEBUG_NAME, PARAMETER_SOURCES_EXTENSION, STATE_NAME};
use crate::cnab::{Bundle, Definition, definition_type, is_file_definition};
use crate::manifest::did_you_mean;
use crate::sets::{ResolvedValue, is_internal_parameter};

/// Where a parameter's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueOrigin {
    /// `--param`.
    Flag,
    /// The parameter set of that name.
    Set(String),
    /// An earlier run of the installation.
    PreviousRun,
    /// The installation's output of that name.
    Output(String),
    /// The definition's default.
    Default,
}

impl fmt::Display for ValueOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueOrigin::Flag => f.write_str("--param"),
            ValueOrigin::Set(name) => write!(f, "parameter set `{name}`"),
            ValueOrigin::PreviousRun => f.write_str("the installation's previous run"),
            ValueOrigin::Output(name) => write!(f, "the installation's output `{name}`"),
            ValueOrigin::Default => f.write_str("its default"),
        }
    }
}

/// One parameter's value for the run.
#[derive(Clone, PartialEq)]
pub struct ParameterValue {
    /// The value, typed by its definition (a file parameter's bytes as a
    /// base64 string, as Porter keeps them).
    pub value: Value,
    pub origin: ValueOrigin,
    /// Kept out of records and logs: a `writeOnly` definition, the state
    /// bag, or a value fed from a sensitive output.
    pub sensitive: bool,
}

impl fmt::Debug for ParameterValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("ParameterValue");
        if self.sensitive {
            debug.field("value", &"*******");
        } else {
            debug.field("value", &self.value);
        }
        debug
            .field("origin", &self.origin)
            .field("sensitive", &self.sensitive)
            .finish()
    }
}

/// The installation's earlier runs, as far as parameters go.
#[derive(Debug, Clone)]
pub struct PreviousValues {
    /// The latest recorded value of each parameter.
    pub values: BTreeMap<String, Value>,
    /// The bundle those runs used, to tell a chosen value from a default.
    pub bundle: Bundle,
}

/// Everything a run's parameter values can come from.
#[derive(Debug, Clone, Default)]
pub struct ParameterSources {
    /// `--param` values in the order given (a later one wins), as bytes:
    /// `@FILE` has already been read.
    pub flags: Vec<(String, Vec<u8>)>,
    /// The resolved parameter sets, in the order given (a later one wins).
    pub sets: Vec<(String, BTreeMap<String, ResolvedValue>)>,
    /// The earlier runs of the installation; `None` for a new one.
    pub previous: Option<PreviousValues>,
    /// The installation's outputs, the latest value of each.
    pub outputs: BTreeMap<String, Vec<u8>>,
}

/// Chooses the value of every parameter of `bundle` that applies to
/// `action`. Problems (an unknown `--param`, a value that does not fit its
/// definition, a required parameter with no value) are all collected, so
/// they can be fixed in one round.
pub fn resolve_parameters(
    bundle: &Bundle,
    action: &str,
    sources: &ParameterSources,
    problems: &mut Vec<String>,
) -> BTreeMap<String, ParameterValue> {
    check_flag_names(bundle, sources, problems);
    let mut values = BTreeMap::new();
    for (name, parameter) in bundle.parameters_for_action(action) {
        let definition = bundle.parameter_definition(name);
        let output_source = output_source(bundle, name);
        let sensitive = bundle.is_sensitive_parameter(name)
            || name == STATE_NAME
            || output_source
                .as_deref()
                .is_some_and(|o| bundle.is_sensitive_output(o));
        let chosen = match choose(bundle, name, definition, output_source, sources) {
            Ok(chosen) => chosen,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        let Some((value, origin)) = chosen else {
            if parameter.required {
                problems.push(format!(
                    "parameter `{name}` is required and has no value; pass --param {name}=VALUE \
                     or a parameter set with it (--parameter-set NAME)"
                ));
            }
            continue;
        };
        if let Some(definition) = definition
            && let Err(why) = fits_definition(definition, &value, sensitive)
        {
            problems.push(format!(
                "parameter `{name}` from {origin} does not fit its definition: {why}"
            ));
            continue;
        }
        values.insert(
            name.clone(),
            ParameterValue {
                value,
                origin,
                sensitive,
            },
        );
    }
    values
}

/// The first value by precedence, or `None` when there is none.
fn choose(
    bundle: &Bundle,
    name: &str,
    definition: Option<&Definition>,
    output_source: Option<String>,
    sources: &ParameterSources,
) -> Result<Option<(Value, ValueOrigin)>, String> {
    if let Some((_, bytes)) = sources.flags.iter().rev().find(|(n, _)| n == name) {
        let value = typed_value(definition, bytes)
            .map_err(|why| format!("--param {name}: the value {why}"))?;
        return Ok(Some((value, ValueOrigin::Flag)));
    }
    for (set, entries) in sources.sets.iter().rev() {
        if let Some(resolved) = entries.get(name) {
            let value = typed_value(definition, resolved.as_bytes())
                .map_err(|why| format!("parameter `{name}` from parameter set `{set}`: {why}"))?;
            return Ok(Some((value, ValueOrigin::Set(set.clone()))));
        }
    }
    if output_source.is_none()
        && let Some(previous) = &sources.previous
        && let Some(value) = previous.values.get(name)
        && !is_internal_parameter(bundle, name)
    {
        let old_default = previous
            .bundle
            .parameter_definition(name)
            .and_then(|d| d.get("default"));
        if old_default != Some(value) {
            return Ok(Some((value.clone(), ValueOrigin::PreviousRun)));
        }
    }
    if let Some(output) = output_source
        && let Some(bytes) = sources.outputs.get(&output)
    {
        let value = typed_value(definition, bytes)
            .map_err(|why| format!("parameter `{name}` from the output `{output}`: {why}"))?;
        return Ok(Some((value, ValueOrigin::Output(output))));
    }
    Ok(definition
        .and_then(|d| d.get("default"))
        .map(|default| (default.clone(), ValueOrigin::Default)))
}

/// `--param` names must be the bundle's own, user-settable parameters.
fn check_flag_names(bundle: &Bundle, sources: &ParameterSources, problems: &mut Vec<String>) {
    for (name, _) in &sources.flags {
        if !bundle.parameters.contains_key(name) {
            let candidates = bundle
                .parameters
                .keys()
                .filter(|n| !is_internal_parameter(bundle, n));
            let hint = did_you_mean(name, candidates.map(String::as_str))
                .map(|c| format!("; did you mean `{c}`?"))
                .unwrap_or_else(|| "; `wharf explain` lists the bundle's parameters".to_string());
            problems.push(format!(
                "--param {name}: the bundle has no parameter `{name}`{hint}"
            ));
        } else if is_internal_parameter(bundle, name) && name != DEBUG_NAME {
            problems.push(format!(
                "--param {name}: `{name}` is internal to Wharf and is set by Wharf itself"
            ));
        }
    }
}

/// The output a parameter is fed from, when its source is one.
fn output_source(bundle: &Bundle, name: &str) -> Option<String> {
    let source = bundle.custom.get(PARAMETER_SOURCES_EXTENSION)?.get(name)?;
    let priority = source.get("priority")?.as_array()?;
    if !priority.iter().any(|p| p == "output") {
        return None;
    }
    source
        .get("sources")?
        .get("output")?
        .get("name")?
        .as_str()
        .map(str::to_string)
}

/// A value given as bytes, typed by its definition: a file's bytes become
/// base64, a string stays text, any other type is read as JSON. The error
/// never quotes the value.
pub fn typed_value(definition: Option<&Definition>, bytes: &[u8]) -> Result<Value, String> {
    if definition.is_some_and(is_file_definition) {
        return Ok(Value::String(
            base64::engine::general_purpose::STANDARD.encode(bytes),
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| "is not UTF-8 text".to_string())?;
    let wanted = definition_type(definition);
    if wanted == "string" {
        return Ok(Value::String(text.to_string()));
    }
    serde_json::from_str(text.trim())
        .map_err(|_| format!("is not a valid {wanted} (give it as JSON, e.g. with @FILE)"))
}

/// Checks a value against its JSON Schema definition. For a sensitive
/// parameter only the kind of mismatch is said, never the value.
fn fits_definition(definition: &Definition, value: &Value, sensitive: bool) -> Result<(), String> {
    // A definition's `$id` names it inside bundle.json and resolves to
    // nothing on its own; the checks do not need it.
    let mut schema = definition.clone();
    schema.remove("$id");
    let schema = Value::Object(schema);
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .build(&schema)
        .map_err(|e| format!("its definition is not a valid JSON Schema ({e})"))?;
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| {
            if sensitive {
                e.masked().to_string()
            } else {
                e.to_string()
            }
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

/// The text a parameter is passed as: a string as it is, a file's content
/// as base64, anything else as JSON (what the runtime reads back).
pub fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The bytes a parameter delivered as a file holds: a file parameter's
/// decoded content, otherwise its text.
pub fn file_bytes(definition: Option<&Definition>, value: &Value) -> Result<Vec<u8>, String> {
    match value {
        Value::String(encoded) if definition.is_some_and(is_file_definition) => {
            base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .map_err(|_| "is not valid base64".to_string())
        }
        other => Ok(text_of(other).into_bytes()),
    }
}
