//! What can stop a run, worded for the person reading the installer's log.
//!
//! Every message names what to look at: the environment variable, the
//! file, or the action, step number and description. Messages may carry
//! text from commands, so [`RuntimeError::masked`] runs them through the
//! secret mask before anyone sees them.

use std::fmt;
use std::path::PathBuf;

use super::mask::Masker;

/// Which step a problem is about: `install step 2 ("Deploy")`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRef {
    /// The action.
    pub action: String,
    /// The step's position, from 1.
    pub number: usize,
    /// Its description, if it has one.
    pub description: Option<String>,
}

impl fmt::Display for StepRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} step {}", self.action, self.number)?;
        match &self.description {
            Some(d) if !d.is_empty() => write!(f, " ({d:?})"),
            _ => Ok(()),
        }
    }
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// A variable the CNAB runtime must set is missing.
    #[error("{name} is not set: {why}")]
    MissingEnv {
        /// The variable.
        name: &'static str,
        /// What it is for.
        why: &'static str,
    },

    /// A file of the layout could not be read or written.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done, e.g. "read".
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// bundle.json is not a bundle.
    #[error("{}: {source}", path.display())]
    Bundle {
        /// The file.
        path: PathBuf,
        /// Why it is not a bundle.
        #[source]
        source: crate::cnab::BundleError,
    },

    /// porter.yaml does not parse (the image was built from a manifest
    /// this runtime cannot read).
    #[error("{0}")]
    Manifest(String),

    /// The action is not one the bundle has.
    #[error("the bundle has no {action:?} action; it has {available}")]
    UnknownAction {
        /// The requested action.
        action: String,
        /// The actions it has.
        available: String,
    },

    /// A parameter's value does not fit its type.
    #[error("parameter {name:?}: {message}")]
    Parameter {
        /// The parameter.
        name: String,
        /// What is wrong with its value (never the value itself).
        message: String,
    },

    /// The mixin host could not start.
    #[error("cannot start the mixin host: {0}")]
    Host(String),

    /// mixins/index.json is unusable.
    #[error("{}: {message}", path.display())]
    MixinIndex {
        /// The index file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },

    /// A step's templates could not be rendered; the step did not run.
    #[error("{step}: {message}")]
    Template {
        /// The step.
        step: StepRef,
        /// Which variable has no value, and why.
        message: String,
    },

    /// A step names a mixin the image does not carry.
    #[error(
        "{step} uses the {mixin} mixin, which is not in this invocation image \
         (it has {available}); add it to `mixins:` and rebuild the bundle"
    )]
    MissingMixin {
        /// The step.
        step: StepRef,
        /// The mixin it names.
        mixin: String,
        /// The mixins the image has.
        available: String,
    },

    /// A mixin could not be loaded.
    #[error("{step}: cannot load the {mixin} mixin: {message}")]
    MixinLoad {
        /// The step that needed it.
        step: StepRef,
        /// The mixin.
        mixin: String,
        /// Why.
        message: String,
    },

    /// A step ran and failed.
    #[error("{step} failed: {message}")]
    StepFailed {
        /// The step.
        step: StepRef,
        /// The mixin's error.
        message: String,
    },

    /// An output could not be written.
    #[error("output {name:?}: {message}")]
    Output {
        /// The output.
        name: String,
        /// Why.
        message: String,
    },

    /// The state bag could not be unpacked or packed.
    #[error("state: {message}")]
    State {
        /// Why.
        message: String,
    },
}

impl RuntimeError {
    /// An I/O error on `path`.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// The same error with every secret in its free text masked. Paths,
    /// names and variable references are not secret and stay as they are.
    pub(crate) fn masked(self, masker: &Masker) -> Self {
        let m = |s: String| masker.mask_str(&s);
        match self {
            Self::Template { step, message } => Self::Template {
                step: mask_step(step, masker),
                message: m(message),
            },
            Self::MissingMixin {
                step,
                mixin,
                available,
            } => Self::MissingMixin {
                step: mask_step(step, masker),
                mixin,
                available,
            },
            Self::MixinLoad {
                step,
                mixin,
                message,
            } => Self::MixinLoad {
                step: mask_step(step, masker),
                mixin,
                message: m(message),
            },
            Self::StepFailed { step, message } => Self::StepFailed {
                step: mask_step(step, masker),
                message: m(message),
            },
            Self::Parameter { name, message } => Self::Parameter {
                name,
                message: m(message),
            },
            Self::Output { name, message } => Self::Output {
                name,
                message: m(message),
            },
            Self::State { message } => Self::State {
                message: m(message),
            },
            other => other,
        }
    }
}

fn mask_step(step: StepRef, masker: &Masker) -> StepRef {
    StepRef {
        description: step.description.map(|d| masker.mask_str(&d)),
        ..step
    }
}

/// The first line of `message`, for the one-line reason the runtime exits
/// with; the rest (a command's stderr) was already streamed above it.
pub fn one_line(message: &str) -> String {
    let mut lines = message.lines();
    let first = lines.next().unwrap_or_default().trim_end();
    if lines.any(|l| !l.trim().is_empty()) {
        format!("{first} (the full output is above)")
    } else {
        first.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_refs_name_action_number_and_description() {
        let step = StepRef {
            action: "install".into(),
            number: 2,
            description: Some("Deploy".into()),
        };
        assert_eq!(step.to_string(), "install step 2 (\"Deploy\")");
        let bare = StepRef {
            description: None,
            ..step
        };
        assert_eq!(bare.to_string(), "install step 2");
    }

    #[test]
    fn one_line_keeps_the_first_line() {
        assert_eq!(one_line("a\n"), "a");
        assert_eq!(one_line("a: b\nc\n"), "a: b (the full output is above)");
    }
}
