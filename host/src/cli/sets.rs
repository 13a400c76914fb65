//! `wharf parameters|credentials create|apply|list|show|delete|generate`:
//! Porter v1's set commands, over the library's [`SetStore`].
//!
//! Both groups are this one module, told apart by [`SetKind`], because the
//! two kinds of set differ only in their names (see `wharf::sets`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use clap::Subcommand;
use wharf::fs_atomic::{AtomicWriteError, WriteOptions, write_atomically_with};
use wharf::home::WharfHome;
use wharf::sets::{
    NamespaceFilter, SetDocument, SetKind, SetStore, Source, SourceKind, load_set, qualified_name,
};
use wharf::time::Timestamp;

use super::output::{OutputFormat, outln, print_structured, print_table, write_stdout};

#[path = "sets_generate.rs"]
mod generate;

#[derive(Debug, Subcommand)]
pub enum SetsCommand {
    /// Write a blank set to FILE (or print it), to edit and then `apply`.
    Create {
        /// The file to write; its extension (.yaml, .yml, .json) picks the
        /// format. Without it, the template is printed.
        file: Option<PathBuf>,
        /// The file's format, when its extension does not say.
        #[arg(short, long, value_enum)]
        output: Option<FileFormat>,
    },
    /// Store the set in FILE (YAML or JSON), replacing one of the same name.
    Apply {
        /// The set file.
        file: PathBuf,
        /// Store it in this namespace instead of the one in the file.
        #[arg(short, long)]
        namespace: Option<String>,
    },
    /// List the stored sets.
    #[command(alias = "ls")]
    List {
        /// The namespace to list; the global namespace by default.
        #[arg(short, long, conflicts_with = "all_namespaces")]
        namespace: Option<String>,
        /// List the sets of every namespace.
        #[arg(long)]
        all_namespaces: bool,
        /// Output format.
        #[arg(short, long, value_enum, default_value_t)]
        output: OutputFormat,
    },
    /// Show a stored set and where each of its entries gets its value.
    Show {
        /// The set's name.
        name: String,
        /// The set's namespace; the global namespace by default.
        #[arg(short, long, default_value = "", hide_default_value = true)]
        namespace: String,
        /// Output format.
        #[arg(short, long, value_enum, default_value_t)]
        output: OutputFormat,
    },
    /// Delete a stored set.
    #[command(alias = "rm")]
    Delete {
        /// The set's name.
        name: String,
        /// The set's namespace; the global namespace by default.
        #[arg(short, long, default_value = "", hide_default_value = true)]
        namespace: String,
    },
    /// Make and store a set for a bundle (asking for each source on a terminal).
    ///
    /// The set has one entry per parameter or credential the bundle asks
    /// for. Without a terminal, each reads the environment variable named
    /// after it (`db-password` reads `DB_PASSWORD`).
    Generate(generate::GenerateArgs),
}

/// The format of a set file `create` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FileFormat {
    /// YAML, with comments explaining each field.
    #[value(alias = "yml")]
    Yaml,
    /// JSON.
    Json,
}

pub async fn run(kind: SetKind, command: SetsCommand) -> Result<ExitCode> {
    match command {
        SetsCommand::Create { file, output } => create(kind, file.as_deref(), output)?,
        SetsCommand::Apply { file, namespace } => apply(&open()?, kind, &file, namespace)?,
        SetsCommand::List {
            namespace,
            all_namespaces,
            output,
        } => {
            let filter = if all_namespaces {
                NamespaceFilter::All
            } else {
                NamespaceFilter::Only(namespace.unwrap_or_default())
            };
            list(&open()?, kind, &filter, output)?
        }
        SetsCommand::Show {
            name,
            namespace,
            output,
        } => show(&open()?, kind, &namespace, &name, output)?,
        SetsCommand::Delete { name, namespace } => {
            open()?.delete(kind, &namespace, &name)?;
            outln!(
                "Deleted {} {}",
                kind.set_noun(),
                qualified_name(&namespace, &name)
            )?;
        }
        SetsCommand::Generate(args) => generate::run(&open()?, kind, args).await?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The sets of the current `WHARF_HOME`.
fn open() -> Result<SetStore> {
    Ok(SetStore::new(&WharfHome::from_env()?))
}

/// `create`: the template goes to a new file, never over an existing one
/// (it would throw away a set being edited), or to stdout without a file,
/// as Porter does.
fn create(kind: SetKind, file: Option<&Path>, format: Option<FileFormat>) -> Result<()> {
    let Some(file) = file else {
        return write_stdout(template_text(kind, format.unwrap_or(FileFormat::Yaml)));
    };
    let format = match format {
        Some(format) => format,
        None => format_of(file)?,
    };
    let template = template_text(kind, format);
    write_atomically_with(file, template.as_bytes(), WriteOptions::new().no_clobber()).map_err(
        |e| match e {
            AtomicWriteError::AlreadyExists { .. } => anyhow!(
                "{} already exists; choose another file name, or delete it first",
                file.display()
            ),
            e => anyhow!(e).context(format!("cannot create {}", file.display())),
        },
    )?;
    outln!(
        "Created {}: edit it, then store it with `wharf {} apply {}`",
        file.display(),
        kind.command(),
        file.display()
    )?;
    Ok(())
}

/// The format a file's extension names.
fn format_of(file: &Path) -> Result<FileFormat> {
    let extension = file
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("json") => Ok(FileFormat::Json),
        Some("yaml" | "yml") => Ok(FileFormat::Yaml),
        _ => bail!(
            "cannot tell the format of {} from its extension; name it .yaml or .json, or \
             choose with --output yaml|json",
            file.display()
        ),
    }
}

/// A set to start from: one entry per source kind, so the template shows
/// every way of giving a value. It is a valid set as it is.
fn template(kind: SetKind) -> SetDocument {
    let noun = kind.noun();
    let mut set = SetDocument::new(kind, "", "NAME");
    for source in SourceKind::ALL {
        let hint = match source {
            SourceKind::Value => format!("{noun}-value"),
            SourceKind::Env => format!("{}_ENV", noun.to_ascii_uppercase()),
            SourceKind::Path => format!("/path/to/{noun}-file.txt"),
            SourceKind::Command => format!("echo {noun}-from-command"),
            SourceKind::Secret => format!("{noun}-secret"),
        };
        set.set(format!("{noun}-{source}"), Source::new(source, hint));
    }
    set
}

/// What each source does, for the template's comments.
fn source_comment(source: SourceKind) -> &'static str {
    match source {
        SourceKind::Value => {
            "The value itself, stored in the set as written: never use it for secrets."
        }
        SourceKind::Env => "The value of this environment variable when the bundle runs.",
        SourceKind::Path => "The contents of this file ($VAR and ${VAR} are expanded).",
        SourceKind::Command => "The standard output of this command, run with sh -c.",
        SourceKind::Secret => "This key of the secret store; the set holds only the key.",
    }
}

/// The template as file text. YAML is written by hand, because comments
/// are what make a template useful; JSON cannot hold them.
fn template_text(kind: SetKind, format: FileFormat) -> String {
    let set = template(kind);
    if format == FileFormat::Json {
        // A `serde_json::Value` always serialises.
        let json = serde_json::to_string_pretty(&set.to_json()).unwrap_or_default();
        return json + "\n";
    }
    let noun = kind.noun();
    let mut out = format!(
        "# A {set_noun}: where each of a bundle's {noun}s gets its value.\n\
         # Edit it, then store it with `wharf {command} apply FILE`.\n\
         # The format is Porter's v1 {schema_type}.\n\
         schemaType: {schema_type}\n\
         schemaVersion: {version}\n\
         # The set's name: installations use it with --{noun}-set NAME.\n\
         name: {name}\n\
         # The namespace; leave it empty for the global namespace.\n\
         namespace: \"\"\n\
         # Optional labels, text only:\n\
         # labels:\n\
         #   team: red\n\
         # One entry per {noun} of the bundle, each with exactly one source:\n\
         # value, env, path, command or secret.\n\
         {entries}:\n",
        set_noun = kind.set_noun(),
        command = kind.command(),
        schema_type = kind.schema_type(),
        version = set.schema_version,
        name = set.name,
        entries = kind.entries_field(),
    );
    for entry in &set.entries {
        let source = entry.source.kind();
        out.push_str(&format!(
            "  - name: {}\n    source:\n      # {}\n      {}: {}\n",
            entry.name,
            source_comment(source),
            source,
            entry.source.hint()
        ));
    }
    out
}

/// `apply`: the file is checked in full (every problem at its line) before
/// anything is stored.
fn apply(store: &SetStore, kind: SetKind, file: &Path, namespace: Option<String>) -> Result<()> {
    let mut set = load_set(file, Some(kind))?;
    if let Some(namespace) = namespace {
        set.namespace = namespace;
    }
    let stored = store
        .apply(set)
        .with_context(|| format!("cannot apply {}", file.display()))?;
    outln!("Applied {} {}", kind.set_noun(), stored.qualified_name())?;
    Ok(())
}

fn list(
    store: &SetStore,
    kind: SetKind,
    filter: &NamespaceFilter,
    output: OutputFormat,
) -> Result<()> {
    let sets = store.list(kind, filter)?;
    let documents: Vec<serde_json::Value> = sets.iter().map(SetDocument::to_json).collect();
    if print_structured(output, &documents)? {
        return Ok(());
    }
    let now = Timestamp::now();
    let rows: Vec<Vec<String>> = sets
        .iter()
        .map(|set| {
            let modified = set.status.map(|s| ago(s.modified, now)).unwrap_or_default();
            vec![set.namespace.clone(), set.name.clone(), modified]
        })
        .collect();
    print_table(&["NAMESPACE", "NAME", "MODIFIED"], &rows)
}

fn show(
    store: &SetStore,
    kind: SetKind,
    namespace: &str,
    name: &str,
    output: OutputFormat,
) -> Result<()> {
    let set = store.get(kind, namespace, name)?;
    if print_structured(output, &set.to_json())? {
        return Ok(());
    }
    let now = Timestamp::now();
    let mut fields = vec![
        ("Name", set.name.clone()),
        ("Namespace", set.namespace.clone()),
    ];
    if let Some(status) = set.status {
        fields.push(("Created", dated(status.created, now)));
        fields.push(("Modified", dated(status.modified, now)));
    }
    if !set.labels.is_empty() {
        let labels: Vec<String> = set.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        fields.push(("Labels", labels.join(", ")));
    }
    for (field, value) in fields {
        outln!("{:<11}{value}", format!("{field}:"))?;
    }
    outln!()?;
    // A `secret` hint is the key, never the value: printing it is safe.
    let rows: Vec<Vec<String>> = set
        .entries
        .iter()
        .map(|e| {
            let source = e.source.kind().to_string();
            vec![e.name.clone(), source, e.source.hint().to_string()]
        })
        .collect();
    print_table(&["NAME", "SOURCE KIND", "HINT"], &rows)
}

/// A time with how long ago it was: `2024-05-01T10:20:30Z (5 minutes ago)`.
fn dated(time: Timestamp, now: Timestamp) -> String {
    format!("{time} ({})", ago(time, now))
}

/// How long before `now` `time` was, in the largest whole unit, as Porter's
/// tables show times.
fn ago(time: Timestamp, now: Timestamp) -> String {
    let seconds = now.unix_seconds() - time.unix_seconds();
    if seconds < 1 {
        return "now".to_string();
    }
    let (count, unit) = [(86_400, "day"), (3_600, "hour"), (60, "minute")]
        .into_iter()
        .find(|(size, _)| seconds >= *size)
        .map(|(size, unit)| (seconds / size, unit))
        .unwrap_or((seconds, "second"));
    let plural = if count == 1 { "" } else { "s" };
    format!("{count} {unit}{plural} ago")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_templates_are_valid_sets_in_both_formats() {
        for kind in SetKind::ALL {
            for format in [FileFormat::Yaml, FileFormat::Json] {
                let text = template_text(kind, format);
                let parsed = wharf::sets::parse_set(&text, Path::new("t"), Some(kind))
                    .unwrap_or_else(|e| panic!("{kind} {format:?}: {e}\n{text}"));
                assert_eq!(parsed, template(kind), "{text}");
            }
        }
    }

    #[test]
    fn ago_uses_the_largest_whole_unit() {
        let at = |s| Timestamp::from_unix(s, 0).unwrap();
        let now = at(1_000_000);
        assert_eq!(ago(now, now), "now");
        assert_eq!(ago(at(999_999), now), "1 second ago");
        assert_eq!(ago(at(1_000_000 - 150), now), "2 minutes ago");
        assert_eq!(ago(at(1_000_000 - 3_600), now), "1 hour ago");
        assert_eq!(ago(at(1_000_000 - 3 * 86_400), now), "3 days ago");
    }
}
