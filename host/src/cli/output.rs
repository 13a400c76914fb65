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
use serde_json::ser::{Formatter as _, PrettyFormatter};

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

/// An indented JSON array written an item at a time, byte for byte what
/// [`print_json`] prints for the whole `Vec`, so a long list is never held
/// whole. Until [`JsonArray::finish`], the array is unfinished: a list
/// that stops on an error never reads as a complete, shorter one, and one
/// that fails before its first item has printed nothing at all.
pub struct JsonArray<W> {
    out: W,
    /// A pretty formatter as it stands at the start of an array's item,
    /// one level in; each item is written with a copy of it.
    at_item: PrettyFormatter<'static>,
    started: bool,
}

impl<W: Write> JsonArray<W> {
    pub fn new(out: W) -> Self {
        let mut at_item = PrettyFormatter::new();
        // Into an array and at its first value, writing nowhere.
        let _ = at_item.begin_array(&mut std::io::sink());
        let _ = at_item.begin_array_value(&mut std::io::sink(), true);
        Self {
            out,
            at_item,
            started: false,
        }
    }

    /// Writes the next item.
    pub fn push<T: Serialize>(&mut self, item: &T) -> std::io::Result<()> {
        let open = if self.started { ",\n  " } else { "[\n  " };
        self.out.write_all(open.as_bytes())?;
        self.started = true;
        let formatter = self.at_item.clone();
        item.serialize(&mut serde_json::Serializer::with_formatter(
            &mut self.out,
            formatter,
        ))?;
        Ok(())
    }

    /// Closes the array.
    pub fn finish(mut self) -> std::io::Result<()> {
        let close = if self.started { "\n]\n" } else { "[]\n" };
        self.out.write_all(close.as_bytes())
    }
}

/// Prints as one JSON array the items `produce` lends one at a time (see
/// [`JsonArray`]). A second thread writes a batch while `produce` reads
/// the next. Lent items are swapped into a batch's slots, and written
/// batches travel back, so `produce` reads each next item into the
/// buffers of one already written: a list of 100 000 is neither copied
/// nor allocated item by item. An error from `produce` leaves the array
/// unfinished and is returned; a closed stdout stops `produce`.
pub fn print_json_array<T, E>(
    produce: impl FnOnce(&mut dyn FnMut(&mut T) -> bool) -> Result<(), E>,
) -> Result<()>
where
    T: Serialize + Clone + Send,
    anyhow::Error: From<E>,
{
    const BATCH: usize = 256;
    /// What the writer is sent: `End` alone finishes the array.
    enum Message<T> {
        Items(Vec<T>),
        End,
    }
    let (to_writer, for_writer) = std::sync::mpsc::sync_channel::<Message<T>>(2);
    let (to_reader, written_batches) = std::sync::mpsc::channel::<Vec<T>>();
    std::thread::scope(|scope| {
        let writer = scope.spawn(move || {
            stream_stdout(|out| {
                let mut array = JsonArray::new(out);
                // The reader hanging up without `End` leaves it unfinished.
                for message in for_writer {
                    match message {
                        Message::Items(batch) => {
                            for item in &batch {
                                array.push(item)?;
                            }
                            let _ = to_reader.send(batch);
                        }
                        Message::End => return array.finish(),
                    }
                }
                Ok(())
            })
        });
        let mut batch: Vec<T> = Vec::with_capacity(BATCH);
        let mut filled = 0;
        let produced = produce(&mut |item| {
            match batch.get_mut(filled) {
                Some(slot) => std::mem::swap(slot, item),
                // Only the first few batches start empty.
                None => batch.push(item.clone()),
            }
            filled += 1;
            if filled < BATCH {
                return true;
            }
            filled = 0;
            let next = written_batches
                .try_recv()
                .unwrap_or_else(|_| Vec::with_capacity(BATCH));
            // A writer that stopped (stdout closed) stops the reading.
            to_writer
                .send(Message::Items(std::mem::replace(&mut batch, next)))
                .is_ok()
        });
        if produced.is_ok() {
            batch.truncate(filled);
            let _ = to_writer.send(Message::Items(batch));
            let _ = to_writer.send(Message::End);
        }
        drop(to_writer);
        let written = writer.join().map_err(|_| {
            anyhow::anyhow!("writing the list to standard output stopped unexpectedly")
        })?;
        written?;
        Ok(produced?)
    })
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
    let mut table = Table::new(header);
    for row in rows {
        table.row(row.iter().map(String::as_str));
    }
    table.print()
}

/// A table with aligned columns and a header. Its cells live in one
/// buffer, so a table of 100 000 rows costs its text, not an allocation
/// per cell.
pub struct Table<'h> {
    header: &'h [&'h str],
    /// Every cell's text, one after the other.
    text: String,
    /// Where each cell ends in `text`, `header.len()` to a row.
    ends: Vec<usize>,
    widths: Vec<usize>,
}

impl<'h> Table<'h> {
    pub fn new(header: &'h [&'h str]) -> Self {
        Self {
            header,
            text: String::new(),
            ends: Vec::new(),
            widths: header.iter().map(|h| display_width(h)).collect(),
        }
    }

    /// Adds a row; missing cells are empty, extra ones are left out.
    pub fn row<'c>(&mut self, cells: impl IntoIterator<Item = &'c str>) {
        let mut cells = cells.into_iter();
        for width in &mut self.widths {
            let cell = cells.next().unwrap_or_default();
            self.text.push_str(cell);
            self.ends.push(self.text.len());
            *width = (*width).max(display_width(cell));
        }
    }

    pub fn print(&self) -> Result<()> {
        stream_stdout(|out| self.write(out))
    }

    fn write<W: Write>(&self, out: &mut W) -> std::io::Result<()> {
        let mut line = String::new();
        let mut write_line = |out: &mut W, cells: &mut dyn Iterator<Item = &str>| {
            line.clear();
            for (i, (cell, width)) in cells.zip(&self.widths).enumerate() {
                if i > 0 {
                    line.push_str("   ");
                }
                line.push_str(cell);
                let pad = width.saturating_sub(display_width(cell));
                line.extend(std::iter::repeat_n(' ', pad));
            }
            line.truncate(line.trim_end().len());
            line.push('\n');
            out.write_all(line.as_bytes())
        };
        write_line(out, &mut self.header.iter().copied())?;
        let mut start = 0;
        for row in self.ends.chunks(self.widths.len().max(1)) {
            let mut cells = row.iter().map(|&end| {
                let cell = &self.text[start..end];
                start = end;
                cell
            });
            write_line(out, &mut cells)?;
        }
        Ok(())
    }
}

/// How many columns `text` takes: its characters, as the tables have
/// always counted them.
fn display_width(text: &str) -> usize {
    if text.is_ascii() {
        text.len()
    } else {
        text.chars().count()
    }
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
        let err = written(Table::new(&["NAME"]).write(&mut full)).unwrap_err();
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
    fn a_streamed_array_reads_as_the_whole_one_and_is_unfinished_until_closed() {
        let items = [
            serde_json::json!({"a": 1, "b": {"c": [1, 2]}}),
            serde_json::json!({"b": [2]}),
            serde_json::json!("text with \n and ] in it"),
        ];
        for count in 0..=items.len() {
            let (mut whole, mut streamed) = (Vec::new(), Vec::new());
            write_json(&mut whole, &items[..count]).unwrap();
            let mut array = JsonArray::new(&mut streamed);
            for item in &items[..count] {
                array.push(item).unwrap();
            }
            array.finish().unwrap();
            assert_eq!(
                String::from_utf8(streamed).unwrap(),
                String::from_utf8(whole).unwrap()
            );
        }

        let mut cut = Vec::new();
        JsonArray::new(&mut cut).push(&items[0]).unwrap();
        assert!(serde_json::from_slice::<serde_json::Value>(&cut).is_err());
        let mut nothing = Vec::new();
        let _unfinished = JsonArray::new(&mut nothing);
        assert!(nothing.is_empty(), "{nothing:?}");
    }

    #[test]
    fn tables_align_their_columns() {
        let mut text = Vec::new();
        let mut table = Table::new(&["NAME", "VALUE", "NOTE"]);
        table.row(["a", "1", ""]);
        table.row(["longer"]);
        table.row(["ü", "2", "x", "left out"]);
        table.write(&mut text).unwrap();
        assert_eq!(
            String::from_utf8(text).unwrap(),
            "NAME     VALUE   NOTE\na        1\nlonger\nü        2       x\n"
        );
    }
}
