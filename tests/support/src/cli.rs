//! Running the `wharf` binary the way an operator does, for end-to-end
//! tests: one scratch `WHARF_HOME`, one working directory, the static
//! runtime, and a transcript of every command's output, so a test can
//! search all of it for values that must never appear.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;

use crate::docker::ensure_docker;
use crate::runtime::runtime_binary;

/// One command's result as text.
#[derive(Debug, Clone)]
pub struct Ran {
    pub args: Vec<String>,
    pub success: bool,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    /// Panics with both streams unless the command succeeded.
    #[track_caller]
    pub fn ok(self) -> Self {
        assert!(
            self.success,
            "wharf {:?} failed:\n--- stdout\n{}\n--- stderr\n{}",
            self.args, self.stdout, self.stderr
        );
        self
    }

    /// Panics unless the command failed.
    #[track_caller]
    pub fn failed(self) -> Self {
        assert!(
            !self.success,
            "wharf {:?} should have failed:\n--- stdout\n{}\n--- stderr\n{}",
            self.args, self.stdout, self.stderr
        );
        self
    }

    /// Stdout read as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "wharf {:?} printed no JSON ({e}):\n{}",
                self.args, self.stdout
            )
        })
    }
}

/// The `wharf` binary with its own home, run in one directory.
pub struct Wharf {
    binary: PathBuf,
    pub home: tempfile::TempDir,
    pub dir: PathBuf,
    docker_host: Option<String>,
    transcript: Mutex<Vec<u8>>,
}

impl Wharf {
    /// `binary` (a test's `env!("CARGO_BIN_EXE_wharf")`) with an empty
    /// home, working in `dir`. Docker must be up.
    pub fn new(binary: &str, dir: &Path) -> Self {
        let docker = ensure_docker();
        Self {
            binary: PathBuf::from(binary),
            home: crate::scratch_dir(),
            dir: dir.to_path_buf(),
            docker_host: Some(docker.docker_host()),
            transcript: Mutex::new(Vec::new()),
        }
    }

    /// Aims the commands at another Docker endpoint (a counting proxy).
    pub fn with_docker_host(&mut self, docker_host: String) {
        self.docker_host = Some(docker_host);
    }

    /// Runs `wharf ARGS` and records its output in the transcript.
    pub fn run(&self, args: &[&str]) -> Ran {
        self.run_with_env(args, &[])
    }

    /// The command `wharf ARGS` as [`run`](Self::run) starts it, for a
    /// test that needs the process itself (to signal it).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.binary);
        command
            .args(args)
            .current_dir(&self.dir)
            .env("WHARF_HOME", self.home.path())
            .env("WHARF_RUNTIME", runtime_binary())
            .stdin(Stdio::null());
        if let Some(host) = &self.docker_host {
            command.env("DOCKER_HOST", host);
        }
        command
    }

    /// Runs `wharf ARGS` with extra environment variables.
    pub fn run_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Ran {
        let mut command = self.command(args);
        for (k, v) in env {
            command.env(k, v);
        }
        let out: Output = command.output().expect("the wharf binary runs");
        let mut transcript = self.transcript.lock().unwrap();
        transcript.extend_from_slice(&out.stdout);
        transcript.extend_from_slice(&out.stderr);
        Ran {
            args: args.iter().map(|s| s.to_string()).collect(),
            success: out.status.success(),
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Everything every command printed so far.
    pub fn transcript(&self) -> Vec<u8> {
        self.transcript.lock().unwrap().clone()
    }

    /// The installation database file.
    pub fn database(&self) -> PathBuf {
        self.home.path().join("wharf.db")
    }
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &str) -> bool {
    !needle.is_empty()
        && haystack
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
}

/// Every regular file under `dir` whose bytes contain `needle`, skipping
/// directories named in `except`.
pub fn files_containing(dir: &Path, needle: &str, except: &[&str]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !except.contains(&name.as_str()) {
                found.extend(files_containing(&path, needle, except));
            }
        } else if std::fs::read(&path).is_ok_and(|bytes| contains(&bytes, needle)) {
            found.push(path);
        }
    }
    found
}

/// Writes `text` to `dir/name`; scripts (`*.sh`) are made executable.
pub fn write_file(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    #[cfg(unix)]
    if name.ends_with(".sh") {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

/// A bundle directory on the busybox base: `porter.yaml` is `manifest`
/// after a header naming the bundle and the exec mixin, the Dockerfile
/// template copies the bundle's files in, and `files` are written beside.
pub fn busybox_bundle(name: &str, manifest: &str, files: &[(&str, &str)]) -> tempfile::TempDir {
    busybox_bundle_at("1.0.1", name, "0.1.0", manifest, files)
}

/// [`busybox_bundle`] with the manifest's `schemaVersion` and the bundle's
/// `version` chosen.
pub fn busybox_bundle_at(
    schema: &str,
    name: &str,
    version: &str,
    manifest: &str,
    files: &[(&str, &str)],
) -> tempfile::TempDir {
    let dir = crate::scratch_dir();
    let header = format!(
        "schemaVersion: {schema}\nname: {name}\nversion: {version}\n\
         dockerfile: Dockerfile.tmpl\nmixins:\n  - exec\n"
    );
    write_file(dir.path(), "porter.yaml", &format!("{header}{manifest}"));
    write_file(
        dir.path(),
        "Dockerfile.tmpl",
        &format!(
            "FROM {}\n# PORTER_INIT\n# PORTER_MIXINS\n\
             COPY --chown=65532:0 . ${{BUNDLE_DIR}}\n",
            crate::docker::BUSYBOX_IMAGE
        ),
    );
    for (file, text) in files {
        write_file(dir.path(), file, text);
    }
    dir
}

impl Wharf {
    /// The installation's runs, newest first
    /// (`wharf installations runs list NAME -o json`).
    #[track_caller]
    pub fn runs(&self, installation: &str) -> Vec<serde_json::Value> {
        let list = self
            .run(&["installations", "runs", "list", installation, "-o", "json"])
            .ok()
            .json();
        list.as_array().expect("runs list is a JSON array").clone()
    }

    /// The installation's outputs by name
    /// (`wharf installations outputs list NAME -o json`).
    #[track_caller]
    pub fn outputs(&self, installation: &str) -> BTreeMap<String, serde_json::Value> {
        let list = self
            .run(&[
                "installations",
                "outputs",
                "list",
                installation,
                "-o",
                "json",
            ])
            .ok()
            .json();
        list.as_array()
            .expect("outputs list is a JSON array")
            .iter()
            .map(|o| {
                (
                    o["name"].as_str().unwrap_or_default().to_string(),
                    o.clone(),
                )
            })
            .collect()
    }

    /// The text value of one of the installation's outputs.
    #[track_caller]
    pub fn output_text(&self, installation: &str, output: &str) -> String {
        let outputs = self.outputs(installation);
        let found = outputs.get(output).unwrap_or_else(|| {
            panic!("installation {installation} has no output {output}: {outputs:?}")
        });
        found["value"]
            .as_str()
            .unwrap_or_else(|| panic!("output {output} has no text value: {found}"))
            .to_string()
    }

    /// `wharf installations show NAME -o json`.
    #[track_caller]
    pub fn show(&self, installation: &str) -> serde_json::Value {
        self.run(&["installations", "show", installation, "-o", "json"])
            .ok()
            .json()
    }
}
