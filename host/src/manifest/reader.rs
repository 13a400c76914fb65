//! Reading typed values out of the positioned YAML tree, recording a
//! diagnostic for anything of the wrong shape and carrying on.

use serde_json::{Map, Value};

use super::diagnostics::{Diagnostics, suggestion};
use super::yaml::{Node, Span};

/// A mapping whose keys were checked against the fields it may have.
pub(crate) struct Fields<'n> {
    entries: &'n [(Node, Node)],
}

impl<'n> Fields<'n> {
    pub(crate) fn from_entries(entries: &'n [(Node, Node)]) -> Self {
        Self { entries }
    }

    /// The value of `key`, if present (null counts as absent).
    pub(crate) fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(k, _)| k.scalar_text() == Some(key))
            .map(|(_, v)| v)
            .filter(|v| !v.is_null())
    }

    /// Whether `key` is present, even as null.
    pub(crate) fn has(&self, key: &str) -> bool {
        self.entries
            .iter()
            .any(|(k, _)| k.scalar_text() == Some(key))
    }
}

/// Joins a field path: `parameters[2]` + `type` → `parameters[2].type`.
pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// `parameters` + 2 → `parameters[2]`.
pub(crate) fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// Typed reads with diagnostics.
pub(crate) struct Reader<'d> {
    pub(crate) diags: &'d mut Diagnostics,
}

impl Reader<'_> {
    /// Checks `node` is a mapping whose keys are all in `known`, reporting
    /// each unknown key with a suggestion.
    pub(crate) fn fields<'n>(
        &mut self,
        node: &'n Node,
        path: &str,
        known: &[&str],
    ) -> Option<Fields<'n>> {
        let entries = self.map(node, path)?;
        for (key, _) in entries {
            match key.scalar_text() {
                Some(name) if known.contains(&name) => {}
                Some(name) => self.diags.error(
                    key.span,
                    join(path, name),
                    format!(
                        "unknown field `{name}`{}",
                        suggestion(name, known.iter().copied())
                    ),
                ),
                None => self
                    .diags
                    .error(key.span, path, "a field name must be text"),
            }
        }
        Some(Fields { entries })
    }

    /// The entries of a mapping, or a diagnostic.
    pub(crate) fn map<'n>(&mut self, node: &'n Node, path: &str) -> Option<&'n [(Node, Node)]> {
        match node.entries() {
            Some(entries) => Some(entries),
            None => {
                self.expected(node, path, "a map");
                None
            }
        }
    }

    /// The items of a sequence, or a diagnostic.
    pub(crate) fn list<'n>(&mut self, node: &'n Node, path: &str) -> Option<&'n [Node]> {
        match node.items() {
            Some(items) => Some(items),
            None => {
                self.expected(node, path, "a list");
                None
            }
        }
    }

    /// A scalar's text, or a diagnostic.
    pub(crate) fn string(&mut self, node: &Node, path: &str) -> Option<String> {
        match node.scalar_text() {
            Some(text) => Some(text.to_string()),
            None => {
                self.expected(node, path, "text");
                None
            }
        }
    }

    /// An optional string field.
    pub(crate) fn opt_string(
        &mut self,
        fields: &Fields<'_>,
        key: &str,
        path: &str,
    ) -> Option<String> {
        fields
            .get(key)
            .and_then(|n| self.string(n, &join(path, key)))
    }

    /// A boolean field (`false` when absent).
    pub(crate) fn bool(&mut self, fields: &Fields<'_>, key: &str, path: &str) -> bool {
        let Some(node) = fields.get(key) else {
            return false;
        };
        match node.to_json() {
            Value::Bool(b) => b,
            _ => {
                self.expected(node, &join(path, key), "true or false");
                false
            }
        }
    }

    /// A list of strings field (empty when absent).
    pub(crate) fn strings(&mut self, fields: &Fields<'_>, key: &str, path: &str) -> Vec<String> {
        let Some(node) = fields.get(key) else {
            return Vec::new();
        };
        let path = join(path, key);
        let Some(items) = self.list(node, &path) else {
            return Vec::new();
        };
        items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| self.string(item, &index(&path, i)))
            .collect()
    }

    /// A mapping of any values, as JSON.
    pub(crate) fn json_map(&mut self, node: &Node, path: &str) -> Map<String, Value> {
        match node.to_json() {
            Value::Object(map) => map,
            _ => {
                self.expected(node, path, "a map");
                Map::new()
            }
        }
    }

    /// Records "`path` must be X, not Y".
    pub(crate) fn expected(&mut self, node: &Node, path: &str, what: &str) {
        self.diags.error(
            node.span,
            path,
            format!("must be {what}, not {}", node.kind()),
        );
    }

    /// Records a missing required field.
    pub(crate) fn missing(&mut self, span: Span, path: &str, key: &str, hint: &str) {
        self.diags
            .error(span, join(path, key), format!("is required{hint}"));
    }
}
