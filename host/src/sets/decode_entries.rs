//! The decoder's entries: each `{name, source}` and its one source.

use std::collections::BTreeMap;

use super::decode::{Decoder, unknown_field};
use super::document::{SetEntry, SetKind, Source, SourceKind};
use crate::manifest::did_you_mean;
use crate::manifest::yaml::{Node, Span};

const ENTRY_FIELDS: [&str; 2] = ["name", "source"];

impl Decoder {
    pub(super) fn entries(&mut self, root: &Node, kind: SetKind) -> Vec<SetEntry> {
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
