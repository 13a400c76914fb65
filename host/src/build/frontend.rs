//! Dockerfile templates as the builder that will read them can.
//!
//! Wharf builds with the BuildKit that dockerd embeds, through its built-in
//! Dockerfile frontend, or with Docker's classic builder where BuildKit is
//! unavailable (or `DOCKER_BUILDKIT=0` asks for it, as it does of the docker
//! CLI). Real templates, Porter's own `porter create` one among them, use
//! syntax newer than either reads. What changes only how a build is cached
//! or which frontend parses it is dropped here, with a note saying so, so
//! that they build as they are. What changes what the image holds or what
//! a step may reach cannot be dropped: it is refused, with its line.
//!
//! The built-in frontend of dockerd 20.10 reads secret, ssh, cache and bind
//! mounts and `COPY --chmod`, but not `COPY --link` or `RUN --network`, and
//! Wharf pulls no `# syntax=` frontend image (the build must not depend on
//! a registry the bundle does not name).

use super::mixin_lines::{directive, escape_char};

/// Which of Docker's builders reads the Dockerfile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Builder {
    /// The BuildKit dockerd embeds, with its built-in Dockerfile frontend.
    #[default]
    BuildKit,
    /// Docker's classic builder.
    Classic,
}

impl Builder {
    /// The builder the environment asks for: the classic one when
    /// `DOCKER_BUILDKIT` is `0` or `false`, as with the docker CLI.
    pub fn from_env() -> Builder {
        Builder::parse(std::env::var("DOCKER_BUILDKIT").ok().as_deref())
    }

    /// The builder a `DOCKER_BUILDKIT` value asks for.
    fn parse(value: Option<&str>) -> Builder {
        match value.map(str::trim) {
            Some("0") => Builder::Classic,
            Some(v) if v.eq_ignore_ascii_case("false") => Builder::Classic,
            _ => Builder::BuildKit,
        }
    }

    /// How the builder is called in messages.
    pub fn describe(self) -> &'static str {
        match self {
            Builder::BuildKit => "dockerd's BuildKit",
            Builder::Classic => "Docker's classic builder",
        }
    }
}

/// A template the builder can read, and what was changed or cannot be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdaptedTemplate {
    /// The template, syntax the builder does not read removed.
    pub text: String,
    /// Each change (a warning) and each refusal (an error), by line.
    pub notes: Vec<TemplateNote>,
    /// The ids of the secrets its `RUN --mount=type=secret` lines mount,
    /// with the line of each.
    pub secrets: Vec<(usize, String)>,
    /// Whether a `RUN --mount=type=ssh` line needs an ssh agent.
    pub ssh: bool,
}

/// One change to, or refusal of, a template line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateNote {
    /// The line, from 1.
    pub line: usize,
    /// Whether the build cannot go on.
    pub refused: bool,
    pub message: String,
}

impl AdaptedTemplate {
    /// The refusals.
    pub fn refusals(&self) -> impl Iterator<Item = &TemplateNote> {
        self.notes.iter().filter(|n| n.refused)
    }
}

/// Why the classic builder cannot take a secret, ssh or bind mount.
const NO_BUILDKIT: &str = "Docker's classic builder, which builds here because BuildKit is \
    unavailable or DOCKER_BUILDKIT=0 asks for it, cannot give a build secrets, an ssh agent or \
    mounts; build where dockerd's BuildKit is available, or copy what the step needs into the \
    bundle directory";

/// Adapts `template` for `builder`.
pub fn adapt(template: &str, builder: Builder) -> AdaptedTemplate {
    let escape = escape_char(template);
    let mut adapted = AdaptedTemplate {
        text: String::new(),
        notes: Vec::new(),
        secrets: Vec::new(),
        ssh: false,
    };
    let mut out: Vec<String> = Vec::new();
    let mut in_directives = true;
    // The lines of the instruction being read, and the number of its first.
    let mut instruction: Vec<String> = Vec::new();
    let mut first = 0;
    for (i, line) in template.lines().enumerate() {
        if in_directives {
            match directive(line) {
                Some(Some(("syntax", frontend))) => {
                    adapted.notes.push(TemplateNote {
                        line: i + 1,
                        refused: false,
                        message: format!(
                            "`# syntax={frontend}` ignored: {} reads the Dockerfile with its \
                             built-in frontend, and Wharf pulls no frontend image",
                            builder.describe()
                        ),
                    });
                    continue;
                }
                Some(_) => {
                    out.push(line.to_string());
                    continue;
                }
                None => in_directives = false,
            }
        }
        if instruction.is_empty() {
            first = i + 1;
        }
        instruction.push(line.to_string());
        // As Docker reads them, comment and blank lines inside a continued
        // instruction are left out of it without ending it.
        let aside = line.trim().is_empty() || line.trim_start().starts_with('#');
        let continues = if instruction.len() > 1 && aside {
            true
        } else {
            !aside && line.trim_end().ends_with(escape)
        };
        if !continues {
            adapt_instruction(&mut instruction, first, escape, builder, &mut adapted);
            out.append(&mut instruction);
        }
    }
    adapt_instruction(&mut instruction, first, escape, builder, &mut adapted);
    out.append(&mut instruction);
    adapted.text = out.join("\n");
    if template.ends_with('\n') {
        adapted.text.push('\n');
    }
    adapted
}

/// Adapts `template` (called `file` in messages) for `builder` as a build
/// does: what is dropped is said once, in one note; what is refused stops
/// the build with every such line; a secret the template mounts and no
/// `--secret` gives is named, since BuildKit would leave it out silently.
pub fn adapt_for_build(
    template: &str,
    file: &str,
    builder: Builder,
    secret_ids: &[String],
    progress: &mut dyn FnMut(&str),
) -> anyhow::Result<AdaptedTemplate> {
    let adapted = adapt(template, builder);
    let listed = |refused: bool| -> Vec<String> {
        adapted
            .notes
            .iter()
            .filter(|n| n.refused == refused)
            .map(|n| format!("{file}:{}: {}", n.line, n.message))
            .collect()
    };
    let refused = listed(true);
    if !refused.is_empty() {
        anyhow::bail!("{}", refused.join("\n"));
    }
    let changed = listed(false);
    if !changed.is_empty() {
        progress(&format!(
            "{} builds this image; what it does not read is left out:\n  {}\n",
            builder.describe(),
            changed.join("\n  ")
        ));
    }
    for (line, id) in &adapted.secrets {
        if !secret_ids.contains(id) {
            progress(&format!(
                "{file}:{line}: the step mounts the secret `{id}`, and no `--secret id={id},src=FILE` \
                 was given: BuildKit runs it without\n"
            ));
        }
    }
    Ok(adapted)
}

/// Removes the flags `builder` does not read from one instruction, given
/// as its physical lines (its flags may go on over continuation lines), and
/// records the secrets and ssh agent it mounts.
fn adapt_instruction(
    lines: &mut [String],
    first: usize,
    escape: char,
    builder: Builder,
    adapted: &mut AdaptedTemplate,
) {
    let Some(head) = lines.first() else {
        return;
    };
    let body = head.trim_start();
    let keyword_end = body.find(char::is_whitespace).unwrap_or(body.len());
    let instruction = body[..keyword_end].to_ascii_uppercase();
    if !matches!(instruction.as_str(), "RUN" | "COPY" | "ADD") {
        return;
    }
    let (mut index, mut at) = (0, head.len() - body.len() + keyword_end);
    while index < lines.len() {
        let line = &lines[index];
        if index > 0 && at == 0 && line.trim_start().starts_with('#') {
            index += 1;
            continue;
        }
        let gap = line[at..].len() - line[at..].trim_start().len();
        let start = at + gap;
        let rest = &line[start..];
        if rest.trim_end() == escape.to_string() || rest.is_empty() {
            // The flags may go on on the next line.
            index += 1;
            at = 0;
            continue;
        }
        if !rest.starts_with("--") {
            break;
        }
        let end = start + rest.find(char::is_whitespace).unwrap_or(rest.len());
        let flag = line[start..end].to_string();
        if instruction == "RUN" {
            adapted.record_mount(first + index, &flag);
        }
        let mut note = |refused, message| {
            adapted.notes.push(TemplateNote {
                line: first + index,
                refused,
                message,
            })
        };
        match judge_flag(builder, &instruction, &flag) {
            Flag::Keep => at = end,
            Flag::Refuse(why) => {
                note(true, format!("`{instruction} {flag}` {why}"));
                at = end;
            }
            Flag::Drop(why) => {
                note(false, format!("`{flag}` dropped: {why}"));
                // With the blanks after it, so the line keeps its shape.
                let line = &lines[index];
                let blanks = line[end..].len() - line[end..].trim_start_matches([' ', '\t']).len();
                lines[index].replace_range(start..end + blanks, "");
                at = start;
            }
        }
    }
}

enum Flag {
    Keep,
    Drop(&'static str),
    Refuse(String),
}

fn judge_flag(builder: Builder, instruction: &str, flag: &str) -> Flag {
    let (name, value) = flag.split_once('=').unwrap_or((flag, ""));
    match (builder, instruction, name) {
        (_, "COPY" | "ADD", "--link") => Flag::Drop(match builder {
            Builder::BuildKit => {
                "dockerd's built-in Dockerfile frontend does not read it, and it changes only how \
                 layers are reused"
            }
            Builder::Classic => {
                "it changes only how layers are reused, which the classic builder decides"
            }
        }),
        (_, "RUN", "--network" | "--security") => Flag::Refuse(format!(
            "is not read by {} (dockerd 20.10's built-in Dockerfile frontend has neither flag), \
             and it changes what the step may reach; remove it",
            builder.describe()
        )),
        (Builder::BuildKit, _, _) => Flag::Keep,
        (Builder::Classic, "COPY" | "ADD", "--chmod") => Flag::Refuse(format!(
            "needs BuildKit; set the mode in the bundle directory, or with a RUN chmod \
             ({NO_BUILDKIT})"
        )),
        (Builder::Classic, "RUN", "--mount") => match mount_type(value) {
            "cache" => Flag::Drop("a cache mount only keeps files between builds"),
            kind => Flag::Refuse(format!("needs a BuildKit {kind} mount; {NO_BUILDKIT}")),
        },
        (Builder::Classic, _, _) => Flag::Keep,
    }
}

impl AdaptedTemplate {
    /// Notes the secret or ssh agent a `RUN` flag mounts.
    fn record_mount(&mut self, line: usize, flag: &str) {
        let Some(value) = flag.strip_prefix("--mount=") else {
            return;
        };
        match mount_type(value) {
            "secret" => self.secrets.push((line, secret_id(value))),
            "ssh" => self.ssh = true,
            _ => {}
        }
    }
}

/// The id of a secret mount: its `id=`, else its target's file name, as
/// BuildKit defaults it.
fn secret_id(value: &str) -> String {
    let option = |names: &[&str]| {
        value.split(',').find_map(|part| {
            let (key, v) = part.split_once('=')?;
            names.contains(&key).then_some(v)
        })
    };
    if let Some(id) = option(&["id"]) {
        return id.to_string();
    }
    option(&["target", "dst", "destination"])
        .map(|target| target.rsplit('/').next().unwrap_or(target).to_string())
        .unwrap_or_default()
}

/// The `type=` of a `--mount` value; a mount without one is a bind mount.
fn mount_type(value: &str) -> &str {
    value
        .split(',')
        .find_map(|part| part.strip_prefix("type="))
        .unwrap_or("bind")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A template in the style of Porter's `porter create` one.
    const BUILDKIT_TEMPLATE: &str = "# syntax=docker/dockerfile-upstream:1.4.0
FROM debian:stable-slim

# PORTER_INIT

RUN rm -f /etc/apt/apt.conf.d/docker-clean
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \\
    --mount=type=cache,target=/var/lib/apt apt-get update && \\
    apt-get install -y ca-certificates

# PORTER_MIXINS

COPY --link --chown=65532:0 . ${BUNDLE_DIR}
";

    #[test]
    fn classic_builder_drops_caching_and_frontend_syntax_with_a_note() {
        let adapted = adapt(BUILDKIT_TEMPLATE, Builder::Classic);
        assert_eq!(
            adapted.text,
            "FROM debian:stable-slim

# PORTER_INIT

RUN rm -f /etc/apt/apt.conf.d/docker-clean
RUN \\
    apt-get update && \\
    apt-get install -y ca-certificates

# PORTER_MIXINS

COPY --chown=65532:0 . ${BUNDLE_DIR}
"
        );
        let lines: Vec<(usize, bool)> = adapted.notes.iter().map(|n| (n.line, n.refused)).collect();
        assert_eq!(lines, [(1, false), (7, false), (8, false), (13, false)]);
        assert_eq!(adapted.refusals().count(), 0);
    }

    #[test]
    fn classic_builder_refuses_secrets_ssh_and_binds_with_their_line() {
        let template = "FROM busybox
RUN --mount=type=secret,id=token cat /run/secrets/token
RUN --mount=type=ssh git clone git@example.com:x.git
RUN --mount=target=/src make
COPY --chmod=755 run.sh /run.sh
RUN --network=none true
";
        let adapted = adapt(template, Builder::Classic);
        let refused: Vec<usize> = adapted.refusals().map(|n| n.line).collect();
        assert_eq!(refused, [2, 3, 4, 5, 6]);
        assert!(adapted.notes[0].message.contains("secret mount"));
        assert!(adapted.notes[2].message.contains("bind mount"));
        // Refused lines are left as they are.
        assert_eq!(adapted.text, template);
    }

    /// A comment or a blank line inside a continued instruction does not
    /// end it, as in Docker: a secret mount after one is still seen.
    #[test]
    fn flags_after_a_comment_or_blank_line_in_a_continuation_are_judged() {
        let template = "FROM busybox
RUN --mount=type=cache,target=/a \\
    # the cache

    --mount=type=secret,id=t cat /run/secrets/t
";
        let adapted = adapt(template, Builder::Classic);
        let notes: Vec<(usize, bool)> = adapted.notes.iter().map(|n| (n.line, n.refused)).collect();
        assert_eq!(notes, [(2, false), (5, true)], "{:?}", adapted.notes);
    }

    #[test]
    fn a_classic_template_is_left_alone() {
        let template = "# escape=`\nFROM busybox\nRUN echo a `\n  --mount=not-a-flag\nCOPY --chown=1:1 --from=x /a /b\n";
        let adapted = adapt(template, Builder::Classic);
        assert_eq!(adapted.text, template);
        assert!(adapted.notes.is_empty(), "{:?}", adapted.notes);
    }

    /// BuildKit keeps every mount and `--chmod`; only `# syntax` and
    /// `--link`, which its built-in frontend does not read, are dropped.
    #[test]
    fn buildkit_keeps_mounts_and_drops_only_what_its_frontend_does_not_read() {
        let adapted = adapt(BUILDKIT_TEMPLATE, Builder::BuildKit);
        assert_eq!(
            adapted.text,
            BUILDKIT_TEMPLATE
                .replace("# syntax=docker/dockerfile-upstream:1.4.0\n", "")
                .replace("--link ", "")
        );
        let lines: Vec<(usize, bool)> = adapted.notes.iter().map(|n| (n.line, n.refused)).collect();
        assert_eq!(lines, [(1, false), (13, false)]);
        assert!(adapted.secrets.is_empty());
        assert!(!adapted.ssh);
    }

    #[test]
    fn buildkit_records_the_secrets_and_ssh_a_template_mounts() {
        let template = "FROM busybox
RUN --mount=type=secret,id=token cat /run/secrets/token
RUN --mount=type=cache,target=/c \\
    --mount=type=secret,target=/etc/npmrc cat /etc/npmrc
RUN --mount=type=ssh git clone git@example.com:x.git
COPY --chmod=755 run.sh /run.sh
RUN --network=none true
";
        let adapted = adapt(template, Builder::BuildKit);
        assert_eq!(
            adapted.secrets,
            [(2, "token".to_string()), (4, "npmrc".to_string())]
        );
        assert!(adapted.ssh);
        let refused: Vec<usize> = adapted.refusals().map(|n| n.line).collect();
        assert_eq!(refused, [7], "{:?}", adapted.notes);
        assert_eq!(adapted.notes.len(), 1);
        assert_eq!(adapted.text, template);
    }

    #[test]
    fn docker_buildkit_zero_asks_for_the_classic_builder() {
        // Read through the same match as from_env, without touching the
        // process environment other tests share.
        for (value, builder) in [
            ("0", Builder::Classic),
            ("false", Builder::Classic),
            ("1", Builder::BuildKit),
        ] {
            assert_eq!(Builder::parse(Some(value)), builder, "{value}");
        }
        assert_eq!(Builder::parse(None), Builder::BuildKit);
    }
}
