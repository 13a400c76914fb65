//! Running bundles end to end through a real dockerd, as an operator does:
//! `wharf install|upgrade|invoke|uninstall` and the records they leave.
//!
//! The scaffolded bundle runs on a Debian base and the exec-outputs bundle
//! on a busybox base, so the static runtime is shown to work on both.

use std::collections::HashMap;
use std::path::Path;

use bollard::query_parameters::EventsOptionsBuilder;
use futures_util::StreamExt;
use serde_json::Value;
use wharf::home::WharfHome;
use wharf::store::{InstallationKey, InstallationStore, SqliteStore};
use wharf_test_support::cli::{Wharf, busybox_bundle, contains, files_containing, write_file};
use wharf_test_support::docker::{BUSYBOX_IMAGE, SOCKET};
use wharf_test_support::docker_proxy::DockerProxy;
use wharf_test_support::scratch_dir;

const WHARF: &str = env!("CARGO_BIN_EXE_wharf");

/// The values the sensitive-data test must never find outside the secret
/// store.
const PASSWORD: &str = "pw-Zq81xLmT";
const TOKEN: &str = "tok-Hc93nVbW";

/// `wharf create`'s bundle (Debian base) installs, upgrades, runs its
/// custom action and uninstalls; the records show the four runs, newest
/// first, and the outputs read back.
#[test]
fn the_scaffold_bundle_runs_its_whole_lifecycle() {
    let work = scratch_dir();
    let mut wharf = Wharf::new(WHARF, work.path());
    wharf.run(&["create", "hello"]).ok();
    wharf.dir = work.path().join("hello");

    let install = wharf.run(&["install", "--param", "name=Ada"]).ok();
    assert!(install.stdout.contains("Hello, Ada"), "{}", install.stdout);
    assert!(install.stderr.contains("succeeded"), "{}", install.stderr);
    assert_eq!(wharf.outputs("hello")["greeting"]["value"], "Hello, Ada");

    wharf.run(&["upgrade", "--param", "name=Bob"]).ok();
    let status = wharf.run(&["invoke", "--action", "status"]).ok();
    // The custom action reuses the upgrade's value of `name`.
    assert!(
        status.stdout.contains("Bob has been greeted"),
        "{}",
        status.stdout
    );
    wharf.run(&["uninstall"]).ok();

    let runs = wharf.runs("hello");
    let summary: Vec<(String, String)> = runs
        .iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected = ["uninstall", "status", "upgrade", "install"]
        .map(|a| (a.to_string(), "succeeded".to_string()));
    assert_eq!(summary, expected);

    let outputs = wharf.outputs("hello");
    assert_eq!(outputs["greeting"]["value"], "Hello again, Bob");
    let shown = wharf
        .run(&[
            "installations",
            "outputs",
            "show",
            "greeting",
            "-i",
            "hello",
        ])
        .ok();
    assert_eq!(shown.stdout.trim_end(), "Hello again, Bob");

    let show = wharf
        .run(&["installations", "show", "hello", "-o", "json"])
        .ok()
        .json();
    assert_eq!(show["status"]["action"], "uninstall");
    assert_eq!(show["status"]["resultStatus"], "succeeded");
    assert!(!show["status"]["uninstalled"].is_null(), "{show}");

    let logs = wharf.run(&["logs", "show", "-i", "hello"]).ok();
    assert!(logs.stdout.contains("Goodbye, Bob"), "{}", logs.stdout);
}

/// A bundle with jsonPath, regex and path outputs, a file parameter, an
/// object parameter, a sensitive parameter, a sensitive credential and a
/// sensitive output (busybox base).
fn write_exec_bundle(dir: &Path) {
    write_file(
        dir,
        "porter.yaml",
        r#"schemaVersion: 1.0.1
name: exec-outputs
version: 0.1.0
dockerfile: Dockerfile.tmpl
mixins:
  - exec
parameters:
  - name: config
    type: file
    path: /cnab/app/config.txt
  - name: settings
    type: object
    default: {"region": "nowhere"}
  - name: password
    type: string
    sensitive: true
credentials:
  - name: token
    env: API_TOKEN
outputs:
  - name: region
    type: string
  - name: greeting
    type: string
  - name: config-copy
    type: string
  - name: derived
    type: string
    sensitive: true
install:
  - exec:
      description: "Print the settings as JSON"
      command: ./outputs.sh
      arguments:
        - json
        - "${ bundle.parameters.settings }"
      outputs:
        - name: region
          jsonPath: "$.region"
  - exec:
      description: "Use the secrets"
      command: ./outputs.sh
      arguments:
        - secrets
        - "${ bundle.parameters.password }"
        - "${ bundle.parameters.config }"
      outputs:
        - name: greeting
          regex: "greeting: (.*)"
        - name: config-copy
          path: /cnab/app/config-copy.txt
        - name: derived
          path: /cnab/app/derived.txt
upgrade:
  - exec:
      command: ./outputs.sh
      arguments: [json, "{}"]
uninstall:
  - exec:
      command: ./outputs.sh
      arguments: [json, "{}"]
"#,
    );
    write_file(
        dir,
        "Dockerfile.tmpl",
        &format!("FROM {BUSYBOX_IMAGE}\n# PORTER_MIXINS\nCOPY --chown=65532:0 . ${{BUNDLE_DIR}}\n"),
    );
    write_file(
        dir,
        "outputs.sh",
        r#"#!/bin/sh
set -e
case "$1" in
  json) printf '%s\n' "$2" ;;
  secrets)
    echo "the password is $2"
    echo "the token is $API_TOKEN"
    echo "greeting: hello from $(cat "$3")"
    cp "$3" /cnab/app/config-copy.txt
    printf 'derived-%s' "$API_TOKEN" | rev > /cnab/app/derived.txt
    ;;
esac
"#,
    );
}

/// The credential set file the sensitive-data test passes by path.
fn write_credentials(dir: &Path) {
    write_file(
        dir,
        "creds.json",
        r#"{"schemaType": "CredentialSet", "schemaVersion": "1.0.1", "name": "exec-creds",
            "credentials": [{"name": "token", "source": {"env": "EXEC_TOKEN"}}]}"#,
    );
}

#[test]
fn exec_outputs_are_right_and_no_secret_leaks() {
    let work = scratch_dir();
    let wharf = Wharf::new(WHARF, work.path());
    write_exec_bundle(work.path());
    write_credentials(work.path());
    write_file(work.path(), "config.json.in", "the config file");
    let password = format!("password={PASSWORD}");
    let settings = r#"settings={"region": "eu-west", "replicas": 3}"#;
    let env = [("EXEC_TOKEN", TOKEN)];
    wharf
        .run_with_env(
            &[
                "install",
                "--param",
                "config=config.json.in",
                "--param",
                settings,
                "--param",
                &password,
                "--credential-set",
                "creds.json",
            ],
            &env,
        )
        .ok();

    let outputs = wharf.outputs("exec-outputs");
    assert_eq!(outputs["region"]["value"], "eu-west");
    assert_eq!(outputs["greeting"]["value"], "hello from the config file");
    assert_eq!(outputs["config-copy"]["value"], "the config file");
    assert_eq!(outputs["derived"]["sensitive"], true);
    assert!(outputs["derived"].get("value").is_none(), "{outputs:?}");
    // The sensitive output is right: read back from the secret store.
    let derived: String = format!("derived-{TOKEN}").chars().rev().collect();
    let store = SqliteStore::open(&WharfHome::new(wharf.home.path())).unwrap();
    let key = InstallationKey::global("exec-outputs");
    let record = store.output(&key, "derived", true).unwrap();
    assert_eq!(record.value.unwrap().as_bytes(), derived.as_bytes());

    // Everything an operator looks at.
    wharf.run(&["installations", "list"]).ok();
    wharf.run(&["installations", "list", "-o", "json"]).ok();
    wharf.run(&["installations", "show", "exec-outputs"]).ok();
    wharf
        .run(&["installations", "show", "exec-outputs", "-o", "yaml"])
        .ok();
    wharf
        .run(&["installations", "outputs", "list", "exec-outputs"])
        .ok();
    wharf
        .run(&[
            "installations",
            "runs",
            "list",
            "exec-outputs",
            "-o",
            "json",
        ])
        .ok();
    let logs = wharf.run(&["logs", "show", "-i", "exec-outputs"]).ok();
    assert!(
        logs.stdout.contains("the password is *******"),
        "{}",
        logs.stdout
    );
    assert!(
        logs.stdout.contains("the token is *******"),
        "{}",
        logs.stdout
    );
    wharf
        .run_with_env(
            &[
                "upgrade",
                "--driver",
                "debug",
                "--credential-set",
                "creds.json",
            ],
            &env,
        )
        .ok();
    wharf
        .run_with_env(&["uninstall", "--credential-set", "creds.json"], &env)
        .ok();

    let transcript = wharf.transcript();
    for secret in [PASSWORD, TOKEN, derived.as_str()] {
        assert!(
            !contains(&transcript, secret),
            "a command printed the secret {secret}"
        );
        let leaks = files_containing(wharf.home.path(), secret, &["secrets"]);
        assert!(leaks.is_empty(), "{secret} found in {leaks:?}");
    }
    // The database itself was searched above (wharf.db and its journal);
    // make sure it is where the search looked.
    assert!(wharf.database().exists());
}

/// Counts the containers Docker created from `image` between two times.
async fn containers_created(image: &str, since: i64, until: i64) -> usize {
    let docker = wharf::build::image::connect().await.unwrap();
    let mut filters = HashMap::new();
    filters.insert("type", vec!["container"]);
    filters.insert("event", vec!["create"]);
    let options = EventsOptionsBuilder::default()
        .since(&since.to_string())
        .until(&until.to_string())
        .filters(&filters)
        .build();
    let mut events = docker.events(Some(options));
    let mut count = 0;
    while let Some(event) = events.next().await {
        let event = event.unwrap();
        let from = event
            .actor
            .and_then(|a| a.attributes)
            .and_then(|a| a.get("image").cloned())
            .unwrap_or_default();
        if from == image {
            count += 1;
        }
    }
    count
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_required_credential_stops_before_any_container() {
    let work = scratch_dir();
    let mut wharf = Wharf::new(WHARF, work.path());
    write_exec_bundle(work.path());
    write_credentials(work.path());
    // Build first, so the installs below have nothing to build.
    wharf.run(&["build"]).ok();
    let bundle: Value =
        serde_json::from_slice(&std::fs::read(work.path().join(".cnab/bundle.json")).unwrap())
            .unwrap();
    let image = bundle["invocationImages"][0]["image"]
        .as_str()
        .unwrap()
        .to_string();

    let proxy = DockerProxy::start(Path::new(SOCKET));
    wharf.with_docker_host(proxy.docker_host());
    let since = now() - 1;
    let refused = wharf
        .run(&[
            "install",
            "--param",
            "config=porter.yaml",
            "--param",
            "password=x",
        ])
        .failed();
    assert!(
        refused.stderr.contains("credential `token` is required")
            && refused.stderr.contains("--credential-set"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("nothing was run"),
        "{}",
        refused.stderr
    );
    assert_eq!(proxy.connections(), 0, "wharf talked to Docker");
    // Docker's own account: no container was created from the image.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(containers_created(&image, since, now()).await, 0);
    // And nothing was recorded.
    let list = wharf
        .run(&["installations", "list", "-o", "json"])
        .ok()
        .json();
    assert_eq!(list, serde_json::json!([]));

    // The same run with the credential does create one: the check above
    // can see a container when there is one.
    let since = now() - 1;
    wharf
        .run_with_env(
            &[
                "install",
                "--param",
                "config=porter.yaml",
                "--param",
                "password=x",
                "-c",
                "creds.json",
            ],
            &[("EXEC_TOKEN", "t")],
        )
        .ok();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(containers_created(&image, since, now()).await, 1);
}

/// A bundle that drives the host's Docker is refused without
/// --allow-docker-host-access, and gets the socket with it.
#[test]
fn docker_host_access_must_be_allowed() {
    let work = busybox_bundle(
        "needs-docker",
        &format!(
            "required:\n  - docker\ninstall:\n  - exec:\n      command: ls\n      \
             arguments: [-l, /var/run/docker.sock]\n{NOTHING_ELSE}"
        ),
        &[],
    );
    let wharf = Wharf::new(WHARF, work.path());
    let refused = wharf.run(&["install"]).failed();
    assert!(
        refused.stderr.contains("--allow-docker-host-access"),
        "{}",
        refused.stderr
    );
    let allowed = wharf.run(&["install", "--allow-docker-host-access"]).ok();
    assert!(allowed.stdout.contains("docker.sock"), "{}", allowed.stdout);
}

/// Upgrade and uninstall steps that do nothing, for bundles whose test is
/// about install.
const NOTHING_ELSE: &str = "upgrade:\n  - exec:\n      command: \"true\"\nuninstall:\n  - exec:\n      command: \"true\"\n";

/// An interrupted run (SIGTERM, as from Ctrl-C or a CI timeout) is
/// recorded as canceled with the log so far, and its container is removed.
#[test]
fn an_interrupted_run_is_canceled_and_its_container_removed() {
    use std::io::{BufRead, BufReader};
    let work = busybox_bundle(
        "sleepy",
        &format!("install:\n  - exec:\n      command: ./sleepy.sh\n{NOTHING_ELSE}"),
        &[("sleepy.sh", "#!/bin/sh\necho going to sleep\nsleep 60\n")],
    );
    let wharf = Wharf::new(WHARF, work.path());
    wharf.run(&["build"]).ok();
    let mut child = wharf
        .command(&["install"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while !line.contains("going to sleep") {
        line.clear();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "install ended early"
        );
    }
    let started = std::time::Instant::now();
    let pid = child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = child.wait().unwrap();
    assert!(!status.success());
    assert!(
        started.elapsed().as_secs() < 30,
        "the run was not cut short"
    );

    let runs = wharf.runs("sleepy");
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["status"], "canceled");
    let run_id = runs[0]["id"].as_str().unwrap().to_ascii_lowercase();
    let logs = wharf.run(&["logs", "show", "-i", "sleepy"]).ok();
    assert!(logs.stdout.contains("going to sleep"), "{}", logs.stdout);
    let left = std::process::Command::new("docker")
        .args(["ps", "-aq", "--filter", &format!("name=wharf-{run_id}")])
        .output()
        .unwrap();
    assert!(left.stdout.is_empty(), "the container was left behind");
}
