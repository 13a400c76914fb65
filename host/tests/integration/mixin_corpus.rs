//! The helm3 and kubernetes mixins through their real components, with the
//! commands they run checked against a real kubectl, and the Porter corpus
//! linted with the third-party mixins installed.
//!
//! No cluster runs here. Instead each test puts a `kubectl` and a `helm` on
//! the PATH it grants the mixin. Both record the argv they were given; the
//! `kubectl` one then hands the same argv to the real client
//! (`/usr/bin/kubectl`, Debian's kubernetes-client) with a kubeconfig whose
//! server is 127.0.0.1:1, adding `--dry-run` to `apply` and `delete` as a
//! second safety. kubectl parses every flag, checks flag combinations, reads
//! and parses every manifest and resolves the context before it opens a
//! connection, so a command line that fails *only* with "connection refused"
//! passed all of kubectl's local checks; any other failure (an unknown flag,
//! `--force-conflicts` without `--server-side`, a missing file, a broken
//! manifest) is reported by kubectl before it connects, and fails the test.
//! The fake then prints a canned answer so the step goes on to its outputs.
//! What kubectl cannot check offline: the server-side schema of the
//! manifests (it needs the server's OpenAPI) and a `get`'s JSONPath template
//! (parsed only once the server answers; lint checks its braces). helm has
//! no real client on this machine: its command lines are checked for
//! exactness only.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value, json};
use wharf::home::WharfHome;
use wharf::manifest::work_dirs;
use wharf::mixin::{
    ActionSteps, BuildInput, Catalog, ExecuteGrant, HostConfig, Level, LoadedMixin, MemorySink,
    MixinHost, StepOutput,
};
use wharf_test_support::{guest_wasm, scratch_dir};

const REAL_KUBECTL: &str = "/usr/bin/kubectl";

/// Records the call into `$WHARF_WRAP_DIR/calls/NNNN/`.
const RECORD: &str = r#"#!/bin/sh
set -u
calls="$WHARF_WRAP_DIR/calls"
call="$calls/$(printf %04d "$(ls "$calls" | wc -l)")"
mkdir "$call"
basename "$0" > "$call/program"
for arg in "$@"; do printf '%s\n' "$arg"; done > "$call/argv"
"#;

/// Judges the call with the real kubectl, then answers from `canned/`.
const KUBECTL: &str = r#"dry=""
case "$1" in
  apply|delete)
    dry="--dry-run=client"
    for arg in "$@"; do [ "$arg" = "--server-side=true" ] && dry="--dry-run=server"; done ;;
esac
"$REAL_KUBECTL" "$@" $dry > /dev/null 2> "$call/stderr"
echo $? > "$call/rc"
if [ "$1" = get ] && [ -f "$WHARF_WRAP_DIR/canned/$2-$3" ]; then cat "$WHARF_WRAP_DIR/canned/$2-$3"; fi
exit 0
"#;

/// Succeeds, or fails with `helm-fail/RELEASE` as stderr for an uninstall.
const HELM: &str = r#"if [ "$1" = uninstall ] && [ -f "$WHARF_WRAP_DIR/helm-fail/$2" ]; then
  cat "$WHARF_WRAP_DIR/helm-fail/$2" >&2; exit 1
fi
exit 0
"#;

const FAKE_KUBECONFIG: &str = "apiVersion: v1\nkind: Config\n\
clusters: [{name: fake, cluster: {server: 'https://127.0.0.1:1'}}]\n\
users: [{name: fake, user: {token: fake}}]\n\
contexts: [{name: fake, context: {cluster: fake, user: fake}}]\n\
current-context: fake\n";

/// One recorded call.
#[derive(Debug)]
struct Call {
    program: String,
    argv: Vec<String>,
    /// What the real kubectl wrote to stderr (kubectl calls only).
    stderr: Option<String>,
}

/// The oldest kubectl whose offline checks these tests rely on. The
/// kubernetes mixin writes command lines for the kubectl it installs in
/// images (v1.32); kubectl before 1.22 contacts the server before reading
/// manifests and knows `--cascade` only as a boolean, so it cannot judge
/// those lines without a cluster.
const MIN_KUBECTL_MINOR: u32 = 22;

/// Fails, saying what to do, when the real kubectl is too old to judge.
fn check_kubectl_version() {
    let out = std::process::Command::new(REAL_KUBECTL)
        .args(["version", "--client", "-o", "json"])
        .output()
        .expect("kubectl runs");
    let version: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let minor: u32 = version["clientVersion"]["minor"]
        .as_str()
        .unwrap_or_default()
        .trim_end_matches('+')
        .parse()
        .unwrap_or(0);
    assert!(
        minor >= MIN_KUBECTL_MINOR,
        "{REAL_KUBECTL} is kubectl 1.{minor}; these checks need kubectl 1.{MIN_KUBECTL_MINOR} or \
         newer (the kubernetes mixin installs v1.32 in images). Put a newer kubectl at \
         {REAL_KUBECTL}."
    );
}

struct Harness {
    root: tempfile::TempDir,
    host: MixinHost,
}

impl Harness {
    fn new() -> Self {
        assert!(
            Path::new(REAL_KUBECTL).exists(),
            "{REAL_KUBECTL} is missing: scripts/setup-machine installs Debian's kubernetes-client"
        );
        check_kubectl_version();
        // Not under /tmp: the sandbox never looks programs up in a scratch
        // directory anyone can write, so the fake helm and kubectl live in
        // the target directory.
        let root = tempfile::Builder::new()
            .prefix("wharf-corpus-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .expect("cannot create a directory under CARGO_TARGET_TMPDIR");
        let dir = |name: &str| {
            let path = root.path().join(name);
            std::fs::create_dir_all(&path).unwrap();
            path
        };
        for name in ["calls", "canned", "helm-fail", "home"] {
            dir(name);
        }
        let bin = dir("bin");
        for (name, body) in [("kubectl", KUBECTL), ("helm", HELM)] {
            let path = bin.join(name);
            std::fs::write(&path, format!("{RECORD}{body}")).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        std::fs::write(root.path().join("kubeconfig"), FAKE_KUBECONFIG).unwrap();
        let manifests = dir("bundle/manifests/app");
        std::fs::write(
            manifests.join("configmap.yaml"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: hello, labels: {app: hello}}\ndata: {greeting: hi}\n",
        )
        .unwrap();
        std::fs::write(
            manifests.join("service.yaml"),
            "apiVersion: v1\nkind: Service\nmetadata: {name: hello, labels: {app: hello}}\n\
             spec: {selector: {app: hello}, ports: [{port: 80}]}\n",
        )
        .unwrap();
        std::fs::write(
            root.path().join("bundle/manifests/extra.yaml"),
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: web}\n",
        )
        .unwrap();
        let host = MixinHost::new(HostConfig {
            sink: Arc::new(MemorySink::default()),
            ..HostConfig::default()
        })
        .unwrap();
        Self { root, host }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    async fn load(&self, guest: &str) -> LoadedMixin {
        self.host.load_file(&guest_wasm(guest)).await.unwrap()
    }

    fn can(&self, kind_and_name: &str, stdout: &str) {
        std::fs::write(self.path("canned").join(kind_and_name), stdout).unwrap();
    }

    /// Runs one step and returns its outputs (or error text) and the calls.
    async fn run(
        &self,
        mixin: &LoadedMixin,
        action: &str,
        step: Value,
    ) -> (Result<Vec<(String, String)>, String>, Vec<Call>) {
        let text = |p: PathBuf| p.display().to_string();
        let env = [
            ("PATH", format!("{}:/usr/bin:/bin", text(self.path("bin")))),
            ("HOME", text(self.path("home"))),
            ("KUBECONFIG", text(self.path("kubeconfig"))),
            ("WHARF_WRAP_DIR", text(self.root.path().to_path_buf())),
            ("REAL_KUBECTL", REAL_KUBECTL.to_string()),
        ];
        // The working directories the runtime would grant the step.
        let writable = work_dirs::for_step(&mixin.metadata().name, None, &step)
            .unwrap()
            .into_iter()
            .map(|dir| self.path("bundle").join(dir))
            .collect();
        let grant = ExecuteGrant {
            bundle_dir: Some(self.path("bundle")),
            writable,
            env: env.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
            guest_env: Vec::new(),
        };
        let result = mixin
            .execute(action, &step, None, &grant)
            .await
            .map(|result| result.outputs.into_iter().map(pair).collect())
            .map_err(|e| e.to_string());
        (result, self.take_calls())
    }

    fn take_calls(&self) -> Vec<Call> {
        let dir = self.path("calls");
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        let calls = entries
            .iter()
            .map(|call| Call {
                program: std::fs::read_to_string(call.join("program"))
                    .unwrap()
                    .trim()
                    .into(),
                argv: std::fs::read_to_string(call.join("argv"))
                    .unwrap()
                    .lines()
                    .map(String::from)
                    .collect(),
                stderr: std::fs::read_to_string(call.join("stderr")).ok(),
            })
            .collect();
        for call in entries {
            std::fs::remove_dir_all(call).unwrap();
        }
        calls
    }
}

fn pair(output: StepOutput) -> (String, String) {
    (output.name, String::from_utf8(output.value).unwrap())
}

/// `Ok` when kubectl got as far as connecting: every line it wrote is about
/// the refused connection to 127.0.0.1:1, or a warning it prints for a
/// valid command (`--record`'s deprecation, immediate deletion).
fn connection_only(stderr: &str) -> Result<(), String> {
    let benign = |line: &str| {
        line.contains("127.0.0.1:1")
            || line.starts_with("Flag --record has been deprecated")
            || line.starts_with("Warning: Immediate deletion does not wait")
    };
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    match lines.iter().find(|l| !benign(l)) {
        Some(line) => Err(format!(
            "kubectl refused the command before connecting: {line}"
        )),
        None if lines.iter().any(|l| l.contains("127.0.0.1:1")) => Ok(()),
        None => Err(format!("kubectl never tried to connect: {stderr:?}")),
    }
}

/// Asserts the calls are exactly `expected`, each written as
/// `PROGRAM ARG ARG...` (no argument in these tests holds a space, which is
/// checked so the comparison stays argument-exact), and that the real
/// kubectl accepted every kubectl call.
fn assert_calls(calls: &[Call], expected: &[String]) {
    let got: Vec<String> = calls
        .iter()
        .map(|c| {
            assert!(
                c.argv.iter().all(|a| !a.contains(' ') && !a.is_empty()),
                "{:?}",
                c.argv
            );
            format!("{} {}", c.program, c.argv.join(" "))
        })
        .collect();
    assert_eq!(got, expected);
    for call in calls.iter().filter(|c| c.program == "kubectl") {
        let stderr = call.stderr.as_deref().expect("the real kubectl ran");
        connection_only(stderr).unwrap_or_else(|e| panic!("{:?}: {e}", call.argv));
    }
}

fn body(extra: Value) -> Value {
    let mut v = json!({"description": "test step", "manifests": ["manifests/app"]});
    v.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    v
}

#[test]
fn the_judge_tells_flag_errors_from_connection_errors() {
    let harness = Harness::new();
    let judge = |args: &[&str]| {
        let out = std::process::Command::new(REAL_KUBECTL)
            .args(args)
            .current_dir(harness.path("bundle"))
            .env("KUBECONFIG", harness.path("kubeconfig"))
            .env("HOME", harness.path("home"))
            .output()
            .unwrap();
        connection_only(&String::from_utf8_lossy(&out.stderr))
    };
    judge(&["apply", "-f", "manifests/app", "--dry-run=client"]).unwrap();
    for bad in [
        &[
            "apply",
            "-f",
            "manifests/app",
            "--bogus",
            "--dry-run=client",
        ][..],
        &["apply", "-f", "manifests/missing", "--dry-run=client"],
        &[
            "apply",
            "-f",
            "manifests/app",
            "--context=nope",
            "--dry-run=client",
        ],
        &[
            "delete",
            "-f",
            "manifests/app",
            "--cascade=later",
            "--dry-run=client",
        ],
    ] {
        assert!(
            judge(bad).is_err(),
            "{bad:?} should be refused before connecting"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn kubernetes_command_lines_pass_a_real_kubectl() {
    let h = Harness::new();
    let k8s = h.load("kubernetes").await;
    h.can("service-hello", "10.0.0.7");
    let kubeconfig = h.path("kubeconfig").display().to_string();

    let install = body(json!({
        "manifests": ["manifests/app", "manifests/extra.yaml"], "namespace": "web",
        "record": true, "selector": "app=hello", "validate": false,
        "outputs": [{"name": "ip", "resourceType": "service", "resourceName": "hello",
                     "namespace": "web", "jsonPath": "{.spec.clusterIP}"}]
    }));
    let (result, calls) = h.run(&k8s, "install", install).await;
    assert_eq!(
        result.unwrap(),
        [("ip".to_string(), "10.0.0.7".to_string())]
    );
    let flags = "-n web --record=true --selector=app=hello --validate=false --wait";
    assert_calls(
        &calls,
        &[
            format!("kubectl apply -f manifests/app {flags}"),
            format!("kubectl apply -f manifests/extra.yaml {flags}"),
            "kubectl get service hello -o=jsonpath={.spec.clusterIP} --namespace=web".into(),
        ],
    );

    for (action, extra, expected) in [
        (
            "install",
            json!({"serverSide": true, "forceConflicts": true, "context": "fake",
                   "kubeConfig": kubeconfig, "wait": false}),
            format!(
                "apply -f manifests/app --context=fake --kubeconfig={kubeconfig} \
                 --server-side=true --force-conflicts=true"
            ),
        ),
        (
            "upgrade",
            json!({"force": true, "overwrite": false, "timeout": 30}),
            "apply -f manifests/app --wait --force --grace-period=0 --overwrite=false \
             --timeout=30s"
                .into(),
        ),
        (
            "restart",
            json!({"prune": true, "selector": "app=hello", "gracePeriod": 10}),
            "apply -f manifests/app --selector=app=hello --wait --grace-period=10 --prune=true"
                .into(),
        ),
        (
            "uninstall",
            json!({"namespace": "web", "force": true, "selector": "app=hello", "timeout": 60,
                   "cascade": "foreground"}),
            "delete --ignore-not-found=true -f manifests/app -n web --force --grace-period=0 \
             --selector=app=hello --timeout=60s --wait --cascade=foreground"
                .into(),
        ),
        (
            "uninstall",
            json!({"gracePeriod": 0, "wait": false}),
            "delete --ignore-not-found=true -f manifests/app --grace-period=0 --force".into(),
        ),
    ] {
        let (result, calls) = h.run(&k8s, action, body(extra)).await;
        assert_eq!(result.unwrap(), []);
        assert_calls(&calls, &[format!("kubectl {expected}")]);
    }
}

/// The steps lint flags as errors are exactly ones a real kubectl refuses
/// (Porter's mixin would run them and fail against the cluster).
#[tokio::test(flavor = "multi_thread")]
async fn kubectl_refuses_what_kubernetes_lint_flags() {
    let h = Harness::new();
    let k8s = h.load("kubernetes").await;
    for (action, extra, code) in [
        ("install", json!({"forceConflicts": true}), "kubernetes-102"),
        (
            "upgrade",
            json!({"force": true, "prune": true, "selector": "app=hello"}),
            "kubernetes-104",
        ),
        ("upgrade", json!({"prune": true}), "kubernetes-105"),
        ("uninstall", json!({"cascade": "later"}), "kubernetes-109"),
    ] {
        let step = body(extra);
        let input = BuildInput {
            config: None,
            actions: vec![ActionSteps {
                action: action.into(),
                steps: vec![step.clone()],
            }],
        };
        let findings = k8s.lint(&input, None).await.unwrap();
        let errors: Vec<&str> = findings
            .iter()
            .filter(|f| f.level == Level::Error)
            .map(|f| f.code.as_str())
            .collect();
        assert_eq!(errors, [code], "{step}");
        let (_, calls) = h.run(&k8s, action, step.clone()).await;
        let stderr = calls[0].stderr.as_deref().unwrap();
        assert!(
            connection_only(stderr).is_err(),
            "kubectl accepted {step}: {stderr}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn helm3_runs_porters_helm_lines_and_reads_outputs_through_kubectl() {
    let h = Harness::new();
    let helm3 = h.load("helm3").await;
    h.can("secret-mydb-mysql", "czNjcjN0"); // base64 of s3cr3t
    h.can("secret-mydb-tls", "LS0tLS1CRUdJTg==");
    h.can("service-mydb", "10.0.0.9");
    let install = json!({
        "description": "Install MySQL", "name": "mydb", "chart": "bitnami/mysql", "version": "9.4.1",
        "namespace": "db", "set": {"auth.database": "app", "primary.persistence.enabled": false},
        "wait": true, "timeout": "5m",
        "outputs": [
            {"name": "root-password", "secret": "mydb-mysql", "key": "mysql-root-password"},
            {"name": "tls", "secret": "mydb-tls", "key": "tls.crt", "namespace": "certs"},
            {"name": "ip", "resourceType": "service", "resourceName": "mydb", "namespace": "db",
             "jsonPath": "{.spec.clusterIP}"}
        ]
    });
    let (result, calls) = h.run(&helm3, "install", install.clone()).await;
    assert_eq!(
        result.unwrap(),
        [
            ("root-password", "s3cr3t"),
            ("tls", "-----BEGIN"),
            ("ip", "10.0.0.9")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    let reads = [
        "kubectl get secret mydb-mysql -n db -o jsonpath={.data.mysql-root-password} \
         --allow-missing-template-keys=false",
        "kubectl get secret mydb-tls -n certs -o jsonpath={.data.tls\\.crt} \
         --allow-missing-template-keys=false",
        "kubectl get service mydb -o=jsonpath={.spec.clusterIP} --namespace=db",
    ];
    let expect = |helm_flags: &str| {
        let helm = format!(
            "helm upgrade --install mydb bitnami/mysql --namespace db --version 9.4.1 \
             {helm_flags} --timeout 5m --atomic --create-namespace \
             --set auth.database=app --set primary.persistence.enabled=false"
        );
        [helm]
            .into_iter()
            .chain(reads.map(String::from))
            .collect::<Vec<_>>()
    };
    assert_calls(&calls, &expect("--wait"));

    let mut upgrade = install;
    upgrade["reuseValues"] = json!(true);
    let (result, calls) = h.run(&helm3, "upgrade", upgrade).await;
    assert_eq!(result.unwrap().len(), 3);
    assert_calls(&calls, &expect("--reuse-values --wait"));

    let status = json!({"description": "Status", "arguments": ["status", "mydb"],
                        "flags": {"o": "yaml", "namespace": "db"}});
    let (result, calls) = h.run(&helm3, "status", status).await;
    assert_eq!(result.unwrap(), []);
    assert_calls(&calls, &["helm status mydb --namespace db -o yaml".into()]);
}

#[tokio::test(flavor = "multi_thread")]
async fn helm3_uninstall_goes_on_past_failures_and_forgives_missing_releases() {
    let h = Harness::new();
    let helm3 = h.load("helm3").await;
    let fail = |release: &str, stderr: &str| {
        std::fs::write(h.path("helm-fail").join(release), stderr).unwrap();
    };
    fail(
        "gone",
        "Error: uninstall: Release not loaded: gone: release: not found\n",
    );
    fail("broken", "Error: Kubernetes cluster unreachable\n");
    let step = |releases: Value| json!({"description": "Uninstall", "namespace": "db", "noHooks": true, "releases": releases});
    let (result, calls) = h
        .run(&helm3, "uninstall", step(json!(["gone", "broken", "fine"])))
        .await;
    let err = result.unwrap_err();
    assert!(err.contains("Kubernetes cluster unreachable"), "{err}");
    assert!(!err.contains("gone"), "{err}");
    let line = |r: &str| format!("helm uninstall {r} --namespace db --no-hooks");
    assert_calls(&calls, &[line("gone"), line("broken"), line("fine")]);
    let (result, _) = h.run(&helm3, "uninstall", step(json!(["gone"]))).await;
    assert_eq!(result.unwrap(), []);
}

/// The field of the error on a manifest without a schemaVersion.
const NO_SCHEMA_VERSION: &str = "schemaVersion";

/// Every Porter manifest in the corpus that uses helm3 or terraform lints
/// without errors or warnings with Wharf's mixins installed.
#[tokio::test(flavor = "multi_thread")]
async fn corpus_manifests_for_helm3_and_terraform_lint_clean() {
    let corpus = std::env::var_os("WHARF_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance")
        })
        .join("porter-manifests");
    assert!(
        corpus.is_dir(),
        "the corpus is missing at {}; set WHARF_CONFORMANCE_DIR",
        corpus.display()
    );
    let home = scratch_dir();
    let host = MixinHost::new(HostConfig {
        sink: Arc::new(MemorySink::default()),
        ..HostConfig::default()
    })
    .unwrap();
    let catalog = Catalog::new(WharfHome::new(home.path()));
    for guest in ["helm3", "kubernetes", "terraform"] {
        catalog
            .install_file(&host, &guest_wasm(guest))
            .await
            .unwrap();
    }
    let schema = catalog
        .load(&host, "helm3")
        .await
        .unwrap()
        .schema()
        .await
        .unwrap();
    let helm3_schema = jsonschema::draft7::new(&schema).expect("a valid draft-07 schema");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    let mut linted = Vec::new();
    let mut problems = Vec::new();
    for path in files {
        // The helm3 example predates the schemaVersion Porter v1 (and so
        // Wharf) requires; the rest of it must still lint clean.
        let manifest = match wharf::manifest::load(&path) {
            Ok((manifest, _)) => manifest,
            Err(e) => match e.partial {
                Some(m) if e.errors().all(|d| d.field == NO_SCHEMA_VERSION) => *m,
                _ => continue,
            },
        };
        let uses = |name: &str| manifest.mixins.iter().any(|m| m.name == name);
        if !(uses("helm3") || uses("terraform")) {
            continue;
        }
        linted.push(path.file_name().unwrap().to_string_lossy().into_owned());
        if uses("helm3") {
            // Porter's helm3 steps also pass the schema editors get.
            let input = wharf::build::mixin_input(&manifest, "helm3");
            let steps: serde_json::Map<String, Value> = input
                .actions
                .into_iter()
                .map(|a| {
                    (
                        a.action,
                        a.steps.into_iter().map(|s| json!({"helm3": s})).collect(),
                    )
                })
                .collect();
            if let Err(e) = helm3_schema.validate(&Value::Object(steps)) {
                problems.push(format!("{}: {e}", path.display()));
            }
        }
        // The manifest's and the mixins' findings; the corpus's
        // dependencies are unreachable here (porter-105 is e2e's).
        let linted = wharf::build::lint::lint_manifest(&path, &host, &catalog).await;
        for finding in linted.findings {
            if finding.level != Level::Info && finding.location.field != NO_SCHEMA_VERSION {
                problems.push(finding.display());
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(
        linted,
        [
            "examples__airgap__porter.yaml",
            "helm3-mixin__example__porter.yaml",
            "porter__build__testdata__bundles__mysql__porter.yaml",
            "porter__build__testdata__bundles__wordpressv2-interface__porter.yaml",
            "porter__pkg__manifest__testdata__bundles__mysql__porter.yaml",
            "porter__pkg__runtime__testdata__outputs__bundle-outputs.yaml__porter.yaml",
            "terraform-mixin__examples__basic-tf-example__porter.yaml",
        ]
    );
}
