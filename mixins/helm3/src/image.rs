//! The helm3 mixin's configuration and the Dockerfile lines it adds to the
//! invocation image: helm from get.helm.sh (or a mirror) checked against its
//! published `.sha256sum`, kubectl as Porter's helm3 mixin installs it (for
//! outputs), and a `helm repo add` for each configured repository.
//!
//! ```yaml
//! mixins:
//!   - helm3:
//!       clientVersion: v3.17.3          # helm to install; this is the default
//!       apiVersion: v1.32.4             # kubectl to install (Porter's name for it)
//!       repositories:
//!         bitnami: {url: "https://charts.bitnami.com/bitnami"}
//!       mirror: https://mirror.example.com/helm          # optional, get.helm.sh's layout
//!       kubectlMirror: https://mirror.example.com/k8s    # optional, dl.k8s.io's layout
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use mixin_sdk::{Contribution, Download};

use crate::kubectl;

/// The helm installed when the manifest names no version.
pub const DEFAULT_HELM_VERSION: &str = "v3.17.3";

/// Where helm releases are published; a mirror keeps the same layout.
pub const HELM_DOWNLOADS: &str = "https://get.helm.sh";

/// The `helm3:` entry under `mixins:`, with every field Porter's helm3
/// mixin accepts, so Porter manifests load unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Helm3Config {
    /// The helm version, `v3.x.y`.
    #[serde(default)]
    pub client_version: Option<String>,
    /// The kubectl version, `v1.x.y` (Porter calls it the API version).
    #[serde(default)]
    pub api_version: Option<String>,
    /// Only `amd64`: Wharf's invocation images are linux/amd64.
    #[serde(default)]
    pub client_architecture: Option<String>,
    /// Only `linux`.
    #[serde(default)]
    pub client_platform: Option<String>,
    /// `none` leaves helm and kubectl out (the base image has them);
    /// anything else installs them.
    #[serde(default)]
    pub image_platform: Option<String>,
    /// Chart repositories to add at build time, by name.
    #[serde(default)]
    pub repositories: BTreeMap<String, Repository>,
    /// A base URL laid out like get.helm.sh, used instead of it.
    #[serde(default)]
    pub mirror: Option<String>,
    /// A base URL laid out like dl.k8s.io, used for kubectl instead of it.
    #[serde(default)]
    pub kubectl_mirror: Option<String>,
}

/// A chart repository.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Repository {
    /// The repository's URL.
    #[serde(default)]
    pub url: String,
}

/// What the configuration asks for, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// `(helm version, helm download base)`, or none with `imagePlatform: none`.
    pub helm: Option<(String, String)>,
    /// `(kubectl version, kubectl download base)`, likewise.
    pub kubectl: Option<(String, String)>,
    /// `(name, url)` of each repository, sorted by name.
    pub repositories: Vec<(String, String)>,
}

impl Helm3Config {
    /// The checked plan, or every problem found.
    pub fn plan(&self) -> Result<Plan, Vec<String>> {
        let mut problems = Vec::new();
        let mut keep = |r: Result<String, String>| r.map_err(|p| problems.push(p)).ok();
        let install = self.image_platform.as_deref() != Some("none");
        let helm_version = keep(kubectl::client_version(
            self.client_version
                .as_deref()
                .unwrap_or(DEFAULT_HELM_VERSION),
            3,
            "clientVersion",
        ));
        let helm_base = keep(kubectl::mirror(
            self.mirror.as_deref(),
            HELM_DOWNLOADS,
            "mirror",
        ));
        let kubectl_version = keep(kubectl::client_version(
            self.api_version
                .as_deref()
                .unwrap_or(kubectl::DEFAULT_KUBECTL_VERSION),
            1,
            "apiVersion",
        ));
        let kubectl_base = keep(kubectl::mirror(
            self.kubectl_mirror.as_deref(),
            kubectl::KUBECTL_DOWNLOADS,
            "kubectlMirror",
        ));
        if let Some(arch) = self
            .client_architecture
            .as_deref()
            .filter(|a| *a != "amd64")
        {
            problems.push(format!(
                "clientArchitecture {arch:?} is not supported: Wharf's invocation images are \
                 linux/amd64"
            ));
        }
        if let Some(os) = self.client_platform.as_deref().filter(|p| *p != "linux") {
            problems.push(format!(
                "clientPlatform {os:?} is not supported: only linux"
            ));
        }
        for (name, repo) in &self.repositories {
            let name_ok = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
            if !name_ok {
                problems.push(format!(
                    "repository name {name:?} may hold only letters, digits, '-', '_' and '.'"
                ));
            }
            if !(repo.url.starts_with("https://") || repo.url.starts_with("http://"))
                || repo.url.chars().any(char::is_whitespace)
            {
                problems.push(format!(
                    "repository {name} needs an http(s) `url`, not {:?}",
                    repo.url
                ));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let pair = |v: Option<String>, b: Option<String>| v.zip(b).filter(|_| install);
        Ok(Plan {
            helm: pair(helm_version, helm_base),
            kubectl: pair(kubectl_version, kubectl_base),
            repositories: self
                .repositories
                .iter()
                .map(|(name, repo)| (name.clone(), repo.url.clone()))
                .collect(),
        })
    }
}

/// Installs `ca-certificates` on a Debian-like base that lacks them: helm
/// needs them for `helm repo add` and for pulling charts over https, and
/// `debian:stable-slim` ships without them (Porter's mixin gets them with
/// curl). Other bases are left as they are.
const CA_CERTIFICATES: &str = "RUN if [ ! -e /etc/ssl/certs/ca-certificates.crt ] && \
     command -v apt-get >/dev/null 2>&1; then apt-get update && \
     apt-get install -y --no-install-recommends ca-certificates && \
     rm -rf /var/lib/apt/lists/*; fi";

/// Where helm is installed.
pub const HELM_PATH: &str = "/usr/local/bin/helm";

/// What `plan` needs in the image: helm and kubectl as checked downloads,
/// then raw lines for the CA certificates and the repositories.
pub fn contributions(plan: &Plan) -> Vec<Contribution> {
    // Needed by helm before 3.8 for OCI charts; Porter's mixin sets it too.
    let mut made = vec![Contribution::line("ENV HELM_EXPERIMENTAL_OCI=1")];
    if let Some((version, base)) = &plan.helm {
        made.push(Contribution::line(CA_CERTIFICATES));
        let url = format!("{base}/helm-{version}-linux-amd64.tar.gz");
        made.push(
            Download::new(&url, HELM_PATH)
                .sums_file(format!("{url}.sha256sum"))
                .archive_member("linux-amd64/helm")
                .into(),
        );
    }
    if let Some((version, base)) = &plan.kubectl {
        made.push(kubectl::kubectl_download(version, base).into());
    }
    if !plan.repositories.is_empty() {
        // Exec form: names and URLs reach helm without a shell.
        let exec = |args: &[&str]| {
            Contribution::line(format!(
                "RUN {}",
                serde_json::to_string(args).expect("strings serialize")
            ))
        };
        for (name, url) in &plan.repositories {
            made.push(exec(&["helm", "repo", "add", name, url]));
        }
        made.push(exec(&["helm", "repo", "update"]));
        // helm wrote its config and cache under $HOME as root; the bundle
        // runs as BUNDLE_UID in group 0 and must be able to update them.
        made.push(Contribution::line(
            "RUN chown -R \"${BUNDLE_UID}:${BUNDLE_GID}\" \"$HOME\" && chmod -R g=u \"$HOME\"",
        ));
    }
    made
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn plan(v: serde_json::Value) -> Result<Plan, Vec<String>> {
        serde_json::from_value::<Helm3Config>(v).unwrap().plan()
    }

    #[test]
    fn default_build_installs_checked_helm_and_kubectl() {
        let made = contributions(&plan(json!({})).unwrap());
        assert_eq!(
            made,
            [
                Contribution::line("ENV HELM_EXPERIMENTAL_OCI=1"),
                Contribution::line(CA_CERTIFICATES),
                Download::new(
                    "https://get.helm.sh/helm-v3.17.3-linux-amd64.tar.gz",
                    "/usr/local/bin/helm"
                )
                .sums_file("https://get.helm.sh/helm-v3.17.3-linux-amd64.tar.gz.sha256sum")
                .archive_member("linux-amd64/helm")
                .into(),
                kubectl::kubectl_download("v1.32.4", "https://dl.k8s.io").into(),
            ],
            "no repositories, no repo lines"
        );
    }

    #[test]
    fn versions_and_mirrors_come_from_the_config() {
        let made = contributions(
            &plan(json!({
                "clientVersion": "v3.8.2", "apiVersion": "1.22.1",
                "mirror": "https://m.local/helm", "kubectlMirror": "https://m.local/k8s/"
            }))
            .unwrap(),
        );
        let urls: Vec<&str> = made
            .iter()
            .filter_map(Contribution::as_download)
            .map(|d| d.url.as_str())
            .collect();
        assert_eq!(
            urls,
            [
                "https://m.local/helm/helm-v3.8.2-linux-amd64.tar.gz",
                "https://m.local/k8s/release/v1.22.1/bin/linux/amd64/kubectl"
            ]
        );
    }

    #[test]
    fn repositories_are_added_sorted_in_exec_form_then_handed_to_the_bundle_user() {
        let lines = contributions(
            &plan(json!({"imagePlatform": "none", "repositories": {
                "stable": {"url": "https://charts.helm.sh/stable"},
                "bitnami": {"url": "https://charts.bitnami.com/bitnami"}
            }}))
            .unwrap(),
        );
        assert_eq!(
            lines,
            [
                "ENV HELM_EXPERIMENTAL_OCI=1",
                r#"RUN ["helm","repo","add","bitnami","https://charts.bitnami.com/bitnami"]"#,
                r#"RUN ["helm","repo","add","stable","https://charts.helm.sh/stable"]"#,
                r#"RUN ["helm","repo","update"]"#,
                r#"RUN chown -R "${BUNDLE_UID}:${BUNDLE_GID}" "$HOME" && chmod -R g=u "$HOME""#,
            ]
            .map(Contribution::line)
        );
    }

    #[test]
    fn every_config_problem_is_reported() {
        let problems = plan(json!({
            "clientVersion": "v2.17.0", "apiVersion": "latest", "clientArchitecture": "arm64",
            "clientPlatform": "darwin", "mirror": "ftp://x", "kubectlMirror": "https://$x",
            "repositories": {"bad name": {"url": "https://x"}, "empty": {}}
        }))
        .unwrap_err();
        assert_eq!(problems.len(), 8, "{problems:#?}");
        assert!(
            serde_json::from_value::<Helm3Config>(
                json!({"repositories": {"a": {"url": "u", "cafile": "c"}}})
            )
            .is_err()
        );
    }

    #[test]
    fn porter_config_fields_are_accepted() {
        let p = plan(json!({
            "clientVersion": "v3.8.2", "apiVersion": "v1.22.1", "clientArchitecture": "amd64",
            "clientPlatform": "linux", "imagePlatform": "debian",
            "repositories": {"stable": {"url": "https://charts.helm.sh/stable"}}
        }))
        .unwrap();
        assert_eq!(p.helm.unwrap().0, "v3.8.2");
        assert_eq!(p.repositories.len(), 1);
    }
}
