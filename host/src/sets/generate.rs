//! `generate`: a set skeleton for a bundle, one entry per thing it asks for.
//!
//! The caller chooses each entry's source (the CLI asks interactively, or
//! defaults to an environment variable), so this module holds only the
//! bundle-reading rules: which parameters a user sets, and in what order.

use std::convert::Infallible;

use super::document::{SetDocument, SetKind, Source};
use crate::cnab::Bundle;
use crate::cnab::contract::INTERNAL_COMMENT;

/// The prefix of Wharf's internal parameters (`wharf-debug`, `wharf-state`,
/// `wharf-<output>-output`), which no user sets.
pub const INTERNAL_PREFIX: &str = "wharf-";

/// The `$comment` marking an internal definition: Wharf's own, and
/// Porter's, so sets can be generated for Porter-built bundles too.
const INTERNAL_COMMENTS: [&str; 2] = [INTERNAL_COMMENT, "porter-internal"];

/// Whether parameter `name` of `bundle` is internal to the runtime rather
/// than set by users: its name starts with `wharf-`, or its definition is
/// marked internal (as Porter marks `porter-debug` and `porter-state`).
pub fn is_internal_parameter(bundle: &Bundle, name: &str) -> bool {
    name.starts_with(INTERNAL_PREFIX)
        || bundle
            .parameter_definition(name)
            .and_then(|d| d.get("$comment"))
            .and_then(|c| c.as_str())
            .is_some_and(|c| INTERNAL_COMMENTS.contains(&c))
}

/// The names and descriptions a set of `kind` for `bundle` has entries
/// for, in name order.
pub fn user_entries(bundle: &Bundle, kind: SetKind) -> Vec<(&str, &str)> {
    match kind {
        SetKind::Parameter => bundle
            .parameters
            .iter()
            .filter(|(name, _)| !is_internal_parameter(bundle, name))
            .map(|(name, p)| (name.as_str(), p.description.as_str()))
            .collect(),
        SetKind::Credential => bundle
            .credentials
            .iter()
            .filter(|(name, _)| !name.starts_with(INTERNAL_PREFIX))
            .map(|(name, c)| (name.as_str(), c.description.as_str()))
            .collect(),
    }
}

/// A set of `kind` named after the bundle (as Porter names it when no name
/// is given), with one entry per user parameter or credential, each with
/// the source `source_for(name, description)` returns.
pub fn generate_with(
    bundle: &Bundle,
    kind: SetKind,
    mut source_for: impl FnMut(&str, &str) -> Source,
) -> SetDocument {
    let result: Result<SetDocument, Infallible> =
        try_generate_with(bundle, kind, |name, description| {
            Ok(Some(source_for(name, description)))
        });
    match result {
        Ok(set) => set,
        Err(never) => match never {},
    }
}

/// [`generate_with`] for callers that may skip an entry (`Ok(None)`) or
/// stop (an error, e.g. the user cancelled an interactive prompt).
pub fn try_generate_with<E>(
    bundle: &Bundle,
    kind: SetKind,
    mut source_for: impl FnMut(&str, &str) -> Result<Option<Source>, E>,
) -> Result<SetDocument, E> {
    let mut set = SetDocument::new(kind, "", bundle.name.clone());
    for (name, description) in user_entries(bundle, kind) {
        if let Some(source) = source_for(name, description)? {
            set.set(name, source);
        }
    }
    Ok(set)
}

/// A set where every entry reads the environment variable named after it.
pub fn generate(bundle: &Bundle, kind: SetKind) -> SetDocument {
    generate_with(bundle, kind, |name, _| default_source(name))
}

/// The source `generate` proposes: `env:` the name in UPPER_SNAKE case.
pub fn default_source(name: &str) -> Source {
    Source::Env(env_var_name(name))
}

/// `mysql-connstr` → `MYSQL_CONNSTR`: letters upper-cased, digits kept,
/// anything else `_`.
pub fn env_var_name(name: &str) -> String {
    crate::manifest::upper_snake(name)
}
