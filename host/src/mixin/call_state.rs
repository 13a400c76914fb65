//! The data of one call's store, and the host functions the mixin imports.
//!
//! A fresh [`CallState`] is made for every call, so nothing a mixin does in
//! one call (files opened, memory grown, commands denied) leaks into the
//! next.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;

use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::bindings::wharf::mixin::host::{
    self, Command, CommandError, CommandResult, LogLevel as WitLogLevel,
};
use super::bindings::wharf::mixin::types;
use super::guest_stdio::GuestOutput;
use super::policy::{Authorization, CommandGrant, confine_dir};
use super::run_command::{ProcessSpec, run};
use super::sink::{LogLevel, OutputSink};

/// What happened during a call that the host reports on, whatever the
/// mixin made of it.
#[derive(Debug, Default)]
pub(crate) struct CallRecord {
    /// The first capability the mixin was refused.
    pub(crate) denial: Mutex<Option<String>>,
    /// The memory growth that was refused: (limit, requested).
    pub(crate) memory_exceeded: Mutex<Option<(u64, u64)>>,
    /// The guest's own stdout and stderr accounting.
    pub(crate) guest_output: Arc<GuestOutput>,
}

impl CallRecord {
    fn deny(&self, why: String) {
        let mut denial = self.denial.lock().unwrap_or_else(|e| e.into_inner());
        denial.get_or_insert(why);
    }
}

/// The store data of one call.
pub(crate) struct CallState {
    pub(crate) wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) mixin: Arc<str>,
    pub(crate) grant: CommandGrant,
    pub(crate) bundle_dir: Option<PathBuf>,
    pub(crate) sink: Arc<dyn OutputSink>,
    pub(crate) memory_limit: u64,
    pub(crate) output_limit: u64,
    pub(crate) record: Arc<CallRecord>,
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl ResourceLimiter for CallState {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let desired = desired as u64;
        if desired > self.memory_limit {
            *self
                .record
                .memory_exceeded
                .lock()
                .unwrap_or_else(|e| e.into_inner()) = Some((self.memory_limit, desired));
            // Trapping (rather than failing the grow) stops the mixin at the
            // allocation, with a reason the host can name.
            wasmtime::bail!("memory limit of {} bytes exceeded", self.memory_limit);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 1_000_000)
    }
}

impl types::Host for CallState {}

impl host::Host for CallState {
    async fn run_command(&mut self, cmd: Command) -> Result<CommandResult, CommandError> {
        let grant = match &self.grant {
            CommandGrant::Denied(why) => {
                let why = format!("it tried to run `{}` during {why}", cmd.program);
                self.record.deny(why.clone());
                return Err(CommandError::Denied(why));
            }
            CommandGrant::Programs(grant) => grant,
        };
        let program = match grant.authorize(&cmd.program) {
            Ok(program) => program,
            Err(Authorization::Denied(why)) => {
                self.record.deny(why.clone());
                return Err(CommandError::Denied(why));
            }
            Err(Authorization::NotFound(why)) => return Err(CommandError::SpawnFailed(why)),
        };
        let dir = match &self.bundle_dir {
            Some(bundle_dir) => match confine_dir(bundle_dir, cmd.dir.as_deref()) {
                Ok(dir) => dir,
                Err(why) => {
                    self.record.deny(why.clone());
                    return Err(CommandError::Denied(why));
                }
            },
            // No bundle directory granted: nothing to confine to.
            None => PathBuf::from("/").join(cmd.dir.as_deref().unwrap_or_default()),
        };
        let spec = ProcessSpec {
            mixin: &self.mixin,
            program,
            args: &cmd.args,
            base_env: grant.env().collect(),
            extra_env: &cmd.env,
            dir: &dir,
            stdin: cmd.stdin,
            stream_output: cmd.stream_output,
            output_limit: self.output_limit,
        };
        run(spec, self.sink.clone()).await
    }

    async fn log(&mut self, level: WitLogLevel, message: String) {
        let level = match level {
            WitLogLevel::Trace => LogLevel::Trace,
            WitLogLevel::Debug => LogLevel::Debug,
            WitLogLevel::Info => LogLevel::Info,
            WitLogLevel::Warn => LogLevel::Warn,
            WitLogLevel::Error => LogLevel::Error,
        };
        self.sink.log(&self.mixin, level, &message);
    }
}
