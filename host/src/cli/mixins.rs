//! `wharf mixins list|schema|install|uninstall`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;
use clap::Subcommand;
use wharf::home::WharfHome;
use wharf::mixin::{Catalog, HostConfig, MixinHost, TerminalSink};

use super::output::{OutputFormat, print_json, print_table};

#[derive(Debug, Subcommand)]
pub enum MixinsCommand {
    /// List the available mixins with their versions, sources and digests.
    List {
        /// Output format.
        #[arg(short, long, value_enum, default_value_t)]
        output: OutputFormat,
    },
    /// Print a mixin's JSON Schema (its config and step schema).
    Schema {
        /// The mixin's name.
        name: String,
        /// Output format (the schema is JSON either way).
        #[arg(short, long, value_enum, default_value_t)]
        output: OutputFormat,
    },
    /// Install a mixin from a component file.
    Install {
        /// The .wasm component to install.
        file: PathBuf,
    },
    /// Remove an installed mixin.
    Uninstall {
        /// The mixin's name.
        name: String,
    },
}

/// The host and catalog for the current `WHARF_HOME`.
pub fn open() -> Result<(MixinHost, Catalog)> {
    let home = WharfHome::from_env()?;
    let host = MixinHost::new(HostConfig {
        cache_dir: Some(home.compiled_cache_dir()),
        sink: Arc::new(TerminalSink::default()),
        ..HostConfig::default()
    })?;
    Ok((host, Catalog::new(home)))
}

pub async fn run(command: MixinsCommand) -> Result<ExitCode> {
    let (host, catalog) = open()?;
    match command {
        MixinsCommand::List { output } => {
            let records = catalog.list(&host).await?;
            match output {
                OutputFormat::Json => print_json(&records)?,
                OutputFormat::Yaml => super::output::print_yaml(&records)?,
                OutputFormat::Plaintext => {
                    let rows: Vec<Vec<String>> = records
                        .iter()
                        .map(|r| {
                            vec![
                                r.name.clone(),
                                r.version.clone(),
                                r.source.clone(),
                                r.digest.clone(),
                            ]
                        })
                        .collect();
                    print_table(&["NAME", "VERSION", "SOURCE", "DIGEST"], &rows)?;
                }
            }
        }
        MixinsCommand::Schema { name, output: _ } => {
            let mixin = catalog.load(&host, &name).await?;
            print_json(&mixin.schema().await?)?;
        }
        MixinsCommand::Install { file } => {
            let record = catalog.install_file(&host, &file).await?;
            println!(
                "installed the {} mixin v{} ({})",
                record.name, record.version, record.digest
            );
        }
        MixinsCommand::Uninstall { name } => {
            catalog.uninstall(&name)?;
            println!("uninstalled the {name} mixin");
        }
    }
    Ok(ExitCode::SUCCESS)
}
