//! A loaded mixin and the calls it answers.
//!
//! Each call builds a fresh store with the capabilities of its kind, runs
//! under the kind's limits, and turns whatever happened into either the
//! result or one [`MixinError`] that says who has to act.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;
use wasmtime::{Store, Trap};
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

use super::bindings::{SUPPORTED_WORLDS, v0_1, v0_2};
use super::call_state::{CallRecord, CallState, MemoryBudget};
use super::error::{MixinError, TrapReason};
use super::framing::CacheOutcome;
use super::guest_stdio::GuestStream;
use super::host::{EPOCH_TICK, Shared};
use super::limits::CallLimits;
use super::policy::{ANY_PROGRAM, CommandGrant, ExecuteGrant, ProgramGrant};
use super::schema_document::porter_document;
use super::sink::{OutputSink, Stream};
use super::types::{BuildInput, Contribution, Finding, Metadata, StepOutput, StepResult};
use super::world::{Instance, Reported, Schema, WorldPre, destination_files, reported};
use crate::beneath::{self, Kind};
use crate::digest::Digest;

/// A mixin ready to call. Cheap to clone.
#[derive(Clone)]
pub struct LoadedMixin {
    shared: Arc<Shared>,
    pre: WorldPre,
    metadata: Arc<Metadata>,
    digest: Digest,
    outcome: CacheOutcome,
    sink: Arc<dyn OutputSink>,
}

/// The kind of call, which decides capabilities and limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CallKind {
    Metadata,
    Schema,
    Build,
    Lint,
    Execute,
}

impl CallKind {
    /// The world's export this call is, for diagnostics.
    fn export(self) -> &'static str {
        match self {
            CallKind::Metadata => "metadata",
            CallKind::Schema => "schema",
            CallKind::Build => "build",
            CallKind::Lint => "lint",
            CallKind::Execute => "execute",
        }
    }
}

/// What a call may touch besides its own memory.
struct Capabilities<'a> {
    commands: CommandGrant,
    bundle_dir: Option<&'a Path>,
    /// Directories inside `bundle_dir` the call may write.
    writable: &'a [PathBuf],
    read_root: bool,
    /// A fixed clock and seeded randomness (see [`super::pure_clock`]).
    deterministic: bool,
    /// The environment variables the guest may read: those granted.
    guest_env: &'a [(String, String)],
}

impl<'a> Capabilities<'a> {
    /// Pure calls: no commands, at most a read-only bundle directory.
    fn pure(kind: CallKind, bundle_dir: Option<&'a Path>) -> Self {
        Self {
            commands: CommandGrant::Denied(match kind {
                CallKind::Build => {
                    "build, which must be pure: emit Dockerfile lines (RUN ...) instead"
                }
                CallKind::Lint => "lint, which must be pure",
                CallKind::Schema => "schema, which must be pure",
                _ => "metadata, which must be pure",
            }),
            bundle_dir,
            writable: &[],
            read_root: false,
            deterministic: true,
            guest_env: &[],
        }
    }
}

impl LoadedMixin {
    /// Asks a freshly pre-instantiated component for its metadata and
    /// checks it.
    pub(crate) async fn describe(
        shared: Arc<Shared>,
        origin: &str,
        digest: Digest,
        pre: WorldPre,
        outcome: CacheOutcome,
    ) -> Result<Self, MixinError> {
        let exported = pre.version();
        let mut mixin = LoadedMixin {
            sink: shared.sink.clone(),
            shared,
            pre,
            metadata: Arc::new(Metadata {
                name: origin.to_string(),
                version: String::new(),
                description: String::new(),
                author: String::new(),
                programs: Vec::new(),
                env: Vec::new(),
                world_version: String::new(),
            }),
            digest,
            outcome,
        };
        let metadata: Metadata = mixin
            .call(
                CallKind::Metadata,
                Capabilities::pure(CallKind::Metadata, None),
                async |instance, store| match instance {
                    Instance::V0_1(api) => api
                        .wharf_mixin_api()
                        .call_metadata(store)
                        .await
                        .map(|m| Ok(m.into())),
                    Instance::V0_2(api) => api
                        .wharf_mixin_api()
                        .call_metadata(store)
                        .await
                        .map(|m| Ok(m.into())),
                },
            )
            .await?;
        if metadata.world_version != exported {
            return Err(MixinError::IncompatibleWorld {
                origin: origin.into(),
                found: format!(
                    "wharf:mixin@{} by its metadata, but it exports wharf:mixin@{exported}",
                    metadata.world_version
                ),
                supported: SUPPORTED_WORLDS,
            });
        }
        if metadata.name.trim().is_empty() {
            return Err(MixinError::Failed {
                mixin: origin.into(),
                message: "its metadata has an empty name; set one in Metadata::new".into(),
            });
        }
        if let Some(bad) = metadata
            .env
            .iter()
            .find(|v| crate::manifest::env_name_problem(&v.name).is_some())
        {
            return Err(MixinError::Failed {
                mixin: metadata.name.clone(),
                message: format!(
                    "its metadata declares the environment variable {:?}, which is not a \
                     variable name; fix the mixin",
                    bad.name
                ),
            });
        }
        mixin.metadata = Arc::new(metadata);
        Ok(mixin)
    }

    /// The mixin's metadata, as it reported it when loaded.
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// The digest of the component (not of its compiled code).
    pub fn digest(&self) -> Digest {
        self.digest
    }

    /// How this load got its compiled code.
    pub fn cache_outcome(&self) -> CacheOutcome {
        self.outcome
    }

    pub(crate) fn with_outcome(&self, outcome: CacheOutcome) -> Self {
        Self {
            outcome,
            ..self.clone()
        }
    }

    /// The same mixin, allowed to run exactly `programs` rather than what
    /// its metadata declared: the programs it was pinned with.
    pub fn with_programs(&self, programs: Vec<String>) -> Self {
        let metadata = Metadata {
            programs,
            ..(*self.metadata).clone()
        };
        Self {
            metadata: Arc::new(metadata),
            ..self.clone()
        }
    }

    /// The same mixin, sending output and logs to `sink` instead.
    pub fn with_sink(&self, sink: Arc<dyn OutputSink>) -> Self {
        Self {
            sink,
            ..self.clone()
        }
    }

    /// The mixin's JSON Schema document (Porter's `mixin schema` shape).
    /// A 0.2.0 mixin gives its step schemas per action and the host wraps
    /// them ([`porter_document`]); a 0.1.0 mixin wrote the document itself.
    pub async fn schema(&self) -> Result<Value, MixinError> {
        let name = self.metadata.name.clone();
        let not_json = |what: &str, e: serde_json::Error| MixinError::Failed {
            mixin: name.clone(),
            message: format!("its {what} schema is not JSON: {e}"),
        };
        let schema = self
            .call(
                CallKind::Schema,
                Capabilities::pure(CallKind::Schema, None),
                async |instance, store| match instance {
                    Instance::V0_1(api) => api
                        .wharf_mixin_api()
                        .call_schema(store)
                        .await
                        .map(|text| Ok(Schema::Document(text))),
                    Instance::V0_2(api) => api
                        .wharf_mixin_api()
                        .call_schema(store)
                        .await
                        .map(|s| Ok(Schema::PerAction(s))),
                },
            )
            .await?;
        match schema {
            Schema::Document(text) => serde_json::from_str(&text).map_err(|e| not_json("", e)),
            Schema::PerAction(schema) => {
                let mut steps = Vec::new();
                for step in schema.steps {
                    let value = serde_json::from_str(&step.schema)
                        .map_err(|e| not_json(&format!("{} step", step.action), e))?;
                    steps.push((step.action, value));
                }
                let config = schema
                    .config
                    .map(|text| serde_json::from_str(&text).map_err(|e| not_json("config", e)))
                    .transpose()?;
                porter_document(&name, steps, config).map_err(|message| MixinError::Failed {
                    mixin: name.clone(),
                    message,
                })
            }
        }
    }

    /// What the invocation image needs, as the mixin asks for it: a 0.1.0
    /// mixin's lines become [`Contribution::DockerfileLine`]s. The build
    /// turns them into Dockerfile lines and checks them. `bundle_dir`, if
    /// given, is visible read-only.
    pub async fn build(
        &self,
        input: &BuildInput,
        bundle_dir: Option<&Path>,
    ) -> Result<Vec<Contribution>, MixinError> {
        self.call(
            CallKind::Build,
            Capabilities::pure(CallKind::Build, bundle_dir),
            async |instance, store| match instance {
                Instance::V0_1(api) => {
                    let input = v0_1::wharf::mixin::types::BuildInput::from(input);
                    let lines = reported(api.wharf_mixin_api().call_build(store, &input).await)?;
                    Ok(lines.map(|l| l.into_iter().map(Contribution::DockerfileLine).collect()))
                }
                Instance::V0_2(api) => {
                    let input = v0_2::wharf::mixin::types::BuildInput::from(input);
                    let made = reported(api.wharf_mixin_api().call_build(store, &input).await)?;
                    Ok(made.map(|c| c.into_iter().map(Contribution::from).collect()))
                }
            },
        )
        .await
    }

    /// Lint findings for the mixin's config and steps.
    pub async fn lint(
        &self,
        input: &BuildInput,
        bundle_dir: Option<&Path>,
    ) -> Result<Vec<Finding>, MixinError> {
        self.call(
            CallKind::Lint,
            Capabilities::pure(CallKind::Lint, bundle_dir),
            async |instance, store| match instance {
                Instance::V0_1(api) => {
                    let input = v0_1::wharf::mixin::types::BuildInput::from(input);
                    let found = reported(api.wharf_mixin_api().call_lint(store, &input).await)?;
                    Ok(found.map(|f| f.into_iter().map(Finding::from).collect()))
                }
                Instance::V0_2(api) => {
                    let input = v0_2::wharf::mixin::types::BuildInput::from(input);
                    let found = reported(api.wharf_mixin_api().call_lint(store, &input).await)?;
                    Ok(found.map(|f| f.into_iter().map(Finding::from).collect()))
                }
            },
        )
        .await
    }

    /// Runs one rendered step of `action`. The mixin may run its declared
    /// programs, in the bundle directory, with exactly `grant.env`, and
    /// reads the variables of `grant.guest_env` it declared. `config` is
    /// the mixin's configuration from the manifest; a 0.1.0 mixin does not
    /// receive it, and its result's files are the outputs it sends to a
    /// `destinationFile` outside `/cnab` (see [`destination_files`]).
    pub async fn execute(
        &self,
        action: &str,
        step: &Value,
        config: Option<&Value>,
        grant: &ExecuteGrant,
    ) -> Result<StepResult, MixinError> {
        let any_program = self.metadata.programs.iter().any(|p| p == ANY_PROGRAM);
        let guest_env: Vec<(String, String)> = grant
            .guest_env
            .iter()
            .filter(|(name, _)| self.metadata.reads_env(name))
            .cloned()
            .collect();
        let capabilities = Capabilities {
            commands: CommandGrant::Programs(ProgramGrant::new(
                self.metadata.programs.clone(),
                grant.env.clone(),
                grant.bundle_dir.as_deref(),
            )),
            bundle_dir: grant.bundle_dir.as_deref(),
            writable: &grant.writable,
            // A mixin that may run any program can already read any file
            // through one; a read-only view of `/` adds no authority and lets
            // `path` outputs outside the bundle directory work.
            read_root: any_program,
            // Steps run real tools, which need the real time.
            deterministic: false,
            guest_env: &guest_env,
        };
        let text = step.to_string();
        let config = config.map(Value::to_string);
        self.call(
            CallKind::Execute,
            capabilities,
            async |instance, store| match instance {
                Instance::V0_1(api) => {
                    let run = api.wharf_mixin_api().call_execute(store, action, &text);
                    let outputs = reported(run.await)?;
                    Ok(outputs.and_then(|o| {
                        let outputs: Vec<StepOutput> = o.into_iter().map(Into::into).collect();
                        let files = destination_files(step, &outputs)?;
                        Ok(StepResult { outputs, files })
                    }))
                }
                Instance::V0_2(api) => {
                    let input = v0_2::wharf::mixin::types::ExecuteInput {
                        action: action.to_string(),
                        step: text,
                        config,
                    };
                    let run = api.wharf_mixin_api().call_execute(store, &input);
                    Ok(reported(run.await)?.map(StepResult::from))
                }
            },
        )
        .await
    }

    /// Runs one call in a fresh store and settles its outcome.
    async fn call<R>(
        &self,
        kind: CallKind,
        capabilities: Capabilities<'_>,
        body: impl AsyncFnOnce(&Instance, &mut Store<CallState>) -> Reported<R>,
    ) -> Result<R, MixinError> {
        let limits = match kind {
            CallKind::Execute => self.shared.limits.execute,
            _ => self.shared.limits.pure,
        };
        let record = Arc::new(CallRecord::default());
        let started = std::time::Instant::now();
        let mut store = self.new_store(&capabilities, &limits, record.clone())?;
        let outcome = tokio::time::timeout(limits.timeout, async {
            let instance = match &self.pre {
                WorldPre::V0_1(pre) => Instance::V0_1(pre.instantiate_async(&mut store).await?),
                WorldPre::V0_2(pre) => Instance::V0_2(pre.instantiate_async(&mut store).await?),
            };
            body(&instance, &mut store).await
        })
        .await;
        drop(store);
        let settled = self.settle(outcome, &record, &limits);
        // Names and the outcome only: a call's input and the mixin's
        // messages can carry a step's values.
        tracing::debug!(
            mixin = %self.metadata.name,
            export = kind.export(),
            elapsed = ?started.elapsed(),
            outcome = settled.as_ref().map_or_else(MixinError::kind, |_| "ok"),
            "mixin call"
        );
        settled
    }

    fn new_store(
        &self,
        capabilities: &Capabilities<'_>,
        limits: &CallLimits,
        record: Arc<CallRecord>,
    ) -> Result<Store<CallState>, MixinError> {
        let name: Arc<str> = self.metadata.name.as_str().into();
        let stream = |stream| GuestStream {
            mixin: name.clone(),
            stream,
            sink: self.sink.clone(),
            budget: limits.output_bytes,
            shared: record.guest_output.clone(),
        };
        let mut wasi = WasiCtxBuilder::new();
        wasi.stdout(stream(Stream::Stdout))
            .stderr(stream(Stream::Stderr))
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false);
        if capabilities.deterministic {
            super::pure_clock::make_deterministic(&mut wasi);
        }
        for (name, value) in capabilities.guest_env {
            wasi.env(name, value);
        }
        let host_error = |detail: String| MixinError::Host {
            mixin: self.metadata.name.clone(),
            detail,
        };
        if capabilities.read_root {
            wasi.preopened_dir("/", "/", FsPerms::ReadOnly)
                .map_err(|e| host_error(format!("cannot open / for reading: {e:#}")))?;
        }
        if let Some(dir) = capabilities.bundle_dir {
            let guest_path = dir.to_str().ok_or_else(|| {
                host_error(format!(
                    "the bundle directory {} is not UTF-8",
                    dir.display()
                ))
            })?;
            wasi.preopened_dir(dir, guest_path, FsPerms::ReadOnly)
                .map_err(|e| {
                    host_error(format!(
                        "cannot open the bundle directory {}: {e:#}",
                        dir.display()
                    ))
                })?;
            // Nested preopens: wasi-libc resolves a path through the
            // longest preopen that prefixes it, so these win inside
            // themselves and the bundle directory stays read-only around
            // them.
            for writable in capabilities.writable {
                // A link on the way is refused: a mixin that planted one in
                // its own directory could turn a later grant into write
                // access somewhere else.
                let refused = |why: String| {
                    host_error(format!(
                        "{why}; a directory a mixin may write must be a real directory inside \
                         the bundle directory"
                    ))
                };
                let inside = writable.strip_prefix(dir).map_err(|_| {
                    refused(format!(
                        "{} is outside {}",
                        writable.display(),
                        dir.display()
                    ))
                })?;
                match beneath::inspect(dir, inside).map_err(|e| refused(e.to_string()))? {
                    Kind::Dir => {}
                    Kind::Missing => continue,
                    Kind::File => {
                        return Err(refused(format!("{} is a file", writable.display())));
                    }
                }
                let guest = writable
                    .to_str()
                    .ok_or_else(|| host_error(format!("{} is not UTF-8", writable.display())))?;
                wasi.preopened_dir(writable, guest, FsPerms::ReadWrite)
                    .map_err(|e| host_error(format!("cannot open {guest}: {e:#}")))?;
            }
            // Relative paths in steps (`path: outputs/x`) mean the bundle
            // directory, as they do for the commands the mixin runs. wasi-libc
            // ignores WASI's initial-cwd, so the SDK changes to $PWD instead;
            // PWD is the only variable a mixin sees besides those the
            // bundle grants it (`grant: env:`).
            wasi.initial_cwd(guest_path).env("PWD", guest_path);
        }
        let state = CallState {
            wasi: wasi.build(),
            table: Default::default(),
            mixin: name.clone(),
            grant: capabilities.commands.clone(),
            bundle_dir: capabilities.bundle_dir.map(Path::to_path_buf),
            sink: self.sink.clone(),
            memory: MemoryBudget::new(limits.memory_bytes),
            output_limit: limits.output_bytes,
            record,
        };
        let mut store = Store::new(&self.shared.engine, state);
        store.limiter(|state| state);
        let ticks = limits.timeout.as_millis() / EPOCH_TICK.as_millis() + 1;
        store.set_epoch_deadline(u64::try_from(ticks).unwrap_or(u64::MAX));
        store.epoch_deadline_trap();
        Ok(store)
    }

    /// Turns the raw outcome of a call into its result or one clear error.
    fn settle<R>(
        &self,
        outcome: Result<Reported<R>, tokio::time::error::Elapsed>,
        record: &CallRecord,
        limits: &CallLimits,
    ) -> Result<R, MixinError> {
        let mixin = self.metadata.name.clone();
        let trapped = |reason| MixinError::Trapped {
            mixin: mixin.clone(),
            reason,
        };
        if record.guest_output.exceeded() {
            return Err(trapped(TrapReason::OutputLimit(limits.output_bytes)));
        }
        match outcome {
            Err(_elapsed) => Err(trapped(TrapReason::Timeout(limits.timeout))),
            Ok(Err(trap)) => Err(trapped(self.trap_reason(&trap, record, limits))),
            Ok(Ok(Err(reported))) => {
                let denial = record
                    .denial
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .clone();
                Err(match denial {
                    Some(detail) => MixinError::Denied { mixin, detail },
                    None => MixinError::Failed {
                        mixin,
                        message: reported,
                    },
                })
            }
            Ok(Ok(Ok(value))) => Ok(value),
        }
    }

    fn trap_reason(
        &self,
        trap: &wasmtime::Error,
        record: &CallRecord,
        limits: &CallLimits,
    ) -> TrapReason {
        if let Some((limit, requested)) = *record
            .memory_exceeded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
        {
            return TrapReason::MemoryLimit { limit, requested };
        }
        match trap.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => TrapReason::Timeout(limits.timeout),
            Some(Trap::UnreachableCodeReached) => {
                TrapReason::Panic(panic_message(&record.guest_output.stderr_tail()))
            }
            Some(other) => TrapReason::Other(other.to_string()),
            None => TrapReason::Other(format!("{trap:#}")),
        }
    }
}

/// The panic message from what Rust's panic handler printed, without the
/// backtrace hint.
fn panic_message(stderr_tail: &str) -> String {
    let message: Vec<&str> = stderr_tail
        .lines()
        .skip_while(|line| !line.contains("panicked at"))
        .filter(|line| !line.starts_with("note: run with"))
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    if message.is_empty() {
        "it hit an unreachable instruction without printing why".into()
    } else {
        message.join(" ")
    }
}
