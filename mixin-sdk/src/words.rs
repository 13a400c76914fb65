//! Porter's splitting of arguments and flag values into words.
//!
//! Porter passes arguments to a program without a shell, but first splits
//! every argument and flag value on whitespace, keeping quoted runs together
//! and stripping the quotes around a word that begins with one. Bundles rely
//! on it: `flags: {c: "'echo hello world'"}` reaches bash as the single
//! script `echo hello world`, which is why exec lints an unquoted `bash -c`.
//! Suffix arguments are not split.
//!
//! The rules, as in Porter:
//! - spaces, tabs and newlines separate words, except inside quotes;
//! - a word that starts with `'` or `"` runs to the matching quote, which is
//!   dropped along with the opening one;
//! - a backslash stops the next character from counting as a quote or a
//!   separator, and is kept;
//! - an argument with an unmatched quote is passed on whole, unsplit;
//! - an empty argument disappears.
//!
//! One deliberate difference: a quote in the middle of a word
//! (`name="a b"`) groups the quoted run but keeps the word intact, where
//! Porter would cut off the word's first character.

/// Splits one argument into words.
pub fn split_words(input: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut rest = input;
    loop {
        rest = rest.trim_start_matches([' ', '\t', '\n']);
        if rest.is_empty() {
            return words;
        }
        match next_word(rest) {
            Some((word, remainder)) => {
                words.push(word.to_string());
                rest = remainder;
            }
            None => return vec![input.to_string()],
        }
    }
}

/// Splits every argument, keeping their order.
pub fn split_all<'a>(args: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    args.into_iter().flat_map(|a| split_words(a)).collect()
}

/// The first word of `input` (which starts with no whitespace) and what
/// follows it; `None` when a quote is never closed.
fn next_word(input: &str) -> Option<(&str, &str)> {
    let quoted_word = input.starts_with(['\'', '"']);
    let mut closing: Option<char> = None;
    let mut escaped = false;
    for (i, c) in input.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match (c, closing) {
            ('\\', _) => escaped = true,
            (c, Some(q)) if c == q => {
                closing = None;
                if quoted_word {
                    // The word is everything between the outer quotes.
                    return Some((&input[1..i], &input[i + 1..]));
                }
            }
            (_, Some(_)) => {}
            ('\'' | '"', None) => closing = Some(c),
            (' ' | '\t' | '\n', None) => return Some((&input[..i], &input[i + 1..])),
            _ => {}
        }
    }
    if closing.is_some() {
        None
    } else {
        Some((input, ""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &str) -> Vec<String> {
        split_words(s)
    }

    #[test]
    fn whitespace_separates_words() {
        assert_eq!(split("a b\tc\nd"), ["a", "b", "c", "d"]);
        assert_eq!(split("  lead  trail  "), ["lead", "trail"]);
    }

    #[test]
    fn quoted_words_stay_whole_and_lose_their_quotes() {
        assert_eq!(split("'echo hello world'"), ["echo hello world"]);
        assert_eq!(split(r#""a b" 'c d'"#), ["a b", "c d"]);
        assert_eq!(
            split(r#"'echo "{\"a\":[1,2]}"'"#),
            [r#"echo "{\"a\":[1,2]}""#]
        );
    }

    #[test]
    fn backslash_protects_and_is_kept() {
        assert_eq!(split(r"a\ b c"), [r"a\ b", "c"]);
        assert_eq!(split(r#""say \"hi\"""#), [r#"say \"hi\""#]);
    }

    #[test]
    fn unmatched_quote_keeps_the_argument_whole() {
        assert_eq!(split("it's here"), ["it's here"]);
    }

    #[test]
    fn empty_argument_disappears() {
        assert!(split("").is_empty());
        assert!(split("   ").is_empty());
    }

    #[test]
    fn quote_inside_a_word_groups_without_stripping() {
        assert_eq!(split(r#"name="a b" x"#), [r#"name="a b""#, "x"]);
    }
}
