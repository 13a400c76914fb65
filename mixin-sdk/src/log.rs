//! Logging through the host, which masks secrets and routes lines to the
//! user's terminal and the installation's logs.

use crate::bindings::wharf::mixin::host::{self, LogLevel};

/// Logs a progress line the user will see.
pub fn info(message: impl AsRef<str>) {
    host::log(LogLevel::Info, message.as_ref());
}

/// Logs detail shown with debug verbosity.
pub fn debug(message: impl AsRef<str>) {
    host::log(LogLevel::Debug, message.as_ref());
}

/// Logs a warning.
pub fn warn(message: impl AsRef<str>) {
    host::log(LogLevel::Warn, message.as_ref());
}

/// Logs an error the mixin recovers from (return an [`crate::Error`] for one
/// it does not).
pub fn error(message: impl AsRef<str>) {
    host::log(LogLevel::Error, message.as_ref());
}
