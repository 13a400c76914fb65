//! Output formats shared by every command that prints data, and the one
//! way to standard output.
//!
//! Every write to stdout goes through [`write_stdout`] (or [`outln!`]),
//! never `println!`: a reader that stops reading (`wharf list -o json |
//! head -1`) closes the pipe, `println!` then panics, and a plain write
//! fails with an error message nobody asked for. Here that write fails
//! with [`StdoutClosed`], which `main` turns into a quiet exit. Only
//! stdout's broken pipe counts: one from a socket or a child process is
//! still an error worth reporting.

use std::io::Write;

use anyhow::{Context, Result};
use serde::Serialize;

/// How a command prints its result (`-o`, `--output`), as in Porter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Human-readable text and tables.
    #[default]
    Plaintext,
    /// Indented JSON, for scripts.
    Json,
    /// YAML, for people and scripts.
    Yaml,
}

/// Standard output was closed before everything was written: the reader
/// is gone, so there is nobody to tell.
#[derive(Debug, thiserror::Error)]
#[error("standard output was closed")]
pub struct StdoutClosed;

/// The exit status after [`StdoutClosed`]: success, as ripgrep does. The
/// reader chose to stop (`| head -1`); that is not Wharf failing, and a
/// `set -o pipefail` script must not fail because it took one line.
pub const STDOUT_CLOSED_EXIT: u8 = 0;

/// Whether `err` is, or was caused by, [`StdoutClosed`].
pub fn is_stdout_closed(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| cause.is::<StdoutClosed>())
}

/// Writes `bytes` to stdout as they are, and flushes them.
pub fn write_stdout(bytes: impl AsRef<[u8]>) -> Result<()> {
    write_to(&mut std::io::stdout().lock(), bytes.as_ref())
}

/// Writes and flushes `bytes`; a broken pipe is [`StdoutClosed`].
fn write_to(out: &mut dyn Write, bytes: &[u8]) -> Result<()> {
    written(out.write_all(bytes).and_then(|()| out.flush()))
}

/// Lets `write` stream to stdout through a buffer, so a long list is
/// never formatted into one string first; a broken pipe is
/// [`StdoutClosed`].
fn stream_stdout(
    write: impl FnOnce(&mut std::io::BufWriter<std::io::StdoutLock<'static>>) -> std::io::Result<()>,
) -> Result<()> {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    written(write(&mut out).and_then(|()| out.flush()))
}

/// The outcome of a write to stdout, with a broken pipe as [`StdoutClosed`].
fn written(outcome: std::io::Result<()>) -> Result<()> {
    match outcome {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(StdoutClosed.into()),
        Err(e) => Err(e).context("cannot write to standard output"),
    }
}

/// `println!` through [`write_stdout`]: returns an error instead of
/// panicking when stdout is closed.
macro_rules! outln {
    () => {
        $crate::cli::output::write_stdout("\n")
    };
    ($($arg:tt)*) => {
        $crate::cli::output::write_stdout(format!("{}\n", format_args!($($arg)*)))
    };
}
pub(crate) use outln;

/// Prints `value` as indented JSON followed by a newline.
pub fn print_json<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    stream_stdout(|out| write_json(out, value))
}

/// Prints `items` as an indented JSON array as they arrive, in the same
/// form as [`print_json`] of a `Vec`. An `Err` item stops the array
/// unfinished, so no reader takes what was printed for the whole list, and
/// is returned.
pub fn print_json_array<T: Serialize>(items: impl Iterator<Item = Result<T>>) -> Result<()> {
    stream_stdout(|out| write_json_array(out, items))
}

fn write_json_array<W: Write, T: Serialize>(
    out: &mut W,
    items: impl Iterator<Item = Result<T>>,
) -> std::io::Result<()> {
    /// The items as a JSON sequence; serde has no fallible iterators.
    struct Items<I>(std::cell::RefCell<Option<I>>);
    impl<T: Serialize, I: Iterator<Item = Result<T>>> Serialize for Items<I> {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            use serde::ser::{Error as _, SerializeSeq as _};
            let failed = |e: anyhow::Error| S::Error::custom(format!("{e:#}"));
            let mut items = self.0.borrow_mut().take().into_iter().flatten();
            // An error before the first item prints nothing at all.
            let first = items.next().transpose().map_err(failed)?;
            let mut seq = serializer.serialize_seq(None)?;
            for item in first.into_iter().map(Ok).chain(items) {
                seq.serialize_element(&item.map_err(failed)?)?;
            }
            seq.end()
        }
    }
    write_json(out, &Items(std::cell::RefCell::new(Some(items))))
}

/// `value` as indented JSON and a newline, into `out`. A value that cannot
/// be JSON (never one of Wharf's) is an `InvalidData` error. Generic over
/// the writer: serde writes in small pieces, which must not each be a
/// dynamic call.
fn write_json<W: Write, T: Serialize + ?Sized>(out: &mut W, value: &T) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    out.write_all(b"\n")
}

/// Prints `value` as YAML.
pub fn print_yaml<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    let value = serde_json::to_value(value).context("cannot write the data as YAML")?;
    write_stdout(super::yaml::to_yaml(&value)?)
}

/// Prints rows as a table with aligned columns and a header.
pub fn print_table(header: &[&str], rows: &[Vec<String>]) -> Result<()> {
    stream_stdout(|out| write_table(out, header, rows))
}

fn write_table<W: Write>(
    out: &mut W,
    header: &[&str],
    rows: &[Vec<String>],
) -> std::io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut line = String::new();
    let mut write_line = |out: &mut W, cells: &mut dyn Iterator<Item = &str>| {
        line.clear();
        for (i, (cell, width)) in cells.zip(&widths).enumerate() {
            if i > 0 {
                line.push_str("   ");
            }
            line.push_str(cell);
            let pad = width.saturating_sub(cell.chars().count());
            line.extend(std::iter::repeat_n(' ', pad));
        }
        line.truncate(line.trim_end().len());
        line.push('\n');
        out.write_all(line.as_bytes())
    };
    write_line(out, &mut header.iter().copied())?;
    for row in rows {
        write_line(out, &mut row.iter().map(String::as_str))?;
    }
    Ok(())
}

/// Prints structured data as JSON or YAML; `false` for plaintext, which
/// each command formats itself.
pub fn print_structured<T: Serialize + ?Sized>(format: OutputFormat, value: &T) -> Result<bool> {
    match format {
        OutputFormat::Json => print_json(value).map(|_| true),
        OutputFormat::Yaml => print_yaml(value).map(|_| true),
        OutputFormat::Plaintext => Ok(false),
    }
}

/// Docker's and the build's progress lines, on stderr. A terminal gets
/// them as they are; a file or a pipe gets them without colour codes and
/// cursor movement, which only make a log unreadable.
pub fn progress_line(line: &str) {
    use std::io::IsTerminal as _;
    let mut stderr = std::io::stderr().lock();
    // Progress that cannot be shown is not worth failing the command for.
    let _ = if stderr.is_terminal() {
        stderr.write_all(line.as_bytes())
    } else {
        stderr.write_all(wharf::text::strip_control_sequences(line).as_bytes())
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that went away after `room` bytes.
    struct ClosedAfter {
        room: usize,
        kind: std::io::ErrorKind,
    }

    impl Write for ClosedAfter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.room == 0 {
                return Err(self.kind.into());
            }
            let n = buf.len().min(self.room);
            self.room -= n;
            Ok(n)
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_stdout_is_a_quiet_exit() {
        let mut text = Vec::new();
        write_json(
            &mut text,
            &serde_json::json!({"installations": vec!["a"; 100]}),
        )
        .unwrap();
        let mut closed = ClosedAfter {
            room: 10,
            kind: std::io::ErrorKind::BrokenPipe,
        };
        let err = write_to(&mut closed, &text).unwrap_err();
        assert!(is_stdout_closed(&err), "{err:#}");
        // Still recognised under the context a caller adds.
        assert!(is_stdout_closed(&err.context("printing the list")));
    }

    #[test]
    fn other_write_errors_and_other_broken_pipes_are_reported() {
        let mut full = ClosedAfter {
            room: 0,
            kind: std::io::ErrorKind::StorageFull,
        };
        let err = written(write_table(&mut full, &["NAME"], &[])).unwrap_err();
        assert!(!is_stdout_closed(&err));
        assert!(format!("{err:#}").contains("cannot write to standard output"));
        // A broken pipe to a registry or a child process is a real error.
        let elsewhere = anyhow::Error::from(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
            .context("cannot push to the registry");
        assert!(!is_stdout_closed(&elsewhere));
    }

    #[test]
    fn everything_is_written_when_the_reader_stays() {
        let mut open = ClosedAfter {
            room: usize::MAX,
            kind: std::io::ErrorKind::BrokenPipe,
        };
        write_to(&mut open, b"all of it\n").unwrap();
        assert_eq!(open.room, usize::MAX - 10);
    }

    #[test]
    fn a_streamed_array_reads_as_the_whole_one_and_an_error_leaves_it_unfinished() {
        let items = vec![serde_json::json!({"a": 1}), serde_json::json!({"b": [2]})];
        let (mut whole, mut streamed) = (Vec::new(), Vec::new());
        write_json(&mut whole, &items).unwrap();
        write_json_array(&mut streamed, items.iter().map(Ok)).unwrap();
        assert_eq!(
            String::from_utf8(streamed).unwrap(),
            String::from_utf8(whole).unwrap()
        );
        let mut empty = Vec::new();
        write_json_array(&mut empty, std::iter::empty::<Result<u8>>()).unwrap();
        assert_eq!(empty, b"[]\n");

        let mut cut = Vec::new();
        let failing = [Ok(1), Err(anyhow::anyhow!("the store failed")), Ok(3)];
        let err = write_json_array(&mut cut, failing.into_iter()).unwrap_err();
        assert!(err.to_string().contains("the store failed"), "{err}");
        assert!(serde_json::from_slice::<serde_json::Value>(&cut).is_err());

        let mut nothing = Vec::new();
        let failing = [Err(anyhow::anyhow!("the store never opened")), Ok(1)];
        write_json_array(&mut nothing, failing.into_iter()).unwrap_err();
        assert!(nothing.is_empty(), "{nothing:?}");
    }

    #[test]
    fn tables_align_their_columns() {
        let mut text = Vec::new();
        write_table(
            &mut text,
            &["NAME", "VALUE"],
            &[
                vec!["a".into(), "1".into()],
                vec!["longer".into(), String::new()],
            ],
        )
        .unwrap();
        assert_eq!(text, b"NAME     VALUE\na        1\nlonger\n");
    }
}
