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

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use base64::Engine as _;
use serde_json::Value;

use crate::cnab::contract::{DEBUG_NAME, PARAMETER_SOURCES_EXTENSION, STATE_NAME};
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
    /// An output of one of the bundle's dependencies.
    DependencyOutput { dependency: String, output: String },
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
            ValueOrigin::DependencyOutput { dependency, output } => {
                write!(f, "the output `{output}` of the dependency `{dependency}`")
            }
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
    /// The outputs of the bundle's dependencies; `None` while they have not
    /// run, when the parameters they feed are left for later.
    pub dependency_outputs: Option<DependencyOutputs>,
    /// Parameters whose value was made from a secret (a parent's wiring
    /// that read a credential): kept out of records whatever their
    /// definition says.
    pub sensitive: BTreeSet<String>,
}

/// Each dependency's outputs, by alias, then by output name.
pub type DependencyOutputs = BTreeMap<String, BTreeMap<String, DependencyOutput>>;

/// One output of a dependency.
#[derive(Clone, PartialEq, Eq)]
pub struct DependencyOutput {
    pub value: Vec<u8>,
    pub sensitive: bool,
}

impl fmt::Debug for DependencyOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DependencyOutput")
            .field("value", &format_args!("<{} bytes>", self.value.len()))
            .field("sensitive", &self.sensitive)
            .finish()
    }
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
        let dependency_source = dependency_output_source(bundle, name);
        if dependency_source.is_some() && sources.dependency_outputs.is_none() {
            // Decided once the dependencies have run.
            continue;
        }
        let dependency_output = dependency_source
            .as_ref()
            .and_then(|(dep, output)| sources.dependency_outputs.as_ref()?.get(dep)?.get(output));
        let sensitive = bundle.is_sensitive_parameter(name)
            || name == STATE_NAME
            || sources.sensitive.contains(name)
            || dependency_output.is_some_and(|o| o.sensitive)
            || output_source
                .as_deref()
                .is_some_and(|o| bundle.is_sensitive_output(o));
        let from_dependency =
            dependency_source
                .zip(dependency_output)
                .map(|((dependency, output), value)| {
                    (
                        &value.value,
                        ValueOrigin::DependencyOutput { dependency, output },
                    )
                });
        let chosen = match choose(
            bundle,
            name,
            definition,
            output_source,
            from_dependency,
            sources,
        ) {
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
    from_dependency: Option<(&Vec<u8>, ValueOrigin)>,
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
        && dependency_output_source(bundle, name).is_none()
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
    if let Some((bytes, origin)) = from_dependency {
        let value = typed_value(definition, bytes)
            .map_err(|why| format!("parameter `{name}` from {origin}: {why}"))?;
        return Ok(Some((value, origin)));
    }
    Ok(definition
        .and_then(|d| d.get("default"))
        .map(|default| (default.clone(), ValueOrigin::Default)))
}

/// `--param` names must be the bundle's own, user-settable parameters.
fn check_flag_names(bundle: &Bundle, sources: &ParameterSources, problems: &mut Vec<String>) {
    for (name, _) in &sources.flags {
        if let Some((alias, _)) = name.split_once('#') {
            // `--param <alias>#<name>` is for a dependency.
            if !crate::dependencies::aliases(bundle).any(|a| a == alias) {
                problems.push(format!(
                    "--param {name}: the bundle has no dependency `{alias}`; `wharf explain` \
                     lists its dependencies"
                ));
            }
            continue;
        }
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

/// The dependency output a parameter is fed from (`dependencies.output`),
/// as (alias, output).
fn dependency_output_source(bundle: &Bundle, name: &str) -> Option<(String, String)> {
    let source = bundle.custom.get(PARAMETER_SOURCES_EXTENSION)?.get(name)?;
    let priority = source.get("priority")?.as_array()?;
    if !priority.iter().any(|p| p == "dependencies.output") {
        return None;
    }
    let wired = source.get("sources")?.get("dependencies.output")?;
    Some((
        wired.get("dependency")?.as_str()?.to_string(),
        wired.get("name")?.as_str()?.to_string(),
    ))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sets::SourceKind;
    use serde_json::json;

    /// A bundle with parameters `a`..`e` (defaults `default-X`), `d` fed
    /// from the output `seed`, a required `needed`, a sensitive `secret`
    /// and an integer `count`.
    fn bundle() -> Bundle {
        let mut parameters = serde_json::Map::new();
        let mut definitions = serde_json::Map::new();
        for name in ["a", "b", "c", "d", "e"] {
            definitions.insert(
                name.into(),
                json!({"type": "string", "default": format!("default-{name}")}),
            );
            parameters.insert(
                name.into(),
                json!({"definition": name, "destination": {"env": name.to_uppercase()}}),
            );
        }
        definitions.insert("needed".into(), json!({"type": "string"}));
        parameters.insert(
            "needed".into(),
            json!({"definition": "needed", "required": true, "applyTo": ["install"]}),
        );
        definitions.insert(
            "secret".into(),
            json!({"type": "string", "writeOnly": true, "default": "abc", "minLength": 3}),
        );
        parameters.insert("secret".into(), json!({"definition": "secret"}));
        definitions.insert(
            "count".into(),
            json!({"type": "integer", "default": 1, "maximum": 10}),
        );
        parameters.insert("count".into(), json!({"definition": "count"}));
        Bundle::from_value(json!({
            "schemaVersion": "1.2.0",
            "name": "b",
            "version": "1.0.0",
            "invocationImages": [{"imageType": "docker", "image": "x/y:1"}],
            "definitions": definitions,
            "parameters": parameters,
            "outputs": {"seed": {"definition": "a", "path": "/cnab/app/outputs/seed"}},
            "custom": {PARAMETER_SOURCES_EXTENSION: {
                "d": {"priority": ["output"], "sources": {"output": {"name": "seed"}}}
            }}
        }))
        .unwrap()
    }

    fn value(text: &str) -> ResolvedValue {
        ResolvedValue::new(text.as_bytes().to_vec(), SourceKind::Value)
    }

    fn run(
        action: &str,
        sources: &ParameterSources,
    ) -> (BTreeMap<String, ParameterValue>, Vec<String>) {
        let mut problems = Vec::new();
        let values = resolve_parameters(&bundle(), action, sources, &mut problems);
        (values, problems)
    }

    #[test]
    fn each_level_of_porters_precedence_wins_over_the_next() {
        let bundle = bundle();
        let mut previous = BTreeMap::new();
        for name in ["a", "b", "c", "d"] {
            previous.insert(name.to_string(), json!(format!("previous-{name}")));
        }
        // An earlier run's value that was only the default does not stick.
        previous.insert("e".into(), json!("default-e"));
        let sources = ParameterSources {
            flags: vec![("a".into(), b"flag-a".to_vec())],
            sets: vec![(
                "set".into(),
                [("a", value("set-a")), ("b", value("set-b"))]
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect(),
            )],
            previous: Some(PreviousValues {
                values: previous,
                bundle: bundle.clone(),
            }),
            outputs: [("seed".to_string(), b"from-output".to_vec())].into(),
            ..ParameterSources::default()
        };
        let (values, problems) = run("upgrade", &sources);
        assert!(problems.is_empty(), "{problems:?}");
        let got = |n: &str| (values[n].value.clone(), values[n].origin.clone());
        assert_eq!(got("a"), (json!("flag-a"), ValueOrigin::Flag));
        assert_eq!(got("b"), (json!("set-b"), ValueOrigin::Set("set".into())));
        assert_eq!(got("c"), (json!("previous-c"), ValueOrigin::PreviousRun));
        // Fed from an output: the output, not the stale previous value.
        assert_eq!(
            got("d"),
            (json!("from-output"), ValueOrigin::Output("seed".into()))
        );
        assert_eq!(got("e"), (json!("default-e"), ValueOrigin::Default));
    }

    #[test]
    fn a_later_flag_and_a_later_set_win() {
        let sources = ParameterSources {
            flags: vec![("a".into(), b"one".to_vec()), ("a".into(), b"two".to_vec())],
            sets: vec![
                ("first".into(), [("b".to_string(), value("1"))].into()),
                ("second".into(), [("b".to_string(), value("2"))].into()),
            ],
            ..ParameterSources::default()
        };
        let (values, _) = run("upgrade", &sources);
        assert_eq!(values["a"].value, json!("two"));
        assert_eq!(values["b"].origin, ValueOrigin::Set("second".into()));
    }

    #[test]
    fn values_are_typed_and_checked_against_their_definitions() {
        let sources = ParameterSources {
            flags: vec![("count".into(), b"7".to_vec())],
            ..ParameterSources::default()
        };
        let (values, _) = run("upgrade", &sources);
        assert_eq!(values["count"].value, json!(7));

        let sources = ParameterSources {
            flags: vec![
                ("count".into(), b"70".to_vec()),
                ("secret".into(), b"xy".to_vec()),
            ],
            ..ParameterSources::default()
        };
        let (_, problems) = run("upgrade", &sources);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems[0].contains("`count`") && problems[0].contains("70"),
            "{problems:?}"
        );
        // A sensitive value is never quoted back.
        assert!(
            problems[1].contains("`secret`") && !problems[1].contains("xy"),
            "{problems:?}"
        );
        assert!(
            run("upgrade", &ParameterSources::default()).0["secret"].sensitive,
            "writeOnly parameters are sensitive"
        );
    }

    #[test]
    fn missing_required_and_unknown_parameters_are_problems() {
        let sources = ParameterSources {
            flags: vec![("nmae".into(), b"x".to_vec())],
            ..ParameterSources::default()
        };
        let (_, problems) = run("install", &sources);
        assert!(
            problems.iter().any(|p| p.contains("no parameter `nmae`")),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("`needed` is required") && p.contains("--param needed=")),
            "{problems:?}"
        );
        // `needed` applies to install only.
        let (_, problems) = run("upgrade", &ParameterSources::default());
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn file_values_travel_as_base64_and_arrive_as_bytes() {
        let definition: Definition = json!({"type": "string", "contentEncoding": "base64"})
            .as_object()
            .cloned()
            .unwrap();
        let bytes = [0u8, 159, 146, 150];
        let value = typed_value(Some(&definition), &bytes).unwrap();
        assert_eq!(value, json!("AJ+Slg=="));
        assert_eq!(file_bytes(Some(&definition), &value).unwrap(), bytes);
        assert_eq!(text_of(&json!({"k": 1})), r#"{"k":1}"#);
    }

    #[test]
    fn a_dependency_output_waits_for_the_dependency_and_keeps_its_secrecy() {
        let bundle = Bundle::from_value(json!({
            "schemaVersion": "1.2.0", "name": "app", "version": "1.0.0",
            "invocationImages": [{"imageType": "docker", "image": "x/y:1"}],
            "definitions": {"s": {"type": "string"}},
            "parameters": {"conn": {"definition": "s", "required": true,
                                    "destination": {"env": "CONN"}}},
            "custom": {
                PARAMETER_SOURCES_EXTENSION: {"conn": {"priority": ["dependencies.output"],
                    "sources": {"dependencies.output": {"dependency": "db", "name": "connstr"}}}},
                "io.cnab.dependencies": {"requires": {"db": {"bundle": "reg/db"}}}
            }
        }))
        .unwrap();
        let mut problems = Vec::new();
        let pending = ParameterSources {
            flags: vec![("db#database".into(), b"x".to_vec())],
            ..ParameterSources::default()
        };
        let values = resolve_parameters(&bundle, "install", &pending, &mut problems);
        assert!(
            problems.is_empty(),
            "not yet known is not missing: {problems:?}"
        );
        assert!(values.is_empty());

        let output = DependencyOutput {
            value: b"db://x".to_vec(),
            sensitive: true,
        };
        let ran = ParameterSources {
            dependency_outputs: Some(BTreeMap::from([(
                "db".to_string(),
                BTreeMap::from([("connstr".to_string(), output)]),
            )])),
            ..ParameterSources::default()
        };
        let values = resolve_parameters(&bundle, "install", &ran, &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(values["conn"].value, json!("db://x"));
        assert!(
            values["conn"].sensitive,
            "a sensitive output stays sensitive"
        );
        assert_eq!(
            values["conn"].origin.to_string(),
            "the output `connstr` of the dependency `db`"
        );

        let unknown = ParameterSources {
            flags: vec![("cache#size".into(), b"1".to_vec())],
            dependency_outputs: Some(BTreeMap::new()),
            ..ParameterSources::default()
        };
        resolve_parameters(&bundle, "install", &unknown, &mut problems);
        let all = problems.join("\n");
        assert!(all.contains("no dependency `cache`"), "{all}");
        assert!(all.contains("parameter `conn` is required"), "{all}");
    }
}
