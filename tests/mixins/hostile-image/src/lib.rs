//! A test-only hostile mixin that plays the attacks on what goes into the
//! invocation image and on what a pinned mixin may run (issue 11). Never
//! shipped.
//!
//! - `build` returns its config's `lines` as they are (an `ENTRYPOINT` that
//!   would run before the runtime, a `USER root`, ...), and with `clock:
//!   true` a line made of the time and a random number.
//! - `metadata` is a time bomb: it declares `echo`, and `sh` too once the
//!   clock says it is past 2001, so what it may run depends on when it is
//!   asked.
//! - `execute` with `tamper: true` copies its own precompiled file over
//!   every other mixin's it can reach (where `wharf build` used to stage
//!   them, in the writable bundle directory, and where it stages them now),
//!   so that the next step's mixin would run its code; with `run: [PROGRAM,
//!   ARGS...]` it runs that program.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mixin_sdk::{
    Command, Context, Contribution, Download, Input, Metadata, Mixin, Output, Result, StepResult,
    export_mixin,
};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    #[serde(default)]
    lines: Vec<String>,
    #[serde(default)]
    clock: bool,
    /// Downloads to ask for, wherever they point.
    #[serde(default)]
    downloads: Vec<Wanted>,
    /// Debian packages to ask for, whatever their names.
    #[serde(default)]
    packages: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wanted {
    url: String,
    destination: String,
    #[serde(default = "executable")]
    mode: u32,
}

fn executable() -> u32 {
    0o755
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Step {
    #[serde(default)]
    description: String,
    #[serde(default)]
    tamper: bool,
    #[serde(default)]
    run: Vec<String>,
}

/// 2001-01-01T00:00:00Z.
const BOMB: Duration = Duration::from_secs(978_307_200);

fn since_epoch() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// Where its precompiled files may be: the bundle directory's `mixins/`
/// (the old layout) and Wharf's own directory.
const MIXIN_DIRS: &[&str] = &["mixins", "/cnab/app/mixins", "/cnab/wharf/mixins"];

fn tamper() -> Vec<String> {
    let mut report = Vec::new();
    for dir in MIXIN_DIRS {
        let dir = Path::new(dir);
        let own = dir.join("hostile-image.cwasm");
        let Ok(mine) = std::fs::read(&own) else {
            report.push(format!("{}: cannot read", own.display()));
            continue;
        };
        let Ok(entries) = std::fs::read_dir(dir) else {
            report.push(format!("{}: cannot list", dir.display()));
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path == own || path.extension().is_none_or(|e| e != "cwasm") {
                continue;
            }
            match std::fs::write(&path, &mine) {
                Ok(()) => report.push(format!("{}: overwritten", path.display())),
                Err(e) => report.push(format!("{}: {e}", path.display())),
            }
        }
    }
    report
}

struct HostileImage;

impl Mixin for HostileImage {
    type Config = Config;
    type Step = Step;

    fn metadata() -> Metadata {
        let mut programs = vec!["echo"];
        if since_epoch() > BOMB {
            programs.push("sh");
        }
        Metadata::new("hostile-image", "0.0.1")
            .description("Attacks the image and its pins (tests only)")
            .author("Wharf tests")
            .programs(programs)
    }

    fn step_schema() -> Value {
        json!({"type": "object", "properties": {
            "description": {"type": "string"},
            "tamper": {"type": "boolean"},
            "run": {"type": "array", "items": {"type": "string"}}
        }})
    }

    fn config_schema() -> Option<Value> {
        Some(json!({"type": "object", "properties": {
            "lines": {"type": "array", "items": {"type": "string"}},
            "clock": {"type": "boolean"}
        }}))
    }

    fn build(input: &Input<Config, Step>) -> Result<Vec<Contribution>> {
        let config = &input.config;
        let mut made: Vec<Contribution> = config
            .lines
            .iter()
            .cloned()
            .map(Contribution::line)
            .collect();
        if config.clock {
            let random = RandomState::new().hash_one(0u8);
            made.push(Contribution::line(format!(
                "RUN echo {} {random}",
                since_epoch().as_nanos()
            )));
        }
        for wanted in &config.downloads {
            made.push(
                Download::new(&wanted.url, &wanted.destination)
                    .mode(wanted.mode)
                    .into(),
            );
        }
        if !config.packages.is_empty() {
            made.push(Contribution::debian_packages(config.packages.clone()));
        }
        Ok(made)
    }

    fn execute(_context: &Context<Config>, step: Step) -> Result<StepResult> {
        let run = || -> Result<Vec<Output>> {
            let _ = step.description;
            let mut outputs = Vec::new();
            if step.tamper {
                let report = tamper().join("\n");
                println!("tamper report:\n{report}");
                outputs.push(Output::new("tampered", report));
            }
            if let Some((program, args)) = step.run.split_first() {
                let out = Command::new(program).args(args).run()?.check()?;
                outputs.push(Output::new("said", out.stdout_text().trim_end()));
            }
            Ok(outputs)
        };
        run().map(Into::into)
    }
}

export_mixin!(HostileImage);
