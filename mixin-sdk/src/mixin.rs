//! The [`Mixin`] trait and the glue that turns it into the WIT exports.
//!
//! The glue does the chores every mixin would otherwise repeat: parsing the
//! JSON text that crosses the boundary, reporting a step that does not match
//! the mixin's types as a lint error with its location, numbering steps from
//! 1, wrapping step schemas per action, and filling in the world version.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::bindings::wharf::mixin::types as wit;
use crate::contribution::Contribution;
use crate::error::{Error, Result};
use crate::lint::{Finding, Location};
use crate::step_result::StepResult;

/// What a mixin says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    /// The name used in porter.yaml.
    pub name: String,
    /// The mixin's semantic version.
    pub version: String,
    /// One line about what it does.
    pub description: String,
    /// Who maintains it.
    pub author: String,
    /// The programs `execute` may run: bare names, absolute paths, or `*`
    /// for any program.
    pub programs: Vec<String>,
    /// The environment variables `execute` may read, with what it does
    /// with each, when the bundle author grants them.
    pub env: Vec<(String, String)>,
}

impl Metadata {
    /// Metadata with a name and version; set the rest with the builder
    /// methods.
    pub fn new(name: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            version: version.into(),
            description: String::new(),
            author: String::new(),
            programs: Vec::new(),
            env: Vec::new(),
        }
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// Sets the author.
    pub fn author(mut self, author: impl Into<String>) -> Self {
        self.author = author.into();
        self
    }

    /// Declares the programs `execute` may run.
    pub fn programs<I, S>(mut self, programs: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.programs = programs.into_iter().map(Into::into).collect();
        self
    }

    /// Declares an environment variable `execute` may read, and what for.
    /// The mixin sees it only when the bundle grants it (`grant: {env:
    /// [NAME]}` beside the mixin in porter.yaml) and it is set.
    pub fn reads_env(mut self, name: impl Into<String>, description: impl Into<String>) -> Self {
        self.env.push((name.into(), description.into()));
        self
    }
}

/// The kinds of action a step schema is given for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionKind {
    /// `install`.
    Install,
    /// `upgrade`.
    Upgrade,
    /// Every custom action.
    Invoke,
    /// `uninstall`.
    Uninstall,
}

impl ActionKind {
    /// Every kind, in the order Porter lists them.
    pub const ALL: [ActionKind; 4] = [
        ActionKind::Install,
        ActionKind::Upgrade,
        ActionKind::Invoke,
        ActionKind::Uninstall,
    ];

    /// The name the world uses for it.
    pub fn name(self) -> &'static str {
        match self {
            ActionKind::Install => "install",
            ActionKind::Upgrade => "upgrade",
            ActionKind::Invoke => "invoke",
            ActionKind::Uninstall => "uninstall",
        }
    }
}

/// What `execute` knows besides the step: the action and the mixin's
/// configuration from porter.yaml.
#[derive(Debug, Clone, PartialEq)]
pub struct Context<C> {
    /// `install`, `upgrade`, `uninstall` or a custom action's name.
    pub action: String,
    /// The configuration (its `Default` when the manifest gives none).
    pub config: C,
}

/// One step of an action, parsed into the mixin's step type.
#[derive(Debug, Clone, PartialEq)]
pub struct Step<S> {
    /// The action holding it.
    pub action: String,
    /// Its position in the action, from 1.
    pub number: u32,
    /// Its description, for messages.
    pub description: String,
    /// The parsed step body.
    pub body: S,
}

impl<S> Step<S> {
    /// Where this step is, for lint findings.
    pub fn location(&self) -> Location {
        Location {
            action: self.action.clone(),
            step_number: self.number,
            step_description: self.description.clone(),
        }
    }
}

/// What `build` and `lint` see: the configuration and every step of this
/// mixin in the manifest, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Input<C, S> {
    /// The mixin's configuration (its `Default` when the manifest gives none).
    pub config: C,
    /// Every step of this mixin, across all actions.
    pub steps: Vec<Step<S>>,
}

impl<C: DeserializeOwned, S: DeserializeOwned> Input<C, S> {
    /// An input from JSON, the way the host hands it over: `config`, and
    /// each `(action, body)` as a step numbered from 1 in the order given,
    /// described by the body's `description`. For a mixin's own tests of
    /// `build` and `lint`.
    pub fn from_json(
        config: Value,
        steps: Vec<(&str, Value)>,
    ) -> std::result::Result<Self, serde_json::Error> {
        let steps = steps
            .into_iter()
            .zip(1..)
            .map(|((action, body), number)| {
                Ok(Step {
                    action: action.to_string(),
                    number,
                    description: body["description"].as_str().unwrap_or_default().to_string(),
                    body: serde_json::from_value(body)?,
                })
            })
            .collect::<std::result::Result<_, serde_json::Error>>()?;
        Ok(Self {
            config: serde_json::from_value(config)?,
            steps,
        })
    }
}

/// A Wharf mixin. Implement it, then call [`crate::export_mixin!`].
///
/// Every function is associated (no `self`): a fresh instance of the
/// component serves each call, so there is no state to keep between calls.
pub trait Mixin {
    /// The configuration from the manifest's `mixins:` entry.
    type Config: DeserializeOwned + Default;
    /// One step body: the object under the mixin's key in porter.yaml.
    type Step: DeserializeOwned;

    /// Describes the mixin.
    fn metadata() -> Metadata;

    /// The JSON Schema of one step body, for every action kind that
    /// [`Mixin::action_step_schema`] does not override.
    fn step_schema() -> Value;

    /// The JSON Schema of a step body in actions of `kind`, when it differs
    /// from [`Mixin::step_schema`].
    fn action_step_schema(kind: ActionKind) -> Option<Value> {
        let _ = kind;
        None
    }

    /// The JSON Schema of the configuration, if the mixin takes any.
    fn config_schema() -> Option<Value> {
        None
    }

    /// What the invocation image needs: downloads and Debian packages that
    /// Wharf installs, and raw Dockerfile lines. Pure: no commands may run
    /// here.
    fn build(input: &Input<Self::Config, Self::Step>) -> Result<Vec<Contribution>> {
        let _ = input;
        Ok(Vec::new())
    }

    /// Mistakes in the configuration and steps. Steps that do not parse into
    /// [`Mixin::Step`] are reported by the SDK before this is called, and
    /// are left out of `input`.
    fn lint(input: &Input<Self::Config, Self::Step>) -> Vec<Finding> {
        let _ = input;
        Vec::new()
    }

    /// Runs one step and returns its outputs, and any files the runtime
    /// should write for it (`Ok(outputs.into())` when there are none).
    fn execute(context: &Context<Self::Config>, step: Self::Step) -> Result<StepResult>;
}

/// The glue the export macro calls. Not part of the stable API.
#[doc(hidden)]
pub mod glue {
    use super::*;

    pub fn metadata<M: Mixin>() -> wit::MixinMetadata {
        let m = M::metadata();
        wit::MixinMetadata {
            name: m.name,
            version: m.version,
            description: m.description,
            author: m.author,
            programs: m.programs,
            env: m
                .env
                .into_iter()
                .map(|(name, description)| wit::EnvVar { name, description })
                .collect(),
            world_version: crate::bindings::WORLD_VERSION.to_string(),
        }
    }

    pub fn schema<M: Mixin>() -> wit::MixinSchema {
        let mut steps = vec![wit::StepSchema {
            action: ActionKind::Install.name().into(),
            schema: M::step_schema().to_string(),
        }];
        for kind in ActionKind::ALL {
            if let Some(schema) = M::action_step_schema(kind) {
                steps.retain(|s| s.action != kind.name());
                steps.push(wit::StepSchema {
                    action: kind.name().into(),
                    schema: schema.to_string(),
                });
            }
        }
        wit::MixinSchema {
            steps,
            config: M::config_schema().map(|c| c.to_string()),
        }
    }

    /// Makes relative paths mean the bundle directory. The host names it in
    /// PWD (with the variables the bundle grants, all a mixin sees) because wasi-libc starts every
    /// component in `/`.
    fn enter_bundle_dir() {
        if let Some(dir) = std::env::var_os("PWD") {
            let _ = std::env::set_current_dir(dir);
        }
    }

    pub fn build<M: Mixin>(
        input: wit::BuildInput,
    ) -> std::result::Result<Vec<wit::Contribution>, wit::MixinError> {
        enter_bundle_dir();
        let (input, problems) = parse_input::<M>(input).map_err(to_wit)?;
        if let Some(first) = problems.into_iter().next() {
            return Err(to_wit(Error::new(first.message)));
        }
        let made = M::build(&input).map_err(to_wit)?;
        Ok(made.into_iter().map(Into::into).collect())
    }

    pub fn lint<M: Mixin>(
        input: wit::BuildInput,
    ) -> std::result::Result<Vec<wit::Finding>, wit::MixinError> {
        enter_bundle_dir();
        let (input, mut findings) = parse_input::<M>(input).map_err(to_wit)?;
        findings.extend(M::lint(&input));
        Ok(findings.into_iter().map(Into::into).collect())
    }

    pub fn execute<M: Mixin>(
        input: wit::ExecuteInput,
    ) -> std::result::Result<wit::StepResult, wit::MixinError> {
        enter_bundle_dir();
        let action = input.action;
        let body: M::Step = serde_json::from_str(&input.step).map_err(|e| {
            to_wit(Error::new(format!(
                "the {action} step is not valid for this mixin: {e}"
            )))
        })?;
        let config = parse_config::<M>(input.config.as_deref()).map_err(to_wit)?;
        let context = Context { action, config };
        let result = M::execute(&context, body).map_err(to_wit)?;
        Ok(result.into())
    }

    /// The configuration from its JSON text; none or `null` is the
    /// default.
    fn parse_config<M: Mixin>(text: Option<&str>) -> Result<M::Config> {
        let name = M::metadata().name;
        let Some(text) = text else {
            return Ok(M::Config::default());
        };
        let value: Value = serde_json::from_str(text)
            .map_err(|e| Error::new(format!("the {name} mixin's config is not JSON: {e}")))?;
        if value.is_null() {
            return Ok(M::Config::default());
        }
        serde_json::from_value(value).map_err(|e| {
            Error::new(format!(
                "the {name} mixin's config in porter.yaml is invalid: {e}"
            ))
        })
    }

    fn to_wit(e: Error) -> wit::MixinError {
        wit::MixinError {
            message: e.message().to_string(),
        }
    }

    /// The parsed input, and a finding for each step that did not parse.
    type Parsed<M> = (
        Input<<M as Mixin>::Config, <M as Mixin>::Step>,
        Vec<Finding>,
    );

    /// Parses the config and steps; steps that do not parse become error
    /// findings that name the action, step number and field.
    fn parse_input<M: Mixin>(input: wit::BuildInput) -> Result<Parsed<M>> {
        let name = M::metadata().name;
        let config = parse_config::<M>(input.config.as_deref())?;
        let mut steps = Vec::new();
        let mut problems = Vec::new();
        for action in input.actions {
            for (index, text) in action.steps.iter().enumerate() {
                let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
                let value: Value = serde_json::from_str(text).unwrap_or(Value::Null);
                let description = value
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let location = Location {
                    action: action.action.clone(),
                    step_number: number,
                    step_description: description.clone(),
                };
                match serde_json::from_value::<M::Step>(value) {
                    Ok(body) => steps.push(Step {
                        action: action.action.clone(),
                        number,
                        description,
                        body,
                    }),
                    Err(e) => problems.push(
                        Finding::error(format!("{name}-invalid-step"), "Invalid step")
                            .message(format!(
                                "{} step {number} ({description:?}) is not a valid {name} step: {e}",
                                action.action
                            ))
                            .at(location),
                    ),
                }
            }
        }
        Ok((Input { config, steps }, problems))
    }
}
