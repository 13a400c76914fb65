//! The library's progress drawn with indicatif on stderr.
//!
//! Bars are drawn only when stderr is a terminal: a log file or a CI
//! console should not fill with redraws, so anywhere else a task draws
//! nothing (the command's own lines say what happened).

use std::io::IsTerminal as _;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};
use wharf::progress::{NoProgress, Progress, ProgressTask};

/// Progress bars and spinners on a terminal's stderr.
#[derive(Debug, Clone, Copy, Default)]
pub struct TerminalProgress;

impl TerminalProgress {
    /// The progress reporter for registry clients and Docker transfers.
    pub fn shared() -> Arc<dyn Progress> {
        Arc::new(Self)
    }
}

impl Progress for TerminalProgress {
    fn start(&self, label: &str, total: Option<u64>) -> Box<dyn ProgressTask> {
        if !std::io::stderr().is_terminal() {
            return Box::new(NoProgress);
        }
        Box::new(Bar(match total {
            Some(total) => byte_bar(label, total),
            None => spinner(label),
        }))
    }
}

/// A byte count against a known size: `pulling sha256:… [===>  ] 3 MiB/9 MiB`.
fn byte_bar(label: &str, total: u64) -> ProgressBar {
    let bar = ProgressBar::new(total);
    if let Ok(style) =
        ProgressStyle::with_template("{prefix} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(label.to_string());
    bar
}

/// A spinner with the latest status, for work without a known size.
fn spinner(label: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {prefix} {wide_msg}") {
        bar.set_style(style);
    }
    bar.set_prefix(label.to_string());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// One drawn task; cleared when finished or dropped.
struct Bar(ProgressBar);

impl ProgressTask for Bar {
    fn inc(&self, amount: u64) {
        self.0.inc(amount);
    }

    fn set_message(&self, message: &str) {
        // One line of plain text: an escape sequence or a newline in
        // Docker's status would break the redraw.
        self.0
            .set_message(wharf::text::strip_control_sequences(message).replace('\n', " "));
    }

    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        if !self.0.is_finished() {
            self.0.finish_and_clear();
        }
    }
}
