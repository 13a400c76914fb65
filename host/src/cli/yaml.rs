//! `-o yaml`: JSON data as YAML, through yaml-rust2's emitter.
//!
//! Strings must read back as the same strings, in yaml-rust2 and in YAML
//! 1.1 parsers alike. The emitter quotes most strings that would not
//! (`true`, `null`, `0x1F`, `foo:`, `- a`, ...), but writes some plain
//! that another parser reads as something else or that are not valid
//! plain YAML at all: `+.inf` (a float), `0o17` (an integer),
//! `2024-05-01` (a YAML 1.1 date), `1_000` (a YAML 1.1 integer), and text
//! holding ESC, BEL, DEL, C1 or line-separator characters, which must
//! also never reach a terminal raw. Those strings are swapped for
//! placeholders the emitter does quote, and each placeholder is then
//! replaced by the string double-quoted with every such character escaped.

use anyhow::{Context, Result};
use serde_json::Value;
use yaml_rust2::{Yaml, YamlEmitter};

/// What starts a placeholder: U+0001, which the emitter always quotes (as
/// `\u0001`), and which real strings never bring to the emitter (any
/// string with a control character is itself replaced by a placeholder).
const PLACEHOLDER: &str = "\u{1}wharf-yaml-";
/// A quoted placeholder as the emitter writes it, up to its number.
const EMITTED_PLACEHOLDER: &str = "\"\\u0001wharf-yaml-";

/// `value` as a YAML document, without the `---` line, ending in a newline.
pub fn to_yaml(value: &Value) -> Result<String> {
    let mut quoted = Vec::new();
    let document = convert(value, &mut |text| {
        if emitter_leaves_unsafe(text) {
            quoted.push(double_quoted(text));
            Yaml::String(format!("{PLACEHOLDER}{}", quoted.len() - 1))
        } else {
            Yaml::String(text.to_string())
        }
    });
    let mut emitted = String::new();
    YamlEmitter::new(&mut emitted)
        .dump(&document)
        .context("cannot write the data as YAML")?;
    let mut yaml = replace_placeholders(&emitted, &quoted)?;
    if let Some(body) = yaml.strip_prefix("---\n") {
        yaml = body.to_string();
    }
    yaml.push('\n');
    Ok(yaml)
}

/// `value` as YAML data, with strings made by `string`.
fn convert(value: &Value, string: &mut dyn FnMut(&str) -> Yaml) -> Yaml {
    match value {
        Value::Null => Yaml::Null,
        Value::Bool(b) => Yaml::Boolean(*b),
        // yaml-rust2 keeps floats (and integers too big for i64) as text.
        Value::Number(n) => n
            .as_i64()
            .map_or_else(|| Yaml::Real(n.to_string()), Yaml::Integer),
        Value::String(text) => string(text),
        Value::Array(items) => Yaml::Array(items.iter().map(|v| convert(v, string)).collect()),
        Value::Object(map) => Yaml::Hash(
            map.iter()
                .map(|(k, v)| (string(k), convert(v, string)))
                .collect(),
        ),
    }
}

/// Whether the emitter would write `text` plain although it must not be.
fn emitter_leaves_unsafe(text: &str) -> bool {
    let digits_after = |prefix: &str| {
        text.strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
    };
    let bytes = text.as_bytes();
    let looks_like_a_date = bytes.len() >= 6
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && bytes[5].is_ascii_digit();
    let number_with_underscores = text.contains('_') && {
        let bare = text.replace('_', "");
        bare.parse::<f64>().is_ok() || bare.parse::<i64>().is_ok()
    };
    text.chars().any(must_escape)
        || text.starts_with('+')
        || digits_after("0o")
        || digits_after("0b")
        || looks_like_a_date
        || number_with_underscores
}

/// Characters written as escapes: controls (newline and tab included, as
/// a double-quoted scalar folds raw ones), line and paragraph separators
/// and the byte-order mark.
fn must_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// `text` as a YAML double-quoted scalar.
fn double_quoted(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\t' => quoted.push_str("\\t"),
            '\r' => quoted.push_str("\\r"),
            c if must_escape(c) => quoted.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// The emitted document with each quoted placeholder replaced by its
/// string.
fn replace_placeholders(emitted: &str, quoted: &[String]) -> Result<String> {
    let mut out = String::with_capacity(emitted.len());
    let mut rest = emitted;
    while let Some(start) = rest.find(EMITTED_PLACEHOLDER) {
        out.push_str(&rest[..start]);
        let after = &rest[start + EMITTED_PLACEHOLDER.len()..];
        let end = after
            .find('"')
            .context("the YAML emitter cut a placeholder short")?;
        let index: usize = after[..end]
            .parse()
            .context("the YAML emitter changed a placeholder")?;
        let text = quoted
            .get(index)
            .context("the YAML emitter wrote an unknown placeholder")?;
        out.push_str(text);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use yaml_rust2::YamlLoader;

    /// Strings that are easy to get wrong in YAML.
    fn nasty_strings() -> Vec<String> {
        let mut strings: Vec<String> = [
            "foo:",
            "key: value",
            "True",
            "true",
            "FALSE",
            "null",
            "Null",
            "~",
            "0x1F",
            "0o17",
            "0b101",
            "1e3",
            "- a",
            "-",
            "--- x",
            "...",
            "#x",
            "a #b",
            "",
            " lead",
            "trail ",
            "multi\nline",
            "trailing newline\n",
            "tab\t",
            "\tlead tab",
            "'",
            "\"",
            "\\",
            "back\\slash",
            "@x",
            "`x",
            "{a}",
            "[a]",
            "*a",
            "&a",
            "!a",
            "%a",
            "|",
            ">",
            "?",
            "? a",
            ":",
            ",",
            "a,b",
            "yes",
            "NO",
            "on",
            "Off",
            "y",
            "n",
            "1.0",
            ".inf",
            "+.inf",
            "-.inf",
            ".NaN",
            "-.5",
            "+1",
            "012",
            "1_000",
            "1_0.5",
            "2024-05-01",
            "2024-05-01T10:20:30Z",
            "1:20",
            "=",
            "<<",
            "ünïcødé",
            "日本語",
            "🚢 ship",
            "\u{2028}sep\u{2029}",
            "\u{feff}bom",
            "nel\u{85}",
            "c1\u{9b}31m",
            "esc\x1b[31mred",
            "bell\x07",
            "nul\0",
            "del\x7f",
            "cr\r",
            "\x01wharf-yaml-0",
            "\\u0001wharf-yaml-0",
            "\"\\u0001wharf-yaml-0\"",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        strings.extend((0u8..0x20).map(|b| format!("control {}", char::from(b))));
        strings
    }

    fn round_trip(value: &Value) -> (String, Yaml) {
        let text = to_yaml(value).unwrap();
        let mut docs =
            YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("not YAML ({e}):\n{text}"));
        assert_eq!(docs.len(), 1, "{text}");
        (text.clone(), docs.remove(0))
    }

    fn faithful(value: &Value) -> Yaml {
        convert(value, &mut |text| Yaml::String(text.to_string()))
    }

    #[test]
    fn every_string_reads_back_as_itself_as_a_value_and_as_a_key() {
        for text in nasty_strings() {
            let value = json!({ "value": text, "list": [text, text], text.clone(): 1 });
            let (yaml, loaded) = round_trip(&value);
            assert_eq!(
                loaded,
                faithful(&value),
                "{text:?} came back changed from:\n{yaml}"
            );
        }
    }

    #[test]
    fn nested_data_reads_back_unchanged() {
        let strings = nasty_strings();
        let value = json!({
            "strings": strings,
            "numbers": [0, -1, 42, i64::MIN, i64::MAX, u64::MAX, 1.5, -0.25, 1e300, 2.5e-8],
            "bools": [true, false],
            "nothing": null,
            "empty": {"map": {}, "list": []},
            "nested": [{"a": [{"b": {"c": [[1, 2], [], [{}]]}}]}, [["deep"]]],
            "outputs": [{"name": "foo:", "value": "True", "sensitive": false}],
        });
        let (yaml, loaded) = round_trip(&value);
        assert_eq!(loaded, faithful(&value), "came back changed from:\n{yaml}");
        for scalar in [json!("plain"), json!(7), json!(null), json!([]), json!({})] {
            let (yaml, loaded) = round_trip(&scalar);
            assert_eq!(loaded, faithful(&scalar), "{yaml}");
        }
    }

    #[test]
    fn the_text_holds_no_raw_control_characters() {
        let (yaml, _) = round_trip(&json!({ "strings": nasty_strings() }));
        let raw: Vec<char> = yaml
            .chars()
            .filter(|&c| c != '\n' && must_escape(c))
            .collect();
        assert!(raw.is_empty(), "raw {raw:?} in:\n{yaml}");
    }

    #[test]
    fn strings_that_read_as_other_types_are_quoted() {
        let yaml = to_yaml(&json!({
            "a": "foo:", "b": "True", "c": "null", "d": "0x1F", "e": "+.inf",
            "f": "2024-05-01", "g": "plain text", "h": 3, "i": null,
        }))
        .unwrap();
        assert_eq!(
            yaml,
            "a: \"foo:\"\nb: \"True\"\nc: \"null\"\nd: \"0x1F\"\ne: \"+.inf\"\n\
             f: \"2024-05-01\"\ng: plain text\nh: 3\ni: ~\n"
        );
    }

    #[test]
    fn lists_of_maps_are_block_yaml() {
        let yaml =
            to_yaml(&json!({"missingMixins": ["helm3"], "items": [{"name": "a", "count": 1}]}))
                .unwrap();
        assert_eq!(
            yaml,
            "missingMixins:\n  - helm3\nitems:\n  - name: a\n    count: 1\n"
        );
    }
}
