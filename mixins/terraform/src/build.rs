//! What the terraform mixin puts into the invocation image.
//!
//! terraform itself is a [`Download`]: `terraform_<v>_linux_amd64.zip`,
//! checked against its line of `terraform_<v>_SHA256SUMS` and unzipped
//! into `/usr/local/bin`. Wharf writes the lines that do it, on Debian and
//! busybox bases alike, with no BuildKit needed.
//!
//! With `initFile`, Porter's build-time `terraform init` follows as raw
//! lines, its providers mirrored into `/usr/local/share/terraform/plugins`,
//! one of the directories terraform searches by itself. Nothing else is
//! baked into the image: `execute` receives the configuration.

use mixin_sdk::{Contribution, Download};

use crate::config::Config;

/// Where build-time `terraform init` mirrors providers.
pub const PLUGIN_MIRROR: &str = "/usr/local/share/terraform/plugins";

/// Where terraform is installed.
pub const TERRAFORM_PATH: &str = "/usr/local/bin/terraform";

/// The bundle directory and the bundle's owner as shell expressions: Wharf's
/// init block declares them as build arguments, and the fallbacks keep the
/// lines working in a template that puts the mixins before it.
const SH_BUNDLE_DIR: &str = "${BUNDLE_DIR:-/cnab/app}";
const SH_OWNER: &str = "${BUNDLE_UID:-65532}:${BUNDLE_GID:-0}";

/// Everything `config` needs in the image, or the configuration's problems.
pub fn contributions(config: &Config) -> Result<Vec<Contribution>, String> {
    let problems = config.problems();
    if !problems.is_empty() {
        return Err(format!(
            "the terraform mixin's configuration is invalid: {}",
            problems.join("; ")
        ));
    }
    let version = config.client_version();
    let base = config.download_base();
    let mut made = vec![
        Download::new(
            format!("{base}/terraform_{version}_linux_amd64.zip"),
            TERRAFORM_PATH,
        )
        .sums_file(format!("{base}/terraform_{version}_SHA256SUMS"))
        .archive_member("terraform")
        .into(),
    ];
    if let Some(init_file) = &config.init_file {
        for dir in config.dirs() {
            made.extend(
                init_lines(&dir, init_file)
                    .into_iter()
                    .map(Contribution::line),
            );
        }
    }
    Ok(made)
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(value: serde_json::Value) -> Config {
        serde_json::from_value(value).unwrap()
    }

    fn download(made: &[Contribution]) -> &Download {
        match &made[0] {
            Contribution::Client(d) => d,
            other => panic!("not a download: {other:?}"),
        }
    }

    #[test]
    fn default_config_downloads_porters_version_from_hashicorp_checked_by_its_sums() {
        let made = contributions(&Config::default()).unwrap();
        assert_eq!(made.len(), 1, "nothing but terraform: {made:?}");
        assert_eq!(
            download(&made),
            &Download::new(
                "https://releases.hashicorp.com/terraform/1.2.9/terraform_1.2.9_linux_amd64.zip",
                "/usr/local/bin/terraform"
            )
            .sums_file("https://releases.hashicorp.com/terraform/1.2.9/terraform_1.2.9_SHA256SUMS")
            .archive_member("terraform")
        );
    }

    #[test]
    fn mirror_and_version_reach_the_download_and_nothing_is_baked() {
        let made = contributions(&config(json!({
            "clientVersion": "1.11.4",
            "mirror": "http://172.17.0.1:8080/",
            "workingDir": "infra"
        })))
        .unwrap();
        assert_eq!(
            download(&made).url,
            "http://172.17.0.1:8080/terraform_1.11.4_linux_amd64.zip"
        );
        assert_eq!(made.len(), 1, "no run-time file: {made:?}");
    }

    #[test]
    fn init_file_runs_porters_build_time_init_in_every_working_dir() {
        let made = contributions(&config(json!({
            "workingDirs": ["infra1", "infra2"],
            "initFile": "providers.tf"
        })))
        .unwrap();
        let tail: Vec<&str> = made[1..]
            .iter()
            .map(|c| match c {
                Contribution::Line(line) => line.as_str(),
                other => panic!("not a line: {other:?}"),
            })
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
    }

    #[test]
    fn an_invalid_config_is_refused_before_it_reaches_a_shell() {
        let err = contributions(&config(json!({"clientVersion": "1.0'; reboot; '"}))).unwrap_err();
        assert!(err.contains("clientVersion"), "{err}");
    }
}
