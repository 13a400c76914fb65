//! RFC 8785 JSON Canonicalization Scheme (JCS): the bytes a bundle digest is taken of.
//!
//! cnab-go's `Bundle.Marshal` is `json.Marshal` followed by the cyberphone
//! JCS transform, and the bundle digest Porter records is the sha256 of
//! those bytes. The transform re-parses Go's output and re-emits every
//! string itself, so Go's HTML escaping (`<` as `\u003c`) and its escaping
//! of U+2028/U+2029 do not survive: the canonical bytes hold those
//! characters raw. This module therefore implements plain JCS:
//!
//! - object members sorted by the UTF-16 code units of their names;
//! - no insignificant whitespace;
//! - strings escaped minimally: `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t`,
//!   other controls below U+0020 as `\u00xx` (lowercase hex), everything
//!   else (including `/`, DEL, U+2028, non-ASCII) as raw UTF-8;
//! - numbers as IEEE-754 doubles printed the way ECMAScript's
//!   `Number.prototype.toString` does (`1e+21`, `1.5`, `0.000001`, `1e-7`,
//!   and `0` for `-0`).
//!
//! Integers beyond 2^53 are rounded to the nearest double on purpose: the
//! Go transform parses every number as a float64, so that is what cnab-go
//! emits too. The output is only as exact as the parsed doubles, though:
//! serde_json reads long decimals correctly only with its `float_roundtrip`
//! feature (see the ignored test `parsed_numbers_round_trip`).

use serde_json::{Map, Value};

/// Serialises `value` as RFC 8785 canonical JSON.
///
/// Infallible: a [`serde_json::Value`] cannot hold NaN or infinities, the
/// only values JCS rejects.
pub fn canonicalize(value: &Value) -> Vec<u8> {
    let mut out = String::new();
    write_value(value, &mut out);
    out.into_bytes()
}

/// Formats a double as ECMAScript's `Number.prototype.toString` does, the
/// number form JCS prescribes. `None` for NaN and infinities, which JSON
/// cannot represent.
pub fn format_number(x: f64) -> Option<String> {
    if !x.is_finite() {
        return None;
    }
    if x == 0.0 {
        // Both 0 and -0 print as "0".
        return Some("0".to_owned());
    }
    let sign = if x < 0.0 { "-" } else { "" };
    let (digits, exponent) = shortest_digits(x.abs())?;
    Some(format!("{sign}{}", layout(&digits, exponent + 1)))
}

/// The significant digits `s` and decimal exponent of ECMAScript's
/// Number::toString: as few digits as round-trip to `x` and, of those,
/// the ones closest to `x`, ties going to an even last digit.
///
/// Rust's `{:e}` gives the minimal digit count, but on an exact tie
/// between two equally close candidates it picks the upper one (RFC 8785
/// Appendix B: 0x43143ff3c1cb0959 must print `1424953923781206.2`, not
/// `.3`). Exact formatting to that many digits rounds half to even, so it
/// is used whenever it still round-trips.
fn shortest_digits(x: f64) -> Option<(String, i32)> {
    let shortest = split_exp(&format!("{x:e}"))?;
    let precision = shortest.0.len().saturating_sub(1);
    let nearest_text = format!("{x:.precision$e}");
    let nearest = split_exp(&nearest_text)?;
    let round_trips = nearest_text.parse::<f64>().is_ok_and(|y| y == x);
    let (digits, exponent) = if round_trips { nearest } else { shortest };
    let digits = match digits.trim_end_matches('0') {
        "" => "0".to_owned(),
        trimmed => trimmed.to_owned(),
    };
    Some((digits, exponent))
}

/// Splits Rust's `d.ddde±x` into its digits (no point) and exponent.
fn split_exp(sci: &str) -> Option<(String, i32)> {
    let (mantissa, exponent) = sci.split_once('e')?;
    let digits = mantissa.chars().filter(|c| *c != '.').collect();
    Some((digits, exponent.parse().ok()?))
}

/// Lays out significant `digits` (k of them, no leading zero) whose value
/// is `0.digits × 10^n`, following ECMAScript Number::toString steps 6-10.
fn layout(digits: &str, n: i32) -> String {
    let k = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    if k <= n && n <= 21 {
        // Integer: the digits followed by n-k zeros.
        format!("{digits}{}", "0".repeat((n - k).unsigned_abs() as usize))
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at(n.unsigned_abs() as usize);
        format!("{int}.{frac}")
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat(n.unsigned_abs() as usize))
    } else {
        let e = n - 1;
        let e_sign = if e < 0 { '-' } else { '+' };
        let e = e.unsigned_abs();
        match digits.split_at_checked(1) {
            Some((first, rest)) if !rest.is_empty() => format!("{first}.{rest}e{e_sign}{e}"),
            _ => format!("{digits}e{e_sign}{e}"),
        }
    }
}

fn write_value(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => match n.as_f64().and_then(format_number) {
            Some(text) => out.push_str(&text),
            // Unreachable without serde_json's arbitrary_precision; keep
            // the number's own text rather than invent one.
            None => out.push_str(&n.to_string()),
        },
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => write_object(map, out),
    }
}

fn write_object(map: &Map<String, Value>, out: &mut String) {
    let mut members: Vec<(&String, &Value)> = map.iter().collect();
    // JCS sorts by UTF-16 code units, which differs from UTF-8 byte order
    // for characters above U+FFFF versus U+E000..U+FFFF.
    members.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
    out.push('{');
    for (i, (name, value)) in members.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(name, out);
        out.push(':');
        write_value(value, out);
    }
    out.push('}');
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0C}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn canon(v: &Value) -> String {
        String::from_utf8(canonicalize(v)).unwrap()
    }

    fn num(bits: u64) -> String {
        format_number(f64::from_bits(bits)).unwrap()
    }

    #[test]
    fn numbers_follow_ecmascript() {
        assert_eq!(format_number(1e21).unwrap(), "1e+21");
        assert_eq!(format_number(1e20).unwrap(), "100000000000000000000");
        assert_eq!(format_number(1.5).unwrap(), "1.5");
        assert_eq!(format_number(-0.0).unwrap(), "0");
        assert_eq!(format_number(0.0).unwrap(), "0");
        assert_eq!(format_number(1e-7).unwrap(), "1e-7");
        assert_eq!(format_number(1.5e-7).unwrap(), "1.5e-7");
        assert_eq!(format_number(0.000001).unwrap(), "0.000001");
        assert_eq!(format_number(123.0).unwrap(), "123");
        assert_eq!(format_number(-42.25).unwrap(), "-42.25");
        assert_eq!(format_number(0.1 + 0.2).unwrap(), "0.30000000000000004");
        assert_eq!(format_number(1e30).unwrap(), "1e+30");
        assert_eq!(format_number(2e-3).unwrap(), "0.002");
        assert_eq!(format_number(f64::NAN), None);
        assert_eq!(format_number(f64::INFINITY), None);
    }

    /// The IEEE-754 vectors of RFC 8785 Appendix B.
    #[test]
    fn numbers_match_rfc8785_appendix_b() {
        let cases: &[(u64, &str)] = &[
            (0x0000000000000000, "0"),
            (0x8000000000000000, "0"),
            (0x0000000000000001, "5e-324"),
            (0x8000000000000001, "-5e-324"),
            (0x7fefffffffffffff, "1.7976931348623157e+308"),
            (0xffefffffffffffff, "-1.7976931348623157e+308"),
            (0x4340000000000000, "9007199254740992"),
            (0xc340000000000000, "-9007199254740992"),
            (0x4430000000000000, "295147905179352830000"),
            (0x44b52d02c7e14af5, "9.999999999999997e+22"),
            (0x44b52d02c7e14af6, "1e+23"),
            (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
            (0x444b1ae4d6e2ef4e, "999999999999999700000"),
            (0x444b1ae4d6e2ef4f, "999999999999999900000"),
            (0x444b1ae4d6e2ef50, "1e+21"),
            (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
            (0x3eb0c6f7a0b5ed8d, "0.000001"),
            (0x41b3de4355555553, "333333333.3333332"),
            (0x41b3de4355555554, "333333333.33333325"),
            (0x41b3de4355555555, "333333333.3333333"),
            (0x41b3de4355555556, "333333333.3333334"),
            (0x41b3de4355555557, "333333333.33333343"),
            (0xbecbf647612f3696, "-0.0000033333333333333333"),
            (0x43143ff3c1cb0959, "1424953923781206.2"),
        ];
        for (bits, want) in cases {
            assert_eq!(num(*bits), *want, "bits {bits:#018x}");
        }
    }

    /// Canonical numbers are only as right as the parsed doubles. Without
    /// serde_json's `float_roundtrip` feature its parser is off by one ulp
    /// for about a quarter of 17-digit numbers (this one reads as
    /// ...5576), so Wharf would print a number cnab-go does not.
    #[test]
    fn parsed_numbers_round_trip() {
        for text in [
            "905.9668470265575",
            "126825225044.70433",
            "-0.00011579031941669301",
        ] {
            let v: Value = serde_json::from_str(text).unwrap();
            let want = format_number(text.parse().unwrap()).unwrap();
            assert_eq!(canon(&v), want, "{text}");
        }
    }

    #[test]
    fn integers_are_doubles() {
        assert_eq!(canon(&json!(u64::MAX)), "18446744073709552000");
        assert_eq!(canon(&json!(-7)), "-7");
        assert_eq!(canon(&json!(507)), "507");
    }

    #[test]
    fn strings_escape_minimally() {
        assert_eq!(canon(&json!("a\"b\\c")), r#""a\"b\\c""#);
        assert_eq!(canon(&json!("\u{8}\u{c}\n\r\t")), r#""\b\f\n\r\t""#);
        assert_eq!(canon(&json!("\u{0}\u{1f}\u{b}")), r#""\u0000\u001f\u000b""#);
        // Not escaped: '/', DEL, line/paragraph separators, HTML characters.
        assert_eq!(canon(&json!("/\u{7f}")), "\"/\u{7f}\"");
        assert_eq!(canon(&json!("\u{2028}\u{2029}")), "\"\u{2028}\u{2029}\"");
        assert_eq!(canon(&json!("<a&b>")), "\"<a&b>\"");
        assert_eq!(canon(&json!("€😀")), "\"€😀\"");
    }

    #[test]
    fn keys_sort_by_utf16_code_units() {
        // The sorting example of RFC 8785 section 3.2.3.
        let v: Value = serde_json::from_str(
            r#"{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"}"#,
        )
        .unwrap();
        let names: Vec<String> = match serde_json::from_slice::<Value>(&canonicalize(&v)) {
            Ok(Value::Object(m)) => m.values().map(|v| v.as_str().unwrap().to_owned()).collect(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            names,
            [
                "Carriage Return",
                "One",
                "Control",
                "Latin Small Letter O With Diaeresis",
                "Euro Sign",
                "Emoji: Grinning Face",
                "Hebrew Letter Dalet With Dagesh"
            ]
        );
        // UTF-8 byte order would put U+E000 first.
        assert_eq!(
            canon(&json!({"\u{e000}": 1, "😀": 2})),
            "{\"😀\":2,\"\u{e000}\":1}"
        );
    }

    #[test]
    fn structure_has_no_whitespace_and_recurses() {
        let v: Value = serde_json::from_str(
            r#"{ "numbers": [1E30, 4.50, 6, 2e-3, 0.000000000000000000000000001],
                 "escaping": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
                 "other": [null, true, false], "nested": {"b": [], "a": {}} }"#,
        )
        .unwrap();
        assert_eq!(
            canon(&v),
            r#"{"escaping":"€$\u000f\nA'B\"\\\\\"/","nested":{"a":{},"b":[]},"numbers":[1e+30,4.5,6,0.002,1e-27],"other":[null,true,false]}"#
        );
    }
}
