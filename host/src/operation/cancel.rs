//! Stopping a run early.
//!
//! A run waits on its container for as long as the bundle takes, and the
//! operator may give up first: Ctrl-C, or SIGTERM from a CI timeout.
//! [`execute`](super::execute()) races the driver against a [`Cancel`];
//! when it fires first, the run is recorded as canceled and its container
//! removed instead of being left behind. The signal is passed in, so the
//! CLI listens for the process's signals while a test fires its own
//! trigger.

use std::fmt;
use std::future::Future;

use crate::drivers::BoxFuture;

/// When to stop a run, and what to record as the reason.
pub struct Cancel {
    signal: BoxFuture<'static, ()>,
    reason: String,
}

impl Cancel {
    /// Cancels when `signal` resolves; `reason` becomes the run's message.
    pub fn when(
        signal: impl Future<Output = ()> + Send + 'static,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            signal: Box::pin(signal),
            reason: reason.into(),
        }
    }

    /// Never cancels: the run goes on until the driver returns.
    pub fn never() -> Self {
        Self::when(std::future::pending(), "")
    }

    /// Cancels on Ctrl-C or SIGTERM, which then no longer end the process:
    /// the caller reports the canceled run and exits.
    pub fn on_interrupt() -> Self {
        Self::when(interrupted(), "canceled by the operator (interrupt)")
    }

    /// The signal to wait on, and the reason to record when it fires.
    pub(super) fn into_parts(self) -> (BoxFuture<'static, ()>, String) {
        (self.signal, self.reason)
    }
}

impl fmt::Debug for Cancel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cancel")
            .field("reason", &self.reason)
            .finish_non_exhaustive()
    }
}

/// Resolves on Ctrl-C or SIGTERM. The handlers are installed when it is
/// first polled, that is when the run starts; a process that cannot
/// install them is never canceled this way.
async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut int), Ok(mut term)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
