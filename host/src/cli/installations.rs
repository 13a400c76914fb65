//! `wharf installations list|show|delete|runs|outputs|logs`, the top-level
//! `wharf list|show` and `wharf logs show`: reading and deleting the
//! installation records, with Porter v1's command names and flags.
//!
//! A sensitive output or parameter is never printed, in any format, except
//! by `outputs show`, which is an explicit request for one value (as in
//! Porter). Everything else asks the store not to resolve sensitive values
//! and the view masks them.

use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use clap::Subcommand;
use wharf::home::WharfHome;
use wharf::store::{InstallationKey, InstallationQuery, InstallationStore, OutputRecord};

use super::key_value::{KeyValue, key_optional_value};
use super::output::{OutputFormat, outln, print_json_array, print_structured, write_stdout};

#[path = "installations_view.rs"]
mod view;

#[derive(Debug, Subcommand)]
pub enum InstallationsCommand {
    /// List installations, in the global namespace unless told otherwise.
    List(ListArgs),
    /// Show an installation: its bundle, status, sets, labels and outputs.
    Show(ShowArgs),
    /// Delete an installation's records (after it has been uninstalled).
    Delete(DeleteArgs),
    /// Inspect the runs of an installation.
    #[command(subcommand, alias = "run")]
    Runs(RunsCommand),
    /// Inspect the outputs of an installation or a run.
    #[command(subcommand, alias = "output")]
    Outputs(OutputsCommand),
    /// Show the logs of a run.
    #[command(subcommand, alias = "log")]
    Logs(LogsCommand),
}

#[derive(Debug, Subcommand)]
pub enum RunsCommand {
    /// List the runs of an installation, newest first.
    List(RunsListArgs),
    /// Show a run with its parameters, results and outputs.
    Show(RunShowArgs),
}

#[derive(Debug, Subcommand)]
pub enum OutputsCommand {
    /// List the latest value of each output (sensitive ones masked).
    List(OutputsListArgs),
    /// Print one output's value exactly, resolving a sensitive one.
    Show(OutputShowArgs),
}

#[derive(Debug, Subcommand)]
pub enum LogsCommand {
    /// Show the logs of an installation's last run, or of one run.
    Show(LogsShowArgs),
}

/// `-n`: installations are named within a namespace, and most people only
/// use the global one (`""`), so it is the default, as in Porter.
#[derive(Debug, clap::Args)]
struct NamespaceArg {
    /// The installation's namespace (default: the global namespace).
    #[arg(short, long, default_value = "", hide_default_value = true)]
    namespace: String,
}

/// `-o`, shared by every command that prints records.
#[derive(Debug, clap::Args)]
struct FormatArg {
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    output: OutputFormat,
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Only this namespace (default: the global namespace).
    #[arg(short, long)]
    namespace: Option<String>,
    /// List the installations of every namespace.
    #[arg(long, conflicts_with = "namespace")]
    all_namespaces: bool,
    /// Only installations whose name contains this text.
    #[arg(long)]
    name: Option<String>,
    /// Only installations with this label, KEY=VALUE; a bare KEY means an
    /// empty value (repeatable).
    #[arg(short, long = "label", value_name = "KEY=VALUE", value_parser = key_optional_value)]
    labels: Vec<KeyValue>,
    /// Leave out this many installations from the start of the list.
    #[arg(long, default_value_t = 0, value_name = "COUNT")]
    skip: u64,
    /// List at most this many installations (0: all of them).
    #[arg(long, default_value_t = 0, value_name = "COUNT")]
    limit: u64,
    #[command(flatten)]
    format: FormatArg,
}

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The installation's name.
    name: String,
    #[command(flatten)]
    namespace: NamespaceArg,
    #[command(flatten)]
    format: FormatArg,
}

#[derive(Debug, clap::Args)]
pub struct DeleteArgs {
    /// The installation's name.
    name: String,
    #[command(flatten)]
    namespace: NamespaceArg,
    /// Delete the records even though the installation is still installed
    /// (what it created is left in place).
    #[arg(long)]
    force: bool,
}

#[derive(Debug, clap::Args)]
pub struct RunsListArgs {
    /// The installation's name.
    name: String,
    #[command(flatten)]
    namespace: NamespaceArg,
    #[command(flatten)]
    format: FormatArg,
}

#[derive(Debug, clap::Args)]
pub struct RunShowArgs {
    /// The run's id (`wharf installations runs list NAME` shows them).
    run_id: String,
    #[command(flatten)]
    format: FormatArg,
}

/// Whose records to read: an installation's latest (`-i`, as Porter spells
/// it) or one run's (`-r`).
#[derive(Debug, clap::Args)]
struct SourceArgs {
    /// The installation.
    #[arg(short, long, value_name = "NAME")]
    installation: Option<String>,
    /// One run, by id, instead of an installation's latest.
    #[arg(short, long, value_name = "RUN_ID", conflicts_with = "installation")]
    run: Option<String>,
    #[command(flatten)]
    namespace: NamespaceArg,
}

#[derive(Debug, clap::Args)]
pub struct OutputsListArgs {
    /// The installation's name (or use -i).
    #[arg(conflicts_with_all = ["installation", "run"])]
    name: Option<String>,
    #[command(flatten)]
    source: SourceArgs,
    #[command(flatten)]
    format: FormatArg,
}

#[derive(Debug, clap::Args)]
pub struct OutputShowArgs {
    /// The output's name.
    output: String,
    #[command(flatten)]
    source: SourceArgs,
}

#[derive(Debug, clap::Args)]
pub struct LogsShowArgs {
    #[command(flatten)]
    source: SourceArgs,
    #[command(flatten)]
    format: FormatArg,
}

/// Where records come from, once the flags are checked.
enum Source {
    Installation(InstallationKey),
    Run(String),
}

impl NamespaceArg {
    fn key(&self, name: impl Into<String>) -> InstallationKey {
        InstallationKey::new(&self.namespace, name)
    }
}

impl SourceArgs {
    /// The installation (`-i`, or the command's positional name) or run
    /// (`-r`) to read; one of them is required.
    fn resolve(self, positional: Option<String>) -> Result<Source> {
        match (self.installation.or(positional), self.run) {
            (_, Some(run)) => Ok(Source::Run(run)),
            (Some(name), None) => Ok(Source::Installation(self.namespace.key(name))),
            (None, None) => bail!(
                "name an installation with --installation NAME (-i), or a run with --run RUN_ID (-r)"
            ),
        }
    }
}

pub async fn run(command: InstallationsCommand) -> Result<ExitCode> {
    match command {
        InstallationsCommand::List(args) => list(args).await,
        InstallationsCommand::Show(args) => show(args).await,
        InstallationsCommand::Delete(args) => delete(args).await,
        InstallationsCommand::Runs(RunsCommand::List(args)) => list_runs(args).await,
        InstallationsCommand::Runs(RunsCommand::Show(args)) => show_run(args).await,
        InstallationsCommand::Outputs(OutputsCommand::List(args)) => list_outputs(args).await,
        InstallationsCommand::Outputs(OutputsCommand::Show(args)) => show_output(args).await,
        InstallationsCommand::Logs(command) => logs(command).await,
    }
}

/// Runs `f` on the store of `$WHARF_HOME` on a blocking thread: the store
/// is synchronous (SQLite) and may wait on another process's write lock.
async fn with_store<T, F>(f: F) -> Result<T>
where
    F: FnOnce(&dyn InstallationStore) -> Result<T> + Send + 'static,
    T: Send + 'static,
{
    let home = WharfHome::from_env()?;
    tokio::task::spawn_blocking(move || {
        let store = wharf::store::open(&home)?;
        f(&store)
    })
    .await
    .context("reading the installation records stopped unexpectedly")?
}

/// Prints `value` as JSON or YAML, or with `plaintext` otherwise.
fn print<T: serde::Serialize + ?Sized>(
    format: &FormatArg,
    value: &T,
    plaintext: impl FnOnce(&T) -> Result<()>,
) -> Result<ExitCode> {
    if !print_structured(format.output, value)? {
        plaintext(value)?;
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn list(args: ListArgs) -> Result<ExitCode> {
    let namespace = match (args.all_namespaces, args.namespace) {
        (true, _) => None,
        (false, namespace) => Some(namespace.unwrap_or_default()),
    };
    // The store filters and pages, so a list reads only what it prints.
    // A bare `--label KEY` wants an empty value, as in Porter.
    let query = InstallationQuery {
        namespace,
        name_contains: args.name,
        labels: args
            .labels
            .into_iter()
            .map(|KeyValue { key, value }| (key, value))
            .collect(),
        skip: args.skip,
        limit: (args.limit > 0).then_some(args.limit),
    };
    match args.format.output {
        // Plaintext reads only the columns it prints.
        OutputFormat::Plaintext => {
            with_store(move |store| {
                let mut table = view::installations_table();
                store.each_installation_line(&query, &mut |line| {
                    view::add_installation(&mut table, line);
                    true
                })?;
                table.print()
            })
            .await?
        }
        OutputFormat::Json => with_store(move |store| print_listed_json(store, &query)).await?,
        OutputFormat::Yaml => {
            let all = with_store(move |store| Ok(store.list_installations(&query)?)).await?;
            print_structured(OutputFormat::Yaml, &all)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `installations list -o json`, written while the store reads, so
/// 100 000 installations are never held at once. A store that fails leaves
/// the array unfinished (or, before the first, prints nothing), and its
/// error is the command's.
fn print_listed_json(store: &dyn InstallationStore, query: &InstallationQuery) -> Result<()> {
    print_json_array(|each| store.each_installation(query, each))
}

pub async fn show(args: ShowArgs) -> Result<ExitCode> {
    let key = args.namespace.key(args.name);
    let details = with_store(move |store| Ok(store.show_installation(&key)?)).await?;
    let shown = view::ShownInstallation {
        dependencies: view::dependencies_of(&details.installation),
        details,
    };
    print(&args.format, &shown, view::print_details)
}

async fn delete(args: DeleteArgs) -> Result<ExitCode> {
    let key = args.namespace.key(args.name);
    let force = args.force;
    let deleted = key.clone();
    with_store(move |store| {
        // Porter asks for an uninstall first: deleting the records of an
        // installation that is still installed forgets what it created.
        if !force && store.installation(&key)?.is_installed() {
            bail!(
                "installation {key} is still installed; uninstall it first with `wharf uninstall {}`, \
                 or pass --force to delete its records anyway (what it created stays in place)",
                cli_target(&key)
            );
        }
        Ok(store.delete_installation(&key)?)
    })
    .await?;
    outln!("deleted installation {deleted}")?;
    Ok(ExitCode::SUCCESS)
}

/// How a command line names `key`: `NAME`, or `NAME -n NAMESPACE`.
fn cli_target(key: &InstallationKey) -> String {
    if key.namespace.is_empty() {
        key.name.clone()
    } else {
        format!("{} -n {}", key.name, key.namespace)
    }
}

async fn list_runs(args: RunsListArgs) -> Result<ExitCode> {
    let key = args.namespace.key(args.name);
    let runs = with_store(move |store| Ok(store.list_runs(&key)?)).await?;
    print(&args.format, &runs, |r| view::print_runs(r))
}

async fn show_run(args: RunShowArgs) -> Result<ExitCode> {
    let id = args.run_id;
    let details = with_store(move |store| {
        Ok(view::RunDetails {
            summary: store.run(&id)?,
            results: store.run_results(&id)?,
            outputs: store.run_outputs(&id, false)?,
        })
    })
    .await?;
    print(&args.format, &details, view::print_run)
}

/// The outputs of `source`: an installation's latest, or one run's.
fn outputs_of(
    store: &dyn InstallationStore,
    source: &Source,
    resolve_sensitive: bool,
) -> Result<Vec<OutputRecord>> {
    Ok(match source {
        Source::Installation(key) => store.list_outputs(key, resolve_sensitive)?,
        Source::Run(id) => store.run_outputs(id, resolve_sensitive)?,
    })
}

async fn list_outputs(args: OutputsListArgs) -> Result<ExitCode> {
    let source = args.source.resolve(args.name)?;
    // Never resolved here: a listing is not a request for secret values.
    let outputs = with_store(move |store| outputs_of(store, &source, false)).await?;
    print(&args.format, &outputs, |o| view::print_outputs(o))
}

/// Prints one output's bytes exactly as recorded (no added newline), so
/// `wharf installations outputs show kubeconfig -i app > config` works.
/// The only command that resolves a sensitive output: it names one value
/// and asks for it, as Porter's `installation output show` does.
async fn show_output(args: OutputShowArgs) -> Result<ExitCode> {
    let source = args.source.resolve(None)?;
    let name = args.output;
    let output = with_store(move |store| match &source {
        Source::Installation(key) => Ok(store.output(key, &name, true)?),
        Source::Run(id) => {
            let outputs = outputs_of(store, &source, true)?;
            find_run_output(outputs, id, &name)
        }
    })
    .await?;
    let value = output
        .value
        .ok_or_else(|| anyhow!("output {} has no recorded value", output.name))?;
    write_stdout(value.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// The output `name` among a run's, or an error listing the ones it has.
fn find_run_output(outputs: Vec<OutputRecord>, run_id: &str, name: &str) -> Result<OutputRecord> {
    let names: Vec<String> = outputs.iter().map(|o| o.name.clone()).collect();
    outputs.into_iter().find(|o| o.name == name).ok_or_else(|| {
        let available = if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        };
        anyhow!("run {run_id} recorded no output {name:?}; its outputs are: {available}")
    })
}

pub async fn logs(command: LogsCommand) -> Result<ExitCode> {
    let LogsCommand::Show(args) = command;
    let source = args.source.resolve(None)?;
    let logs = with_store(move |store| {
        Ok(match &source {
            Source::Installation(key) => store.last_logs(key)?,
            Source::Run(id) => store.run_logs(id)?,
        })
    })
    .await?;
    print(&args.format, &logs, |l| {
        // The log text exactly as the run wrote it (already masked).
        write_stdout(l.logs.as_bytes())
    })
}
