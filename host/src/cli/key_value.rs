//! `NAME=VALUE` flags (`--param`, `--label`, `--build-arg`, `--custom`):
//! split once, by clap, so every flag accepts the same text and refuses
//! bad text with the same message before the command starts.

/// One `NAME=VALUE` flag: split at the first `=`, so the value may hold
/// more (`--param url=https://x?a=b`) and may be empty (`--param note=`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue {
    pub key: String,
    pub value: String,
}

impl KeyValue {
    /// The pair as a tuple, for APIs that take one.
    pub fn into_pair(self) -> (String, String) {
        (self.key, self.value)
    }
}

/// clap's value parser for `NAME=VALUE` flags: the name must not be empty.
pub fn key_value(text: &str) -> Result<KeyValue, String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok(KeyValue {
            key: key.to_string(),
            value: value.to_string(),
        }),
        _ => Err(format!(
            "expected NAME=VALUE (a name, `=`, then the value), got {text:?}"
        )),
    }
}

/// clap's value parser for filters where a bare `NAME` means `NAME=` (an
/// empty value), as Porter's `--label` filters take it.
pub fn key_optional_value(text: &str) -> Result<KeyValue, String> {
    if text.contains('=') {
        return key_value(text);
    }
    if text.is_empty() {
        return Err("expected NAME or NAME=VALUE, got an empty value".to_string());
    }
    Ok(KeyValue {
        key: text.to_string(),
        value: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(key: &str, value: &str) -> KeyValue {
        KeyValue {
            key: key.into(),
            value: value.into(),
        }
    }

    #[test]
    fn splits_at_the_first_equals_sign() {
        assert_eq!(key_value("name=value"), Ok(pair("name", "value")));
        assert_eq!(
            key_value("url=https://x?a=b"),
            Ok(pair("url", "https://x?a=b"))
        );
        assert_eq!(key_value("empty="), Ok(pair("empty", "")));
        assert_eq!(key_value("file=@cfg.json"), Ok(pair("file", "@cfg.json")));
        assert_eq!(key_value("a.b.c= spaced "), Ok(pair("a.b.c", " spaced ")));
    }

    #[test]
    fn refuses_text_without_a_name_or_an_equals_sign() {
        for bad in ["novalue", "=value", "=", ""] {
            let err = key_value(bad).unwrap_err();
            assert!(err.starts_with("expected NAME=VALUE"), "{err}");
            assert!(err.contains(&format!("{bad:?}")), "{err}");
        }
    }

    #[test]
    fn filters_take_a_bare_name_as_an_empty_value() {
        assert_eq!(key_optional_value("team"), Ok(pair("team", "")));
        assert_eq!(key_optional_value("team=web"), Ok(pair("team", "web")));
        assert!(key_optional_value("=web").is_err());
        assert!(key_optional_value("").is_err());
    }

    #[test]
    fn clap_reports_the_flag_and_the_expected_form() {
        #[derive(Debug, clap::Parser)]
        struct Flags {
            #[arg(long = "param", value_parser = key_value)]
            params: Vec<KeyValue>,
        }
        use clap::Parser as _;
        let flags = Flags::try_parse_from(["wharf", "--param", "a=1", "--param", "b=x=y"]).unwrap();
        assert_eq!(flags.params, [pair("a", "1"), pair("b", "x=y")]);
        let err = Flags::try_parse_from(["wharf", "--param", "oops"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("--param"), "{err}");
        assert!(err.contains("expected NAME=VALUE"), "{err}");
        assert!(err.contains("\"oops\""), "{err}");
    }
}
