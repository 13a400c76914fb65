//! porter.yaml: the manifest a bundle author writes.
//!
//! Parsing goes through a YAML tree that remembers positions
//! ([`yaml`]), so every problem names its file, line, column and field, and
//! all problems are reported in one pass ([`Diagnostics`]). The result is a
//! [`Manifest`] with every field of Porter v1's manifest.

mod definitions;
mod diagnostics;
mod grants;
mod model;
mod parse;
mod reader;
pub mod schema;
pub mod templates;
mod validate;
pub mod work_dirs;
pub mod yaml;

use std::path::Path;

pub use definitions::{PARAMETER_TYPES, SCHEMA_KEYWORDS};
pub use diagnostics::{Diagnostic, ManifestError, Severity, did_you_mean, write_problems};
pub use grants::{GRANT_KEY, MixinGrant, env_name_problem};
pub use model::*;
pub use parse::{
    BUNDLE_NAME_RULE, SCHEMA_VERSIONS, TOP_LEVEL_FIELDS, is_valid_bundle_name, parse,
    parse_bundle_version,
};
pub use validate::visit_scalars;

/// The manifest's file name, as Porter names it.
pub const MANIFEST_FILE: &str = "porter.yaml";

/// Reads and parses a manifest file, returning it with its warnings.
pub fn load(path: &Path) -> Result<(Manifest, Vec<Diagnostic>), ManifestError> {
    let text = std::fs::read_to_string(path).map_err(|e| ManifestError {
        file: path.to_path_buf(),
        diagnostics: vec![Diagnostic {
            severity: Severity::Error,
            field: String::new(),
            line: 0,
            column: 0,
            message: if e.kind() == std::io::ErrorKind::NotFound {
                "not found; run `wharf create` to make one, or pass --file".to_string()
            } else {
                format!("cannot be read: {e}")
            },
        }],
        partial: None,
    })?;
    parse(&text, path)
}
