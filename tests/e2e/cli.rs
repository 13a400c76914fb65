//! End-to-end tests of the `wharf` binary's mixin commands, each with its
//! own empty `WHARF_HOME`.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use wharf_test_support::{guest_wasm, scratch_dir};

fn wharf(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wharf"))
        .args(args)
        .env("WHARF_HOME", home)
        .output()
        .expect("wharf runs")
}

fn ok_json(home: &Path, args: &[&str]) -> Value {
    let out = wharf(home, args);
    assert!(
        out.status.success(),
        "wharf {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("wharf {args:?} printed no JSON: {e}"))
}

#[test]
fn version_reports_the_mixin_world() {
    let home = scratch_dir();
    let v = ok_json(home.path(), &["version", "-o", "json"]);
    assert_eq!(v["name"], "wharf");
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(v["mixinWorld"], "wharf:mixin@0.1.0");
}

#[test]
fn exec_is_available_out_of_the_box() {
    let home = scratch_dir();
    let list = ok_json(home.path(), &["mixins", "list", "-o", "json"]);
    let exec = &list.as_array().unwrap()[0];
    assert_eq!(exec["name"], "exec");
    assert_eq!(exec["source"], "built-in");
    assert!(exec["digest"].as_str().unwrap().starts_with("sha256:"));
    let schema = ok_json(home.path(), &["mixins", "schema", "exec"]);
    assert!(schema["definitions"]["installStep"].is_object());

    let table = wharf(home.path(), &["mixins", "list"]);
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(text.starts_with("NAME"), "{text}");
    assert!(text.contains("exec") && text.contains("built-in"), "{text}");
}

#[test]
fn installed_mixins_are_listed_with_their_source_and_digest() {
    let home = scratch_dir();
    let wasm = guest_wasm("misbehave");
    let out = wharf(home.path(), &["mixins", "install", wasm.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = ok_json(home.path(), &["mixins", "list", "-o", "json"]);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["exec", "misbehave"]);
    let installed = &list[1];
    assert_eq!(installed["version"], "0.0.1");
    assert!(
        installed["source"]
            .as_str()
            .unwrap()
            .ends_with("misbehave.wasm")
    );
    assert!(home.path().join("mixins/misbehave/mixin.wasm").exists());

    let out = wharf(home.path(), &["mixins", "uninstall", "misbehave"]);
    assert!(out.status.success());
    let list = ok_json(home.path(), &["mixins", "list", "-o", "json"]);
    assert_eq!(list.as_array().unwrap().len(), 1);
}

#[test]
fn bad_input_gets_a_clear_error_and_a_failing_exit_code() {
    let home = scratch_dir();
    let out = wharf(home.path(), &["mixins", "schema", "nosuch"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the nosuch mixin is not installed"), "{err}");

    let not_wasm = home.path().join("notes.wasm");
    std::fs::write(&not_wasm, "plain text").unwrap();
    let out = wharf(
        home.path(),
        &["mixins", "install", not_wasm.to_str().unwrap()],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is not a WebAssembly component"), "{err}");
    assert!(!home.path().join("mixins").join("notes").exists());

    let future = guest_wasm("future-world");
    let out = wharf(
        home.path(),
        &["mixins", "install", future.to_str().unwrap()],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("wharf:mixin@0.2.0"), "{err}");
}
