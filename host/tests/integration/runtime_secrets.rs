//! The runtime keeps secrets out of everything it streams and out of its
//! errors, with real commands printing them.

use crate::runtime_common::{BundleJson, Staged};
use serde_json::json;

const SECRETS_MANIFEST: &str = r#"schemaVersion: 1.0.1
name: rt
version: 0.2.0
mixins:
  - exec
parameters:
  - name: password
    type: string
    sensitive: true
  - name: db
    type: object
    sensitive: true
  - name: visible
    type: string
credentials:
  - name: token
    env: TOKEN
  - name: kubeconfig
    path: /cnab/app/kube.cfg
outputs:
  - name: generated
    sensitive: true
install:
  - exec:
      description: "Print secrets (${ bundle.parameters.visible })"
      command: sh
      arguments: [-c]
      suffix-arguments:
        - |
          echo "pw=${ bundle.parameters.password } env=$PASSWORD"
          echo "tok=${ bundle.credentials.token } env=$TOKEN" >&2
          echo "inner=${ bundle.parameters.db.pass }"
          echo "kube=$(cat ${ bundle.credentials.kubeconfig })"
          printf 's3cr3t'; sleep 0.2; printf -- '-pa55 split\n'
          echo gen-secret-777 > generated.txt
      outputs:
        - name: generated
          path: generated.txt
  - exec:
      description: "Reuse ${ bundle.outputs.generated }"
      command: sh
      arguments: [-c]
      suffix-arguments:
        - "echo 'again gen-secret-777'; echo \"bad $TOKEN\" >&2; exit 1"
"#;

/// Parameters and credentials are known secrets from the start; a
/// sensitive output is one from the moment the step that made it returns
/// (as in Porter, what that step itself prints cannot be masked, so the
/// manifest has it write the value to a file).
#[tokio::test(flavor = "multi_thread")]
async fn secrets_are_masked_in_everything_streamed_and_in_errors() {
    let bundle = BundleJson::new()
        .param(
            "password",
            json!({"env": "PASSWORD"}),
            json!({"type": "string", "writeOnly": true}),
        )
        .param(
            "db",
            json!({"env": "DB"}),
            json!({"type": "object", "writeOnly": true}),
        )
        .param(
            "visible",
            json!({"env": "VISIBLE"}),
            json!({"type": "string"}),
        )
        .cred("token", json!({"env": "TOKEN"}))
        .cred("kubeconfig", json!({"path": "/cnab/app/kube.cfg"}))
        .output(
            "generated",
            json!({"type": "string", "writeOnly": true}),
            &[],
        );
    let staged = Staged::new(&bundle, SECRETS_MANIFEST);
    std::fs::write(staged.app("kube.cfg"), "kube-secret-contents\n").unwrap();
    let ran = staged
        .run(
            "install",
            &[
                ("PASSWORD", "s3cr3t-pa55"),
                ("DB", r#"{"user": "u", "pass": "deep-secret-9"}"#),
                ("VISIBLE", "plain-text"),
                ("TOKEN", "tok-0123456789"),
            ],
        )
        .await;
    let err = ran.err();
    let everything = ran.everything();
    for secret in [
        "s3cr3t-pa55",
        "s3cr3t",
        "tok-0123456789",
        "deep-secret-9",
        "kube-secret-contents",
        "gen-secret-777",
    ] {
        assert!(
            !everything.contains(secret),
            "{secret} leaked into:\n{everything}"
        );
        assert!(
            !err.contains(secret),
            "{secret} leaked into the error: {err}"
        );
    }
    let out = ran.stdout();
    for expected in [
        "Print secrets (plain-text)\n",
        "pw=******* env=*******\n",
        "inner=*******\n",
        "kube=*******\n",
        "******* split\n",
        "Reuse *******\n",
        "again *******\n",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    let stderr = String::from_utf8_lossy(&ran.output.stderr);
    assert!(stderr.contains("tok=******* env=*******\n"), "{stderr}");
    assert!(
        err.starts_with("install step 2 (\"Reuse *******") && err.contains("bad *******"),
        "{err}"
    );
    // The sensitive output is still written in full for the CNAB runtime.
    assert_eq!(
        staged.output("generated").as_deref(),
        Some("gen-secret-777\n")
    );
}
