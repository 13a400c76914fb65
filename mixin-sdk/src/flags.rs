//! Porter's `flags:` map, turned into command-line flags.
//!
//! ```yaml
//! flags:
//!   n: default        # -n default
//!   all-namespaces:   # --all-namespaces   (null: a flag with no value)
//!   set:              # --set a=1 --set b=2 (a list repeats the flag)
//!     - a=1
//!     - b=2
//! ```
//!
//! As in Porter, flags come out sorted by name, a one-letter name gets one
//! dash and a longer name two, and scalars are written as YAML shows them
//! (`true`, `3`).

use std::collections::BTreeMap;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

/// The dashes put in front of flag names. Most tools take Porter's default,
/// [`Dashes::DEFAULT`]; a mixin for a tool with other conventions (for
/// example single-dash long flags) passes its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dashes {
    /// Before a one-letter name.
    pub short: &'static str,
    /// Before a longer name.
    pub long: &'static str,
}

impl Dashes {
    /// `-f` and `--flag`.
    pub const DEFAULT: Dashes = Dashes {
        short: "-",
        long: "--",
    };
}

/// One flag and its values. No values means a bare flag (`--debug`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    /// The name without dashes.
    pub name: String,
    /// One entry per repetition of the flag.
    pub values: Vec<String>,
}

/// The flags of a step, sorted by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flags(BTreeMap<String, Vec<String>>);

impl Flags {
    /// No flags.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a value for `name`; adding twice repeats the flag.
    pub fn add(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.entry(name.into()).or_default().push(value.into());
    }

    /// Adds a bare flag with no value.
    pub fn add_bare(&mut self, name: impl Into<String>) {
        self.0.entry(name.into()).or_default();
    }

    /// The values of `name`, if it is set.
    pub fn get(&self, name: &str) -> Option<&[String]> {
        self.0.get(name).map(Vec::as_slice)
    }

    /// True when there are no flags.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every flag, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = Flag> + '_ {
        self.0.iter().map(|(name, values)| Flag {
            name: name.clone(),
            values: values.clone(),
        })
    }

    /// The command-line words, sorted by flag name, with Porter's dashes.
    pub fn to_args(&self) -> Vec<String> {
        self.to_args_with(Dashes::DEFAULT)
    }

    /// The command-line words with the given dashes.
    pub fn to_args_with(&self, dashes: Dashes) -> Vec<String> {
        let mut args = Vec::new();
        for (name, values) in &self.0 {
            let dash = if name.chars().count() == 1 {
                dashes.short
            } else {
                dashes.long
            };
            let flag = format!("{dash}{name}");
            if values.is_empty() {
                args.push(flag.clone());
            }
            for value in values {
                args.push(flag.clone());
                args.push(value.clone());
            }
        }
        args
    }
}

/// Writes a scalar the way it appears in YAML: strings as they are, numbers
/// and booleans in their plain form.
fn scalar_text(flag: &str, value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(format!(
            "flag `{flag}` has a value of an unsupported type ({}); \
             use a string, a number, a boolean, a list of those, or nothing",
            type_name(other)
        )),
    }
}

pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "map",
    }
}

impl<'de> Deserialize<'de> for Flags {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Option::<BTreeMap<String, Value>>::deserialize(deserializer)?.unwrap_or_default();
        let mut flags = BTreeMap::new();
        for (name, value) in raw {
            let values = match &value {
                Value::Null => Vec::new(),
                Value::Array(items) => items
                    .iter()
                    .map(|item| scalar_text(&name, item))
                    .collect::<Result<_, _>>()
                    .map_err(de::Error::custom)?,
                scalar => vec![scalar_text(&name, scalar).map_err(de::Error::custom)?],
            };
            flags.insert(name, values);
        }
        Ok(Flags(flags))
    }
}

impl Serialize for Flags {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let map: BTreeMap<&String, Value> = self
            .0
            .iter()
            .map(|(name, values)| {
                let value = match values.as_slice() {
                    [] => Value::Null,
                    [one] => Value::String(one.clone()),
                    many => Value::Array(many.iter().cloned().map(Value::String).collect()),
                };
                (name, value)
            })
            .collect();
        map.serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn flags(value: Value) -> Flags {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn short_long_bare_and_repeated_flags_render_sorted_like_porter() {
        let f = flags(json!({
            "set": ["a=1", "b=2"],
            "n": "default",
            "debug": null,
            "replicas": 3,
            "wait": true,
        }));
        assert_eq!(
            f.to_args(),
            [
                "--debug",
                "-n",
                "default",
                "--replicas",
                "3",
                "--set",
                "a=1",
                "--set",
                "b=2",
                "--wait",
                "true"
            ]
        );
    }

    #[test]
    fn custom_dashes_apply_to_both_forms() {
        let f = flags(json!({"v": "2", "kubeconfig": "/k"}));
        let dashes = Dashes {
            short: "-",
            long: "-",
        };
        assert_eq!(f.to_args_with(dashes), ["-kubeconfig", "/k", "-v", "2"]);
    }

    #[test]
    fn a_map_value_is_a_clear_error() {
        let err = serde_json::from_value::<Flags>(json!({"x": {"a": 1}})).unwrap_err();
        assert!(err.to_string().contains("flag `x`"), "{err}");
    }

    #[test]
    fn null_flags_section_is_empty() {
        assert!(flags(Value::Null).is_empty());
    }
}
