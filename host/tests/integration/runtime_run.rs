//! The in-image runtime, run on a staged `/cnab` tree (see
//! `runtime_common`): templates, outputs, and how runs fail. Steps run real
//! processes through the real exec mixin.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::runtime_common::{BundleJson, DIGEST, Staged, archive_files};
use serde_json::json;
use wharf::mixin::MemorySink;
use wharf::runtime::{RuntimeError, run};

const TEMPLATES_MANIFEST: &str = r#"schemaVersion: 1.0.1
name: rt
version: 0.2.0
description: Runtime test
mixins:
  - exec
custom:
  acme:
    team: blue
images:
  web:
    repository: localhost:5000/web
    tag: "1.2"
dependencies:
  requires:
    - name: db
      bundle:
        reference: localhost:5000/db:v1.0.0
parameters:
  - name: who
    type: string
    default: world
  - name: flag
    type: boolean
    default: false
  - name: port
    type: integer
    default: 80
  - name: cfg
    type: object
    default: {}
  - name: config-file
    type: file
    path: /cnab/app/config.txt
credentials:
  - name: token
    env: TOKEN
install:
  - exec:
      description: "Hello ${ bundle.parameters.who }"
      command: sh
      arguments:
        - -c
      suffix-arguments:
        - |
          echo "installation=${ installation.namespace }/${ installation.name }"
          echo "bundle=${ bundle.name }@${ bundle.version }: ${ bundle.description } (${ bundle.installerImage })"
          echo "params=${ bundle.parameters.who } ${ bundle.parameters.port } ${ bundle.parameters.cfg.name } ${ bundle.parameters.flag }"
          echo 'cfg=${ bundle.parameters.cfg }'
          echo "file=$(cat ${ bundle.parameters.config-file })"
          echo "image=${ bundle.images.web.repository } ${ bundle.images.web.tag } ${ bundle.images.web.digest }"
          echo "custom=${ bundle.custom.acme.team } env=${ env.GREETING } dep=${ bundle.dependencies.db.outputs.conn }"
          echo "token=${ bundle.credentials.token }"
  - exec:
      description: Quiet when the flag is on
      command: echo
      arguments:
        - should-be-hidden
      suppress-output: ${ bundle.parameters.flag }
      outputs:
        - name: hidden
          regex: "(should-be-hidden)"
  - exec:
      description: Read the quiet step's output
      command: echo
      arguments:
        - "hidden-output=${ bundle.outputs.hidden }"
"#;

#[tokio::test(flavor = "multi_thread")]
async fn templates_of_every_kind_render_and_plain_scalars_are_typed() {
    let bundle = BundleJson::new()
        .param(
            "who",
            json!({"env": "WHO"}),
            json!({"type": "string", "default": "world"}),
        )
        .param(
            "flag",
            json!({"env": "FLAG"}),
            json!({"type": "boolean", "default": false}),
        )
        .param(
            "port",
            json!({"env": "PORT"}),
            json!({"type": "integer", "default": 80}),
        )
        .param(
            "cfg",
            json!({"env": "CFG"}),
            json!({"type": "object", "default": {}}),
        )
        .param(
            "config-file",
            json!({"path": "/cnab/app/config.txt"}),
            json!({"type": "string", "contentEncoding": "base64"}),
        )
        .cred("token", json!({"env": "TOKEN"}))
        .image("web", "localhost:5000/web:1.2", DIGEST);
    let staged = Staged::new(&bundle, TEMPLATES_MANIFEST);
    std::fs::write(staged.app("config.txt"), "from-a-file").unwrap();
    // The dependency's bundle.json, where the host puts it: its `conn`
    // output is not sensitive, so the step shows it.
    std::fs::create_dir_all(staged.app("dependencies/db")).unwrap();
    std::fs::write(
        staged.app("dependencies/db/bundle.json"),
        json!({"schemaVersion": "1.2.0", "name": "db", "version": "1.0.0",
               "invocationImages": [],
               "definitions": {"s": {"type": "string"}},
               "outputs": {"conn": {"definition": "s", "path": "/cnab/app/outputs/conn"}}})
        .to_string(),
    )
    .unwrap();
    let ran = staged
        .run(
            "install",
            &[
                ("WHO", "ann"),
                ("FLAG", "true"),
                ("PORT", "8080"),
                ("CFG", r#"{"name": "cfg-name"}"#),
                ("TOKEN", "tok-0123456789"),
                ("GREETING", "hi"),
                ("WHARF_DEP_DB_CONN", "postgres://db"),
            ],
        )
        .await;
    let summary = ran.ok();
    assert_eq!(summary.steps, 3);
    let out = ran.stdout();
    for expected in [
        "executing install action from rt (installation: dev/mysite)\n",
        "Hello ann\n",
        "installation=dev/mysite\n",
        "bundle=rt@0.2.0: Runtime test (localhost:5000/rt:v0.2.0)\n",
        "params=ann 8080 cfg-name true\n",
        "cfg={\"name\":\"cfg-name\"}\n",
        "file=from-a-file\n",
        &format!("image=localhost:5000/web 1.2 {DIGEST}\n"),
        "custom=blue env=hi dep=postgres://db\n",
        // Credentials are always secret.
        "token=*******\n",
        "Quiet when the flag is on\n",
        "hidden-output=should-be-hidden\n",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    // `suppress-output: ${ bundle.parameters.flag }` became the boolean
    // true (a string would not deserialize), so step 2 printed nothing.
    assert!(
        !out.lines().any(|l| l == "should-be-hidden"),
        "step 2 should be quiet:\n{out}"
    );
    assert!(!ran.everything().contains("tok-0123456789"));
}

#[tokio::test(flavor = "multi_thread")]
async fn mustache_templates_render_in_alpha_manifests() {
    let manifest = r#"schemaVersion: 1.0.0-alpha.1
name: rt
version: 0.2.0
mixins:
  - exec
parameters:
  - name: who
    type: string
install:
  - exec:
      description: "Hi {{ bundle.parameters.who }}"
      command: sh
      arguments: [-c]
      suffix-arguments:
        - "echo '{{ bundle.parameters.who }} ${ not.a.template }'"
"#;
    let bundle = BundleJson::new().param("who", json!({"env": "WHO"}), json!({"type": "string"}));
    let staged = Staged::new(&bundle, manifest);
    let ran = staged.run("install", &[("WHO", "bob")]).await;
    ran.ok();
    let out = ran.stdout();
    assert!(
        out.contains("Hi bob\n") && out.contains("bob ${ not.a.template }\n"),
        "{out}"
    );
}

const OUTPUTS_MANIFEST: &str = r#"schemaVersion: 1.0.1
name: rt
version: 0.2.0
mixins:
  - exec
outputs:
  - name: user
  - name: id
  - name: report
  - name: notes
    path: generated/notes.txt
  - name: region
    default: eu-west
  - name: later
    applyTo: [upgrade]
  - name: never
install:
  - exec:
      description: JSON
      command: echo
      suffix-arguments:
        - '{"user": {"name": "ann"}}'
      suppress-output: true
      outputs:
        - name: user
          jsonPath: "$.user.name"
  - exec:
      description: Files and lines
      command: sh
      arguments: [-c]
      suffix-arguments:
        - "echo 'id: 42'; mkdir -p generated; echo report-body > generated/report.txt; echo notes-body > generated/notes.txt"
      outputs:
        - name: id
          regex: 'id: (\d+)'
        - name: report
          path: generated/report.txt
  - exec:
      description: Use an earlier output
      command: echo
      arguments:
        - "user is ${ bundle.outputs.user }"
upgrade:
  - exec:
      description: Use an output of an earlier run
      command: echo
      arguments:
        - "user was ${ bundle.outputs.user }"
"#;

fn outputs_bundle() -> BundleJson {
    let s = json!({"type": "string"});
    BundleJson::new()
        .output("user", s.clone(), &[])
        .output("id", s.clone(), &[])
        .output("report", s.clone(), &[])
        .output("notes", s.clone(), &[])
        .output(
            "region",
            json!({"type": "string", "default": "eu-west"}),
            &[],
        )
        .output("later", s.clone(), &["upgrade"])
        .output("never", s.clone(), &[])
        .param_for(
            "wharf-user-output",
            "WHARF_USER_OUTPUT",
            json!({"type": "string", "default": ""}),
            &[],
        )
}

#[tokio::test(flavor = "multi_thread")]
async fn step_outputs_become_bundle_outputs_in_the_outputs_dir() {
    let staged = Staged::new(&outputs_bundle(), OUTPUTS_MANIFEST);
    let ran = staged.run("install", &[]).await;
    let summary = ran.ok();
    assert_eq!(summary.outputs, ["id", "notes", "region", "report", "user"]);
    assert_eq!(staged.output("user").as_deref(), Some("ann"));
    assert_eq!(staged.output("id").as_deref(), Some("42"));
    assert_eq!(staged.output("report").as_deref(), Some("report-body\n"));
    assert_eq!(staged.output("notes").as_deref(), Some("notes-body\n"));
    assert_eq!(staged.output("region").as_deref(), Some("eu-west"));
    assert_eq!(
        staged.output("later"),
        None,
        "later applies to upgrade only"
    );
    assert_eq!(staged.output("never"), None, "never has no value");
    assert!(ran.stdout().contains("user is ann\n"), "{}", ran.stdout());

    // An upgrade reads the output of the install through the parameter the
    // CNAB runtime sources from it.
    let ran = staged
        .run("upgrade", &[("WHARF_USER_OUTPUT", "ann-from-install")])
        .await;
    ran.ok();
    assert!(
        ran.stdout().contains("user was ann-from-install\n"),
        "{}",
        ran.stdout()
    );
}

const FAILING_MANIFEST: &str = r#"schemaVersion: 1.0.1
name: rt
version: 0.2.0
mixins:
  - exec
parameters:
  - name: upgrade-only
    type: string
    applyTo: [upgrade]
outputs:
  - name: first
state:
  - name: marker
    path: marker.txt
install:
  - exec:
      description: Works
      command: sh
      arguments: [-c]
      suffix-arguments:
        - "echo 'first: one'; echo state > marker.txt"
      outputs:
        - name: first
          regex: 'first: (\w+)'
  - exec:
      description: Breaks
      command: sh
      arguments: [-c]
      suffix-arguments:
        - "echo 'it broke' >&2; exit 3"
  - exec:
      description: Never runs
      command: touch
      arguments: [step-three-ran]
upgrade:
  - exec:
      description: Works
      command: echo
      arguments: [one]
  - exec:
      description: "Needs ${ env.NOT_SET_ANYWHERE }"
      command: touch
      arguments: [step-two-ran]
my-action:
  - exec:
      description: Needs a parameter of another action
      command: echo
      arguments: ["${ bundle.parameters.upgrade-only }"]
"#;

fn failing_bundle() -> BundleJson {
    BundleJson::new()
        .param_for(
            "upgrade-only",
            "UPGRADE_ONLY",
            json!({"type": "string"}),
            &["upgrade"],
        )
        .output("first", json!({"type": "string"}), &[])
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_step_keeps_earlier_outputs_and_state_and_fails_the_run() {
    let staged = Staged::new(&failing_bundle(), FAILING_MANIFEST);
    let ran = staged.run("install", &[]).await;
    let err = ran.err();
    assert!(
        err.starts_with("install step 2 (\"Breaks\") failed:")
            && err.contains("code 3")
            && err.contains("it broke"),
        "{err}"
    );
    assert!(matches!(ran.result, Err(RuntimeError::StepFailed { .. })));
    assert_eq!(staged.output("first").as_deref(), Some("one"));
    assert!(!staged.app("step-three-ran").exists());
    // The state of a half-done install is kept.
    let names = archive_files(&staged.layout.outputs_dir().join("wharf-state"));
    assert_eq!(names, ["marker.txt"]);
    assert!(String::from_utf8_lossy(&ran.output.stderr).contains("it broke"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_variable_stops_the_run_before_the_step() {
    let staged = Staged::new(&failing_bundle(), FAILING_MANIFEST);
    let ran = staged.run("upgrade", &[("UPGRADE_ONLY", "x")]).await;
    let err = ran.err();
    assert!(
        err.starts_with("upgrade step 2 (\"Needs ${ env.NOT_SET_ANYWHERE }\"):")
            && err.contains("`env.NOT_SET_ANYWHERE` has no value"),
        "{err}"
    );
    assert!(
        ran.stdout().contains("one\n"),
        "step 1 ran: {}",
        ran.stdout()
    );
    assert!(!staged.app("step-two-ran").exists());

    // A parameter that applies to another action has no value here.
    let ran = staged.run("my-action", &[("UPGRADE_ONLY", "x")]).await;
    let err = ran.err();
    assert!(
        err.contains("my-action step 1 (\"Needs a parameter of another action\")")
            && err.contains("`bundle.parameters.upgrade-only` has no value")
            && err.contains("no such parameter applies to this action"),
        "{err}"
    );
    assert!(matches!(ran.result, Err(RuntimeError::Template { .. })));
}

#[tokio::test(flavor = "multi_thread")]
async fn environment_and_mixin_problems_are_clear() {
    let manifest = r#"schemaVersion: 1.0.1
name: rt
version: 0.2.0
mixins:
  - exec
  - helm3
install:
  - helm3:
      description: Chart
      name: x
"#;
    let staged = Staged::new(&BundleJson::new(), manifest);
    let err = staged.run("install", &[]).await.err();
    assert!(
        err.contains("install step 1 (\"Chart\") uses the helm3 mixin, which is not in this invocation image (it has exec)"),
        "{err}"
    );
    let err = staged.run("rollback", &[]).await.err();
    assert!(
        err.contains("no \"rollback\" action") && err.contains("install, upgrade, uninstall"),
        "{err}"
    );

    let sink = MemorySink::default();
    let err = run(&staged.layout, &BTreeMap::new(), Arc::new(sink))
        .await
        .unwrap_err();
    assert!(
        err.to_string().starts_with("CNAB_ACTION is not set"),
        "{err}"
    );
}

/// A step's `workingDir` is a grant to write there, so one that leaves
/// the bundle directory stops the run before its mixin starts.
#[tokio::test(flavor = "multi_thread")]
async fn a_step_working_directory_outside_the_bundle_stops_the_run() {
    let manifest = r#"schemaVersion: 1.0.1
name: rt
version: 0.2.0
mixins:
  - exec
install:
  - exec:
      description: Escape
      command: touch
      arguments: [escaped]
      workingDir: /tmp
"#;
    let staged = Staged::new(&BundleJson::new(), manifest);
    let err = staged.run("install", &[]).await.err();
    assert!(
        err.starts_with("install step 1 (\"Escape\") failed: workingDir: `/tmp` is outside the bundle directory /cnab/app"),
        "{err}"
    );
    assert!(!staged.app("escaped").exists());
}
