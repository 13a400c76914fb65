//! Porter's shared step machinery: the fields every command-running step
//! understands, and how to run such a step.
//!
//! [`CommandStep`] is the whole of an exec step. Mixins that wrap one tool
//! (terraform, helm) build their own [`Command`] and reuse [`run_step`] for
//! `suppress-output`, `ignoreError` and `outputs`.

use std::collections::BTreeMap;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::command::{Command, failure_message};
use crate::error::{Error, Result, ResultExt};
use crate::flags::{Flags, type_name};
use crate::ignore_error::IgnoreError;
use crate::log;
use crate::outputs::{Output, OutputSpec, extract_outputs};
use crate::words::split_all;

/// A step that runs one command, with every field of Porter's exec step.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandStep {
    /// What the step does, shown to the user.
    #[serde(default)]
    pub description: String,
    /// The program to run.
    pub command: String,
    /// Positional arguments, before the flags.
    #[serde(default, deserialize_with = "strings")]
    pub arguments: Vec<String>,
    /// Flags, after the arguments.
    #[serde(default)]
    pub flags: Flags,
    /// Positional arguments after the flags.
    #[serde(default, rename = "suffix-arguments", deserialize_with = "strings")]
    pub suffix_arguments: Vec<String>,
    /// Environment variables for the command.
    #[serde(default, deserialize_with = "string_map")]
    pub envs: BTreeMap<String, String>,
    /// The working directory; the bundle directory when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<String>,
    /// Hide the command's output from the user (it is still captured).
    #[serde(default, rename = "suppress-output")]
    pub suppress_output: bool,
    /// When a failure of the command is not a failure of the step.
    #[serde(default, rename = "ignoreError")]
    pub ignore_error: IgnoreError,
    /// Values to scrape from the command's output.
    #[serde(default)]
    pub outputs: Vec<OutputSpec>,
}

impl CommandStep {
    /// The command line: `command arguments... flags... suffix-arguments...`,
    /// with arguments and flags split into words as Porter splits them
    /// (see [`crate::words`]).
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(&self.command)
            .args(split_all(&self.arguments))
            .args(split_all(&self.flags.to_args()))
            .args(self.suffix_arguments.iter().cloned())
            .envs(self.envs.iter().map(|(k, v)| (k.clone(), v.clone())))
            .stream_output(!self.suppress_output);
        // Porter treats `dir: .` as "where the bundle runs".
        if let Some(dir) = self.dir.as_deref().filter(|d| !d.is_empty() && *d != ".") {
            cmd = cmd.dir(dir);
        }
        cmd
    }

    /// Runs the step and returns its outputs.
    pub fn run(&self) -> Result<Vec<Output>> {
        run_step(&self.command(), &self.ignore_error, &self.outputs)
    }
}

/// Runs `command`, applies `ignore_error` to a failure, and scrapes
/// `outputs` from what it wrote. Outputs are scraped from an ignored failure
/// too, as Porter does.
pub fn run_step(
    command: &Command,
    ignore_error: &IgnoreError,
    outputs: &[OutputSpec],
) -> Result<Vec<Output>> {
    let result = command
        .run()
        .context(format!("running `{}`", command.display()))?;
    if !result.success() {
        match ignore_error.allows(&result).map_err(Error::new)? {
            Some(reason) => log::info(format!(
                "ignoring the failure of `{}` (exit code {}): {reason}",
                result.command, result.exit_code
            )),
            None => return Err(Error::new(failure_message(&result))),
        }
    }
    extract_outputs(outputs, &result.stdout, command.get_dir())
}

/// A scalar as YAML writes it; templates often turn numbers into arguments.
fn scalar(value: Value, field: &str) -> std::result::Result<String, String> {
    match value {
        Value::String(s) => Ok(s),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(format!(
            "`{field}` must hold strings, numbers or booleans, not a {}",
            type_name(&other)
        )),
    }
}

fn strings<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Vec<String>, D::Error> {
    Option::<Vec<Value>>::deserialize(d)?
        .unwrap_or_default()
        .into_iter()
        .map(|v| scalar(v, "arguments").map_err(de::Error::custom))
        .collect()
}

fn string_map<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<BTreeMap<String, String>, D::Error> {
    Option::<BTreeMap<String, Value>>::deserialize(d)?
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| {
            let v = scalar(v, &format!("envs.{k}")).map_err(de::Error::custom)?;
            Ok((k, v))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn command_line_order_is_arguments_flags_suffix() {
        let step: CommandStep = serde_json::from_value(json!({
            "description": "d",
            "command": "helm",
            "arguments": ["install", "mysql"],
            "flags": {"n": "db", "set": ["a=1", "b=2"], "wait": null},
            "suffix-arguments": ["--", 3, "not split"],
            "envs": {"DEBUG": true},
            "dir": "/tmp",
            "suppress-output": true
        }))
        .unwrap();
        let cmd = step.command();
        assert_eq!(cmd.program(), "helm");
        assert_eq!(
            cmd.get_args(),
            [
                "install",
                "mysql",
                "-n",
                "db",
                "--set",
                "a=1",
                "--set",
                "b=2",
                "--wait",
                "--",
                "3",
                "not split"
            ]
        );
        assert_eq!(cmd.get_env(), [("DEBUG".to_string(), "true".to_string())]);
        assert_eq!(cmd.get_dir(), Some("/tmp"));
    }

    #[test]
    fn arguments_and_flags_are_split_like_porter() {
        let step: CommandStep = serde_json::from_value(json!({
            "command": "bash",
            "arguments": ["-x 'two words'"],
            "flags": {"c": "'echo hello world'"}
        }))
        .unwrap();
        assert_eq!(
            step.command().get_args(),
            ["-x", "two words", "-c", "echo hello world"]
        );
    }

    #[test]
    fn unknown_fields_are_rejected_by_name() {
        let err = serde_json::from_value::<CommandStep>(json!({"command": "x", "argumnets": []}))
            .unwrap_err();
        assert!(err.to_string().contains("argumnets"), "{err}");
    }

    #[test]
    fn command_is_required() {
        let err = serde_json::from_value::<CommandStep>(json!({"description": "x"})).unwrap_err();
        assert!(err.to_string().contains("command"), "{err}");
    }
}
