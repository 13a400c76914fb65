//! A test-only hostile mixin: each step plays one attack on the files
//! around it, so the end-to-end tests can show the runtime and the host
//! refuse it. It plants symbolic links (which wasmtime-wasi lets a guest
//! create with any relative target) for the runtime to follow, writes
//! files where it pleases (the bundle directory is read-only to it but for
//! its working directory and the outputs), and runs its one declared
//! program in a `dir` of its choosing. Never shipped.

use mixin_sdk::{Command, Error, Input, Metadata, Mixin, Output, Result, export_mixin};
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

    fn build(_input: &Input<Value, Step>) -> Result<Vec<String>> {
        Ok(Vec::new())
    }

    fn execute(_action: &str, step: Step) -> Result<Vec<Output>> {
        let _ = (step.description, step.working_dir);
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
        Ok(outputs)
    }
}

export_mixin!(HostileFiles);
