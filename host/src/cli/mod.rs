//! Command-line definitions and dispatch. Each subcommand parses its flags,
//! calls the library, and prints; no logic of its own lives here.

use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

mod mixins;
mod output;
mod version;

/// Wharf builds, publishes and runs Cloud Native Application Bundles whose
/// mixins are sandboxed WebAssembly components.
#[derive(Debug, Parser)]
#[command(name = "wharf", version, about, propagate_version = true)]
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
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Version(args) => version::run(args),
        Command::Mixins(command) => mixins::run(command).await,
    }
}
