//! `wharf publish --archive`: any bytes either unpack to plain files inside
//! the staging directory or are refused; nothing lands outside it.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(parent) = tempfile::tempdir() else {
        return;
    };
    let dir = parent.path().join("staging");
    if std::fs::create_dir(&dir).is_err() {
        return;
    }
    let _ = wharf::oci::archive::unpack_reader(data, Path::new("bundle.tgz"), &dir);
    let outside: Vec<_> = std::fs::read_dir(parent.path())
        .map(|entries| entries.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert_eq!(
        outside,
        ["staging"],
        "the archive wrote outside its directory"
    );
});
