//! Command-line definitions and dispatch. Each subcommand parses its flags,
//! calls the library, and prints; no logic of its own lives here.

use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};
use wharf::sets::SetKind;

mod actions;
mod build;
mod bundle_source;
mod dependency_tree;
mod diagnostics;
mod distribution;
mod installations;
mod key_value;
mod mixins;
pub mod output;
mod progress;
mod secrets;
mod sets;
mod version;
mod yaml;

/// Wharf builds, publishes and runs Cloud Native Application Bundles whose
/// mixins are sandboxed WebAssembly components.
#[derive(Debug, Parser)]
#[command(
    name = "wharf",
    version,
    about,
    propagate_version = true,
    after_help = "Set WHARF_LOG=debug to see registry calls, credential lookups, cache \
                  decisions and mixin calls on stderr (filters as in RUST_LOG: \
                  WHARF_LOG=wharf::oci=debug; name a dependency to see its events too: \
                  WHARF_LOG=debug,oci_client=debug)."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the Wharf version.
    Version(version::VersionArgs),
    /// Manage mixins.
    #[command(subcommand, alias = "mixin")]
    Mixins(mixins::MixinsCommand),
    /// Create a new bundle: porter.yaml, a Dockerfile template and a script.
    Create(build::CreateArgs),
    /// Check porter.yaml and each mixin's steps.
    Lint(build::LintArgs),
    /// Build the invocation image and bundle.json.
    // Porter's `build --version` sets the bundle's version; `wharf
    // --version` still prints Wharf's.
    #[command(disable_version_flag = true)]
    Build(build::BuildArgs),
    /// Print the porter.yaml JSON Schema with every installed mixin merged in.
    Schema(build::SchemaArgs),
    /// Show a bundle's parameters, credentials, outputs and actions.
    Explain(build::ExplainArgs),
    /// Install a bundle as a new installation.
    Install(actions::InstallArgs),
    /// Upgrade an installation.
    Upgrade(actions::ActionArgs),
    /// Run a custom action of an installation.
    Invoke(actions::InvokeArgs),
    /// Uninstall an installation.
    Uninstall(actions::UninstallArgs),
    /// Publish a bundle (and its images) to an OCI registry.
    Publish(distribution::PublishArgs),
    /// Copy a published bundle to another repository or registry.
    Copy(distribution::CopyArgs),
    /// Write a published bundle, images included, to an airgap archive.
    Archive(distribution::ArchiveArgs),
    /// Show a bundle with its images and where they are.
    Inspect(distribution::InspectArgs),
    /// Manage parameter sets.
    #[command(subcommand, aliases = ["parameter", "param", "params"])]
    Parameters(sets::SetsCommand),
    /// Manage credential sets.
    #[command(subcommand, aliases = ["credential", "cred", "creds"])]
    Credentials(sets::SetsCommand),
    /// Inspect and delete installations, their runs, outputs and logs.
    #[command(subcommand, aliases = ["installation", "inst"])]
    Installations(installations::InstallationsCommand),
    /// List installations (`wharf installations list`).
    List(installations::ListArgs),
    /// Show an installation (`wharf installations show`).
    Show(installations::ShowArgs),
    /// Manage the named secrets that sets read with `secret: KEY`.
    #[command(subcommand, alias = "secret")]
    Secrets(secrets::SecretsCommand),
    /// Show the logs of a run.
    #[command(subcommand, alias = "log")]
    Logs(installations::LogsCommand),
}

pub use diagnostics::init as init_diagnostics;

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Version(args) => version::run(args),
        Command::Mixins(command) => mixins::run(command).await,
        Command::Create(args) => build::create(args),
        Command::Lint(args) => build::lint(args).await,
        Command::Build(args) => build::build(args).await,
        Command::Schema(args) => build::schema(args).await,
        Command::Explain(args) => build::explain(args).await,
        Command::Install(args) => actions::install(args).await,
        Command::Upgrade(args) => actions::upgrade(args).await,
        Command::Invoke(args) => actions::invoke(args).await,
        Command::Uninstall(args) => actions::uninstall(args).await,
        Command::Publish(args) => distribution::publish(args).await,
        Command::Copy(args) => distribution::copy(args).await,
        Command::Archive(args) => distribution::archive(args).await,
        Command::Inspect(args) => distribution::inspect(args).await,
        Command::Parameters(command) => sets::run(SetKind::Parameter, command).await,
        Command::Credentials(command) => sets::run(SetKind::Credential, command).await,
        Command::Installations(command) => installations::run(command).await,
        Command::List(args) => installations::list(args).await,
        Command::Show(args) => installations::show(args).await,
        Command::Secrets(command) => secrets::run(command),
        Command::Logs(command) => installations::logs(command).await,
    }
}
