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

use super::bindings::v0_1::wharf::mixin as v0_1;
use super::bindings::v0_2::wharf::mixin::host::{
    self, Command, CommandError, CommandResult, LogLevel as WitLogLevel,
};
use super::bindings::v0_2::wharf::mixin::types;
use super::guest_stdio::GuestOutput;
use super::hijack_env;
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
    pub(crate) memory: MemoryBudget,
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

/// What one table element is charged against the memory cap: a function
/// reference in wasmtime's tables is one pointer.
const TABLE_ELEMENT_BYTES: u64 = 8;

/// The memory cap of one call, over all its memories and tables together:
/// a component can have many of each, and eight memories of 250 MiB must
/// not fit under a 256 MiB cap.
#[derive(Debug)]
pub(crate) struct MemoryBudget {
    limit: u64,
    used: u64,
}

impl MemoryBudget {
    pub(crate) fn new(limit: u64) -> Self {
        Self { limit, used: 0 }
    }

    /// Charges growing one memory or table from `current` to `desired`
    /// bytes; the total it would reach when that is over the cap.
    fn charge(&mut self, current: u64, desired: u64) -> Result<(), u64> {
        let total = self.used.saturating_sub(current).saturating_add(desired);
        if total > self.limit {
            return Err(total);
        }
        self.used = total;
        Ok(())
    }
}

impl CallState {
    fn grow(&mut self, current: u64, desired: u64) -> wasmtime::Result<bool> {
        let Err(total) = self.memory.charge(current, desired) else {
            return Ok(true);
        };
        *self
            .record
            .memory_exceeded
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some((self.memory.limit, total));
        // Trapping (rather than failing the grow) stops the mixin at the
        // allocation, with a reason the host can name.
        wasmtime::bail!(
            "memory limit of {} bytes exceeded (all memories and tables together)",
            self.memory.limit
        );
    }
}

impl ResourceLimiter for CallState {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.grow(current as u64, desired as u64)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.grow(
            (current as u64).saturating_mul(TABLE_ELEMENT_BYTES),
            (desired as u64).saturating_mul(TABLE_ELEMENT_BYTES),
        )
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
        let program = match grant.authorize(&cmd.program, &dir) {
            Ok(program) => program,
            Err(Authorization::Denied(why)) => {
                self.record.deny(why.clone());
                return Err(CommandError::Denied(why));
            }
            Err(Authorization::NotFound(why)) => return Err(CommandError::SpawnFailed(why)),
        };
        if let Some(why) = cmd
            .env
            .iter()
            .find_map(|(name, _)| hijack_env::refusal(name, &cmd.program))
        {
            self.record.deny(why.clone());
            return Err(CommandError::Denied(why));
        }
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

    async fn log(&mut self, level: WitLogLevel, message: String) -> wasmtime::Result<()> {
        let level = match level {
            WitLogLevel::Trace => LogLevel::Trace,
            WitLogLevel::Debug => LogLevel::Debug,
            WitLogLevel::Info => LogLevel::Info,
            WitLogLevel::Warn => LogLevel::Warn,
            WitLogLevel::Error => LogLevel::Error,
        };
        // Log lines come out of the same budget as the mixin's stdout and
        // stderr; past it the call traps and is reported as over its output
        // limit.
        if !self
            .record
            .guest_output
            .charge(message.len() as u64, self.output_limit)
        {
            wasmtime::bail!(
                "the mixin's output limit of {} bytes is used up",
                self.output_limit
            );
        }
        self.sink.log(&self.mixin, level, &message);
        Ok(())
    }
}

impl v0_1::types::Host for CallState {}

/// The 0.1.0 host interface is the 0.2.0 one under another name: each call
/// is converted and served by the same code.
impl v0_1::host::Host for CallState {
    async fn run_command(
        &mut self,
        cmd: v0_1::host::Command,
    ) -> Result<v0_1::host::CommandResult, v0_1::host::CommandError> {
        let cmd = Command {
            program: cmd.program,
            args: cmd.args,
            env: cmd.env,
            dir: cmd.dir,
            stdin: cmd.stdin,
            stream_output: cmd.stream_output,
        };
        match host::Host::run_command(self, cmd).await {
            Ok(r) => Ok(v0_1::host::CommandResult {
                exit_code: r.exit_code,
                stdout: r.stdout,
                stderr: r.stderr,
            }),
            Err(CommandError::Denied(why)) => Err(v0_1::host::CommandError::Denied(why)),
            Err(CommandError::SpawnFailed(why)) => Err(v0_1::host::CommandError::SpawnFailed(why)),
            Err(CommandError::OutputTooLarge(limit)) => {
                Err(v0_1::host::CommandError::OutputTooLarge(limit))
            }
        }
    }

    async fn log(&mut self, level: v0_1::host::LogLevel, message: String) -> wasmtime::Result<()> {
        let level = match level {
            v0_1::host::LogLevel::Trace => WitLogLevel::Trace,
            v0_1::host::LogLevel::Debug => WitLogLevel::Debug,
            v0_1::host::LogLevel::Info => WitLogLevel::Info,
            v0_1::host::LogLevel::Warn => WitLogLevel::Warn,
            v0_1::host::LogLevel::Error => WitLogLevel::Error,
        };
        host::Host::log(self, level, message).await
    }
}

#[cfg(test)]
mod tests {
    use super::MemoryBudget;

    const MIB: u64 = 1024 * 1024;

    #[test]
    fn the_cap_covers_every_memory_together() {
        let mut budget = MemoryBudget::new(256 * MIB);
        // The attack: many memories, each under the cap on its own.
        assert_eq!(budget.charge(0, 250 * MIB), Ok(()));
        assert_eq!(budget.charge(0, 250 * MIB), Err(500 * MIB));
        // Growing the same memory charges only the difference.
        assert_eq!(budget.charge(250 * MIB, 256 * MIB), Ok(()));
        assert_eq!(budget.charge(0, 1), Err(256 * MIB + 1));
    }
}
