//! Starting real processes for `run-command`.
//!
//! Output is read from both pipes as it arrives, handed to the sink (unless
//! the mixin asked for quiet), and captured up to the per-command limit. A
//! process that writes more is killed rather than allowed to grow the host's
//! memory without bound.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

use super::bindings::wharf::mixin::host::{CommandError, CommandResult};
use super::sink::{OutputSink, Stream};

/// Everything needed to start one process.
pub(crate) struct ProcessSpec<'a> {
    pub(crate) mixin: &'a str,
    pub(crate) program: PathBuf,
    pub(crate) args: &'a [String],
    pub(crate) base_env: Vec<(&'a str, &'a str)>,
    pub(crate) extra_env: &'a [(String, String)],
    pub(crate) dir: &'a Path,
    pub(crate) stdin: Option<Vec<u8>>,
    pub(crate) stream_output: bool,
    pub(crate) output_limit: u64,
}

/// Runs the process to completion.
pub(crate) async fn run(
    spec: ProcessSpec<'_>,
    sink: Arc<dyn OutputSink>,
) -> Result<CommandResult, CommandError> {
    let mut command = Command::new(&spec.program);
    command
        .args(spec.args)
        .env_clear()
        .envs(spec.base_env.iter().copied())
        .envs(spec.extra_env.iter().map(|(k, v)| (k, v)))
        .current_dir(spec.dir)
        .stdin(if spec.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // If the call is abandoned (deadline, trap), the process goes too.
        .kill_on_drop(true);
    let mut child = command.spawn().map_err(|e| {
        CommandError::SpawnFailed(format!(
            "cannot start {} in {}: {e}",
            spec.program.display(),
            spec.dir.display()
        ))
    })?;

    if let (Some(bytes), Some(mut stdin)) = (spec.stdin, child.stdin.take()) {
        // A process that exits without reading its input is not an error.
        tokio::spawn(async move {
            let _ = stdin.write_all(&bytes).await;
        });
    }

    let stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");
    let budget = Budget::new(spec.output_limit);
    let echo = spec.stream_output.then_some((sink, spec.mixin));
    let (out, err) = tokio::join!(
        pump(stdout, Stream::Stdout, &budget, echo.clone()),
        pump(stderr, Stream::Stderr, &budget, echo),
    );
    if budget.exceeded() {
        let _ = child.kill().await;
        return Err(CommandError::OutputTooLarge(spec.output_limit));
    }
    let status = child.wait().await.map_err(|e| {
        CommandError::SpawnFailed(format!("waiting for {}: {e}", spec.program.display()))
    })?;
    // The program only: arguments and environment can carry secrets.
    tracing::debug!(
        mixin = spec.mixin,
        program = %spec.program.display(),
        exit_code = status.code(),
        "mixin command ran"
    );
    Ok(CommandResult {
        exit_code: status.code().unwrap_or(-1),
        stdout: out,
        stderr: err,
    })
}

/// The capture budget shared by stdout and stderr of one process.
struct Budget {
    limit: u64,
    used: std::sync::atomic::AtomicU64,
    exceeded: std::sync::atomic::AtomicBool,
}

impl Budget {
    fn new(limit: u64) -> Self {
        Self {
            limit,
            used: 0.into(),
            exceeded: false.into(),
        }
    }

    /// Takes `n` bytes from the budget; false once it is used up.
    fn take(&self, n: usize) -> bool {
        use std::sync::atomic::Ordering::SeqCst;
        let before = self.used.fetch_add(n as u64, SeqCst);
        if before.saturating_add(n as u64) > self.limit {
            self.exceeded.store(true, SeqCst);
            return false;
        }
        true
    }

    fn exceeded(&self) -> bool {
        self.exceeded.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Reads a pipe to its end (or until the budget is used up), echoing and
/// capturing what arrives.
async fn pump(
    mut pipe: impl AsyncRead + Unpin,
    stream: Stream,
    budget: &Budget,
    echo: Option<(Arc<dyn OutputSink>, &str)>,
) -> Vec<u8> {
    let mut captured = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match pipe.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if budget.exceeded() || !budget.take(n) {
            break;
        }
        if let Some((sink, mixin)) = &echo {
            sink.output(mixin, stream, &buf[..n]);
        }
        captured.extend_from_slice(&buf[..n]);
    }
    captured
}
