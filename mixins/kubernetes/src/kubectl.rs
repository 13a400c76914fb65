//! kubectl support shared by the kubernetes and helm3 mixins.
//!
//! Both of Porter's mixins install kubectl into the invocation image and read
//! outputs from cluster resources with `kubectl get`, so both Wharf mixins
//! need the same kubectl download, version checks, output commands and
//! forgiving field types. The helm3 crate compiles this file as its own
//! module (`#[path]`) rather than keeping a copy; everything here belongs in
//! the mixin SDK (or a small `mixin-sdk-k8s` crate) once such a place exists.

use std::collections::BTreeMap;

use mixin_sdk::{Command, Download, Error, Result, ResultExt};
use serde::Deserialize;
use serde::de::{self, Deserializer};
use serde_json::Value;

/// The kubectl installed when the manifest names no version: the release
/// whose flag parsing Wharf's tests check against a real client.
pub const DEFAULT_KUBECTL_VERSION: &str = "v1.32.4";

/// Where kubectl releases are published; a mirror keeps the same layout.
pub const KUBECTL_DOWNLOADS: &str = "https://dl.k8s.io";

/// A version such as `v1.32.4`, checked so it can be put into a download URL
/// and a Dockerfile as it is. The leading `v` is optional in the manifest,
/// as it is for Porter, and always present in the result.
pub fn client_version(given: &str, major: u64, what: &str) -> std::result::Result<String, String> {
    let bare = given.strip_prefix('v').unwrap_or(given);
    let (core, suffix) = match bare.find(['-', '+']) {
        Some(i) => (&bare[..i], &bare[i..]),
        None => (bare, ""),
    };
    let parts: Vec<&str> = core.split('.').collect();
    let numeric = parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    let suffix_ok = suffix
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-+.".contains(c));
    if !numeric || !suffix_ok {
        return Err(format!(
            "{what} {given:?} is not a version like v{major}.1.2; give the full MAJOR.MINOR.PATCH"
        ));
    }
    if parts[0].parse::<u64>().ok() != Some(major) {
        return Err(format!(
            "{what} {given:?} is not supported: only v{major}.x.y releases work with this mixin"
        ));
    }
    Ok(format!("v{bare}"))
}

/// A download base URL from the manifest (for airgapped builds), without a
/// trailing slash. Only plain URL characters are accepted, so a mirror
/// reads the same in every message and log.
pub fn mirror(
    given: Option<&str>,
    default: &str,
    what: &str,
) -> std::result::Result<String, String> {
    let Some(given) = given else {
        return Ok(default.to_string());
    };
    let base = given.trim_end_matches('/');
    let scheme_ok = base.starts_with("https://") || base.starts_with("http://");
    let chars_ok = base
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-._~:/%@+,=".contains(c));
    if !scheme_ok || !chars_ok || base.ends_with("//") {
        return Err(format!(
            "{what} {given:?} must be an http(s) URL made of letters, digits and -._~:/%@+,="
        ));
    }
    Ok(base.to_string())
}

/// Where kubectl is installed.
pub const KUBECTL_PATH: &str = "/usr/local/bin/kubectl";

/// The download of kubectl `version` (already checked) from `base`,
/// checked against the `.sha256` published beside it.
pub fn kubectl_download(version: &str, base: &str) -> Download {
    let url = format!("{base}/release/{version}/bin/linux/amd64/kubectl");
    Download::new(&url, KUBECTL_PATH).sums_file(format!("{url}.sha256"))
}

/// A value read from a Kubernetes resource: Porter's `resourceType`,
/// `resourceName`, `namespace` and `jsonPath` output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceQuery<'a> {
    /// `service`, `deployment`, ...
    pub resource_type: &'a str,
    /// The resource's name.
    pub resource_name: &'a str,
    /// A kubectl JSONPath template such as `{.spec.clusterIP}`.
    pub json_path: &'a str,
    /// The namespace; none means the kubeconfig's.
    pub namespace: Option<&'a str>,
}

impl ResourceQuery<'_> {
    /// `kubectl get TYPE NAME -o=jsonpath=PATH [--namespace=NS]`, the command
    /// line of Porter's kubernetes mixin. Its stdout is the value: kubectl
    /// prints a JSONPath result with no trailing newline.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new("kubectl")
            .arg("get")
            .arg(self.resource_type)
            .arg(self.resource_name)
            .arg(format!("-o=jsonpath={}", self.json_path));
        if let Some(ns) = self.namespace.filter(|ns| !ns.is_empty()) {
            cmd = cmd.arg(format!("--namespace={ns}"));
        }
        // Captured, not shown: outputs may be sensitive.
        cmd.stream_output(false)
    }
}

/// Runs `cmd` and returns its stdout, or an error quoting its stderr.
pub fn run_captured(cmd: &Command) -> Result<Vec<u8>> {
    let out = cmd
        .run()
        .context(format!("running `{}`", cmd.display()))?
        .check()?;
    Ok(out.stdout)
}

/// Problems with a kubectl JSONPath template that kubectl itself would not
/// report: without braces kubectl prints the text as it is (so `$.spec.x`,
/// the exec mixin's JSONPath form, silently yields `$.spec.x`), and
/// unbalanced braces fail only at run time.
pub fn check_json_path_template(path: &str) -> std::result::Result<(), String> {
    if !path.contains('{') {
        return Err(format!(
            "jsonPath {path:?} is not a kubectl JSONPath template; kubectl would print it as \
             it is. Wrap the expression in braces, for example \"{{.spec.clusterIP}}\""
        ));
    }
    let mut depth = 0i32;
    for c in path.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            break;
        }
    }
    if depth != 0 {
        return Err(format!("jsonPath {path:?} has unbalanced braces"));
    }
    Ok(())
}

/// True for text the runtime still has to render (`{{ ... }}` or `${ ... }`);
/// lint sees manifests before rendering.
pub fn is_template(text: &str) -> bool {
    text.contains("{{") || text.contains("${")
}

/// Deserializers that take what YAML and templates produce: a boolean or
/// number may arrive as text (`"true"`, `"30"`), and at lint time as an
/// unrendered template, which counts as "not given" because its value is not
/// known yet. Porter's Go mixins are as forgiving.
pub mod lenient {
    use super::*;

    fn scalar(value: Value, field: &str) -> std::result::Result<Option<String>, String> {
        match value {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s)),
            Value::Bool(b) => Ok(Some(b.to_string())),
            Value::Number(n) => Ok(Some(n.to_string())),
            _ => Err(format!("`{field}` must be a string, a number or a boolean")),
        }
    }

    /// An optional boolean.
    pub fn bool<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<bool>, D::Error> {
        match scalar(Value::deserialize(d)?, "a boolean field").map_err(de::Error::custom)? {
            None => Ok(None),
            Some(text) if is_template(&text) => Ok(None),
            Some(text) => match text.as_str() {
                "true" | "True" | "TRUE" => Ok(Some(true)),
                "false" | "False" | "FALSE" => Ok(Some(false)),
                _ => Err(de::Error::custom(format!("{text:?} is not true or false"))),
            },
        }
    }

    /// An optional integer.
    pub fn int<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<i64>, D::Error> {
        match scalar(Value::deserialize(d)?, "a number field").map_err(de::Error::custom)? {
            None => Ok(None),
            Some(text) if is_template(&text) => Ok(None),
            Some(text) => text
                .parse()
                .map(Some)
                .map_err(|_| de::Error::custom(format!("{text:?} is not a whole number"))),
        }
    }

    /// An optional string; numbers and booleans become their text, as a
    /// chart version like `6.14` does in YAML.
    pub fn string<'de, D: Deserializer<'de>>(
        d: D,
    ) -> std::result::Result<Option<String>, D::Error> {
        scalar(Value::deserialize(d)?, "a text field").map_err(de::Error::custom)
    }

    /// An optional map of scalars as text, as Go's YAML decoder gives
    /// Porter a `map[string]string`: `enabled: false` becomes `false`, a
    /// null becomes empty.
    pub fn string_map<'de, D: Deserializer<'de>>(
        d: D,
    ) -> std::result::Result<Option<BTreeMap<String, String>>, D::Error> {
        let Some(map) = Option::<BTreeMap<String, Value>>::deserialize(d)? else {
            return Ok(None);
        };
        map.into_iter()
            .map(|(k, v)| {
                let text = scalar(v, &k).map_err(de::Error::custom)?;
                Ok((k, text.unwrap_or_default()))
            })
            .collect::<std::result::Result<_, _>>()
            .map(Some)
    }

    /// An optional list of strings (numbers and booleans become text).
    pub fn strings<'de, D: Deserializer<'de>>(
        d: D,
    ) -> std::result::Result<Option<Vec<String>>, D::Error> {
        let Some(items) = Option::<Vec<Value>>::deserialize(d)? else {
            return Ok(None);
        };
        items
            .into_iter()
            .map(|v| {
                scalar(v, "a list item")
                    .map(Option::unwrap_or_default)
                    .map_err(de::Error::custom)
            })
            .collect::<std::result::Result<_, _>>()
            .map(Some)
    }
}

/// Joins several failures into one error, as Porter's multierror does for
/// steps that keep going after a failed command.
pub fn join_errors(errors: Vec<Error>) -> Result<()> {
    if errors.is_empty() {
        return Ok(());
    }
    let messages: Vec<String> = errors.iter().map(|e| e.message().to_string()).collect();
    Err(Error::new(messages.join("\n")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_normalized_and_checked() {
        assert_eq!(client_version("v1.32.4", 1, "v").unwrap(), "v1.32.4");
        assert_eq!(client_version("3.17.3", 3, "v").unwrap(), "v3.17.3");
        assert_eq!(
            client_version("v3.0.0-rc.1", 3, "v").unwrap(),
            "v3.0.0-rc.1"
        );
        assert!(
            client_version("v3.8", 3, "v")
                .unwrap_err()
                .contains("MAJOR.MINOR.PATCH")
        );
        assert!(
            client_version("v2.17.0", 3, "v")
                .unwrap_err()
                .contains("only v3")
        );
        assert!(client_version("v1.2.3 && rm", 1, "v").is_err());
        assert!(client_version("v1.2.3-$(x)", 1, "v").is_err());
    }

    #[test]
    fn mirrors_must_be_plain_urls() {
        assert_eq!(mirror(None, "https://d", "m").unwrap(), "https://d");
        assert_eq!(
            mirror(Some("http://mirror.local:8080/k8s/"), "x", "m").unwrap(),
            "http://mirror.local:8080/k8s"
        );
        for bad in [
            "ftp://x",
            "https://x y",
            "https://$HOST/x",
            "mirror.local",
            "https://x\"y",
        ] {
            assert!(mirror(Some(bad), "x", "m").is_err(), "{bad}");
        }
    }

    #[test]
    fn kubectl_is_downloaded_and_checked_against_its_sha256() {
        assert_eq!(
            kubectl_download("v1.32.4", KUBECTL_DOWNLOADS),
            Download::new(
                "https://dl.k8s.io/release/v1.32.4/bin/linux/amd64/kubectl",
                "/usr/local/bin/kubectl"
            )
            .sums_file("https://dl.k8s.io/release/v1.32.4/bin/linux/amd64/kubectl.sha256")
        );
    }

    #[test]
    fn resource_query_is_porters_kubectl_get() {
        let q = ResourceQuery {
            resource_type: "service",
            resource_name: "web",
            json_path: "{.spec.clusterIP}",
            namespace: Some("prod"),
        };
        let cmd = q.command();
        assert_eq!(cmd.program(), "kubectl");
        assert_eq!(
            cmd.get_args(),
            [
                "get",
                "service",
                "web",
                "-o=jsonpath={.spec.clusterIP}",
                "--namespace=prod"
            ]
        );
        let q = ResourceQuery {
            namespace: None,
            ..q
        };
        assert_eq!(q.command().get_args().len(), 4);
    }

    #[test]
    fn json_path_templates_need_balanced_braces() {
        assert!(check_json_path_template("{.spec.clusterIP}").is_ok());
        assert!(check_json_path_template("{range .items[*]}{.name}{end}").is_ok());
        assert!(
            check_json_path_template("$.spec.clusterIP")
                .unwrap_err()
                .contains("braces")
        );
        assert!(
            check_json_path_template("{.spec")
                .unwrap_err()
                .contains("unbalanced")
        );
    }

    #[derive(Deserialize)]
    struct Lenient {
        #[serde(default, deserialize_with = "lenient::bool")]
        b: Option<bool>,
        #[serde(default, deserialize_with = "lenient::int")]
        n: Option<i64>,
        #[serde(default, deserialize_with = "lenient::string")]
        s: Option<String>,
        #[serde(default, deserialize_with = "lenient::strings")]
        l: Option<Vec<String>>,
    }

    fn lenient(v: Value) -> std::result::Result<Lenient, serde_json::Error> {
        serde_json::from_value(v)
    }

    #[test]
    fn lenient_fields_take_text_and_templates() {
        let l =
            lenient(serde_json::json!({"b": "true", "n": "30", "s": 6.14, "l": ["a", 1, true]}))
                .unwrap();
        assert_eq!(
            (l.b, l.n, l.s.as_deref()),
            (Some(true), Some(30), Some("6.14"))
        );
        assert_eq!(l.l.unwrap(), ["a", "1", "true"]);
        let l = lenient(serde_json::json!({"b": "${ bundle.parameters.wait }", "n": "{{ x }}"}))
            .unwrap();
        assert_eq!((l.b, l.n), (None, None));
        assert!(lenient(serde_json::json!({"b": "yes"})).is_err());
        assert!(lenient(serde_json::json!({"n": 1.5})).is_err());
        assert!(lenient(serde_json::json!({"s": {"a": 1}})).is_err());
    }

    #[test]
    fn errors_are_joined_one_per_line() {
        assert!(join_errors(vec![]).is_ok());
        let err = join_errors(vec![Error::new("a"), Error::new("b")]).unwrap_err();
        assert_eq!(err.message(), "a\nb");
    }
}
