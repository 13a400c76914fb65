//! A test-only mixin whose `build` turns its config into `RUN` lines, so the
//! end-to-end build test can see mixin lines applied in the image. Its steps
//! echo a message and return the configured marker, which reaches `execute`
//! only through `wharf:mixin@0.2.0`. Never shipped.

use mixin_sdk::{
    Command, Context, Contribution, Input, Metadata, Mixin, Output, Result, StepResult,
    export_mixin,
};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    #[serde(default)]
    marker: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Step {
    #[serde(default)]
    description: String,
    message: String,
}

struct RunLines;

impl Mixin for RunLines {
    type Config = Config;
    type Step = Step;

    fn metadata() -> Metadata {
        Metadata::new("runlines", "0.0.1")
            .description("Emits RUN lines at build time (tests only)")
            .author("Wharf tests")
            .programs(["echo"])
    }

    fn step_schema() -> Value {
        json!({"type": "object", "properties": {"description": {"type": "string"}, "message": {"type": "string"}}, "required": ["message"]})
    }

    fn config_schema() -> Option<Value> {
        Some(json!({"type": "object", "properties": {"marker": {"type": "string"}}}))
    }

    fn build(input: &Input<Config, Step>) -> Result<Vec<Contribution>> {
        let lines = || -> Result<Vec<String>> {
            let marker = if input.config.marker.is_empty() {
                "built"
            } else {
                &input.config.marker
            };
            Ok(vec![
                "RUN mkdir -p /opt/runlines".to_string(),
                format!("RUN echo {marker} > /opt/runlines/marker"),
                format!("RUN echo {} > /opt/runlines/steps", input.steps.len()),
            ])
        };
        Ok(lines()?.into_iter().map(Contribution::line).collect())
    }

    fn execute(context: &Context<Config>, step: Step) -> Result<StepResult> {
        let _ = step.description;
        let out = Command::new("echo").arg(&step.message).run()?.check()?;
        Ok(vec![
            Output::new("said", out.stdout_text().trim_end()),
            Output::new("marker", context.config.marker.as_str()),
        ]
        .into())
    }
}

export_mixin!(RunLines);
