//! `WHARF_LOG`: what Wharf does, on stderr, for a person finding out why.
//!
//! The library reports registry calls, credential lookups (where from,
//! never what), cache decisions and mixin calls as `tracing` events. They
//! are shown only when `WHARF_LOG` asks, with the same filter syntax as
//! `RUST_LOG` or `CARGO_LOG`: `WHARF_LOG=debug` for everything,
//! `WHARF_LOG=wharf::oci=debug` for registries only. Unset, nothing is
//! shown: warnings meant for the user go through the commands' own output.

use tracing_subscriber::EnvFilter;

/// The variable holding the filter.
pub const WHARF_LOG: &str = "WHARF_LOG";

/// Shows diagnostics on stderr when `WHARF_LOG` is set to a valid filter.
pub fn init() {
    let Some(filter) = std::env::var_os(WHARF_LOG).filter(|v| !v.is_empty()) else {
        return;
    };
    let filter = filter.to_string_lossy();
    let filter = match EnvFilter::try_new(filter.as_ref()) {
        Ok(filter) => filter,
        Err(e) => {
            eprintln!(
                "Warning: ignoring {WHARF_LOG}={filter:?}: {e}; write a level (`debug`) or \
                 TARGET=LEVEL pairs (`wharf::oci=debug,info`)"
            );
            return;
        }
    };
    let installed = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
    if let Err(e) = installed {
        eprintln!("Warning: cannot show {WHARF_LOG} diagnostics: {e}");
    }
}
