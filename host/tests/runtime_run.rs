//! The in-image runtime, run on a staged `/cnab` tree in a temporary
//! directory: a hand-written bundle.json and porter.yaml, and the real exec
//! mixin precompiled as `wharf build` stages it. Steps run real processes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use wharf::mixin::{BUILTIN_EXEC, HostConfig, MemorySink, MemorySinkData, MixinHost};
use wharf::runtime::{Layout, RunSummary, RuntimeError, run};
use wharf_test_support::scratch_dir;

/// The exec mixin, precompiled once per test binary.
fn exec_cwasm() -> &'static [u8] {
    static COMPILED: OnceLock<Vec<u8>> = OnceLock::new();
    COMPILED.get_or_init(|| {
        let host = MixinHost::new(HostConfig::default()).unwrap();
        host.precompile("exec", BUILTIN_EXEC).unwrap()
    })
}

/// A staged `/cnab` tree.
struct Staged {
    _dir: tempfile::TempDir,
    layout: Layout,
}

impl Staged {
    fn new(bundle: &BundleJson, manifest: &str) -> Self {
        let dir = scratch_dir();
        let layout = Layout::new(dir.path().join("cnab"));
        let mixins = layout.mixins_dir();
        std::fs::create_dir_all(&mixins).unwrap();
        std::fs::write(
            layout.bundle_json(),
            serde_json::to_vec_pretty(&bundle.0).unwrap(),
        )
        .unwrap();
        std::fs::write(layout.manifest(), manifest).unwrap();
        std::fs::write(mixins.join("exec.cwasm"), exec_cwasm()).unwrap();
        let index = json!([{
            "name": "exec",
            "version": "0.1.0",
            "digest": format!("sha256:{}", hex::encode(Sha256::digest(BUILTIN_EXEC))),
            "file": "exec.cwasm",
        }]);
        std::fs::write(mixins.join("index.json"), index.to_string()).unwrap();
        Self { _dir: dir, layout }
    }

    fn app(&self, path: &str) -> PathBuf {
        self.layout.app_dir().join(path)
    }

    fn output(&self, name: &str) -> Option<String> {
        std::fs::read_to_string(self.layout.outputs_dir().join(name)).ok()
    }

    async fn run(&self, action: &str, vars: &[(&str, &str)]) -> Ran {
        let mut env = BTreeMap::from([
            ("CNAB_ACTION".to_string(), action.to_string()),
            ("CNAB_INSTALLATION_NAME".into(), "mysite".into()),
            ("CNAB_BUNDLE_NAME".into(), "rt".into()),
            ("CNAB_BUNDLE_VERSION".into(), "0.2.0".into()),
            ("CNAB_REVISION".into(), "01REV".into()),
            ("WHARF_INSTALLATION_NAMESPACE".into(), "dev".into()),
            ("PATH".into(), std::env::var("PATH").unwrap_or_default()),
        ]);
        for (k, v) in vars {
            env.insert(k.to_string(), v.to_string());
        }
        let sink = MemorySink::default();
        let result = run(&self.layout, &env, Arc::new(sink.clone())).await;
        Ran {
            result,
            output: sink.snapshot(),
        }
    }
}

/// What a run returned and printed.
struct Ran {
    result: Result<RunSummary, RuntimeError>,
    output: MemorySinkData,
}

impl Ran {
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    /// Everything that reached the sink.
    fn everything(&self) -> String {
        let logs: Vec<&str> = self.output.logs.iter().map(|(_, m)| m.as_str()).collect();
        format!(
            "{}{}{}",
            self.stdout(),
            String::from_utf8_lossy(&self.output.stderr),
            logs.join("\n")
        )
    }

    fn ok(&self) -> &RunSummary {
        match &self.result {
            Ok(summary) => summary,
            Err(e) => panic!("the run failed: {e}\n--- output:\n{}", self.everything()),
        }
    }

    fn err(&self) -> String {
        match &self.result {
            Ok(_) => panic!("the run should fail\n--- output:\n{}", self.everything()),
            Err(e) => e.to_string(),
        }
    }
}

/// bundle.json, shaped as `wharf build` writes it.
struct BundleJson(Value);

impl BundleJson {
    fn new() -> Self {
        let mut b = BundleJson(json!({
            "schemaVersion": "1.2.0",
            "name": "rt",
            "version": "0.2.0",
            "description": "Runtime test",
            "invocationImages": [{"imageType": "docker", "image": "localhost:5000/rt:v0.2.0"}],
            "parameters": {}, "credentials": {}, "outputs": {}, "definitions": {},
            "custom": {"acme": {"team": "blue"}},
        }));
        b = b.param(
            "wharf-debug",
            json!({"env": "WHARF_DEBUG"}),
            json!({"type": "boolean", "default": false}),
        );
        b = b.param(
            "wharf-state",
            json!({"path": "/cnab/state/wharf-state.tgz"}),
            json!({"type": "string", "contentEncoding": "base64"}),
        );
        b.0["outputs"]["wharf-state"] =
            json!({"definition": "wharf-state-parameter", "path": "/cnab/app/outputs/wharf-state"});
        b
    }

    fn param(mut self, name: &str, destination: Value, definition: Value) -> Self {
        let def = format!("{name}-parameter");
        self.0["definitions"][&def] = definition;
        self.0["parameters"][name] = json!({"definition": def, "destination": destination});
        self
    }

    fn param_for(mut self, name: &str, env: &str, definition: Value, apply_to: &[&str]) -> Self {
        self = self.param(name, json!({"env": env}), definition);
        self.0["parameters"][name]["applyTo"] = json!(apply_to);
        self
    }

    fn cred(mut self, name: &str, location: Value) -> Self {
        self.0["credentials"][name] = location;
        self
    }

    fn output(mut self, name: &str, definition: Value, apply_to: &[&str]) -> Self {
        let def = format!("{name}-output");
        self.0["definitions"][&def] = definition;
        self.0["outputs"][name] =
            json!({"definition": def, "path": format!("/cnab/app/outputs/{name}")});
        if !apply_to.is_empty() {
            self.0["outputs"][name]["applyTo"] = json!(apply_to);
        }
        self
    }

    fn image(mut self, alias: &str, image: &str, digest: &str) -> Self {
        self.0["images"][alias] = json!({"imageType": "docker", "image": image, "contentDigest": digest, "description": ""});
        self
    }
}

const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

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
async fn mustache_templates_render_in_manifests_without_a_schema_version() {
    let manifest = r#"name: rt
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

const STATE_MANIFEST: &str = r#"schemaVersion: 1.0.1
name: rt
version: 0.2.0
mixins:
  - exec
state:
  - name: tfstate
    path: terraform/terraform.tfstate
  - name: vars
    path: terraform/vars
  - name: absent
    path: not-made.txt
install:
  - exec:
      description: Make state
      command: sh
      arguments: [-c]
      suffix-arguments:
        - "mkdir -p terraform/vars && echo serial-1 > terraform/terraform.tfstate && echo x=1 > terraform/vars/a.tfvars"
upgrade:
  - exec:
      description: Read state
      command: sh
      arguments: [-c]
      suffix-arguments:
        - "echo \"saw $(cat terraform/terraform.tfstate) $(cat terraform/vars/a.tfvars)\"; echo serial-2 > terraform/terraform.tfstate"
"#;

#[tokio::test(flavor = "multi_thread")]
async fn the_state_bag_round_trips_from_install_to_upgrade() {
    let install = Staged::new(&BundleJson::new(), STATE_MANIFEST);
    let ran = install.run("install", &[]).await;
    let summary = ran.ok();
    assert_eq!(
        summary.state.as_deref(),
        Some(
            &[
                "terraform/terraform.tfstate".to_string(),
                "terraform/vars".to_string()
            ][..]
        )
    );
    let tgz = install.layout.outputs_dir().join("wharf-state");
    assert_eq!(
        archive_files(&tgz),
        ["terraform/terraform.tfstate", "terraform/vars/a.tfvars"]
    );

    // A fresh container for the upgrade, given the state as its parameter.
    let upgrade = Staged::new(&BundleJson::new(), STATE_MANIFEST);
    let state_param = upgrade.layout.host_path("/cnab/state/wharf-state.tgz");
    std::fs::create_dir_all(state_param.parent().unwrap()).unwrap();
    std::fs::copy(&tgz, &state_param).unwrap();
    let ran = upgrade.run("upgrade", &[]).await;
    ran.ok();
    assert!(
        ran.stdout().contains("saw serial-1 x=1\n"),
        "{}",
        ran.stdout()
    );
    let again = upgrade.layout.outputs_dir().join("wharf-state");
    let unpacked = scratch_dir();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(
        std::fs::File::open(&again).unwrap(),
    ));
    archive.unpack(unpacked.path()).unwrap();
    assert_eq!(
        std::fs::read_to_string(unpacked.path().join("terraform/terraform.tfstate")).unwrap(),
        "serial-2\n"
    );
}

/// The regular files in a gzipped tar, sorted.
fn archive_files(path: &Path) -> Vec<String> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut names: Vec<String> = archive
        .entries()
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.header().entry_type().is_file())
        .map(|e| e.path().unwrap().display().to_string())
        .collect();
    names.sort();
    names
}
