//! Content digests: the one type Wharf computes, parses and prints them with.
//!
//! Everything Wharf identifies by content (a bundle's canonical bytes, a
//! mixin component, a registry blob, a compiled mixin, the build's inputs)
//! is named by a sha256 digest. Keeping them as [`Digest`] rather than
//! strings means a digest is checked once, where it enters (a registry
//! reply, a lock file, an image index), and can then become a file name or a
//! URL without a second look. Only `sha256:` and 64 lowercase hex digits is
//! accepted: the form registries, go-digest and cnab-to-oci produce.
//!
//! The in-image runtime uses this module too, so it depends on nothing but
//! `sha2` and `hex`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};

/// The algorithm prefix of every digest Wharf handles.
pub const SHA256_PREFIX: &str = "sha256:";

/// A sha256 content digest. Displays as `sha256:<hex>`, as go-digest does.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest([u8; 32]);

/// Why a string is not a digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not a sha256 digest (expected `sha256:` and 64 lowercase hex digits)")]
pub struct DigestError {
    text: String,
}

impl Digest {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self(Sha256::digest(bytes).into())
    }

    /// A hasher for content that arrives in pieces.
    pub fn hasher() -> DigestHasher {
        DigestHasher(Sha256::new())
    }

    /// Parses `sha256:<64 lowercase hex digits>`.
    pub fn parse(text: &str) -> Result<Self, DigestError> {
        text.strip_prefix(SHA256_PREFIX)
            .and_then(Self::from_lower_hex)
            .ok_or_else(|| DigestError { text: text.into() })
    }

    /// Parses the bare 64 lowercase hex digits, as a file name in a
    /// content-addressed directory holds them.
    pub fn from_hex(hex: &str) -> Result<Self, DigestError> {
        Self::from_lower_hex(hex).ok_or_else(|| DigestError { text: hex.into() })
    }

    fn from_lower_hex(hex: &str) -> Option<Self> {
        let lower = hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if hex.len() != 64 || !lower {
            return None;
        }
        let mut bytes = [0; 32];
        hex::decode_to_slice(hex, &mut bytes).ok()?;
        Some(Self(bytes))
    }

    /// The 64 lowercase hex digits, without the algorithm: what names a
    /// file in a content-addressed directory.
    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The 32 raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Whether `text` is a well-formed digest.
    pub fn is_valid(text: &str) -> bool {
        Self::parse(text).is_ok()
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{SHA256_PREFIX}{}", self.hex())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({self})")
    }
}

impl FromStr for Digest {
    type Err = DigestError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl From<Digest> for String {
    fn from(digest: Digest) -> Self {
        digest.to_string()
    }
}

/// A digest equals its printed form, so code and tests can compare it with
/// a digest string read from a registry, a lock or a golden file.
impl PartialEq<str> for Digest {
    fn eq(&self, other: &str) -> bool {
        Self::parse(other).is_ok_and(|d| d == *self)
    }
}

impl PartialEq<&str> for Digest {
    fn eq(&self, other: &&str) -> bool {
        *self == **other
    }
}

impl PartialEq<String> for Digest {
    fn eq(&self, other: &String) -> bool {
        *self == *other.as_str()
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Feeds content to a [`Digest`] piece by piece; also an [`std::io::Write`],
/// so a stream can be hashed as it is copied.
#[derive(Clone, Default)]
pub struct DigestHasher(Sha256);

impl DigestHasher {
    /// Adds `bytes`.
    pub fn update(&mut self, bytes: impl AsRef<[u8]>) {
        self.0.update(bytes.as_ref());
    }

    /// The digest of everything added.
    pub fn finish(self) -> Digest {
        Digest(self.0.finalize().into())
    }
}

impl std::io::Write for DigestHasher {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_and_parses_the_go_digest_form() {
        let d = Digest::of(b"");
        assert_eq!(
            d.to_string(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(Digest::parse(&d.to_string()), Ok(d));
        assert_eq!(Digest::from_hex(&d.hex()), Ok(d));
        assert_eq!(d.to_string().parse::<Digest>(), Ok(d));
        assert_eq!(d, d.to_string());
        assert_eq!(d, d.to_string().as_str());
        assert_ne!(d, d.to_string().to_uppercase());
    }

    #[test]
    fn only_well_formed_sha256_digests_parse() {
        let good = Digest::of(b"x").to_string();
        assert!(Digest::is_valid(&good));
        for bad in [
            "sha256:../../etc",
            "sha512:ab",
            "sha256:ABC",
            "",
            "sha256:",
            &good.to_uppercase(),
            &good[7..],
            &format!("{good}0"),
            &format!("sha256:{}", "g".repeat(64)),
        ] {
            let err = Digest::parse(bad).unwrap_err();
            assert!(err.to_string().contains("64 lowercase hex"), "{err}");
        }
    }

    #[test]
    fn streaming_equals_one_shot_and_serde_uses_the_string_form() {
        let mut hasher = Digest::hasher();
        hasher.update(b"hello ");
        std::io::Write::write_all(&mut hasher, b"world").unwrap();
        let d = hasher.finish();
        assert_eq!(d, Digest::of(b"hello world"));
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(json, format!("\"{d}\""));
        assert_eq!(serde_json::from_str::<Digest>(&json).unwrap(), d);
        assert!(serde_json::from_str::<Digest>("\"sha256:00\"").is_err());
    }
}
