//! The host-side view of the data that crosses the mixin boundary, in plain
//! Rust types that serialize for `-o json`.

use serde::Serialize;
use serde_json::Value;

use super::bindings::wharf::mixin::types as wit;

/// What a mixin says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    /// The name used in porter.yaml.
    pub name: String,
    /// Its semantic version.
    pub version: String,
    /// One line about it.
    pub description: String,
    /// Its maintainer.
    pub author: String,
    /// The programs `execute` may run (`*` for any).
    pub programs: Vec<String>,
    /// The `wharf:mixin` version it was built for.
    pub world_version: String,
}

impl From<wit::MixinMetadata> for Metadata {
    fn from(m: wit::MixinMetadata) -> Self {
        Self {
            name: m.name,
            version: m.version,
            description: m.description,
            author: m.author,
            programs: m.programs,
            world_version: m.world_version,
        }
    }
}

/// One action's steps for this mixin.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionSteps {
    /// `install`, `upgrade`, `uninstall` or a custom action.
    pub action: String,
    /// Each step body (the object under the mixin's key).
    pub steps: Vec<Value>,
}

/// The input of `build` and `lint`: config plus this mixin's steps.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BuildInput {
    /// The mixin's configuration, if the manifest gives any.
    pub config: Option<Value>,
    /// The steps of every action, in manifest order.
    pub actions: Vec<ActionSteps>,
}

impl From<&BuildInput> for wit::BuildInput {
    fn from(input: &BuildInput) -> Self {
        wit::BuildInput {
            config: input.config.as_ref().map(Value::to_string),
            actions: input
                .actions
                .iter()
                .map(|a| wit::ActionSteps {
                    action: a.action.clone(),
                    steps: a.steps.iter().map(Value::to_string).collect(),
                })
                .collect(),
        }
    }
}

/// How serious a lint finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// The bundle will not work.
    Error,
    /// Probably not what the author meant.
    Warning,
    /// A suggestion.
    Info,
}

/// The step a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    /// The action.
    pub action: String,
    /// The step's position, from 1.
    pub step_number: u32,
    /// The step's description.
    pub step_description: String,
}

/// One lint finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// How serious it is.
    pub level: Level,
    /// A stable code such as `exec-101`.
    pub code: String,
    /// A short title.
    pub title: String,
    /// What is wrong and how to fix it.
    pub message: String,
    /// The step it is about.
    pub location: Option<Location>,
    /// A page about it.
    pub url: Option<String>,
}

impl From<wit::Finding> for Finding {
    fn from(f: wit::Finding) -> Self {
        Self {
            level: match f.level {
                wit::Level::Error => Level::Error,
                wit::Level::Warning => Level::Warning,
                wit::Level::Info => Level::Info,
            },
            code: f.code,
            title: f.title,
            message: f.message,
            location: f.location.map(|l| Location {
                action: l.action,
                step_number: l.step_number,
                step_description: l.step_description,
            }),
            url: f.url,
        }
    }
}

/// A named value a step produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepOutput {
    /// The output's name.
    pub name: String,
    /// Its raw bytes.
    pub value: Vec<u8>,
}

impl From<wit::StepOutput> for StepOutput {
    fn from(o: wit::StepOutput) -> Self {
        Self {
            name: o.name,
            value: o.value,
        }
    }
}
