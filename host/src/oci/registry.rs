//! A registry client that trusts nothing it is sent.
//!
//! Every manifest and blob is hashed on arrival and refused unless it is the
//! digest the reference, the manifest or the registry's
//! `Docker-Content-Digest` names; every blob is capped before and while it
//! downloads, so a hostile registry can neither substitute content nor fill
//! the disk. Plain HTTP is spoken only to loopback registries (a local test
//! registry needs no TLS, and its traffic never leaves the machine) or those
//! the operator names; everything else is HTTPS. Credentials come from
//! Docker's config ([`super::auth`]), looked up once per registry. Errors
//! ([`RegistryError`]) say what failed and what to do.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt as _;
use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::OciDistributionError;
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};

use super::auth::DockerConfig;
use super::media_types;
use crate::digest::Digest;
use crate::progress::{NoProgress, Progress, ProgressTask};

mod error;
mod traced;

pub use error::{Problem, RegistryError};
use error::{chain, classify, failed, is_digest_error};

/// The default cap on one blob: 2 GiB.
pub const DEFAULT_MAX_BLOB_BYTES: u64 = 2 << 30;
/// Manifests are small JSON documents; anything bigger is not one.
const MAX_MANIFEST_BYTES: usize = 4 << 20;
/// The piece size of uploads, and so of upload progress.
const PUSH_PIECE_BYTES: usize = 1 << 20;
/// Tags asked for per page of a tag listing.
const TAGS_PAGE: usize = 1000;
/// Every manifest type, for callers that accept any.
const ANY_MANIFEST: &[&str] = &[
    media_types::OCI_MANIFEST,
    media_types::OCI_INDEX,
    media_types::DOCKER_MANIFEST,
    media_types::DOCKER_MANIFEST_LIST,
];

/// How a [`Registry`] behaves.
#[derive(Clone)]
pub struct RegistryOptions {
    /// Registries (`host` or `host:port`) allowed plain HTTP besides
    /// loopback ones.
    pub insecure: Vec<String>,
    /// The largest blob accepted.
    pub max_blob_bytes: u64,
    /// Where blob transfers, and the Docker pushes and pulls done for
    /// this registry, report their progress.
    pub progress: Arc<dyn Progress>,
}

impl std::fmt::Debug for RegistryOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryOptions")
            .field("insecure", &self.insecure)
            .field("max_blob_bytes", &self.max_blob_bytes)
            .finish_non_exhaustive()
    }
}

impl Default for RegistryOptions {
    fn default() -> Self {
        Self {
            insecure: Vec::new(),
            max_blob_bytes: DEFAULT_MAX_BLOB_BYTES,
            progress: Arc::new(NoProgress),
        }
    }
}

/// A manifest as the registry sent it, verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PulledManifest {
    /// The exact bytes, whose sha256 is `digest`.
    pub bytes: Vec<u8>,
    /// The digest of `bytes`.
    pub digest: Digest,
    /// The manifest's media type.
    pub media_type: String,
}

/// A registry client. Clones share connections and credentials.
#[derive(Clone)]
pub struct Registry {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Registry {
    /// The options only: clients and credentials stay out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

struct Inner {
    options: RegistryOptions,
    docker: DockerConfig,
    endpoints: Mutex<HashMap<String, Endpoint>>,
}

/// One registry's client and credentials.
#[derive(Clone)]
struct Endpoint {
    client: Client,
    auth: RegistryAuth,
}

impl Registry {
    /// A client with Docker's credentials from the environment.
    pub fn new(options: RegistryOptions) -> Self {
        Self::with_docker_config(options, DockerConfig::from_env())
    }

    /// A client with credentials from `docker`.
    pub fn with_docker_config(options: RegistryOptions, docker: DockerConfig) -> Self {
        // oci-client is built without a TLS provider; ring is the process's.
        let _ = rustls::crypto::ring::default_provider().install_default();
        Self {
            inner: Arc::new(Inner {
                options,
                docker,
                endpoints: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Parses an OCI reference, with an error that shows the expected form.
    pub fn parse_reference(text: &str) -> Result<Reference, RegistryError> {
        text.trim().parse().map_err(
            |e: oci_client::ParseError| RegistryError::InvalidReference {
                text: text.to_string(),
                reason: e.to_string(),
            },
        )
    }

    /// Whether `registry` (`host[:port]`) is spoken to over plain HTTP.
    pub fn allows_plain_http(&self, registry: &str) -> bool {
        let host = host_of(registry);
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        bare.eq_ignore_ascii_case("localhost")
            || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
            || self.inner.options.insecure.iter().any(|allowed| {
                let allowed = allowed
                    .trim_start_matches("http://")
                    .trim_start_matches("https://")
                    .trim_end_matches('/');
                allowed.eq_ignore_ascii_case(registry) || allowed.eq_ignore_ascii_case(host)
            })
    }

    /// [`Registry::pull_manifest`], without its diagnostics event.
    async fn pull_manifest_untraced(
        &self,
        r: &Reference,
        accepted_media_types: &[&str],
    ) -> Result<PulledManifest, RegistryError> {
        let fail = |problem| {
            failed(
                format!("pull the manifest {} of", version_of(r)),
                r,
                problem,
            )
        };
        let endpoint = self.endpoint(r.resolve_registry()).await.map_err(fail)?;
        let accepted = if accepted_media_types.is_empty() {
            ANY_MANIFEST
        } else {
            accepted_media_types
        };
        let (body, _) = endpoint
            .client
            .pull_manifest_raw(r, &endpoint.auth, accepted)
            .await
            .map_err(|e| fail(classify(e, r, "the manifest")))?;
        if body.len() > MAX_MANIFEST_BYTES {
            return Err(fail(Problem::TooLarge {
                what: "the manifest".into(),
                limit: MAX_MANIFEST_BYTES as u64,
            }));
        }
        let digest = Digest::of(&body);
        if let Some(expected) = r.digest().filter(|d| d.starts_with("sha256:"))
            && digest != expected
        {
            return Err(fail(Problem::DigestMismatch {
                what: "the manifest".into(),
                expected: expected.into(),
                actual: digest.to_string(),
            }));
        }
        let media_type = manifest_media_type(&body).map_err(|e| fail(Problem::BadManifest(e)))?;
        if !accepted.contains(&media_type.as_str()) {
            return Err(fail(Problem::UnexpectedMediaType {
                found: media_type,
                accepted: accepted.join(", "),
            }));
        }
        Ok(PulledManifest {
            bytes: body.to_vec(),
            digest,
            media_type,
        })
    }

    /// [`Registry::pull_blob`], without its diagnostics event.
    async fn pull_blob_untraced(
        &self,
        r: &Reference,
        digest: &str,
        expected_size: Option<u64>,
    ) -> Result<Vec<u8>, RegistryError> {
        let fail = |problem| failed(format!("pull blob {digest} from"), r, problem);
        if !Digest::is_valid(digest) {
            return Err(fail(Problem::InvalidDigest(digest.into())));
        }
        let cap = self.inner.options.max_blob_bytes;
        let too_large = || {
            fail(Problem::TooLarge {
                what: format!("blob {digest}"),
                limit: cap,
            })
        };
        if expected_size.is_some_and(|size| size > cap) {
            return Err(too_large());
        }
        let limit = expected_size.unwrap_or(cap);
        let endpoint = self.endpoint(r.resolve_registry()).await.map_err(fail)?;
        let mut stream = endpoint
            .client
            .pull_blob_stream(r, digest)
            .await
            .map_err(|e| fail(classify(e, r, "the blob")))?;
        let size_error = |actual: u64| match expected_size {
            Some(expected) if actual <= cap => fail(Problem::SizeMismatch { expected, actual }),
            _ => too_large(),
        };
        if let Some(length) = stream.content_length.filter(|&l| l > limit) {
            return Err(size_error(length));
        }
        let bar = self.progress_task(stream.content_length.or(expected_size), "pulling", digest);
        let mut hasher = Digest::hasher();
        let mut bytes = Vec::with_capacity(limit.min(64 << 20) as usize);
        while let Some(piece) = stream.next().await {
            match piece {
                Ok(piece) => {
                    let received = (bytes.len() + piece.len()) as u64;
                    if received > limit {
                        bar.finish();
                        return Err(size_error(received));
                    }
                    hasher.update(&piece);
                    bytes.extend_from_slice(&piece);
                    bar.inc(piece.len() as u64);
                }
                // oci-client's own check; the one below names both digests.
                Err(e) if is_digest_error(&e) => break,
                Err(e) => {
                    bar.finish();
                    return Err(fail(Problem::Other(format!(
                        "the download broke off: {}",
                        chain(&e)
                    ))));
                }
            }
        }
        bar.finish();
        let actual = hasher.finish().to_string();
        if actual != digest {
            return Err(fail(Problem::DigestMismatch {
                what: "the blob".into(),
                expected: digest.into(),
                actual,
            }));
        }
        if expected_size.is_some_and(|e| e != bytes.len() as u64) {
            return Err(size_error(bytes.len() as u64));
        }
        Ok(bytes)
    }

    /// [`Registry::push_blob`], without its diagnostics event.
    async fn push_blob_untraced(
        &self,
        r: &Reference,
        bytes: &[u8],
    ) -> Result<String, RegistryError> {
        let fail = |problem| failed("push to".into(), r, problem);
        let digest = Digest::of(bytes).to_string();
        let endpoint = self.endpoint(r.resolve_registry()).await.map_err(fail)?;
        let client = &endpoint.client;
        let refused = |e| fail(classify(e, r, "the blob"));
        if client.blob_exists(r, &digest).await.map_err(refused)? {
            return Ok(digest);
        }
        let bar: Arc<dyn ProgressTask> = self
            .progress_task(Some(bytes.len() as u64), "pushing", &digest)
            .into();
        let data = bytes::Bytes::copy_from_slice(bytes);
        let pieces: Vec<_> = (0..data.len())
            .step_by(PUSH_PIECE_BYTES)
            .map(|start| Ok(data.slice(start..data.len().min(start + PUSH_PIECE_BYTES))))
            .collect();
        let ticker = bar.clone();
        let stream = futures_util::stream::iter(pieces).inspect(move |piece| {
            if let Ok(piece) = piece {
                ticker.inc(piece.len() as u64);
            }
        });
        let pushed = client
            .push_blob_stream(r, stream, &digest, Some(bytes.len() as u64))
            .await;
        bar.finish();
        match pushed {
            Ok(_) => Ok(digest),
            // A registry that mishandles chunked uploads gets one PUT
            // (push_blob falls back to it).
            Err(OciDistributionError::SpecViolationError(_)) => {
                client.push_blob(r, data, &digest).await.map_err(refused)?;
                Ok(digest)
            }
            Err(e) => Err(refused(e)),
        }
    }

    /// [`Registry::push_manifest`], without its diagnostics event.
    async fn push_manifest_untraced(
        &self,
        r: &Reference,
        bytes: &[u8],
        media_type: &str,
    ) -> Result<Digest, RegistryError> {
        let fail = |problem| {
            failed(
                format!("push the manifest {} to", version_of(r)),
                r,
                problem,
            )
        };
        let digest = Digest::of(bytes);
        if let Some(expected) = r.digest().filter(|&d| digest != d) {
            return Err(fail(Problem::DigestMismatch {
                what: "the manifest to push".into(),
                expected: expected.into(),
                actual: digest.to_string(),
            }));
        }
        let content_type = media_type.parse().map_err(|_| {
            fail(Problem::Other(format!(
                "{media_type:?} is not a media type"
            )))
        })?;
        // oci-client derives a manifest's URL from a missing Location header
        // by cutting the tag off the URL it pushed to, so a push by digest
        // names the digest as the "tag" to keep that path sound.
        let target = match r.digest() {
            Some(d) => Reference::with_tag(r.registry().into(), r.repository().into(), d.into()),
            None => r.clone(),
        };
        let endpoint = self.endpoint(r.resolve_registry()).await.map_err(fail)?;
        endpoint
            .client
            .push_manifest_raw(&target, bytes.to_vec(), content_type)
            .await
            .map_err(|e| fail(classify(e, r, "the manifest")))?;
        Ok(digest)
    }

    /// [`Registry::list_tags`], without its diagnostics event.
    async fn list_tags_untraced(&self, r: &Reference) -> Result<Vec<String>, RegistryError> {
        let fail = |problem| failed("list the tags of".into(), r, problem);
        let endpoint = self.endpoint(r.resolve_registry()).await.map_err(fail)?;
        let mut tags = Vec::new();
        let mut last: Option<String> = None;
        loop {
            let page = endpoint
                .client
                .list_tags(r, &endpoint.auth, Some(TAGS_PAGE), last.as_deref())
                .await
                .map_err(|e| fail(classify(e, r, "the tag list")))?;
            let (count, page_last) = (page.tags.len(), page.tags.last().cloned());
            tags.extend(page.tags);
            // A registry that ignores `last` would repeat the same page.
            if count < TAGS_PAGE || page_last.is_none() || page_last == last {
                break;
            }
            last = page_last;
        }
        tags.sort();
        tags.dedup();
        Ok(tags)
    }

    /// [`Registry::manifest_digest`], without its diagnostics event.
    async fn manifest_digest_untraced(
        &self,
        r: &Reference,
    ) -> Result<Option<String>, RegistryError> {
        let fail = |problem| failed(format!("look up {} in", version_of(r)), r, problem);
        let endpoint = self.endpoint(r.resolve_registry()).await.map_err(fail)?;
        match endpoint
            .client
            .fetch_manifest_digest(r, &endpoint.auth)
            .await
        {
            Ok(digest) => Ok(Some(digest)),
            Err(e) => match classify(e, r, "the manifest") {
                Problem::NotFound => Ok(None),
                problem => Err(fail(problem)),
            },
        }
    }

    /// The username and password Docker has for `registry`, for callers
    /// that push through the Docker Engine; `None` when anonymous or when
    /// the credentials cannot be read. Synchronous, as the Engine's API
    /// takes them up front; a credential helper may run.
    pub fn docker_credentials(&self, registry: &str) -> Option<(String, String)> {
        if let Some(endpoint) = self.endpoints().get(registry) {
            return match &endpoint.auth {
                RegistryAuth::Basic(username, password) => {
                    Some((username.clone(), password.clone()))
                }
                _ => None,
            };
        }
        let found = self.inner.docker.credentials(registry).ok()??;
        Some((found.username, found.password))
    }

    /// The client and credentials for `registry`, made on first use.
    async fn endpoint(&self, registry: &str) -> Result<Endpoint, Problem> {
        if let Some(found) = self.endpoints().get(registry) {
            return Ok(found.clone());
        }
        let docker = self.inner.docker.clone();
        let name = registry.to_string();
        let credentials = tokio::task::spawn_blocking(move || docker.credentials(&name))
            .await
            .map_err(|e| Problem::Other(format!("the credential lookup stopped: {e}")))??;
        let auth = match credentials {
            Some(c) => RegistryAuth::Basic(c.username, c.password),
            None => RegistryAuth::Anonymous,
        };
        let protocol = if self.allows_plain_http(registry) {
            ClientProtocol::HttpsExcept(vec![registry.to_string()])
        } else {
            ClientProtocol::Https
        };
        let client = Client::try_from(ClientConfig {
            protocol,
            connect_timeout: Some(Duration::from_secs(30)),
            read_timeout: Some(Duration::from_secs(300)),
            user_agent: concat!("wharf/", env!("CARGO_PKG_VERSION")),
            ..ClientConfig::default()
        })
        .map_err(|e| Problem::Other(format!("cannot set up the HTTP client: {e}")))?;
        // Blob calls take no credentials of their own; they use these.
        client.store_auth_if_needed(registry, &auth).await;
        let endpoint = Endpoint { client, auth };
        self.endpoints()
            .insert(registry.to_string(), endpoint.clone());
        Ok(endpoint)
    }

    fn endpoints(&self) -> std::sync::MutexGuard<'_, HashMap<String, Endpoint>> {
        self.inner
            .endpoints
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Where this client reports progress: blob transfers, and the
    /// Docker Engine's pushes and pulls for this registry
    /// ([`super::docker_images`]).
    pub fn progress(&self) -> &dyn Progress {
        self.inner.options.progress.as_ref()
    }

    /// A byte-counting task for one blob transfer.
    fn progress_task(
        &self,
        length: Option<u64>,
        verb: &str,
        digest: &str,
    ) -> Box<dyn ProgressTask> {
        let short = digest.get(..19).unwrap_or(digest);
        self.progress().start(&format!("{verb} {short}"), length)
    }
}

/// The tag or digest of `r`, for messages.
fn version_of(r: &Reference) -> &str {
    r.digest().or(r.tag()).unwrap_or("latest")
}

/// `registry` without its port.
fn host_of(registry: &str) -> &str {
    if registry.starts_with('[') {
        return registry.find(']').map_or(registry, |end| &registry[..=end]);
    }
    match registry.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => registry,
    }
}

/// A manifest's `mediaType`, or the type its shape implies when it has
/// none (the field is optional in OCI manifests).
fn manifest_media_type(body: &[u8]) -> Result<String, String> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let object = value.as_object().ok_or("it is not a JSON object")?;
    Ok(match object.get("mediaType") {
        Some(serde_json::Value::String(media_type)) => media_type.clone(),
        Some(_) => return Err("its mediaType is not a string".into()),
        None if object.contains_key("manifests") => media_types::OCI_INDEX.into(),
        None => media_types::OCI_MANIFEST.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry(insecure: &[&str]) -> Registry {
        let dir = std::env::temp_dir().join("wharf-no-docker-config");
        Registry::with_docker_config(
            RegistryOptions {
                insecure: insecure.iter().map(|s| s.to_string()).collect(),
                ..RegistryOptions::default()
            },
            DockerConfig::new(dir, None),
        )
    }

    #[test]
    fn plain_http_only_for_loopback_and_named_registries() {
        let r = registry(&["registry.lan:5000", "http://plain.example.com"]);
        for plain in [
            "localhost",
            "localhost:5000",
            "127.0.0.1:5000",
            "127.1.2.3",
            "[::1]:5000",
            "registry.lan:5000",
            "plain.example.com:443",
        ] {
            assert!(r.allows_plain_http(plain), "{plain}");
        }
        for tls in [
            "ghcr.io",
            "registry.lan:6000",
            "10.0.0.1:5000",
            "localhost.evil.com",
        ] {
            assert!(!r.allows_plain_http(tls), "{tls}");
        }
    }

    #[test]
    fn manifest_media_types_come_from_the_body() {
        let oci =
            br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#;
        assert_eq!(manifest_media_type(oci).unwrap(), media_types::OCI_MANIFEST);
        assert_eq!(
            manifest_media_type(br#"{"schemaVersion":2,"manifests":[]}"#).unwrap(),
            media_types::OCI_INDEX
        );
        assert!(manifest_media_type(b"[1]").is_err());
        assert!(manifest_media_type(b"\xff").is_err());
    }

    #[tokio::test]
    async fn bad_digests_and_oversized_blobs_are_refused_before_any_request() {
        let r = Registry::parse_reference("127.0.0.1:9/mixins/exec:1.0.0").unwrap();
        let registry = Registry::with_docker_config(
            RegistryOptions {
                max_blob_bytes: 10,
                ..RegistryOptions::default()
            },
            DockerConfig::new(std::env::temp_dir().join("wharf-no-docker-config"), None),
        );
        let err = registry
            .pull_blob(&r, "sha256:../../x", None)
            .await
            .unwrap_err();
        assert!(
            matches!(err.problem(), Some(Problem::InvalidDigest(_))),
            "{err}"
        );
        let digest = Digest::of(b"x").to_string();
        let err = registry.pull_blob(&r, &digest, Some(11)).await.unwrap_err();
        assert!(
            matches!(err.problem(), Some(Problem::TooLarge { .. })),
            "{err}"
        );
    }
}
