//! OCI registries: where mixins come from and bundles go.
//!
//! - [`media_types`]: the media types of both;
//! - [`registry`]: a registry client that verifies every digest, caps
//!   every blob, takes credentials from Docker's config and credential
//!   helpers, and speaks plain HTTP only to loopback registries or those
//!   the operator names;
//! - [`auth`]: Docker's `config.json` and credential helpers;
//! - [`blob_cache`]: the content-addressed cache under `$WHARF_HOME`;
//! - [`mixin_artifact`]: mixins as CNCF Wasm artifacts;
//! - [`cnab_layout`]: bundles in cnab-to-oci's layout, byte for byte;
//! - [`transfer`] and [`content`]: copying a manifest graph between a
//!   registry and an OCI image layout, children first;
//! - [`bundles`]: publish, pull and copy; [`archive`]: airgap archives;
//! - [`docker_images`]: images pushed and pulled through the Docker Engine.

#![cfg(feature = "cli")]

pub mod archive;
pub mod auth;
pub mod blob_cache;
pub mod bundles;
pub mod cnab_layout;
pub mod content;
pub mod docker_images;
pub mod media_types;
pub mod mixin_artifact;
pub mod registry;
pub mod transfer;
