//! Wharf's library-level integration tests, in one test binary.
//!
//! Layering: a test belongs here when it calls the `wharf` library in this
//! process, with real components and real child processes (the built-in
//! and test-only mixins, the static runtime, kubectl) but no Docker
//! daemon, no registry and no `wharf` command. So `cargo test -p wharf
//! --test integration` runs on any machine with the Rust targets, and
//! fails only for Wharf's own reasons. Everything that needs the `wharf`
//! binary, a dockerd or a registry is an end-to-end test in `tests/e2e/`
//! (the `e2e` binary).
//!
//! One binary rather than one per file, as ripgrep keeps its tests: each
//! binary links wasmtime, bollard, oci-client and rusqlite, so every extra
//! one cost a full link on every change to the library.
//!
//! Sharing one process: the tests here run on libtest's threads side by
//! side, so none may change process-wide state (the environment, the
//! current directory, the umask). A test that needs such an input gets it
//! through the API it calls (`ResolveContext::with_env`, a grant's `env`),
//! and every test works in its own scratch directory.

mod bad_manifests;
mod bundle_shape;
mod cnab_conformance;
mod cnab_to_oci;
mod exec_outputs;
mod hostile_files;
mod hostile_image;
mod hostile_memory;
mod hostile_process;
mod manifest_conformance;
mod mixin_corpus;
mod mixin_host;
mod porter_rules;
mod runtime_binary;
mod runtime_run;
mod runtime_secrets;
mod runtime_state;
mod sets;
mod store_crash;
mod store_secrets;
mod store_sqlite;

// Helpers shared by several areas above.
mod runtime_common;
mod store_common;
