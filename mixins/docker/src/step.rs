//! The docker step as Porter's docker mixin spells it.
//!
//! ```yaml
//! - docker:
//!     description: Run Whalesay
//!     run:
//!       image: docker/whalesay:latest
//!       command: cowsay
//!       arguments: ["Hello World"]
//!       outputs:
//!         - name: said
//!           regex: '< (.*) >'
//! ```
//!
//! A step holds its `description` and exactly one command (`pull`, `push`,
//! `build`, `login`, `run`, `remove`). Every command takes Porter's
//! `arguments`, `flags` and `outputs`; Wharf also accepts `suppress-output`
//! and `ignoreError` on every command (Porter honours `suppress-output` on
//! `run` only and has no `ignoreError` here), so an uninstall can remove a
//! container that may already be gone.
//!
//! Scalars are accepted wherever Porter takes a string: a template such as
//! `tag: ${ bundle.parameters.version }` can render to a number.

use std::collections::BTreeMap;

use mixin_sdk::{Flags, IgnoreError, OutputSpec};
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Declares one command's struct: its own fields, then the fields every
/// docker command shares. (serde's `flatten` cannot be combined with
/// `deny_unknown_fields`, which is what catches `contex:` for `context:`.)
macro_rules! docker_command {
    (
        $(#[$meta:meta])*
        $name:ident { $($(#[$fmeta:meta])* $field:ident : $ty:ty,)* }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)*
            /// Porter's `arguments`; where they go depends on the command.
            #[serde(default, deserialize_with = "scalars")]
            pub arguments: Vec<String>,
            /// Extra flags for the docker command, sorted in with the
            /// command's own flags as Porter sorts them.
            #[serde(default)]
            pub flags: Flags,
            /// Values to scrape from what the command printed.
            #[serde(default)]
            pub outputs: Vec<OutputSpec>,
            /// Hide the command's output from the user (it is still captured).
            #[serde(default, rename = "suppress-output")]
            pub suppress_output: bool,
            /// When a failure of the command is not a failure of the step.
            #[serde(default, rename = "ignoreError")]
            pub ignore_error: IgnoreError,
        }

        impl $name {
            /// The fields every docker command shares.
            pub fn common(&self) -> Common<'_> {
                Common {
                    arguments: &self.arguments,
                    flags: &self.flags,
                    outputs: &self.outputs,
                    suppress_output: self.suppress_output,
                    ignore_error: &self.ignore_error,
                }
            }
        }
    };
}

/// The fields every docker command shares, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct Common<'a> {
    /// `arguments`.
    pub arguments: &'a [String],
    /// `flags`.
    pub flags: &'a Flags,
    /// `outputs`.
    pub outputs: &'a [OutputSpec],
    /// `suppress-output`.
    pub suppress_output: bool,
    /// `ignoreError`.
    pub ignore_error: &'a IgnoreError,
}

docker_command! {
    /// `docker pull NAME:TAG` or `docker pull NAME@DIGEST`.
    Pull {
        /// The image's repository.
        #[serde(default, deserialize_with = "scalar")]
        name: String,
        /// The tag; ignored when a digest is given, as in Porter.
        #[serde(default, deserialize_with = "scalar")]
        tag: String,
        /// The digest, `sha256:...`.
        #[serde(default, deserialize_with = "scalar")]
        digest: String,
    }
}

docker_command! {
    /// `docker push NAME:TAG`.
    Push {
        /// The image's repository.
        #[serde(default, deserialize_with = "scalar")]
        name: String,
        /// The tag to push.
        #[serde(default, deserialize_with = "scalar")]
        tag: String,
    }
}

docker_command! {
    /// `docker build -t TAG [-f FILE] PATH`.
    Build {
        /// The image reference to tag the result with (`-t`).
        #[serde(default, deserialize_with = "scalar")]
        tag: String,
        /// The Dockerfile (`-f`), relative to the bundle directory.
        #[serde(default, deserialize_with = "scalar")]
        file: String,
        /// The build context; `.` (the bundle directory) when empty.
        #[serde(default, deserialize_with = "scalar")]
        path: String,
    }
}

docker_command! {
    /// `docker login`, with the password on standard input.
    Login {
        /// The user; Porter falls back to `$DOCKER_USERNAME`.
        #[serde(default, deserialize_with = "scalar")]
        username: String,
        /// The password or token; Porter falls back to `$DOCKER_PASSWORD`.
        #[serde(default, deserialize_with = "scalar")]
        password: String,
    }
}

docker_command! {
    /// `docker run [flags] IMAGE [COMMAND] [ARGUMENTS...]`.
    Run {
        /// The image to run.
        #[serde(default, deserialize_with = "scalar")]
        image: String,
        /// The container's name (`--name`).
        #[serde(default, deserialize_with = "scalar")]
        name: String,
        /// Run in the background (`-d`); stdout is then the container's ID.
        #[serde(default)]
        detach: bool,
        /// Published ports (`-p HOST:CONTAINER`).
        #[serde(default)]
        ports: Vec<Port>,
        /// Environment variables for the container (`--env K=V`).
        #[serde(default, deserialize_with = "scalar_map")]
        env: BTreeMap<String, String>,
        /// Run privileged (`--privileged`).
        #[serde(default)]
        privileged: bool,
        /// Remove the container when it exits (`--rm`).
        #[serde(default)]
        rm: bool,
        /// The program to run in the container, as one word.
        #[serde(default, deserialize_with = "scalar")]
        command: String,
    }
}

docker_command! {
    /// `docker rm [-f] CONTAINER`.
    Remove {
        /// The container's name or ID.
        #[serde(default, deserialize_with = "scalar")]
        container: String,
        /// Remove it even if it is running (`-f`).
        #[serde(default)]
        force: bool,
    }
}

/// One published port of `run`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Port {
    /// The port on the Docker host; empty lets Docker pick one.
    #[serde(default, deserialize_with = "scalar")]
    pub host: String,
    /// The port inside the container.
    #[serde(default, deserialize_with = "scalar")]
    pub container: String,
}

/// One docker step: a description and one command.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DockerStep {
    /// What the step does.
    #[serde(default)]
    pub description: String,
    /// `pull:`
    #[serde(default)]
    pub pull: Option<Pull>,
    /// `push:`
    #[serde(default)]
    pub push: Option<Push>,
    /// `build:`
    #[serde(default)]
    pub build: Option<Build>,
    /// `login:`, which Porter allows to be empty (`login:` alone).
    #[serde(default, deserialize_with = "present")]
    pub login: Option<Login>,
    /// `run:`
    #[serde(default)]
    pub run: Option<Run>,
    /// `remove:`
    #[serde(default)]
    pub remove: Option<Remove>,
}

/// The command a step holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind<'a> {
    /// `pull:`
    Pull(&'a Pull),
    /// `push:`
    Push(&'a Push),
    /// `build:`
    Build(&'a Build),
    /// `login:`
    Login(&'a Login),
    /// `run:`
    Run(&'a Run),
    /// `remove:`
    Remove(&'a Remove),
}

impl Kind<'_> {
    /// The command's key in porter.yaml.
    pub fn key(&self) -> &'static str {
        match self {
            Kind::Pull(_) => "pull",
            Kind::Push(_) => "push",
            Kind::Build(_) => "build",
            Kind::Login(_) => "login",
            Kind::Run(_) => "run",
            Kind::Remove(_) => "remove",
        }
    }

    /// The shared fields of the command.
    pub fn common(&self) -> Common<'_> {
        match self {
            Kind::Pull(c) => c.common(),
            Kind::Push(c) => c.common(),
            Kind::Build(c) => c.common(),
            Kind::Login(c) => c.common(),
            Kind::Run(c) => c.common(),
            Kind::Remove(c) => c.common(),
        }
    }
}

/// The keys of every command, for messages.
pub const COMMAND_KEYS: &str = "pull, push, build, login, run or remove";

impl DockerStep {
    /// Every command the step holds, in the order of [`COMMAND_KEYS`].
    pub fn kinds(&self) -> Vec<Kind<'_>> {
        [
            self.pull.as_ref().map(Kind::Pull),
            self.push.as_ref().map(Kind::Push),
            self.build.as_ref().map(Kind::Build),
            self.login.as_ref().map(Kind::Login),
            self.run.as_ref().map(Kind::Run),
            self.remove.as_ref().map(Kind::Remove),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// The one command the step holds, or why there is not exactly one.
    /// (Porter takes whichever key its map iteration meets last, which is
    /// random; Wharf refuses instead.)
    pub fn kind(&self) -> Result<Kind<'_>, String> {
        match self.kinds().as_slice() {
            [one] => Ok(*one),
            [] => Err(format!("a docker step needs one command: {COMMAND_KEYS}")),
            many => Err(format!(
                "a docker step holds one command, but this one has {}; split it into one step each",
                many.iter().map(Kind::key).collect::<Vec<_>>().join(" and ")
            )),
        }
    }
}

/// A scalar as YAML writes it.
fn text(value: Value, field: &str) -> Result<String, String> {
    match value {
        Value::Null => Ok(String::new()),
        Value::String(s) => Ok(s),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Array(_) | Value::Object(_) => {
            Err(format!("`{field}` must be a string, a number or a boolean"))
        }
    }
}

fn scalar<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    text(Value::deserialize(d)?, "value").map_err(de::Error::custom)
}

fn scalars<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Option::<Vec<Value>>::deserialize(d)?
        .unwrap_or_default()
        .into_iter()
        .map(|v| text(v, "arguments").map_err(de::Error::custom))
        .collect()
}

fn scalar_map<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    Option::<BTreeMap<String, Value>>::deserialize(d)?
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| {
            let v = text(v, &format!("env.{k}")).map_err(de::Error::custom)?;
            Ok((k, v))
        })
        .collect()
}

/// A key that is present counts even when its value is null.
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Some(Option::<T>::deserialize(d)?.unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn step(value: Value) -> DockerStep {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn an_empty_login_is_a_login() {
        let s = step(json!({"description": "d", "login": null}));
        assert_eq!(s.kind().unwrap().key(), "login");
        let s = step(json!({"description": "d"}));
        assert!(s.kind().unwrap_err().contains("needs one command"));
    }

    #[test]
    fn two_commands_are_refused_by_name() {
        let s = step(json!({"pull": {"name": "a"}, "push": {"name": "a", "tag": "b"}}));
        let err = s.kind().unwrap_err();
        assert!(err.contains("pull and push"), "{err}");
    }

    #[test]
    fn scalars_become_text_as_yaml_writes_them() {
        let s = step(json!({
            "run": {
                "image": "x", "ports": [{"host": 8080, "container": "80"}],
                "env": {"N": 3, "B": true}, "arguments": [1, "two"]
            }
        }));
        let run = s.run.unwrap();
        assert_eq!(run.ports[0].host, "8080");
        assert_eq!(run.env["N"], "3");
        assert_eq!(run.env["B"], "true");
        assert_eq!(run.arguments, ["1", "two"]);
    }

    #[test]
    fn unknown_fields_are_named() {
        let err =
            serde_json::from_value::<DockerStep>(json!({"build": {"tag": "t", "context": "."}}))
                .unwrap_err();
        assert!(err.to_string().contains("context"), "{err}");
        let err = serde_json::from_value::<DockerStep>(json!({"exec": {}})).unwrap_err();
        assert!(err.to_string().contains("exec"), "{err}");
    }
}
