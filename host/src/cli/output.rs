//! Output formats shared by every command that prints data.

use std::io::Write;

use anyhow::Result;
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

/// Prints `value` as indented JSON followed by a newline.
pub fn print_json<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

/// Prints rows as a table with aligned columns and a header.
pub fn print_table(header: &[&str], rows: &[Vec<String>]) -> Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = std::io::stdout().lock();
    let line = |cells: Vec<&str>| -> String {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        padded.join("   ").trim_end().to_string()
    };
    writeln!(out, "{}", line(header.to_vec()))?;
    for row in rows {
        writeln!(out, "{}", line(row.iter().map(String::as_str).collect()))?;
    }
    Ok(())
}

/// Prints `value` as YAML.
pub fn print_yaml<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    let value = serde_json::to_value(value)?;
    let mut out = String::new();
    yaml_block(&value, 0, &mut out);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    std::io::stdout().lock().write_all(out.as_bytes())?;
    Ok(())
}

/// Prints structured data as JSON or YAML; `None` for plaintext, which each
/// command formats itself.
pub fn print_structured<T: Serialize + ?Sized>(format: OutputFormat, value: &T) -> Result<bool> {
    match format {
        OutputFormat::Json => print_json(value).map(|_| true),
        OutputFormat::Yaml => print_yaml(value).map(|_| true),
        OutputFormat::Plaintext => Ok(false),
    }
}

/// A scalar as YAML: plain when that reads back as the same string,
/// double-quoted (JSON escaping is valid YAML) otherwise.
fn yaml_scalar(value: &serde_json::Value) -> String {
    use serde_json::Value;
    match value {
        Value::String(s) => {
            let plain = !s.is_empty()
                && !s.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@` ".contains(c))
                && !s.ends_with(' ')
                && !s.contains(": ")
                && !s.contains(" #")
                && !s.contains('\n')
                && s.parse::<f64>().is_err()
                && !matches!(
                    s.as_str(),
                    "true" | "false" | "null" | "~" | "yes" | "no" | "on" | "off"
                );
            if plain {
                s.clone()
            } else {
                serde_json::to_string(s).unwrap_or_default()
            }
        }
        other => other.to_string(),
    }
}

fn yaml_block(value: &serde_json::Value, indent: usize, out: &mut String) {
    use serde_json::Value;
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) if map.is_empty() => out.push_str("{}\n"),
        Value::Array(items) if items.is_empty() => out.push_str("[]\n"),
        Value::Object(map) => {
            for (key, v) in map {
                out.push_str(&format!(
                    "{pad}{}:",
                    yaml_scalar(&Value::String(key.clone()))
                ));
                yaml_value(v, indent, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                match item {
                    // `- key: value` with the map's other keys aligned under it.
                    Value::Object(map) if !map.is_empty() => {
                        let mut nested = String::new();
                        yaml_block(item, indent + 2, &mut nested);
                        out.push_str(&format!("{pad}- {}", &nested[indent + 2..]));
                    }
                    _ => {
                        out.push_str(&format!("{pad}-"));
                        yaml_value(item, indent, out);
                    }
                }
            }
        }
        scalar => out.push_str(&format!("{pad}{}\n", yaml_scalar(scalar))),
    }
}

fn yaml_value(value: &serde_json::Value, indent: usize, out: &mut String) {
    use serde_json::Value;
    match value {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            yaml_block(value, indent + 2, out);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            yaml_block(value, indent + 2, out);
        }
        Value::Object(_) => out.push_str(" {}\n"),
        Value::Array(_) => out.push_str(" []\n"),
        scalar => out.push_str(&format!(" {}\n", yaml_scalar(scalar))),
    }
}
