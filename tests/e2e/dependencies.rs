//! Bundle dependencies end to end, as Porter runs them: dependency bundles
//! published to a real registry (distribution 2.8 on loopback) at several
//! versions, a parent bundle built from its porter.yaml, and every action
//! run through a real dockerd with an operator's empty `WHARF_HOME`.
//!
//! What it proves, because an operator relies on each:
//! - v1 (`schemaVersion: 1.0.1`): a requirement's semver range picks the
//!   highest matching tag (`--dependencies-version-strategy min` the
//!   lowest), the dependency is pulled and installed first as its own
//!   installation `<parent>-<alias>`, labelled with its parent, with the
//!   parameters the parent gives it (`--param ALIAS#NAME` winning), and the
//!   root sees its outputs both in a step template and as a parameter
//!   source. Upgrade and custom actions run the dependencies first (one
//!   without the custom action is skipped), uninstall runs them last.
//! - v2 (`schemaVersion: 1.1.0`): a shared dependency is installed once per
//!   sharing group, reused by a second parent, and uninstalled only with its
//!   last parent; a dependency's parameter can be wired from an earlier
//!   sibling's output, and a requirement can derive outputs the parent sees.
//! - A failed dependency stops the root, is recorded on both installations,
//!   and a rerun continues where it stopped without rerunning what
//!   succeeded.
//!
//! Every bundle here is named `deps-*`, so the images the builds tag
//! (`wharf.local/<name>:...`) are this file's own.

use std::path::Path;

use serde_json::{Value, json};
use tempfile::TempDir;
use wharf_test_support::cli::{Wharf, busybox_bundle_at, write_file};
use wharf_test_support::registry::TestRegistry;
use wharf_test_support::scratch_dir;

const WHARF: &str = env!("CARGO_BIN_EXE_wharf");

/// The dependency bundle every test publishes (under its own name): the
/// connection string it makes is `db://<database>@<bundle version>`, and
/// its install fails when the parameter `fail` is `yes`.
const DEPENDENCY_MANIFEST: &str = r#"parameters:
  - name: database
    type: string
    default: db
  - name: fail
    type: string
    default: "no"
outputs:
  - name: connstr
    type: string
    applyTo:
      - install
      - upgrade
install:
  - exec:
      command: ./dep.sh
      arguments:
        - install
        - "${ bundle.parameters.database }"
        - "${ bundle.version }"
        - "${ bundle.parameters.fail }"
      outputs:
        - name: connstr
          regex: "connstr: (.*)"
upgrade:
  - exec:
      command: ./dep.sh
      arguments:
        - upgrade
        - "${ bundle.parameters.database }"
        - "${ bundle.version }"
      outputs:
        - name: connstr
          regex: "connstr: (.*)"
status:
  - exec:
      command: ./dep.sh
      arguments:
        - status
        - "${ bundle.parameters.database }"
        - "${ bundle.version }"
customActions:
  status:
    description: "Report the database"
    modifies: false
    stateless: false
uninstall:
  - exec:
      command: ./dep.sh
      arguments:
        - uninstall
        - "${ bundle.parameters.database }"
        - "${ bundle.version }"
"#;

/// The dependency's script. Its failure message names neither the alias
/// nor the installation, so a test can tell that Wharf's error does.
const DEPENDENCY_SCRIPT: &str = r#"#!/bin/sh
action=$1
database=$2
version=$3
if [ "$4" = yes ]; then
  echo "failing on purpose" >&2
  exit 1
fi
case "$action" in
  install) echo "connstr: db://$database@$version" ;;
  upgrade) echo "connstr: db://$database@$version/upgraded" ;;
  *) echo "$action of db://$database@$version" ;;
esac
"#;

/// The parents' script: prints each argument on its own line, so a step
/// makes the output `x` from an argument `"x=${ ... }"` and the regex
/// `"x=(.*)"`. (The exec mixin splits an argument on whitespace, as
/// Porter's does, so the arguments have none.)
const PARENT_SCRIPT: &str = "#!/bin/sh\nfor line in \"$@\"; do echo \"$line\"; done\n";

/// A parent bundle: `tail` (with `HOST` standing for the registry) after
/// the header, an `install`, `upgrade` and `uninstall` that only say so
/// for each the tail does not define, and the parents' script.
fn parent_bundle(schema: &str, name: &str, tail: &str, registry: &TestRegistry) -> TempDir {
    let mut manifest = tail.replace("HOST", &registry.host());
    for action in ["install", "upgrade", "uninstall"] {
        if !manifest.starts_with(&format!("{action}:"))
            && !manifest.contains(&format!("\n{action}:"))
        {
            manifest.push_str(&format!(
                "{action}:\n  - exec:\n      command: ./parent.sh\n      arguments: [\"parent {action}\"]\n"
            ));
        }
    }
    busybox_bundle_at(
        schema,
        name,
        "0.1.0",
        &manifest,
        &[("parent.sh", PARENT_SCRIPT)],
    )
}

/// The path of the porter.yaml in `dir`, for `-f`.
fn manifest(dir: &Path) -> String {
    dir.join("porter.yaml").to_str().unwrap().to_string()
}

/// Builds the dependency bundle `name` at `version` and publishes it as
/// `HOST/REPOSITORY:vVERSION` (the tag Porter's version ranges match).
fn publish_dependency(
    author: &Wharf,
    registry: &TestRegistry,
    repository: &str,
    name: &str,
    version: &str,
) {
    let dir = busybox_bundle_at(
        "1.0.1",
        name,
        version,
        DEPENDENCY_MANIFEST,
        &[("dep.sh", DEPENDENCY_SCRIPT)],
    );
    let reference = format!("{}/{repository}:v{version}", registry.host());
    author
        .run(&[
            "publish",
            "-f",
            &manifest(dir.path()),
            "--reference",
            &reference,
        ])
        .ok();
}

/// A `wharf` with an empty home, working in an empty directory: with no
/// porter.yaml there, an action naming an installation uses the bundle
/// recorded for it, as an operator's `wharf upgrade NAME` does. Keep the
/// directory alive as long as the `Wharf`.
fn fresh_wharf() -> (Wharf, TempDir) {
    wharf_test_support::docker::ensure_docker();
    let work = scratch_dir();
    let wharf = Wharf::new(WHARF, work.path());
    (wharf, work)
}

/// Pretty JSON for assertion messages.
fn pretty(value: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(value).unwrap()
}

/// The (action, status) of each run, newest first.
fn actions(runs: &[Value]) -> Vec<(String, String)> {
    runs.iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap_or_default().to_string(),
                r["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// `(action, "succeeded")` for each action, newest first.
fn succeeded(list: &[&str]) -> Vec<(String, String)> {
    list.iter()
        .map(|a| (a.to_string(), "succeeded".to_string()))
        .collect()
}

/// The newest run of `action` in `runs` (newest first).
#[track_caller]
fn newest<'a>(runs: &'a [Value], action: &str) -> &'a Value {
    runs.iter()
        .find(|r| r["action"] == action)
        .unwrap_or_else(|| panic!("no {action} run in:\n{}", pretty(&runs)))
}

/// When a run started (`created`, RFC 3339 with milliseconds in UTC, so
/// the strings compare as the times do).
#[track_caller]
fn started(run: &Value) -> String {
    run["created"]
        .as_str()
        .unwrap_or_else(|| panic!("the run has no `created` time:\n{}", pretty(run)))
        .to_string()
}

/// When a run ended: the time of its final result.
#[track_caller]
fn ended(run: &Value) -> String {
    assert_eq!(run["status"], "succeeded", "{}", pretty(run));
    run["result"]["created"]
        .as_str()
        .unwrap_or_else(|| panic!("the run has no final result time:\n{}", pretty(run)))
        .to_string()
}

/// The names of the installations in the global namespace, sorted.
fn installation_names(wharf: &Wharf) -> Vec<String> {
    let list = wharf
        .run(&["installations", "list", "-o", "json"])
        .ok()
        .json();
    let mut names: Vec<String> = list
        .as_array()
        .expect("installations list is a JSON array")
        .iter()
        .map(|i| i["name"].as_str().unwrap_or_default().to_string())
        .collect();
    names.sort();
    names
}

/// Whether `show` (an installation's JSON) reads installed: an install
/// succeeded and no uninstall since.
fn is_installed(show: &Value) -> bool {
    show["status"]["installed"].is_string() && show["status"]["uninstalled"].is_null()
}

/// The v1 parent of the first test: requires `db` in a range that excludes
/// 1.0.0, gives it `database: appdb`, and reads its `connstr` in a step
/// template and through a parameter sourced from the dependency's output.
/// `report` is a custom action the dependency lacks.
const V1_APP: &str = r#"dependencies:
  requires:
    - name: db
      bundle:
        reference: HOST/dv1/db
        version: ">=0.1.0 <1.0.0"
      parameters:
        database: appdb
parameters:
  - name: connstr
    type: string
    applyTo:
      - install
    source:
      dependency: db
      output: connstr
outputs:
  - name: seen
    type: string
    applyTo:
      - install
      - upgrade
  - name: seen-param
    type: string
    applyTo:
      - install
  - name: meta
    type: string
    applyTo:
      - install
install:
  - exec:
      command: ./parent.sh
      arguments:
        - "seen=${ bundle.dependencies.db.outputs.connstr }"
        - "seen-param=${ bundle.parameters.connstr }"
        - "meta=${ bundle.dependencies.db.name }@${ bundle.dependencies.db.version }"
      outputs:
        - name: meta
          regex: "meta=(.*)"
        - name: seen
          regex: "seen=(.*)"
        - name: seen-param
          regex: "seen-param=(.*)"
upgrade:
  - exec:
      command: ./parent.sh
      arguments:
        - "seen=${ bundle.dependencies.db.outputs.connstr }"
      outputs:
        - name: seen
          regex: "seen=(.*)"
status:
  - exec:
      command: ./parent.sh
      arguments: ["app status"]
report:
  - exec:
      command: ./parent.sh
      arguments: ["app report"]
customActions:
  status:
    description: "Report the app"
    modifies: false
    stateless: false
  report:
    description: "A report the dependency has no action for"
    modifies: false
    stateless: false
uninstall:
  - exec:
      command: ./parent.sh
      arguments: ["app uninstall"]
"#;

#[test]
fn v1_dependency_installs_first_at_the_highest_version_in_range_and_feeds_the_root() {
    let registry = TestRegistry::start();
    let (author, _author_dir) = fresh_wharf();
    for version in ["0.1.0", "0.2.0", "1.0.0"] {
        publish_dependency(&author, &registry, "dv1/db", "deps-v1-db", version);
    }
    let app = parent_bundle("1.0.1", "deps-v1-app", V1_APP, &registry);
    let app_manifest = manifest(app.path());
    let (wharf, _work) = fresh_wharf();

    // Install: the dependency first, at 0.2.0 (the highest tag in range;
    // v1.0.0 is outside it), with the parent's parameter.
    wharf.run(&["install", "app", "-f", &app_manifest]).ok();
    let db = wharf.show("app-db");
    assert_eq!(
        db["bundle"]["version"],
        "0.2.0",
        "the highest version in range: {}",
        pretty(&db)
    );
    assert!(
        db["bundle"]["reference"]
            .as_str()
            .is_some_and(|r| r.starts_with(&format!("{}/dv1/db", registry.host()))),
        "the dependency came from the registry: {}",
        pretty(&db)
    );
    assert_eq!(
        db["labels"]["sh.porter.parentInstallation"],
        "app",
        "{}",
        pretty(&db)
    );
    assert_eq!(
        db["namespace"],
        "",
        "the parent's namespace: {}",
        pretty(&db)
    );
    assert!(is_installed(&db), "{}", pretty(&db));
    let connstr = "db://appdb@0.2.0";
    assert_eq!(wharf.output_text("app-db", "connstr"), connstr);
    let db_runs = wharf.runs("app-db");
    assert_eq!(
        actions(&db_runs),
        succeeded(&["install"]),
        "{}",
        pretty(&db_runs)
    );
    assert_eq!(
        db_runs[0]["parameters"]["database"],
        json!({"value": "appdb"}),
        "the parent's `dependencies.requires[].parameters`: {}",
        pretty(&db_runs)
    );

    // The root saw the output both ways.
    assert_eq!(wharf.output_text("app", "seen"), connstr);
    assert_eq!(wharf.output_text("app", "seen-param"), connstr);
    // The dependency's name and version, from its bundle.json in the run.
    assert_eq!(wharf.output_text("app", "meta"), "deps-v1-db@0.2.0");
    let shown = wharf.show("app");
    assert_eq!(
        shown["dependencies"],
        json!([{"alias": "db", "name": "app-db", "namespace": "", "shared": false}]),
        "{}",
        pretty(&shown)
    );
    let app_runs = wharf.runs("app");
    assert!(
        ended(newest(&db_runs, "install")) <= ended(newest(&app_runs, "install")),
        "the dependency's install ended after the root's:\napp-db: {}\napp: {}",
        pretty(&db_runs),
        pretty(&app_runs)
    );
    assert_eq!(
        installation_names(&wharf),
        ["app", "app-db"],
        "only the root and its dependency are installations"
    );

    // Upgrade: the dependency first, so the root sees the connection
    // string the dependency's upgrade made.
    wharf.run(&["upgrade", "app"]).ok();
    let upgraded = format!("{connstr}/upgraded");
    assert_eq!(wharf.output_text("app-db", "connstr"), upgraded);
    assert_eq!(
        wharf.output_text("app", "seen"),
        upgraded,
        "the root's upgrade ran after the dependency's"
    );

    // A custom action the dependency has: it runs first.
    wharf.run(&["invoke", "app", "--action", "status"]).ok();
    let db_runs = wharf.runs("app-db");
    let app_runs = wharf.runs("app");
    assert_eq!(
        actions(&db_runs),
        succeeded(&["status", "upgrade", "install"]),
        "{}",
        pretty(&db_runs)
    );
    assert!(
        ended(newest(&db_runs, "status")) <= ended(newest(&app_runs, "status")),
        "the dependency's status ended after the root's:\napp-db: {}\napp: {}",
        pretty(&db_runs),
        pretty(&app_runs)
    );

    // A custom action the dependency lacks: it is skipped.
    wharf.run(&["invoke", "app", "--action", "report"]).ok();
    let db_runs = wharf.runs("app-db");
    assert_eq!(
        actions(&db_runs),
        succeeded(&["status", "upgrade", "install"]),
        "the dependency has no `report` action and must not run: {}",
        pretty(&db_runs)
    );

    // Uninstall: the root first, then the dependency.
    wharf.run(&["uninstall", "app"]).ok();
    let db_runs = wharf.runs("app-db");
    let app_runs = wharf.runs("app");
    assert_eq!(
        actions(&db_runs),
        succeeded(&["uninstall", "status", "upgrade", "install"]),
        "{}",
        pretty(&db_runs)
    );
    assert_eq!(
        actions(&app_runs),
        succeeded(&["uninstall", "report", "status", "upgrade", "install"]),
        "{}",
        pretty(&app_runs)
    );
    assert!(
        ended(newest(&app_runs, "uninstall")) <= started(newest(&db_runs, "uninstall")),
        "the dependency's uninstall started before the root's ended:\napp-db: {}\napp: {}",
        pretty(&db_runs),
        pretty(&app_runs)
    );
    let db = wharf.show("app-db");
    assert!(db["status"]["uninstalled"].is_string(), "{}", pretty(&db));

    // A second parent from the same porter.yaml: `--param db#database`
    // wins over the manifest's value, and the `min` strategy picks the
    // lowest version in range.
    let set_dir = scratch_dir();
    write_file(
        set_dir.path(),
        "dbset.yaml",
        "schemaVersion: 1.0.1\nname: dbset\nparameters:\n  - name: db#database\n    source:\n      value: fromset\n",
    );
    let set = set_dir.path().join("dbset.yaml");
    let set = set.to_str().unwrap();
    wharf
        .run(&[
            "install",
            "app2",
            "-f",
            &app_manifest,
            "-p",
            set,
            "--param",
            "db#database=other",
            "--dependencies-version-strategy",
            "min",
        ])
        .ok();
    let db2 = wharf.show("app2-db");
    assert_eq!(
        db2["bundle"]["version"],
        "0.1.0",
        "the lowest version in range: {}",
        pretty(&db2)
    );
    assert_eq!(
        db2["labels"]["sh.porter.parentInstallation"],
        "app2",
        "{}",
        pretty(&db2)
    );
    assert_eq!(wharf.output_text("app2-db", "connstr"), "db://other@0.1.0");
    assert_eq!(wharf.output_text("app2", "seen"), "db://other@0.1.0");
    assert_eq!(
        wharf.runs("app-db").len(),
        4,
        "the first parent's dependency was left alone"
    );

    // A parameter set entry `db#database` reaches the dependency.
    wharf
        .run(&["install", "app3", "-f", &app_manifest, "-p", set])
        .ok();
    assert_eq!(
        wharf.output_text("app3-db", "connstr"),
        "db://fromset@0.2.0"
    );
}

/// A v2 parent sharing `db` in the group `shared-env`.
const SHARED_PARENT: &str = r#"dependencies:
  requires:
    - name: db
      bundle:
        reference: HOST/dv2/db:v0.1.0
      sharing:
        mode: true
        group:
          name: shared-env
      parameters:
        database: shared
outputs:
  - name: seen
    type: string
    applyTo:
      - install
install:
  - exec:
      command: ./parent.sh
      arguments:
        - "seen=${ bundle.dependencies.db.outputs.connstr }"
      outputs:
        - name: seen
          regex: "seen=(.*)"
"#;

#[test]
fn v2_shared_dependency_is_installed_once_and_removed_with_its_last_parent() {
    let registry = TestRegistry::start();
    let (author, _author_dir) = fresh_wharf();
    publish_dependency(&author, &registry, "dv2/db", "deps-shared-db", "0.1.0");
    let front = parent_bundle("1.1.0", "deps-front", SHARED_PARENT, &registry);
    let back = parent_bundle("1.1.0", "deps-back", SHARED_PARENT, &registry);
    let (wharf, _work) = fresh_wharf();

    wharf
        .run(&["install", "front", "-f", &manifest(front.path())])
        .ok();
    wharf
        .run(&["install", "back", "-f", &manifest(back.path())])
        .ok();

    let db = wharf.show("shared-env-db");
    assert_eq!(
        db["labels"]["sh.porter.sharingGroup"],
        "shared-env",
        "{}",
        pretty(&db)
    );
    assert!(is_installed(&db), "{}", pretty(&db));
    let db_runs = wharf.runs("shared-env-db");
    assert_eq!(
        actions(&db_runs),
        succeeded(&["install"]),
        "the shared dependency is installed once, for the first parent: {}",
        pretty(&db_runs)
    );
    assert_eq!(
        installation_names(&wharf),
        ["back", "front", "shared-env-db"],
        "no per-parent installation of the shared dependency"
    );
    let connstr = "db://shared@0.1.0";
    assert_eq!(wharf.output_text("shared-env-db", "connstr"), connstr);
    for parent in ["front", "back"] {
        assert_eq!(
            wharf.output_text(parent, "seen"),
            connstr,
            "{parent} sees the shared dependency's output"
        );
        let shown = wharf.show(parent);
        assert_eq!(
            shown["dependencies"],
            json!([{"alias": "db", "name": "shared-env-db", "namespace": "", "shared": true}]),
            "{}",
            pretty(&shown)
        );
    }

    // `back` still uses it: uninstalling `front` leaves it installed.
    wharf.run(&["uninstall", "front"]).ok();
    let db = wharf.show("shared-env-db");
    assert!(
        is_installed(&db),
        "the shared dependency was uninstalled while `back` uses it: {}",
        pretty(&db)
    );
    let db_runs = wharf.runs("shared-env-db");
    assert_eq!(
        actions(&db_runs),
        succeeded(&["install"]),
        "{}",
        pretty(&db_runs)
    );

    // Its last parent gone, it goes too.
    wharf.run(&["uninstall", "back"]).ok();
    let db = wharf.show("shared-env-db");
    assert!(
        db["status"]["uninstalled"].is_string(),
        "the shared dependency outlived its last parent: {}",
        pretty(&db)
    );
    let db_runs = wharf.runs("shared-env-db");
    assert_eq!(
        actions(&db_runs),
        succeeded(&["uninstall", "install"]),
        "{}",
        pretty(&db_runs)
    );
}

/// A v2 parent requiring the same bundle twice: `second`'s `database` is
/// `first`'s output, and the requirement derives `endpoint` from
/// `second`'s own output.
const WIRED_PARENT: &str = r#"dependencies:
  requires:
    - name: first
      bundle:
        reference: HOST/dsib/db:v0.1.0
      parameters:
        database: alpha
    - name: second
      bundle:
        reference: HOST/dsib/db:v0.1.0
      parameters:
        database: "${ bundle.dependencies.first.outputs.connstr }"
      outputs:
        endpoint: "https://${ outputs.connstr }/wired"
outputs:
  - name: seen
    type: string
    applyTo:
      - install
  - name: endpoint
    type: string
    applyTo:
      - install
install:
  - exec:
      command: ./parent.sh
      arguments:
        - "seen=${ bundle.dependencies.second.outputs.connstr }"
        - "endpoint=${ bundle.dependencies.second.outputs.endpoint }"
      outputs:
        - name: seen
          regex: "seen=(.*)"
        - name: endpoint
          regex: "endpoint=(.*)"
"#;

#[test]
fn v2_sibling_output_wires_into_another_dependency_parameter() {
    let registry = TestRegistry::start();
    let (author, _author_dir) = fresh_wharf();
    publish_dependency(&author, &registry, "dsib/db", "deps-sibling-db", "0.1.0");
    let app = parent_bundle("1.1.0", "deps-wired", WIRED_PARENT, &registry);
    let (wharf, _work) = fresh_wharf();

    wharf
        .run(&["install", "app", "-f", &manifest(app.path())])
        .ok();

    let first = "db://alpha@0.1.0";
    assert_eq!(wharf.output_text("app-first", "connstr"), first);
    // `second` got `first`'s output as its `database`, so its connection
    // string wraps `first`'s.
    let second_runs = wharf.runs("app-second");
    assert_eq!(
        second_runs[0]["parameters"]["database"],
        json!({ "value": first }),
        "the sibling's output was wired in: {}",
        pretty(&second_runs)
    );
    let second = format!("db://{first}@0.1.0");
    assert_eq!(wharf.output_text("app-second", "connstr"), second);
    assert_eq!(wharf.output_text("app", "seen"), second);
    assert_eq!(
        wharf.output_text("app", "endpoint"),
        format!("https://{second}/wired"),
        "the requirement's derived output reaches the parent"
    );
    let shown = wharf.show("app");
    assert_eq!(
        shown["dependencies"],
        json!([
            {"alias": "first", "name": "app-first", "namespace": "", "shared": false},
            {"alias": "second", "name": "app-second", "namespace": "", "shared": false}
        ]),
        "{}",
        pretty(&shown)
    );
}

/// A v1 parent requiring `good` then `bad` (the same bundle); `bad` fails
/// when given `--param bad#fail=yes`.
const FAILING_PARENT: &str = r#"dependencies:
  requires:
    - name: good
      bundle:
        reference: HOST/dfail/db:v0.1.0
      parameters:
        database: alpha
    - name: bad
      bundle:
        reference: HOST/dfail/db:v0.1.0
      parameters:
        database: beta
outputs:
  - name: seen-good
    type: string
    applyTo:
      - install
  - name: seen-bad
    type: string
    applyTo:
      - install
install:
  - exec:
      command: ./parent.sh
      arguments:
        - "root-install-ran"
        - "seen-good=${ bundle.dependencies.good.outputs.connstr }"
        - "seen-bad=${ bundle.dependencies.bad.outputs.connstr }"
      outputs:
        - name: seen-good
          regex: "seen-good=(.*)"
        - name: seen-bad
          regex: "seen-bad=(.*)"
"#;

#[test]
fn a_failed_dependency_stops_the_root_and_a_rerun_continues_where_it_stopped() {
    let registry = TestRegistry::start();
    let (author, _author_dir) = fresh_wharf();
    publish_dependency(&author, &registry, "dfail/db", "deps-failing-db", "0.1.0");
    let app = parent_bundle("1.0.1", "deps-failing", FAILING_PARENT, &registry);
    let app_manifest = manifest(app.path());
    let (wharf, _work) = fresh_wharf();

    let failed = wharf
        .run(&[
            "install",
            "app",
            "-f",
            &app_manifest,
            "--param",
            "bad#fail=yes",
        ])
        .failed();
    assert!(
        failed.stderr.contains("bad"),
        "the error names the dependency that failed:\n{}",
        failed.stderr
    );
    assert!(
        !failed.stdout.contains("root-install-ran") && !failed.stderr.contains("root-install-ran"),
        "the root ran after its dependency failed:\n--- stdout\n{}\n--- stderr\n{}",
        failed.stdout,
        failed.stderr
    );

    // `good` ran, `bad` failed, and the root did not run.
    let good_runs = wharf.runs("app-good");
    assert_eq!(
        actions(&good_runs),
        succeeded(&["install"]),
        "{}",
        pretty(&good_runs)
    );
    let bad_runs = wharf.runs("app-bad");
    assert_eq!(
        actions(&bad_runs),
        [("install".to_string(), "failed".to_string())],
        "{}",
        pretty(&bad_runs)
    );
    let shown = wharf.show("app");
    assert_eq!(
        shown["status"]["resultStatus"],
        "failed",
        "{}",
        pretty(&shown)
    );
    assert_eq!(shown["lastRun"]["status"], "failed", "{}", pretty(&shown));
    assert!(
        shown["lastRun"]["result"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("bad")),
        "the parent's failed run names the dependency: {}",
        pretty(&shown)
    );
    assert!(!is_installed(&shown), "{}", pretty(&shown));
    let app_runs = wharf.runs("app");
    assert!(
        app_runs.iter().all(|r| r["status"] != "succeeded"),
        "the root has a successful run: {}",
        pretty(&app_runs)
    );
    assert!(
        wharf.outputs("app").is_empty(),
        "the root made outputs: {:?}",
        wharf.outputs("app")
    );

    // Fixed, the rerun goes on from `bad`: `good` is not run again.
    wharf
        .run(&[
            "install",
            "app",
            "-f",
            &app_manifest,
            "--param",
            "bad#fail=no",
        ])
        .ok();
    let good_runs = wharf.runs("app-good");
    assert_eq!(
        actions(&good_runs),
        succeeded(&["install"]),
        "the dependency that had succeeded ran again: {}",
        pretty(&good_runs)
    );
    let bad_runs = wharf.runs("app-bad");
    assert_eq!(
        actions(&bad_runs),
        [
            ("install".to_string(), "succeeded".to_string()),
            ("install".to_string(), "failed".to_string())
        ],
        "{}",
        pretty(&bad_runs)
    );
    let shown = wharf.show("app");
    assert_eq!(
        shown["status"]["resultStatus"],
        "succeeded",
        "{}",
        pretty(&shown)
    );
    assert!(is_installed(&shown), "{}", pretty(&shown));
    assert_eq!(wharf.output_text("app", "seen-good"), "db://alpha@0.1.0");
    assert_eq!(wharf.output_text("app", "seen-bad"), "db://beta@0.1.0");
}

/// A v1 parent whose only dependency is `HOST/dcyc/NEXT:v0.1.0`.
const CHAIN_LINK: &str = r#"dependencies:
  requires:
    - name: next
      bundle:
        reference: HOST/dcyc/NEXT:v0.1.0
"#;

/// A v2 parent that passes `db` a parameter it does not have and requires
/// a bundle nobody published.
const MISWIRED: &str = r#"dependencies:
  requires:
    - name: db
      bundle:
        reference: HOST/dcyc/db
        version: ">=0.1.0"
      parameters:
        dbname: x
    - name: ghost
      bundle:
        reference: HOST/dcyc/ghost:v1.0.0
"#;

/// What is wrong with a tree is found before anything runs: a cycle, a
/// tree deeper than the limit, and (as `wharf lint` finds it too) a
/// parameter the dependency does not have. Publishing keeps each
/// dependency reference as written, and `explain --show-dependencies`
/// shows what a requirement resolves to.
#[test]
fn cycles_depth_and_miswiring_are_refused_before_anything_runs() {
    let registry = TestRegistry::start();
    let host = registry.host();
    let (author, _author_dir) = fresh_wharf();
    // a requires b, b requires a; b is published first, while a does not
    // exist yet: lint warns that it cannot resolve it (porter-105).
    for (name, next) in [("b", "a"), ("a", "b")] {
        let dir = parent_bundle(
            "1.0.1",
            &format!("deps-cyc-{name}"),
            &CHAIN_LINK.replace("NEXT", next),
            &registry,
        );
        if name == "b" {
            let linted = author.run(&["lint", "-f", &manifest(dir.path())]).ok();
            let said = format!("{}{}", linted.stdout, linted.stderr);
            assert!(said.contains("warning porter-105"), "{said}");
        }
        author
            .run(&[
                "publish",
                "-f",
                &manifest(dir.path()),
                "--reference",
                &format!("{host}/dcyc/{name}:v0.1.0"),
            ])
            .ok();
    }
    let (wharf, _work) = fresh_wharf();
    let reference = format!("{host}/dcyc/a:v0.1.0");
    let cycle = wharf
        .run(&["install", "a", "--reference", &reference])
        .failed();
    assert!(
        cycle
            .stderr
            .contains("deps-cyc-a → deps-cyc-b → deps-cyc-a"),
        "{}",
        cycle.stderr
    );
    let deep = wharf
        .run(&[
            "install",
            "a",
            "--reference",
            &reference,
            "--max-dependency-depth",
            "1",
        ])
        .failed();
    assert!(
        deep.stderr.contains("deeper than 1 levels"),
        "{}",
        deep.stderr
    );
    assert!(
        installation_names(&wharf).is_empty(),
        "nothing was recorded, so nothing ran"
    );

    // Published as written.
    let explained = wharf
        .run(&[
            "explain",
            "--reference",
            &format!("{host}/dcyc/b:v0.1.0"),
            "-o",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(
        explained["dependencies"],
        json!([{"alias": "next", "reference": format!("{host}/dcyc/a:v0.1.0")}]),
        "{}",
        pretty(&explained)
    );

    // Lint and install find the parameter `db` does not have; lint warns
    // about the dependency it cannot resolve.
    publish_dependency(&author, &registry, "dcyc/db", "deps-cyc-db", "0.1.0");
    publish_dependency(&author, &registry, "dcyc/db", "deps-cyc-db", "0.2.0");
    let parent = parent_bundle("1.1.0", "deps-miswired", MISWIRED, &registry);
    let linted = wharf
        .run(&["lint", "-f", &manifest(parent.path()), "-o", "json"])
        .failed();
    let findings = linted.json();
    let codes: Vec<(&str, &str)> = findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap_or_default(),
                f["location"]["field"].as_str().unwrap_or_default(),
            )
        })
        .filter(|(code, _)| code.starts_with("porter-10"))
        .collect();
    assert_eq!(
        codes,
        [
            ("porter-103", "dependencies.db.parameters.dbname"),
            ("porter-105", "dependencies.ghost"),
        ],
        "{}",
        pretty(&findings)
    );

    // explain resolves what it can see today: the highest version in range.
    let wired_right = MISWIRED
        .replace("      parameters:\n        dbname: x\n", "")
        .replace(
            "    - name: ghost\n      bundle:\n        reference: HOST/dcyc/ghost:v1.0.0\n",
            "",
        );
    assert!(!wired_right.contains("ghost") && !wired_right.contains("dbname"));
    let shown_dir = parent_bundle("1.1.0", "deps-shown", &wired_right, &registry);
    let explained = wharf
        .run(&[
            "explain",
            "-f",
            &manifest(shown_dir.path()),
            "--show-dependencies",
            "-o",
            "json",
        ])
        .ok()
        .json();
    assert_eq!(
        explained["dependencies"][0]["resolved"]["version"],
        "0.2.0",
        "{}",
        pretty(&explained)
    );
    assert_eq!(
        explained["dependencies"][0]["resolved"]["reference"],
        format!("{host}/dcyc/db:v0.2.0")
    );
}

/// Porter's own manifests with dependencies (v1 and v2) build with `wharf
/// build` against a real dockerd, and each bundle.json carries the
/// extension its schema calls for with every requirement. Their
/// dependencies live at `localhost:5000` and Docker Hub, which this machine
/// does not reach, so lint warns that it cannot resolve them (porter-105)
/// and the build goes on, as Porter's does.
#[test]
fn corpus_manifests_with_dependencies_build() {
    let env = wharf_test_support::docker::ensure_docker();
    let home = scratch_dir();
    let corpus = crate::porter_wild::corpus()
        .parent()
        .unwrap()
        .join("porter-manifests");
    // (file, whether it lints clean). Porter's config-adapter test data
    // does not (unquoted `bash -c` flags, wiring to undeclared parameters):
    // Porter's tests only convert it, and so it is built with --no-lint.
    let manifests = [
        ("porter__tests__testdata__myenv__porter.yaml", true),
        ("porter__tests__testdata__myinfra__porter.yaml", true),
        ("porter__tests__testdata__mysqldb__porter.yaml", true),
        (
            "porter__pkg__cnab__config-adapter__testdata__porter-with-deps.yaml__porter.yaml",
            false,
        ),
        (
            "porter__pkg__cnab__config-adapter__testdata__porter-with-depsv2.yaml__porter.yaml",
            false,
        ),
        (
            "porter__pkg__manifest__testdata__porter-with-templating.yaml__porter.yaml",
            true,
        ),
    ];
    let mut wrong = Vec::new();
    for (file, lints_clean) in manifests {
        let text = std::fs::read_to_string(corpus.join(file)).unwrap();
        let (manifest, _) = wharf::manifest::parse(&text, Path::new(file)).unwrap();
        let bundle = scratch_dir();
        write_file(bundle.path(), "porter.yaml", &text);
        let mut args = vec!["build"];
        if !lints_clean {
            args.push("--no-lint");
        }
        if manifest.version.is_none() {
            args.extend(["--version", "0.1.0"]);
        }
        let out = crate::build::wharf(home.path(), bundle.path(), &env.docker_host(), &args);
        let said = crate::build::text(&out.stderr);
        if !out.status.success() {
            wrong.push(format!("{file}: {said}"));
            continue;
        }
        let built: Value = serde_json::from_slice(
            &std::fs::read(bundle.path().join(".cnab/bundle.json")).unwrap(),
        )
        .unwrap();
        let key = if manifest.uses_dependencies_v2() {
            "org.getporter.dependencies@v2"
        } else {
            "io.cnab.dependencies"
        };
        let declared: Vec<&str> = manifest
            .required_dependencies()
            .map(|d| d.name.as_str())
            .collect();
        let mut written: Vec<&str> = built["custom"][key]["requires"]
            .as_object()
            .map(|r| r.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let mut expected = declared.clone();
        written.sort_unstable();
        expected.sort_unstable();
        if written != expected {
            wrong.push(format!(
                "{file}: {key} has {written:?}, declared {declared:?}"
            ));
        }
        if lints_clean && !declared.is_empty() && !said.contains("porter-105") {
            wrong.push(format!(
                "{file}: no porter-105 for unreachable dependencies: {said}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}
