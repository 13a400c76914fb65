//! Dockerfile templates written for BuildKit, built by Docker's classic
//! builder.
//!
//! Wharf builds through the classic builder (see the README: bollard does
//! not give a BuildKit session that serves secrets). Porter's own
//! `porter create` template and many real bundles use BuildKit syntax that
//! changes only how a build is cached or which frontend parses it; that
//! syntax is dropped here, with a note saying so, so that they build as
//! they are. Syntax that changes what the image holds (a secret, an ssh
//! agent, a bind mount) cannot be dropped: it is refused, with its line.

use super::mixin_lines::{directive, escape_char};

/// A template the classic builder can read, and what was changed or
/// cannot be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassicTemplate {
    /// The template, BuildKit-only syntax removed.
    pub text: String,
    /// Each change (a warning) and each refusal (an error), by line.
    pub notes: Vec<TemplateNote>,
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

impl ClassicTemplate {
    /// The refusals.
    pub fn refusals(&self) -> impl Iterator<Item = &TemplateNote> {
        self.notes.iter().filter(|n| n.refused)
    }
}

/// Why a secret, ssh or bind mount cannot be dropped.
const NO_BUILDKIT: &str = "Wharf builds with Docker's classic builder, which cannot give a \
    build secrets, an ssh agent or mounts (see \"Where Wharf and Porter v1 differ\" in the \
    README); copy what the step needs into the bundle directory instead, or build the image \
    elsewhere and name it";

/// Adapts `template` for the classic builder.
pub fn adapt(template: &str) -> ClassicTemplate {
    let escape = escape_char(template);
    let mut notes = Vec::new();
    let mut out: Vec<String> = Vec::new();
    let mut in_directives = true;
    // The lines of the instruction being read, and the number of its first.
    let mut instruction: Vec<String> = Vec::new();
    let mut first = 0;
    for (i, line) in template.lines().enumerate() {
        if in_directives {
            match directive(line) {
                Some(Some(("syntax", frontend))) => {
                    notes.push(TemplateNote {
                        line: i + 1,
                        refused: false,
                        message: format!(
                            "`# syntax={frontend}` ignored: Docker's classic builder reads the \
                             Dockerfile with its own frontend"
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
            adapt_instruction(&mut instruction, first, escape, &mut notes);
            out.append(&mut instruction);
        }
    }
    adapt_instruction(&mut instruction, first, escape, &mut notes);
    out.append(&mut instruction);
    let mut text = out.join("\n");
    if template.ends_with('\n') {
        text.push('\n');
    }
    ClassicTemplate { text, notes }
}

/// Removes the BuildKit-only flags of one instruction, given as its
/// physical lines (its flags may go on over continuation lines).
fn adapt_instruction(
    lines: &mut [String],
    first: usize,
    escape: char,
    notes: &mut Vec<TemplateNote>,
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
        let mut note = |refused, message| {
            notes.push(TemplateNote {
                line: first + index,
                refused,
                message,
            })
        };
        match judge_flag(&instruction, &flag) {
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

fn judge_flag(instruction: &str, flag: &str) -> Flag {
    let (name, value) = flag.split_once('=').unwrap_or((flag, ""));
    match (instruction, name) {
        ("COPY" | "ADD", "--link") => {
            Flag::Drop("it changes only how layers are reused, which the classic builder decides")
        }
        ("COPY" | "ADD", "--chmod") => Flag::Refuse(format!(
            "needs BuildKit; set the mode in the bundle directory, or with a RUN chmod ({NO_BUILDKIT})"
        )),
        ("RUN", "--mount") => match mount_type(value) {
            "cache" => Flag::Drop("a cache mount only keeps files between builds"),
            kind => Flag::Refuse(format!("needs a BuildKit {kind} mount; {NO_BUILDKIT}")),
        },
        ("RUN", "--network" | "--security") => {
            Flag::Refuse(format!("needs BuildKit; {NO_BUILDKIT}"))
        }
        _ => Flag::Keep,
    }
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
    fn caching_and_frontend_syntax_is_dropped_with_a_note() {
        let adapted = adapt(BUILDKIT_TEMPLATE);
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
    fn secrets_ssh_and_binds_are_refused_with_their_line() {
        let template = "FROM busybox
RUN --mount=type=secret,id=token cat /run/secrets/token
RUN --mount=type=ssh git clone git@example.com:x.git
RUN --mount=target=/src make
COPY --chmod=755 run.sh /run.sh
RUN --network=none true
";
        let adapted = adapt(template);
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
        let adapted = adapt(template);
        let notes: Vec<(usize, bool)> = adapted.notes.iter().map(|n| (n.line, n.refused)).collect();
        assert_eq!(notes, [(2, false), (5, true)], "{:?}", adapted.notes);
    }

    #[test]
    fn a_classic_template_is_left_alone() {
        let template = "# escape=`\nFROM busybox\nRUN echo a `\n  --mount=not-a-flag\nCOPY --chown=1:1 --from=x /a /b\n";
        let adapted = adapt(template);
        assert_eq!(adapted.text, template);
        assert!(adapted.notes.is_empty(), "{:?}", adapted.notes);
    }
}
