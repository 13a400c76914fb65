//! Text that is safe to store in a log or show to a person.
//!
//! Docker's build, push and pull progress and a bundle's output carry ANSI
//! colour codes and cursor movement, and a mixin is untrusted code that can
//! print any byte: an escape sequence can recolour, hide or rewrite what a
//! terminal shows, set its title, or write the clipboard (OSC 52). None of
//! that belongs in a run's log, in a file a pipe fills, or on a terminal
//! when it came from a sandboxed mixin. [`ControlStripper`] removes escape
//! sequences (CSI, OSC, DCS, SOS, PM, APC and the short `ESC x` ones, in
//! their 7-bit and UTF-8 C1 forms) and every other control character,
//! keeping newlines and tabs. A carriage return becomes a newline (a CRLF
//! pair one newline), so progress that redraws a line reads as the lines it
//! drew instead of running together.
//!
//! Output arrives in chunks that can cut a sequence in two, so the
//! stripper keeps its state between chunks.

/// The escape character that starts every 7-bit sequence.
const ESC: u8 = 0x1b;
/// BEL, which ends an OSC string as xterm allows.
const BEL: u8 = 0x07;
/// The first byte of a C1 control character encoded in UTF-8 (U+0080 to U+009F).
const C1_LEAD: u8 = 0xc2;

/// Removes control sequences from a stream of bytes, chunk by chunk.
#[derive(Debug, Default, Clone)]
pub struct ControlStripper {
    state: State,
    /// The last byte kept was a newline made from a carriage return, so a
    /// newline right after it is the second half of a CRLF.
    after_carriage_return: bool,
}

/// Where the stripper is in a sequence.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Ordinary text.
    #[default]
    Text,
    /// After ESC.
    Escape,
    /// After `ESC` and intermediate bytes, waiting for the final byte.
    EscapeIntermediate,
    /// Inside a CSI sequence (`ESC [` or U+009B), until its final byte.
    Csi,
    /// Inside an OSC, DCS, SOS, PM or APC string, until its terminator.
    ControlString,
    /// After ESC inside a control string: `\` ends it, anything else starts
    /// a new sequence.
    ControlStringEscape,
    /// After a 0xC2 byte: a C1 control character when the next byte is
    /// 0x80 to 0x9F, text otherwise.
    C1Lead { in_text: bool },
}

impl ControlStripper {
    /// A stripper at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends what `chunk` holds besides control sequences to `out`. A
    /// sequence cut off at the end of `chunk` is finished by the next one;
    /// valid UTF-8 in gives valid UTF-8 out.
    pub fn strip_into(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        for &byte in chunk {
            self.feed(byte, out);
        }
    }

    /// What `chunk` holds besides control sequences.
    pub fn strip(&mut self, chunk: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(chunk.len());
        self.strip_into(chunk, &mut out);
        out
    }

    fn feed(&mut self, byte: u8, out: &mut Vec<u8>) {
        self.state = match self.state {
            State::Text => return self.text(byte, out),
            State::Escape => match byte {
                b'[' => State::Csi,
                b']' | b'P' | b'X' | b'^' | b'_' => State::ControlString,
                0x20..=0x2f => State::EscapeIntermediate,
                // A final byte: a two-byte sequence such as `ESC c` or `ESC 7`.
                0x30..=0x7e => State::Text,
                ESC => State::Escape,
                _ => return self.abort_sequence(byte, out),
            },
            State::EscapeIntermediate => match byte {
                0x20..=0x2f => State::EscapeIntermediate,
                0x30..=0x7e => State::Text,
                _ => return self.abort_sequence(byte, out),
            },
            State::Csi => match byte {
                // Parameters and intermediates.
                0x20..=0x3f => State::Csi,
                0x40..=0x7e => State::Text,
                _ => return self.abort_sequence(byte, out),
            },
            State::ControlString => match byte {
                BEL => State::Text,
                ESC => State::ControlStringEscape,
                C1_LEAD => State::C1Lead { in_text: false },
                // An unterminated string would swallow the rest of the
                // output; ending it at a line's end loses one line at most.
                b'\n' => return self.abort_sequence(byte, out),
                _ => State::ControlString,
            },
            State::ControlStringEscape => match byte {
                b'\\' => State::Text,
                _ => {
                    self.state = State::Escape;
                    return self.feed(byte, out);
                }
            },
            State::C1Lead { in_text: false } => match byte {
                // U+009C, the C1 string terminator.
                0x9c => State::Text,
                b'\n' => return self.abort_sequence(byte, out),
                _ => State::ControlString,
            },
            State::C1Lead { in_text: true } => match byte {
                0x9b => State::Csi,
                0x90 | 0x98 | 0x9d..=0x9f => State::ControlString,
                // Any other C1 control character is dropped whole.
                0x80..=0x9f => State::Text,
                // U+00A0 to U+00BF: text.
                0xa0..=0xbf => {
                    self.keep(C1_LEAD, out);
                    self.keep(byte, out);
                    State::Text
                }
                // Not UTF-8: the lone 0xC2 goes, so no byte after it can
                // complete a C1 character in what is kept.
                _ => return self.abort_sequence(byte, out),
            },
        };
    }

    /// A byte of ordinary text.
    fn text(&mut self, byte: u8, out: &mut Vec<u8>) {
        match byte {
            ESC => self.state = State::Escape,
            C1_LEAD => self.state = State::C1Lead { in_text: true },
            b'\r' => {
                out.push(b'\n');
                self.after_carriage_return = true;
            }
            b'\n' if self.after_carriage_return => self.after_carriage_return = false,
            b'\n' | b'\t' => self.keep(byte, out),
            0x00..=0x1f | 0x7f => {}
            _ => self.keep(byte, out),
        }
    }

    /// A byte that cannot continue the sequence ends it, and is then read
    /// as text (so a newline is kept and another control is dropped).
    fn abort_sequence(&mut self, byte: u8, out: &mut Vec<u8>) {
        self.state = State::Text;
        self.text(byte, out);
    }

    fn keep(&mut self, byte: u8, out: &mut Vec<u8>) {
        self.after_carriage_return = false;
        out.push(byte);
    }
}

/// `text` without control sequences or control characters besides
/// newlines and tabs (see [`ControlStripper`]).
pub fn strip_control_sequences(text: &str) -> String {
    if !text.chars().any(needs_stripping) {
        return text.to_string();
    }
    let stripped = ControlStripper::new().strip(text.as_bytes());
    // Only whole ASCII bytes and whole C1 characters are dropped.
    String::from_utf8(stripped)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Whether `c` is something [`ControlStripper`] changes.
fn needs_stripping(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strip(text: &str) -> String {
        strip_control_sequences(text)
    }

    #[test]
    fn colours_and_cursor_movement_are_removed() {
        assert_eq!(
            strip("\x1b[1;31merror\x1b[0m: \x1b[2Kdone\x1b[?25h"),
            "error: done"
        );
        assert_eq!(strip("a\x1b[38;5;196mb\x1b[m"), "ab");
        assert_eq!(strip("\u{9b}31mred\u{9b}0m"), "red");
    }

    #[test]
    fn strings_are_removed_whatever_ends_them() {
        // A title (BEL), a hyperlink (ST) and a clipboard write.
        assert_eq!(strip("\x1b]0;title\x07text"), "text");
        assert_eq!(
            strip("\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\"),
            "link"
        );
        assert_eq!(strip("\x1b]52;c;c2VjcmV0\x07after"), "after");
        assert_eq!(strip("\x1bPq#0;2;0;0;0\x1b\\x"), "x");
        assert_eq!(strip("\u{9d}0;title\u{9c}text"), "text");
        // Unterminated: the rest of the line goes, the next line stays.
        assert_eq!(strip("\x1b]0;never ended\nnext line"), "\nnext line");
    }

    #[test]
    fn short_escapes_and_other_controls_are_removed() {
        assert_eq!(
            strip("\x1bcreset\x1b7saved\x1b(Bcharset"),
            "resetsavedcharset"
        );
        assert_eq!(
            strip("bell\x07 nul\0 del\x7f bs\x08 c1\u{85}"),
            "bell nul del bs c1"
        );
    }

    #[test]
    fn newlines_tabs_and_text_stay() {
        let text = "name\tvalue\nnäme\t値 🚢\n";
        assert_eq!(strip(text), text);
        // U+00C2 and other characters whose UTF-8 starts with 0xC2 are text.
        assert_eq!(strip("Â ¢ ©"), "Â ¢ ©");
    }

    #[test]
    fn carriage_returns_become_line_ends() {
        assert_eq!(strip("10%\r50%\r100%\n"), "10%\n50%\n100%\n");
        assert_eq!(strip("dos\r\nlines\r\n"), "dos\nlines\n");
        assert_eq!(strip("a\n\nb"), "a\n\nb");
    }

    #[test]
    fn a_sequence_cut_between_chunks_is_still_removed() {
        let whole = "one \x1b[1;32mgreen\x1b[0m \x1b]0;t\x1b\\two \u{9b}1mé\u{9b}0m\r\nend";
        let expected = strip(whole);
        assert_eq!(expected, "one green two é\nend");
        for cut in 0..=whole.len() {
            let mut stripper = ControlStripper::new();
            let mut out = stripper.strip(&whole.as_bytes()[..cut]);
            stripper.strip_into(&whole.as_bytes()[cut..], &mut out);
            assert_eq!(String::from_utf8(out).unwrap(), expected, "cut at {cut}");
        }
    }

    #[test]
    fn arbitrary_bytes_never_leave_a_control_character() {
        // Every byte pair, after every prefix state the stripper can be in.
        let prefixes: [&[u8]; 7] = [
            b"",
            b"\x1b",
            b"\x1b[",
            b"\x1b]",
            b"\xc2",
            b"\x1b(",
            b"\x1b]\xc2",
        ];
        for prefix in prefixes {
            for a in 0..=255u8 {
                for b in 0..=255u8 {
                    let out = ControlStripper::new().strip(&[prefix, &[a, b]].concat());
                    let text = String::from_utf8_lossy(&out);
                    assert!(
                        !text.chars().any(needs_stripping),
                        "{prefix:?} {a:#x} {b:#x} gave {text:?}"
                    );
                }
            }
        }
    }
}
