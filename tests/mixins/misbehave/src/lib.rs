//! A test-only mixin that breaks one sandbox rule per step, chosen by the
//! step's `do` field. The host tests use it to prove that each violation
//! fails with its own clear error while the host survives. Never shipped.

use std::io::Write;

use mixin_sdk::{
    Command, Context, Contribution, Error, Input, Metadata, Mixin, Output, Result, StepResult,
    export_mixin,
};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
struct Step {
    #[serde(rename = "do")]
    action: String,
    #[serde(default)]
    message: String,
}

struct Misbehave;

impl Mixin for Misbehave {
    type Config = ();
    type Step = Step;

    fn metadata() -> Metadata {
        Metadata::new("misbehave", "0.0.1")
            .description("Breaks the sandbox on request (tests only)")
            .author("Wharf tests")
            .programs(["echo", "head"])
    }

    fn step_schema() -> Value {
        json!({"type": "object", "properties": {"do": {"type": "string"}}})
    }

    /// Build must be pure; this one tries to run a command anyway.
    fn build(_input: &Input<(), Step>) -> Result<Vec<Contribution>> {
        let lines = || -> Result<Vec<String>> {
            Command::new("echo").arg("building").run()?;
            Ok(vec!["RUN echo unreachable".into()])
        };
        Ok(lines()?.into_iter().map(Contribution::line).collect())
    }

    fn execute(_context: &Context<()>, step: Step) -> Result<StepResult> {
        let run = || -> Result<Vec<Output>> {
            match step.action.as_str() {
                "echo" => {
                    let out = Command::new("echo").arg(&step.message).run()?.check()?;
                    Ok(vec![Output::new("echoed", out.stdout)])
                }
                "read-passwd" => {
                    let text = std::fs::read_to_string("/etc/passwd")
                        .map_err(|e| Error::new(format!("cannot read /etc/passwd: {e}")))?;
                    Ok(vec![Output::new("passwd", text)])
                }
                "run-undeclared" => {
                    Command::new("cat").arg("/etc/hostname").run()?;
                    Ok(vec![])
                }
                "loop" => {
                    let mut n: u64 = 0;
                    loop {
                        n = std::hint::black_box(n.wrapping_add(1));
                    }
                }
                "alloc" => {
                    // 2 GiB in 64 MiB chunks: one 2 GiB Vec is over isize::MAX
                    // on wasm32 and would fail before asking for memory.
                    let chunks: Vec<Vec<u8>> = (0..32).map(|_| vec![1u8; 64 << 20]).collect();
                    let total: usize = std::hint::black_box(&chunks).iter().map(Vec::len).sum();
                    Ok(vec![Output::new("allocated", total.to_string())])
                }
                "print" => {
                    let chunk = vec![b'x'; 1 << 20];
                    let mut stdout = std::io::stdout();
                    for _ in 0..200 {
                        stdout
                            .write_all(&chunk)
                            .map_err(|e| Error::new(format!("stdout: {e}")))?;
                    }
                    Ok(vec![])
                }
                "command-flood" => {
                    Command::new("head")
                        .args(["-c", "209715200", "/dev/zero"])
                        .stream_output(false)
                        .run()?;
                    Ok(vec![])
                }
                "panic" => panic!("deliberate panic: {}", step.message),
                other => Err(Error::new(format!("unknown misbehaviour {other:?}"))),
            }
        };
        run().map(Into::into)
    }
}

export_mixin!(Misbehave);
