//! Progress of long transfers, reported by the library and drawn by its
//! caller.
//!
//! The library does not know whether anyone is watching: the `wharf` CLI
//! draws bars on a terminal (with indicatif, which only the CLI depends
//! on), while tests, scripts and other callers of the library want
//! nothing drawn. Code that moves bytes or waits on Docker takes a
//! [`Progress`] and reports through it; [`NoProgress`] discards it all.

/// Starts progress tasks.
pub trait Progress: Send + Sync {
    /// A task labelled `label` (such as `pulling sha256:0123abcd`); `total`
    /// is its size in bytes when known.
    fn start(&self, label: &str, total: Option<u64>) -> Box<dyn ProgressTask>;
}

/// One task in progress. Dropping it ends it as [`ProgressTask::finish`]
/// does.
pub trait ProgressTask: Send + Sync {
    /// `amount` more bytes are done.
    fn inc(&self, amount: u64);

    /// The latest status, for tasks without a size (Docker's
    /// `layer: Pushing 12/40 MB`).
    fn set_message(&self, message: &str);

    /// The task is over, done or not; whatever was drawn for it goes.
    fn finish(&self);
}

/// Reports nothing: for library callers and tests.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _label: &str, _total: Option<u64>) -> Box<dyn ProgressTask> {
        Box::new(NoProgress)
    }
}

impl ProgressTask for NoProgress {
    fn inc(&self, _amount: u64) {}

    fn set_message(&self, _message: &str) {}

    fn finish(&self) {}
}
