//! Test components written by hand in WebAssembly text, for attacks a Rust
//! guest cannot play (a Rust guest has exactly one memory). Each is the
//! core module of a mixin at `tests/mixins/<name>/<name>.wat`, with `-`
//! spelled `_` in the file name; it is given the world of
//! `wit/0.1.0/mixin.wit` (the exports it writes by hand are 0.1.0's, which
//! Wharf still serves) and wrapped into a component the way `cargo build`
//! wraps a Rust guest.

use std::path::{Path, PathBuf};

/// Builds the hand-written guest `name` and returns the component's path.
/// Panics, saying what to fix, when the text or the world is wrong.
pub fn wat_guest(name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let file = format!("{}.wat", name.replace('-', "_"));
    let source = root.join("tests/mixins").join(name).join(&file);
    let mut module = wat::parse_file(&source)
        .unwrap_or_else(|e| panic!("{}: not valid WebAssembly text: {e}", source.display()));

    let mut resolve = wit_parser::Resolve::default();
    let wit = root.join("wit/0.1.0");
    let (package, _) = resolve
        .push_path(&wit)
        .unwrap_or_else(|e| panic!("{}: {e:#}", wit.display()));
    let world = resolve
        .select_world(&[package], Some("mixin"))
        .unwrap_or_else(|e| panic!("{}: no world `mixin`: {e:#}", wit.display()));
    wit_component::embed_component_metadata(
        &mut module,
        &resolve,
        world,
        wit_component::StringEncoding::UTF8,
    )
    .unwrap_or_else(|e| panic!("cannot embed the world into {file}: {e:#}"));
    let component = wit_component::ComponentEncoder::default()
        .validate(true)
        .module(&module)
        .and_then(|encoder| encoder.encode())
        .unwrap_or_else(|e| panic!("{file} is not a core module of the mixin world: {e:#}"));

    let dir = crate::guests_target_dir().join("wat");
    std::fs::create_dir_all(&dir).expect("the guests' target directory is writable");
    let path = dir.join(format!("{}.wasm", name.replace('-', "_")));
    // Tests build it side by side: each writes its own file and renames it
    // into place, so none reads another's half-written one.
    let mut staged =
        tempfile::NamedTempFile::new_in(&dir).expect("the guests' target directory is writable");
    std::io::Write::write_all(&mut staged, &component)
        .expect("the guests' target directory is writable");
    staged
        .persist(&path)
        .expect("the guests' target directory is writable");
    path
}
