//! The static `wharf-runtime` binary that `wharf build` stages as
//! `/cnab/app/run`: it must be a static executable (it runs on busybox and
//! distroless bases), it must load mixins precompiled by the `wharf`
//! binary (a glibc build with the compiler) without a compiler of its own,
//! and it must fail with one clear line.

use std::path::Path;
use std::process::{Command, Output};

use crate::runtime_common::{BundleJson, Staged};
use serde_json::json;
use wharf_test_support::runtime::runtime_binary;

fn run_binary(root: Option<&Path>, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(runtime_binary());
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    if let Some(root) = root {
        command.arg("--root").arg(root);
    }
    command.envs(env.iter().copied());
    command.output().expect("cannot start wharf-runtime")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_runtime_is_a_static_executable() {
    let binary = runtime_binary();
    let file = Command::new("file")
        .arg(&binary)
        .output()
        .expect("cannot run `file`");
    let description = text(&file.stdout);
    assert!(
        description.contains("statically linked") || description.contains("static-pie linked"),
        "{description}"
    );
    let ldd = Command::new("ldd")
        .arg(&binary)
        .output()
        .expect("cannot run `ldd`");
    let said = format!("{}{}", text(&ldd.stdout), text(&ldd.stderr));
    assert!(
        said.contains("not a dynamic executable") || said.contains("statically linked"),
        "ldd: {said}"
    );
}

#[test]
fn without_an_action_it_exits_non_zero_with_one_clear_line() {
    let out = run_binary(None, &[]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("wharf-runtime: CNAB_ACTION is not set"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());

    let out = Command::new(runtime_binary())
        .arg("--bogus")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unexpected arguments"));
}

#[test]
fn it_runs_a_bundle_with_a_mixin_precompiled_by_wharf() {
    let bundle = BundleJson::new()
        .param(
            "password",
            json!({"env": "PASSWORD"}),
            json!({"type": "string", "writeOnly": true}),
        )
        .output("said", json!({"type": "string"}), &[]);
    let manifest = r#"schemaVersion: 1.0.1
name: rt
version: 0.1.0
mixins:
  - exec
parameters:
  - name: password
    type: string
    sensitive: true
outputs:
  - name: said
install:
  - exec:
      description: Say hello
      command: sh
      arguments: [-c]
      suffix-arguments:
        - "echo \"hello from ${ installation.name } pw=${ bundle.parameters.password }\""
      outputs:
        - name: said
          regex: "(hello from \\w+)"
uninstall:
  - exec:
      description: Fail
      command: sh
      arguments: [-c]
      suffix-arguments:
        - "echo \"first line $PASSWORD\" >&2; echo second line >&2; exit 4"
"#;
    let staged = Staged::new(&bundle, manifest);
    let root = &staged.layout.root;

    let env = [
        ("CNAB_INSTALLATION_NAME", "site"),
        ("PASSWORD", "pw-secret-42"),
    ];
    let out = run_binary(
        Some(root),
        &[&[("CNAB_ACTION", "install")], &env[..]].concat(),
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(
        stdout.contains("Say hello\nhello from site pw=*******\n"),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("app/outputs/said")).unwrap(),
        "hello from site"
    );

    let out = run_binary(
        Some(root),
        &[&[("CNAB_ACTION", "uninstall")], &env[..]].concat(),
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = text(&out.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("wharf-runtime: uninstall step 1 (\"Fail\") failed:")
            && last.contains("first line *******")
            && last.ends_with("(the full output is above)"),
        "{stderr}"
    );
    assert!(!stderr.contains("pw-secret-42") && !text(&out.stdout).contains("pw-secret-42"));
}
