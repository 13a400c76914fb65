//! What registries send: bundle indexes (and manifest lists), config
//! manifests, relocation mappings and mixin artifact manifests. Anything
//! accepted names only well-formed digests.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wharf::digest::Digest;
use wharf::oci::cnab_layout::{
    parse_bundle_index, parse_config_manifest, parse_relocation_mapping,
};

fuzz_target!(|data: &[u8]| {
    if let Ok(index) = parse_bundle_index(data) {
        let _ = format!("{index:?}");
    }
    if let Ok(config) = parse_config_manifest(data) {
        assert!(Digest::is_valid(&config.digest), "{}", config.digest);
    }
    let _ = parse_relocation_mapping(data);
    if let Ok((layer, _size)) = wharf::oci::mixin_artifact::wasm_layer(data) {
        assert!(Digest::is_valid(&layer), "{layer}");
    }
});
