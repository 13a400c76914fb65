//! The exec mixin's behaviour, through the real component and real
//! processes, against Porter's documented semantics: word splitting of
//! arguments and flags, `dir`, `ignoreError`, and `jsonPath`, `regex` and
//! `path` outputs.

use std::sync::Arc;

use serde_json::{Value, json};
use wharf::mixin::{
    BUILTIN_EXEC, ExecuteGrant, HostConfig, LoadedMixin, MemorySink, MixinError, MixinHost,
    StepOutput,
};
use wharf_test_support::scratch_dir;

struct Exec {
    mixin: LoadedMixin,
    dir: tempfile::TempDir,
}

impl Exec {
    async fn new() -> Self {
        let host = MixinHost::new(HostConfig {
            sink: Arc::new(MemorySink::default()),
            ..HostConfig::default()
        })
        .unwrap();
        let mixin = host.load("exec", BUILTIN_EXEC.to_vec()).await.unwrap();
        Self {
            mixin,
            dir: scratch_dir(),
        }
    }

    async fn run(&self, step: Value) -> Result<Vec<StepOutput>, MixinError> {
        let grant = ExecuteGrant {
            bundle_dir: Some(self.dir.path().to_path_buf()),
            writable: vec![],
            env: vec![],
            guest_env: Vec::new(),
        };
        self.mixin
            .execute("install", &step, None, &grant)
            .await
            .map(|r| r.outputs)
    }

    /// Runs `script` under sh and returns the named outputs as text.
    async fn outputs(&self, script: &str, outputs: Value) -> Vec<(String, String)> {
        let step = json!({
            "description": "test",
            "command": "sh",
            "arguments": ["-c", format!("'{script}'")],
            "suppress-output": true,
            "outputs": outputs,
        });
        self.run(step)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .map(|o| (o.name, String::from_utf8(o.value).unwrap()))
            .collect()
    }
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn json_path_outputs_follow_porter() {
    let exec = Exec::new().await;
    let got = exec
        .outputs(
            r#"echo "{\"users\":[{\"name\":\"ann\",\"id\":1},{\"name\":\"bob\",\"id\":2}],\"count\":2,\"ok\":true}""#,
            json!([
                {"name": "first", "jsonPath": "$.users[0]"},
                {"name": "names", "jsonPath": "$.users[*].name"},
                {"name": "name", "jsonPath": "$.users[1].name"},
                {"name": "count", "jsonPath": "$.count"},
                {"name": "ok", "jsonPath": "$.ok"},
                {"name": "all", "jsonPath": "$.users"}
            ]),
        )
        .await;
    assert_eq!(
        got,
        pairs(&[
            ("first", r#"{"name":"ann","id":1}"#),
            ("names", r#"["ann","bob"]"#),
            ("name", "bob"),
            ("count", "2"),
            ("ok", "true"),
            ("all", r#"[{"name":"ann","id":1},{"name":"bob","id":2}]"#),
        ])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn regex_outputs_join_every_group_of_every_match() {
    let exec = Exec::new().await;
    let got = exec
        .outputs(
            "echo \"--- FAIL: TestA (0.1s)\"; echo ok; echo \"--- FAIL: TestB (0.2s)\"",
            json!([
                {"name": "failed", "regex": "--- FAIL: (\\w+) \\((.*)\\)"},
                {"name": "no-groups", "regex": "FAIL"}
            ]),
        )
        .await;
    assert_eq!(
        got,
        pairs(&[("failed", "TestA\n0.1s\nTestB\n0.2s"), ("no-groups", "")])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn path_outputs_read_files_the_command_wrote() {
    let exec = Exec::new().await;
    let absolute = exec.dir.path().join("abs.txt");
    let got = exec
        .outputs(
            &format!(
                "echo relative > rel.txt; printf absolute > {}",
                absolute.display()
            ),
            json!([
                {"name": "rel", "path": "rel.txt"},
                {"name": "abs", "path": absolute.to_str().unwrap()}
            ]),
        )
        .await;
    assert_eq!(got, pairs(&[("rel", "relative\n"), ("abs", "absolute")]));
}

#[tokio::test(flavor = "multi_thread")]
async fn dir_sets_the_working_directory() {
    let exec = Exec::new().await;
    std::fs::create_dir(exec.dir.path().join("sub")).unwrap();
    let outputs = exec
        .run(json!({
            "description": "pwd", "command": "pwd", "dir": "sub", "suppress-output": true,
            "outputs": [{"name": "cwd", "regex": "(.+)"}]
        }))
        .await
        .unwrap();
    let cwd = String::from_utf8(outputs[0].value.clone()).unwrap();
    assert!(cwd.ends_with("/sub"), "{cwd}");
}

#[tokio::test(flavor = "multi_thread")]
async fn flags_and_arguments_reach_the_program_as_porter_splits_them() {
    let exec = Exec::new().await;
    let outputs = exec
        .run(json!({
            "description": "args",
            "command": "sh",
            "arguments": ["-c", "'for a in \"$@\"; do echo \"[$a]\"; done'", "argv0", "one 'two three'"],
            "flags": {"x": "4", "long-flag": ["a", "b"], "bare": null},
            "suffix-arguments": ["not split"],
            "suppress-output": true,
            "outputs": [{"name": "argv", "regex": "(?s)(.*)"}]
        }))
        .await
        .unwrap();
    let argv = String::from_utf8(outputs[0].value.clone()).unwrap();
    assert_eq!(
        argv,
        "[one]\n[two three]\n[--bare]\n[--long-flag]\n[a]\n[--long-flag]\n[b]\n[-x]\n[4]\n[not split]\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_command_fails_the_step_with_its_stderr() {
    let exec = Exec::new().await;
    let err = exec
        .run(json!({"description": "fail", "command": "sh", "arguments": ["-c", "'echo broken >&2; exit 3'"]}))
        .await
        .unwrap_err();
    let MixinError::Failed { message, .. } = &err else {
        panic!("{err}")
    };
    assert!(message.contains("exited with code 3: broken"), "{message}");
}

#[tokio::test(flavor = "multi_thread")]
async fn ignore_error_lets_listed_failures_through_and_keeps_outputs() {
    let exec = Exec::new().await;
    let script = "'echo \"{\\\"k\\\":\\\"v\\\"}\"; echo \"resource already exists\" >&2; exit 7'";
    for ignore in [
        json!({"all": true}),
        json!({"exitCodes": [1, 7]}),
        json!({"output": {"contains": ["already exists"]}}),
        json!({"output": {"regex": ["(?m)^resource \\w+ exists$"]}}),
    ] {
        let outputs = exec
            .run(json!({
                "description": "ignored", "command": "sh", "arguments": ["-c", script],
                "ignoreError": ignore, "suppress-output": true,
                "outputs": [{"name": "k", "jsonPath": "$.k"}]
            }))
            .await
            .unwrap_or_else(|e| panic!("{ignore}: {e}"));
        assert_eq!(outputs[0].value, b"v");
    }
    let err = exec
        .run(json!({
            "description": "not ignored", "command": "sh", "arguments": ["-c", script],
            "ignoreError": {"exitCodes": [1], "output": {"contains": ["nope"]}}
        }))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("exited with code 7"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_program_is_a_clear_error() {
    let exec = Exec::new().await;
    let err = exec
        .run(json!({"description": "x", "command": "no-such-program-anywhere"}))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("was not found on PATH"), "{err}");
}
