//! Wharf's end-to-end tests, in one test binary (`e2e`, declared in
//! `host/Cargo.toml` so it can run the `wharf` binary that package builds).
//!
//! Layering: a test belongs here when it needs more than the library in
//! this process: the `wharf` command as an operator runs it (`cli`,
//! `sets_cli`, `records_cli`), a real dockerd (`docker_smoke` first, then
//! `driver`, `build`, `lifecycle`, `run_semantics`, `docker_mixin`,
//! `terraform`, `downloads`, `mixin_worlds`), real registries (`mixin_registry`, `distribution`,
//! `dependencies`) or a real cargo and crates.io (`third_party_mixin`).
//! Tests that call the library with no daemon, registry or command are in
//! `host/tests/integration` (the `integration` binary).
//!
//! One binary rather than one per area, as ripgrep keeps its tests: each
//! binary links wasmtime, bollard, oci-client and rusqlite, so every extra
//! one cost a full link on every change to the library.
//!
//! Sharing one process: tests of every area run side by side on libtest's
//! threads, so none may change process-wide state (the environment, the
//! current directory), and none may assume it is alone: each works in its
//! own scratch directories and `WHARF_HOME`, starts its own registries and
//! servers on ephemeral loopback ports, tags the images it makes with its
//! own names, and counts Docker's containers and events by image or name,
//! never in total. What is shared is made once per process and never
//! changed: the Docker daemon and base images (`ensure_docker`), the guest
//! components and the static runtime (built under a lock), and the
//! terraform release mirror.

mod build;
mod buildkit;
mod cli;
mod dependencies;
mod distribution;
mod docker_mixin;
mod docker_smoke;
mod downloads;
mod driver;
mod hostile_files;
mod hostile_image;
mod hostile_process;
mod lifecycle;
mod mixin_registry;
mod mixin_worlds;
mod porter_wild;
mod porter_wild_build;
mod records_cli;
mod records_list;
mod run_semantics;
mod sets_cli;
mod terraform;
mod third_party_mixin;

// The installation store's fixtures, shared with the integration tests.
#[path = "../../host/tests/integration/store_common.rs"]
mod store_common;
