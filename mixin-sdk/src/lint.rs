//! Lint findings in the shape of Porter's lint results.

use crate::bindings::wharf::mixin::types as wit;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// The bundle will not work.
    Error,
    /// The bundle probably does not do what the author meant.
    Warning,
    /// A suggestion.
    Info,
}

/// Which step a finding is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The action holding the step.
    pub action: String,
    /// The step's position in the action, from 1.
    pub step_number: u32,
    /// The step's description.
    pub step_description: String,
}

/// One lint finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// How serious it is.
    pub level: Level,
    /// A stable code such as `exec-101`.
    pub code: String,
    /// A short title.
    pub title: String,
    /// What is wrong and how to fix it.
    pub message: String,
    /// The step it is about.
    pub location: Option<Location>,
    /// A page that explains it.
    pub url: Option<String>,
}

impl Finding {
    /// A finding of `level` with a code and title; add the rest with the
    /// builder methods.
    pub fn new(level: Level, code: impl Into<String>, title: impl Into<String>) -> Self {
        Self {
            level,
            code: code.into(),
            title: title.into(),
            message: String::new(),
            location: None,
            url: None,
        }
    }

    /// An error finding.
    pub fn error(code: impl Into<String>, title: impl Into<String>) -> Self {
        Self::new(Level::Error, code, title)
    }

    /// A warning finding.
    pub fn warning(code: impl Into<String>, title: impl Into<String>) -> Self {
        Self::new(Level::Warning, code, title)
    }

    /// Sets the message.
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    /// Points the finding at a step.
    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    /// Sets the explanatory URL.
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }
}

impl From<Finding> for wit::Finding {
    fn from(f: Finding) -> Self {
        wit::Finding {
            level: match f.level {
                Level::Error => wit::Level::Error,
                Level::Warning => wit::Level::Warning,
                Level::Info => wit::Level::Info,
            },
            code: f.code,
            title: f.title,
            message: f.message,
            location: f.location.map(|l| wit::Location {
                action: l.action,
                step_number: l.step_number,
                step_description: l.step_description,
            }),
            url: f.url,
        }
    }
}
