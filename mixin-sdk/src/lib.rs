//! # mixin-sdk: write Wharf mixins
//!
//! A Wharf mixin is a WebAssembly component that implements the
//! `wharf:mixin@0.2.0` world (see `wit/0.2.0/mixin.wit`). This crate is the only
//! dependency a mixin needs: implement [`Mixin`], call [`export_mixin!`], and
//! build with `cargo build --target wasm32-wasip2 --release`.
//!
//! What you get for free:
//!
//! - typed configuration and steps: the SDK parses the JSON Wharf sends into
//!   your serde types, and turns a step that does not parse into a lint error
//!   naming its action and number;
//! - Porter's shared step fields ([`CommandStep`]): `command`, `arguments`,
//!   `flags`, `suffix-arguments`, `envs`, `dir`, `suppress-output`,
//!   `ignoreError` and `outputs` (by `jsonPath`, `regex` or `path`), with
//!   Porter's semantics;
//! - a safe [`Command`] over the host's `run-command`;
//! - structured build contributions ([`Contribution`]): Wharf writes the
//!   Dockerfile lines that download, check and install a program;
//! - the configuration at `execute` ([`Context`]), files for the runtime to
//!   write ([`StepResult`]), and step schemas per action ([`ActionKind`]).
//!
//! ## The sandbox
//!
//! A mixin has no ambient authority. `metadata`, `schema`, `build` and `lint`
//! are pure: they may log, and read the bundle directory at most. `execute`
//! may run only the programs its [`Metadata::programs`] declares, in the
//! bundle directory. No call sees the host's environment variables or the
//! network; `execute` reads only the variables its [`Metadata::reads_env`]
//! declares and the bundle grants.
//!
//! ## A complete mixin
//!
//! This mixin runs `echo` with a greeting and returns what it printed as an
//! output; its build installs Debian's `figlet` package for no good reason.
//!
//! ```no_run
//! use mixin_sdk::{
//!     Command, Context, Contribution, Input, Metadata, Mixin, Output, Result, StepResult,
//!     export_mixin, schema,
//! };
//! use serde::Deserialize;
//! use serde_json::json;
//!
//! #[derive(Deserialize)]
//! #[serde(deny_unknown_fields)]
//! struct GreetStep {
//!     description: String,
//!     name: String,
//! }
//!
//! struct Greeter;
//!
//! impl Mixin for Greeter {
//!     type Config = ();
//!     type Step = GreetStep;
//!
//!     fn metadata() -> Metadata {
//!         Metadata::new("greeter", "0.1.0")
//!             .description("Says hello")
//!             .author("Example")
//!             .programs(["echo"])
//!     }
//!
//!     fn step_schema() -> serde_json::Value {
//!         json!({
//!             "type": "object",
//!             "properties": {
//!                 "description": schema::description(),
//!                 "name": {"type": "string"}
//!             },
//!             "required": ["description", "name"],
//!             "additionalProperties": false
//!         })
//!     }
//!
//!     fn build(_input: &Input<(), GreetStep>) -> Result<Vec<Contribution>> {
//!         Ok(vec![Contribution::debian_packages(["figlet"])])
//!     }
//!
//!     fn execute(_context: &Context<()>, step: GreetStep) -> Result<StepResult> {
//!         let out = Command::new("echo")
//!             .arg(format!("Hello, {}", step.name))
//!             .run()?
//!             .check()?;
//!         Ok(vec![Output::new("greeting", out.stdout_text().trim_end())].into())
//!     }
//! }
//!
//! export_mixin!(Greeter);
//! ```
//!
//! A mixin built with this SDK reports `wharf:mixin@0.2.0` in its metadata.
//! Wharf also runs components built for 0.1.0, and refuses those built for a
//! version it does not speak, naming both. `docs/mixin-authoring.md` says how
//! to move a 0.1.0 mixin to 0.2.0.

pub mod bindings;
pub mod command;
pub mod contribution;
pub mod error;
pub mod flags;
pub mod ignore_error;
pub mod lint;
pub mod log;
pub mod mixin;
pub mod outputs;
pub mod schema;
pub mod step;
pub mod step_result;
pub mod words;

pub use command::{Command, CommandError, CommandOutput};
pub use contribution::{Checksum, Contribution, Download};
pub use error::{Error, Result, ResultExt};
pub use flags::{Dashes, Flag, Flags};
pub use ignore_error::{IgnoreError, IgnoreErrorOutput};
pub use lint::{Finding, Level, Location};
pub use mixin::{ActionKind, Context, Input, Metadata, Mixin, Step};
pub use outputs::{Output, OutputSource, OutputSpec, extract_outputs};
pub use step::{CommandStep, run_step};
pub use step_result::{FileWrite, StepResult};

/// Re-exported so that mixins and the export macro agree on versions.
pub use serde_json;

/// Exports a [`Mixin`] implementation as the component's `wharf:mixin` API.
///
/// Call it once, at the crate root of a `cdylib` crate.
#[macro_export]
macro_rules! export_mixin {
    ($mixin:ty) => {
        #[doc(hidden)]
        pub struct __WharfMixinExport;

        impl $crate::bindings::exports::wharf::mixin::api::Guest for __WharfMixinExport {
            fn metadata() -> $crate::bindings::wharf::mixin::types::MixinMetadata {
                $crate::mixin::glue::metadata::<$mixin>()
            }
            fn schema() -> $crate::bindings::wharf::mixin::types::MixinSchema {
                $crate::mixin::glue::schema::<$mixin>()
            }
            fn build(
                input: $crate::bindings::wharf::mixin::types::BuildInput,
            ) -> ::std::result::Result<
                ::std::vec::Vec<$crate::bindings::wharf::mixin::types::Contribution>,
                $crate::bindings::wharf::mixin::types::MixinError,
            > {
                $crate::mixin::glue::build::<$mixin>(input)
            }
            fn lint(
                input: $crate::bindings::wharf::mixin::types::BuildInput,
            ) -> ::std::result::Result<
                ::std::vec::Vec<$crate::bindings::wharf::mixin::types::Finding>,
                $crate::bindings::wharf::mixin::types::MixinError,
            > {
                $crate::mixin::glue::lint::<$mixin>(input)
            }
            fn execute(
                input: $crate::bindings::wharf::mixin::types::ExecuteInput,
            ) -> ::std::result::Result<
                $crate::bindings::wharf::mixin::types::StepResult,
                $crate::bindings::wharf::mixin::types::MixinError,
            > {
                $crate::mixin::glue::execute::<$mixin>(input)
            }
        }

        $crate::bindings::__export_wharf_mixin_world!(__WharfMixinExport with_types_in $crate::bindings);
    };
}
