//! YAML with positions.
//!
//! Every problem in a porter.yaml must be reported with its line and column,
//! so the manifest is first parsed into a tree whose nodes remember where
//! they start. Scalars keep their source text and quoting style, resolved to
//! a type only on demand: a field Porter reads as a string (`version: 1.0`)
//! keeps the text the author wrote, and a template in a plain scalar
//! (`${ bundle.parameters.enabled }`) can be typed after rendering, as
//! Porter's render-then-parse would type it.

use std::collections::HashMap;
use std::fmt;

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A position in the source, both counted from 1.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span {
    /// The line.
    pub line: usize,
    /// The column.
    pub column: usize,
}

impl Span {
    fn from_marker(marker: &Marker) -> Self {
        Self {
            line: marker.line(),
            column: marker.col() + 1,
        }
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// How a scalar was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Unquoted: its type is resolved from its text.
    Plain,
    /// Quoted, literal (`|`) or folded (`>`): always a string.
    Quoted,
}

/// A YAML node and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// What the node holds.
    pub value: Yaml,
    /// Where it starts.
    pub span: Span,
}

/// The content of a node.
#[derive(Debug, Clone, PartialEq)]
pub enum Yaml {
    /// A scalar with its source text.
    Scalar(String, Style),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order.
    Map(Vec<(Node, Node)>),
}

/// A scalar's resolved value under YAML 1.2's core schema.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved {
    /// `null`, `~` or nothing.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// Anything else.
    Str(String),
}

/// Resolves plain scalar text the way Go's yaml.v3 (and so Porter) does.
pub fn resolve_plain(text: &str) -> Resolved {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        "true" | "True" | "TRUE" => return Resolved::Bool(true),
        "false" | "False" | "FALSE" => return Resolved::Bool(false),
        ".inf" | "+.inf" | ".Inf" | "+.Inf" | ".INF" | "+.INF" => {
            return Resolved::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        _ => {}
    }
    let unsigned = text.trim_start_matches(['-', '+']);
    let negative = text.starts_with('-');
    let radix = |digits: &str, radix| {
        i64::from_str_radix(digits, radix)
            .ok()
            .map(|n| Resolved::Int(if negative { -n } else { n }))
    };
    if let Some(hex) = unsigned.strip_prefix("0x")
        && let Some(n) = radix(hex, 16)
    {
        return n;
    }
    if let Some(oct) = unsigned.strip_prefix("0o")
        && let Some(n) = radix(oct, 8)
    {
        return n;
    }
    if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(n) = text.parse::<i64>() {
            return Resolved::Int(n);
        }
        if let Ok(f) = text.parse::<f64>() {
            return Resolved::Float(f);
        }
    }
    if looks_like_float(unsigned)
        && let Ok(f) = text.parse::<f64>()
    {
        return Resolved::Float(f);
    }
    Resolved::Str(text.to_string())
}

/// `1.5`, `.5`, `1.`, `1e3`, `1.5E-3`: YAML 1.2 core floats.
fn looks_like_float(s: &str) -> bool {
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            (int.is_empty() || digits(int))
                && (frac.is_empty() || digits(frac))
                && !(int.is_empty() && frac.is_empty())
        }
        None => digits(mantissa) && exponent.is_some(),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.trim_start_matches(['-', '+'])));
    mantissa_ok && exponent_ok
}

impl Node {
    /// A short name of the node's kind, for "expected X, found Y" messages.
    pub fn kind(&self) -> &'static str {
        match &self.value {
            Yaml::Seq(_) => "a list",
            Yaml::Map(_) => "a map",
            Yaml::Scalar(text, Style::Plain) => match resolve_plain(text) {
                Resolved::Null => "nothing (null)",
                Resolved::Bool(_) => "a boolean",
                Resolved::Int(_) => "an integer",
                Resolved::Float(_) => "a number",
                Resolved::Str(_) => "a string",
            },
            Yaml::Scalar(_, Style::Quoted) => "a string",
        }
    }

    /// True for `null`, `~` or an empty value.
    pub fn is_null(&self) -> bool {
        matches!(&self.value, Yaml::Scalar(text, Style::Plain) if resolve_plain(text) == Resolved::Null)
    }

    /// The text of any non-null scalar, as Go would decode it into a string
    /// field.
    pub fn scalar_text(&self) -> Option<&str> {
        match &self.value {
            Yaml::Scalar(_, Style::Plain) if self.is_null() => None,
            Yaml::Scalar(text, _) => Some(text),
            _ => None,
        }
    }

    /// The mapping's entries, if this is a mapping.
    pub fn entries(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Yaml::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The sequence's items, if this is a sequence.
    pub fn items(&self) -> Option<&[Node]> {
        match &self.value {
            Yaml::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The value under `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries()?
            .iter()
            .find(|(k, _)| k.scalar_text() == Some(key))
            .map(|(_, v)| v)
    }

    /// The node as JSON, with scalars typed by the core schema.
    pub fn to_json(&self) -> Value {
        match &self.value {
            Yaml::Scalar(text, Style::Quoted) => Value::String(text.clone()),
            Yaml::Scalar(text, Style::Plain) => resolved_json(resolve_plain(text), text),
            Yaml::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            Yaml::Map(entries) => {
                let mut map = Map::new();
                for (key, value) in entries {
                    let key = match &key.value {
                        Yaml::Scalar(text, _) => text.clone(),
                        _ => key.to_json().to_string(),
                    };
                    map.insert(key, value.to_json());
                }
                Value::Object(map)
            }
        }
    }
}

/// A resolved scalar as JSON; non-finite floats keep their text.
pub fn resolved_json(resolved: Resolved, text: &str) -> Value {
    match resolved {
        Resolved::Null => Value::Null,
        Resolved::Bool(b) => Value::Bool(b),
        Resolved::Int(n) => Value::Number(n.into()),
        Resolved::Float(f) => {
            Number::from_f64(f).map_or_else(|| Value::String(text.to_string()), Value::Number)
        }
        Resolved::Str(s) => Value::String(s),
    }
}

/// A YAML problem with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlIssue {
    /// Where it is.
    pub span: Span,
    /// What is wrong.
    pub message: String,
}

/// Parses one YAML document. `Ok(None)` for an empty document. A syntax
/// error stops the parse (there is no tree to check after it); duplicate
/// keys and unknown aliases are collected and parsing goes on.
pub fn parse(text: &str) -> Result<(Option<Node>, Vec<YamlIssue>), YamlIssue> {
    let mut builder = Builder {
        source: text.chars().collect(),
        ..Builder::default()
    };
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut builder, false).map_err(|e| YamlIssue {
        span: Span::from_marker(e.marker()),
        message: format!("invalid YAML: {}", e.info()),
    })?;
    Ok((builder.root, builder.issues))
}

#[derive(Default)]
struct Builder {
    source: Vec<char>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    root: Option<Node>,
    issues: Vec<YamlIssue>,
}

struct Frame {
    span: Span,
    anchor: usize,
    content: FrameContent,
}

enum FrameContent {
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>, Option<Node>),
}

impl Builder {
    fn push(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Frame {
                content: FrameContent::Seq(items),
                ..
            }) => items.push(node),
            Some(Frame {
                content: FrameContent::Map(entries, pending),
                ..
            }) => match pending.take() {
                None => *pending = Some(node),
                Some(key) => entries.push((key, node)),
            },
        }
    }

    fn finish_map(&mut self, entries: Vec<(Node, Node)>) -> Vec<(Node, Node)> {
        let mut explicit: Vec<(Node, Node)> = Vec::with_capacity(entries.len());
        let mut merged: Vec<(Node, Node)> = Vec::new();
        for (key, value) in entries {
            if matches!(&key.value, Yaml::Scalar(t, Style::Plain) if t == "<<") {
                let sources = match &value.value {
                    Yaml::Seq(items) => items.clone(),
                    _ => vec![value.clone()],
                };
                for source in sources {
                    match source.value {
                        Yaml::Map(source_entries) => merged.extend(source_entries),
                        _ => self.issues.push(YamlIssue {
                            span: source.span,
                            message: "a merge key (<<) needs a map or a list of maps".into(),
                        }),
                    }
                }
                continue;
            }
            if let Some((first, _)) = explicit.iter().find(|(k, _)| same_key(k, &key)) {
                self.issues.push(YamlIssue {
                    span: key.span,
                    message: format!(
                        "the key {:?} is defined twice; the first is at line {}",
                        key_text(&key),
                        first.span.line
                    ),
                });
                continue;
            }
            explicit.push((key, value));
        }
        for (key, value) in merged {
            if !explicit.iter().any(|(k, _)| same_key(k, &key)) {
                explicit.push((key, value));
            }
        }
        explicit
    }
}

fn same_key(a: &Node, b: &Node) -> bool {
    match (&a.value, &b.value) {
        (Yaml::Scalar(x, _), Yaml::Scalar(y, _)) => x == y,
        _ => a.value == b.value,
    }
}

fn key_text(key: &Node) -> String {
    match &key.value {
        Yaml::Scalar(text, _) => text.clone(),
        _ => key.to_json().to_string(),
    }
}

impl Builder {
    /// The parser places an empty value (a bare `-` or `key:`) at the next
    /// token, often lines later; point at its `-` or `:` instead.
    fn empty_scalar_span(&self, index: usize) -> Option<Span> {
        let before = self.source.get(..index)?;
        // Only look before the line the parser points at: the indicator of
        // the empty value is on an earlier line.
        let line_start = before.iter().rposition(|c| *c == '\n').map_or(0, |i| i + 1);
        let before = &before[..line_start];
        let at = before.iter().rposition(|c| !c.is_whitespace())?;
        if !matches!(before[at], '-' | ':') {
            return None;
        }
        let line = before[..at].iter().filter(|c| **c == '\n').count() + 1;
        let line_start = before[..at]
            .iter()
            .rposition(|c| *c == '\n')
            .map_or(0, |i| i + 1);
        Some(Span {
            line,
            column: at - line_start + 1,
        })
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, marker: Marker) {
        let span = Span::from_marker(&marker);
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                let span = if text.is_empty() && style == TScalarStyle::Plain {
                    self.empty_scalar_span(marker.index()).unwrap_or(span)
                } else {
                    span
                };
                let is_str_tag = tag.as_ref().is_some_and(|t| t.suffix == "str");
                let style = if style == TScalarStyle::Plain && !is_str_tag {
                    Style::Plain
                } else {
                    Style::Quoted
                };
                self.push(
                    Node {
                        value: Yaml::Scalar(text, style),
                        span,
                    },
                    anchor,
                );
            }
            Event::SequenceStart(anchor, _) => self.stack.push(Frame {
                span,
                anchor,
                content: FrameContent::Seq(Vec::new()),
            }),
            Event::MappingStart(anchor, _) => self.stack.push(Frame {
                span,
                anchor,
                content: FrameContent::Map(Vec::new(), None),
            }),
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return;
                };
                let value = match frame.content {
                    FrameContent::Seq(items) => Yaml::Seq(items),
                    FrameContent::Map(entries, _) => Yaml::Map(self.finish_map(entries)),
                };
                self.push(
                    Node {
                        value,
                        span: frame.span,
                    },
                    frame.anchor,
                );
            }
            Event::Alias(id) => match self.anchors.get(&id).cloned() {
                Some(node) => self.push(Node { span, ..node }, 0),
                None => self.issues.push(YamlIssue {
                    span,
                    message: "an alias refers to an anchor that is not defined before it".into(),
                }),
            },
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tree(text: &str) -> Node {
        let (node, issues) = parse(text).unwrap();
        assert!(issues.is_empty(), "{issues:?}");
        node.unwrap()
    }

    #[test]
    fn scalars_resolve_like_yaml_v3() {
        let node = tree(
            "a: 1\nb: 1.5\nc: true\nd: ~\ne: '1'\nf: 0.1.2\ng: 0x1f\nh: 1e3\ni: v1\nj: \"true\"\nk: -2\n",
        );
        assert_eq!(
            node.to_json(),
            json!({"a": 1, "b": 1.5, "c": true, "d": null, "e": "1", "f": "0.1.2", "g": 31, "h": 1000.0, "i": "v1", "j": "true", "k": -2})
        );
        assert_eq!(node.get("b").unwrap().scalar_text(), Some("1.5"));
    }

    #[test]
    fn positions_are_one_based() {
        let node = tree("name: x\nparameters:\n  - name: p\n    type: strng\n");
        let ty = node.get("parameters").unwrap().items().unwrap()[0]
            .get("type")
            .unwrap();
        assert_eq!(
            ty.span,
            Span {
                line: 4,
                column: 11
            }
        );
    }

    #[test]
    fn syntax_errors_carry_a_position() {
        let err = parse("name: x\n  bad: [\n").unwrap_err();
        assert!(err.span.line >= 2, "{err:?}");
        assert!(err.message.starts_with("invalid YAML"), "{err:?}");
    }

    #[test]
    fn duplicate_keys_are_reported_with_both_lines() {
        let (_, issues) = parse("a: 1\nb: 2\na: 3\n").unwrap();
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].span.line, 3);
        assert!(issues[0].message.contains("line 1"), "{issues:?}");
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let node = tree("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\nlist: [*b]\n");
        assert_eq!(
            node.get("other").unwrap().to_json(),
            json!({"y": 3, "x": 1})
        );
        assert_eq!(
            node.get("list").unwrap().to_json(),
            json!([{"x": 1, "y": 2}])
        );
    }

    #[test]
    fn empty_document_is_none() {
        assert!(parse("# only a comment\n").unwrap().0.is_none());
    }
}
