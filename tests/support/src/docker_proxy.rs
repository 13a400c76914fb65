//! A counting proxy in front of the Docker socket.
//!
//! Tests point `DOCKER_HOST` at the proxy to assert how many times Wharf
//! talked to Docker: an up-to-date build must make no call at all. Every
//! connection is counted and forwarded byte for byte to the real daemon.

use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

/// A running proxy. It stops accepting when dropped.
pub struct DockerProxy {
    socket: PathBuf,
    connections: Arc<AtomicUsize>,
    _dir: tempfile::TempDir,
}

impl DockerProxy {
    /// Starts a proxy in front of `upstream`.
    pub fn start(upstream: &Path) -> DockerProxy {
        let dir = crate::scratch_dir();
        let socket = dir.path().join("docker.sock");
        let listener = UnixListener::bind(&socket).expect("the proxy socket binds");
        let connections = Arc::new(AtomicUsize::new(0));
        let counter = connections.clone();
        let upstream = upstream.to_path_buf();
        thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { break };
                counter.fetch_add(1, Ordering::SeqCst);
                let Ok(server) = UnixStream::connect(&upstream) else {
                    continue;
                };
                pipe(client, server);
            }
        });
        DockerProxy {
            socket,
            connections,
            _dir: dir,
        }
    }

    /// The value for `DOCKER_HOST`.
    pub fn docker_host(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    /// How many connections Wharf has opened so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// Copies bytes both ways until either side closes.
fn pipe(client: UnixStream, server: UnixStream) {
    let copy = |mut from: UnixStream, mut to: UnixStream| {
        thread::spawn(move || {
            let mut buf = [0u8; 64 * 1024];
            while let Ok(n) = from.read(&mut buf) {
                if n == 0 || to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
            let _ = to.shutdown(std::net::Shutdown::Write);
        });
    };
    if let (Ok(c2), Ok(s2)) = (client.try_clone(), server.try_clone()) {
        copy(client, server);
        copy(s2, c2);
    }
}
