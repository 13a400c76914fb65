//! The mixin host against real components: the built-in exec mixin and the
//! test-only mixins in `tests/mixins/`, each breaking one sandbox rule.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use wharf::mixin::{
    ActionSteps, BUILTIN_EXEC, BuildInput, CacheOutcome, CallLimits, ExecuteGrant, HostConfig,
    Level, Limits, LoadedMixin, MemorySink, MixinError, MixinHost, TrapReason,
};
use wharf_test_support::{guest_wasm, scratch_dir};

const MIB: u64 = 1024 * 1024;

/// A host with tight limits so the misbehaving mixins are stopped quickly,
/// and a sink the test can read.
fn host_with(cache_dir: Option<std::path::PathBuf>) -> (MixinHost, MemorySink) {
    tight_host(cache_dir, Duration::from_secs(3))
}

/// [`host_with`] with its own deadline; the hostile-mixin tests use it too.
pub(crate) fn tight_host(
    cache_dir: Option<std::path::PathBuf>,
    timeout: Duration,
) -> (MixinHost, MemorySink) {
    let sink = MemorySink::default();
    let limits = CallLimits {
        timeout,
        memory_bytes: 256 * MIB,
        output_bytes: 8 * MIB,
    };
    let host = MixinHost::new(HostConfig {
        cache_dir,
        limits: Limits {
            pure: limits,
            execute: limits,
        },
        sink: Arc::new(sink.clone()),
    })
    .expect("host starts");
    (host, sink)
}

async fn exec(host: &MixinHost) -> LoadedMixin {
    host.load("built-in exec", BUILTIN_EXEC.to_vec())
        .await
        .expect("exec loads")
}

async fn misbehave(host: &MixinHost) -> LoadedMixin {
    host.load_file(&guest_wasm("misbehave"))
        .await
        .expect("misbehave loads")
}

fn grant(dir: &std::path::Path) -> ExecuteGrant {
    ExecuteGrant {
        bundle_dir: Some(dir.to_path_buf()),
        writable: vec![],
        env: vec![],
        guest_env: Vec::new(),
    }
}

fn text(outputs: &[wharf::mixin::StepOutput], name: &str) -> String {
    let output = outputs
        .iter()
        .find(|o| o.name == name)
        .unwrap_or_else(|| panic!("no output {name} in {outputs:?}"));
    String::from_utf8(output.value.clone()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn exec_answers_every_export() {
    let (host, _sink) = host_with(None);
    let exec = exec(&host).await;

    let meta = exec.metadata();
    assert_eq!(meta.name, "exec");
    assert_eq!(meta.programs, ["*"]);
    assert_eq!(meta.world_version, wharf::mixin::WORLD_VERSION);

    let schema = exec.schema().await.unwrap();
    jsonschema::draft7::meta::validate(&schema)
        .expect("exec's schema is valid draft-07 JSON Schema");
    let steps = json!({
        "install": [{"exec": {"description": "hi", "command": "echo", "arguments": ["hi"]}}],
        "status": [{"exec": {"description": "s", "command": "true"}}]
    });
    assert!(
        jsonschema::draft7::is_valid(&schema, &steps),
        "a valid exec step passes the schema"
    );
    let typo = json!({"install": [{"exec": {"description": "hi", "comand": "echo"}}]});
    assert!(
        !jsonschema::draft7::is_valid(&schema, &typo),
        "a typo'd field fails the schema"
    );

    let input = BuildInput {
        config: None,
        actions: vec![ActionSteps {
            action: "install".into(),
            steps: vec![
                json!({"description": "bad", "command": "bash", "flags": {"c": "echo hi"}}),
            ],
        }],
    };
    assert!(
        exec.build(&input, None).await.unwrap().is_empty(),
        "exec's build emits no lines"
    );
    let findings = exec.lint(&input, None).await.unwrap();
    let codes: Vec<_> = findings
        .iter()
        .map(|f| (f.code.as_str(), f.level))
        .collect();
    assert_eq!(
        codes,
        [("exec-100", Level::Warning), ("exec-101", Level::Error)]
    );

    // bash would brace-expand an unquoted {"a":[1,2]}, so the script quotes
    // the JSON it prints; the outer single quotes are Porter's word grouping.
    let dir = scratch_dir();
    let step = json!({
        "description": "print json",
        "command": "bash",
        "flags": {"c": r#"'echo "{\"a\":[1,2]}"'"#},
        "outputs": [{"name": "x", "jsonPath": "$.a"}]
    });
    let outputs = exec
        .execute("install", &step, None, &grant(dir.path()))
        .await
        .map(|r| r.outputs)
        .unwrap();
    assert_eq!(text(&outputs, "x"), "[1,2]");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_sandbox_violation_fails_clearly_and_the_host_carries_on() {
    let (host, _sink) = host_with(None);
    let mixin = misbehave(&host).await;
    let dir = scratch_dir();
    let call = |what: &str| json!({"do": what, "message": "still alive"});

    let still_works = async |mixin: &LoadedMixin| {
        let outputs = mixin
            .execute("install", &call("echo"), None, &grant(dir.path()))
            .await
            .map(|r| r.outputs)
            .unwrap();
        assert_eq!(text(&outputs, "echoed"), "still alive\n");
    };
    still_works(&mixin).await;

    // Reads a file outside its sandbox: in the mixin's view it does not exist.
    let err = mixin
        .execute("install", &call("read-passwd"), None, &grant(dir.path()))
        .await
        .map(|r| r.outputs)
        .unwrap_err();
    let MixinError::Failed { message, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(
        message,
        "cannot read /etc/passwd: No such file or directory (os error 44)"
    );
    still_works(&mixin).await;

    // Runs a program it did not declare.
    let err = mixin
        .execute("install", &call("run-undeclared"), None, &grant(dir.path()))
        .await
        .map(|r| r.outputs)
        .unwrap_err();
    let MixinError::Denied { detail, .. } = &err else {
        panic!("{err}")
    };
    assert!(
        detail.contains("`cat`") && detail.contains("`echo`, `head`"),
        "{detail}"
    );
    still_works(&mixin).await;

    // Calls run-command at build time.
    let err = mixin.build(&BuildInput::default(), None).await.unwrap_err();
    let MixinError::Denied { detail, .. } = &err else {
        panic!("{err}")
    };
    assert!(detail.contains("during build"), "{detail}");
    still_works(&mixin).await;

    // Loops forever.
    let started = std::time::Instant::now();
    let err = mixin
        .execute("install", &call("loop"), None, &grant(dir.path()))
        .await
        .map(|r| r.outputs)
        .unwrap_err();
    assert!(
        matches!(
            &err,
            MixinError::Trapped {
                reason: TrapReason::Timeout(_),
                ..
            }
        ),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the deadline stopped the loop"
    );
    still_works(&mixin).await;

    // Allocates 2 GiB.
    let err = mixin
        .execute("install", &call("alloc"), None, &grant(dir.path()))
        .await
        .map(|r| r.outputs)
        .unwrap_err();
    let MixinError::Trapped {
        reason: TrapReason::MemoryLimit { limit, requested },
        ..
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!(*limit, 256 * MIB);
    assert!(requested > limit, "{err}");
    still_works(&mixin).await;

    // Prints 200 MB.
    let err = mixin
        .execute("install", &call("print"), None, &grant(dir.path()))
        .await
        .map(|r| r.outputs)
        .unwrap_err();
    assert!(
        matches!(&err, MixinError::Trapped { reason: TrapReason::OutputLimit(limit), .. } if *limit == 8 * MIB),
        "{err}"
    );
    still_works(&mixin).await;

    // Runs a command that prints 200 MB: the command is stopped, not buffered.
    let err = mixin
        .execute("install", &call("command-flood"), None, &grant(dir.path()))
        .await
        .map(|r| r.outputs)
        .unwrap_err();
    let MixinError::Failed { message, .. } = &err else {
        panic!("{err}")
    };
    assert!(message.contains("more than 8388608 bytes"), "{message}");
    still_works(&mixin).await;

    // Panics.
    let err = mixin
        .execute("install", &call("panic"), None, &grant(dir.path()))
        .await
        .map(|r| r.outputs)
        .unwrap_err();
    let MixinError::Trapped {
        reason: TrapReason::Panic(message),
        ..
    } = &err
    else {
        panic!("{err}")
    };
    assert!(
        message.contains("deliberate panic: still alive"),
        "{message}"
    );
    still_works(&mixin).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_component_for_another_world_version_is_refused_by_name() {
    let (host, _sink) = host_with(None);
    let path = guest_wasm("future-world");
    let err = host
        .load_file(&path)
        .await
        .err()
        .expect("the future world must be refused");
    let MixinError::IncompatibleWorld {
        found, supported, ..
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!(found, "wharf:mixin@9.0.0");
    assert_eq!(*supported, "0.2.0 and 0.1.0");
    let said = err.to_string();
    assert!(
        said.contains("was built for wharf:mixin@9.0.0")
            && said.contains("built for wharf:mixin 0.2.0 and 0.1.0")
            && said.contains("rebuild the mixin"),
        "{said}"
    );
    // The host is unaffected.
    exec(&host).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn files_that_are_not_components_are_named_as_such() {
    let (host, _sink) = host_with(None);
    let core_module = b"\0asm\x01\0\0\0".to_vec();
    let err = host.load("core.wasm", core_module).await.err().unwrap();
    let MixinError::NotAComponent { detail, .. } = &err else {
        panic!("{err}")
    };
    assert!(detail.contains("core WebAssembly module"), "{detail}");

    let err = host
        .load("notes.txt", b"hello, I am text".to_vec())
        .await
        .err()
        .unwrap();
    let MixinError::NotAComponent { detail, .. } = &err else {
        panic!("{err}")
    };
    assert!(detail.contains("magic bytes"), "{detail}");

    let mut truncated = BUILTIN_EXEC[..BUILTIN_EXEC.len() / 2].to_vec();
    truncated.extend_from_slice(b"garbage");
    let err = host.load("truncated.wasm", truncated).await.err().unwrap();
    assert!(matches!(err, MixinError::NotAComponent { .. }), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_load_uses_the_compiled_cache() {
    let cache = scratch_dir();
    let cache_dir = cache.path().to_path_buf();

    let (first, _) = host_with(Some(cache_dir.clone()));
    let loaded = exec(&first).await;
    assert_eq!(loaded.cache_outcome(), CacheOutcome::Compiled);
    assert_eq!(exec(&first).await.cache_outcome(), CacheOutcome::InMemory);
    let entry = first.cache_entry(loaded.digest()).unwrap();
    assert!(entry.exists(), "compiling wrote {}", entry.display());

    // A new host is a new process as far as wasmtime is concerned.
    let (second, _) = host_with(Some(cache_dir.clone()));
    assert_eq!(exec(&second).await.cache_outcome(), CacheOutcome::Cached);

    // A damaged entry is recompiled, not trusted.
    let mut bytes = std::fs::read(&entry).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&entry, &bytes).unwrap();
    let (third, _) = host_with(Some(cache_dir.clone()));
    let reloaded = exec(&third).await;
    assert_eq!(reloaded.cache_outcome(), CacheOutcome::Recompiled);
    let schema = reloaded.schema().await.unwrap();
    assert!(schema["definitions"]["exec"].is_object());
    let (fourth, _) = host_with(Some(cache_dir));
    assert_eq!(exec(&fourth).await.cache_outcome(), CacheOutcome::Cached);
}

#[tokio::test(flavor = "multi_thread")]
async fn commands_get_only_the_granted_environment() {
    // The test process's own environment is what must not leak. It is
    // never set here: this binary's tests share one process, and setting a
    // variable while other threads start processes is a data race.
    let host_only: Vec<String> = std::env::vars_os()
        .map(|(name, _)| name.to_string_lossy().into_owned())
        .filter(|name| !["FROM_STEP", "GRANTED", "PATH"].contains(&name.as_str()))
        .collect();
    assert!(
        !host_only.is_empty(),
        "the test process needs a variable of its own to show none leaks"
    );
    let (host, _sink) = host_with(None);
    let exec = exec(&host).await;
    let dir = scratch_dir();
    let step = json!({
        "description": "env",
        "command": "env",
        "envs": {"FROM_STEP": "step"},
        "suppress-output": true,
        "outputs": [{"name": "env", "regex": "(?m)^(\\w+)="}]
    });
    let grant = ExecuteGrant {
        bundle_dir: Some(dir.path().to_path_buf()),
        writable: vec![],
        env: vec![("GRANTED".into(), "yes".into())],
        guest_env: Vec::new(),
    };
    let outputs = exec
        .execute("install", &step, None, &grant)
        .await
        .map(|r| r.outputs)
        .unwrap();
    let mut names: Vec<String> = text(&outputs, "env").lines().map(String::from).collect();
    names.sort();
    assert_eq!(names, ["FROM_STEP", "GRANTED", "PATH"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn output_streams_to_the_sink_unless_suppressed() {
    let (host, sink) = host_with(None);
    let exec = exec(&host).await;
    let dir = scratch_dir();
    let shown = json!({"description": "a", "command": "echo", "arguments": ["shown"]});
    exec.execute("install", &shown, None, &grant(dir.path()))
        .await
        .map(|r| r.outputs)
        .unwrap();
    let hidden = json!({
        "description": "b", "command": "echo", "arguments": ["hidden"],
        "suppress-output": true,
        "outputs": [{"name": "word", "regex": "(\\w+)"}]
    });
    let outputs = exec
        .execute("install", &hidden, None, &grant(dir.path()))
        .await
        .map(|r| r.outputs)
        .unwrap();
    assert_eq!(
        text(&outputs, "word"),
        "hidden",
        "suppressed output is still captured"
    );
    let seen = String::from_utf8(sink.snapshot().stdout).unwrap();
    assert_eq!(seen, "shown\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn pure_calls_see_the_bundle_directory_read_only() {
    let (host, _sink) = host_with(None);
    let exec = exec(&host).await;
    let dir = scratch_dir();
    std::fs::write(dir.path().join("porter.yaml"), "name: x").unwrap();
    // Lint with the bundle directory works; exec simply does not look at it.
    let findings = exec
        .lint(&BuildInput::default(), Some(dir.path()))
        .await
        .unwrap();
    assert!(findings.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invalid_step_is_a_lint_error_with_its_location() {
    let (host, _sink) = host_with(None);
    let exec = exec(&host).await;
    let input = BuildInput {
        config: None,
        actions: vec![ActionSteps {
            action: "upgrade".into(),
            steps: vec![
                json!({"description": "fine", "command": "true"}),
                json!({"description": "typo", "comand": "true"}),
            ],
        }],
    };
    let findings = exec.lint(&input, None).await.unwrap();
    assert_eq!(findings.len(), 1, "{findings:?}");
    let finding = &findings[0];
    assert_eq!(finding.level, Level::Error);
    let location = finding.location.as_ref().unwrap();
    assert_eq!(
        (location.action.as_str(), location.step_number),
        ("upgrade", 2)
    );
    assert!(finding.message.contains("comand"), "{}", finding.message);
    let err = exec.build(&input, None).await.unwrap_err();
    assert!(err.to_string().contains("upgrade step 2"), "{err}");
}

/// `wharf build` precompiles each mixin for the image's baseline target
/// through the compiled-component cache: the second build of an unchanged
/// mixin reads the entry instead of compiling, and a torn entry is
/// compiled again.
#[tokio::test(flavor = "multi_thread")]
async fn image_precompiles_are_cached_by_component_and_engine() {
    let cache = scratch_dir();
    let (host, _sink) = host_with(Some(cache.path().to_path_buf()));
    let digest = wharf::digest::Digest::of(BUILTIN_EXEC);
    let first = host.precompile("exec", digest, BUILTIN_EXEC).unwrap();
    let entries: Vec<_> = std::fs::read_dir(cache.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let entry = &entries[0];
    assert!(
        entry
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with(&digest.hex()),
        "{entry:?}"
    );
    assert_ne!(
        Some(entry.clone()),
        host.cache_entry(digest),
        "the image's entry is not the host engine's"
    );
    assert_eq!(std::fs::read(entry).unwrap(), first);

    // A hit returns the entry as it is, compiling nothing: an entry with
    // other (well-framed) bytes comes back unchanged.
    let marker = b"not compiled by this call".to_vec();
    let mut framed = wharf::digest::Digest::of(&marker).as_bytes().to_vec();
    framed.extend_from_slice(&marker);
    std::fs::write(entry, &framed).unwrap();
    assert_eq!(
        host.precompile("exec", digest, BUILTIN_EXEC).unwrap(),
        framed
    );

    // A torn entry is compiled again and replaced.
    std::fs::write(entry, &framed[..40]).unwrap();
    assert_eq!(
        host.precompile("exec", digest, BUILTIN_EXEC).unwrap(),
        first
    );
    assert_eq!(std::fs::read(entry).unwrap(), first);
}
