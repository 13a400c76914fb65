//! The `docker ...` command line of each step, as Porter's docker mixin
//! builds it.
//!
//! Porter puts a command's words in three places: leading arguments, then
//! flags sorted by name (one dash for a one-letter name, two otherwise),
//! then suffix arguments. Leading arguments and flags are split into words
//! as Porter splits them (see [`mixin_sdk::words`]); suffix arguments are
//! not. Where `arguments:` lands follows Porter:
//!
//! | step | command line |
//! | --- | --- |
//! | pull | `docker pull NAME:TAG\|NAME@DIGEST ARGS... FLAGS...` |
//! | push | `docker push NAME:TAG ARGS... FLAGS...` |
//! | build | `docker build ARGS... [-f FILE] -t TAG FLAGS... PATH` |
//! | login | `docker login ARGS... --password-stdin -u USER FLAGS...` |
//! | run | `docker run [-d] [--env K=V]... [--name N] [-p H:C]... [--privileged] [--rm] FLAGS... IMAGE [COMMAND] ARGS...` |
//! | remove | `docker rm [-f] FLAGS... CONTAINER ARGS...` |
//!
//! Two deliberate differences from Porter:
//!
//! - values the mixin writes itself (an `env` value, a name, a tag) are
//!   passed whole, where Porter would also split `env: {MSG: "a b"}` into
//!   `--env MSG=a` and `b`; only the author's `arguments` and `flags` are
//!   split;
//! - `login` passes the password on standard input (`--password-stdin`)
//!   instead of `-p PASSWORD`, so it never appears in a process list on
//!   the Docker host (Docker itself warns against `-p`).

use mixin_sdk::Command;
use mixin_sdk::words::{split_all, split_words};

use crate::step::{Build, Common, Kind, Login, Pull, Push, Remove, Run};

/// The program every step runs.
pub const DOCKER: &str = "docker";

/// One flag occurrence: `--name` alone, or `--name VALUE`.
#[derive(Debug, Clone)]
struct FlagWord {
    name: String,
    value: Option<String>,
    /// Whether the value is the author's (split into words as Porter does)
    /// or the mixin's own (kept whole).
    split: bool,
}

/// A command line under construction.
#[derive(Debug, Default)]
struct Line {
    leading: Vec<String>,
    flags: Vec<FlagWord>,
    suffix: Vec<String>,
}

impl Line {
    fn new(subcommand: &str) -> Self {
        Self {
            leading: vec![subcommand.to_string()],
            ..Self::default()
        }
    }

    /// Leading arguments the mixin writes, kept whole.
    fn leading(&mut self, word: impl Into<String>) {
        self.leading.push(word.into());
    }

    /// The author's leading `arguments`, split as Porter splits them.
    fn leading_arguments(&mut self, arguments: &[String]) {
        self.leading.extend(split_all(arguments));
    }

    /// A flag the mixin sets, its value kept whole.
    fn flag(&mut self, name: &str, value: Option<String>) {
        self.flags.push(FlagWord {
            name: name.to_string(),
            value,
            split: false,
        });
    }

    /// The author's `flags:`, sorted in with the mixin's own.
    fn author_flags(&mut self, common: &Common<'_>) {
        for flag in common.flags.iter() {
            if flag.values.is_empty() {
                self.flags.push(FlagWord {
                    name: flag.name,
                    value: None,
                    split: true,
                });
                continue;
            }
            for value in flag.values {
                self.flags.push(FlagWord {
                    name: flag.name.clone(),
                    value: Some(value),
                    split: true,
                });
            }
        }
    }

    fn suffix(&mut self, word: impl Into<String>) {
        self.suffix.push(word.into());
    }

    /// Every word after `docker`: leading arguments, flags sorted by name
    /// (stable, so the mixin's own come before the author's of the same
    /// name), suffix arguments.
    fn words(mut self) -> Vec<String> {
        self.flags.sort_by(|a, b| a.name.cmp(&b.name));
        let mut words = self.leading;
        for flag in self.flags {
            let dash = if flag.name.chars().count() == 1 {
                "-"
            } else {
                "--"
            };
            words.push(format!("{dash}{}", flag.name));
            match flag.value {
                Some(value) if flag.split => words.extend(split_words(&value)),
                Some(value) => words.push(value),
                None => {}
            }
        }
        words.extend(self.suffix);
        words
    }
}

/// `NAME@DIGEST`, `NAME:TAG`, or `NAME` alone (Docker's `latest`) where
/// Porter would write the invalid `NAME:`.
fn reference(name: &str, tag: &str, digest: &str) -> String {
    if !digest.is_empty() {
        format!("{name}@{digest}")
    } else if !tag.is_empty() {
        format!("{name}:{tag}")
    } else {
        name.to_string()
    }
}

fn pull(c: &Pull) -> Line {
    let mut line = Line::new("pull");
    line.leading(reference(&c.name, &c.tag, &c.digest));
    line.leading_arguments(&c.arguments);
    line.author_flags(&c.common());
    line
}

fn push(c: &Push) -> Line {
    let mut line = Line::new("push");
    line.leading(reference(&c.name, &c.tag, ""));
    line.leading_arguments(&c.arguments);
    line.author_flags(&c.common());
    line
}

fn build(c: &Build) -> Line {
    let mut line = Line::new("build");
    line.leading_arguments(&c.arguments);
    line.flag("t", Some(c.tag.clone()));
    if !c.file.is_empty() {
        line.flag("f", Some(c.file.clone()));
    }
    line.author_flags(&c.common());
    line.suffix(if c.path.is_empty() { "." } else { &c.path });
    line
}

fn login(c: &Login) -> Line {
    let mut line = Line::new("login");
    line.leading_arguments(&c.arguments);
    line.flag("u", Some(c.username.clone()));
    line.flag("password-stdin", None);
    line.author_flags(&c.common());
    line
}

fn run(c: &Run) -> Line {
    let mut line = Line::new("run");
    if c.privileged {
        line.flag("privileged", None);
    }
    for (key, value) in &c.env {
        line.flag("env", Some(format!("{key}={value}")));
    }
    for port in &c.ports {
        let mapping = if port.host.is_empty() {
            port.container.clone()
        } else {
            format!("{}:{}", port.host, port.container)
        };
        line.flag("p", Some(mapping));
    }
    if c.detach {
        line.flag("d", None);
    }
    if c.rm {
        line.flag("rm", None);
    }
    if !c.name.is_empty() {
        line.flag("name", Some(c.name.clone()));
    }
    line.author_flags(&c.common());
    line.suffix(c.image.clone());
    if !c.command.is_empty() {
        line.suffix(c.command.clone());
    }
    for argument in &c.arguments {
        line.suffix(argument.clone());
    }
    line
}

fn remove(c: &Remove) -> Line {
    let mut line = Line::new("rm");
    if c.force {
        line.flag("f", None);
    }
    line.author_flags(&c.common());
    line.suffix(c.container.clone());
    for argument in &c.arguments {
        line.suffix(argument.clone());
    }
    line
}

/// The arguments after `docker` for a step's command.
pub fn arguments(kind: Kind<'_>) -> Vec<String> {
    match kind {
        Kind::Pull(c) => pull(c),
        Kind::Push(c) => push(c),
        Kind::Build(c) => build(c),
        Kind::Login(c) => login(c),
        Kind::Run(c) => run(c),
        Kind::Remove(c) => remove(c),
    }
    .words()
}

/// The command a step runs, in the bundle directory (Porter's working
/// directory for every docker command). `login` writes the password to
/// the command's standard input and never streams its output, as Porter's
/// login always suppresses it.
pub fn command(kind: Kind<'_>) -> Command {
    let common = kind.common();
    let mut cmd = Command::new(DOCKER).args(arguments(kind));
    let mut stream = !common.suppress_output;
    if let Kind::Login(login) = kind {
        cmd = cmd.stdin(login.password.clone().into_bytes());
        stream = false;
    }
    cmd.stream_output(stream)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::step::DockerStep;
    use serde_json::{Value, json};

    fn line(body: Value) -> Vec<String> {
        let step: DockerStep = serde_json::from_value(body).unwrap();
        arguments(step.kind().unwrap())
    }

    #[test]
    fn pull_by_tag_by_digest_and_bare() {
        assert_eq!(
            line(json!({"pull": {"name": "docker/whalesay", "tag": "latest"}})),
            ["pull", "docker/whalesay:latest"]
        );
        assert_eq!(
            line(json!({"pull": {
                "name": "docker/whalesay", "tag": "ignored", "digest": "sha256:abc",
                "arguments": ["--quiet"], "flags": {"platform": "linux/amd64"}
            }})),
            [
                "pull",
                "docker/whalesay@sha256:abc",
                "--quiet",
                "--platform",
                "linux/amd64"
            ]
        );
        assert_eq!(
            line(json!({"pull": {"name": "busybox"}})),
            ["pull", "busybox"]
        );
    }

    #[test]
    fn push_name_and_tag() {
        assert_eq!(
            line(json!({"push": {"name": "gmadhok/cookies", "tag": "v1.0", "flags": {"q": null}}})),
            ["push", "gmadhok/cookies:v1.0", "-q"]
        );
    }

    #[test]
    fn build_sorts_its_flags_with_the_authors_and_ends_with_the_path() {
        assert_eq!(
            line(json!({"build": {"tag": "gmadhok/cookies:v1.0", "file": "Dockerfile"}})),
            [
                "build",
                "-f",
                "Dockerfile",
                "-t",
                "gmadhok/cookies:v1.0",
                "."
            ]
        );
        assert_eq!(
            line(json!({"build": {
                "tag": "app:1", "path": "src", "arguments": ["--pull"],
                "flags": {"build-arg": ["A=1", "B=2"], "no-cache": null}
            }})),
            [
                "build",
                "--pull",
                "--build-arg",
                "A=1",
                "--build-arg",
                "B=2",
                "--no-cache",
                "-t",
                "app:1",
                "src"
            ]
        );
    }

    #[test]
    fn login_reads_the_password_from_stdin() {
        let step: DockerStep = serde_json::from_value(json!({
            "login": {"username": "ann", "password": "s3cret", "arguments": ["registry.example"]}
        }))
        .unwrap();
        let cmd = command(step.kind().unwrap());
        assert_eq!(cmd.program(), "docker");
        assert_eq!(
            cmd.get_args(),
            ["login", "registry.example", "--password-stdin", "-u", "ann"]
        );
        assert!(!cmd.get_args().iter().any(|a| a.contains("s3cret")));
        assert!(cmd.display().starts_with("docker login"));
    }

    #[test]
    fn run_with_every_option_in_porters_order() {
        assert_eq!(
            line(json!({"run": {
                "name": "mixinpractice", "image": "docker/whalesay:latest", "detach": true,
                "ports": [{"host": 8080, "container": 80}, {"container": 443}],
                "env": {"myvar": "whales", "MSG": "two words"}, "privileged": true, "rm": true,
                "command": "cowsay", "arguments": ["Hello World"],
                "flags": {"network": "host"}
            }})),
            [
                "run",
                "-d",
                "--env",
                "MSG=two words",
                "--env",
                "myvar=whales",
                "--name",
                "mixinpractice",
                "--network",
                "host",
                "-p",
                "8080:80",
                "-p",
                "443",
                "--privileged",
                "--rm",
                "docker/whalesay:latest",
                "cowsay",
                "Hello World"
            ]
        );
    }

    #[test]
    fn run_minimal_and_suppressed() {
        let step: DockerStep = serde_json::from_value(json!({
            "run": {"image": "wharf.test/busybox:latest", "suppress-output": true}
        }))
        .unwrap();
        let cmd = command(step.kind().unwrap());
        assert_eq!(cmd.get_args(), ["run", "wharf.test/busybox:latest"]);
        assert_eq!(cmd.get_dir(), None, "runs in the bundle directory");
    }

    #[test]
    fn remove_with_force_and_trailing_arguments() {
        assert_eq!(
            line(json!({"remove": {"container": "mixinpractice", "force": true}})),
            ["rm", "-f", "mixinpractice"]
        );
        assert_eq!(
            line(json!({"remove": {"container": "a", "arguments": ["b c"], "flags": {"v": null}}})),
            ["rm", "-v", "a", "b c"]
        );
    }

    #[test]
    fn author_arguments_and_flags_are_split_like_porter() {
        assert_eq!(
            line(json!({"build": {
                "tag": "t", "arguments": ["--label 'a b'"], "flags": {"build-arg": "'X=1 2'"}
            }})),
            [
                "build",
                "--label",
                "a b",
                "--build-arg",
                "X=1 2",
                "-t",
                "t",
                "."
            ]
        );
    }
}
