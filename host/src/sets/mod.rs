//! Parameter sets and credential sets, as Porter v1 defines them.
//!
//! A set maps each of a bundle's parameters (or credentials) to where its
//! value comes from: a literal `value`, an `env` variable, a file `path`, a
//! `command`'s output, or a `secret` in the secret store. Sets are named,
//! stored once, and reused across installations, so the values themselves
//! (above all the secret ones) need not be typed at every run.
//!
//! - [`document`]: the document (`schemaType: ParameterSet` or
//!   `CredentialSet`, `schemaVersion: 1.0.1`), serialised as Porter does;
//! - [`parse`]: reading one from YAML or JSON, every problem placed at its
//!   `file:line:column` with the field and a did-you-mean;
//! - [`store`]: the sets under `$WHARF_HOME`, written atomically;
//! - [`resolve`](mod@resolve): turning sources into values, secrets marked as such;
//! - [`generate`](mod@generate): a skeleton set for a bundle.
//!
//! A `value` source is stored in the set as written, as Porter stores it.
//! Put secrets in the secret store and refer to them with `secret: KEY`.

mod decode;
mod decode_entries;
pub mod document;
pub mod generate;
pub mod parse;
pub mod resolve;
pub mod store;

pub use document::{
    SET_SCHEMA_VERSION, SetDocument, SetEntry, SetKind, SetStatus, Source, SourceKind,
    name_problem, namespace_problem, qualified_name,
};
pub use generate::{
    INTERNAL_PREFIX, default_source, env_var_name, generate, generate_with, is_internal_parameter,
    try_generate_with, user_entries,
};
pub use parse::{SetFileError, decode_json, load_set, parse_set};
pub use resolve::{
    EntryFailure, MemorySecrets, ResolveContext, ResolveError, ResolveProblem, ResolvedValue,
    SecretResolver, resolve, resolve_source,
};
pub use store::{GLOBAL_NAMESPACE_DIR, NamespaceFilter, SetStore, StoreError};
