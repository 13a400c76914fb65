//! A real Docker daemon, with base images, for tests that build or run containers.
//!
//! There is no Docker Hub here: `scripts/base-images` makes the images locally
//! (a FROM-scratch busybox and a debootstrapped Debian tagged
//! `debian:stable-slim`, the image Porter's Dockerfiles start from), and
//! `scripts/dockerd` starts a daemon when none answers. Both are idempotent and
//! run once per test process. If either fails, the test panics with the
//! script's output: a test that needs Docker must not pass by skipping.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use crate::workspace_root;

/// The daemon's socket.
pub const SOCKET: &str = DockerEnv::SOCKET;
/// A tiny image with busybox's applets (`sh`, `ls`, `cat`, `echo`, ...).
pub const BUSYBOX_IMAGE: &str = DockerEnv::BUSYBOX_IMAGE;
/// Debian bookworm (minbase) whose containers reach the Debian archive, so
/// `apt-get update && apt-get install` works in a Dockerfile.
pub const DEBIAN_IMAGE: &str = DockerEnv::DEBIAN_IMAGE;

/// A running Docker daemon and the images tests may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerEnv {
    /// The daemon's Unix socket.
    pub socket: PathBuf,
}

impl DockerEnv {
    /// The daemon's socket.
    pub const SOCKET: &'static str = "/var/run/docker.sock";
    /// A tiny image with busybox's applets (`sh`, `ls`, `cat`, `echo`, ...).
    pub const BUSYBOX_IMAGE: &'static str = "wharf.test/busybox:latest";
    /// Debian bookworm (minbase); also tagged `wharf.test/debian:bookworm`.
    pub const DEBIAN_IMAGE: &'static str = "debian:stable-slim";

    /// The `DOCKER_HOST` value that reaches this daemon.
    pub fn docker_host(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    /// A `docker` CLI command aimed at this daemon, whatever `DOCKER_HOST` says.
    pub fn docker(&self) -> Command {
        let mut cmd = Command::new("docker");
        cmd.arg("--host").arg(self.docker_host());
        cmd
    }
}

/// Makes sure the daemon answers and the base images exist (once per process),
/// and describes them. Panics with the scripts' output if that fails.
pub fn ensure_docker() -> DockerEnv {
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    // Other threads wait here while the first one runs the scripts.
    if let Err(failure) = READY.get_or_init(|| {
        run_script("dockerd")?;
        run_script("base-images")
    }) {
        panic!("{failure}");
    }
    DockerEnv {
        socket: PathBuf::from(DockerEnv::SOCKET),
    }
}

fn run_script(name: &str) -> Result<(), String> {
    let script = workspace_root().join("scripts").join(name);
    // The scripts' own stdout/stderr are captured; the daemon they may start
    // writes to its log file, so this returns as soon as the script does.
    let out = Command::new(&script)
        .env("DOCKER_HOST", format!("unix://{}", DockerEnv::SOCKET))
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "{} failed ({}); tests that need Docker cannot run without it.\n\
         (scripts/setup-machine installs what it needs; it must run as root.)\n\
         --- stdout ---\n{}\n--- stderr ---\n{}",
        script.display(),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    ))
}
