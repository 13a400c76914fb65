//! What goes wrong talking to a registry, in the operator's terms: every
//! error names the registry and repository, what failed, and what to do,
//! so the CLI prints it as it is. oci-client's errors are mapped here.

use oci_client::Reference;
use oci_client::errors::{DigestError, OciDistributionError, OciErrorCode};

use crate::oci::auth::AuthError;

/// A registry operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The text is not an OCI reference.
    #[error(
        "{text:?} is not an OCI reference ({reason}); write REGISTRY/REPOSITORY[:TAG][@sha256:DIGEST], \
         such as ghcr.io/wharf-sh/mixins/exec:v1.0.0"
    )]
    InvalidReference {
        /// What was given.
        text: String,
        /// Why it is not a reference.
        reason: String,
    },
    /// An operation on a repository failed.
    #[error("cannot {action} {target}: {problem}")]
    Failed {
        /// What was being done (`push to`, `pull blob sha256:… from`).
        action: String,
        /// `registry/repository`.
        target: String,
        /// What went wrong, and what to do.
        problem: Box<Problem>,
    },
}

impl RegistryError {
    /// What went wrong, for an operation that failed.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            Self::Failed { problem, .. } => Some(problem),
            Self::InvalidReference { .. } => None,
        }
    }
}

/// What went wrong in a registry operation, with what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    /// No connection could be made.
    #[error("{detail}; is the registry running, and are its address and port right?")]
    Unreachable {
        /// Why (`connection refused`, `timed out`, ...).
        detail: String,
    },
    /// The TLS handshake failed.
    #[error(
        "TLS failed ({detail}); if {registry} serves plain HTTP, pass --insecure-registry {registry}"
    )]
    Tls {
        /// The registry.
        registry: String,
        /// The TLS error.
        detail: String,
    },
    /// The registry wants credentials, or refused the ones sent.
    #[error("unauthorized; run `docker login {registry}` (Wharf uses Docker's credentials)")]
    Unauthorized {
        /// The registry.
        registry: String,
    },
    /// The credentials are valid but not allowed this.
    #[error(
        "access denied ({detail}); log in as an account that may use this repository with `docker login {registry}`"
    )]
    Denied {
        /// The registry.
        registry: String,
        /// The registry's message.
        detail: String,
    },
    /// The repository, tag, manifest or blob does not exist.
    #[error("not found; check the repository, tag and digest")]
    NotFound,
    /// Content that does not hash to the digest that names it.
    #[error(
        "{what} does not match its digest (it hashes to {actual}, not {expected}); \
         the registry's copy is damaged or was tampered with, so it was refused"
    )]
    DigestMismatch {
        /// What was checked.
        what: String,
        /// The digest it should have.
        expected: String,
        /// The digest it has.
        actual: String,
    },
    /// A blob or manifest over the size cap.
    #[error("{what} is larger than the {limit}-byte limit, so it was refused")]
    TooLarge {
        /// What was refused.
        what: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// A blob whose size is not the one its manifest declares.
    #[error("the blob is {actual} bytes but its manifest says {expected}, so it was refused")]
    SizeMismatch {
        /// The declared size.
        expected: u64,
        /// The received size.
        actual: u64,
    },
    /// A digest that is not `sha256:` and 64 hex digits.
    #[error("{0:?} is not a sha256 digest; the manifest naming it is damaged")]
    InvalidDigest(String),
    /// A manifest that is not valid JSON of the expected shape.
    #[error("the manifest is not valid: {0}")]
    BadManifest(String),
    /// A manifest of a media type the caller does not read.
    #[error(
        "the manifest is {found}, but Wharf expected one of {accepted}; is this the right reference?"
    )]
    UnexpectedMediaType {
        /// The manifest's media type.
        found: String,
        /// The accepted ones.
        accepted: String,
    },
    /// Docker's credentials could not be read.
    #[error(transparent)]
    Credentials(#[from] AuthError),
    /// Anything else the registry or the connection reported.
    #[error("{0}")]
    Other(String),
}

pub(super) fn failed(action: String, r: &Reference, problem: Problem) -> RegistryError {
    RegistryError::Failed {
        action,
        target: format!("{}/{}", r.registry(), r.repository()),
        problem: Box::new(problem),
    }
}

/// Turns oci-client's error into what it means for the operator.
pub(super) fn classify(error: OciDistributionError, r: &Reference, what: &str) -> Problem {
    let registry = r.registry().to_string();
    match error {
        OciDistributionError::UnauthorizedError { .. }
        | OciDistributionError::AuthenticationFailure(_) => Problem::Unauthorized { registry },
        OciDistributionError::RegistryError { envelope, .. } => {
            let detail = envelope
                .errors
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join("; ");
            match envelope.errors.first().map(|e| &e.code) {
                Some(OciErrorCode::Unauthorized) => Problem::Unauthorized { registry },
                Some(OciErrorCode::Denied) => Problem::Denied { registry, detail },
                Some(
                    OciErrorCode::BlobUnknown
                    | OciErrorCode::ManifestUnknown
                    | OciErrorCode::NameUnknown
                    | OciErrorCode::NotFound,
                ) => Problem::NotFound,
                _ => Problem::Other(format!("the registry refused: {detail}")),
            }
        }
        OciDistributionError::ServerError { code, message, .. } => match code {
            401 => Problem::Unauthorized { registry },
            403 => Problem::Denied {
                registry,
                detail: message,
            },
            404 => Problem::NotFound,
            _ => Problem::Other(format!("the registry answered HTTP {code}: {message}")),
        },
        OciDistributionError::DigestError(DigestError::VerificationError { expected, actual }) => {
            Problem::DigestMismatch {
                what: what.into(),
                expected,
                actual,
            }
        }
        OciDistributionError::RequestError(e) if e.is_connect() || e.is_timeout() => {
            let text = chain(&e);
            let lower = text.to_ascii_lowercase();
            if lower.contains("connection refused") {
                Problem::Unreachable {
                    detail: "connection refused".into(),
                }
            } else if ["certificate", "tls", "handshake", "corrupt message"]
                .iter()
                .any(|hint| lower.contains(hint))
            {
                Problem::Tls {
                    registry,
                    detail: text,
                }
            } else if lower.contains("dns error") {
                Problem::Unreachable {
                    detail: format!("cannot resolve the host name of {registry}"),
                }
            } else if e.is_timeout() {
                Problem::Unreachable {
                    detail: "the connection timed out".into(),
                }
            } else {
                Problem::Unreachable { detail: text }
            }
        }
        other => Problem::Other(chain(&other)),
    }
}

/// Whether a download stream's error is oci-client's digest check.
pub(super) fn is_digest_error(error: &std::io::Error) -> bool {
    error
        .get_ref()
        .is_some_and(|inner| inner.downcast_ref::<DigestError>().is_some())
}

/// An error and its causes, one line.
pub(super) fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::super::{Registry, RegistryOptions};
    use super::*;
    use crate::oci::auth::DockerConfig;

    fn registry() -> Registry {
        let dir = std::env::temp_dir().join("wharf-no-docker-config");
        Registry::with_docker_config(RegistryOptions::default(), DockerConfig::new(dir, None))
    }

    #[test]
    fn malformed_references_say_what_is_expected() {
        let err = Registry::parse_reference("Not A/Reference!!").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("is not an OCI reference"), "{text}");
        assert!(text.contains("REGISTRY/REPOSITORY"), "{text}");
        let ok = Registry::parse_reference("127.0.0.1:5000/mixins/exec:1.0.0").unwrap();
        assert_eq!(ok.registry(), "127.0.0.1:5000");
        assert_eq!(ok.repository(), "mixins/exec");
    }

    #[tokio::test]
    async fn a_stopped_registry_is_a_clear_error() {
        // Bind then drop a listener: the port is closed, so connecting is refused.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let r = Registry::parse_reference(&format!("127.0.0.1:{port}/mixins/exec:1.0.0")).unwrap();
        let err = registry().push_blob(&r, b"data").await.unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with(&format!(
                "cannot push to 127.0.0.1:{port}/mixins/exec: connection refused"
            )),
            "{text}"
        );
        assert!(text.contains("is the registry running"), "{text}");
    }

    #[test]
    fn refusals_say_how_to_log_in() {
        let r = Registry::parse_reference("registry.example.com/team/mixin:1").unwrap();
        let unauthorized = OciDistributionError::ServerError {
            code: 401,
            url: String::new(),
            message: String::new(),
        };
        let err = failed("push to".into(), &r, classify(unauthorized, &r, "the blob"));
        assert_eq!(
            err.to_string(),
            "cannot push to registry.example.com/team/mixin: unauthorized; \
             run `docker login registry.example.com` (Wharf uses Docker's credentials)"
        );
        let missing = OciDistributionError::ServerError {
            code: 404,
            url: String::new(),
            message: String::new(),
        };
        assert!(matches!(classify(missing, &r, "x"), Problem::NotFound));
    }
}
