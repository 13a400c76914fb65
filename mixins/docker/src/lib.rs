//! Wharf's docker mixin: runs the docker CLI from a bundle with the step
//! schema of Porter's docker mixin (github.com/getporter/docker-mixin).
//!
//! ```yaml
//! required:
//!   - docker                # the bundle talks to the host's Docker
//! mixins:
//!   - docker
//! install:
//!   - docker:
//!       description: Say hello from a container
//!       run:
//!         image: wharf.test/busybox:latest
//!         rm: true
//!         command: echo
//!         arguments: ["hello from busybox"]
//!         outputs:
//!           - name: greeting
//!             regex: 'hello from (\S+)'
//! ```
//!
//! - **build** installs a docker CLI in the invocation image ([`config`]).
//! - **execute** runs exactly one `docker` command per step ([`line`]);
//!   the mixin declares `docker` and nothing else, so it can run nothing
//!   else. Outputs (`jsonPath`, `regex`, `path`) are scraped from what the
//!   command printed, which Porter's docker mixin accepts in its schema but
//!   never fills in.
//! - **lint** reports the common mistakes with `docker-1xx` codes ([`lint`]).
//!
//! The CLI needs the host's Docker socket: the bundle must declare
//! `required: [docker]` and run with `--allow-docker-host-access` (Wharf
//! refuses it otherwise), and the bundle's user (65532, group 0) must be
//! allowed to use the socket, which on most hosts belongs to `root:docker`
//! with mode 0660.

pub mod config;
pub mod line;
pub mod lint;
pub mod schema;
pub mod step;

use mixin_sdk::{
    Context, Contribution, Error, Finding, Input, Metadata, Mixin, Result, StepResult,
    export_mixin, run_step,
};
use serde_json::Value;

use crate::config::Config;
use crate::step::DockerStep;

/// The docker mixin.
pub struct Docker;

impl Mixin for Docker {
    type Config = Config;
    type Step = DockerStep;

    fn metadata() -> Metadata {
        Metadata::new("docker", env!("CARGO_PKG_VERSION"))
            .description("Run docker commands: pull, push, build, login, run and remove")
            .author("Wharf")
            .programs([line::DOCKER])
            .reads_env(
                "DOCKER_USERNAME",
                "the user of a `login` step that gives no username, as in Porter",
            )
            .reads_env(
                "DOCKER_PASSWORD",
                "the password of a `login` step that gives no password, as in Porter",
            )
    }

    fn step_schema() -> Value {
        schema::step()
    }

    fn config_schema() -> Option<Value> {
        Some(config::schema())
    }

    fn build(input: &Input<Config, DockerStep>) -> Result<Vec<Contribution>> {
        config::contributions(&input.config)
            .map_err(|why| Error::new(format!("the docker mixin's configuration: {why}")))
    }

    fn lint(input: &Input<Config, DockerStep>) -> Vec<Finding> {
        let mut findings: Vec<Finding> = lint::config_problems(&input.config)
            .into_iter()
            .map(|p| lint::finding(p, None))
            .collect();
        for step in &input.steps {
            findings.extend(
                lint::step_problems(&step.body)
                    .into_iter()
                    .map(|p| lint::finding(p, Some(step.location()))),
            );
        }
        findings
    }

    fn execute(_context: &Context<Config>, mut step: DockerStep) -> Result<StepResult> {
        if let Some(login) = step.login.as_mut() {
            login::fill_from_granted_env(login)?;
        }
        if let Some(why) = lint::execute_error(&step) {
            return Err(Error::new(why));
        }
        let kind = step.kind().map_err(Error::new)?;
        let common = kind.common();
        run_step(&line::command(kind), common.ignore_error, common.outputs).map(Into::into)
    }
}

export_mixin!(Docker);

mod login {
    //! Porter's fallback for a `login` without fields: `$DOCKER_USERNAME`
    //! and `$DOCKER_PASSWORD`. A Wharf mixin reads no environment unless
    //! the bundle grants it, so the fallback works only with
    //! `grant: env: [DOCKER_USERNAME, DOCKER_PASSWORD]` beside `docker` in
    //! porter.yaml.

    use mixin_sdk::{Error, Result};

    use crate::step::Login;

    /// How to grant the variables, for error messages.
    const HOW: &str = "grant it to the docker mixin in porter.yaml (`mixins: [{docker: , grant: \
        {env: [DOCKER_USERNAME, DOCKER_PASSWORD]}}]`) and set it with a credential whose `env` \
        names it, or give the field in the step";

    /// Fills an empty `username` or `password` from the granted variable.
    pub fn fill_from_granted_env(login: &mut Login) -> Result<()> {
        for (field, var, value) in [
            ("username", "DOCKER_USERNAME", &mut login.username),
            ("password", "DOCKER_PASSWORD", &mut login.password),
        ] {
            if !value.is_empty() {
                continue;
            }
            *value = std::env::var(var)
                .ok()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| {
                    Error::new(format!(
                        "login has no `{field}`, and ${var} is not available to the mixin: {HOW}"
                    ))
                })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mixin_sdk::Level;
    use serde_json::json;

    fn input(config: Value, steps: Vec<Value>) -> Input<Config, DockerStep> {
        let steps = steps.into_iter().map(|v| ("install", v)).collect();
        Input::from_json(config, steps).unwrap()
    }

    #[test]
    fn metadata_declares_only_docker() {
        let m = Docker::metadata();
        assert_eq!(m.name, "docker");
        assert_eq!(m.programs, ["docker"]);
    }

    #[test]
    fn lint_places_step_findings_and_config_findings() {
        let findings = Docker::lint(&input(
            json!({"clientVersion": "20.10.7"}),
            vec![
                json!({"description": "ok", "pull": {"name": "a", "tag": "1"}}),
                json!({"description": "no image", "run": {"command": "echo"}}),
            ],
        ));
        let summary: Vec<(&str, Level, Option<u32>)> = findings
            .iter()
            .map(|f| {
                (
                    f.code.as_str(),
                    f.level,
                    f.location.as_ref().map(|l| l.step_number),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("docker-113", Level::Warning, None),
                ("docker-105", Level::Error, Some(2)),
            ]
        );
        assert_eq!(
            findings[1].location.as_ref().unwrap().step_description,
            "no image"
        );
    }

    #[test]
    fn build_returns_the_cli_or_the_config_error() {
        let made = Docker::build(&input(json!({}), vec![])).unwrap();
        assert_eq!(made, [Contribution::debian_packages(["docker.io"])]);
        let err = Docker::build(&input(json!({"clientVersion": "nope"}), vec![])).unwrap_err();
        assert!(err.message().contains("clientVersion"), "{err}");
    }

    #[test]
    fn the_schemas_cover_the_step_and_the_config() {
        assert!(Docker::step_schema()["properties"]["login"].is_object());
        assert!(Docker::config_schema().unwrap()["properties"]["clientVersion"].is_object());
    }

    #[test]
    fn login_reads_only_the_two_declared_variables() {
        let declared: Vec<String> = Docker::metadata().env.into_iter().map(|(n, _)| n).collect();
        assert_eq!(declared, ["DOCKER_USERNAME", "DOCKER_PASSWORD"]);
    }
}
