//! Where a mixin's output goes: the user's terminal, a log file, a test.
//!
//! The host streams command output and the mixin's own log lines to an
//! [`OutputSink`] as they arrive. The runtime's sink masks secrets before
//! anything is written; the CLI's writes to the terminal.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use crate::text::{ControlStripper, strip_control_sequences};

/// Which stream a chunk of output came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// The severity of a mixin's log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// Fine detail.
    Trace,
    /// Debug detail.
    Debug,
    /// Progress.
    Info,
    /// Possible problems.
    Warn,
    /// Problems.
    Error,
}

/// Receives output as it happens.
pub trait OutputSink: Send + Sync {
    /// A chunk of output from a command the mixin ran, or from the mixin's
    /// own stdout or stderr. Chunks are not line-aligned.
    fn output(&self, mixin: &str, stream: Stream, bytes: &[u8]);

    /// A log line from the mixin.
    fn log(&self, mixin: &str, level: LogLevel, message: &str);
}

/// Writes output to this process's stdout and stderr, and log lines of
/// `min_level` and above to stderr, without control sequences: a mixin is
/// untrusted, and an escape sequence it prints could rewrite what the
/// terminal shows or reach a log file (see [`crate::text`]).
#[derive(Debug)]
pub struct TerminalSink {
    /// The quietest level shown.
    pub min_level: LogLevel,
    /// Each stream's stripper: a sequence can be cut between two chunks.
    stdout: Mutex<ControlStripper>,
    stderr: Mutex<ControlStripper>,
}

impl TerminalSink {
    /// A sink showing log lines of `min_level` and above.
    pub fn new(min_level: LogLevel) -> Self {
        Self {
            min_level,
            stdout: Mutex::default(),
            stderr: Mutex::default(),
        }
    }
}

impl Default for TerminalSink {
    fn default() -> Self {
        Self::new(LogLevel::Info)
    }
}

impl OutputSink for TerminalSink {
    fn output(&self, _mixin: &str, stream: Stream, bytes: &[u8]) {
        let stripper = match stream {
            Stream::Stdout => &self.stdout,
            Stream::Stderr => &self.stderr,
        };
        let text = stripper
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .strip(bytes);
        // A closed terminal must not fail the mixin; the output is also
        // captured for the caller, so dropping it here loses nothing.
        let _ = match stream {
            Stream::Stdout => std::io::stdout().lock().write_all(&text),
            Stream::Stderr => std::io::stderr().lock().write_all(&text),
        };
    }

    fn log(&self, mixin: &str, level: LogLevel, message: &str) {
        if level >= self.min_level {
            let message = strip_control_sequences(message);
            let _ = writeln!(std::io::stderr().lock(), "{mixin}: {message}");
        }
    }
}

/// Keeps everything in memory; for tests and for callers that decide later
/// what to show.
#[derive(Debug, Default, Clone)]
pub struct MemorySink {
    inner: Arc<Mutex<MemorySinkData>>,
}

/// What a [`MemorySink`] received.
#[derive(Debug, Default, Clone)]
pub struct MemorySinkData {
    /// Everything written to stdout, in order.
    pub stdout: Vec<u8>,
    /// Everything written to stderr, in order.
    pub stderr: Vec<u8>,
    /// Every log line with its level.
    pub logs: Vec<(LogLevel, String)>,
}

impl MemorySink {
    /// A copy of what was received so far.
    pub fn snapshot(&self) -> MemorySinkData {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MemorySinkData> {
        // A panic while holding the lock cannot leave the buffers invalid.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl OutputSink for MemorySink {
    fn output(&self, _mixin: &str, stream: Stream, bytes: &[u8]) {
        let mut data = self.lock();
        match stream {
            Stream::Stdout => data.stdout.extend_from_slice(bytes),
            Stream::Stderr => data.stderr.extend_from_slice(bytes),
        }
    }

    fn log(&self, _mixin: &str, level: LogLevel, message: &str) {
        self.lock().logs.push((level, message.to_string()));
    }
}
