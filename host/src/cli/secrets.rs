//! `wharf secrets set|list|delete`: the named secrets that parameter and
//! credential sets read with `secret: KEY`, kept by the built-in local
//! backend. Values are read from a file or standard input, never from the
//! command line, where shell history would keep them.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use wharf::home::WharfHome;
use wharf::secrets::NamedSecrets;

use super::output::{OutputFormat, outln, print_structured};

#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Store a secret under KEY, read from --file or standard input.
    Set {
        key: String,
        /// Read the value from this file instead of standard input.
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// List the keys (never the values).
    List {
        #[arg(short, long, value_enum, default_value_t)]
        output: OutputFormat,
    },
    /// Delete a secret.
    Delete { key: String },
}

pub fn run(command: SecretsCommand) -> Result<ExitCode> {
    let secrets = NamedSecrets::new(&WharfHome::from_env()?);
    match command {
        SecretsCommand::Set { key, file } => {
            let value = match &file {
                Some(path) => std::fs::read(path)
                    .with_context(|| format!("cannot read {}", path.display()))?,
                None => {
                    let mut value = Vec::new();
                    std::io::stdin()
                        .read_to_end(&mut value)
                        .context("cannot read the secret from standard input")?;
                    // `echo value | wharf secrets set KEY` adds a newline
                    // that is no part of the secret.
                    while value.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                        value.pop();
                    }
                    value
                }
            };
            if value.is_empty() {
                bail!("the secret for {key} is empty; pipe the value in or pass --file");
            }
            secrets.set(&key, &value)?;
            eprintln!("stored secret {key}; use it in a set as `secret: {key}`");
        }
        SecretsCommand::List { output } => {
            let keys = secrets.keys()?;
            if !print_structured(output, &keys)? {
                for key in keys {
                    outln!("{key}")?;
                }
            }
        }
        SecretsCommand::Delete { key } => {
            if !secrets.delete(&key)? {
                bail!("there is no secret {key}; `wharf secrets list` shows the keys");
            }
            eprintln!("deleted secret {key}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
