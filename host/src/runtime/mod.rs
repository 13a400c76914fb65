//! The in-image runtime: what runs as `/cnab/app/run` inside the
//! invocation image.
//!
//! `wharf build` stages the bundle under `/cnab`: `bundle.json`, the
//! author's `porter.yaml` unchanged, and each mixin precompiled under
//! `wharf/mixins/` (root's and read-only). A CNAB runtime (Wharf, Porter, Duffle) starts the image
//! with `CNAB_ACTION` and the parameters and credentials bundle.json
//! declares; this runtime then does what Porter's does:
//!
//! 1. reads the action, parameters and credentials (`inputs`);
//! 2. unpacks the state bag from the last run (`state`);
//! 3. renders each step's templates just before it runs (`render`,
//!    `variables`) and calls the step's mixin (`mixins`);
//! 4. writes the outputs (`outputs`) and packs the state bag, even when a
//!    step failed.
//!
//! Everything it prints goes through [`MaskingSink`], so no credential or
//! sensitive parameter or output reaches the log. It is built static
//! without the `compiler` feature: it loads precompiled mixins and nothing
//! else. [`run`] is the whole runtime with its root ([`Layout`]), its
//! environment and its output made explicit, so tests run it on a
//! temporary directory.

mod destination_files;
mod error;
mod inputs;
mod layout;
mod mask;
mod mixins;
mod outputs;
mod render;
mod run;
mod state;
mod variables;

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;

pub use error::{RuntimeError, StepRef, one_line};
pub use layout::{CNAB_ROOT, Layout};
pub use mask::{MASK, Masker, MaskingSink};
pub use run::{RunSummary, run};

use crate::mixin::{LogLevel, TerminalSink};

/// Entry point of the `wharf-runtime` binary: runs the action in `/cnab`
/// with this process's environment, printing to the terminal. On failure
/// it prints one masked line saying why and exits with 1.
///
/// CNAB runtimes start it with no arguments. `--root DIR` puts the `/cnab`
/// tree elsewhere, so the static binary itself can be tested outside a
/// container.
pub fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let layout = match args.as_slice() {
        [] => Layout::default(),
        [flag, root] if flag == "--root" => Layout::new(root),
        _ => {
            eprintln!(
                "wharf-runtime: unexpected arguments {args:?}; the CNAB runtime starts /cnab/app/run \
                 with none (the action is CNAB_ACTION), and tests may pass `--root DIR`"
            );
            return ExitCode::from(2);
        }
    };
    let env: BTreeMap<String, String> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    let debug = env.get("WHARF_DEBUG").is_some_and(|v| v == "true");
    let sink = Arc::new(TerminalSink::new(if debug {
        LogLevel::Debug
    } else {
        LogLevel::Info
    }));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("wharf-runtime: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(&layout, &env, sink)) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wharf-runtime: {}", one_line(&e.to_string()));
            ExitCode::FAILURE
        }
    }
}
