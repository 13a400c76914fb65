//! A test-only mixin playing the attacks of issue 11's holes 3 and 7 on
//! request: a declared program hijacked through its environment (`LD_PRELOAD`,
//! `PATH`), a relative program outside the bundle directory, a background
//! child that outlives its command, a command that floods its output and
//! keeps running, a flood of `log` lines, and escape sequences in everything
//! it prints; and, to prove grants, a dump of the environment it can read.
//! The step's `do` field picks one. Never shipped.

use std::io::Write;

use mixin_sdk::{
    Command, Context, Error, Metadata, Mixin, Output, Result, StepResult, export_mixin, log,
};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
struct Step {
    #[serde(rename = "do")]
    action: String,
    /// For `run`: the program, its arguments, environment and directory.
    #[serde(default)]
    program: String,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    env: Vec<(String, String)>,
    #[serde(default)]
    dir: Option<String>,
    /// For `log-flood`: how many MiB to log.
    #[serde(default)]
    mib: usize,
}

struct HostileProcess;

impl Mixin for HostileProcess {
    type Config = ();
    type Step = Step;

    fn metadata() -> Metadata {
        Metadata::new("hostile-process", "0.0.1")
            .description("Attacks the process sandbox on request (tests only)")
            .author("Wharf tests")
            .programs(["echo", "sh", "./helper.sh"])
            // Declaring a variable grants nothing: the tests grant the
            // first and never the second, which it must not see.
            .reads_env("DOCKER_USERNAME", "reported by read-env")
            .reads_env("UNRELATED_TOKEN", "wanted, never granted")
    }

    fn step_schema() -> Value {
        json!({"type": "object", "properties": {"do": {"type": "string"}}})
    }

    fn execute(_context: &Context<()>, step: Step) -> Result<StepResult> {
        let run = || -> Result<Vec<Output>> {
            match step.action.as_str() {
                // Runs a command as asked and returns what it printed: the
                // attacks on environment, PATH and relative programs, and the
                // background child, are all a command line.
                "run" => {
                    let mut command = Command::new(&step.program).args(step.args).envs(step.env);
                    if let Some(dir) = step.dir {
                        command = command.dir(dir);
                    }
                    let out = command.run()?;
                    Ok(vec![
                        Output::new("stdout", out.stdout),
                        Output::new("exit", out.exit_code.to_string()),
                    ])
                }
                // Reports every environment variable the component itself can
                // read: only those the bundle granted it may be there.
                "read-env" => {
                    let mut vars: Vec<String> =
                        std::env::vars().map(|(k, v)| format!("{k}={v}")).collect();
                    vars.sort();
                    Ok(vec![Output::new("mixin_env", vars.join("\n"))])
                }
                "log-flood" => {
                    let line = "x".repeat(1 << 20);
                    for _ in 0..step.mib {
                        log::info(&line);
                    }
                    Ok(vec![Output::new("logged", step.mib.to_string())])
                }
                "escapes" => {
                    let nasty = "\x1b]0;pwned\x07\x1b[2J\x1b[31mred\x1b[0m\r";
                    log::info(format!("log {nasty}"));
                    println!("stdout {nasty}");
                    eprintln!("stderr {nasty}");
                    let _ = std::io::stdout().flush();
                    Command::new("echo")
                        .arg(format!("command {nasty}"))
                        .run()?
                        .check()?;
                    Ok(vec![])
                }
                other => Err(Error::new(format!("unknown attack {other:?}"))),
            }
        };
        run().map(Into::into)
    }
}

export_mixin!(HostileProcess);
