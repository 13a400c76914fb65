//! Keeping secrets out of the installer's log.
//!
//! Commands print whatever they like, so every byte the runtime streams
//! (command output, mixin logs, its own messages, error text) goes through
//! [`MaskingSink`], which replaces each sensitive value with [`MASK`].
//! Output arrives in chunks that are not line-aligned, so a secret can be
//! split across two chunks; the sink holds back a chunk's tail while it is
//! the beginning of a secret, and releases it when the next chunk shows it
//! is not one, or when the step ends ([`MaskingSink::flush`]). Only such a
//! partial match is ever held, so ordinary output streams without delay.

use std::sync::{Arc, Mutex, PoisonError, RwLock};

use crate::mixin::{LogLevel, OutputSink, Stream};

/// What a secret is replaced with, as Porter prints it.
pub const MASK: &str = "*******";

/// The set of sensitive values. Cheap to clone; clones share the set, so a
/// secret learned during the run (a sensitive step output) is masked from
/// then on everywhere.
#[derive(Debug, Clone, Default)]
pub struct Masker {
    secrets: Arc<RwLock<Secrets>>,
}

#[derive(Debug, Default)]
struct Secrets {
    /// Longest first, so the longest match wins.
    values: Vec<Vec<u8>>,
    /// Whether some secret starts with this byte: a fast reject.
    first: Vec<bool>,
}

impl Masker {
    /// Adds a sensitive value. Empty values are ignored (they would match
    /// everywhere); a trailing newline is dropped, since files and command
    /// output usually add one the secret does not have.
    pub fn add(&self, value: &str) {
        let value = value.trim_end_matches(['\n', '\r']);
        if value.is_empty() {
            return;
        }
        let mut secrets = self.secrets.write().unwrap_or_else(PoisonError::into_inner);
        if secrets.values.iter().any(|v| v == value.as_bytes()) {
            return;
        }
        secrets.values.push(value.as_bytes().to_vec());
        secrets.values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        if secrets.first.is_empty() {
            secrets.first = vec![false; 256];
        }
        secrets.first[usize::from(value.as_bytes()[0])] = true;
    }

    /// How many distinct secrets are known.
    pub fn len(&self) -> usize {
        self.read().values.len()
    }

    /// Whether no secret is known.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `text` with every secret replaced.
    pub fn mask_str(&self, text: &str) -> String {
        let (masked, _) = self.read().mask(text.as_bytes(), true);
        String::from_utf8_lossy(&masked).into_owned()
    }

    /// `bytes` with every secret replaced.
    pub fn mask_bytes(&self, bytes: &[u8]) -> Vec<u8> {
        self.read().mask(bytes, true).0
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Secrets> {
        self.secrets.read().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Secrets {
    /// Masks `buf`. Unless `last`, a tail that is the beginning of a secret
    /// is not emitted but returned, to be prefixed to the next chunk.
    fn mask(&self, buf: &[u8], last: bool) -> (Vec<u8>, Vec<u8>) {
        if self.values.is_empty() {
            return (buf.to_vec(), Vec::new());
        }
        let mut out = Vec::with_capacity(buf.len());
        let mut i = 0;
        while i < buf.len() {
            if !self.first[usize::from(buf[i])] {
                out.push(buf[i]);
                i += 1;
                continue;
            }
            let rest = &buf[i..];
            let could_grow = self
                .values
                .iter()
                .any(|v| v.len() > rest.len() && v.starts_with(rest));
            if could_grow && !last {
                return (out, rest.to_vec());
            }
            match self.values.iter().find(|v| rest.starts_with(v)) {
                Some(secret) => {
                    out.extend_from_slice(MASK.as_bytes());
                    i += secret.len();
                }
                None => {
                    out.push(buf[i]);
                    i += 1;
                }
            }
        }
        (out, Vec::new())
    }
}

/// A tail held back from one stream.
struct Pending {
    mixin: String,
    stream: Stream,
    tail: Vec<u8>,
}

/// An [`OutputSink`] that masks secrets before passing output on.
pub struct MaskingSink {
    inner: Arc<dyn OutputSink>,
    masker: Masker,
    /// Held-back tails, per mixin and stream (there are only a few).
    pending: Mutex<Vec<Pending>>,
}

impl MaskingSink {
    /// Masks what goes to `inner` with the secrets of `masker`.
    pub fn new(inner: Arc<dyn OutputSink>, masker: Masker) -> Self {
        Self {
            inner,
            masker,
            pending: Mutex::new(Vec::new()),
        }
    }

    /// The secrets this sink masks.
    pub fn masker(&self) -> &Masker {
        &self.masker
    }

    /// Releases every held-back tail: the streams they came from have
    /// ended, so none of them can still become a secret. Call after each
    /// step.
    pub fn flush(&self) {
        let held =
            std::mem::take(&mut *self.pending.lock().unwrap_or_else(PoisonError::into_inner));
        for Pending {
            mixin,
            stream,
            tail,
        } in held
        {
            let masked = self.masker.mask_bytes(&tail);
            self.inner.output(&mixin, stream, &masked);
        }
    }

    /// Prints a line of the runtime's own on stdout, masked.
    pub fn say(&self, line: &str) {
        self.flush();
        let mut text = self.masker.mask_str(line);
        text.push('\n');
        self.inner.output("wharf", Stream::Stdout, text.as_bytes());
    }
}

impl OutputSink for MaskingSink {
    fn output(&self, mixin: &str, stream: Stream, bytes: &[u8]) {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        let mut buf = match pending
            .iter()
            .position(|p| p.mixin == mixin && p.stream == stream)
        {
            Some(i) => pending.swap_remove(i).tail,
            None => Vec::new(),
        };
        buf.extend_from_slice(bytes);
        let (masked, tail) = self.masker.read().mask(&buf, false);
        if !tail.is_empty() {
            pending.push(Pending {
                mixin: mixin.to_string(),
                stream,
                tail,
            });
        }
        if !masked.is_empty() {
            self.inner.output(mixin, stream, &masked);
        }
    }

    fn log(&self, mixin: &str, level: LogLevel, message: &str) {
        self.inner.log(mixin, level, &self.masker.mask_str(message));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mixin::MemorySink;

    fn sink(secrets: &[&str]) -> (MaskingSink, MemorySink) {
        let memory = MemorySink::default();
        let masker = Masker::default();
        for s in secrets {
            masker.add(s);
        }
        (MaskingSink::new(Arc::new(memory.clone()), masker), memory)
    }

    fn stdout(memory: &MemorySink) -> String {
        String::from_utf8(memory.snapshot().stdout).unwrap()
    }

    #[test]
    fn whole_secrets_are_masked() {
        let (sink, memory) = sink(&["hunter2", "s3cr3t\n"]);
        sink.output("exec", Stream::Stdout, b"pw=hunter2 and s3cr3t!\n");
        sink.flush();
        assert_eq!(stdout(&memory), "pw=******* and *******!\n");
    }

    #[test]
    fn secrets_split_across_chunks_are_masked() {
        let (sink, memory) = sink(&["hunter2"]);
        for chunk in ["pw=hu", "nt", "er2 h", "unt", "ed\n", "end hunt"] {
            sink.output("exec", Stream::Stdout, chunk.as_bytes());
        }
        // Only the possible start of a secret is held back.
        assert_eq!(stdout(&memory), "pw=******* hunted\nend ");
        sink.flush();
        assert_eq!(stdout(&memory), "pw=******* hunted\nend hunt");
    }

    #[test]
    fn byte_by_byte_output_is_masked() {
        let (sink, memory) = sink(&["abcabd", "abc"]);
        for b in b"xabcabdyabcabcab" {
            sink.output("exec", Stream::Stderr, &[*b]);
        }
        sink.flush();
        let err = String::from_utf8(memory.snapshot().stderr).unwrap();
        assert_eq!(err, "x*******y**************ab");
    }

    #[test]
    fn streams_are_buffered_apart_and_logs_are_masked() {
        let (sink, memory) = sink(&["topsecret"]);
        sink.output("exec", Stream::Stdout, b"top");
        sink.output("exec", Stream::Stderr, b"secret\n");
        sink.output("exec", Stream::Stdout, b"secret\n");
        sink.log("exec", LogLevel::Info, "the topsecret value");
        sink.flush();
        let data = memory.snapshot();
        assert_eq!(String::from_utf8(data.stdout).unwrap(), "*******\n");
        assert_eq!(String::from_utf8(data.stderr).unwrap(), "secret\n");
        assert_eq!(data.logs[0].1, "the ******* value");
    }

    #[test]
    fn secrets_learned_later_are_masked_from_then_on() {
        let (sink, memory) = sink(&[]);
        sink.say("token: abc123");
        sink.masker().add("abc123");
        sink.say("token: abc123");
        assert_eq!(stdout(&memory), "token: abc123\ntoken: *******\n");
        assert_eq!(sink.masker().mask_str("x abc123"), "x *******");
        sink.masker().add("");
        assert_eq!(sink.masker().len(), 1);
    }
}
