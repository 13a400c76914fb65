//! Rendering a step just before it runs.
//!
//! Porter renders a step's YAML text and parses the result, so a template
//! in an unquoted scalar takes the type of what it renders to. Wharf keeps
//! each scalar's source text and style instead and types per scalar:
//!
//! - a quoted (or block) scalar renders to a string, whatever it holds;
//! - a plain scalar that renders to text starting with `{` or `[` that is
//!   valid JSON becomes that structure (an object parameter passed whole);
//! - any other plain scalar is typed as YAML types it
//!   (`${ bundle.parameters.flag }` → `true`, a boolean).
//!
//! Map keys render too, and are always strings.

use serde_json::{Map, Value};

use crate::manifest::TemplateSyntax;
use crate::manifest::templates;
use crate::manifest::yaml::{Node, Style, Yaml, resolve_plain, resolved_json};

/// Renders a step body into the JSON the mixin gets. `lookup` gives a
/// variable's text or `None`; the error names the variable without value.
pub fn render_node(
    node: &Node,
    syntax: TemplateSyntax,
    lookup: &mut impl FnMut(&str) -> Option<String>,
) -> Result<Value, String> {
    match &node.value {
        Yaml::Scalar(text, Style::Quoted) => Ok(Value::String(render_text(text, syntax, lookup)?)),
        Yaml::Scalar(text, Style::Plain) => {
            let rendered = render_text(text, syntax, lookup)?;
            if rendered == *text {
                return Ok(resolved_json(resolve_plain(text), text));
            }
            Ok(type_rendered(&rendered))
        }
        Yaml::Seq(items) => items
            .iter()
            .map(|item| render_node(item, syntax, lookup))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        Yaml::Map(entries) => {
            let mut map = Map::new();
            for (key, value) in entries {
                let key = match &key.value {
                    Yaml::Scalar(text, _) => render_text(text, syntax, lookup)?,
                    _ => render_node(key, syntax, lookup)?.to_string(),
                };
                map.insert(key, render_node(value, syntax, lookup)?);
            }
            Ok(Value::Object(map))
        }
    }
}

/// The type a plain scalar gets from its rendered text.
fn type_rendered(rendered: &str) -> Value {
    let trimmed = rendered.trim();
    if (trimmed.starts_with('{') || trimmed.starts_with('['))
        && let Ok(structure) = serde_json::from_str::<Value>(trimmed)
    {
        return structure;
    }
    resolved_json(resolve_plain(rendered), rendered)
}

fn render_text(
    text: &str,
    syntax: TemplateSyntax,
    lookup: &mut impl FnMut(&str) -> Option<String>,
) -> Result<String, String> {
    templates::render(text, syntax, |v| lookup(v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(yaml: &str, syntax: TemplateSyntax) -> Result<Value, String> {
        let (node, _) = crate::manifest::yaml::parse(yaml).unwrap();
        let vars = json!({
            "flag": "true", "port": "8080", "name": "web", "obj": r#"{"a":[1,2]}"#,
            "list": "[1, \"x\"]", "version": "1.10", "text": "{not json",
        });
        render_node(&node.unwrap(), syntax, &mut |v| {
            vars.get(v).and_then(Value::as_str).map(str::to_string)
        })
    }

    #[test]
    fn plain_scalars_take_the_type_of_what_they_render_to() {
        let got = render(
            "a: ${ flag }\nb: ${ port }\nc: ${ name }\nd: ${ obj }\ne: ${ list }\nf: ${ version }\n\
             g: ${ text }\nh: x-${ flag }\ni: 7\nj: plain\n",
            TemplateSyntax::Dollar,
        )
        .unwrap();
        assert_eq!(
            got,
            json!({"a": true, "b": 8080, "c": "web", "d": {"a": [1, 2]}, "e": [1, "x"],
                   "f": 1.1, "g": "{not json", "h": "x-true", "i": 7, "j": "plain"})
        );
    }

    #[test]
    fn quoted_scalars_and_keys_stay_strings() {
        let got = render(
            "a: \"${ flag }\"\nb: '${ port }'\nc: |\n  ${ obj }\n${ name }: [x]\n",
            TemplateSyntax::Dollar,
        )
        .unwrap();
        assert_eq!(
            got,
            json!({"a": "true", "b": "8080", "c": "{\"a\":[1,2]}\n", "web": ["x"]})
        );
    }

    #[test]
    fn mustache_syntax_and_missing_variables() {
        let got = render(
            "a: \"{{ name }}\"\nb: ${ name }\n",
            TemplateSyntax::Mustache,
        )
        .unwrap();
        assert_eq!(got, json!({"a": "web", "b": "${ name }"}));
        let err = render("a: [1, \"${ nope }\"]\n", TemplateSyntax::Dollar).unwrap_err();
        assert!(err.contains("`nope`"), "{err}");
    }
}
