//! Step outputs with Porter's semantics.
//!
//! A step's `outputs:` list names values to scrape from the command that ran:
//!
//! - `jsonPath`: evaluate a JSONPath against stdout parsed as JSON. Maps and
//!   lists are re-encoded as compact JSON; strings come out bare (no quotes),
//!   numbers and booleans in their JSON text. A path with wildcards, slices,
//!   filters or `..` yields the JSON list of everything it matched. Empty
//!   stdout yields an empty value, as in Porter.
//! - `regex`: every capture group of every match, joined with newlines. A
//!   pattern without capture groups therefore yields an empty value.
//! - `path`: the contents of a file the command wrote. A relative path is
//!   resolved against the step's `dir`, else the bundle directory.

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json_path::JsonPath;

use crate::error::{Error, Result};

/// A named value a step produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// The output's name.
    pub name: String,
    /// The raw bytes; text is UTF-8.
    pub value: Vec<u8>,
}

impl Output {
    /// An output from anything that converts into bytes.
    pub fn new(name: impl Into<String>, value: impl Into<Vec<u8>>) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
        }
    }

    /// The value as text (invalid UTF-8 is replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.value).into_owned()
    }
}

/// One entry of a step's `outputs:` list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSpec {
    /// The output's name.
    pub name: String,
    /// A JSONPath evaluated against stdout.
    #[serde(default, rename = "jsonPath", skip_serializing_if = "Option::is_none")]
    pub json_path: Option<String>,
    /// A regular expression applied to stdout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// A file whose contents are the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Accepted because Porter's mixins accept it, and ignored as they
    /// ignore it: whether a value is sensitive is the bundle output's
    /// `sensitive`. A mixin's lint should say so ([`OutputSpec::ignored_sensitive`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensitive: Option<bool>,
}

/// Where an output's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputSource<'a> {
    /// `jsonPath:`
    JsonPath(&'a str),
    /// `regex:`
    Regex(&'a str),
    /// `path:`
    Path(&'a str),
}

impl OutputSpec {
    /// The warning for a step output's `sensitive`, which Porter accepts
    /// and ignores, if it has one.
    pub fn ignored_sensitive(&self) -> Option<String> {
        self.sensitive.map(|_| {
            format!(
                "`sensitive` on the step output `{}` is ignored, as Porter ignores it; mark the \
                 bundle's output of that name `sensitive: true` to keep its value out of logs \
                 and records",
                self.name
            )
        })
    }

    /// The single source this output names, or a message saying why there
    /// is not exactly one.
    pub fn source(&self) -> std::result::Result<OutputSource<'_>, String> {
        let sources: Vec<OutputSource<'_>> = [
            self.json_path.as_deref().map(OutputSource::JsonPath),
            self.regex.as_deref().map(OutputSource::Regex),
            self.path.as_deref().map(OutputSource::Path),
        ]
        .into_iter()
        .flatten()
        .collect();
        match sources.as_slice() {
            [one] => Ok(*one),
            [] => Err(format!(
                "output `{}` needs one of jsonPath, regex or path",
                self.name
            )),
            _ => Err(format!(
                "output `{}` gives more than one of jsonPath, regex and path; keep one",
                self.name
            )),
        }
    }

    /// Problems that can be found without running anything: a missing or
    /// doubled source, an invalid JSONPath, an invalid regular expression.
    pub fn check(&self) -> std::result::Result<(), String> {
        match self.source()? {
            OutputSource::JsonPath(path) => JsonPath::parse(path).map(drop).map_err(|e| {
                format!(
                    "output `{}`: {path:?} is not a valid JSONPath: {e}",
                    self.name
                )
            }),
            OutputSource::Regex(pattern) => Regex::new(pattern).map(drop).map_err(|e| {
                format!(
                    "output `{}`: {pattern:?} is not a valid regular expression: {e}",
                    self.name
                )
            }),
            OutputSource::Path(_) => Ok(()),
        }
    }
}

/// Scrapes every output in `specs` from a finished command's stdout and the
/// files it wrote. `dir` is the step's working directory, used to resolve
/// relative `path` outputs.
pub fn extract_outputs(
    specs: &[OutputSpec],
    stdout: &[u8],
    dir: Option<&str>,
) -> Result<Vec<Output>> {
    let text = String::from_utf8_lossy(stdout);
    let mut parsed_stdout: Option<Value> = None;
    let mut outputs = Vec::with_capacity(specs.len());
    for spec in specs {
        let source = spec.source().map_err(Error::new)?;
        let value = match source {
            OutputSource::JsonPath(path) => {
                if text.trim().is_empty() {
                    Vec::new()
                } else {
                    let json = match &parsed_stdout {
                        Some(json) => json,
                        None => parsed_stdout.insert(serde_json::from_str(&text).map_err(|e| {
                            Error::new(format!(
                                "output `{}`: stdout is not JSON ({e}), so jsonPath {path:?} cannot be applied",
                                spec.name
                            ))
                        })?),
                    };
                    json_path_value(&spec.name, path, json)?
                }
            }
            OutputSource::Regex(pattern) => regex_value(&spec.name, pattern, &text)?,
            OutputSource::Path(path) => read_output_file(&spec.name, path, dir)?,
        };
        outputs.push(Output::new(spec.name.clone(), value));
    }
    Ok(outputs)
}

/// Applies a JSONPath with Porter's encoding of the result.
pub fn json_path_value(name: &str, path: &str, json: &Value) -> Result<Vec<u8>> {
    let query = JsonPath::parse(path).map_err(|e| {
        Error::new(format!(
            "output `{name}`: {path:?} is not a valid JSONPath: {e}"
        ))
    })?;
    let nodes = query.query(json).all();
    let value = if is_singular(path) {
        match nodes.as_slice() {
            [one] => (*one).clone(),
            _ => {
                return Err(Error::new(format!(
                    "output `{name}`: jsonPath {path:?} matched nothing in stdout"
                )));
            }
        }
    } else {
        Value::Array(nodes.into_iter().cloned().collect())
    };
    Ok(match value {
        Value::String(s) => s.into_bytes(),
        other => other.to_string().into_bytes(),
    })
}

/// True when a JSONPath names at most one node: only member names and
/// single indexes, no wildcard, slice, filter, union or descendant segment.
fn is_singular(path: &str) -> bool {
    let mut in_quote: Option<char> = None;
    let mut in_bracket = false;
    let mut previous = '\0';
    for c in path.chars() {
        match in_quote {
            Some(q) if c == q && previous != '\\' => in_quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' => in_quote = Some(c),
                '[' => in_bracket = true,
                ']' => in_bracket = false,
                '*' | '?' => return false,
                '.' if previous == '.' => return false,
                ':' | ',' if in_bracket => return false,
                _ => {}
            },
        }
        previous = c;
    }
    true
}

/// Joins every capture group of every match with newlines.
pub fn regex_value(name: &str, pattern: &str, text: &str) -> Result<Vec<u8>> {
    let re = Regex::new(pattern).map_err(|e| {
        Error::new(format!(
            "output `{name}`: {pattern:?} is not a valid regular expression: {e}"
        ))
    })?;
    let groups: Vec<&str> = re
        .captures_iter(text)
        .flat_map(|caps| {
            caps.iter()
                .skip(1)
                .map(|group| group.map_or("", |m| m.as_str()))
                .collect::<Vec<_>>()
        })
        .collect();
    Ok(groups.join("\n").into_bytes())
}

fn read_output_file(name: &str, path: &str, dir: Option<&str>) -> Result<Vec<u8>> {
    let full = match dir {
        Some(dir) if !path.starts_with('/') => format!("{}/{path}", dir.trim_end_matches('/')),
        _ => path.to_string(),
    };
    std::fs::read(&full).map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::NotFound {
            "; check that the command writes it"
        } else {
            "; a mixin sees only the bundle directory unless it may run any program"
        };
        Error::new(format!("output `{name}`: cannot read {full}: {e}{hint}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(name: &str, field: &str, value: &str) -> OutputSpec {
        serde_json::from_value(json!({"name": name, field: value})).unwrap()
    }

    fn text(out: &[Output], i: usize) -> String {
        out[i].text()
    }

    #[test]
    fn json_path_reencodes_lists_and_maps_and_leaves_scalars_bare() {
        let stdout = br#"{"a":[1,2],"m":{"k":"v"},"s":"hello","n":42,"f":1.5,"b":true}"#;
        let specs = [
            spec("a", "jsonPath", "$.a"),
            spec("m", "jsonPath", "$.m"),
            spec("s", "jsonPath", "$.s"),
            spec("n", "jsonPath", "$.n"),
            spec("f", "jsonPath", "$.f"),
            spec("b", "jsonPath", "$['b']"),
        ];
        let out = extract_outputs(&specs, stdout, None).unwrap();
        assert_eq!(text(&out, 0), "[1,2]");
        assert_eq!(text(&out, 1), r#"{"k":"v"}"#);
        assert_eq!(text(&out, 2), "hello");
        assert_eq!(text(&out, 3), "42");
        assert_eq!(text(&out, 4), "1.5");
        assert_eq!(text(&out, 5), "true");
    }

    #[test]
    fn json_path_index_and_wildcard() {
        let stdout = br#"{"users":[{"name":"ann"},{"name":"bob"}]}"#;
        let specs = [
            spec("first", "jsonPath", "$.users[0]"),
            spec("names", "jsonPath", "$.users[*].name"),
            spec("deep", "jsonPath", "$..name"),
        ];
        let out = extract_outputs(&specs, stdout, None).unwrap();
        assert_eq!(text(&out, 0), r#"{"name":"ann"}"#);
        assert_eq!(text(&out, 1), r#"["ann","bob"]"#);
        assert_eq!(text(&out, 2), r#"["ann","bob"]"#);
    }

    #[test]
    fn json_path_on_empty_stdout_is_empty_and_on_text_is_an_error() {
        let specs = [spec("x", "jsonPath", "$.a")];
        assert_eq!(extract_outputs(&specs, b"", None).unwrap()[0].value, b"");
        let err = extract_outputs(&specs, b"not json", None).unwrap_err();
        assert!(err.message().contains("stdout is not JSON"), "{err}");
    }

    #[test]
    fn json_path_missing_member_names_the_output() {
        let err = extract_outputs(&[spec("x", "jsonPath", "$.nope")], b"{}", None).unwrap_err();
        assert!(err.message().contains("output `x`"), "{err}");
        assert!(err.message().contains("matched nothing"), "{err}");
    }

    #[test]
    fn regex_joins_all_groups_of_all_matches_with_newlines() {
        let stdout = b"--- FAIL: TestA (0.1s)\nok\n--- FAIL: TestB (0.2s)\n";
        let specs = [
            spec("failed", "regex", r"--- FAIL: (.*) \((.*)\)"),
            spec("none", "regex", "FAIL"),
        ];
        let out = extract_outputs(&specs, stdout, None).unwrap();
        assert_eq!(text(&out, 0), "TestA\n0.1s\nTestB\n0.2s");
        assert_eq!(text(&out, 1), "");
    }

    #[test]
    fn path_reads_relative_to_dir() {
        let dir = std::env::temp_dir().join(format!("mixin-sdk-path-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("out.txt"), "contents").unwrap();
        let out = extract_outputs(&[spec("f", "path", "out.txt")], b"", dir.to_str()).unwrap();
        assert_eq!(text(&out, 0), "contents");
        let err =
            extract_outputs(&[spec("g", "path", "missing.txt")], b"", dir.to_str()).unwrap_err();
        assert!(err.message().contains("cannot read"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn exactly_one_source_is_required() {
        let none: OutputSpec = serde_json::from_value(json!({"name": "x"})).unwrap();
        assert!(none.source().unwrap_err().contains("needs one of"));
        let two: OutputSpec =
            serde_json::from_value(json!({"name": "x", "regex": "a", "path": "b"})).unwrap();
        assert!(two.source().unwrap_err().contains("more than one"));
    }

    #[test]
    fn singular_paths() {
        assert!(is_singular("$.a.b[0]['c.d']"));
        assert!(is_singular("$['a*']"));
        assert!(!is_singular("$.a[*]"));
        assert!(!is_singular("$..a"));
        assert!(!is_singular("$.a[0:2]"));
        assert!(!is_singular("$.a[0,1]"));
        assert!(!is_singular("$.a[?@.b == 1]"));
    }
}
