//! The plaintext views of the installation records: tables and the `show`
//! pages. Sensitive values are masked here whatever the record holds, so a
//! caller that resolved one by mistake still cannot print it.

use std::fmt::Write as _;

use anyhow::Result;
use serde::Serialize;
use wharf::store::{
    InstallationDetails, InstallationLine, OutputRecord, RecordedValue, RunResult, RunSummary,
};
use wharf::time::Timestamp;

use crate::cli::output::{Table, outln, print_table, write_stdout};

/// What a sensitive value shows as.
const HIDDEN: &str = "********";

/// What a missing value shows as.
const NONE: &str = "-";

/// The widest a value gets in a table before it is cut short.
const MAX_CELL: usize = 60;

/// A run with its results and outputs, for `runs show`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RunDetails {
    #[serde(flatten)]
    pub summary: RunSummary,
    pub results: Vec<RunResult>,
    /// Sensitive ones unresolved.
    pub outputs: Vec<OutputRecord>,
}

/// The plaintext list's table, to which [`add_installation`] adds rows.
pub(super) fn installations_table() -> Table<'static> {
    Table::new(&[
        "NAMESPACE",
        "NAME",
        "BUNDLE",
        "VERSION",
        "LAST ACTION",
        "STATUS",
        "MODIFIED",
    ])
}

pub(super) fn add_installation(table: &mut Table<'_>, line: &InstallationLine) {
    table.row([
        line.namespace.as_str(),
        &line.name,
        &line.bundle_name,
        &line.bundle_version,
        line.action.as_deref().unwrap_or(NONE),
        line.status.map_or(NONE, |s| s.as_str()),
        line.modified.rfc3339_millis().as_str(),
    ]);
}

/// An installation as `show` prints it: its records, and the
/// installations of its dependencies.
#[derive(Debug, serde::Serialize)]
pub(super) struct ShownInstallation {
    #[serde(flatten)]
    pub details: InstallationDetails,
    pub dependencies: Vec<ShownDependency>,
}

/// A dependency of an installation.
#[derive(Debug, serde::Serialize)]
pub(super) struct ShownDependency {
    pub alias: String,
    pub name: String,
    pub namespace: String,
    /// Whether it belongs to a sharing group rather than to this parent.
    pub shared: bool,
}

/// The dependencies of `installation`, in the order its bundle requires
/// them.
pub(super) fn dependencies_of(installation: &wharf::store::Installation) -> Vec<ShownDependency> {
    let requirements = wharf::cnab::Bundle::from_slice(installation.bundle_json.as_bytes())
        .ok()
        .and_then(|b| wharf::dependencies::requirements_of(&b).ok())
        .unwrap_or_default();
    let mut found = wharf::dependencies::dependencies_of(installation);
    let position = |alias: &str| {
        requirements
            .iter()
            .position(|r| r.alias == alias)
            .unwrap_or(usize::MAX)
    };
    found.sort_by_key(|(alias, _)| position(alias));
    found
        .into_iter()
        .map(|(alias, key)| ShownDependency {
            shared: requirements
                .iter()
                .any(|r| r.alias == alias && r.sharing_group.is_some()),
            alias,
            name: key.name,
            namespace: key.namespace,
        })
        .collect()
}

pub(super) fn print_details(shown: &ShownInstallation) -> Result<()> {
    let details = &shown.details;
    let i = &details.installation;
    let mut page = Page::default();
    page.field("Name", &i.name);
    page.field("Namespace", namespace_label(&i.namespace));
    page.field("Created", i.created.to_rfc3339_millis());
    page.field("Modified", i.modified.to_rfc3339_millis());
    page.field("Revision", i.revision);
    page.heading("Bundle");
    page.field("  Reference", &i.bundle.reference);
    page.field("  Name", &i.bundle.name);
    page.field("  Version", &i.bundle.version);
    if !i.bundle.digest.is_empty() {
        page.field("  Digest", &i.bundle.digest);
    }
    page.heading("Status");
    page.field("  Last run", optional(i.status.run_id.as_deref()));
    page.field("  Last action", optional(i.status.action.as_deref()));
    page.field(
        "  Result",
        optional(i.status.result_status.map(|s| s.as_str())),
    );
    page.field(
        "  Installed",
        optional(i.status.installed.map(Timestamp::to_rfc3339_millis)),
    );
    page.field(
        "  Uninstalled",
        optional(i.status.uninstalled.map(Timestamp::to_rfc3339_millis)),
    );
    page.blank();
    page.sets(&i.parameter_sets, &i.credential_sets);
    let labels: Vec<String> = i.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    page.field("Labels", joined(&labels));
    page.print()?;
    let mut truncated = false;
    let outputs = output_rows(&details.outputs, &mut truncated);
    print_section("Outputs", &["NAME", "VALUE"], &outputs)?;
    note_abbreviated(truncated);
    let dependencies: Vec<Vec<String>> = shown
        .dependencies
        .iter()
        .map(|d| {
            let kind = if d.shared { "shared" } else { "own" };
            vec![d.alias.clone(), d.name.clone(), kind.to_string()]
        })
        .collect();
    if !dependencies.is_empty() {
        print_section(
            "Dependencies",
            &["ALIAS", "INSTALLATION", "KIND"],
            &dependencies,
        )?;
    }
    Ok(())
}

pub(super) fn print_runs(runs: &[RunSummary]) -> Result<()> {
    let rows: Vec<Vec<String>> = runs
        .iter()
        .map(|r| {
            vec![
                r.run.id.clone(),
                r.run.action.clone(),
                r.run.revision.to_string(),
                r.run.created.to_rfc3339_millis(),
                r.status.to_string(),
            ]
        })
        .collect();
    print_table(
        &["RUN ID", "ACTION", "REVISION", "STARTED", "STATUS"],
        &rows,
    )
}

pub(super) fn print_run(details: &RunDetails) -> Result<()> {
    let run = &details.summary.run;
    let mut page = Page::default();
    page.field("Run", &run.id);
    page.field("Installation", run.installation_key());
    page.field("Action", &run.action);
    page.field("Revision", run.revision);
    page.field(
        "Bundle",
        format!(
            "{} ({} {})",
            run.bundle.reference, run.bundle.name, run.bundle.version
        ),
    );
    page.field("Started", run.created.to_rfc3339_millis());
    page.field("Status", details.summary.status);
    page.sets(&run.parameter_sets, &run.credential_sets);
    page.print()?;
    let mut truncated = false;
    let parameters: Vec<Vec<String>> = run
        .parameters
        .iter()
        .map(|(name, value)| vec![name.clone(), parameter_cell(value, &mut truncated)])
        .collect();
    print_section("Parameters", &["NAME", "VALUE"], &parameters)?;
    let results: Vec<Vec<String>> = details
        .results
        .iter()
        .map(|r| {
            vec![
                r.status.to_string(),
                r.created.to_rfc3339_millis(),
                r.message.clone(),
            ]
        })
        .collect();
    print_section("Results", &["STATUS", "TIME", "MESSAGE"], &results)?;
    let outputs = output_rows(&details.outputs, &mut truncated);
    print_section("Outputs", &["NAME", "VALUE"], &outputs)?;
    note_abbreviated(truncated);
    Ok(())
}

/// The outputs table: NAME, VALUE, with sensitive values masked and long
/// or binary ones abbreviated (a note on stderr says so).
pub(super) fn print_outputs(outputs: &[OutputRecord]) -> Result<()> {
    let mut truncated = false;
    print_table(&["NAME", "VALUE"], &output_rows(outputs, &mut truncated))?;
    note_abbreviated(truncated);
    Ok(())
}

/// Prints `Title:` and a table under it, or `Title: none`.
fn print_section(title: &str, header: &[&str], rows: &[Vec<String>]) -> Result<()> {
    if rows.is_empty() {
        return outln!("\n{title}: none");
    }
    outln!("\n{title}:")?;
    print_table(header, rows)
}

/// Says, on stderr so stdout stays a table, that some cells were cut
/// short and where to see them whole.
fn note_abbreviated(truncated: bool) {
    if truncated {
        eprintln!(
            "Long and binary values are abbreviated; `-o json` shows them in full, and \
             `wharf installations outputs show NAME -i INSTALLATION` prints one exactly."
        );
    }
}

fn output_rows(outputs: &[OutputRecord], truncated: &mut bool) -> Vec<Vec<String>> {
    outputs
        .iter()
        .map(|o| vec![o.name.clone(), output_cell(o, truncated)])
        .collect()
}

/// An output as a table cell; sets `truncated` if it had to be shortened.
fn output_cell(output: &OutputRecord, truncated: &mut bool) -> String {
    match &output.value {
        _ if output.sensitive => HIDDEN.to_string(),
        None => String::new(),
        Some(value) => match std::str::from_utf8(value.as_bytes()) {
            Ok(text) => text_cell(text, truncated),
            Err(_) => {
                *truncated = true;
                format!("<{} bytes of binary data>", value.as_bytes().len())
            }
        },
    }
}

/// A recorded parameter as a table cell: strings as they are, other JSON
/// as JSON, sensitive ones masked.
fn parameter_cell(value: &RecordedValue, truncated: &mut bool) -> String {
    match value {
        RecordedValue::Secret(_) => HIDDEN.to_string(),
        RecordedValue::Value(serde_json::Value::String(text)) => text_cell(text, truncated),
        RecordedValue::Value(other) => text_cell(&other.to_string(), truncated),
    }
}

/// Text on one line of a table: control characters escaped (a newline
/// would break the row) and at most [`MAX_CELL`] characters.
fn text_cell(text: &str, truncated: &mut bool) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            escaped.extend(c.escape_default());
        } else {
            escaped.push(c);
        }
    }
    if escaped.chars().count() <= MAX_CELL {
        return escaped;
    }
    *truncated = true;
    let mut short: String = escaped.chars().take(MAX_CELL - 3).collect();
    short.push_str("...");
    short
}

/// The global namespace has no name; say so instead of printing nothing.
fn namespace_label(namespace: &str) -> &str {
    if namespace.is_empty() {
        "(global)"
    } else {
        namespace
    }
}

/// A value that may be missing, as `-` when it is.
fn optional(value: Option<impl std::fmt::Display>) -> String {
    value.map_or_else(|| NONE.to_string(), |v| v.to_string())
}

/// A list on one line, or `none`.
fn joined(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}

/// A `Label: value` page, with aligned values, printed in one piece.
#[derive(Default)]
struct Page {
    text: String,
}

impl Page {
    fn field(&mut self, label: &str, value: impl std::fmt::Display) {
        let label = format!("{label}:");
        let _ = writeln!(self.text, "{label:<17}{value}");
    }

    fn heading(&mut self, title: &str) {
        if !self.text.is_empty() {
            self.blank();
        }
        let _ = writeln!(self.text, "{title}:");
    }

    fn blank(&mut self) {
        self.text.push('\n');
    }

    fn sets(&mut self, parameter_sets: &[String], credential_sets: &[String]) {
        self.field("Parameter sets", joined(parameter_sets));
        self.field("Credential sets", joined(credential_sets));
    }

    fn print(&self) -> Result<()> {
        write_stdout(&self.text)
    }
}
