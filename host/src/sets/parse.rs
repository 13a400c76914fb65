//! Reading a set document from YAML or JSON, with every problem placed.
//!
//! Files go through the positioned YAML parser (JSON is YAML), so each
//! problem reads `file:line:column: error: field: message`, and all of them
//! are reported in one pass, as for porter.yaml. Stored documents, which
//! are JSON Wharf wrote, take the same decoder through [`node_from_json`],
//! so a hand-edited store file is checked as strictly as a new one.

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::decode::Decoder;
use super::document::{SetDocument, SetKind};
use crate::manifest::yaml::{self, Node, Span, Style, Yaml};
use crate::manifest::{Diagnostic, Severity};

/// A set file that could not be read, with every problem found in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SetFileError {
    /// The file (or the name given to the text).
    pub file: PathBuf,
    /// Every problem, in source order.
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for SetFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::manifest::write_problems(f, &self.file, self.diagnostics.len(), &self.diagnostics)
    }
}

impl SetFileError {
    fn single(file: &Path, span: Span, message: impl Into<String>) -> Self {
        Self {
            file: file.to_path_buf(),
            diagnostics: vec![error(span, "", message)],
        }
    }
}

/// Reads the set in `path` (YAML or JSON). With `expected`, a document of
/// the other kind is an error; without, the kind comes from `schemaType`,
/// or from whether the document lists `parameters` or `credentials`.
pub fn load_set(path: &Path, expected: Option<SetKind>) -> Result<SetDocument, SetFileError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        let message = match e.kind() {
            std::io::ErrorKind::NotFound => format!(
                "not found; check the path, or make one with `wharf {} generate`",
                expected.unwrap_or(SetKind::Parameter).command()
            ),
            std::io::ErrorKind::InvalidData => {
                "is not UTF-8 text; a set file is YAML or JSON".to_string()
            }
            _ => format!("cannot be read: {e}"),
        };
        SetFileError::single(path, Span::default(), message)
    })?;
    parse_set(&text, path, expected)
}

/// Parses a set document from `text`; `file` names it in messages.
pub fn parse_set(
    text: &str,
    file: &Path,
    expected: Option<SetKind>,
) -> Result<SetDocument, SetFileError> {
    let (root, issues) =
        yaml::parse(text).map_err(|issue| SetFileError::single(file, issue.span, issue.message))?;
    let mut decoder = Decoder::default();
    for issue in issues {
        decoder
            .diagnostics
            .push(error(issue.span, "", issue.message));
    }
    let Some(root) = root else {
        return Err(SetFileError::single(
            file,
            Span::default(),
            "the file is empty; a set has schemaType, schemaVersion, name and its entries",
        ));
    };
    let document = decoder.document(&root, expected);
    finish(file, document, decoder.diagnostics)
}

/// Decodes a JSON document (as stored by Wharf) with the same checks.
pub fn decode_json(
    value: &Value,
    file: &Path,
    expected: Option<SetKind>,
) -> Result<SetDocument, SetFileError> {
    let mut decoder = Decoder::default();
    let document = decoder.document(&node_from_json(value), expected);
    finish(file, document, decoder.diagnostics)
}

fn finish(
    file: &Path,
    document: Option<SetDocument>,
    mut diagnostics: Vec<Diagnostic>,
) -> Result<SetDocument, SetFileError> {
    match document {
        Some(document) if diagnostics.is_empty() => Ok(document),
        _ => {
            diagnostics.sort_by_key(|d| (d.line, d.column));
            Err(SetFileError {
                file: file.to_path_buf(),
                diagnostics,
            })
        }
    }
}

/// A JSON value as a YAML tree without positions: strings quoted (always
/// strings), everything else plain (typed by its text).
pub fn node_from_json(value: &Value) -> Node {
    let value = match value {
        Value::Null => Yaml::Scalar(String::new(), Style::Plain),
        Value::Bool(b) => Yaml::Scalar(b.to_string(), Style::Plain),
        Value::Number(n) => Yaml::Scalar(n.to_string(), Style::Plain),
        Value::String(s) => Yaml::Scalar(s.clone(), Style::Quoted),
        Value::Array(items) => Yaml::Seq(items.iter().map(node_from_json).collect()),
        Value::Object(map) => Yaml::Map(
            map.iter()
                .map(|(k, v)| (node_from_json(&Value::String(k.clone())), node_from_json(v)))
                .collect(),
        ),
    };
    Node {
        value,
        span: Span::default(),
    }
}

/// An error diagnostic.
pub(super) fn error(
    span: Span,
    field: impl Into<String>,
    message: impl Into<String>,
) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        field: field.into(),
        line: span.line,
        column: span.column,
        message: message.into(),
    }
}
