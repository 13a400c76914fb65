//! `wharf.lock`: a damaged lock is an error that says what to do.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = wharf::pins::lock::parse_lock(text, Path::new("wharf.lock"));
    }
});
