//! Registry credentials, found where Docker keeps them.
//!
//! Operators already log in with `docker login`; reading the same
//! `config.json` (`$DOCKER_CONFIG/config.json` or `~/.docker/config.json`)
//! means Wharf needs no login of its own. The order is Docker's: a
//! registry's `credHelpers` entry, else the `credsStore`, else the inline
//! `auths` entry (also consulted when a helper has nothing for the
//! registry). No match means anonymous access.
//!
//! Where the config and the helpers are looked for is passed in
//! ([`DockerConfig::new`]) rather than read from the process environment at
//! each lookup, so tests can point at a scratch directory and a fake helper
//! without touching the environment other threads see.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine as _;
use serde_json::Value;

use crate::path_lookup::find_program;

/// A username and password (or token) for one registry.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The username.
    pub username: String,
    /// The password, token or secret.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    /// Never prints the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Why Docker's credentials could not be read.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The config file exists but cannot be read or parsed.
    #[error("cannot read Docker's config {}: {detail}; fix the file or run `docker login` again", path.display())]
    Config {
        /// The config file.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// The credential helper the config names is not installed.
    #[error(
        "Docker's config {} uses the credential helper docker-credential-{helper} for {registry}, \
         but it is not on PATH; install it, or remove it from the config and run `docker login {registry}`",
        config.display()
    )]
    HelperMissing {
        /// The helper's suffix (`desktop`, `pass`, ...).
        helper: String,
        /// The registry.
        registry: String,
        /// The config file that names it.
        config: PathBuf,
    },
    /// The credential helper ran but failed or answered nonsense.
    #[error(
        "docker-credential-{helper} get failed for {registry}: {detail}; run `docker login {registry}`"
    )]
    HelperFailed {
        /// The helper's suffix.
        helper: String,
        /// The registry.
        registry: String,
        /// What went wrong.
        detail: String,
    },
}

/// Where Docker's config file and credential helpers are.
#[derive(Debug, Clone)]
pub struct DockerConfig {
    dir: Option<PathBuf>,
    path: Option<OsString>,
}

impl DockerConfig {
    /// `$DOCKER_CONFIG`, else `~/.docker`, with helpers on `$PATH`.
    pub fn from_env() -> Self {
        let dir = std::env::var_os("DOCKER_CONFIG")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::home_dir().map(|home| home.join(".docker")));
        Self {
            dir,
            path: std::env::var_os("PATH"),
        }
    }

    /// The config in `dir` (holding `config.json`), with helpers searched
    /// for on `path` (a `PATH`-style list).
    pub fn new(dir: impl Into<PathBuf>, path: Option<OsString>) -> Self {
        Self {
            dir: Some(dir.into()),
            path,
        }
    }

    /// The credentials for `registry` (`host[:port]`, as in a reference),
    /// or `None` for anonymous access.
    pub fn credentials(&self, registry: &str) -> Result<Option<Credentials>, AuthError> {
        let Some(config_path) = self.dir.as_ref().map(|d| d.join("config.json")) else {
            tracing::debug!(
                registry,
                "registry credentials: none (no Docker config directory)"
            );
            return Ok(None);
        };
        let config = match std::fs::read(&config_path) {
            Ok(bytes) => {
                serde_json::from_slice::<Value>(&bytes).map_err(|e| AuthError::Config {
                    path: config_path.clone(),
                    detail: e.to_string(),
                })?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::debug!(
                    registry,
                    config = %config_path.display(),
                    "registry credentials: none (no Docker config)"
                );
                return Ok(None);
            }
            Err(e) => {
                return Err(AuthError::Config {
                    path: config_path,
                    detail: e.to_string(),
                });
            }
        };
        let key = server_key(registry);
        let helper = entry(&config, "credHelpers", &key)
            .or_else(|| config.get("credsStore"))
            .and_then(Value::as_str)
            .filter(|h| !h.is_empty());
        if let Some(helper) = helper {
            let found = self.run_helper(helper, registry, &config_path)?;
            // Where credentials came from, never what they are.
            let source = if entry(&config, "credHelpers", &key).is_some() {
                "credHelpers"
            } else {
                "credsStore"
            };
            tracing::debug!(
                registry,
                source,
                helper = %format_args!("docker-credential-{helper}"),
                found = found.is_some(),
                "registry credentials: asked the credential helper"
            );
            if found.is_some() {
                return Ok(found);
            }
        }
        let found = match entry(&config, "auths", &key) {
            Some(auth) => inline_credentials(auth, registry, &config_path)?,
            None => None,
        };
        let (source, outcome) = match found {
            Some(_) => ("auths", "from the config's auths"),
            None => ("none", "none, anonymous access"),
        };
        tracing::debug!(
            registry,
            source,
            config = %config_path.display(),
            "registry credentials: {outcome}"
        );
        Ok(found)
    }

    /// Runs `docker-credential-<helper> get` with the server address on
    /// stdin; `Ok(None)` when the helper has nothing for the registry.
    fn run_helper(
        &self,
        helper: &str,
        registry: &str,
        config: &Path,
    ) -> Result<Option<Credentials>, AuthError> {
        let failed = |detail: String| AuthError::HelperFailed {
            helper: helper.to_string(),
            registry: registry.to_string(),
            detail,
        };
        let program = format!("docker-credential-{helper}");
        let binary = self
            .path
            .as_deref()
            .and_then(|path| find_program(&program, path))
            .ok_or_else(|| AuthError::HelperMissing {
                helper: helper.to_string(),
                registry: registry.to_string(),
                config: config.to_path_buf(),
            })?;
        let mut child = Command::new(&binary)
            .arg("get")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| failed(format!("cannot start {}: {e}", binary.display())))?;
        if let Some(mut stdin) = child.stdin.take() {
            // A helper that exits without reading gives a broken pipe; its
            // exit status says what happened.
            let _ = stdin.write_all(helper_server_address(registry).as_bytes());
        }
        let output = child
            .wait_with_output()
            .map_err(|e| failed(e.to_string()))?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            // Docker's helpers say this (on stdout) when they have no entry.
            if stdout.contains("credentials not found") {
                return Ok(None);
            }
            let stderr = String::from_utf8_lossy(&output.stderr);
            return Err(failed(format!(
                "{}: {}",
                output.status,
                format!("{} {}", stdout.trim(), stderr.trim()).trim()
            )));
        }
        let reply: Value = serde_json::from_str(&stdout)
            .map_err(|e| failed(format!("its reply is not JSON ({e})")))?;
        let field = |name| reply.get(name).and_then(Value::as_str).unwrap_or("");
        let (username, password) = (field("Username"), field("Secret"));
        if username.is_empty() && password.is_empty() {
            return Ok(None);
        }
        Ok(Some(Credentials {
            username: username.to_string(),
            password: password.to_string(),
        }))
    }
}

/// An `auths` entry: `auth` (base64 of `user:password`) or `username` and
/// `password`. An entry with neither (what `docker login` leaves next to a
/// credential store) means nothing.
fn inline_credentials(
    auth: &Value,
    registry: &str,
    config: &Path,
) -> Result<Option<Credentials>, AuthError> {
    let field = |name| auth.get(name).and_then(Value::as_str).unwrap_or("");
    if let Some(encoded) = Some(field("auth")).filter(|a| !a.is_empty()) {
        let bad = |detail: &str| AuthError::Config {
            path: config.to_path_buf(),
            detail: format!("the auth of {registry} {detail}"),
        };
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|_| bad("is not base64"))?;
        let text = String::from_utf8(decoded).map_err(|_| bad("is not UTF-8"))?;
        let (username, password) = text
            .split_once(':')
            .ok_or_else(|| bad("is not `username:password`"))?;
        return Ok(Some(Credentials {
            username: username.to_string(),
            password: password.to_string(),
        }));
    }
    let (username, password) = (field("username"), field("password"));
    if username.is_empty() && password.is_empty() {
        return Ok(None);
    }
    Ok(Some(Credentials {
        username: username.to_string(),
        password: password.to_string(),
    }))
}

/// The entry of `section` whose key names the same server as `key`.
fn entry<'a>(config: &'a Value, section: &str, key: &str) -> Option<&'a Value> {
    config
        .get(section)?
        .as_object()?
        .iter()
        .find(|(k, _)| server_key(k) == key)
        .map(|(_, v)| v)
}

/// A config key or registry reduced to what identifies the server: no
/// scheme, no path, lowercase, with Docker Hub's aliases folded together
/// (`docker login` writes `https://index.docker.io/v1/`).
fn server_key(server: &str) -> String {
    let server = server.trim();
    let server = server
        .strip_prefix("https://")
        .or_else(|| server.strip_prefix("http://"))
        .unwrap_or(server);
    let host = server.split('/').next().unwrap_or("").to_ascii_lowercase();
    match host.as_str() {
        "docker.io" | "registry-1.docker.io" => "index.docker.io".into(),
        _ => host,
    }
}

/// What Docker passes a helper for `registry`.
fn helper_server_address(registry: &str) -> String {
    if server_key(registry) == "index.docker.io" {
        "https://index.docker.io/v1/".into()
    } else {
        registry.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    fn config_dir(config: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.json"), config).unwrap();
        dir
    }

    /// A `docker-credential-fake` that answers for `known` only, as
    /// Docker's helpers do.
    fn fake_helper(dir: &Path, known: &str) -> OsString {
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let script = bin.join("docker-credential-fake");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\n[ \"$1\" = get ] || exit 2\nread -r server\n\
                 if [ \"$server\" = '{known}' ]; then\n\
                 printf '{{\"ServerURL\":\"%s\",\"Username\":\"helper-user\",\"Secret\":\"helper-secret\"}}' \"$server\"\n\
                 else echo 'credentials not found in native keychain'; exit 1; fi\n"
            ),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        bin.into_os_string()
    }

    fn creds(user: &str, pass: &str) -> Option<Credentials> {
        Some(Credentials {
            username: user.into(),
            password: pass.into(),
        })
    }

    #[test]
    fn reads_inline_auths() {
        let encoded = base64::engine::general_purpose::STANDARD.encode("alice:s3cret");
        let dir = config_dir(&format!(
            r#"{{"auths": {{
                "https://registry.example.com/v1/": {{"auth": "{encoded}"}},
                "other.example.com:5000": {{"username": "bob", "password": "pw"}},
                "https://index.docker.io/v1/": {{"auth": "{encoded}"}}
            }}}}"#
        ));
        let docker = DockerConfig::new(dir.path(), None);
        let get = |r| docker.credentials(r).unwrap();
        assert_eq!(get("registry.example.com"), creds("alice", "s3cret"));
        assert_eq!(get("other.example.com:5000"), creds("bob", "pw"));
        assert_eq!(get("docker.io"), creds("alice", "s3cret"));
        assert_eq!(get("elsewhere.example.com"), None);
    }

    #[test]
    fn a_missing_config_means_anonymous() {
        let dir = tempfile::tempdir().unwrap();
        let docker = DockerConfig::new(dir.path(), None);
        assert_eq!(docker.credentials("ghcr.io").unwrap(), None);
    }

    #[test]
    fn credential_helpers_answer_for_their_registry() {
        let dir = config_dir(
            r#"{"credHelpers": {"ghcr.io": "fake"},
                "auths": {"quay.io": {"username": "q", "password": "p"}}}"#,
        );
        let path = fake_helper(dir.path(), "ghcr.io");
        let docker = DockerConfig::new(dir.path(), Some(path));
        assert_eq!(
            docker.credentials("ghcr.io").unwrap(),
            creds("helper-user", "helper-secret")
        );
        assert_eq!(docker.credentials("quay.io").unwrap(), creds("q", "p"));
    }

    #[test]
    fn the_creds_store_falls_back_to_auths_when_it_has_nothing() {
        let dir = config_dir(
            r#"{"credsStore": "fake",
                "auths": {"localhost:5000": {"username": "l", "password": "p"}, "ghcr.io": {}}}"#,
        );
        let path = fake_helper(dir.path(), "ghcr.io");
        let docker = DockerConfig::new(dir.path(), Some(path));
        assert_eq!(
            docker.credentials("ghcr.io").unwrap(),
            creds("helper-user", "helper-secret")
        );
        assert_eq!(
            docker.credentials("localhost:5000").unwrap(),
            creds("l", "p")
        );
        assert_eq!(docker.credentials("quay.io").unwrap(), None);
    }

    #[test]
    fn a_missing_helper_is_a_clear_error() {
        let dir = config_dir(r#"{"credsStore": "nowhere"}"#);
        let docker = DockerConfig::new(dir.path(), Some(OsString::from("/nonexistent")));
        let err = docker.credentials("ghcr.io").unwrap_err().to_string();
        assert!(err.contains("docker-credential-nowhere"), "{err}");
        assert!(err.contains("docker login ghcr.io"), "{err}");
    }

    #[test]
    fn a_damaged_config_is_a_clear_error() {
        let dir = config_dir("{not json");
        let docker = DockerConfig::new(dir.path(), None);
        let err = docker.credentials("ghcr.io").unwrap_err().to_string();
        assert!(err.contains("config.json"), "{err}");
        let dir = config_dir(r#"{"auths": {"ghcr.io": {"auth": "!!!"}}}"#);
        let docker = DockerConfig::new(dir.path(), None);
        let err = docker.credentials("ghcr.io").unwrap_err().to_string();
        assert!(err.contains("not base64"), "{err}");
    }

    #[test]
    fn lookups_log_where_credentials_came_from_but_never_what_they_are() {
        let encoded = base64::engine::general_purpose::STANDARD.encode("alice:s3cret");
        let dir = config_dir(&format!(
            r#"{{"credHelpers": {{"ghcr.io": "fake"}},
                "auths": {{"quay.io": {{"auth": "{encoded}"}}, "plain.example.com": {{"username": "bob", "password": "pw-bob"}}}}}}"#
        ));
        let path = fake_helper(dir.path(), "ghcr.io");
        let docker = DockerConfig::new(dir.path(), Some(path));
        let log = crate::test_logs::logged(|| {
            for registry in [
                "ghcr.io",
                "quay.io",
                "plain.example.com",
                "nowhere.example.com",
            ] {
                assert!(docker.credentials(registry).is_ok(), "{registry}");
            }
        });
        for expected in [
            "registry=\"ghcr.io\"",
            "source=\"credHelpers\"",
            "helper=docker-credential-fake",
            "registry=\"quay.io\"",
            "source=\"auths\"",
            "registry=\"nowhere.example.com\"",
            "none, anonymous access",
        ] {
            assert!(log.contains(expected), "{expected} missing from:\n{log}");
        }
        for secret in [
            "helper-user",
            "helper-secret",
            "alice",
            "s3cret",
            encoded.as_str(),
            "bob",
            "pw-bob",
        ] {
            assert!(!log.contains(secret), "{secret} logged:\n{log}");
        }
    }

    #[test]
    fn credentials_never_print_their_password() {
        let text = format!("{:?}", creds("u", "hunter2").unwrap());
        assert!(!text.contains("hunter2"), "{text}");
    }
}
