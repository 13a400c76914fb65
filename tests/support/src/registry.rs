//! A real OCI registry for tests: Debian's `docker-registry` (distribution
//! 2.8) on 127.0.0.1, with its storage in a temporary directory the test
//! can inspect and tamper with.
//!
//! A real registry rather than a mock, so the tests exercise what Wharf
//! meets in the field: chunked uploads, `Docker-Content-Digest`, error
//! envelopes. The binary is installed by `scripts/setup-machine`; a test
//! that needs it panics without it rather than passing by skipping.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where `scripts/setup-machine` installs the registry.
pub const REGISTRY_BINARY: &str = "/usr/bin/docker-registry";

/// A running registry, killed when dropped.
pub struct TestRegistry {
    port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl TestRegistry {
    /// Starts a registry on a free loopback port with empty storage.
    pub fn start() -> TestRegistry {
        assert!(
            Path::new(REGISTRY_BINARY).exists(),
            "{REGISTRY_BINARY} is missing; the registry tests need it. \
             Run scripts/setup-machine (as root), which installs Debian's docker-registry package."
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let mut registry = TestRegistry {
            port,
            dir: crate::scratch_dir(),
            child: None,
        };
        registry.start_again();
        registry
    }

    /// `127.0.0.1:PORT`, the registry part of a reference.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The registry's storage root: blobs live under
    /// `docker/registry/v2/blobs/sha256/<xx>/<hex>/data`.
    pub fn storage(&self) -> &Path {
        self.dir.path()
    }

    /// The file holding blob `digest` (`sha256:<hex>`) in the storage.
    pub fn blob_path(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
        self.storage()
            .join("docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }

    /// Stops the registry; its port is then closed.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the registry again on the same port with the same storage
    /// (after [`stop`](Self::stop); a running one is stopped first).
    pub fn start_again(&mut self) {
        self.stop();
        let config = self.dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\n\
                 log:\n  level: error\n  accesslog:\n    disabled: true\n\
                 storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n\
                 http:\n  addr: 127.0.0.1:{}\n",
                self.dir.path().display(),
                self.port
            ),
        )
        .expect("the registry config is written");
        let log = std::fs::File::create(self.dir.path().join("registry.log"))
            .expect("the registry log is created");
        let child = Command::new(REGISTRY_BINARY)
            .arg("serve")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("the log file is cloned"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {REGISTRY_BINARY}: {e}"));
        self.child = Some(child);
        self.wait_until_ready();
    }

    /// Waits until `GET /v2/` answers, or panics with the registry's log.
    fn wait_until_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!(
                    "{REGISTRY_BINARY} exited ({status}) before it was ready:\n{}",
                    self.log()
                );
            }
            if self.answers() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "{REGISTRY_BINARY} did not answer on {} within 30 s:\n{}",
            self.host(),
            self.log()
        );
    }

    /// Whether `GET /v2/` gets an HTTP 200.
    fn answers(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        let request = format!(
            "GET /v2/ HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.host()
        );
        let mut reply = String::new();
        stream.write_all(request.as_bytes()).is_ok()
            && stream.read_to_string(&mut reply).is_ok()
            && reply.starts_with("HTTP/1.1 200")
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        self.stop();
    }
}
