//! Starting real processes for `run-command`.
//!
//! Output is read from both pipes as it arrives, handed to the sink (unless
//! the mixin asked for quiet), and captured up to the per-command limit.
//!
//! Every command is the leader of its own process group, and the whole group
//! is killed as soon as the command exits, goes over its output limit, or
//! its call is abandoned (deadline, trap). So nothing a mixin starts keeps
//! running in the background after its command, where it could watch a
//! later step's arguments or files. A process that leaves the group on
//! purpose (`setsid`) is beyond this; in the invocation image it still dies
//! with the container.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use rustix::process::{Pid, Signal, kill_process_group};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;
use tokio::sync::watch;

use super::bindings::v0_2::wharf::mixin::host::{CommandError, CommandResult};
use super::sink::{OutputSink, Stream};

/// How long output is still read after a command exits: what it wrote is
/// already in the pipes, so only a process that escaped its group and kept
/// them open makes this wait out.
const DRAIN_GRACE: Duration = Duration::from_secs(2);

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

/// A command's process group, killed when this is dropped.
struct ProcessGroup(Option<Pid>);

impl ProcessGroup {
    /// Sends SIGKILL to every process in the group. A group that is already
    /// gone is not an error.
    fn kill(&self) {
        if let Some(pid) = self.0 {
            let _ = kill_process_group(pid, Signal::KILL);
        }
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        self.kill();
    }
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
        // Its own group, so everything it starts can be killed with it.
        .process_group(0)
        .kill_on_drop(true);
    let spawn_error = |what: String| CommandError::SpawnFailed(what);
    let mut child = command.spawn().map_err(|e| {
        spawn_error(format!(
            "cannot start {} in {}: {e}",
            spec.program.display(),
            spec.dir.display()
        ))
    })?;
    // The group id is the leader's pid. Pid 1 would mean every process
    // (kill(-1)), so it is never signalled as a group.
    let group = ProcessGroup(
        child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .filter(|&id| id > 1)
            .and_then(Pid::from_raw),
    );

    if let (Some(bytes), Some(mut stdin)) = (spec.stdin, child.stdin.take()) {
        // A process that exits without reading its input is not an error.
        tokio::spawn(async move {
            let _ = stdin.write_all(&bytes).await;
        });
    }

    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(spawn_error(format!(
            "{} started without its output pipes",
            spec.program.display()
        )));
    };
    let budget = Budget::new(spec.output_limit);
    let echo = spec.stream_output.then_some((sink, spec.mixin));
    let (exited_tx, exited) = watch::channel(false);
    let waiting = async {
        let status = child.wait().await;
        // The command is done: whatever it left running goes now.
        group.kill();
        let _ = exited_tx.send(true);
        status
    };
    let pumping = async {
        tokio::join!(
            pump(
                stdout,
                Stream::Stdout,
                &budget,
                &group,
                exited.clone(),
                echo.clone()
            ),
            pump(
                stderr,
                Stream::Stderr,
                &budget,
                &group,
                exited.clone(),
                echo
            ),
        )
    };
    let (status, (out, err)) = tokio::join!(waiting, pumping);
    if budget.exceeded() {
        return Err(CommandError::OutputTooLarge(spec.output_limit));
    }
    let status =
        status.map_err(|e| spawn_error(format!("waiting for {}: {e}", spec.program.display())))?;
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

/// Reads a pipe to its end, echoing and capturing what arrives. Stops when
/// the budget is used up (killing the command's group at once, so it cannot
/// go on writing), or a grace period after the command exited.
async fn pump(
    mut pipe: impl AsyncRead + Unpin,
    stream: Stream,
    budget: &Budget,
    group: &ProcessGroup,
    mut exited: watch::Receiver<bool>,
    echo: Option<(Arc<dyn OutputSink>, &str)>,
) -> Vec<u8> {
    let mut captured = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let give_up = async move {
        if exited.wait_for(|done| *done).await.is_ok() {
            tokio::time::sleep(DRAIN_GRACE).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::pin!(give_up);
    loop {
        let n = tokio::select! {
            read = pipe.read(&mut buf) => match read {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            },
            () = &mut give_up => break,
        };
        if budget.exceeded() || !budget.take(n) {
            group.kill();
            break;
        }
        if let Some((sink, mixin)) = &echo {
            sink.output(mixin, stream, &buf[..n]);
        }
        captured.extend_from_slice(&buf[..n]);
    }
    captured
}
