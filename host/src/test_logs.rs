//! Capturing `tracing` events in unit tests, to check what diagnostics say
//! (and what they never say).
//!
//! tracing caches, per call site and for the whole process, whether any
//! subscriber listens. A subscriber set for one test's thread races with
//! other tests reaching the same call sites on their threads, which can
//! leave a stale "nobody listens" and an empty capture. So one global
//! subscriber is installed, once, and each event goes to a buffer of the
//! thread that emitted it: a test sees exactly its own events.

use std::cell::RefCell;
use std::io::Write;
use std::sync::Once;

thread_local! {
    static CAPTURED: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
}

/// Writes into the current thread's capture, if it has one.
struct ThreadCapture;

impl Write for ThreadCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        CAPTURED.with_borrow_mut(|captured| {
            if let Some(captured) = captured {
                captured.extend_from_slice(buf);
            }
        });
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Everything logged on this thread while `f` runs, at every level, as
/// text.
pub(crate) fn logged(f: impl FnOnce()) -> String {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(|| ThreadCapture)
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("only this module sets a global subscriber in unit tests");
        // Call sites registered before the subscriber existed.
        tracing::callsite::rebuild_interest_cache();
    });
    CAPTURED.set(Some(Vec::new()));
    f();
    let captured = CAPTURED.take().unwrap_or_default();
    String::from_utf8_lossy(&captured).into_owned()
}
