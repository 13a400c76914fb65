//! `WHARF_LOG`: what Wharf does, on stderr, for a person finding out why.
//!
//! The library reports registry calls, credential lookups (where from,
//! never what), cache decisions and mixin calls as `tracing` events. They
//! are shown only when `WHARF_LOG` asks, with the same filter syntax as
//! `RUST_LOG` or `CARGO_LOG`: `WHARF_LOG=debug` for everything,
//! `WHARF_LOG=wharf::oci=debug` for registries only. Unset, nothing is
//! shown: warnings meant for the user go through the commands' own output.
//!
//! A bare level means Wharf's own events. Those never carry a secret;
//! dependencies' events are another matter (HTTP headers at trace level),
//! so they show only when named: `WHARF_LOG=debug,oci_client=debug`.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

/// The variable holding the filter.
pub const WHARF_LOG: &str = "WHARF_LOG";

/// Shows diagnostics on stderr when `WHARF_LOG` is set to a valid filter.
pub fn init() {
    let Some(filter) = std::env::var_os(WHARF_LOG).filter(|v| !v.is_empty()) else {
        return;
    };
    let filter = filter.to_string_lossy();
    let filter = match EnvFilter::try_new(wharf_directives(&filter)) {
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

/// `filter` with each bare level (`debug`) narrowed to Wharf's events
/// (`wharf=debug`).
fn wharf_directives(filter: &str) -> String {
    filter
        .split(',')
        .map(str::trim)
        .filter(|directive| !directive.is_empty())
        .map(|directive| match directive.parse::<LevelFilter>() {
            Ok(_) => format!("wharf={directive}"),
            Err(_) => directive.to_string(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::wharf_directives;

    #[test]
    fn a_bare_level_means_wharf_and_named_targets_stay() {
        assert_eq!(wharf_directives("debug"), "wharf=debug");
        assert_eq!(wharf_directives("TRACE"), "wharf=TRACE");
        assert_eq!(
            wharf_directives("info, oci_client=debug ,wharf::oci=trace"),
            "wharf=info,oci_client=debug,wharf::oci=trace"
        );
        assert_eq!(wharf_directives("wharf::mixin=debug"), "wharf::mixin=debug");
        assert_eq!(wharf_directives(" , "), "");
    }
}
