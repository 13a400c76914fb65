//! The decoder behind `parse`: the document's top level.
//!
//! Each method records its problems and returns what it could read, so one
//! pass reports everything wrong with a file. Entries and their sources are
//! in `decode_entries`.

use std::collections::BTreeMap;

use super::document::{
    SET_SCHEMA_VERSION, SetDocument, SetKind, SetStatus, name_problem, namespace_problem,
};
use super::parse::error;
use crate::manifest::yaml::{Node, Span, Yaml};
use crate::manifest::{Diagnostic, did_you_mean};
use crate::time::Timestamp;

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

const STATUS_FIELDS: [&str; 2] = ["created", "modified"];

/// Walks a YAML tree into a [`SetDocument`], collecting every problem.
#[derive(Default)]
pub(super) struct Decoder {
    pub(super) diagnostics: Vec<Diagnostic>,
}

impl Decoder {
    pub(super) fn error(
        &mut self,
        span: Span,
        field: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.diagnostics.push(error(span, field, message));
    }

    pub(super) fn document(
        &mut self,
        root: &Node,
        expected: Option<SetKind>,
    ) -> Option<SetDocument> {
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
    pub(super) fn string<'n>(&mut self, node: &'n Node, field: &str) -> Option<&'n str> {
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
pub(super) fn unknown_field(field: &str, known: &[&'static str], owner: &str) -> String {
    match did_you_mean(field, known.iter().copied()) {
        Some(near) => format!("unknown field `{field}` in {owner}; did you mean `{near}`?"),
        None => format!(
            "unknown field `{field}` in {owner}; the fields are {}",
            known.join(", ")
        ),
    }
}
