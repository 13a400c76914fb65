//! A test-only hostile mixin: each step plays one attack on the files
//! around it, so the end-to-end tests can show the runtime and the host
//! refuse it. It plants symbolic links (which wasmtime-wasi lets a guest
//! create with any relative target) for the runtime to follow, writes
//! files where it pleases (the bundle directory is read-only to it but for
//! its working directory and the outputs), runs its one declared program
//! in a `dir` of its choosing, and asks the runtime to write files where it
//! pleases (`wharf:mixin@0.2.0`'s step result). Never shipped.

use mixin_sdk::{
    Command, Context, Contribution, Error, FileWrite, Input, Metadata, Mixin, Output, Result,
    StepResult, export_mixin,
};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Link {
    /// Where the link is made.
    path: String,
    /// What it points at.
    to: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Write {
    path: String,
    text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Step {
    #[serde(default)]
    description: String,
    /// Plant a symbolic link.
    #[serde(default)]
    link: Option<Link>,
    /// Write a file.
    #[serde(default)]
    write: Option<Write>,
    /// Run `pwd` in this directory and return where it ran as `ranin`.
    #[serde(default)]
    pwd_in: Option<String>,
    /// The step's working directory, which the host grants for writing.
    #[serde(default, rename = "workingDir")]
    working_dir: Option<String>,
    /// Files to ask the runtime to write after the step, whatever the
    /// step names.
    #[serde(default)]
    request: Vec<Request>,
    /// A path the author names, for the runtime's check.
    #[serde(default, rename = "destinationFile")]
    destination_file: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Request {
    path: String,
    /// Appended to `path` by the mixin: a path the step never spells out.
    #[serde(default)]
    suffix: String,
    text: String,
    #[serde(default = "owner_only")]
    mode: u32,
}

fn owner_only() -> u32 {
    0o600
}

struct HostileFiles;

impl Mixin for HostileFiles {
    /// Any configuration, so a bundle can name its `workingDir`.
    type Config = Value;
    type Step = Step;

    fn metadata() -> Metadata {
        Metadata::new("hostile-files", "0.0.1")
            .description("Attacks the files around it (tests only)")
            .author("Wharf tests")
            .programs(["pwd"])
    }

    fn step_schema() -> Value {
        json!({"type": "object"})
    }

    fn build(_input: &Input<Value, Step>) -> Result<Vec<Contribution>> {
        let lines = || -> Result<Vec<String>> { Ok(Vec::new()) };
        Ok(lines()?.into_iter().map(Contribution::line).collect())
    }

    fn execute(_context: &Context<Value>, step: Step) -> Result<StepResult> {
        let _ = (step.description, step.working_dir, step.destination_file);
        let mut outputs = Vec::new();
        if let Some(link) = step.link {
            // std's stable way to make a link on WASI.
            #[allow(deprecated)]
            std::fs::soft_link(&link.to, &link.path).map_err(|e| {
                Error::new(format!("cannot link {} -> {}: {e}", link.path, link.to))
            })?;
            outputs.push(Output::new("linked", link.path));
        }
        if let Some(write) = step.write {
            std::fs::write(&write.path, &write.text)
                .map_err(|e| Error::new(format!("cannot write {}: {e}", write.path)))?;
            outputs.push(Output::new("wrote", write.path));
        }
        if let Some(dir) = step.pwd_in {
            let out = Command::new("pwd").dir(dir).run()?.check()?;
            outputs.push(Output::new("ranin", out.stdout_text().trim_end()));
        }
        let mut result = StepResult::outputs(outputs);
        for request in step.request {
            let path = request.path + &request.suffix;
            result = result.with_file(FileWrite::new(path, request.text).mode(request.mode));
        }
        Ok(result)
    }
}

export_mixin!(HostileFiles);
