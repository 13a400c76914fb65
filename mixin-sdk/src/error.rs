//! The error a mixin returns to Wharf.

use std::fmt;

/// A failure a mixin reports on purpose. Its message reaches the person
/// running the bundle, so it should say what went wrong and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    message: String,
}

impl Error {
    /// An error with the given message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    /// The message, as the user will see it.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Prefixes the message with what was being done, like anyhow's
    /// `context`, so errors read as a chain: "step 2: running bash: ...".
    pub fn context(self, what: impl fmt::Display) -> Self {
        Self::new(format!("{what}: {}", self.message))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<String> for Error {
    fn from(message: String) -> Self {
        Self::new(message)
    }
}

impl From<&str> for Error {
    fn from(message: &str) -> Self {
        Self::new(message)
    }
}

/// The result type of mixin functions.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Adds context to any displayable error, turning it into an [`Error`].
pub trait ResultExt<T> {
    /// Wraps the error with a description of what was being done.
    fn context(self, what: impl fmt::Display) -> Result<T>;
}

impl<T, E: fmt::Display> ResultExt<T> for std::result::Result<T, E> {
    fn context(self, what: impl fmt::Display) -> Result<T> {
        self.map_err(|e| Error::new(format!("{what}: {e}")))
    }
}
