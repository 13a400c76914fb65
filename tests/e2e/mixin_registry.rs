//! End-to-end tests of mixins as Wasm artifacts in a real registry
//! (distribution 2.8 on loopback): `wharf mixins publish`, and `install` by
//! tag, by digest and by `NAME@VERSION`, each into its own `WHARF_HOME`.
//! Docker's config is pointed at an empty directory so the machine's
//! credentials and helpers play no part.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use sha2::{Digest as _, Sha256};
use wharf_test_support::registry::TestRegistry;
use wharf_test_support::{guest_wasm, scratch_dir};

struct Ran {
    success: bool,
    stdout: String,
    stderr: String,
}

/// Runs `wharf` with its own home and an empty Docker config.
fn wharf(home: &Path, envs: &[(&str, &str)], args: &[&str]) -> Ran {
    let docker_config = home.join("docker-config");
    std::fs::create_dir_all(&docker_config).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_wharf"))
        .args(args)
        .env("WHARF_HOME", home)
        .env("DOCKER_CONFIG", &docker_config)
        .env_remove("WHARF_MIXIN_NAMESPACE")
        .envs(envs.iter().copied())
        .output()
        .expect("wharf runs");
    Ran {
        success: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[track_caller]
fn ok(home: &Path, envs: &[(&str, &str)], args: &[&str]) -> String {
    let ran = wharf(home, envs, args);
    assert!(
        ran.success,
        "wharf {args:?} failed:\n{}\n{}",
        ran.stdout, ran.stderr
    );
    ran.stdout
}

#[track_caller]
fn fails(home: &Path, args: &[&str]) -> String {
    let ran = wharf(home, &[], args);
    assert!(!ran.success, "wharf {args:?} should fail:\n{}", ran.stdout);
    ran.stderr
}

fn exec_wasm() -> PathBuf {
    guest_wasm("exec")
}

fn sha256_of(path: &Path) -> String {
    format!(
        "sha256:{}",
        hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
    )
}

/// Publishes the exec component at `reference`; returns the manifest digest.
fn publish(reference: &str) -> String {
    publish_with(reference, &[])
}

fn publish_with(reference: &str, envs: &[(&str, &str)]) -> String {
    let home = scratch_dir();
    let wasm = exec_wasm();
    let out = ok(
        home.path(),
        envs,
        &[
            "mixins",
            "publish",
            wasm.to_str().unwrap(),
            "--reference",
            reference,
        ],
    );
    assert!(out.contains(&format!("to {reference}")), "{out}");
    let digest = out
        .lines()
        .find_map(|l| l.strip_prefix("digest: "))
        .unwrap_or_else(|| panic!("publish printed no digest:\n{out}"))
        .to_string();
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "{digest}"
    );
    digest
}

/// The installed (not built-in) exec mixin's record.
fn installed_exec(home: &Path) -> Value {
    let list: Value = serde_json::from_str(&ok(home, &[], &["mixins", "list", "-o", "json"]))
        .expect("list prints JSON");
    list.as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "exec")
        .cloned()
        .expect("exec is listed")
}

/// The entries of a home's blob cache.
fn cached_blobs(home: &Path) -> Vec<String> {
    match std::fs::read_dir(home.join("cache/blobs/sha256")) {
        Ok(entries) => entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn published_mixins_install_by_tag_and_by_digest_and_from_the_cache() {
    let mut registry = TestRegistry::start();
    let repo = format!("{}/mixins/exec", registry.host());
    let tagged = format!("{repo}:1.0.0");
    let digest = publish(&tagged);
    let component = sha256_of(&exec_wasm());

    let by_tag = scratch_dir();
    ok(by_tag.path(), &[], &["mixins", "install", &tagged]);
    let record = installed_exec(by_tag.path());
    assert_eq!(record["source"], tagged.as_str());
    assert_eq!(record["manifestDigest"], digest.as_str());
    assert_eq!(record["digest"], component.as_str());

    let pinned = format!("{repo}@{digest}");
    let by_digest = scratch_dir();
    ok(by_digest.path(), &[], &["mixins", "install", &pinned]);
    let record = installed_exec(by_digest.path());
    assert_eq!(record["source"], pinned.as_str());
    assert_eq!(record["manifestDigest"], digest.as_str());
    let mut cached = cached_blobs(by_digest.path());
    cached.sort();
    let mut expected = vec![digest[7..].to_string(), component[7..].to_string()];
    expected.sort();
    assert_eq!(
        cached, expected,
        "the manifest and the component are cached"
    );

    let table = ok(by_digest.path(), &[], &["mixins", "list"]);
    assert!(
        table.contains(&pinned) && table.contains(&digest),
        "{table}"
    );

    // With the registry down, a pinned and cached mixin still installs;
    // anything that needs the registry says it cannot reach it.
    registry.stop();
    ok(by_digest.path(), &[], &["mixins", "install", &pinned]);
    let err = fails(by_tag.path(), &["mixins", "install", &tagged]);
    assert!(
        err.contains(&format!("{repo}: connection refused"))
            && err.contains("is the registry running"),
        "{err}"
    );

    registry.start_again();
    ok(by_tag.path(), &[], &["mixins", "install", &tagged]);
    ok(by_tag.path(), &[], &["mixins", "uninstall", "exec"]);
    assert_eq!(installed_exec(by_tag.path())["source"], "built-in");
}

#[test]
fn versions_resolve_through_the_mixin_namespace() {
    let registry = TestRegistry::start();
    let namespace = format!("{}/mixins", registry.host());
    for tag in ["1.0.0", "1.2.0", "v2.0.0-rc.1"] {
        publish(&format!("{namespace}/exec:{tag}"));
    }
    let env = [("WHARF_MIXIN_NAMESPACE", namespace.as_str())];
    let home = scratch_dir();
    for (request, tag) in [
        ("exec@1.0.0", "1.0.0"),
        ("exec@^1", "1.2.0"),
        ("exec@>=1, <1.2", "1.0.0"),
        ("exec@~1.2", "1.2.0"),
        ("exec", "1.2.0"),
        ("exec@^2.0.0-rc.0", "v2.0.0-rc.1"),
    ] {
        ok(home.path(), &env, &["mixins", "install", request]);
        let source = installed_exec(home.path())["source"].clone();
        assert_eq!(
            source,
            format!("{namespace}/exec:{tag}").as_str(),
            "{request}"
        );
    }
    let ran = wharf(home.path(), &env, &["mixins", "install", "exec@^3"]);
    assert!(!ran.success);
    assert!(
        ran.stderr.contains("no version of the exec mixin") && ran.stderr.contains("1.2.0"),
        "{}",
        ran.stderr
    );
    let ran = wharf(home.path(), &env, &["mixins", "install", "nothere@1.0.0"]);
    assert!(!ran.success);
    assert!(
        ran.stderr.contains(&format!("{namespace}/nothere")) && ran.stderr.contains("not found"),
        "{}",
        ran.stderr
    );
}

#[test]
fn a_tampered_blob_is_refused_and_nothing_is_cached() {
    let registry = TestRegistry::start();
    let tagged = format!("{}/mixins/exec:1.0.0", registry.host());
    publish(&tagged);
    let component = sha256_of(&exec_wasm());
    let blob = registry.blob_path(&component);
    let mut bytes = std::fs::read(&blob).expect("the component blob is in the storage");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&blob, &bytes).unwrap();

    let home = scratch_dir();
    let err = fails(home.path(), &["mixins", "install", &tagged]);
    assert!(
        err.contains(&format!("blob {component}")) && err.contains("does not match its digest"),
        "{err}"
    );
    assert!(err.contains("tampered"), "{err}");
    assert_eq!(cached_blobs(home.path()), Vec::<String>::new());
    assert_eq!(installed_exec(home.path())["source"], "built-in");
}

#[test]
fn publishing_is_reproducible_with_source_date_epoch() {
    let registry = TestRegistry::start();
    let epoch = [("SOURCE_DATE_EPOCH", "1700000000")];
    let first = publish_with(&format!("{}/mixins/exec:a", registry.host()), &epoch);
    let second = publish_with(&format!("{}/mixins/exec:b", registry.host()), &epoch);
    assert_eq!(first, second);
}

#[test]
fn bad_references_and_files_are_clear_errors() {
    let registry = TestRegistry::start();
    let home = scratch_dir();
    let wasm = exec_wasm();
    let err = fails(
        home.path(),
        &[
            "mixins",
            "publish",
            wasm.to_str().unwrap(),
            "--reference",
            "Not/A Reference!",
        ],
    );
    assert!(err.contains("is not an OCI reference"), "{err}");
    let err = fails(
        home.path(),
        &["mixins", "install", "127.0.0.1:1/UPPER/case"],
    );
    assert!(err.contains("is not an OCI reference"), "{err}");
    let err = fails(home.path(), &["mixins", "install", "./missing.wasm"]);
    assert!(err.contains("./missing.wasm is not a file"), "{err}");
    let err = fails(home.path(), &["mixins", "install", "exec@not-a-version"]);
    assert!(err.contains("is not a version or a version range"), "{err}");

    let text = home.path().join("notes.wasm");
    std::fs::write(&text, "not wasm").unwrap();
    let reference = format!("{}/mixins/notes:1.0.0", registry.host());
    fails(
        home.path(),
        &[
            "mixins",
            "publish",
            text.to_str().unwrap(),
            "--reference",
            &reference,
        ],
    );
    let err = fails(home.path(), &["mixins", "install", &reference]);
    assert!(err.contains("not found"), "{err}");
}

/// `scripts/publish-mixins` publishes the five official mixins, each at
/// its own version. With the namespace pointed at that registry, `mixins
/// install terraform` pulls the published one, and a bundle that pins exec
/// by the digest the script printed builds with that exact artifact and
/// runs. Where nothing is published, `mixins install` says so and uses the
/// built-in mixin.
#[test]
fn the_official_mixins_publish_with_the_script_and_a_bundle_pins_one_by_digest() {
    use wharf_test_support::cli::{Wharf as Operator, busybox_bundle};
    let registry = TestRegistry::start();
    let namespace = format!("{}/wharf-mixins", registry.host());
    let home = scratch_dir();
    let docker_config = home.path().join("docker-config");
    std::fs::create_dir_all(&docker_config).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/publish-mixins");
    let out = Command::new(&script)
        .arg(&namespace)
        .env("WHARF", env!("CARGO_BIN_EXE_wharf"))
        .env("DOCKER_CONFIG", &docker_config)
        .env_remove("WHARF_HOME")
        .output()
        .expect("scripts/publish-mixins runs");
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{printed}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // "published the NAME mixin vVERSION to REFERENCE", then "digest: ...".
    let mut published = std::collections::BTreeMap::new();
    let mut lines = printed.lines();
    while let Some(line) = lines.next() {
        if let Some(rest) = line.strip_prefix("published the ") {
            let name = rest.split(' ').next().unwrap().to_string();
            let reference = rest.rsplit(' ').next().unwrap().to_string();
            let digest = lines
                .next()
                .and_then(|l| l.strip_prefix("digest: "))
                .unwrap_or_else(|| panic!("no digest after {line}:\n{printed}"))
                .to_string();
            published.insert(name, (reference, digest));
        }
    }
    let names: Vec<&str> = published.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        ["docker", "exec", "helm3", "kubernetes", "terraform"],
        "{printed}"
    );
    let builtin: Value =
        serde_json::from_str(&ok(home.path(), &[], &["mixins", "list", "-o", "json"])).unwrap();
    for mixin in builtin.as_array().unwrap() {
        let name = mixin["name"].as_str().unwrap();
        let version = mixin["version"].as_str().unwrap();
        assert_eq!(
            published[name].0,
            format!("{namespace}/{name}:{version}"),
            "published at the version the built-in one has"
        );
    }

    // Installed by name from the namespace.
    let env = [("WHARF_MIXIN_NAMESPACE", namespace.as_str())];
    let installing = scratch_dir();
    ok(installing.path(), &env, &["mixins", "install", "terraform"]);
    let list: Value = serde_json::from_str(&ok(
        installing.path(),
        &env,
        &["mixins", "list", "-o", "json"],
    ))
    .unwrap();
    let terraform = list
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "terraform")
        .unwrap();
    assert_eq!(terraform["source"], published["terraform"].0.as_str());
    assert_eq!(
        terraform["manifestDigest"],
        published["terraform"].1.as_str()
    );

    // A bundle pins exec by digest, builds with it and runs.
    let docker = wharf_test_support::docker::ensure_docker();
    let exec_digest = &published["exec"].1;
    let bundle = busybox_bundle(
        "pinned-by-digest",
        "install:\n  - exec:\n      command: echo\n      arguments: [pinned]\n\
         upgrade:\n  - exec:\n      command: echo\n      arguments: [again]\n\
         uninstall:\n  - exec:\n      command: echo\n      arguments: [bye]\n",
        &[],
    );
    let manifest = bundle.path().join("porter.yaml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace("  - exec\n", &format!("  - exec@{exec_digest}\n")),
    )
    .unwrap();
    let mut operator = Operator::new(env!("CARGO_BIN_EXE_wharf"), bundle.path());
    operator.with_docker_host(docker.docker_host());
    operator.run_with_env(&["build"], &env).ok();
    let lock = std::fs::read_to_string(bundle.path().join("wharf.lock")).unwrap();
    let lock: Value = serde_json::from_str(&lock).unwrap();
    assert_eq!(
        lock["mixins"]["exec"]["reference"],
        format!("{namespace}/exec@{exec_digest}").as_str(),
        "{lock}"
    );
    assert_eq!(lock["mixins"]["exec"]["manifest"], exec_digest.as_str());
    operator.run_with_env(&["install", "pinned"], &env).ok();

    // Nothing published in this namespace: the built-in helm3 is used.
    let empty = [("WHARF_MIXIN_NAMESPACE", "127.0.0.1:1/nothing")];
    let said = ok(
        scratch_dir().path(),
        &empty,
        &["mixins", "install", "helm3"],
    );
    assert!(
        said.contains("built-in helm3 mixin") && said.contains("127.0.0.1:1/nothing/helm3"),
        "{said}"
    );
    let ran = wharf(
        scratch_dir().path(),
        &empty,
        &["mixins", "install", "helm3@99.0.0"],
    );
    assert!(
        !ran.success,
        "the built-in one is not 99.0.0: {}",
        ran.stdout
    );
}
