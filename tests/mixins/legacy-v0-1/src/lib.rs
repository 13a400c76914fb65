//! A test-only mixin of `wharf:mixin@0.1.0`, written against the raw
//! bindings of `wit/0.1.0` (the SDK now targets 0.2.0), the way a
//! component published before 0.2.0 was built. Wharf must keep running it
//! beside 0.2.0 mixins. Never shipped.
//!
//! - `build` returns raw Dockerfile lines: a marker file in the image.
//! - `execute` echoes the step's `message` through the host and returns it
//!   as the output `legacy_said`, and the names of the environment
//!   variables it sees besides PWD as `legacy_env`: exactly those the
//!   bundle grants it, as a 0.1.0 component cannot declare any.

use serde_json::{Value, json};

wit_bindgen::generate!({
    path: "../../../wit/0.1.0",
    world: "mixin",
});

use exports::wharf::mixin::api::Guest;
use wharf::mixin::host::{Command, run_command};
use wharf::mixin::types::{BuildInput, Finding, MixinError, MixinMetadata, StepOutput};

struct Legacy;

fn error(message: impl Into<String>) -> MixinError {
    MixinError {
        message: message.into(),
    }
}

impl Guest for Legacy {
    fn metadata() -> MixinMetadata {
        MixinMetadata {
            name: "legacy-v0-1".into(),
            version: "0.0.1".into(),
            description: "A mixin built for wharf:mixin@0.1.0 (tests only)".into(),
            author: "Wharf tests".into(),
            programs: vec!["echo".into()],
            world_version: "0.1.0".into(),
        }
    }

    fn schema() -> String {
        let step = json!({
            "type": "object",
            "properties": {"description": {"type": "string"}, "message": {"type": "string"}},
            "required": ["description", "message"],
            "additionalProperties": false
        });
        let wrapper = json!({
            "type": "object",
            "properties": {"legacy-v0-1": step},
            "required": ["legacy-v0-1"],
            "additionalProperties": false
        });
        json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "definitions": {
                "installStep": wrapper, "upgradeStep": wrapper,
                "invokeStep": wrapper, "uninstallStep": wrapper
            }
        })
        .to_string()
    }

    fn build(input: BuildInput) -> Result<Vec<String>, MixinError> {
        let steps: usize = input.actions.iter().map(|a| a.steps.len()).sum();
        Ok(vec![
            "RUN mkdir -p /opt/legacy".into(),
            format!("RUN echo built-by-0.1.0 {steps} > /opt/legacy/marker"),
        ])
    }

    fn lint(_input: BuildInput) -> Result<Vec<Finding>, MixinError> {
        Ok(Vec::new())
    }

    fn execute(action: String, step: String) -> Result<Vec<StepOutput>, MixinError> {
        let step: Value = serde_json::from_str(&step).map_err(|e| error(e.to_string()))?;
        let message = step["message"]
            .as_str()
            .ok_or_else(|| error(format!("the {action} step has no message")))?;
        let done = run_command(&Command {
            program: "echo".into(),
            args: vec![format!("{action}: {message}")],
            env: Vec::new(),
            dir: None,
            stdin: None,
            stream_output: true,
        })
        .map_err(|e| error(format!("echo: {e:?}")))?;
        let mut seen: Vec<String> = std::env::vars()
            .map(|(k, _)| k)
            .filter(|k| k != "PWD")
            .collect();
        seen.sort();
        Ok(vec![
            StepOutput {
                name: "legacy_said".into(),
                value: done.stdout,
            },
            StepOutput {
                name: "legacy_env".into(),
                value: seen.join(",").into_bytes(),
            },
        ])
    }
}

export!(Legacy);
