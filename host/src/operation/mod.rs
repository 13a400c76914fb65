//! Running an action on an installation: Porter's `install`, `upgrade`,
//! `invoke` and `uninstall`.
//!
//! Data flows one way: the operator's request ([`OperationRequest`]) is
//! [`prepare`]d against the installation's records and the parameter and
//! credential sets, with nothing written and no container started, so
//! every refusal (a second install, a missing required credential, a
//! bundle that wants the Docker socket) costs nothing. Then [`execute`]
//! records the run, runs the invocation image through a
//! [`Driver`](crate::drivers::Driver), and records the outcome, or, when
//! a [`Cancel`] fires first, that the run was canceled.
//!
//! - [`parameters`]: Porter's precedence of parameter values;
//! - [`credentials`]: credential values, only ever from sets;
//! - [`invocation`](mod@invocation): the CNAB environment and files;
//! - [`prepare`](mod@prepare) and [`execute`](mod@execute);
//! - [`cancel`]: what stops a run early.

#![cfg(feature = "cli")]

pub mod cancel;
pub mod credentials;
pub mod execute;
pub mod invocation;
pub mod orphans;
pub mod parameters;
pub mod prepare;
#[cfg(test)]
mod tests;

pub use cancel::Cancel;
pub use credentials::CredentialValue;
pub use execute::{
    DeleteAfter, ExecuteOptions, Outcome, dry_run, execute, invocation_for, record_not_run,
};
pub use parameters::{DependencyOutput, DependencyOutputs, ParameterValue, ValueOrigin};
pub use prepare::{
    DependencyInputs, OperationRequest, PrepareContext, PreparedRun, prepare, prepare_in_home,
};
