//! Secrets: values that must never sit in Wharf's database or its logs.
//!
//! Porter keeps sensitive parameter values and outputs out of its records by
//! handing them to a secrets plugin and recording only a reference. Wharf
//! does the same through [`SecretStore`]: the installation store puts each
//! sensitive value here and keeps the returned [`SecretRef`] in its row.
//! [`LocalSecretStore`] is the default backend (one 0600 file per secret
//! under `$WHARF_HOME/secrets/`); the trait is the seam where Porter-style
//! backends (HashiCorp Vault, Azure Key Vault) can follow.

mod error;
mod local;
mod named;
mod value;

use serde::{Deserialize, Serialize};

pub use error::SecretError;
pub use local::LocalSecretStore;
pub use named::NamedSecrets;
pub use value::SecretValue;

/// Where a secret lives in its backend: an opaque id the backend chose.
///
/// It says nothing about the value, so it may be stored, printed and
/// logged; only the backend can turn it back into the value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretRef(String);

impl SecretRef {
    /// A reference read back from a record. Backends check the shape when
    /// they use it, so a damaged record fails with a clear error there.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The id, as stored in records.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SecretRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A place to keep secret values, addressed by ids it generates.
///
/// Object safe and thread safe, so a store can hold an
/// `Arc<dyn SecretStore>` and the backend can be chosen at run time.
pub trait SecretStore: Send + Sync + std::fmt::Debug {
    /// The backend's name for messages, e.g. `local`.
    fn backend(&self) -> &str;

    /// Keeps `value` and returns a new reference to it. The value is
    /// durable when this returns.
    fn put(&self, value: &[u8]) -> Result<SecretRef, SecretError>;

    /// The value `reference` points to.
    fn get(&self, reference: &SecretRef) -> Result<SecretValue, SecretError>;

    /// Forgets the value. Deleting a secret that is already gone succeeds,
    /// so an interrupted cleanup can simply be run again.
    fn delete(&self, reference: &SecretRef) -> Result<(), SecretError>;
}
