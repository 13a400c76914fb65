//! The registry's public calls, each reported as one `tracing` event when
//! it ends: what was asked of which registry and repository, how it went,
//! and how long it took. `WHARF_LOG=wharf::oci=debug` shows them, which is
//! what a person needs to see why a publish is slow or which request a
//! registry refused. Only names, digests and sizes are logged; credentials
//! never pass through here.

use std::time::Instant;

use oci_client::Reference;

use super::{PulledManifest, Registry, RegistryError, version_of};
use crate::digest::Digest;

impl Registry {
    /// Pulls a manifest of one of `accepted_media_types` (any manifest when
    /// empty), refusing bytes that do not match the reference's digest or
    /// the registry's `Docker-Content-Digest`.
    pub async fn pull_manifest(
        &self,
        r: &Reference,
        accepted_media_types: &[&str],
    ) -> Result<PulledManifest, RegistryError> {
        let started = Instant::now();
        let pulled = self.pull_manifest_untraced(r, accepted_media_types).await;
        let size = pulled.as_ref().map_or(0, |m| m.bytes.len());
        log_call("GET manifest", r, version_of(r), size, started, &pulled);
        pulled
    }

    /// Pulls a blob of `r`'s repository, refusing it if it is over the cap
    /// or `expected_size`, or does not hash to `digest`.
    pub async fn pull_blob(
        &self,
        r: &Reference,
        digest: &str,
        expected_size: Option<u64>,
    ) -> Result<Vec<u8>, RegistryError> {
        let started = Instant::now();
        let pulled = self.pull_blob_untraced(r, digest, expected_size).await;
        let size = pulled.as_ref().map_or(0, Vec::len);
        log_call("GET blob", r, digest, size, started, &pulled);
        pulled
    }

    /// Pushes a blob into `r`'s repository (unless it is there already) and
    /// returns its digest.
    pub async fn push_blob(&self, r: &Reference, bytes: &[u8]) -> Result<String, RegistryError> {
        let started = Instant::now();
        let pushed = self.push_blob_untraced(r, bytes).await;
        let digest = pushed.as_deref().unwrap_or("(none)");
        log_call("PUT blob", r, digest, bytes.len(), started, &pushed);
        pushed
    }

    /// Pushes these exact manifest bytes to `r`'s tag, or to its digest
    /// when it carries one, and returns their digest.
    pub async fn push_manifest(
        &self,
        r: &Reference,
        bytes: &[u8],
        media_type: &str,
    ) -> Result<Digest, RegistryError> {
        let started = Instant::now();
        let pushed = self.push_manifest_untraced(r, bytes, media_type).await;
        log_call(
            "PUT manifest",
            r,
            version_of(r),
            bytes.len(),
            started,
            &pushed,
        );
        pushed
    }

    /// Every tag of `r`'s repository.
    pub async fn list_tags(&self, r: &Reference) -> Result<Vec<String>, RegistryError> {
        let started = Instant::now();
        let tags = self.list_tags_untraced(r).await;
        let count = tags.as_ref().map_or(0, Vec::len);
        log_call("GET tags", r, "(all)", count, started, &tags);
        tags
    }

    /// The digest `r` points at, or `None` when the tag, digest or
    /// repository does not exist.
    pub async fn manifest_digest(&self, r: &Reference) -> Result<Option<String>, RegistryError> {
        let started = Instant::now();
        let found = self.manifest_digest_untraced(r).await;
        let status = match &found {
            Ok(Some(digest)) => digest.as_str(),
            Ok(None) => "not found",
            Err(_) => "failed",
        };
        tracing::debug!(
            method = "HEAD manifest",
            registry = r.resolve_registry(),
            repository = r.repository(),
            reference = version_of(r),
            status,
            elapsed = ?started.elapsed(),
            error = found.as_ref().err().map(tracing::field::display),
            "registry call"
        );
        found
    }
}

/// Logs one finished call. `size` is the bytes moved, or the tags listed.
fn log_call<T>(
    method: &str,
    r: &Reference,
    reference: &str,
    size: usize,
    started: Instant,
    result: &Result<T, RegistryError>,
) {
    tracing::debug!(
        method,
        registry = r.resolve_registry(),
        repository = r.repository(),
        reference,
        status = if result.is_ok() { "ok" } else { "failed" },
        size,
        elapsed = ?started.elapsed(),
        error = result.as_ref().err().map(tracing::field::display),
        "registry call"
    );
}
