//! The mixin's own stdout and stderr.
//!
//! They are forwarded to the sink as they arrive, under a byte budget shared
//! by both streams. Writing past the budget fails the write and marks the
//! call, so the host reports an output-limit trap rather than whatever the
//! mixin made of the failed write. The tail of stderr is kept to quote a
//! panic message. Log lines from the `log` import are charged to the same
//! budget (see [`GuestOutput::charge`]).

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};

use super::sink::{OutputSink, Stream};

/// How much of stderr is kept for panic messages.
const STDERR_TAIL: usize = 4096;

/// Shared accounting for one call's guest output.
#[derive(Debug, Default)]
pub(crate) struct GuestOutput {
    written: AtomicU64,
    exceeded: AtomicBool,
    stderr_tail: Mutex<Vec<u8>>,
}

impl GuestOutput {
    /// Takes `len` bytes out of a budget of `budget`; false (and the call
    /// marked as over its limit) once it is used up.
    pub(crate) fn charge(&self, len: u64, budget: u64) -> bool {
        let before = self.written.fetch_add(len, Ordering::SeqCst);
        if before.saturating_add(len) > budget {
            self.exceeded.store(true, Ordering::SeqCst);
            return false;
        }
        true
    }

    pub(crate) fn exceeded(&self) -> bool {
        self.exceeded.load(Ordering::SeqCst)
    }

    /// The last lines of stderr, trimmed, for a panic message.
    pub(crate) fn stderr_tail(&self) -> String {
        let tail = self.stderr_tail.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&tail).trim().to_string()
    }
}

/// One of the guest's two output streams.
#[derive(Clone)]
pub(crate) struct GuestStream {
    pub(crate) mixin: Arc<str>,
    pub(crate) stream: Stream,
    pub(crate) sink: Arc<dyn OutputSink>,
    pub(crate) budget: u64,
    pub(crate) shared: Arc<GuestOutput>,
}

impl GuestStream {
    fn accept(&self, buf: &[u8]) -> io::Result<usize> {
        if !self.shared.charge(buf.len() as u64, self.budget) {
            return Err(io::Error::other(format!(
                "the mixin's output limit of {} bytes is used up",
                self.budget
            )));
        }
        self.sink.output(&self.mixin, self.stream, buf);
        if self.stream == Stream::Stderr {
            let mut tail = self
                .shared
                .stderr_tail
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            tail.extend_from_slice(buf);
            let excess = tail.len().saturating_sub(STDERR_TAIL);
            tail.drain(..excess);
        }
        Ok(buf.len())
    }
}

impl IsTerminal for GuestStream {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for GuestStream {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl AsyncWrite for GuestStream {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(self.accept(buf))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
