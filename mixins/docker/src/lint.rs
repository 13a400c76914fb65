//! Mistakes in docker steps and configuration, with stable `docker-1xx`
//! codes.
//!
//! The same checks guard `execute` (errors only): a step whose template
//! rendered an empty image name fails with the lint message instead of a
//! confusing `docker` usage error.
//!
//! | code | level | finding |
//! | --- | --- | --- |
//! | docker-100 | error | the step holds no command, or more than one |
//! | docker-101 | error | `pull` without `name` |
//! | docker-102 | warning | `pull` with both `tag` and `digest` (the digest wins) |
//! | docker-103 | error | `push` without `name` or `tag` |
//! | docker-104 | error | `build` without `tag` |
//! | docker-105 | error | `run` without `image` |
//! | docker-106 | warning | `run`'s `command` holds spaces (it is one word) |
//! | docker-107 | error | a `run` port without `container` |
//! | docker-108 | error | `remove` without `container` |
//! | docker-109 | info | `login` without `username` or `password`: it reads the granted `$DOCKER_USERNAME`/`$DOCKER_PASSWORD` |
//! | docker-110 | warning | `login`'s password written into porter.yaml |
//! | docker-111 | error | an output without exactly one valid source |
//! | docker-112 | error | an invalid `clientVersion` or `clientSha256` |
//! | docker-113 | warning | `clientVersion` without `clientSha256` |

use mixin_sdk::{Finding, Level, Location};

use crate::config::{Config, config_errors};
use crate::step::{DockerStep, Kind};

/// One problem with a step, before it is placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// How serious it is.
    pub level: Level,
    /// Its `docker-1xx` code.
    pub code: &'static str,
    /// A short title.
    pub title: &'static str,
    /// What is wrong and what to write instead.
    pub message: String,
}

fn error(code: &'static str, title: &'static str, message: impl Into<String>) -> Problem {
    Problem {
        level: Level::Error,
        code,
        title,
        message: message.into(),
    }
}

fn warning(code: &'static str, title: &'static str, message: impl Into<String>) -> Problem {
    Problem {
        level: Level::Warning,
        ..error(code, title, message)
    }
}

fn info(code: &'static str, title: &'static str, message: impl Into<String>) -> Problem {
    Problem {
        level: Level::Info,
        ..error(code, title, message)
    }
}

/// Whether `value` holds a template, which is rendered only at run time.
fn templated(value: &str) -> bool {
    value.contains("${") || value.contains("{{")
}

/// Every problem with one step.
pub fn step_problems(step: &DockerStep) -> Vec<Problem> {
    let kind = match step.kind() {
        Ok(kind) => kind,
        Err(why) => return vec![error("docker-100", "One command per step", why)],
    };
    let mut problems = Vec::new();
    match kind {
        Kind::Pull(c) => {
            if c.name.is_empty() {
                problems.push(error(
                    "docker-101",
                    "pull needs a name",
                    "pull has no `name`; give the image to pull: `pull: {name: docker/whalesay, tag: latest}`.",
                ));
            }
            if !c.tag.is_empty() && !c.digest.is_empty() {
                problems.push(warning(
                    "docker-102",
                    "pull has a tag and a digest",
                    "pull gives both `tag` and `digest`; the digest is pulled and the tag ignored, so remove one.",
                ));
            }
        }
        Kind::Push(c) => {
            if c.name.is_empty() || c.tag.is_empty() {
                problems.push(error(
                    "docker-103",
                    "push needs a name and a tag",
                    "push needs both `name` and `tag`; give the repository and the tag to push: \
                     `push: {name: example/app, tag: v1.0}`.",
                ));
            }
        }
        Kind::Build(c) => {
            if c.tag.is_empty() {
                problems.push(error(
                    "docker-104",
                    "build needs a tag",
                    "build has no `tag`; name the image to build, `build: {tag: example/app:v1.0}`, \
                     as an untagged image cannot be used by later steps.",
                ));
            }
        }
        Kind::Run(c) => {
            if c.image.is_empty() {
                problems.push(error(
                    "docker-105",
                    "run needs an image",
                    "run has no `image`; give the image to run: `run: {image: docker/whalesay:latest}`.",
                ));
            }
            if c.command.contains(char::is_whitespace) && !templated(&c.command) {
                problems.push(warning(
                    "docker-106",
                    "run's command is one word",
                    format!(
                        "`command: {:?}` reaches the container as one program name; \
                         put the program in `command` and its arguments in `arguments`.",
                        c.command
                    ),
                ));
            }
            if c.ports.iter().any(|p| p.container.is_empty()) {
                problems.push(error(
                    "docker-107",
                    "a port needs its container port",
                    "a `ports` entry has no `container` port; each entry needs one (and usually `host`): \
                     `ports: [{host: 8080, container: 80}]`.",
                ));
            }
        }
        Kind::Remove(c) => {
            if c.container.is_empty() {
                problems.push(error(
                    "docker-108",
                    "remove needs a container",
                    "remove has no `container`; name the container to remove: `remove: {container: mixinpractice}`.",
                ));
            }
        }
        Kind::Login(c) => {
            if c.username.is_empty() || c.password.is_empty() {
                problems.push(info(
                    "docker-109",
                    "login reads the granted environment",
                    "login without `username` or `password` reads $DOCKER_USERNAME and $DOCKER_PASSWORD \
                     at run time, as Porter's does. A Wharf mixin reads only the variables the bundle \
                     grants it: add `grant: {env: [DOCKER_USERNAME, DOCKER_PASSWORD]}` beside `docker` \
                     in mixins, and set them with credentials whose `env` names them.",
                ));
            }
            if !c.password.is_empty() && !templated(&c.password) {
                problems.push(warning(
                    "docker-110",
                    "password written in porter.yaml",
                    "login's password is written into porter.yaml, where anyone with the bundle can read it; \
                     declare a sensitive credential and use \
                     `password: \"${ bundle.credentials.NAME }\"`.",
                ));
            }
        }
    }
    for output in kind.common().outputs {
        if let Err(why) = output.check() {
            problems.push(error("docker-111", "Invalid output", why));
        }
        // Accepted and ignored, as by exec (and by Porter, silently).
        if let Some(ignored) = output.ignored_sensitive() {
            problems.push(warning("docker-wharf-ignored", "Ignored field", ignored));
        }
    }
    problems
}

/// Problems with the configuration.
pub fn config_problems(config: &Config) -> Vec<Problem> {
    let mut problems: Vec<Problem> = config_errors(config)
        .into_iter()
        .map(|why| error("docker-112", "Invalid docker mixin configuration", why))
        .collect();
    if let (Some(version), None) = (&config.client_version, &config.client_sha256) {
        problems.push(warning(
            "docker-113",
            "The docker CLI download is not verified",
            format!(
                "Docker publishes no checksum for docker-{version}.tgz, so the build cannot \
                 verify it; pin the one you trust with `clientSha256`, or remove \
                 clientVersion to install Debian's signed docker.io package."
            ),
        ));
    }
    problems
}

/// Places a problem as a finding.
pub fn finding(problem: Problem, location: Option<Location>) -> Finding {
    let mut finding = Finding::new(problem.level, problem.code, problem.title)
        .message(problem.message)
        .url("https://getporter.org/mixins/docker/");
    finding.location = location;
    finding
}

/// The first error that must stop `execute`, if any.
pub fn execute_error(step: &DockerStep) -> Option<String> {
    step_problems(step)
        .into_iter()
        .find(|p| p.level == Level::Error)
        .map(|p| format!("{} ({})", p.message, p.code))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn codes(body: Value) -> Vec<(&'static str, Level)> {
        let step: DockerStep = serde_json::from_value(body).unwrap();
        step_problems(&step)
            .into_iter()
            .map(|p| (p.code, p.level))
            .collect()
    }

    #[test]
    fn good_steps_have_no_findings() {
        for body in [
            json!({"pull": {"name": "a", "tag": "1"}}),
            json!({"push": {"name": "a", "tag": "1"}}),
            json!({"build": {"tag": "a:1"}}),
            json!({"run": {"image": "a", "command": "echo", "ports": [{"container": 80}]}}),
            json!({"remove": {"container": "a"}}),
            json!({"login": {"username": "u", "password": "${ bundle.credentials.pw }"}}),
        ] {
            assert_eq!(codes(body.clone()), [], "{body}");
        }
    }

    #[test]
    fn each_common_mistake_has_its_code() {
        use Level::{Error, Info, Warning};
        assert_eq!(codes(json!({})), [("docker-100", Error)]);
        assert_eq!(
            codes(json!({"run": {"image": "a"}, "remove": {"container": "a"}})),
            [("docker-100", Error)]
        );
        assert_eq!(
            codes(json!({"pull": {"tag": "1"}})),
            [("docker-101", Error)]
        );
        assert_eq!(
            codes(json!({"pull": {"name": "a", "tag": "1", "digest": "sha256:x"}})),
            [("docker-102", Warning)]
        );
        assert_eq!(
            codes(json!({"push": {"name": "a"}})),
            [("docker-103", Error)]
        );
        assert_eq!(
            codes(json!({"build": {"file": "D"}})),
            [("docker-104", Error)]
        );
        assert_eq!(
            codes(json!({"run": {"command": "echo"}})),
            [("docker-105", Error)]
        );
        assert_eq!(
            codes(json!({"run": {"image": "a", "command": "echo hi"}})),
            [("docker-106", Warning)]
        );
        assert_eq!(
            codes(json!({"run": {"image": "a", "ports": [{"host": 1}]}})),
            [("docker-107", Error)]
        );
        assert_eq!(
            codes(json!({"remove": {"force": true}})),
            [("docker-108", Error)]
        );
        assert_eq!(codes(json!({"login": null})), [("docker-109", Info)]);
        assert_eq!(
            codes(json!({"login": {"username": "u", "password": "hunter2"}})),
            [("docker-110", Warning)]
        );
        assert_eq!(
            codes(json!({"run": {"image": "a", "outputs": [{"name": "x", "regex": "("}]}})),
            [("docker-111", Error)]
        );
        assert_eq!(
            codes(
                json!({"run": {"image": "a", "outputs": [{"name": "x", "regex": "(.*)", "sensitive": true}]}})
            ),
            [("docker-wharf-ignored", Warning)]
        );
    }

    #[test]
    fn execute_refuses_only_errors() {
        let bad: DockerStep = serde_json::from_value(json!({"run": {"image": ""}})).unwrap();
        let why = execute_error(&bad).unwrap();
        assert!(why.contains("docker-105") && why.contains("image"), "{why}");
        let warned: DockerStep =
            serde_json::from_value(json!({"run": {"image": "a", "command": "a b"}})).unwrap();
        assert_eq!(execute_error(&warned), None);
    }

    #[test]
    fn configuration_findings() {
        let unverified: Config =
            serde_json::from_value(json!({"clientVersion": "20.10.7"})).unwrap();
        let found: Vec<_> = config_problems(&unverified)
            .into_iter()
            .map(|p| p.code)
            .collect();
        assert_eq!(found, ["docker-113"]);
        let bad: Config = serde_json::from_value(json!({"clientVersion": "x y"})).unwrap();
        let found: Vec<_> = config_problems(&bad).into_iter().map(|p| p.code).collect();
        assert_eq!(found, ["docker-112", "docker-113"]);
        assert!(config_problems(&Config::default()).is_empty());
    }
}
