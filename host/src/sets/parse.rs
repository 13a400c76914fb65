//! Reading a set document from YAML or JSON, with every problem placed.
//!
//! Files go through the positioned YAML parser (JSON is YAML), so each
//! problem reads `file:line:column: error: field: message`, and all of them
//! are reported in one pass, as for porter.yaml. Stored documents, which
//! are JSON Wharf wrote, take the same decoder through [`node_from_json`],
//! so a hand-edited store file is checked as strictly as a new one.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::document::{
    SET_SCHEMA_VERSION, SetDocument, SetEntry, SetKind, SetStatus, Source, SourceKind,
    name_problem, namespace_problem,
};
use super::timestamp::Timestamp;
use crate::manifest::yaml::{self, Node, Span, Style, Yaml};
use crate::manifest::{Diagnostic, Severity, did_you_mean};

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
        let count = self.diagnostics.len();
        write!(
            f,
            "{} has {count} problem{}:",
            self.file.display(),
            if count == 1 { "" } else { "s" }
        )?;
        for d in &self.diagnostics {
            write!(f, "\n  {}", d.display_in(&self.file))?;
        }
        Ok(())
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

fn error(span: Span, field: impl Into<String>, message: impl Into<String>) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        field: field.into(),
        line: span.line,
        column: span.column,
        message: message.into(),
    }
}

/// The top-level fields of a set of `kind`.
fn top_level_fields(kind: SetKind) -> [&'static str; 7] {
    [
        "schemaType",
        "schemaVersion",
        "namespace",
        "name",
        "labels",
        kind.entries_field(),
        "status",
    ]
}

const ENTRY_FIELDS: [&str; 2] = ["name", "source"];
const STATUS_FIELDS: [&str; 2] = ["created", "modified"];

#[derive(Default)]
struct Decoder {
    diagnostics: Vec<Diagnostic>,
}

impl Decoder {
    fn error(&mut self, span: Span, field: impl Into<String>, message: impl Into<String>) {
        self.diagnostics.push(error(span, field, message));
    }

    fn document(&mut self, root: &Node, expected: Option<SetKind>) -> Option<SetDocument> {
        let Some(entries) = root.entries() else {
            self.error(
                root.span,
                "",
                format!(
                    "a set document is a map (schemaType, schemaVersion, name, ...), not {}",
                    root.kind()
                ),
            );
            return None;
        };
        let kind = self.kind(root, expected)?;
        let fields = top_level_fields(kind);
        for (key, _) in entries {
            let Some(text) = key.scalar_text() else {
                self.error(
                    key.span,
                    "",
                    format!("a field name must be text, not {}", key.kind()),
                );
                continue;
            };
            if fields.contains(&text) {
                continue;
            }
            let other = SetKind::ALL
                .into_iter()
                .find(|k| *k != kind && k.entries_field() == text);
            let message = match other {
                Some(_) => format!(
                    "a {kind} lists its entries under `{}`, not `{text}`",
                    kind.entries_field()
                ),
                None => unknown_field(text, &fields, &format!("a {kind}")),
            };
            self.error(key.span, text, message);
        }

        let mut document = SetDocument::new(kind, "", "");
        self.schema_version(root, kind, &mut document);
        document.name = self.name(root, "name", true).unwrap_or_default();
        document.namespace = self.name(root, "namespace", false).unwrap_or_default();
        document.labels = self.labels(root);
        document.entries = self.entries(root, kind);
        document.status = self.status(root);
        Some(document)
    }

    /// The kind, from `schemaType`, the caller's expectation, or the list.
    fn kind(&mut self, root: &Node, expected: Option<SetKind>) -> Option<SetKind> {
        let declared = match root.get("schemaType") {
            None => None,
            Some(node) if node.is_null() => None,
            Some(node) => {
                let text = self.string(node, "schemaType")?;
                match SetKind::from_schema_type(text) {
                    Some(kind) => Some((kind, node.span)),
                    None => {
                        let types = SetKind::ALL.map(SetKind::schema_type);
                        let hint = did_you_mean(text, types)
                            .map(|t| format!("; did you mean `{t}`?"))
                            .unwrap_or_default();
                        self.error(node.span, "schemaType", format!("unknown schemaType `{text}`; expected ParameterSet or CredentialSet{hint}"));
                        return None;
                    }
                }
            }
        };
        match (declared, expected) {
            (Some((kind, span)), Some(want)) if kind != want => {
                self.error(
                    span,
                    "schemaType",
                    format!(
                        "this is a {kind}, not a {want}; use `wharf {}` for it",
                        kind.command()
                    ),
                );
                None
            }
            (Some((kind, _)), _) => Some(kind),
            (None, Some(want)) => Some(want),
            (None, None) => {
                let listed: Vec<SetKind> = SetKind::ALL
                    .into_iter()
                    .filter(|k| root.get(k.entries_field()).is_some())
                    .collect();
                match listed.as_slice() {
                    [kind] => Some(*kind),
                    _ => {
                        self.error(root.span, "schemaType", "cannot tell whether this is a ParameterSet or a CredentialSet; add `schemaType: ParameterSet` or `schemaType: CredentialSet`");
                        None
                    }
                }
            }
        }
    }

    fn schema_version(&mut self, root: &Node, kind: SetKind, document: &mut SetDocument) {
        let Some(node) = root.get("schemaVersion").filter(|n| !n.is_null()) else {
            self.error(
                root.span,
                "schemaVersion",
                format!("missing; add `schemaVersion: {SET_SCHEMA_VERSION}`"),
            );
            return;
        };
        let Some(text) = self.string(node, "schemaVersion") else {
            return;
        };
        if text != SET_SCHEMA_VERSION {
            self.error(
                node.span,
                "schemaVersion",
                format!("{kind} schemaVersion `{text}` is not supported; Wharf reads version {SET_SCHEMA_VERSION}, as Porter v1 does"),
            );
        }
        document.schema_version = text.to_string();
    }

    /// `name` (required) or `namespace` (optional), checked as a file name.
    fn name(&mut self, root: &Node, field: &str, required: bool) -> Option<String> {
        let node = match root.get(field).filter(|n| !n.is_null()) {
            Some(node) => node,
            None if required => {
                self.error(
                    root.span,
                    field,
                    format!("missing; every set has a {field}"),
                );
                return None;
            }
            None => return None,
        };
        let text = self.string(node, field)?.to_string();
        let problem = if field == "namespace" {
            namespace_problem(&text)
        } else {
            name_problem(&text)
        };
        if let Some(problem) = problem {
            self.error(
                node.span,
                field,
                format!("`{text}` cannot be used: a {field} {problem}"),
            );
        }
        Some(text)
    }

    fn labels(&mut self, root: &Node) -> BTreeMap<String, String> {
        let mut labels = BTreeMap::new();
        let Some(node) = root.get("labels").filter(|n| !n.is_null()) else {
            return labels;
        };
        let Some(entries) = node.entries() else {
            self.error(
                node.span,
                "labels",
                format!("expected a map of text, found {}", node.kind()),
            );
            return labels;
        };
        for (key, value) in entries {
            let Some(k) = key.scalar_text() else {
                self.error(
                    key.span,
                    "labels",
                    format!("a label name must be text, not {}", key.kind()),
                );
                continue;
            };
            let field = format!("labels.{k}");
            if value.is_null() {
                labels.insert(k.to_string(), String::new());
            } else if let Some(v) = self.string(value, &field) {
                labels.insert(k.to_string(), v.to_string());
            }
        }
        labels
    }

    fn entries(&mut self, root: &Node, kind: SetKind) -> Vec<SetEntry> {
        let list = kind.entries_field();
        let mut entries: Vec<SetEntry> = Vec::new();
        let Some(node) = root.get(list).filter(|n| !n.is_null()) else {
            return entries;
        };
        let Some(items) = node.items() else {
            self.error(
                node.span,
                list,
                format!("expected a list of {{name, source}}, found {}", node.kind()),
            );
            return entries;
        };
        let mut first_at: BTreeMap<String, Span> = BTreeMap::new();
        for (i, item) in items.iter().enumerate() {
            let field = format!("{list}[{i}]");
            let Some(entry) = self.entry(item, &field, kind) else {
                continue;
            };
            if let Some(first) = first_at.get(&entry.name) {
                let place = if first.line > 0 {
                    format!(" (the first is at line {})", first.line)
                } else {
                    String::new()
                };
                self.error(
                    item.span,
                    format!("{field}.name"),
                    format!(
                        "the {} `{}` is listed twice{place}; keep one",
                        kind.noun(),
                        entry.name
                    ),
                );
                continue;
            }
            first_at.insert(entry.name.clone(), item.span);
            entries.push(entry);
        }
        entries
    }

    fn entry(&mut self, item: &Node, field: &str, kind: SetKind) -> Option<SetEntry> {
        let Some(fields) = item.entries() else {
            self.error(
                item.span,
                field,
                format!("expected a map with name and source, found {}", item.kind()),
            );
            return None;
        };
        for (key, _) in fields {
            match key.scalar_text() {
                Some(k) if ENTRY_FIELDS.contains(&k) => {}
                Some(k) => {
                    let message =
                        unknown_field(k, &ENTRY_FIELDS, &format!("a {} entry", kind.noun()));
                    self.error(key.span, format!("{field}.{k}"), message);
                }
                None => self.error(
                    key.span,
                    field,
                    format!("a field name must be text, not {}", key.kind()),
                ),
            }
        }
        let name = match item.get("name").filter(|n| !n.is_null()) {
            Some(node) => {
                let name = self.string(node, &format!("{field}.name"))?;
                if name.is_empty() {
                    self.error(
                        node.span,
                        format!("{field}.name"),
                        format!("a {} name must not be empty", kind.noun()),
                    );
                    return None;
                }
                name.to_string()
            }
            None => {
                self.error(
                    item.span,
                    format!("{field}.name"),
                    format!("missing; give the bundle's {} name", kind.noun()),
                );
                return None;
            }
        };
        let field = format!("{field}.source");
        let Some(node) = item.get("source").filter(|n| !n.is_null()) else {
            self.error(
                item.span,
                &field,
                format!(
                    "the {} `{name}` has no source; give one of {}",
                    kind.noun(),
                    one_of()
                ),
            );
            return None;
        };
        let source = self.source(node, &field, &format!("the {} `{name}`", kind.noun()))?;
        Some(SetEntry { name, source })
    }

    /// A `source` map: exactly one of the five strategies.
    fn source(&mut self, node: &Node, field: &str, owner: &str) -> Option<Source> {
        let Some(fields) = node.entries() else {
            self.error(
                node.span,
                field,
                format!(
                    "{owner} needs a source map such as `secret: my-key`, found {}",
                    node.kind()
                ),
            );
            return None;
        };
        let mut found: Vec<(SourceKind, &Node)> = Vec::new();
        let mut unknown = false;
        for (key, value) in fields {
            let Some(k) = key.scalar_text() else {
                self.error(
                    key.span,
                    field,
                    format!("a source name must be text, not {}", key.kind()),
                );
                unknown = true;
                continue;
            };
            match SourceKind::from_key(k) {
                Some(kind) => found.push((kind, value)),
                None => {
                    let hint = did_you_mean(k, SourceKind::keys())
                        .map(|s| format!("did you mean `{s}`? "))
                        .unwrap_or_default();
                    self.error(
                        key.span,
                        format!("{field}.{k}"),
                        format!(
                            "unknown source `{k}` for {owner}; {hint}a source is one of {}",
                            one_of()
                        ),
                    );
                    unknown = true;
                }
            }
        }
        let (kind, value) = match found.as_slice() {
            [one] => *one,
            [] if unknown => return None,
            [] => {
                self.error(
                    node.span,
                    field,
                    format!("{owner} has no source; give one of {}", one_of()),
                );
                return None;
            }
            many => {
                let names: Vec<&str> = many.iter().map(|(k, _)| k.as_str()).collect();
                self.error(
                    node.span,
                    field,
                    format!(
                        "{owner} has {} sources ({}); give exactly one",
                        many.len(),
                        names.join(", ")
                    ),
                );
                return None;
            }
        };
        let hint_field = format!("{field}.{kind}");
        let hint = if value.is_null() && kind == SourceKind::Value {
            // Go reads `value:` (nothing) as the empty string.
            String::new()
        } else {
            self.string(value, &hint_field)?.to_string()
        };
        if hint.is_empty() && kind != SourceKind::Value {
            self.error(
                value.span,
                hint_field,
                format!(
                    "{owner}: an empty {kind} source; give the {}",
                    hint_noun(kind)
                ),
            );
            return None;
        }
        Some(Source::new(kind, hint))
    }

    fn status(&mut self, root: &Node) -> Option<SetStatus> {
        let node = root.get("status").filter(|n| !n.is_null())?;
        let Some(fields) = node.entries() else {
            self.error(
                node.span,
                "status",
                format!(
                    "expected a map with created and modified, found {}",
                    node.kind()
                ),
            );
            return None;
        };
        for (key, _) in fields {
            if let Some(k) = key.scalar_text().filter(|k| !STATUS_FIELDS.contains(k)) {
                let message = unknown_field(k, &STATUS_FIELDS, "status");
                self.error(key.span, format!("status.{k}"), message);
            }
        }
        let created = self.timestamp(node, "created");
        let modified = self.timestamp(node, "modified");
        Some(SetStatus {
            created: created?,
            modified: modified.or(created)?,
        })
    }

    fn timestamp(&mut self, status: &Node, key: &str) -> Option<Timestamp> {
        let node = status.get(key).filter(|n| !n.is_null())?;
        let field = format!("status.{key}");
        let text = self.string(node, &field)?;
        let parsed = Timestamp::parse(text);
        if parsed.is_none() {
            self.error(
                node.span,
                field,
                format!("`{text}` is not an RFC 3339 time such as 2024-05-01T10:20:30Z"),
            );
        }
        parsed
    }

    /// The text of a scalar, as Go decodes any scalar into a string field.
    fn string<'n>(&mut self, node: &'n Node, field: &str) -> Option<&'n str> {
        match &node.value {
            Yaml::Scalar(..) if node.is_null() => {
                self.error(node.span, field, "expected text, found nothing");
                None
            }
            Yaml::Scalar(text, _) => Some(text),
            _ => {
                self.error(
                    node.span,
                    field,
                    format!("expected text, found {}", node.kind()),
                );
                None
            }
        }
    }
}

/// "unknown field `x` in <owner>; did you mean `y`?" (or the field list).
fn unknown_field(field: &str, known: &[&'static str], owner: &str) -> String {
    match did_you_mean(field, known.iter().copied()) {
        Some(near) => format!("unknown field `{field}` in {owner}; did you mean `{near}`?"),
        None => format!(
            "unknown field `{field}` in {owner}; the fields are {}",
            known.join(", ")
        ),
    }
}

fn one_of() -> String {
    SourceKind::keys().collect::<Vec<_>>().join(", ")
}

fn hint_noun(kind: SourceKind) -> &'static str {
    match kind {
        SourceKind::Value => "value",
        SourceKind::Env => "environment variable's name",
        SourceKind::Path => "file's path",
        SourceKind::Command => "command to run",
        SourceKind::Secret => "secret's key",
    }
}
