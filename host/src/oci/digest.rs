//! Content digests: the one place Wharf computes them and checks their
//! shape. Only `sha256:` and 64 lowercase hex digits is accepted, the form
//! registries and cnab-to-oci produce, and the only one Wharf ever turns
//! into a file name or a URL.

use sha2::{Digest as _, Sha256};

/// `sha256:` and the hex digest of `bytes`, as go-digest's `FromBytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// The hex part of a well-formed `sha256:<64 lowercase hex>` digest, or
/// `None`. Digests come from registries and manifests, so they are checked
/// before they become file names or URLs.
pub fn sha256_hex(digest: &str) -> Option<&str> {
    let hex = digest.strip_prefix("sha256:")?;
    (hex.len() == 64
        && hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
    .then_some(hex)
}

/// Whether `digest` is well formed (see [`sha256_hex`]).
pub fn is_sha256_digest(digest: &str) -> bool {
    sha256_hex(digest).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_sha256_digests_pass() {
        let good = sha256_digest(b"x");
        assert_eq!(sha256_hex(&good).map(str::len), Some(64));
        for bad in ["sha256:../../etc", "sha512:ab", "sha256:ABC", ""] {
            assert!(!is_sha256_digest(bad), "{bad}");
        }
        assert!(!is_sha256_digest(&good.to_uppercase()));
    }
}
