//! The mixin's configuration (`mixins: - terraform: {...}`), its checks, and
//! the part of it the steps need at run time.
//!
//! Porter's keys are kept: `clientVersion`, `workingDir`, `workingDirs`,
//! `initFile`, `installHost` and `userAgentOptOut`. Wharf adds `mirror`: the
//! URL of a directory holding `terraform_<v>_linux_amd64.zip` and
//! `terraform_<v>_SHA256SUMS`, for builds that cannot reach HashiCorp.
//!
//! `execute` receives the configuration (`wharf:mixin@0.2.0`), so a
//! configured working directory holds at run time too, where Porter's
//! runtime falls back to `terraform`. The part the steps need is
//! [`RuntimeConfig`].

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Porter's default terraform version.
pub const DEFAULT_CLIENT_VERSION: &str = "1.2.9";
/// Where HashiCorp publishes terraform releases (Porter's `installHost`).
pub const DEFAULT_INSTALL_HOST: &str = "https://releases.hashicorp.com";
/// Porter's default working directory, relative to the bundle directory.
pub const DEFAULT_WORKING_DIR: &str = "terraform";
/// The bundle directory inside the invocation image.
pub const BUNDLE_DIR: &str = "/cnab/app";

/// The `mixins: - terraform:` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The terraform version to install.
    #[serde(default, rename = "clientVersion")]
    pub client_version: Option<String>,
    /// The directory holding the terraform files, relative to the bundle.
    #[serde(default, rename = "workingDir")]
    pub working_dir: Option<String>,
    /// Several terraform directories; every step then names its own.
    #[serde(default, rename = "workingDirs")]
    pub working_dirs: Vec<String>,
    /// A file in the working directory declaring the providers; when set,
    /// `terraform init` runs at build time and the providers are mirrored
    /// into the image, as Porter does.
    #[serde(default, rename = "initFile")]
    pub init_file: Option<String>,
    /// Porter's download host: the zip is fetched from
    /// `<installHost>/terraform/<v>/`.
    #[serde(default, rename = "installHost")]
    pub install_host: Option<String>,
    /// Wharf's mirror: the zip and its SHA256SUMS are fetched from
    /// `<mirror>/` itself.
    #[serde(default)]
    pub mirror: Option<String>,
    /// Accepted for Porter compatibility; Wharf sets no user agent, so there
    /// is nothing to opt out of.
    #[serde(default, rename = "userAgentOptOut")]
    pub user_agent_opt_out: bool,
}

impl Config {
    /// The terraform version to install.
    pub fn client_version(&self) -> &str {
        self.client_version
            .as_deref()
            .filter(|v| !v.is_empty())
            .unwrap_or(DEFAULT_CLIENT_VERSION)
    }

    /// The URL of the directory holding the zip and SHA256SUMS, without a
    /// trailing slash.
    pub fn download_base(&self) -> String {
        if let Some(mirror) = self.mirror.as_deref().filter(|m| !m.is_empty()) {
            return mirror.trim_end_matches('/').to_string();
        }
        let host = self
            .install_host
            .as_deref()
            .filter(|h| !h.is_empty())
            .unwrap_or(DEFAULT_INSTALL_HOST);
        format!(
            "{}/terraform/{}",
            host.trim_end_matches('/'),
            self.client_version()
        )
    }

    /// Every terraform directory the bundle uses, relative to the bundle.
    pub fn dirs(&self) -> Vec<String> {
        if !self.working_dirs.is_empty() {
            return self.working_dirs.iter().map(|d| normalize(d)).collect();
        }
        vec![normalize(
            self.working_dir.as_deref().unwrap_or(DEFAULT_WORKING_DIR),
        )]
    }

    /// What the steps need at run time, or `None` when the defaults do.
    pub fn runtime(&self) -> Option<RuntimeConfig> {
        let runtime = RuntimeConfig {
            working_dir: self
                .working_dir
                .as_deref()
                .map(normalize)
                .filter(|d| d != DEFAULT_WORKING_DIR),
            working_dirs: self.working_dirs.iter().map(|d| normalize(d)).collect(),
        };
        (runtime != RuntimeConfig::default()).then_some(runtime)
    }

    /// Every mistake in the configuration. The build refuses a config with
    /// any, because the version and URLs end up in a shell command.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !is_version(self.client_version()) {
            problems.push(format!(
                "clientVersion {:?} is not a terraform version such as {DEFAULT_CLIENT_VERSION}",
                self.client_version()
            ));
        }
        if self.mirror.is_some() && self.install_host.is_some() {
            problems.push(
                "give either mirror (the directory holding the zip) or installHost \
                 (Porter's host, serving /terraform/<version>/), not both"
                    .into(),
            );
        }
        for (key, url) in [
            ("mirror", &self.mirror),
            ("installHost", &self.install_host),
        ] {
            if let Some(url) = url
                && !is_url(url)
            {
                problems.push(format!(
                    "{key} {url:?} must be an http:// or https:// URL without spaces, quotes, \
                     backslashes, `$` or backticks"
                ));
            }
        }
        if self.working_dir.is_some() && !self.working_dirs.is_empty() {
            problems.push("workingDir and workingDirs are mutually exclusive; keep one".into());
        }
        let dirs = self.working_dir.iter().chain(&self.working_dirs);
        for dir in dirs {
            if bundle_relative(dir).is_none() {
                problems.push(format!(
                    "working directory {dir:?} is outside the bundle directory {BUNDLE_DIR}"
                ));
            } else if !is_plain_path(dir) {
                problems.push(format!(
                    "working directory {dir:?} may hold only letters, digits and `/._-`"
                ));
            }
        }
        if let Some(file) = &self.init_file
            && (file.starts_with('/') || file.split('/').any(|c| c == "..") || !is_plain_path(file))
        {
            problems.push(format!(
                "initFile {file:?} must be a plain path inside the working directory"
            ));
        }
        problems
    }
}

/// The part of the configuration `execute` needs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuntimeConfig {
    /// The configured working directory, when it is not the default.
    #[serde(
        default,
        rename = "workingDir",
        skip_serializing_if = "Option::is_none"
    )]
    pub working_dir: Option<String>,
    /// The configured working directories; steps must pick one.
    #[serde(default, rename = "workingDirs", skip_serializing_if = "Vec::is_empty")]
    pub working_dirs: Vec<String>,
}

impl RuntimeConfig {
    /// The directory a step runs in: its own `workingDir`, else the
    /// configured one, else `terraform`. With `workingDirs`, the step must
    /// name one of them, as Porter requires.
    pub fn working_dir(&self, step_dir: Option<&str>) -> Result<String, String> {
        let step_dir = step_dir.filter(|d| !d.is_empty()).map(normalize);
        if self.working_dirs.is_empty() {
            return Ok(step_dir
                .or_else(|| self.working_dir.clone())
                .unwrap_or_else(|| DEFAULT_WORKING_DIR.to_string()));
        }
        match step_dir {
            Some(dir) if self.working_dirs.contains(&dir) => Ok(dir),
            Some(dir) => Err(format!(
                "workingDir {dir:?} is not one of the configured workingDirs {:?}",
                self.working_dirs
            )),
            None => Err(format!(
                "the mixin is configured with workingDirs {:?}, so the step must say which \
                 one it uses with workingDir",
                self.working_dirs
            )),
        }
    }
}

/// `./infra/` and `infra` are the same directory; `""` and `.` are the
/// bundle directory itself. Absolute paths inside the bundle directory
/// become relative, so every comparison and Dockerfile path agrees.
pub fn normalize(dir: &str) -> String {
    let dir = bundle_relative(dir).unwrap_or_else(|| dir.to_string());
    let trimmed = dir.trim_end_matches('/');
    let trimmed = trimmed.strip_prefix("./").unwrap_or(trimmed);
    if trimmed.is_empty() {
        ".".into()
    } else {
        trimmed.to_string()
    }
}

/// `dir` relative to the bundle directory, or `None` when it lies outside
/// it (an absolute path elsewhere, or `..` climbing out).
pub fn bundle_relative(dir: &str) -> Option<String> {
    let relative = if dir == BUNDLE_DIR {
        ""
    } else if let Some(rest) = dir
        .strip_prefix(BUNDLE_DIR)
        .and_then(|r| r.strip_prefix('/'))
    {
        rest
    } else if dir.starts_with('/') {
        return None;
    } else {
        dir
    };
    let mut depth: i32 = 0;
    for component in relative.split('/') {
        match component {
            "" | "." => {}
            ".." => depth -= 1,
            _ => depth += 1,
        }
        if depth < 0 {
            return None;
        }
    }
    Some(relative.to_string())
}

/// A path safe to put in a Dockerfile and a shell command unquoted.
fn is_plain_path(path: &str) -> bool {
    !path.is_empty()
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-".contains(c))
}

/// `1.2.9`, `1.6.0-rc1`, `0.12.31`.
fn is_version(version: &str) -> bool {
    let (core, pre) = match version.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (version, None),
    };
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        && pre.is_none_or(|p| {
            !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
        })
}

/// An http(s) URL with nothing a shell would interpret inside single quotes
/// or that would break out of them.
fn is_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    rest.is_some_and(|r| {
        !r.is_empty()
            && r.chars()
                .all(|c| c.is_ascii_graphic() && !"'\"\\$`".contains(c))
    })
}

/// The JSON Schema of the configuration.
pub fn schema() -> Value {
    json!({
        "description": "The terraform mixin's configuration",
        "type": "object",
        "properties": {
            "clientVersion": {"description": format!("The terraform version to install (default {DEFAULT_CLIENT_VERSION})"), "type": "string"},
            "workingDir": {"description": "The directory holding the terraform files, relative to the bundle (default terraform)", "type": "string"},
            "workingDirs": {"description": "Several terraform directories; every step then names its workingDir. Excludes workingDir", "type": "array", "items": {"type": "string"}},
            "initFile": {"description": "A file in the working directory declaring the providers: terraform init runs at build time and the providers are mirrored into the image", "type": "string"},
            "installHost": {"description": "The host serving /terraform/<version>/ (default https://releases.hashicorp.com)", "type": "string"},
            "mirror": {"description": "A URL of a directory holding terraform_<version>_linux_amd64.zip and terraform_<version>_SHA256SUMS, for builds without internet. Excludes installHost", "type": "string"},
            "userAgentOptOut": {"description": "Accepted for Porter compatibility; Wharf sets no user agent", "type": "boolean"}
        },
        "additionalProperties": false
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(value: Value) -> Config {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn download_base_prefers_mirror_then_install_host_then_hashicorp() {
        assert_eq!(
            Config::default().download_base(),
            "https://releases.hashicorp.com/terraform/1.2.9"
        );
        let porter =
            config(json!({"clientVersion": "1.6.0", "installHost": "https://example.com/"}));
        assert_eq!(
            porter.download_base(),
            "https://example.com/terraform/1.6.0"
        );
        let mirror = config(json!({"mirror": "http://10.0.0.1:8080/tf/"}));
        assert_eq!(mirror.download_base(), "http://10.0.0.1:8080/tf");
    }

    #[test]
    fn problems_catch_what_would_break_the_build() {
        assert!(Config::default().problems().is_empty());
        let bad = config(json!({
            "clientVersion": "1.2; rm -rf /",
            "mirror": "http://x/'quote",
            "installHost": "ftp://x",
            "workingDir": "/etc",
            "workingDirs": ["a"],
            "initFile": "../providers.tf"
        }));
        let problems = bad.problems().join("\n");
        for needle in [
            "clientVersion",
            "not both",
            "mirror",
            "installHost",
            "mutually exclusive",
            "outside the bundle",
            "initFile",
        ] {
            assert!(problems.contains(needle), "{needle}: {problems}");
        }
        assert!(
            config(json!({"clientVersion": "1.6.0-rc1"}))
                .problems()
                .is_empty()
        );
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let err = serde_json::from_value::<Config>(json!({"clientVersoin": "1"})).unwrap_err();
        assert!(err.to_string().contains("clientVersoin"), "{err}");
    }

    #[test]
    fn runtime_config_only_when_it_differs_from_the_defaults() {
        assert_eq!(Config::default().runtime(), None);
        assert_eq!(
            config(json!({"workingDir": "./terraform/"})).runtime(),
            None
        );
        let runtime = config(json!({"workingDir": "/cnab/app/infra"}))
            .runtime()
            .unwrap();
        assert_eq!(runtime.working_dir.as_deref(), Some("infra"));
        assert_eq!(
            serde_json::to_string(&runtime).unwrap(),
            r#"{"workingDir":"infra"}"#
        );
    }

    #[test]
    fn working_dir_resolution_follows_porter() {
        let default = RuntimeConfig::default();
        assert_eq!(default.working_dir(None).unwrap(), "terraform");
        assert_eq!(default.working_dir(Some("./infra/")).unwrap(), "infra");
        let configured = RuntimeConfig {
            working_dir: Some("infra".into()),
            ..Default::default()
        };
        assert_eq!(configured.working_dir(None).unwrap(), "infra");
        let many = RuntimeConfig {
            working_dirs: vec!["a".into(), "b".into()],
            ..Default::default()
        };
        assert_eq!(many.working_dir(Some("b")).unwrap(), "b");
        assert!(
            many.working_dir(Some("c"))
                .unwrap_err()
                .contains("not one of")
        );
        assert!(many.working_dir(None).unwrap_err().contains("must say"));
    }

    #[test]
    fn bundle_relative_paths() {
        assert_eq!(bundle_relative("terraform").as_deref(), Some("terraform"));
        assert_eq!(bundle_relative("/cnab/app/tf").as_deref(), Some("tf"));
        assert_eq!(bundle_relative("/cnab/app").as_deref(), Some(""));
        assert_eq!(bundle_relative("a/../b").as_deref(), Some("a/../b"));
        assert_eq!(bundle_relative("/cnab/application"), None);
        assert_eq!(bundle_relative("/tmp/tf"), None);
        assert_eq!(bundle_relative("../tf"), None);
        assert_eq!(normalize("/cnab/app/"), ".");
    }
}
