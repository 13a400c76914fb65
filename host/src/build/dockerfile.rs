//! The invocation image's Dockerfile.
//!
//! The author's template (or Wharf's default) is kept as written; Wharf
//! fills in two tokens, as Porter does: `# PORTER_INIT` (build arguments) and
//! `# PORTER_MIXINS` (each mixin's lines). A template without the tokens
//! gets the init block after its first `FROM` and the mixin lines at the end.
//! Wharf then appends its tail: the staged `.cnab/` directory, the nonroot
//! user 65532 in group 0, and `CMD ["/cnab/app/run"]`.
//!
//! Only instructions Docker's classic builder understands are generated (no
//! BuildKit mounts), and none needs a shell in the base image, so the image
//! works on any linux/amd64 base, busybox and distroless included.

/// The base image when the author gives no template and no override.
pub const DEFAULT_BASE_IMAGE: &str = "debian:stable-slim";
/// The nonroot user the bundle runs as, as in Porter.
pub const BUNDLE_UID: u32 = 65532;
/// Its group: 0, so the image also runs under an arbitrary uid in group 0.
pub const BUNDLE_GID: u32 = 0;

const INIT_TOKEN: &str = "# PORTER_INIT";
const MIXINS_TOKEN: &str = "# PORTER_MIXINS";

/// The default template.
pub fn default_template(base_image: &str) -> String {
    format!(
        "FROM {base_image}\n\n{INIT_TOKEN}\n\n{MIXINS_TOKEN}\n\n\
         # Copy the bundle's files into its working directory.\n\
         COPY --chown={BUNDLE_UID}:{BUNDLE_GID} . ${{BUNDLE_DIR}}\n"
    )
}

/// One mixin's contribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MixinLines {
    /// The mixin's name.
    pub name: String,
    /// The lines its `build` returned.
    pub lines: Vec<String>,
}

fn init_block() -> String {
    format!(
        "ARG BUNDLE_DIR=/cnab/app\nARG BUNDLE_UID={BUNDLE_UID}\nARG BUNDLE_GID={BUNDLE_GID}\nENV HOME=/home/nonroot"
    )
}

fn mixin_block(mixins: &[MixinLines]) -> String {
    let mut block = Vec::new();
    for mixin in mixins {
        if mixin.lines.is_empty() {
            block.push(format!(
                "# {} mixin has no buildtime dependencies",
                mixin.name
            ));
        } else {
            block.push(format!("# {} mixin", mixin.name));
            block.extend(mixin.lines.iter().cloned());
        }
    }
    block.join("\n")
}

fn tail() -> String {
    format!(
        "\n# Wharf: the runtime, the precompiled mixins, the manifest and bundle.json.\n\
         COPY --chown={BUNDLE_UID}:{BUNDLE_GID} .cnab/home /home/nonroot\n\
         COPY --chown={BUNDLE_UID}:{BUNDLE_GID} .cnab /cnab\n\
         USER {BUNDLE_UID}:{BUNDLE_GID}\n\
         WORKDIR /cnab/app\n\
         CMD [\"/cnab/app/run\"]\n"
    )
}

/// Renders the Dockerfile from `template` and the mixins' lines.
pub fn render(template: &str, mixins: &[MixinLines]) -> String {
    let mut lines: Vec<String> = template.lines().map(str::to_string).collect();
    let is_token = |line: &str, token: &str| line.trim() == token;
    match lines.iter().position(|l| is_token(l, INIT_TOKEN)) {
        Some(i) => lines[i] = init_block(),
        None => {
            let after_from = lines
                .iter()
                .position(|l| l.trim_start().to_ascii_uppercase().starts_with("FROM "))
                .map_or(0, |i| i + 1);
            lines.insert(after_from, init_block());
        }
    }
    let mixins_text = mixin_block(mixins);
    match lines.iter().position(|l| is_token(l, MIXINS_TOKEN)) {
        Some(i) => lines[i] = mixins_text,
        None => lines.push(mixins_text),
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out.push_str(&tail());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exec_and_apt() -> Vec<MixinLines> {
        vec![
            MixinLines {
                name: "exec".into(),
                lines: vec![],
            },
            MixinLines {
                name: "apt".into(),
                lines: vec!["RUN apt-get install -y curl".into()],
            },
        ]
    }

    #[test]
    fn default_template_fills_tokens_and_ends_with_the_runtime() {
        let dockerfile = render(&default_template("debian:stable-slim"), &exec_and_apt());
        assert!(dockerfile.starts_with("FROM debian:stable-slim\n\nARG BUNDLE_DIR=/cnab/app\n"));
        assert!(dockerfile.contains(
            "# exec mixin has no buildtime dependencies\n# apt mixin\nRUN apt-get install -y curl"
        ));
        assert!(!dockerfile.contains("PORTER_"));
        assert!(dockerfile.contains("USER 65532:0"));
        assert!(dockerfile.ends_with("CMD [\"/cnab/app/run\"]\n"));
    }

    #[test]
    fn a_template_without_tokens_gets_init_after_from_and_mixins_at_the_end() {
        let dockerfile = render("FROM busybox\nRUN echo hi\n", &exec_and_apt());
        let lines: Vec<&str> = dockerfile.lines().collect();
        assert_eq!(lines[0], "FROM busybox");
        assert_eq!(lines[1], "ARG BUNDLE_DIR=/cnab/app");
        let run = lines.iter().position(|l| *l == "RUN echo hi").unwrap();
        let apt = lines
            .iter()
            .position(|l| *l == "RUN apt-get install -y curl")
            .unwrap();
        assert!(run < apt);
    }
}
