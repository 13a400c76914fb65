//! `grant:` beside a mixin declaration: what the bundle author lets a
//! mixin have beyond its sandbox.
//!
//! A mixin gets no environment variables: a registry's component must not
//! read a credential it was not meant to. Some Porter mixins do read the
//! environment (docker's `login` falls back to `$DOCKER_USERNAME` and
//! `$DOCKER_PASSWORD`), so the author may grant named variables, never a
//! pattern:
//!
//! ```yaml
//! mixins:
//!   - docker:
//!     grant:
//!       env: [DOCKER_USERNAME, DOCKER_PASSWORD]
//! ```
//!
//! At run time the mixin's `execute` sees exactly those variables that are
//! set in the invocation image (credentials and parameters with `env:`),
//! and nothing else. Lint and explain list every grant.

use super::reader::{Reader, index, join};
use super::yaml::{Node, Span};

/// The key beside a mixin's name that holds its grant.
pub const GRANT_KEY: &str = "grant";

/// What a bundle grants one mixin.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MixinGrant {
    /// Environment variables `execute` may read, each with where it is
    /// granted.
    pub env: Vec<(String, Span)>,
}

impl MixinGrant {
    /// The granted variable names, in the order written.
    pub fn env_names(&self) -> impl Iterator<Item = &str> {
        self.env.iter().map(|(name, _)| name.as_str())
    }
}

/// Reads `grant:` of the mixin at `path` (`mixins[2]`).
pub(super) fn read_grant(r: &mut Reader<'_>, node: &Node, path: &str) -> MixinGrant {
    let path = join(path, GRANT_KEY);
    let Some(fields) = r.fields(node, &path, &["env"]) else {
        return MixinGrant::default();
    };
    let mut grant = MixinGrant::default();
    let Some(items) = fields
        .get("env")
        .and_then(|n| r.list(n, &join(&path, "env")))
    else {
        return grant;
    };
    for (i, item) in items.iter().enumerate() {
        let at = index(&join(&path, "env"), i);
        let Some(name) = r.string(item, &at) else {
            continue;
        };
        if let Some(problem) = env_name_problem(&name) {
            r.diags.error(item.span, &at, problem);
        } else if grant.env.iter().any(|(n, _)| *n == name) {
            r.diags
                .warning(item.span, &at, format!("`{name}` is granted twice"));
        } else {
            grant.env.push((name, item.span));
        }
    }
    grant
}

/// Why `name` cannot be granted, if it cannot.
pub fn env_name_problem(name: &str) -> Option<String> {
    if name.contains(['*', '?', '[']) {
        return Some(format!(
            "`{name}` is a pattern; grant each variable by its name, so a mixin never reads one \
             the bundle did not mean to give it"
        ));
    }
    let mut chars = name.chars();
    let valid = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    (!valid).then(|| {
        format!("`{name}` is not an environment variable name (letters, digits and _, not first a digit)")
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::manifest::parse;

    const HEAD: &str = "schemaVersion: 1.0.1\nname: g\nversion: 0.1.0\nmixins:\n";
    const TAIL: &str = "install:\n  - exec:\n      description: x\n      command: echo\n";

    fn manifest(mixins: &str) -> String {
        format!("{HEAD}{mixins}{TAIL}")
    }

    #[test]
    fn a_grant_sits_beside_the_mixin_with_or_without_config() {
        let text = manifest(
            "  - exec\n  - docker:\n    grant:\n      env: [DOCKER_USERNAME, DOCKER_PASSWORD]\n  \
             - terraform:\n      clientVersion: 1.5.0\n    grant:\n      env: [TF_TOKEN]\n",
        );
        let (m, warnings) = parse(&text, Path::new("porter.yaml")).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        let names = |i: usize| m.mixins[i].grant.env_names().collect::<Vec<_>>();
        assert!(names(0).is_empty());
        assert_eq!(names(1), ["DOCKER_USERNAME", "DOCKER_PASSWORD"]);
        assert_eq!(m.mixins[1].config, None);
        assert_eq!(names(2), ["TF_TOKEN"]);
        assert_eq!(
            m.mixins[2].config.as_ref().unwrap()["clientVersion"],
            "1.5.0"
        );
        assert_eq!(m.mixins[1].grant.env[0].1.line, 8);
    }

    #[test]
    fn patterns_bad_names_and_unknown_keys_are_located_errors() {
        let text = manifest(
            "  - exec\n  - docker:\n    grant:\n      env: [\"DOCKER_*\", 9LIVES, OK, OK]\n      files: [/etc]\n",
        );
        let err = parse(&text, Path::new("porter.yaml")).unwrap_err();
        let said: Vec<(usize, String)> = err
            .diagnostics
            .iter()
            .map(|d| (d.line, format!("{}: {}", d.field, d.message)))
            .collect();
        assert!(
            said[0]
                .1
                .contains("is a pattern; grant each variable by its name"),
            "{said:?}"
        );
        assert!(
            said[1]
                .1
                .contains("`9LIVES` is not an environment variable name"),
            "{said:?}"
        );
        assert!(said[2].1.contains("`OK` is granted twice"), "{said:?}");
        assert!(
            said[3]
                .1
                .contains("mixins[1].grant.files: unknown field `files`"),
            "{said:?}"
        );
        assert_eq!(said.iter().map(|s| s.0).collect::<Vec<_>>(), [8, 8, 8, 9]);
    }
}
