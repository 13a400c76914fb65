//! The mixin host: one engine and one linker per process, one
//! `InstancePre` per component, one store per call.
//!
//! Building the engine and linker is the expensive part of hosting and is
//! done once. Loading a component (from the compiled cache when possible)
//! and pre-instantiating it against the linker is done once per component.
//! Every call then gets a fresh store, with its own WASI context, limits and
//! capabilities, and nothing survives between calls.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Config, Engine};

use super::bindings::{
    SUPPORTED_WORLDS, WORLD_PACKAGE, WORLD_VERSION_0_1, WORLD_VERSIONS, v0_1, v0_2,
};
#[cfg(feature = "compiler")]
use super::cache::CompiledCache;
use super::call_state::CallState;
#[cfg(feature = "compiler")]
use super::component_file::read_component_file;
#[cfg(feature = "compiler")]
use super::component_header::Header;
use super::error::MixinError;
#[cfg(feature = "compiler")]
use super::framing::frame;
use super::framing::{CacheOutcome, unframe};
use super::limits::Limits;
use super::loaded::LoadedMixin;
use super::sink::{OutputSink, TerminalSink};
use super::world::WorldPre;
use crate::digest::Digest;

/// How often the epoch advances; deadlines are counted in these ticks.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(10);

/// How to set up a [`MixinHost`].
#[derive(Clone)]
pub struct HostConfig {
    /// Where compiled components are cached; `None` disables the cache.
    pub cache_dir: Option<PathBuf>,
    /// Per-call limits.
    pub limits: Limits,
    /// Where output and logs go unless a call says otherwise.
    pub sink: Arc<dyn OutputSink>,
}

impl Default for HostConfig {
    fn default() -> Self {
        Self {
            cache_dir: None,
            limits: Limits::default(),
            sink: Arc::new(TerminalSink::default()),
        }
    }
}

/// Loads and runs mixins. Cheap to clone; clones share the engine, linker
/// and loaded components.
#[derive(Clone)]
pub struct MixinHost {
    pub(crate) shared: Arc<Shared>,
}

pub(crate) struct Shared {
    pub(crate) engine: Engine,
    pub(crate) linker: Linker<CallState>,
    pub(crate) limits: Limits,
    pub(crate) sink: Arc<dyn OutputSink>,
    #[cfg(feature = "compiler")]
    cache: Option<CompiledCache>,
    loaded: Mutex<HashMap<Digest, LoadedMixin>>,
}

/// The engine settings. Compiled components are only valid for an engine
/// with the same settings, so `wharf build` (which precompiles mixins for the
/// image) and the in-image runtime (which loads them) must both use this.
///
/// Compiled code carries no address map (native to wasm offsets) and no
/// native unwind tables: they made up a large part of every precompiled
/// mixin in the image, and a trap still names the wasm functions it went
/// through (from the component's name section), which is what a mixin's
/// author needs; a mixin's own panic message comes through its stderr.
pub fn engine_config() -> Config {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    config.generate_address_map(false);
    config.native_unwind_info(false);
    config
}

/// The engine that compiles mixins for invocation images: this engine's
/// settings, for the images' platform, with no CPU features beyond the
/// baseline (naming the target turns off Cranelift's host detection).
#[cfg(feature = "compiler")]
fn image_engine() -> Result<&'static Engine, String> {
    static ENGINE: std::sync::OnceLock<Result<Engine, String>> = std::sync::OnceLock::new();
    ENGINE
        .get_or_init(|| {
            let mut config = engine_config();
            config.target(IMAGE_TARGET).map_err(|e| format!("{e:#}"))?;
            Engine::new(&config).map_err(|e| format!("{e:#}"))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// The platform of invocation images: the runtime is a static x86-64
/// Linux binary.
#[cfg(feature = "compiler")]
const IMAGE_TARGET: &str = "x86_64-unknown-linux-gnu";

impl MixinHost {
    /// Builds the engine and linker and starts the epoch ticker.
    pub fn new(config: HostConfig) -> Result<Self, MixinError> {
        let host_error = |detail: String| MixinError::Host {
            mixin: "any".into(),
            detail,
        };
        let engine = Engine::new(&engine_config()).map_err(|e| host_error(format!("{e:#}")))?;
        let mut linker = Linker::<CallState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .map_err(|e| host_error(format!("{e:#}")))?;
        v0_2::Mixin::add_to_linker::<CallState, HasSelf<CallState>>(&mut linker, |state| state)
            .map_err(|e| host_error(format!("{e:#}")))?;
        v0_1::Mixin::add_to_linker::<CallState, HasSelf<CallState>>(&mut linker, |state| state)
            .map_err(|e| host_error(format!("{e:#}")))?;
        start_epoch_ticker(&engine)
            .map_err(|e| host_error(format!("cannot start the epoch thread: {e}")))?;
        #[cfg(feature = "compiler")]
        let cache = config.cache_dir.map(|dir| CompiledCache::new(dir, &engine));
        Ok(Self {
            shared: Arc::new(Shared {
                engine,
                linker,
                limits: config.limits,
                sink: config.sink,
                #[cfg(feature = "compiler")]
                cache,
                loaded: Mutex::new(HashMap::new()),
            }),
        })
    }

    #[cfg(feature = "compiler")]
    /// Loads a component file. See [`MixinHost::load`].
    pub async fn load_file(&self, path: &Path) -> Result<LoadedMixin, MixinError> {
        let owned = path.to_path_buf();
        let bytes = tokio::task::spawn_blocking(move || read_component_file(&owned))
            .await
            .map_err(|e| MixinError::Io {
                action: "cannot read mixin",
                path: path.to_path_buf(),
                source: std::io::Error::other(e),
            })??;
        self.load(&path.display().to_string(), bytes).await
    }

    #[cfg(feature = "compiler")]
    /// Loads a component: checks that it is a component of the
    /// `wharf:mixin` world this host speaks, compiles it (or takes it from
    /// the cache), pre-instantiates it, and asks it for its metadata.
    /// `origin` names it in errors.
    pub async fn load(&self, origin: &str, bytes: Vec<u8>) -> Result<LoadedMixin, MixinError> {
        let digest = Digest::of(&bytes);
        if let Some(loaded) = self.cached_in_memory(&digest) {
            tracing::debug!(
                component = %digest,
                origin,
                "compiled-component cache: hit in memory"
            );
            return Ok(loaded);
        }
        check_header(origin, &bytes)?;
        let shared = self.shared.clone();
        let compiled = tokio::task::spawn_blocking(move || match &shared.cache {
            Some(cache) => cache.load_or_compile(&shared.engine, &digest, &bytes),
            None => {
                let started = std::time::Instant::now();
                let compiled = Component::new(&shared.engine, &bytes);
                tracing::debug!(
                    component = %digest,
                    elapsed = ?started.elapsed(),
                    "compiled without a cache"
                );
                compiled.map(|c| (c, CacheOutcome::Compiled))
            }
        })
        .await
        .map_err(|e| MixinError::Host {
            mixin: origin.into(),
            detail: format!("the compiler thread failed: {e}"),
        })?;
        let (component, outcome) = compiled.map_err(|e| MixinError::NotAComponent {
            origin: origin.into(),
            detail: format!("{e:#}"),
        })?;
        self.finish_load(origin, digest, component, outcome).await
    }

    /// Loads a component precompiled by [`MixinHost::precompile`]. Nothing
    /// is compiled: this is how the in-image runtime loads mixins. `digest`
    /// is that of the original component, `compiled` that of the framed
    /// file as the build recorded it somewhere the bundle cannot write.
    ///
    /// Deserializing runs native code, so the file is read once and its
    /// bytes are checked against `compiled` before wasmtime sees them: the
    /// checksum inside the frame only catches damage, since whoever can
    /// rewrite the file can rewrite it too.
    pub async fn load_precompiled(
        &self,
        path: &Path,
        digest: Digest,
        compiled: Digest,
    ) -> Result<LoadedMixin, MixinError> {
        let origin = path.display().to_string();
        if let Some(loaded) = self.cached_in_memory(&digest) {
            return Ok(loaded);
        }
        let framed = tokio::fs::read(path)
            .await
            .map_err(|source| MixinError::Io {
                action: "cannot read precompiled mixin",
                path: path.to_path_buf(),
                source,
            })?;
        let found = Digest::of(&framed);
        if found != compiled {
            return Err(MixinError::Tampered {
                origin,
                expected: compiled,
                found,
            });
        }
        let not_usable = |detail: String| MixinError::NotAComponent {
            origin: origin.clone(),
            detail,
        };
        let compiled = unframe(&framed).ok_or_else(|| {
            not_usable(
                "the precompiled file is damaged (its checksum does not match); rebuild the bundle"
                    .into(),
            )
        })?;
        // SAFETY: these bytes are the file the build precompiled (their
        // digest matches the one it recorded), and wasmtime checks the
        // engine compatibility header before use.
        let component = unsafe { Component::deserialize(&self.shared.engine, compiled) }.map_err(|e| {
            not_usable(format!(
                "{e:#}; it was precompiled by another Wharf version, rebuild the bundle with this one"
            ))
        })?;
        self.finish_load(&origin, digest, component, CacheOutcome::Precompiled)
            .await
    }

    #[cfg(feature = "compiler")]
    /// Compiles a component for the invocation image and frames it with
    /// its checksum, ready for [`MixinHost::load_precompiled`]. With a
    /// cache directory, the result is cached under the component's
    /// `digest` and the image engine's key, so an unchanged mixin is
    /// compiled once, not at every build.
    ///
    /// It compiles for baseline x86-64 rather than for this machine's CPU:
    /// the image runs wherever it is pulled, and an artifact using, say,
    /// AVX-512 would be refused by an older CPU. Wasmtime accepts a
    /// baseline artifact on any x86-64 host.
    pub fn precompile(
        &self,
        origin: &str,
        digest: Digest,
        bytes: &[u8],
    ) -> Result<Vec<u8>, MixinError> {
        check_header(origin, bytes)?;
        let engine = image_engine().map_err(|detail| MixinError::Host {
            mixin: origin.into(),
            detail,
        })?;
        let compiled = match &self.shared.cache {
            Some(cache) => cache
                .for_engine(engine)
                .precompiled(engine, &digest, bytes)
                .map(|(framed, _)| framed),
            None => engine.precompile_component(bytes).map(|c| frame(&c)),
        };
        compiled.map_err(|e| MixinError::NotAComponent {
            origin: origin.into(),
            detail: format!("{e:#}"),
        })
    }

    #[cfg(feature = "compiler")]
    /// The cache file a component with this digest would use, if caching is
    /// on. Exposed so tests and `wharf mixins list` can show it.
    pub fn cache_entry(&self, digest: Digest) -> Option<PathBuf> {
        self.shared.cache.as_ref().map(|c| c.entry_path(&digest))
    }

    fn cached_in_memory(&self, digest: &Digest) -> Option<LoadedMixin> {
        let loaded = self.shared.loaded.lock().unwrap_or_else(|e| e.into_inner());
        loaded
            .get(digest)
            .map(|m| m.with_outcome(CacheOutcome::InMemory))
    }

    async fn finish_load(
        &self,
        origin: &str,
        digest: Digest,
        component: Component,
        outcome: CacheOutcome,
    ) -> Result<LoadedMixin, MixinError> {
        let version = check_world(&self.shared.engine, origin, &component)?;
        let instance_pre = self
            .shared
            .linker
            .instantiate_pre(&component)
            .map_err(|e| MixinError::IncompatibleWorld {
                origin: origin.into(),
                found: format!("a world with imports Wharf does not provide ({e:#})"),
                supported: SUPPORTED_WORLDS,
            })?;
        let shape = |e: wasmtime::Error| MixinError::IncompatibleWorld {
            origin: origin.into(),
            found: format!("a different shape of wharf:mixin@{version} ({e:#})"),
            supported: SUPPORTED_WORLDS,
        };
        let pre = match version {
            WORLD_VERSION_0_1 => WorldPre::V0_1(v0_1::MixinPre::new(instance_pre).map_err(shape)?),
            _ => WorldPre::V0_2(v0_2::MixinPre::new(instance_pre).map_err(shape)?),
        };
        let loaded =
            LoadedMixin::describe(self.shared.clone(), origin, digest, pre, outcome).await?;
        self.shared
            .loaded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(digest, loaded.clone());
        Ok(loaded)
    }
}

#[cfg(feature = "compiler")]
/// Tells a component from a core module or some other file, before the
/// compiler gives a less helpful message.
fn check_header(origin: &str, bytes: &[u8]) -> Result<(), MixinError> {
    match Header::of(bytes).problem() {
        None => Ok(()),
        Some(detail) => Err(MixinError::NotAComponent {
            origin: origin.into(),
            detail: detail.into(),
        }),
    }
}

/// The world version whose `api` interface the component exports, or an
/// error naming the version it was built for and those this host speaks.
fn check_world(
    engine: &Engine,
    origin: &str,
    component: &Component,
) -> Result<&'static str, MixinError> {
    let ty = component.component_type();
    let exports: Vec<String> = ty
        .exports(engine)
        .map(|(name, _)| name.to_string())
        .collect();
    if let Some(version) = WORLD_VERSIONS
        .iter()
        .find(|v| exports.contains(&format!("{WORLD_PACKAGE}/api@{v}")))
    {
        return Ok(version);
    }
    let imports: Vec<String> = ty
        .imports(engine)
        .map(|(name, _)| name.to_string())
        .collect();
    let found = exports
        .iter()
        .chain(&imports)
        .find_map(|name| {
            let rest = name.strip_prefix(WORLD_PACKAGE)?.strip_prefix('/')?;
            let (_, version) = rest.split_once('@')?;
            Some(format!("{WORLD_PACKAGE}@{version}"))
        })
        .unwrap_or_else(|| {
            if exports.is_empty() {
                "a world that exports nothing".to_string()
            } else {
                format!("another world (it exports {})", exports.join(", "))
            }
        });
    Err(MixinError::IncompatibleWorld {
        origin: origin.into(),
        found,
        supported: SUPPORTED_WORLDS,
    })
}

/// Advances the engine's epoch every [`EPOCH_TICK`] until the engine is
/// dropped. Deadlines are epoch counts, so this thread is what makes an
/// infinite loop in a mixin stop.
fn start_epoch_ticker(engine: &Engine) -> std::io::Result<()> {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("wharf-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .map(drop)
}
