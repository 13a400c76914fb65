//! The invocation image's Dockerfile.
//!
//! The author's template (or Wharf's default) is kept as written; Wharf
//! fills in two tokens, as Porter does: `# PORTER_INIT` (build arguments) and
//! `# PORTER_MIXINS` (each mixin's lines). A template without the tokens
//! gets the init block after its first `FROM` and the mixin lines at the end.
//! Wharf then appends its tail, which always comes last: the staged
//! `.cnab/` directory (the bundle directory owned by the nonroot user 65532
//! in group 0; bundle.json owned by root and read-only), the runtime and
//! the precompiled mixins (root's and read-only) from the tooling image
//! ([`super::tooling`]), then the image's configuration reset to Wharf's: no
//! `ENTRYPOINT`, `USER 65532:0`, `WORKDIR /cnab/app`, `CMD ["/cnab/app/run"]`.
//! Mixin lines are checked before they get here ([`super::mixin_lines`]);
//! the reset is what holds even against a template or base image that set
//! these. `SHELL` is not reset: it only matters to later `RUN` lines, and
//! the runtime is started without a shell.
//!
//! Only instructions Docker's classic builder understands are generated (no
//! BuildKit mounts), and none needs a shell in the base image, so the image
//! works on any linux/amd64 base, busybox and distroless included.

use crate::cnab::contract::{BUNDLE_DIR, BUNDLE_JSON, STATE_DIR, WHARF_DIR};

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

/// Porter's build arguments and the nonroot user's home. One `ARG` for
/// the three: Docker's classic builder makes and commits a container for
/// every instruction, metadata-only ones included.
fn init_block() -> String {
    format!(
        "ARG BUNDLE_DIR=/cnab/app BUNDLE_UID={BUNDLE_UID} BUNDLE_GID={BUNDLE_GID}\nENV HOME=/home/nonroot"
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

/// Wharf's tail: `tooling` is the image holding the runtime and the
/// precompiled mixins (see [`super::tooling`]).
fn tail(tooling: &str) -> String {
    let u = BUNDLE_UID;
    let g = BUNDLE_GID;
    format!(
        "\n# Wharf: the runtime and the manifest (the bundle's), the precompiled\n\
         # mixins and bundle.json (root's, read-only), and Wharf's configuration.\n\
         COPY --chown={u}:{g} .cnab/home /home/nonroot\n\
         COPY --chown={u}:{g} .cnab/app {BUNDLE_DIR}\n\
         COPY --chown={u}:{g} --from={tooling} /run {BUNDLE_DIR}/run\n\
         COPY --chown={u}:{g} .cnab/state {STATE_DIR}\n\
         COPY --from={tooling} /wharf {WHARF_DIR}\n\
         COPY .cnab/bundle.json {BUNDLE_JSON}\n\
         ENTRYPOINT []\n\
         USER {u}:{g}\n\
         WORKDIR {BUNDLE_DIR}\n\
         CMD [\"{BUNDLE_DIR}/run\"]\n",
    )
}

/// Renders the Dockerfile from `template` and the mixins' lines, with the
/// tail copying from the tooling image `tooling`.
pub fn render(template: &str, mixins: &[MixinLines], tooling: &str) -> String {
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
    out.push_str(&tail(tooling));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOOLING: &str = "wharf.local/wharf-tooling:0123";

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
        let dockerfile = render(
            &default_template("debian:stable-slim"),
            &exec_and_apt(),
            TOOLING,
        );
        assert!(dockerfile.starts_with(
            "FROM debian:stable-slim\n\nARG BUNDLE_DIR=/cnab/app BUNDLE_UID=65532 BUNDLE_GID=0\n"
        ));
        assert!(dockerfile.contains(
            "# exec mixin has no buildtime dependencies\n# apt mixin\nRUN apt-get install -y curl"
        ));
        assert!(!dockerfile.contains("PORTER_"));
        assert!(dockerfile.contains("USER 65532:0"));
        assert!(dockerfile.ends_with("CMD [\"/cnab/app/run\"]\n"));
    }

    #[test]
    fn the_tail_comes_last_and_resets_what_a_template_may_have_changed() {
        let template = "FROM busybox\nENTRYPOINT [\"/x\"]\nUSER root\nWORKDIR /tmp\n";
        let dockerfile = render(template, &exec_and_apt(), TOOLING);
        let tail: Vec<&str> = dockerfile.lines().rev().take(10).collect();
        assert_eq!(
            tail,
            [
                "CMD [\"/cnab/app/run\"]",
                "WORKDIR /cnab/app",
                "USER 65532:0",
                "ENTRYPOINT []",
                "COPY .cnab/bundle.json /cnab/bundle.json",
                "COPY --from=wharf.local/wharf-tooling:0123 /wharf /cnab/wharf",
                "COPY --chown=65532:0 .cnab/state /cnab/state",
                "COPY --chown=65532:0 --from=wharf.local/wharf-tooling:0123 /run /cnab/app/run",
                "COPY --chown=65532:0 .cnab/app /cnab/app",
                "COPY --chown=65532:0 .cnab/home /home/nonroot",
            ]
        );
    }

    #[test]
    fn a_template_without_tokens_gets_init_after_from_and_mixins_at_the_end() {
        let dockerfile = render("FROM busybox\nRUN echo hi\n", &exec_and_apt(), TOOLING);
        let lines: Vec<&str> = dockerfile.lines().collect();
        assert_eq!(lines[0], "FROM busybox");
        assert_eq!(
            lines[1],
            "ARG BUNDLE_DIR=/cnab/app BUNDLE_UID=65532 BUNDLE_GID=0"
        );
        let run = lines.iter().position(|l| *l == "RUN echo hi").unwrap();
        let apt = lines
            .iter()
            .position(|l| *l == "RUN apt-get install -y curl")
            .unwrap();
        assert!(run < apt);
    }
}
