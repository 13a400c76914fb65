//! Problems found in a manifest, each with its place.
//!
//! Parsing never stops at the first problem: every problem in the file is
//! collected, so an author fixes them in one round instead of one per run.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::yaml::Span;

/// How serious a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The bundle cannot be built.
    Error,
    /// Probably a mistake, but the bundle can be built.
    Warning,
}

/// One problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// How serious it is.
    pub severity: Severity,
    /// The field, as a path: `parameters[2].type`.
    pub field: String,
    /// The line, from 1; 0 when the problem has no single place.
    pub line: usize,
    /// The column, from 1.
    pub column: usize,
    /// What is wrong and what to do.
    pub message: String,
}

impl Diagnostic {
    /// Formats the problem as `file:line:column: field: message`.
    pub fn display_in(&self, file: &Path) -> String {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let place = if self.line == 0 {
            file.display().to_string()
        } else {
            format!("{}:{}:{}", file.display(), self.line, self.column)
        };
        if self.field.is_empty() {
            format!("{place}: {severity}: {}", self.message)
        } else {
            format!("{place}: {severity}: {}: {}", self.field, self.message)
        }
    }
}

/// A collector of problems.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Records an error at `span`.
    pub fn error(&mut self, span: Span, field: impl Into<String>, message: impl Into<String>) {
        self.push(Severity::Error, span, field, message);
    }

    /// Records a warning at `span`.
    pub fn warning(&mut self, span: Span, field: impl Into<String>, message: impl Into<String>) {
        self.push(Severity::Warning, span, field, message);
    }

    fn push(
        &mut self,
        severity: Severity,
        span: Span,
        field: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.items.push(Diagnostic {
            severity,
            field: field.into(),
            line: span.line,
            column: span.column,
            message: message.into(),
        });
    }

    /// True when any problem is an error.
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }

    /// The problems in source order.
    pub fn into_sorted(mut self) -> Vec<Diagnostic> {
        self.items.sort_by_key(|d| (d.line, d.column, d.severity));
        self.items
    }
}

/// A manifest that could not be loaded, with every problem found in it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct ManifestError {
    /// The manifest file.
    pub file: PathBuf,
    /// Every problem, errors and warnings, in source order.
    pub diagnostics: Vec<Diagnostic>,
    /// What could be read despite the errors, so that `lint` can still
    /// run Porter's rules and the mixins' checks and report every problem
    /// in one pass. Never built from, nor run.
    pub partial: Option<Box<super::Manifest>>,
}

impl ManifestError {
    /// The errors only.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
    }
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_problems(f, &self.file, self.errors().count(), &self.diagnostics)
    }
}

/// Writes "FILE has N problems:" and then each diagnostic on its own line:
/// how every file Wharf reads (manifests, sets) reports what is wrong.
pub fn write_problems(
    f: &mut fmt::Formatter<'_>,
    file: &Path,
    count: usize,
    diagnostics: &[Diagnostic],
) -> fmt::Result {
    write!(
        f,
        "{} has {count} problem{}:",
        file.display(),
        if count == 1 { "" } else { "s" }
    )?;
    for d in diagnostics {
        write!(f, "\n  {}", d.display_in(file))?;
    }
    Ok(())
}

/// The closest of `candidates` to `word`, if it is close enough to be a
/// likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|c| {
            (
                c,
                strsim::damerau_levenshtein(&lower, &c.to_ascii_lowercase()),
            )
        })
        .filter(|(c, distance)| *distance <= 2.max(c.len() / 4) && *distance < c.len())
        .min_by_key(|(_, distance)| *distance)
        .map(|(c, _)| c)
}

/// " (did you mean `x`?)" or nothing.
pub fn suggestion<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    did_you_mean(word, candidates)
        .map(|c| format!("; did you mean `{c}`?"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_catch_typos_not_strangers() {
        let fields = ["parameters", "credentials", "outputs", "install"];
        assert_eq!(did_you_mean("paramters", fields), Some("parameters"));
        assert_eq!(did_you_mean("Outputs", fields), Some("outputs"));
        assert_eq!(did_you_mean("instal", fields), Some("install"));
        assert_eq!(did_you_mean("status", fields), None);
    }
}
