//! The JSON Schema text a mixin's `schema` export returns: parsed and merged
//! into porter.yaml's schema (what `wharf schema` prints), never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let merged = wharf::manifest::schema::manifest_schema(&[("fuzzed".to_string(), value)]);
    serde_json::to_string(&merged).expect("a merged schema serialises");
});
