//! Wharf's exec mixin: runs a command or script, exactly as Porter's exec
//! mixin does, with the same step schema and lint rules.
//!
//! ```yaml
//! install:
//!   - exec:
//!       description: Install Hello World
//!       command: ./helpers.sh
//!       arguments: [install]
//!       outputs:
//!         - name: user
//!           jsonPath: "$.user"
//! ```
//!
//! It installs nothing into the invocation image (its build emits no lines),
//! and it may run any program, so it declares `*`.

use mixin_sdk::{
    CommandStep, Context, Finding, Input, Metadata, Mixin, Result, StepResult, export_mixin, schema,
};
use serde_json::Value;

/// The exec mixin.
pub struct Exec;

/// Lint code: a `bash -c` step (embedded scripts are hard to quote and test).
pub const CODE_EMBEDDED_BASH: &str = "exec-100";
/// Lint code: the `bash -c` value is not wrapped in quotes.
pub const CODE_BASH_C_MISSING_QUOTES: &str = "exec-101";
/// Lint code: a field Porter's exec mixin accepts and ignores (Wharf's;
/// Porter's exec mixin ignores it silently).
pub const CODE_IGNORED_FIELD: &str = "exec-wharf-ignored";

impl Mixin for Exec {
    type Config = ();
    type Step = CommandStep;

    fn metadata() -> Metadata {
        Metadata::new("exec", env!("CARGO_PKG_VERSION"))
            .description("Run a command or script")
            .author("Wharf")
            .programs(["*"])
    }

    fn step_schema() -> Value {
        schema::command_step("A step that is executed by the exec mixin")
    }

    fn lint(input: &Input<(), CommandStep>) -> Vec<Finding> {
        let mut findings = Vec::new();
        for step in &input.steps {
            if step.body.command != "bash" {
                continue;
            }
            let Some(values) = step.body.flags.get("c") else {
                continue;
            };
            findings.push(
                Finding::warning(CODE_EMBEDDED_BASH, "Best Practice: Avoid Embedded Bash")
                    .message(
                        "Move the script into a file next to porter.yaml and run it with \
                         `command: ./script.sh`; scripts are easier to quote, test and lint.",
                    )
                    .at(step.location())
                    .url("https://getporter.org/best-practices/exec-mixin/#use-scripts"),
            );
            if values.iter().any(|v| !is_wrapped_in_quotes(v)) {
                findings.push(
                    Finding::error(CODE_BASH_C_MISSING_QUOTES, "bash -c argument missing wrapping quotes")
                        .message(
                            "The bash -c flag argument must be wrapped in quotes, for example\n\
                             exec:\n  description: Say Hello\n  command: bash\n  flags:\n    c: '\"echo Hello World\"'\n",
                        )
                        .at(step.location())
                        .url("https://getporter.org/best-practices/exec-mixin/#quoting-escaping-bash-and-yaml"),
                );
            }
        }
        for step in &input.steps {
            for output in &step.body.outputs {
                if let Err(problem) = output.check() {
                    findings.push(
                        Finding::error("exec-102", "Invalid output")
                            .message(problem)
                            .at(step.location()),
                    );
                }
                if let Some(ignored) = output.ignored_sensitive() {
                    findings.push(
                        Finding::warning(CODE_IGNORED_FIELD, "Ignored field")
                            .message(ignored)
                            .at(step.location()),
                    );
                }
            }
        }
        findings
    }

    fn execute(_context: &Context<()>, step: CommandStep) -> Result<StepResult> {
        step.run().map(Into::into)
    }
}

fn is_wrapped_in_quotes(value: &str) -> bool {
    let wrapped = |q: char| value.len() >= 2 && value.starts_with(q) && value.ends_with(q);
    wrapped('"') || wrapped('\'')
}

export_mixin!(Exec);

#[cfg(test)]
mod tests {
    use super::*;
    use mixin_sdk::Level;
    use serde_json::json;

    fn input(steps: Vec<Value>) -> Input<(), CommandStep> {
        let steps = steps.into_iter().map(|v| ("install", v)).collect();
        Input::from_json(Value::Null, steps).unwrap()
    }

    #[test]
    fn unquoted_bash_c_is_an_error_and_quoted_a_warning() {
        let findings = Exec::lint(&input(vec![
            json!({"description": "bad", "command": "bash", "flags": {"c": "echo \"Hello World\""}}),
            json!({"description": "good", "command": "bash", "flags": {"c": "'echo hi'"}}),
        ]));
        let codes: Vec<(&str, Level, u32)> = findings
            .iter()
            .map(|f| {
                (
                    f.code.as_str(),
                    f.level,
                    f.location.as_ref().unwrap().step_number,
                )
            })
            .collect();
        assert_eq!(
            codes,
            [
                (CODE_EMBEDDED_BASH, Level::Warning, 1),
                (CODE_BASH_C_MISSING_QUOTES, Level::Error, 1),
                (CODE_EMBEDDED_BASH, Level::Warning, 2),
            ]
        );
    }

    #[test]
    fn other_commands_and_arguments_are_not_linted() {
        let findings = Exec::lint(&input(vec![json!({
            "description": "args", "command": "bash", "arguments": ["-c", "echo hi"]
        })]));
        assert!(findings.is_empty(), "{findings:?}");
    }

    #[test]
    fn sensitive_on_a_step_output_is_accepted_with_a_warning() {
        let findings = Exec::lint(&input(vec![json!({
            "description": "o", "command": "echo",
            "outputs": [{"name": "user", "jsonPath": "$.user", "sensitive": false}]
        })]));
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(
            (findings[0].code.as_str(), findings[0].level),
            (CODE_IGNORED_FIELD, Level::Warning)
        );
        assert!(findings[0].message.contains("`user`"), "{findings:?}");
    }

    #[test]
    fn invalid_output_regex_is_reported() {
        let findings = Exec::lint(&input(vec![json!({
            "description": "o", "command": "echo", "outputs": [{"name": "x", "regex": "("}]
        })]));
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].code, "exec-102");
    }
}
