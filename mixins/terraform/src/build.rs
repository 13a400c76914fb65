//! The Dockerfile lines that put terraform into the invocation image.
//!
//! One `RUN` downloads `terraform_<v>_linux_amd64.zip` and
//! `terraform_<v>_SHA256SUMS`, checks the zip against its line of the sums
//! with `sha256sum -c`, and unzips the binary into `/usr/local/bin`. It uses
//! only what both Debian and busybox have (`sh`, `awk`, `mktemp`,
//! `sha256sum`, `unzip`, `curl` or `wget`), and installs the missing ones
//! with apt-get when the base has apt, so Porter's `debian:stable-slim` base
//! and a busybox base both work. Unlike Porter's lines, nothing needs
//! BuildKit (no cache mounts, no heredocs), so Wharf's classic-builder
//! fallback builds them too.
//!
//! Further lines appear only when the configuration asks for them: the
//! run-time configuration file (see [`crate::config::RuntimeConfig`]) and,
//! with `initFile`, Porter's build-time `terraform init` whose providers
//! are mirrored into `/usr/local/share/terraform/plugins`, one of the
//! directories terraform searches by itself.

use crate::config::{Config, RUNTIME_CONFIG_FILE};

/// Where build-time `terraform init` mirrors providers.
pub const PLUGIN_MIRROR: &str = "/usr/local/share/terraform/plugins";

/// The bundle directory and the bundle's owner as shell expressions: Wharf's
/// init block declares them as build arguments, and the fallbacks keep the
/// lines working in a template that puts the mixins before it.
const SH_BUNDLE_DIR: &str = "${BUNDLE_DIR:-/cnab/app}";
const SH_OWNER: &str = "${BUNDLE_UID:-65532}:${BUNDLE_GID:-0}";

/// Every line for `config`, or the configuration's problems.
pub fn dockerfile_lines(config: &Config) -> Result<Vec<String>, String> {
    let problems = config.problems();
    if !problems.is_empty() {
        return Err(format!(
            "the terraform mixin's configuration is invalid: {}",
            problems.join("; ")
        ));
    }
    let mut lines = install_lines(config.client_version(), &config.download_base());
    if let Some(runtime) = config.runtime() {
        let json = serde_json::to_string(&runtime).map_err(|e| e.to_string())?;
        lines.push(
            "# The terraform mixin's run-time configuration: the steps' working directory"
                .to_string(),
        );
        lines.push(format!(
            "RUN mkdir -p \"{SH_BUNDLE_DIR}\" && printf '%s\\n' {} > \"{SH_BUNDLE_DIR}/{RUNTIME_CONFIG_FILE}\" && chown {SH_OWNER} \"{SH_BUNDLE_DIR}\"",
            sh_quote(&json)
        ));
    }
    if let Some(init_file) = &config.init_file {
        for dir in config.dirs() {
            lines.extend(init_lines(&dir, init_file));
        }
    }
    Ok(lines)
}

/// The `RUN` that installs terraform `version` from `base` (a directory URL
/// without a trailing slash), verified against its SHA256SUMS.
fn install_lines(version: &str, base: &str) -> Vec<String> {
    let script = [
        "set -e".to_string(),
        format!(
            "v={}; base={}; zip=\"terraform_${{v}}_linux_amd64.zip\"; need=''",
            sh_quote(version),
            sh_quote(base)
        ),
        "command -v unzip >/dev/null 2>&1 || need=\"$need unzip\"".into(),
        "command -v curl >/dev/null 2>&1 || command -v wget >/dev/null 2>&1 || need=\"$need curl\""
            .into(),
        "if [ -n \"$need\" ]; then \
         if ! command -v apt-get >/dev/null 2>&1; then \
         echo \"terraform mixin: the base image lacks$need and has no apt-get to install it\" >&2; exit 1; fi; \
         apt-get update -qq; \
         DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ca-certificates $need; \
         rm -rf /var/lib/apt/lists/*; fi"
            .into(),
        "if command -v curl >/dev/null 2>&1; then get() { curl -fsSL -o \"$2\" \"$1\"; }; \
         else get() { wget -q -O \"$2\" \"$1\"; }; fi"
            .into(),
        "tmp=$(mktemp -d); cd \"$tmp\"".into(),
        "get \"$base/$zip\" \"$zip\"".into(),
        "get \"$base/terraform_${v}_SHA256SUMS\" SHA256SUMS".into(),
        "awk -v f=\"$zip\" '$2 == f' SHA256SUMS > \"$zip.sha256\"".into(),
        "if [ ! -s \"$zip.sha256\" ]; then \
         echo \"terraform mixin: terraform_${v}_SHA256SUMS does not list $zip\" >&2; exit 1; fi"
            .into(),
        "sha256sum -c \"$zip.sha256\"".into(),
        "mkdir -p /usr/local/bin".into(),
        "unzip -o -q \"$zip\" terraform -d /usr/local/bin".into(),
        "chmod 0755 /usr/local/bin/terraform".into(),
        "cd /; rm -rf \"$tmp\"".into(),
        "CHECKPOINT_DISABLE=1 terraform version".into(),
    ];
    let mut lines = vec![
        format!(
            "# terraform {version} from {base}/, checked against terraform_{version}_SHA256SUMS"
        ),
        "RUN \\".to_string(),
    ];
    let last = script.len() - 1;
    for (i, command) in script.iter().enumerate() {
        let end = if i == last { "" } else { "; \\" };
        lines.push(format!("    {command}{end}"));
    }
    lines
}

/// Porter's build-time init of one working directory: copy the provider
/// declarations in, init without a backend, and mirror the providers where
/// terraform finds them at run time. The mirror directory is made first:
/// `terraform providers mirror` fails when it does not exist, which it
/// would not when the files use only built-in providers. What the root-run `RUN` creates is
/// handed to the bundle's user, who runs `terraform init` again at run time.
fn init_lines(dir: &str, init_file: &str) -> Vec<String> {
    let target = if dir == "." {
        "${BUNDLE_DIR}/".to_string()
    } else {
        format!("${{BUNDLE_DIR}}/{dir}/")
    };
    let source = if dir == "." {
        init_file.to_string()
    } else {
        format!("{dir}/{init_file}")
    };
    vec![
        format!(
            "# terraform init of {dir} at build time, with its providers mirrored into the image"
        ),
        format!("COPY --chown=65532:0 {source} {target}"),
        format!(
            "RUN cd \"{SH_BUNDLE_DIR}/{dir}\" && CHECKPOINT_DISABLE=1 terraform init -backend=false -input=false && \
             rm -rf .terraform/providers && mkdir -p {PLUGIN_MIRROR} && \
             CHECKPOINT_DISABLE=1 terraform providers mirror {PLUGIN_MIRROR} && chown -R {SH_OWNER} \"{SH_BUNDLE_DIR}\""
        ),
    ]
}

/// Single-quotes `text` for a POSIX shell.
fn sh_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(value: serde_json::Value) -> Config {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn default_config_installs_porters_version_from_hashicorp_with_checksums() {
        let lines = dockerfile_lines(&Config::default()).unwrap();
        assert_eq!(
            lines,
            [
                "# terraform 1.2.9 from https://releases.hashicorp.com/terraform/1.2.9/, checked against terraform_1.2.9_SHA256SUMS",
                "RUN \\",
                "    set -e; \\",
                "    v='1.2.9'; base='https://releases.hashicorp.com/terraform/1.2.9'; zip=\"terraform_${v}_linux_amd64.zip\"; need=''; \\",
                "    command -v unzip >/dev/null 2>&1 || need=\"$need unzip\"; \\",
                "    command -v curl >/dev/null 2>&1 || command -v wget >/dev/null 2>&1 || need=\"$need curl\"; \\",
                "    if [ -n \"$need\" ]; then if ! command -v apt-get >/dev/null 2>&1; then echo \"terraform mixin: the base image lacks$need and has no apt-get to install it\" >&2; exit 1; fi; apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ca-certificates $need; rm -rf /var/lib/apt/lists/*; fi; \\",
                "    if command -v curl >/dev/null 2>&1; then get() { curl -fsSL -o \"$2\" \"$1\"; }; else get() { wget -q -O \"$2\" \"$1\"; }; fi; \\",
                "    tmp=$(mktemp -d); cd \"$tmp\"; \\",
                "    get \"$base/$zip\" \"$zip\"; \\",
                "    get \"$base/terraform_${v}_SHA256SUMS\" SHA256SUMS; \\",
                "    awk -v f=\"$zip\" '$2 == f' SHA256SUMS > \"$zip.sha256\"; \\",
                "    if [ ! -s \"$zip.sha256\" ]; then echo \"terraform mixin: terraform_${v}_SHA256SUMS does not list $zip\" >&2; exit 1; fi; \\",
                "    sha256sum -c \"$zip.sha256\"; \\",
                "    mkdir -p /usr/local/bin; \\",
                "    unzip -o -q \"$zip\" terraform -d /usr/local/bin; \\",
                "    chmod 0755 /usr/local/bin/terraform; \\",
                "    cd /; rm -rf \"$tmp\"; \\",
                "    CHECKPOINT_DISABLE=1 terraform version",
            ]
        );
    }

    #[test]
    fn mirror_and_version_reach_the_download() {
        let lines = dockerfile_lines(&config(json!({
            "clientVersion": "1.11.4",
            "mirror": "http://172.17.0.1:8080/"
        })))
        .unwrap();
        assert_eq!(
            lines[3],
            "    v='1.11.4'; base='http://172.17.0.1:8080'; zip=\"terraform_${v}_linux_amd64.zip\"; need=''; \\"
        );
        assert!(lines[0].contains("http://172.17.0.1:8080/"));
        // No run-time configuration and no build-time init unless asked for.
        assert_eq!(lines.len(), 19);
    }

    #[test]
    fn a_configured_working_dir_is_baked_into_the_image() {
        let lines = dockerfile_lines(&config(json!({"workingDir": "infra"}))).unwrap();
        assert_eq!(
            lines[lines.len() - 1],
            "RUN mkdir -p \"${BUNDLE_DIR:-/cnab/app}\" && printf '%s\\n' '{\"workingDir\":\"infra\"}' > \"${BUNDLE_DIR:-/cnab/app}/.wharf-terraform.json\" && chown ${BUNDLE_UID:-65532}:${BUNDLE_GID:-0} \"${BUNDLE_DIR:-/cnab/app}\""
        );
    }

    #[test]
    fn init_file_runs_porters_build_time_init_in_every_working_dir() {
        let lines = dockerfile_lines(&config(json!({
            "workingDirs": ["infra1", "infra2"],
            "initFile": "providers.tf"
        })))
        .unwrap();
        let tail: Vec<&str> = lines
            .iter()
            .rev()
            .take(6)
            .rev()
            .map(String::as_str)
            .collect();
        assert_eq!(
            tail,
            [
                "# terraform init of infra1 at build time, with its providers mirrored into the image",
                "COPY --chown=65532:0 infra1/providers.tf ${BUNDLE_DIR}/infra1/",
                "RUN cd \"${BUNDLE_DIR:-/cnab/app}/infra1\" && CHECKPOINT_DISABLE=1 terraform init -backend=false -input=false && rm -rf .terraform/providers && mkdir -p /usr/local/share/terraform/plugins && CHECKPOINT_DISABLE=1 terraform providers mirror /usr/local/share/terraform/plugins && chown -R ${BUNDLE_UID:-65532}:${BUNDLE_GID:-0} \"${BUNDLE_DIR:-/cnab/app}\"",
                "# terraform init of infra2 at build time, with its providers mirrored into the image",
                "COPY --chown=65532:0 infra2/providers.tf ${BUNDLE_DIR}/infra2/",
                "RUN cd \"${BUNDLE_DIR:-/cnab/app}/infra2\" && CHECKPOINT_DISABLE=1 terraform init -backend=false -input=false && rm -rf .terraform/providers && mkdir -p /usr/local/share/terraform/plugins && CHECKPOINT_DISABLE=1 terraform providers mirror /usr/local/share/terraform/plugins && chown -R ${BUNDLE_UID:-65532}:${BUNDLE_GID:-0} \"${BUNDLE_DIR:-/cnab/app}\"",
            ]
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains(r#"'{"workingDirs":["infra1","infra2"]}'"#))
        );
    }

    #[test]
    fn an_invalid_config_is_refused_before_it_reaches_a_shell() {
        let err =
            dockerfile_lines(&config(json!({"clientVersion": "1.0'; reboot; '"}))).unwrap_err();
        assert!(err.contains("clientVersion"), "{err}");
    }

    #[test]
    fn shell_quoting() {
        assert_eq!(sh_quote("a'b"), r"'a'\''b'");
    }
}
