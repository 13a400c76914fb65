//! The media types Wharf reads and writes.

/// An OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// An OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// A Docker schema 2 image manifest.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// A Docker manifest list.
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// A Docker image config (also cnab-to-oci's last config fallback).
pub const DOCKER_IMAGE_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
/// An OCI image config (cnab-to-oci's first config fallback).
pub const OCI_IMAGE_CONFIG: &str = "application/vnd.oci.image.config.v1+json";

/// The bundle.json as the config blob of cnab-to-oci's config manifest.
pub const CNAB_CONFIG: &str = "application/vnd.cnab.config.v1+json";
/// cnab-to-oci's `org.opencontainers.artifactType` for a bundle index.
pub const CNAB_ARTIFACT_TYPE: &str = "application/vnd.cnab.manifest.v1";

/// The config of a CNCF Wasm OCI artifact.
pub const WASM_CONFIG: &str = "application/vnd.wasm.config.v0+json";
/// The one layer of a CNCF Wasm OCI artifact: the component.
pub const WASM_LAYER: &str = "application/wasm";
/// The layer media type of older Wasm artifacts (wasm-to-oci), accepted on
/// pull.
pub const WASM_LAYER_LEGACY: &str = "application/vnd.wasm.content.layer.v1+wasm";
