//! Validating bundle.json documents against the CNAB JSON schemas.
//!
//! The schemas refer to each other and to the draft-07 meta-schema by
//! absolute `https://cnab.io/...` and `http://json-schema.org/...` URLs.
//! Wharf must validate on an air-gapped machine and must not let a
//! document make it fetch anything, so every sibling `*.schema.json` is
//! registered under its `$id`, the draft-07 meta-schema comes built into
//! the `jsonschema` crate, and any other reference is refused by name.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use jsonschema::{Draft, Resource, Retrieve, Uri, Validator};
use serde_json::Value;

/// The file, in the schema directory, that describes bundle.json.
pub const BUNDLE_SCHEMA_FILE: &str = "bundle.schema.json";

/// The longest validation message kept; a mismatching value is quoted in
/// full by the validator, and a whole `definitions` map helps nobody.
const MAX_MESSAGE_CHARS: usize = 300;

/// Failure to load the CNAB schemas.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// A schema file or the directory could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A schema file is not JSON.
    #[error("{} is not JSON: {source}", path.display())]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// The schemas do not compile (bad schema, or a `$ref` that is not
    /// available offline). `schema` names the file or `$id`.
    #[error("cannot compile schema {schema}: {message}")]
    Compile { schema: String, message: String },
}

/// A compiled validator for bundle.json, CNAB Core 1.2.0 (draft-07).
pub struct BundleSchema {
    validator: Validator,
}

impl fmt::Debug for BundleSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BundleSchema").finish_non_exhaustive()
    }
}

impl BundleSchema {
    /// Loads `bundle.schema.json` from `dir`, with every sibling
    /// `*.schema.json` available to its `$ref`s, and compiles it.
    pub fn load(dir: &Path) -> Result<Self, SchemaError> {
        let main_path = dir.join(BUNDLE_SCHEMA_FILE);
        let mut main = None;
        let mut siblings = Vec::new();
        for path in schema_files(dir)? {
            let document = read_json(&path)?;
            if path == main_path {
                main = Some(document);
            } else {
                siblings.push(document);
            }
        }
        let main = main.ok_or_else(|| SchemaError::Read {
            path: main_path.clone(),
            source: std::io::Error::from(std::io::ErrorKind::NotFound),
        })?;
        Self::from_documents(&main, siblings).map_err(|e| match e {
            SchemaError::Compile { message, .. } => SchemaError::Compile {
                schema: main_path.display().to_string(),
                message,
            },
            other => other,
        })
    }

    /// Compiles `main` with `others` registered under their `$id`s.
    /// Documents without an `$id` cannot be referenced and are skipped.
    pub fn from_documents(
        main: &Value,
        others: impl IntoIterator<Item = Value>,
    ) -> Result<Self, SchemaError> {
        let mut known = BTreeMap::new();
        for document in others {
            if let Some(id) = document.get("$id").and_then(Value::as_str) {
                known.insert(strip_fragment(id).to_owned(), document);
            }
        }
        let mut options = jsonschema::options().with_draft(Draft::Draft7);
        for (id, document) in &known {
            let resource =
                Resource::from_contents(document.clone()).map_err(|e| SchemaError::Compile {
                    schema: id.clone(),
                    message: e.to_string(),
                })?;
            options = options.with_resource(id.clone(), resource);
        }
        let validator = options
            .with_retriever(Offline {
                known: known.into_keys().collect(),
            })
            .build(main)
            .map_err(|e| SchemaError::Compile {
                schema: main
                    .get("$id")
                    .and_then(Value::as_str)
                    .unwrap_or("(main schema)")
                    .to_owned(),
                message: e.to_string(),
            })?;
        Ok(Self { validator })
    }

    /// Checks `document` against the schema. On failure, one message per
    /// violation, each starting with the JSON pointer of the offending
    /// value (`/` for the document itself).
    pub fn validate(&self, document: &Value) -> Result<(), Vec<String>> {
        let messages: Vec<String> = self
            .validator
            .iter_errors(document)
            .map(|error| {
                let pointer = error.instance_path.as_str();
                let pointer = if pointer.is_empty() { "/" } else { pointer };
                format!("{pointer}: {}", truncate(&error.to_string()))
            })
            .collect();
        if messages.is_empty() {
            Ok(())
        } else {
            Err(messages)
        }
    }

    /// Whether `document` is valid, without building messages.
    pub fn is_valid(&self, document: &Value) -> bool {
        self.validator.is_valid(document)
    }
}

/// Refuses every reference the registry does not already hold, so
/// validation never touches the network or the file system.
struct Offline {
    known: Vec<String>,
}

impl Retrieve for Offline {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        Err(format!(
            "{} is not available offline (known schemas: {})",
            uri.as_str(),
            self.known.join(", ")
        )
        .into())
    }
}

fn schema_files(dir: &Path) -> Result<Vec<PathBuf>, SchemaError> {
    let read_error = |source| SchemaError::Read {
        path: dir.to_path_buf(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_error)? {
        let path = entry.map_err(read_error)?.path();
        let is_schema = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(".schema.json"));
        if is_schema && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn read_json(path: &Path) -> Result<Value, SchemaError> {
    let bytes = std::fs::read(path).map_err(|source| SchemaError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|source| SchemaError::Json {
        path: path.to_path_buf(),
        source,
    })
}

fn strip_fragment(id: &str) -> &str {
    id.split_once('#').map_or(id, |(base, _)| base)
}

fn truncate(message: &str) -> String {
    match message.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", &message[..cut]),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> BundleSchema {
        let main = json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string"},
                "definitions": {"additionalProperties": {"$ref": "http://json-schema.org/draft-07/schema#"}},
                "dep": {"$ref": "https://example.com/dep.schema.json"}
            }
        });
        let dep = json!({"$id": "https://example.com/dep.schema.json#", "type": "integer"});
        BundleSchema::from_documents(&main, [dep]).unwrap()
    }

    #[test]
    fn resolves_siblings_and_meta_schema_offline() {
        let s = schema();
        assert!(s.validate(&json!({"name": "x", "dep": 3})).is_ok());
        let errors = s
            .validate(&json!({"name": 1, "dep": "x", "definitions": {"d": {"type": 5}}}))
            .unwrap_err();
        assert!(
            errors.iter().any(|e| e.starts_with("/name: ")),
            "{errors:?}"
        );
        assert!(errors.iter().any(|e| e.starts_with("/dep: ")), "{errors:?}");
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("/definitions/d/type: ")),
            "{errors:?}"
        );
        let errors = s.validate(&json!({})).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(errors[0].starts_with("/: ") && errors[0].contains("\"name\""));
    }

    #[test]
    fn unknown_references_are_refused_not_fetched() {
        let main = json!({"$ref": "https://cnab.io/v1/nowhere.schema.json"});
        let err = BundleSchema::from_documents(&main, []).unwrap_err();
        assert!(err.to_string().contains("not available offline"), "{err}");
    }

    #[test]
    fn long_messages_are_truncated() {
        let long = "x".repeat(MAX_MESSAGE_CHARS + 10);
        let t = truncate(&long);
        assert_eq!(t.chars().count(), MAX_MESSAGE_CHARS + 1);
        assert_eq!(truncate("short"), "short");
    }

    #[test]
    fn missing_directory_is_an_error() {
        let err = BundleSchema::load(Path::new("/nonexistent/wharf/schemas")).unwrap_err();
        assert!(matches!(err, SchemaError::Read { .. }), "{err}");
    }
}
