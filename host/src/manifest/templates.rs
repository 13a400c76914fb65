//! Porter's template syntax: variables only, in two spellings.
//!
//! Manifests with no `schemaVersion` or 1.0.0-alpha.1 write
//! `{{ bundle.parameters.name }}`; 1.0.0 and later write
//! `${ bundle.parameters.name }`. An extra brace (`{{{ x }}}`, `${{ x }}`)
//! is mustache's raw form and means the same here, since Wharf never
//! HTML-escapes. Dotted names reach into objects
//! (`bundle.parameters.config.name`).

use super::model::TemplateSyntax;

/// A piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Literal text.
    Text(&'a str),
    /// A variable reference, trimmed: `bundle.parameters.name`.
    Var(&'a str),
}

/// Splits `text` into literal text and variable references.
pub fn parse(text: &str, syntax: TemplateSyntax) -> Result<Vec<Piece<'_>>, String> {
    let (open, close) = match syntax {
        TemplateSyntax::Mustache => ("{{", "}}"),
        TemplateSyntax::Dollar => ("${", "}"),
    };
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(open) {
        if start > 0 {
            pieces.push(Piece::Text(&rest[..start]));
        }
        let after = &rest[start + open.len()..];
        let (raw, inner_start) = match after.strip_prefix('{') {
            Some(stripped) => (true, stripped),
            None => (false, after),
        };
        let closing = if raw {
            format!("}}{close}")
        } else {
            close.to_string()
        };
        let Some(end) = inner_start.find(&closing) else {
            return Err(format!(
                "`{open}` at `{}` is never closed with `{closing}`",
                excerpt(&rest[start..])
            ));
        };
        let expr = inner_start[..end].trim();
        let expr = expr.strip_prefix('&').map_or(expr, str::trim);
        match expr.chars().next() {
            None => {
                return Err(format!(
                    "`{}` is an empty template",
                    &rest[start..start + open.len() + end + closing.len()]
                ));
            }
            Some('!') => {}
            Some(c @ ('#' | '^' | '/' | '>' | '=')) => {
                return Err(format!(
                    "`{open}{c}...` is a mustache section or partial; Wharf templates hold variables only"
                ));
            }
            Some(_) => pieces.push(Piece::Var(expr)),
        }
        rest = &inner_start[end + closing.len()..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest));
    }
    Ok(pieces)
}

/// The variable references in `text`.
pub fn references(text: &str, syntax: TemplateSyntax) -> Result<Vec<&str>, String> {
    Ok(parse(text, syntax)?
        .into_iter()
        .filter_map(|p| match p {
            Piece::Var(v) => Some(v),
            Piece::Text(_) => None,
        })
        .collect())
}

/// Renders `text`, asking `lookup` for each variable's text. A variable
/// `lookup` does not know is an error that names it.
pub fn render(
    text: &str,
    syntax: TemplateSyntax,
    mut lookup: impl FnMut(&str) -> Option<String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    for piece in parse(text, syntax)? {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Var(v) => match lookup(v) {
                Some(value) => out.push_str(&value),
                None => return Err(format!("`{v}` has no value")),
            },
        }
    }
    Ok(out)
}

fn excerpt(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    match line.char_indices().nth(40) {
        Some((i, _)) => format!("{}...", &line[..i]),
        None => line.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TemplateSyntax::{Dollar, Mustache};

    #[test]
    fn both_spellings_and_raw_forms() {
        assert_eq!(
            references("a ${ bundle.name } b ${bundle.version}", Dollar).unwrap(),
            ["bundle.name", "bundle.version"]
        );
        assert_eq!(
            references("{{ bundle.parameters.x }}{{{ y }}}", Mustache).unwrap(),
            ["bundle.parameters.x", "y"]
        );
        assert_eq!(
            references("Config: ${{ bundle.parameters.config.name }}", Dollar).unwrap(),
            ["bundle.parameters.config.name"]
        );
        // The other syntax is plain text.
        assert!(
            references("{{ not.a.template }}", Dollar)
                .unwrap()
                .is_empty()
        );
        assert!(
            references("${ not.a.template }", Mustache)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn unclosed_and_sections_are_errors() {
        assert!(
            parse("${ bundle.name", Dollar)
                .unwrap_err()
                .contains("never closed")
        );
        assert!(
            parse("{{#items}}x{{/items}}", Mustache)
                .unwrap_err()
                .contains("variables only")
        );
        assert!(
            parse("${ }", Dollar)
                .unwrap_err()
                .contains("empty template")
        );
    }

    #[test]
    fn render_substitutes_and_names_missing_variables() {
        let out = render("hello ${ bundle.parameters.who }!", Dollar, |v| {
            (v == "bundle.parameters.who").then(|| "world".into())
        });
        assert_eq!(out.unwrap(), "hello world!");
        let err = render("${ bundle.parameters.nope }", Dollar, |_| None).unwrap_err();
        assert!(err.contains("bundle.parameters.nope"));
    }

    #[test]
    fn comments_are_dropped() {
        assert_eq!(render("a{{! note }}b", Mustache, |_| None).unwrap(), "ab");
    }
}
