//! The content-addressed blob cache at `$WHARF_HOME/cache/blobs/sha256/<hex>`.
//!
//! A blob's name is its digest, so an entry can always be checked against
//! its name: bytes are verified before they are written (nothing a registry
//! sent that fails its digest is ever cached) and again when they are read
//! (a damaged entry is removed and reported as a miss, so the caller simply
//! fetches it again). Writes are atomic ([`crate::fs_atomic`]), so a crash
//! never leaves half a blob under a valid name.

use std::path::{Path, PathBuf};

use crate::digest::Digest;
use crate::fs_atomic::{AtomicWriteError, write_atomically};
use crate::home::WharfHome;

/// Why the cache could not store or read a blob.
#[derive(Debug, thiserror::Error)]
pub enum BlobCacheError {
    /// The digest is not `sha256:` and 64 lowercase hex digits.
    #[error("{0:?} is not a sha256 digest (`sha256:` and 64 hex digits)")]
    BadDigest(String),
    /// The bytes offered for a digest are not that digest's bytes.
    #[error("refusing to cache {expected}: the bytes hash to {actual}")]
    Mismatch {
        /// The digest the bytes were offered under.
        expected: String,
        /// The digest of the bytes.
        actual: String,
    },
    /// The file system refused.
    #[error("cannot {action} {}: {source}; check the permissions of $WHARF_HOME/cache", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// Where.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
}

/// Blobs by digest under one Wharf home.
#[derive(Debug, Clone)]
pub struct BlobCache {
    dir: PathBuf,
}

impl BlobCache {
    /// The cache of `home`.
    pub fn new(home: &WharfHome) -> Self {
        Self::at(home.blob_cache_dir())
    }

    /// A cache kept in `dir` (the `sha256` directory itself).
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The directory holding the entries.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The bytes of `digest`, if cached and intact. A damaged entry is
    /// removed and reported as a miss.
    pub fn get(&self, digest: &str) -> Result<Option<Vec<u8>>, BlobCacheError> {
        let (expected, path) = self.path(digest)?;
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::debug!(digest, "blob cache: miss");
                return Ok(None);
            }
            Err(source) => {
                return Err(BlobCacheError::Io {
                    action: "read",
                    path,
                    source,
                });
            }
        };
        if Digest::of(&bytes) != expected {
            let _ = std::fs::remove_file(&path);
            tracing::debug!(digest, "blob cache: damaged entry removed, a miss");
            return Ok(None);
        }
        tracing::debug!(digest, size = bytes.len(), "blob cache: hit");
        Ok(Some(bytes))
    }

    /// Stores `bytes` as `digest` after checking that they are.
    pub fn put(&self, digest: &str, bytes: &[u8]) -> Result<(), BlobCacheError> {
        let (expected, path) = self.path(digest)?;
        let actual = Digest::of(bytes);
        if actual != expected {
            return Err(BlobCacheError::Mismatch {
                expected: expected.to_string(),
                actual: actual.to_string(),
            });
        }
        write_atomically(&path, bytes).map_err(|e| BlobCacheError::Io {
            action: match e {
                AtomicWriteError::CreateDir { .. } => "create",
                _ => "write",
            },
            path: e.path().to_path_buf(),
            source: e.into_io_error(),
        })
    }

    fn path(&self, digest: &str) -> Result<(Digest, PathBuf), BlobCacheError> {
        let parsed = Digest::parse(digest).map_err(|_| BlobCacheError::BadDigest(digest.into()))?;
        Ok((parsed, self.dir.join(parsed.hex())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache() -> (tempfile::TempDir, BlobCache) {
        let dir = tempfile::tempdir().unwrap();
        let cache = BlobCache::new(&WharfHome::new(dir.path()));
        (dir, cache)
    }

    #[test]
    fn stores_and_returns_verified_blobs() {
        let (dir, cache) = cache();
        let digest = Digest::of(b"hello").to_string();
        assert_eq!(cache.get(&digest).unwrap(), None);
        cache.put(&digest, b"hello").unwrap();
        assert_eq!(cache.get(&digest).unwrap().as_deref(), Some(&b"hello"[..]));
        let hex = Digest::parse(&digest).unwrap().hex();
        assert!(dir.path().join("cache/blobs/sha256").join(hex).is_file());
    }

    #[test]
    fn refuses_bytes_that_are_not_the_digest() {
        let (_dir, cache) = cache();
        let digest = Digest::of(b"hello").to_string();
        let err = cache.put(&digest, b"tampered").unwrap_err();
        assert!(matches!(err, BlobCacheError::Mismatch { .. }), "{err}");
        assert!(!cache.dir().exists(), "nothing was written");
    }

    #[test]
    fn a_damaged_entry_is_removed_and_missed() {
        let (_dir, cache) = cache();
        let digest = Digest::of(b"hello").to_string();
        cache.put(&digest, b"hello").unwrap();
        let path = cache.dir().join(Digest::parse(&digest).unwrap().hex());
        std::fs::write(&path, b"hellO").unwrap();
        assert_eq!(cache.get(&digest).unwrap(), None);
        assert!(!path.exists());
    }

    #[test]
    fn malformed_digests_never_become_paths() {
        let (_dir, cache) = cache();
        for bad in ["sha256:../../etc/passwd", "sha512:00", "sha256:ABC", ""] {
            assert!(matches!(cache.get(bad), Err(BlobCacheError::BadDigest(_))));
        }
        assert!(!Digest::is_valid(&format!("sha256:{}", "A".repeat(64))));
    }

    #[test]
    fn hits_and_misses_are_logged() {
        let (_dir, cache) = cache();
        let digest = Digest::of(b"hello").to_string();
        let log = crate::test_logs::logged(|| {
            assert_eq!(cache.get(&digest).unwrap(), None);
            cache.put(&digest, b"hello").unwrap();
            assert!(cache.get(&digest).unwrap().is_some());
            std::fs::write(
                cache.dir().join(Digest::parse(&digest).unwrap().hex()),
                b"hellO",
            )
            .unwrap();
            assert_eq!(cache.get(&digest).unwrap(), None);
        });
        let decisions: Vec<&str> = log
            .lines()
            .filter(|line| line.contains(&digest))
            .filter_map(|line| line.split("blob cache: ").nth(1))
            .collect();
        assert_eq!(
            decisions.len(),
            3,
            "one event per lookup, each naming the digest:\n{log}"
        );
        assert!(decisions[0].starts_with("miss"), "{log}");
        assert!(decisions[1].starts_with("hit"), "{log}");
        assert!(decisions[2].starts_with("damaged entry removed"), "{log}");
    }
}
