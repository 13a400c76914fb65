//! Parameter and credential sets, as YAML/JSON files and as the JSON Wharf
//! stores: refused with located diagnostics, never a panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let file = Path::new("set.yaml");
    let _ = wharf::sets::parse::parse_set(text, file, None);
    if let Ok(value) = serde_json::from_str(text) {
        let _ = wharf::sets::parse::decode_json(&value, file, None);
    }
});
