//! The host-side view of the data that crosses the mixin boundary, in plain
//! Rust types that serialize for `-o json`.

use serde::Serialize;
use serde_json::Value;

use super::bindings::WORLD_VERSION_0_1;
use super::bindings::v0_1::wharf::mixin::types as wit1;
use super::bindings::v0_2::wharf::mixin::types as wit;

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
    /// The environment variables `execute` may read when the bundle grants
    /// them. A 0.1.0 mixin declares none.
    pub env: Vec<EnvVar>,
    /// The `wharf:mixin` version it was built for.
    pub world_version: String,
}

/// An environment variable a mixin declares it may read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct EnvVar {
    /// Its name.
    pub name: String,
    /// What the mixin does with it.
    pub description: String,
}

impl Metadata {
    /// Whether this mixin declares that it reads `name`. A 0.1.0 mixin
    /// cannot declare variables, so the author's grant is all there is.
    pub fn reads_env(&self, name: &str) -> bool {
        self.world_version == WORLD_VERSION_0_1 || self.env.iter().any(|v| v.name == name)
    }
}

impl From<wit::MixinMetadata> for Metadata {
    fn from(m: wit::MixinMetadata) -> Self {
        Self {
            name: m.name,
            version: m.version,
            description: m.description,
            author: m.author,
            programs: m.programs,
            env: m
                .env
                .into_iter()
                .map(|v| EnvVar {
                    name: v.name,
                    description: v.description,
                })
                .collect(),
            world_version: m.world_version,
        }
    }
}

impl From<wit1::MixinMetadata> for Metadata {
    /// A 0.1.0 mixin's metadata is 0.2.0's without declared variables.
    fn from(m: wit1::MixinMetadata) -> Self {
        wit::MixinMetadata {
            name: m.name,
            version: m.version,
            description: m.description,
            author: m.author,
            programs: m.programs,
            env: Vec::new(),
            world_version: m.world_version,
        }
        .into()
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

/// Converts [`BuildInput`] into both worlds' identical records.
macro_rules! build_input_into {
    ($($wit:ident),*) => {$(
        impl From<&BuildInput> for $wit::BuildInput {
            fn from(input: &BuildInput) -> Self {
                $wit::BuildInput {
                    config: input.config.as_ref().map(Value::to_string),
                    actions: input
                        .actions
                        .iter()
                        .map(|a| $wit::ActionSteps {
                            action: a.action.clone(),
                            steps: a.steps.iter().map(Value::to_string).collect(),
                        })
                        .collect(),
                }
            }
        }
    )*};
}
build_input_into!(wit, wit1);

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

/// Converts both worlds' identical findings.
macro_rules! finding_from {
    ($($wit:ident),*) => {$(
        impl From<$wit::Finding> for Finding {
            fn from(f: $wit::Finding) -> Self {
                Self {
                    level: match f.level {
                        $wit::Level::Error => Level::Error,
                        $wit::Level::Warning => Level::Warning,
                        $wit::Level::Info => Level::Info,
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

        impl From<$wit::StepOutput> for StepOutput {
            fn from(o: $wit::StepOutput) -> Self {
                Self {
                    name: o.name,
                    value: o.value,
                }
            }
        }
    )*};
}
finding_from!(wit, wit1);

/// A named value a step produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepOutput {
    /// The output's name.
    pub name: String,
    /// Its raw bytes.
    pub value: Vec<u8>,
}

/// A file the runtime writes for a step, outside the bundle directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileWrite {
    /// The absolute path the mixin asked for.
    pub path: String,
    /// The bytes.
    pub contents: Vec<u8>,
    /// Permission bits.
    pub mode: u32,
}

/// What one step produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepResult {
    /// Its outputs.
    pub outputs: Vec<StepOutput>,
    /// Files for the runtime to write. A 0.1.0 mixin asks for none.
    pub files: Vec<FileWrite>,
}

impl From<wit::StepResult> for StepResult {
    fn from(r: wit::StepResult) -> Self {
        Self {
            outputs: r.outputs.into_iter().map(StepOutput::from).collect(),
            files: r
                .files
                .into_iter()
                .map(|f| FileWrite {
                    path: f.path,
                    contents: f.contents,
                    mode: f.mode,
                })
                .collect(),
        }
    }
}

/// How the host checks a download.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Checksum {
    /// The file's SHA-256, 64 hex digits.
    Sha256(String),
    /// The URL of a `sha256sum`-style file listing it.
    SumsFile(String),
    /// None published.
    Unverified,
}

/// A program `build` asks the host to download into the image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientDownload {
    /// Where from.
    pub url: String,
    /// How to check it.
    pub checksum: Checksum,
    /// The program's path inside the archive, if the download is one.
    pub archive_member: Option<String>,
    /// Where it is installed.
    pub destination: String,
    /// Its permission bits.
    pub mode: u32,
}

/// One thing a mixin's `build` asks to put into the invocation image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Contribution {
    /// A program to download, check and install.
    Client(ClientDownload),
    /// Debian packages by name (`name` or `name=version`).
    DebianPackages(Vec<String>),
    /// A raw Dockerfile line (all a 0.1.0 mixin can give).
    DockerfileLine(String),
}

impl From<wit::Contribution> for Contribution {
    fn from(c: wit::Contribution) -> Self {
        match c {
            wit::Contribution::Client(d) => Contribution::Client(ClientDownload {
                url: d.url,
                checksum: match d.checksum {
                    wit::Checksum::Sha256(hex) => Checksum::Sha256(hex),
                    wit::Checksum::SumsFile(url) => Checksum::SumsFile(url),
                    wit::Checksum::Unverified => Checksum::Unverified,
                },
                archive_member: d.archive_member,
                destination: d.destination,
                mode: d.mode,
            }),
            wit::Contribution::DebianPackages(names) => Contribution::DebianPackages(names),
            wit::Contribution::DockerfileLine(line) => Contribution::DockerfileLine(line),
        }
    }
}
