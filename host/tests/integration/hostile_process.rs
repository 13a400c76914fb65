//! Issue 11, holes 3 and 7, played through the real host with the hostile
//! `hostile-process` component (tests/mixins/hostile-process): a declared
//! program turned into other code through its environment, its PATH or a
//! relative path; a background child outliving its command; a command and a
//! `log` flood past the output cap. Each attack must fail with its own clear
//! error, and the next call must work.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wharf::mixin::{ExecuteGrant, LoadedMixin, MemorySink, MixinError, TrapReason};
use wharf_test_support::{guest_wasm, scratch_dir};

/// The output cap of [`crate::mixin_host::tight_host`].
const MIB: u64 = 1024 * 1024;

async fn hostile() -> (LoadedMixin, MemorySink) {
    let (host, sink) = crate::mixin_host::tight_host(None, Duration::from_secs(5));
    let mixin = host
        .load_file(&guest_wasm("hostile-process"))
        .await
        .expect("hostile-process loads");
    (mixin, sink)
}

fn grant(bundle: &Path, env: &[(&str, String)]) -> ExecuteGrant {
    ExecuteGrant {
        bundle_dir: Some(bundle.to_path_buf()),
        writable: vec![],
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
        guest_env: Vec::new(),
    }
}

fn script(path: &Path, body: &str) {
    std::fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn stdout(outputs: &[wharf::mixin::StepOutput]) -> String {
    let out = outputs.iter().find(|o| o.name == "stdout").expect("stdout");
    String::from_utf8_lossy(&out.value).into_owned()
}

/// Runs `echo still alive`: every attack must leave the mixin usable.
async fn still_works(mixin: &LoadedMixin, bundle: &Path) {
    let step = json!({"do": "run", "program": "echo", "args": ["still alive"]});
    let outputs = mixin
        .execute("install", &step, None, &grant(bundle, &[]))
        .await
        .expect("a plain echo runs after the attack");
    assert_eq!(stdout(&outputs.outputs), "still alive\n");
}

async fn run(mixin: &LoadedMixin, step: Value, grant: &ExecuteGrant) -> Result<String, MixinError> {
    mixin
        .execute("install", &step, None, grant)
        .await
        .map(|result| stdout(&result.outputs))
}

#[tokio::test(flavor = "multi_thread")]
async fn loader_and_interpreter_variables_on_a_declared_program_are_refused() {
    let (mixin, _sink) = hostile().await;
    let bundle = scratch_dir();
    for (name, value) in [
        ("LD_PRELOAD", "/cnab/app/evil.so"),
        ("LD_LIBRARY_PATH", "/cnab/app"),
        ("LD_AUDIT", "/cnab/app/evil.so"),
        ("GCONV_PATH", "/cnab/app"),
        ("BASH_ENV", "/cnab/app/evil.sh"),
        ("ENV", "/cnab/app/evil.sh"),
        ("BASH_FUNC_echo%%", "() { id; }"),
        ("PATH", "/cnab/app/bin"),
        ("PYTHONSTARTUP", "/cnab/app/evil.py"),
        ("NODE_OPTIONS", "--require /cnab/app/evil.js"),
        ("GLIBC_TUNABLES", "glibc.malloc.check=3"),
    ] {
        let step = json!({"do": "run", "program": "echo", "args": ["x"], "env": [[name, value]]});
        let err = run(&mixin, step, &grant(bundle.path(), &[]))
            .await
            .expect_err(name);
        let MixinError::Denied { detail, .. } = &err else {
            panic!("{name}: {err}")
        };
        assert!(
            detail.contains(&format!("may not set `{name}` on `echo`")),
            "{detail}"
        );
        still_works(&mixin, bundle.path()).await;
    }
    // An ordinary variable still reaches the program.
    let step = json!({"do": "run", "program": "sh", "args": ["-c", "echo $GREETING"],
                      "env": [["GREETING", "hello"]]});
    let out = run(&mixin, step, &grant(bundle.path(), &[])).await.unwrap();
    assert_eq!(out, "hello\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_program_planted_in_a_writable_directory_is_never_found() {
    let (mixin, _sink) = hostile().await;
    let bundle = scratch_dir();
    let bin = bundle.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    script(&bin.join("echo"), "echo HIJACKED");
    // Even a PATH granted by the caller does not make the bundle directory
    // (which the mixin can write) a place programs come from.
    let path = format!("{}:/usr/bin:/bin", bin.display());
    let step = json!({"do": "run", "program": "echo", "args": ["real echo"]});
    let out = run(&mixin, step, &grant(bundle.path(), &[("PATH", path)]))
        .await
        .unwrap();
    assert_eq!(out, "real echo\n");
    // The command sees the PATH it was looked up on.
    let step = json!({"do": "run", "program": "sh", "args": ["-c", "echo $PATH"]});
    let path = format!("{}:/tmp:/usr/bin:/bin", bin.display());
    let out = run(&mixin, step, &grant(bundle.path(), &[("PATH", path)]))
        .await
        .unwrap();
    assert_eq!(out, "/usr/bin:/bin\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_relative_program_cannot_come_from_outside_the_bundle_directory() {
    let (mixin, _sink) = hostile().await;
    let root = scratch_dir();
    let bundle = root.path().join("bundle");
    std::fs::create_dir(&bundle).unwrap();
    script(&root.path().join("helper.sh"), "echo ESCAPED");
    script(&bundle.join("helper.sh"), "echo helper");
    // Through a `dir` outside the bundle directory: refused, whether the
    // dir or the program it would resolve is checked first.
    let outside = root.path().to_str().unwrap();
    let escapes = [
        json!({"do": "run", "program": "./helper.sh", "dir": ".."}),
        json!({"do": "run", "program": "./helper.sh", "dir": outside}),
    ];
    for step in escapes {
        let err = run(&mixin, step.clone(), &grant(&bundle, &[]))
            .await
            .unwrap_err();
        let MixinError::Denied { detail, .. } = &err else {
            panic!("{step}: {err}")
        };
        assert!(
            detail.contains("inside the bundle directory"),
            "{step}: {detail}"
        );
        still_works(&mixin, &bundle).await;
    }
    let step = json!({"do": "run", "program": "./helper.sh"});
    assert_eq!(
        run(&mixin, step, &grant(&bundle, &[])).await.unwrap(),
        "helper\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_background_child_does_not_outlive_its_command() {
    let (mixin, _sink) = hostile().await;
    let bundle = scratch_dir();
    let spied = bundle.path().join("spied");
    // The attack: leave a child behind, detached from the pipes, that acts
    // after the step (here it writes a file; it could read a later step's
    // arguments from /proc).
    let detached = format!(
        "(sleep 1; echo spied > {}) </dev/null >/dev/null 2>&1 & echo started",
        spied.display()
    );
    let step = json!({"do": "run", "program": "sh", "args": ["-c", detached]});
    let started = Instant::now();
    let out = run(&mixin, step, &grant(bundle.path(), &[])).await.unwrap();
    assert_eq!(out, "started\n");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "the call waited"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        !spied.exists(),
        "a background child of the command outlived it and acted"
    );
    still_works(&mixin, bundle.path()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_command_over_its_output_cap_is_killed_at_once() {
    let (mixin, _sink) = hostile().await;
    let bundle = scratch_dir();
    // 20 MB against an 8 MiB cap, and then it would linger; before the fix
    // the host waited for it to close its pipes and the call timed out.
    let flood = "head -c 20000000 /dev/zero; sleep 30";
    let step = json!({"do": "run", "program": "sh", "args": ["-c", flood]});
    let started = Instant::now();
    let err = run(&mixin, step, &grant(bundle.path(), &[]))
        .await
        .unwrap_err();
    let MixinError::Failed { message, .. } = &err else {
        panic!("{err}")
    };
    assert!(
        message.contains(&format!("wrote more than {} bytes", 8 * MIB)),
        "{message}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the command was not killed at once: {:?}",
        started.elapsed()
    );
    still_works(&mixin, bundle.path()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_log_flood_is_stopped_by_the_output_cap() {
    let (mixin, sink) = hostile().await;
    let bundle = scratch_dir();
    let step = json!({"do": "log-flood", "mib": 64});
    let err = run(&mixin, step, &grant(bundle.path(), &[]))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            MixinError::Trapped {
                reason: TrapReason::OutputLimit(limit),
                ..
            } if *limit == 8 * MIB
        ),
        "{err}"
    );
    let logged: usize = sink.snapshot().logs.iter().map(|(_, m)| m.len()).sum();
    assert!(logged as u64 <= 8 * MIB, "{logged} bytes were logged");
    still_works(&mixin, bundle.path()).await;
}
