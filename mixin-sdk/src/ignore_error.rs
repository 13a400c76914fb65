//! Porter's `ignoreError`: when a failed command should count as success.
//!
//! ```yaml
//! ignoreError:
//!   all: true                 # ignore every failure
//!   exitCodes: [1, 2]         # ignore these exit codes
//!   output:
//!     contains: ["already exists"]   # ignore when stderr contains this
//!     regex: ["not found$"]          # ignore when stderr matches this
//! ```

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::command::CommandOutput;

/// The conditions under which a failed command is not an error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoreError {
    /// Ignore any failure.
    #[serde(default)]
    pub all: bool,
    /// Ignore these exit codes.
    #[serde(default, rename = "exitCodes")]
    pub exit_codes: Vec<i32>,
    /// Ignore failures by what the command wrote to stderr.
    #[serde(default)]
    pub output: IgnoreErrorOutput,
}

/// Conditions on a failed command's standard error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoreErrorOutput {
    /// Substrings; any one found in stderr ignores the failure.
    #[serde(default)]
    pub contains: Vec<String>,
    /// Regular expressions; any one matching stderr ignores the failure.
    #[serde(default)]
    pub regex: Vec<String>,
}

impl IgnoreError {
    /// Whether this failed command's failure should be ignored. The reason
    /// is returned so the mixin can log why it carried on.
    ///
    /// An invalid regular expression is an error rather than a silent "no",
    /// so a typo cannot quietly turn an intended ignore into a failure.
    pub fn allows(&self, output: &CommandOutput) -> Result<Option<String>, String> {
        if output.success() {
            return Ok(None);
        }
        if self.all {
            return Ok(Some("ignoreError.all is set".into()));
        }
        if self.exit_codes.contains(&output.exit_code) {
            return Ok(Some(format!(
                "exit code {} is listed in ignoreError.exitCodes",
                output.exit_code
            )));
        }
        let stderr = output.stderr_text();
        if let Some(s) = self
            .output
            .contains
            .iter()
            .find(|s| stderr.contains(s.as_str()))
        {
            return Ok(Some(format!(
                "stderr contains {s:?} (ignoreError.output.contains)"
            )));
        }
        for pattern in &self.output.regex {
            let re = Regex::new(pattern).map_err(|e| {
                format!(
                    "ignoreError.output.regex {pattern:?} is not a valid regular expression: {e}"
                )
            })?;
            if re.is_match(&stderr) {
                return Ok(Some(format!(
                    "stderr matches {pattern:?} (ignoreError.output.regex)"
                )));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(code: i32, stderr: &str) -> CommandOutput {
        CommandOutput {
            command: "tool".into(),
            exit_code: code,
            stdout: b"stdout mentions already exists".to_vec(),
            stderr: stderr.as_bytes().to_vec(),
        }
    }

    #[test]
    fn nothing_set_ignores_nothing() {
        assert_eq!(IgnoreError::default().allows(&failed(1, "x")), Ok(None));
    }

    #[test]
    fn all_ignores_any_failure() {
        let h = IgnoreError {
            all: true,
            ..Default::default()
        };
        assert!(h.allows(&failed(9, "")).unwrap().is_some());
    }

    #[test]
    fn exit_codes_match_exactly() {
        let h = IgnoreError {
            exit_codes: vec![2, 3],
            ..Default::default()
        };
        assert!(h.allows(&failed(3, "")).unwrap().is_some());
        assert!(h.allows(&failed(1, "")).unwrap().is_none());
    }

    #[test]
    fn output_conditions_look_at_stderr_not_stdout() {
        let h = IgnoreError {
            output: IgnoreErrorOutput {
                contains: vec!["already exists".into()],
                regex: vec![r"^not found: \w+$".into()],
            },
            ..Default::default()
        };
        assert!(
            h.allows(&failed(1, "error: already exists"))
                .unwrap()
                .is_some()
        );
        assert!(h.allows(&failed(1, "not found: thing")).unwrap().is_some());
        // stdout says "already exists" but stderr does not.
        assert!(h.allows(&failed(1, "permission denied")).unwrap().is_none());
    }

    #[test]
    fn a_bad_regex_is_an_error_not_a_silent_no() {
        let h = IgnoreError {
            output: IgnoreErrorOutput {
                regex: vec!["(".into()],
                ..Default::default()
            },
            ..Default::default()
        };
        assert!(
            h.allows(&failed(1, "x"))
                .unwrap_err()
                .contains("not a valid regular expression")
        );
    }

    #[test]
    fn parses_porter_yaml_shape() {
        let h: IgnoreError =
            serde_json::from_str(r#"{"exitCodes":[1],"output":{"contains":["a"],"regex":["b"]}}"#)
                .unwrap();
        assert_eq!(h.exit_codes, [1]);
        assert_eq!(h.output.contains, ["a"]);
    }
}
