//! CNAB documents: bundle.json and its canonical form.
//!
//! A bundle's identity is the sha256 of its canonical bytes, so Wharf must
//! write exactly what cnab-go writes, or a bundle pushed by Wharf gets a
//! different digest than the same bundle pushed by Porter. The pieces:
//!
//! - [`Bundle`] and friends ([`bundle`]) model CNAB Core 1.2.0 `bundle.json`
//!   with the field set, names and omission rules of cnab-go's `bundle`
//!   package (Go's `omitempty`), so that re-serialising a parsed bundle
//!   drops and keeps the same members cnab-go does.
//! - [`canonical`] is RFC 8785 (JCS) canonical JSON, what cnab-go's
//!   `Bundle.Marshal` emits (`json.Marshal`, then a JCS transform), and
//!   [`crate::digest::Digest`] names those bytes.
//! - `BundleSchema` (`schema`) validates a document against the CNAB JSON
//!   schemas, fully offline. It needs the `jsonschema` crate, so it exists
//!   only with the `cli` feature: the in-image runtime reads bundles but
//!   has no business validating them against the spec.

pub mod bundle;
pub mod canonical;
pub mod contract;
pub mod required;
#[cfg(feature = "cli")]
pub mod schema;

pub use bundle::{
    Action, Bundle, BundleError, CNAB_SCHEMA_VERSION, CORE_ACTIONS, Credential, Definition, Image,
    InvocationImage, Location, Maintainer, Output, Parameter, applies_to, definition_type,
    is_core_action, is_file_definition, is_sensitive,
};
pub use canonical::{canonicalize, format_number};
pub use required::check_required;
#[cfg(feature = "cli")]
pub use schema::{BundleSchema, SchemaError};
