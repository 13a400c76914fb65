//! Command-line definitions and dispatch. Each subcommand parses its flags,
//! calls the library, and prints; no logic of its own lives here.

use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

mod build;
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
    /// Create a new bundle: porter.yaml, a Dockerfile template and a script.
    Create(build::CreateArgs),
    /// Check porter.yaml and each mixin's steps.
    Lint(build::LintArgs),
    /// Build the invocation image and bundle.json.
    Build(build::BuildArgs),
    /// Print the porter.yaml JSON Schema with every installed mixin merged in.
    Schema(build::SchemaArgs),
    /// Show a bundle's parameters, credentials, outputs and actions.
    Explain(build::ExplainArgs),
}

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
    }
}
