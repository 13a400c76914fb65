//! End-to-end tests of the `wharf` binary's commands that need no Docker, each with its
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
    assert_eq!(v["mixinWorld"], "wharf:mixin@0.2.0");
    assert_eq!(
        v["mixinWorlds"],
        serde_json::json!(["wharf:mixin@0.2.0", "wharf:mixin@0.1.0"])
    );
}

/// The names in `mixins list -o json`, in its order.
fn mixin_names(list: &serde_json::Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect()
}

/// Every official mixin is built in: a fresh home with no registry lists
/// all five with their versions and digests, and each answers.
#[test]
fn every_official_mixin_is_available_out_of_the_box() {
    let home = scratch_dir();
    let list = ok_json(home.path(), &["mixins", "list", "-o", "json"]);
    let names = mixin_names(&list);
    assert_eq!(
        names,
        ["docker", "exec", "helm3", "kubernetes", "terraform"]
    );
    for mixin in list.as_array().unwrap() {
        assert_eq!(mixin["source"], "built-in", "{mixin}");
        assert!(
            mixin["digest"].as_str().unwrap().starts_with("sha256:"),
            "{mixin}"
        );
        assert!(!mixin["version"].as_str().unwrap().is_empty(), "{mixin}");
        assert_eq!(mixin["worldVersion"], "0.2.0", "{mixin}");
        let name = mixin["name"].as_str().unwrap();
        let schema = ok_json(home.path(), &["mixins", "schema", name]);
        assert!(schema["definitions"]["installStep"].is_object(), "{name}");
    }

    let table = wharf(home.path(), &["mixins", "list"]);
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(text.starts_with("NAME"), "{text}");
    assert!(
        text.contains("terraform") && text.contains("built-in"),
        "{text}"
    );
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
    let names = mixin_names(&list);
    assert_eq!(
        names,
        [
            "docker",
            "exec",
            "helm3",
            "kubernetes",
            "misbehave",
            "terraform"
        ]
    );
    let installed = &list[4];
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
    assert_eq!(list.as_array().unwrap().len(), 5, "the built-in ones stay");
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
    assert!(
        err.contains("wharf:mixin@9.0.0") && err.contains("0.2.0 and 0.1.0"),
        "both sides' versions: {err}"
    );
}

fn conformance() -> std::path::PathBuf {
    std::env::var_os("WHARF_CONFORMANCE_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance")
        })
}

#[test]
fn lint_reports_the_corpus_lint_error_as_porter_does() {
    let home = scratch_dir();
    let manifest = conformance().join("porter-manifests/porter__tests__integration__testdata__bundles__bundle-with-lint-error__porter.yaml");
    let out = wharf(
        home.path(),
        &["lint", "-f", manifest.to_str().unwrap(), "-o", "json"],
    );
    assert!(!out.status.success(), "lint exits non-zero on errors");
    let findings: Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<(&str, &str)> = findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["code"].as_str().unwrap(), f["level"].as_str().unwrap()))
        .collect();
    assert_eq!(codes, [("exec-100", "warning"), ("exec-101", "error")]);
    assert_eq!(
        findings[1]["location"]["line"], 13,
        "the finding points at the step"
    );
    assert_eq!(findings[1]["location"]["field"], "install[0].exec");
    let plain = wharf(home.path(), &["lint", "-f", manifest.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&plain.stdout);
    assert!(text.contains(":13:5: error exec-101: install[0].exec: The bash -c flag argument must be wrapped in quotes"), "{text}");
}

#[test]
fn schema_merges_installed_mixins_and_validates_a_manifest() {
    let home = scratch_dir();
    let wasm = guest_wasm("runlines");
    assert!(
        wharf(home.path(), &["mixins", "install", wasm.to_str().unwrap()])
            .status
            .success()
    );
    let schema = ok_json(home.path(), &["schema"]);
    jsonschema::draft7::meta::validate(&schema).expect("the schema is valid draft-07");
    for key in [
        "exec.installStep",
        "exec.exec",
        "runlines.installStep",
        "runlines.config",
    ] {
        assert!(schema["definitions"][key].is_object(), "missing {key}");
    }
    let good = serde_json::json!({
        "schemaVersion": "1.0.1", "name": "x", "version": "0.1.0",
        "mixins": ["exec", {"runlines": {"marker": "m"}}],
        "install": [{"exec": {"description": "d", "command": "echo"}}],
        "status": [{"runlines": {"message": "hi"}}]
    });
    assert!(jsonschema::draft7::is_valid(&schema, &good));
    // As the parser reads it: no version is fine (`build --version`), a
    // credential's type and the deprecated tag are ignored, and a
    // schemaVersion is required.
    let mut lenient = good.clone();
    lenient.as_object_mut().unwrap().remove("version");
    lenient["tag"] = "example.com/x:v1".into();
    lenient["credentials"] = serde_json::json!([{"name": "t", "type": "string", "env": "T"}]);
    assert!(jsonschema::draft7::is_valid(&schema, &lenient));
    let mut unversioned = good.clone();
    unversioned.as_object_mut().unwrap().remove("schemaVersion");
    assert!(!jsonschema::draft7::is_valid(&schema, &unversioned));
    let bad = serde_json::json!({"schemaVersion": "1.0.1", "name": "x", "version": "0.1.0", "install": [{"exec": {"description": "d", "comand": "echo"}}]});
    assert!(
        !jsonschema::draft7::is_valid(&schema, &bad),
        "a typo'd exec field fails"
    );
}

#[test]
fn explain_names_missing_mixins_and_prints_json() {
    let home = scratch_dir();
    // Porter's helm3 example, given the schemaVersion Porter v1 needs.
    let example = conformance().join("porter-manifests/helm3-mixin__example__porter.yaml");
    let text = std::fs::read_to_string(example).unwrap();
    let bundle = scratch_dir();
    let manifest = bundle.path().join("porter.yaml");
    std::fs::write(&manifest, format!("schemaVersion: 1.0.0-alpha.1\n{text}")).unwrap();
    let explained = ok_json(
        home.path(),
        &["explain", "-f", manifest.to_str().unwrap(), "-o", "json"],
    );
    assert!(
        explained.get("missingMixins").is_none(),
        "helm3 is built in: {explained}"
    );
    // The same bundle for a mixin Wharf does not ship.
    let text = text.replace("helm3", "az");
    std::fs::write(&manifest, format!("schemaVersion: 1.0.0-alpha.1\n{text}")).unwrap();
    let explained = ok_json(
        home.path(),
        &["explain", "-f", manifest.to_str().unwrap(), "-o", "json"],
    );
    assert_eq!(explained["missingMixins"], serde_json::json!(["az"]));
    assert!(
        explained["customActions"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    );
    let yaml = wharf(
        home.path(),
        &["explain", "-f", manifest.to_str().unwrap(), "-o", "yaml"],
    );
    assert!(String::from_utf8_lossy(&yaml.stdout).contains("missingMixins:\n  - az"));
}

#[test]
fn a_reader_that_stops_reading_gets_a_quiet_exit() {
    let home = scratch_dir();
    for args in [
        &["version", "-o", "json"][..],
        &["installations", "list", "-o", "json"],
        &["mixins", "list", "-o", "yaml"],
    ] {
        // A pipe whose reader is already gone, as after `| head -1`:
        // every write to it fails with a broken pipe.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = Command::new(env!("CARGO_BIN_EXE_wharf"))
            .args(args)
            .env("WHARF_HOME", home.path())
            .stdout(writer)
            .stderr(std::process::Stdio::piped())
            .output()
            .expect("wharf runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.is_empty(),
            "wharf {args:?} wrote to stderr: {stderr}"
        );
        // The reader chose to stop: not a failure.
        assert_eq!(out.status.code(), Some(0), "wharf {args:?}");
    }
}
