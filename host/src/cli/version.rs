//! `wharf version`.

use std::process::ExitCode;

use anyhow::Result;
use serde::Serialize;

use super::output::{OutputFormat, outln, print_json};

#[derive(Debug, clap::Args)]
pub struct VersionArgs {
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    output: OutputFormat,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VersionInfo {
    name: &'static str,
    version: &'static str,
    mixin_world: String,
    /// Every world version this Wharf loads, newest first.
    mixin_worlds: Vec<String>,
}

pub fn run(args: VersionArgs) -> Result<ExitCode> {
    let info = VersionInfo {
        name: "wharf",
        version: wharf::VERSION,
        mixin_world: format!("wharf:mixin@{}", wharf::mixin::WORLD_VERSION),
        mixin_worlds: wharf::mixin::WORLD_VERSIONS
            .iter()
            .map(|v| format!("wharf:mixin@{v}"))
            .collect(),
    };
    match args.output {
        OutputFormat::Json => print_json(&info)?,
        OutputFormat::Yaml => super::output::print_yaml(&info)?,
        OutputFormat::Plaintext => {
            outln!("wharf v{}", info.version)?;
            outln!(
                "mixin world: {} (also runs mixins built for {})",
                info.mixin_world,
                info.mixin_worlds[1..].join(", ")
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
