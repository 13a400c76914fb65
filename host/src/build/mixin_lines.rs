//! What a mixin's `build` may put into the invocation image's Dockerfile.
//!
//! A mixin's Dockerfile lines are pasted into the image Wharf builds, so an
//! unchecked line could take the image over: an `ENTRYPOINT` runs before
//! the runtime with every credential, a `FROM` throws away everything above
//! it, a `USER` changes who the bundle runs as, a `HEALTHCHECK` runs a
//! command beside the bundle with its environment. A mixin needs none of
//! that: it installs its tools. So only these instructions are accepted:
//!
//! | instruction | why a mixin may use it |
//! | --- | --- |
//! | `RUN` | install tools (it runs at build time only) |
//! | `ENV` | point tools at what was installed (not `LD_*`, `CNAB_*`, `WHARF_*`) |
//! | `ARG` | build arguments, such as Porter's `CUSTOM_*` |
//! | `COPY`, `ADD` | put files into the image |
//! | `LABEL` | describe the image |
//! | `WORKDIR` | where the next `RUN` runs; Wharf's tail resets it |
//!
//! Everything else is refused: `FROM`, `ENTRYPOINT`, `CMD`, `USER`, `SHELL`,
//! `ONBUILD`, `HEALTHCHECK`, `VOLUME`, `STOPSIGNAL`, `EXPOSE`, `MAINTAINER`
//! and anything unknown. The check reads the lines as Docker's parser does:
//! keywords in any case and after any indentation, lines joined by the
//! template's escape character, comments and blank lines skipped inside a
//! continuation. A line may not end in a continuation (it would swallow the
//! line Wharf writes after it), carry control characters, look like a parser
//! directive (`# escape=`), or open a heredoc (`<<EOF`: neither dockerd
//! 20.10's built-in frontend nor the classic builder reads heredocs; they
//! would run its body as instructions).
//!
//! `RUN` lines still run as root at build time and shape the image every
//! mixin's programs run in: they are as trusted as the base image, which is
//! why `wharf build` shows them and Wharf's tail always comes last.

use thiserror::Error;

/// The instructions a mixin may emit.
pub const ALLOWED: &[&str] = &["RUN", "ENV", "ARG", "COPY", "ADD", "LABEL", "WORKDIR"];

/// Variable prefixes a mixin's `ENV` may not set: the dynamic loader's, and
/// the names the CNAB runtime and Wharf read.
const RESERVED_ENV_PREFIXES: &[&str] = &["LD_", "CNAB_", "WHARF_"];

/// A refused line of a mixin's `build` output.
#[derive(Debug, Error, PartialEq, Eq)]
#[error(
    "the {mixin} mixin's Dockerfile line {line} (`{text}`) is refused: {reason}; a mixin's build \
     may emit only {allowed} instructions: fix or remove the mixin",
    allowed = ALLOWED.join(", ")
)]
pub struct RefusedLine {
    /// The mixin's name.
    pub mixin: String,
    /// The line's number in what its `build` returned, from 1.
    pub line: usize,
    /// The line, without control characters.
    pub text: String,
    /// Why it is refused.
    pub reason: String,
}

/// The escape character the Dockerfile `template` declares with a
/// `# escape=` parser directive at its top, else `\`.
pub fn escape_char(template: &str) -> char {
    for line in template.lines() {
        // Docker stops looking for directives at the first line that is not
        // a known one.
        let Some(Some((key, value))) = directive(line) else {
            break;
        };
        let mut chars = value.chars();
        if let (true, Some(c), None) = (key == "escape", chars.next(), chars.next()) {
            return c;
        }
    }
    '\\'
}

/// Whether `line` is a parser directive (`# key=value`); `Some(None)` for
/// another directive-shaped line Docker would not act on. `None` for
/// anything else.
pub(super) fn directive(line: &str) -> Option<Option<(&str, &str)>> {
    let rest = line.trim_start().strip_prefix('#')?;
    let (key, value) = rest.split_once('=')?;
    let key = key.trim();
    if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    let key = match key.to_ascii_lowercase().as_str() {
        "escape" => "escape",
        "syntax" => "syntax",
        "check" => "check",
        _ => return Some(None),
    };
    Some(Some((key, value.trim())))
}

/// Checks the `lines` the mixin `mixin` returned from `build`, with the
/// template's `escape` character.
pub fn check(mixin: &str, lines: &[String], escape: char) -> Result<(), RefusedLine> {
    let refuse = |line: usize, text: &str, reason: String| RefusedLine {
        mixin: mixin.to_string(),
        line: line + 1,
        text: crate::text::strip_control_sequences(text)
            .trim()
            .chars()
            .take(120)
            .collect(),
        reason,
    };
    // Each instruction: the number of the line it starts on and its text.
    let mut instructions: Vec<(usize, String)> = Vec::new();
    let mut continuing = false;
    let mut last = 0;
    for (number, returned) in lines.iter().enumerate() {
        for physical in returned.split('\n') {
            if physical.chars().any(|c| c.is_control() && c != '\t') {
                return Err(refuse(
                    number,
                    physical,
                    "it contains a control character".into(),
                ));
            }
            let trimmed = physical.trim_start();
            if trimmed.is_empty() {
                continue;
            }
            if trimmed.starts_with('#') {
                if directive(trimmed).is_some() {
                    return Err(refuse(
                        number,
                        physical,
                        "it looks like a parser directive, which only the template may set".into(),
                    ));
                }
                continue;
            }
            let body = trimmed.trim_end();
            let (body, continues) = match body.strip_suffix(escape) {
                Some(body) => (body, true),
                None => (body, false),
            };
            match instructions.last_mut() {
                Some((_, text)) if continuing => {
                    text.push(' ');
                    text.push_str(body);
                }
                _ => instructions.push((number, body.to_string())),
            }
            continuing = continues;
            last = number;
        }
    }
    if continuing {
        return Err(refuse(
            last,
            &lines[last],
            format!(
                "it ends with `{escape}`, which would join the line Wharf writes after it to this \
                 instruction"
            ),
        ));
    }
    for (number, text) in &instructions {
        if let Some(reason) = problem(text) {
            return Err(refuse(*number, text, reason));
        }
    }
    Ok(())
}

/// Why the instruction `text` is refused, if it is.
fn problem(text: &str) -> Option<String> {
    let mut words = text.split_whitespace();
    let keyword = words.next().unwrap_or_default().to_ascii_uppercase();
    if !ALLOWED.contains(&keyword.as_str()) {
        return Some(match keyword.as_str() {
            "FROM" => "`FROM` starts another build stage, so the image would not be Wharf's".into(),
            "ENTRYPOINT" | "CMD" => format!(
                "`{keyword}` would change what the container runs instead of the Wharf runtime"
            ),
            "USER" => "`USER` would change the user the bundle runs as".into(),
            "HEALTHCHECK" => {
                "`HEALTHCHECK` would run a command beside the bundle, with its credentials".into()
            }
            "SHELL" | "ONBUILD" | "VOLUME" | "STOPSIGNAL" | "EXPOSE" | "MAINTAINER" => {
                format!("`{keyword}` changes the image's configuration, which is Wharf's")
            }
            _ => format!("`{keyword}` is not an instruction a mixin may use"),
        });
    }
    if has_heredoc(text) {
        return Some("it opens a heredoc (`<<`), which the classic builder does not read".into());
    }
    if keyword == "ENV" {
        let args: Vec<&str> = words.collect();
        let names = match args.first() {
            Some(first) if !first.contains('=') => vec![*first],
            _ => args
                .iter()
                .filter_map(|arg| arg.split_once('=').map(|(name, _)| name))
                .collect(),
        };
        if let Some(name) = names.iter().find(|name| {
            let upper = name.trim_matches('"').to_ascii_uppercase();
            RESERVED_ENV_PREFIXES.iter().any(|p| upper.starts_with(p))
        }) {
            return Some(format!(
                "`ENV {name}` sets a variable reserved for the loader, the CNAB runtime or Wharf"
            ));
        }
    }
    None
}

/// Whether `text` has a heredoc marker: `<<` (or `<<-`) before a word.
fn has_heredoc(text: &str) -> bool {
    text.match_indices("<<").any(|(at, _)| {
        let rest = text[at + 2..].trim_start_matches('-').trim_start();
        rest.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '"' || c == '\'')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &[&str]) -> Vec<String> {
        text.iter().map(|l| l.to_string()).collect()
    }

    fn refused(text: &[&str]) -> RefusedLine {
        check("evil", &lines(text), '\\').expect_err("refused")
    }

    #[test]
    fn what_mixins_use_is_accepted() {
        let ok = lines(&[
            "# install the tools",
            "ARG HELM_VERSION=3.14.0",
            "RUN apt-get update && \\",
            "    # a comment inside a continuation",
            "",
            "    apt-get install -y curl",
            "ENV PATH=/opt/helm:$PATH HELM_HOME=/opt/helm",
            "env KUBECONFIG /root/.kube/config",
            "  copy --chown=65532:0 charts/ /opt/charts/",
            "ADD https://example.com/x.tgz /opt/",
            "LABEL sh.wharf.mixin=helm3",
            "WORKDIR /opt",
            "RUN [\"/bin/sh\", \"-c\", \"echo ok\"]",
        ]);
        assert_eq!(check("helm3", &ok, '\\'), Ok(()));
        assert_eq!(check("exec", &[], '\\'), Ok(()));
    }

    #[test]
    fn instructions_that_take_the_image_over_are_refused_in_any_case_or_indentation() {
        for (line, word) in [
            (
                "ENTRYPOINT [\"/bin/sh\", \"-c\", \"cat /cnab/app/creds\"]",
                "ENTRYPOINT",
            ),
            ("  entrypoint /evil", "ENTRYPOINT"),
            ("\tCmd [\"/evil\"]", "CMD"),
            ("FROM evil/image AS x", "FROM"),
            ("USER root", "USER"),
            ("SHELL [\"/evil\"]", "SHELL"),
            ("ONBUILD RUN /evil", "ONBUILD"),
            ("HEALTHCHECK CMD /evil", "HEALTHCHECK"),
            ("VOLUME /cnab", "VOLUME"),
            ("STOPSIGNAL SIGKILL", "STOPSIGNAL"),
            ("EXPOSE 22", "EXPOSE"),
            ("BOGUS x", "BOGUS"),
        ] {
            let err = refused(&["RUN true", line]);
            assert_eq!(err.line, 2, "{line}");
            assert!(err.reason.contains(word), "{line}: {}", err.reason);
            let message = err.to_string();
            assert!(
                message.contains("the evil mixin's Dockerfile line 2") && message.contains("RUN"),
                "{message}"
            );
        }
    }

    #[test]
    fn a_forbidden_instruction_hidden_in_one_returned_line_is_found() {
        let err = refused(&["RUN true\nENTRYPOINT [\"/evil\"]"]);
        assert!(err.reason.contains("ENTRYPOINT"), "{err}");
        let err = refused(&["RUN true\r", "CMD x"]);
        assert!(err.reason.contains("control character"), "{err}");
    }

    #[test]
    fn a_continuation_is_part_of_its_instruction_but_may_not_swallow_wharfs_next_line() {
        // Docker reads this as one RUN whose shell words include `ENTRYPOINT`.
        assert_eq!(
            check("ok", &lines(&["RUN echo \\", "ENTRYPOINT"]), '\\'),
            Ok(())
        );
        let err = refused(&["RUN true \\"]);
        assert!(err.reason.contains("ends with `\\`"), "{err}");
        let err = refused(&["RUN true \\  ", "# only a comment follows", ""]);
        assert!(err.reason.contains("ends with"), "{err}");
        // With the template's `# escape=`` a backslash continues nothing.
        let err =
            check("evil", &lines(&["RUN true \\", "CMD [\"/evil\"]"]), '`').expect_err("refused");
        assert!(err.reason.contains("CMD"), "{err}");
        let err = check("evil", &lines(&["RUN true `"]), '`').expect_err("refused");
        assert!(err.reason.contains("ends with"), "{err}");
    }

    #[test]
    fn directives_heredocs_and_reserved_variables_are_refused() {
        assert!(refused(&["# escape=`"]).reason.contains("directive"));
        assert!(
            refused(&["  # syntax=evil/frontend"])
                .reason
                .contains("directive")
        );
        assert!(
            refused(&["RUN <<EOF", "ENTRYPOINT x", "EOF"])
                .reason
                .contains("heredoc")
        );
        assert!(refused(&["COPY <<-'X' /etc/x"]).reason.contains("heredoc"));
        for line in [
            "ENV LD_PRELOAD=/tmp/x.so",
            "ENV A=1 ld_library_path=/tmp",
            "ENV CNAB_ACTION uninstall",
            "ENV WHARF_LOG=trace",
        ] {
            assert!(refused(&[line]).reason.contains("reserved"), "{line}");
        }
    }

    #[test]
    fn the_escape_character_comes_from_the_templates_directives() {
        assert_eq!(escape_char("FROM debian\n"), '\\');
        assert_eq!(escape_char("# escape=`\nFROM debian\n"), '`');
        assert_eq!(escape_char("# syntax=x\n# ESCAPE = `\nFROM x\n"), '`');
        assert_eq!(escape_char("FROM x\n# escape=`\n"), '\\');
    }
}
