//! End-to-end tests of the record commands (`wharf installations
//! list|show|delete|runs|outputs|logs`, `wharf list|show`, `wharf logs
//! show`): each test fills a fresh `WHARF_HOME` through the library's
//! store, then runs the `wharf` binary on it and checks what it prints.

use std::path::Path;
use std::process::{Command, Output};

use crate::store_common::{contains, run, spec};
use serde_json::{Value, json};
use tempfile::TempDir;
use wharf::home::WharfHome;
use wharf::store::{FinishRun, InstallationKey, InstallationStore, NewRun, SqliteStore};
use wharf_test_support::scratch_dir;

/// A sensitive parameter's value (its definition is `writeOnly`).
const SECRET_PARAMETER: &str = "pw-Zq81-parameter";
/// A sensitive output's value (its definition is `writeOnly`).
const SECRET_OUTPUT: &str = "tok-Xv93-output";
/// An output too long for a table cell, over two lines.
fn long_notes() -> String {
    format!("first line\n{}", "x".repeat(100))
}

/// A home with:
/// - `mydb` (global): install succeeded (v0.1.0), then upgrade failed
///   (v0.2.0); still installed. Outputs: text, sensitive, binary, long.
/// - `cache` (global): never run.
/// - `web` (namespace `dev`): installed, then uninstalled.
struct Records {
    home: TempDir,
    install: String,
    upgrade: String,
    web_uninstall: String,
}

impl Records {
    fn new() -> Self {
        let home = scratch_dir();
        let store = open(home.path());
        let mydb = InstallationKey::global("mydb");
        store.upsert_installation(spec(&mydb, "0.1.0")).unwrap();
        let install = run(
            &store,
            NewRun::new(mydb.clone(), "install")
                .parameter("region", json!("eu-west-1"))
                .parameter("password", json!(SECRET_PARAMETER)),
            FinishRun::succeeded()
                .output("endpoint", "db.v1.example.com")
                .output("token", SECRET_OUTPUT)
                .output("blob", vec![0xff, 0x00, 0x41])
                .output("notes", long_notes())
                .logs("installing mydb\n"),
        );
        store.upsert_installation(spec(&mydb, "0.2.0")).unwrap();
        let upgrade = run(
            &store,
            NewRun::new(mydb, "upgrade").parameter("region", json!("eu-west-2")),
            FinishRun::failed("step 2 of 3 failed")
                .output("endpoint", "db.v2.example.com")
                .logs("upgrading\nstep 2 failed"),
        );

        let mut cache = spec(&InstallationKey::global("cache"), "1.0.0");
        cache.labels = [("team".to_string(), "web".to_string())].into();
        store.upsert_installation(cache).unwrap();

        let web = InstallationKey::new("dev", "web");
        store.upsert_installation(spec(&web, "0.3.0")).unwrap();
        run(
            &store,
            NewRun::new(web.clone(), "install"),
            FinishRun::succeeded().logs("installing web\n"),
        );
        let web_uninstall = run(
            &store,
            NewRun::new(web, "uninstall"),
            FinishRun::succeeded().logs("uninstalling web\n"),
        );
        Self {
            home,
            install,
            upgrade,
            web_uninstall,
        }
    }

    fn path(&self) -> &Path {
        self.home.path()
    }
}

pub(crate) fn open(home: &Path) -> SqliteStore {
    SqliteStore::open(&WharfHome::new(home)).unwrap()
}

pub(crate) fn wharf(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wharf"))
        .args(args)
        .env("WHARF_HOME", home)
        .output()
        .expect("wharf runs")
}

/// Runs a command that must succeed and returns its stdout.
pub(crate) fn ok(home: &Path, args: &[&str]) -> Vec<u8> {
    let out = wharf(home, args);
    assert!(
        out.status.success(),
        "wharf {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn text(home: &Path, args: &[&str]) -> String {
    String::from_utf8(ok(home, args)).expect("UTF-8 output")
}

/// Runs a command with `-o json` and parses what it prints.
fn json_of(home: &Path, args: &[&str]) -> Value {
    let stdout = ok(home, &[args, &["-o", "json"]].concat());
    serde_json::from_slice(&stdout).unwrap_or_else(|e| {
        panic!(
            "wharf {args:?} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&stdout)
        )
    })
}

/// Runs a command that must fail and returns its stderr.
fn fails(home: &Path, args: &[&str]) -> String {
    let out = wharf(home, args);
    assert!(
        !out.status.success(),
        "wharf {args:?} should fail but printed {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts that `haystack` contains each of `needles`.
fn assert_has(haystack: &str, needles: &[&str]) {
    for needle in needles {
        assert!(haystack.contains(needle), "no {needle:?} in:\n{haystack}");
    }
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a JSON array")
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn list_shows_the_global_namespace_unless_told_otherwise() {
    let r = Records::new();
    let home = r.path();
    let table = text(home, &["installations", "list"]);
    let header = table.lines().next().unwrap();
    assert_has(
        header,
        &[
            "NAMESPACE",
            "NAME",
            "BUNDLE",
            "VERSION",
            "LAST ACTION",
            "STATUS",
            "MODIFIED",
        ],
    );
    // The global namespace's cell is empty, so the name comes first.
    let mydb = table
        .lines()
        .find(|l| l.split_whitespace().next() == Some("mydb"))
        .unwrap();
    assert_has(mydb, &["0.2.0", "upgrade", "failed"]);
    assert!(!table.contains("web"), "{table}");
    assert_eq!(text(home, &["list"]), table, "`wharf list` is the same");

    assert_eq!(names(&json_of(home, &["list"])), ["cache", "mydb"]);
    let all = json_of(home, &["inst", "list", "--all-namespaces"]);
    assert_eq!(names(&all), ["cache", "mydb", "web"]);
    assert_eq!(all[2]["namespace"], "dev");
    assert_eq!(all[2]["status"]["action"], "uninstall");
    assert_eq!(names(&json_of(home, &["list", "-n", "dev"])), ["web"]);
    assert_eq!(
        names(&json_of(home, &["list", "--label", "team=web"])),
        ["cache"]
    );
    assert_eq!(names(&json_of(home, &["list", "--name", "yd"])), ["mydb"]);
    let yaml = text(home, &["list", "-o", "yaml"]);
    assert_has(&yaml, &["name: mydb", "name: cache"]);
    let err = fails(home, &["list", "-n", "dev", "--all-namespaces"]);
    assert!(err.contains("cannot be used with"), "{err}");
}

#[test]
fn show_gives_the_installation_its_status_and_masked_outputs() {
    let r = Records::new();
    let home = r.path();
    let shown = json_of(home, &["installations", "show", "mydb"]);
    assert_eq!(shown["name"], "mydb");
    assert_eq!(shown["namespace"], "");
    assert_eq!(shown["bundle"]["version"], "0.2.0");
    assert_eq!(shown["bundle"]["reference"], "example.com/mydb:v0.2.0");
    assert_eq!(shown["revision"], 2);
    assert_eq!(shown["status"]["action"], "upgrade");
    assert_eq!(shown["status"]["resultStatus"], "failed");
    assert!(shown["status"]["installed"].is_string());
    assert_eq!(shown["lastRun"]["id"], r.upgrade.as_str());
    assert_eq!(shown["parameterSets"], json!(["mydb-params"]));
    assert_eq!(shown["labels"], json!({"team": "data"}));
    let token = &shown["outputs"].as_array().unwrap()[3];
    assert_eq!(
        (&token["name"], &token["sensitive"]),
        (&json!("token"), &json!(true))
    );
    assert!(token.get("value").is_none(), "{token}");

    let page = text(home, &["show", "mydb"]);
    assert_has(
        &page,
        &[
            "Name:",
            "mydb",
            "(global)",
            "Revision:",
            "example.com/mydb:v0.2.0",
            "upgrade",
            "failed",
            "mydb-params",
            "mydb-creds",
            "team=data",
            "Outputs:",
            "db.v2.example.com",
            "********",
        ],
    );
    let token_row = page.lines().find(|l| l.starts_with("token")).unwrap();
    assert!(token_row.contains("********"), "{token_row}");

    let web = json_of(home, &["show", "web", "-n", "dev"]);
    assert!(web["status"]["uninstalled"].is_string());
    let cache = text(home, &["show", "cache"]);
    assert!(cache.contains("Outputs: none"), "{cache}");
}

#[test]
fn runs_are_listed_newest_first_and_shown_with_results() {
    let r = Records::new();
    let home = r.path();
    let runs = json_of(home, &["installations", "runs", "list", "mydb"]);
    let listed: Vec<(&str, &str, u64, &str)> = runs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap(),
                r["action"].as_str().unwrap(),
                r["revision"].as_u64().unwrap(),
                r["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            (r.upgrade.as_str(), "upgrade", 2, "failed"),
            (r.install.as_str(), "install", 1, "succeeded"),
        ]
    );
    let table = text(home, &["installation", "run", "list", "mydb"]);
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].starts_with("RUN ID") && lines[0].contains("STARTED"),
        "{table}"
    );
    assert!(
        lines[1].starts_with(&r.upgrade) && lines[1].contains("failed"),
        "{table}"
    );
    assert!(
        lines[2].starts_with(&r.install) && lines[2].contains("succeeded"),
        "{table}"
    );

    let shown = json_of(home, &["installations", "runs", "show", &r.install]);
    assert_eq!(shown["action"], "install");
    assert_eq!(shown["status"], "succeeded");
    let statuses: Vec<&str> = shown["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["running", "succeeded"]);
    assert_eq!(shown["parameters"]["region"], json!({"value": "eu-west-1"}));
    assert!(shown["parameters"]["password"]["secret"].is_string());
    assert_eq!(shown["outputs"].as_array().unwrap().len(), 4);

    let page = text(home, &["installations", "runs", "show", &r.upgrade]);
    assert_has(
        &page,
        &[
            "Run:",
            "upgrade",
            "Parameters:",
            "eu-west-2",
            "Results:",
            "step 2 of 3 failed",
        ],
    );
    let install_page = text(home, &["installations", "runs", "show", &r.install]);
    let password = install_page
        .lines()
        .find(|l| l.starts_with("password"))
        .unwrap();
    assert!(password.contains("********"), "{install_page}");
}

#[test]
fn outputs_list_masks_sensitive_values_and_abbreviates_long_ones() {
    let r = Records::new();
    let home = r.path();
    let out = wharf(home, &["installations", "outputs", "list", "mydb"]);
    assert!(out.status.success());
    let table = String::from_utf8(out.stdout).unwrap();
    let row = |name: &str| {
        table
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no {name} row in:\n{table}"))
            .to_string()
    };
    assert!(table.starts_with("NAME"), "{table}");
    assert!(row("endpoint").ends_with("db.v2.example.com"), "{table}");
    assert!(row("token").ends_with("********"), "{table}");
    assert!(row("blob").contains("3 bytes of binary data"), "{table}");
    let notes = row("notes");
    assert!(
        notes.contains("first line\\nxxx") && notes.ends_with("..."),
        "{notes}"
    );
    assert!(notes.len() < 100, "{notes}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("abbreviated") && stderr.contains("-o json"),
        "{stderr}"
    );

    let listed = json_of(home, &["installation", "output", "list", "-i", "mydb"]);
    assert_eq!(names(&listed), ["blob", "endpoint", "notes", "token"]);
    assert_eq!(listed[0]["value"], json!({"base64": "/wBB"}));
    assert_eq!(listed[1]["runId"], r.upgrade.as_str());
    assert_eq!(listed[2]["value"], long_notes().as_str());
    assert_eq!(listed[3]["sensitive"], true);
    assert!(listed[3].get("value").is_none(), "{}", listed[3]);

    let of_run = json_of(
        home,
        &["installations", "outputs", "list", "--run", &r.install],
    );
    let endpoint = of_run
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "endpoint")
        .unwrap();
    assert_eq!(endpoint["value"], "db.v1.example.com");
    let web = json_of(
        home,
        &["installations", "outputs", "list", "web", "-n", "dev"],
    );
    assert_eq!(web, json!([]));
}

#[test]
fn outputs_show_prints_the_exact_value_even_a_sensitive_one() {
    let r = Records::new();
    let home = r.path();
    let show = |args: &[&str]| {
        ok(
            home,
            &[&["installations", "outputs", "show"], args].concat(),
        )
    };
    assert_eq!(show(&["endpoint", "-i", "mydb"]), b"db.v2.example.com");
    assert_eq!(
        show(&["endpoint", "--run", &r.install]),
        b"db.v1.example.com"
    );
    assert_eq!(show(&["blob", "-i", "mydb"]), [0xff, 0x00, 0x41]);
    assert_eq!(show(&["notes", "-i", "mydb"]), long_notes().as_bytes());
    assert_eq!(show(&["token", "-i", "mydb"]), SECRET_OUTPUT.as_bytes());
    assert_eq!(show(&["token", "-r", &r.install]), SECRET_OUTPUT.as_bytes());

    let err = fails(
        home,
        &["installations", "output", "show", "nope", "-i", "mydb"],
    );
    assert!(
        err.contains("no output \"nope\"") && err.contains("blob, endpoint, notes, token"),
        "{err}"
    );
    let err = fails(
        home,
        &[
            "installations",
            "output",
            "show",
            "token",
            "--run",
            &r.upgrade,
        ],
    );
    assert!(
        err.contains("recorded no output \"token\"") && err.contains("endpoint"),
        "{err}"
    );
    let err = fails(home, &["installations", "output", "show", "token"]);
    assert!(
        err.contains("--installation") && err.contains("--run"),
        "{err}"
    );
}

#[test]
fn logs_show_the_last_run_or_a_given_run_exactly() {
    let r = Records::new();
    let home = r.path();
    assert_eq!(
        text(home, &["logs", "show", "-i", "mydb"]),
        "upgrading\nstep 2 failed"
    );
    assert_eq!(
        text(home, &["log", "show", "--run", &r.install]),
        "installing mydb\n"
    );
    assert_eq!(
        text(
            home,
            &["installations", "logs", "show", "-i", "web", "-n", "dev"]
        ),
        "uninstalling web\n"
    );
    let logs = json_of(home, &["logs", "show", "-r", &r.web_uninstall]);
    assert_eq!(logs["action"], "uninstall");
    assert_eq!(logs["logs"], "uninstalling web\n");

    let err = fails(home, &["logs", "show", "-i", "cache"]);
    assert!(err.contains("installation cache has no runs yet"), "{err}");
    let err = fails(home, &["logs", "show"]);
    assert!(
        err.contains("--installation") && err.contains("--run"),
        "{err}"
    );
}

#[test]
fn delete_refuses_an_installed_installation_without_force() {
    let r = Records::new();
    let home = r.path();
    let err = fails(home, &["installations", "delete", "mydb"]);
    assert!(
        err.contains("installation mydb is still installed"),
        "{err}"
    );
    assert!(
        err.contains("`wharf uninstall mydb`") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(names(&json_of(home, &["list"])), ["cache", "mydb"]);

    let deleted = text(home, &["installations", "delete", "mydb", "--force"]);
    assert!(deleted.contains("deleted installation mydb"), "{deleted}");
    assert_eq!(names(&json_of(home, &["list"])), ["cache"]);
    let err = fails(home, &["installations", "runs", "show", &r.install]);
    assert!(err.contains("not found"), "{err}");

    // Uninstalled (web) and never installed (cache) need no --force.
    text(home, &["inst", "delete", "web", "-n", "dev"]);
    text(home, &["inst", "delete", "cache"]);
    let all = json_of(home, &["list", "--all-namespaces"]);
    assert_eq!(all, json!([]));
}

#[test]
fn delete_is_refused_while_a_run_is_in_progress() {
    let r = Records::new();
    let home = r.path();
    let store = open(home);
    let active = store
        .start_run(NewRun::new(InstallationKey::global("cache"), "install"))
        .unwrap();
    let runs = json_of(home, &["installations", "runs", "list", "cache"]);
    assert_eq!(runs[0]["status"], "running");
    let err = fails(home, &["installations", "delete", "cache", "--force"]);
    assert!(err.contains("still in progress"), "{err}");

    // A run whose process is gone reads unknown and no longer blocks.
    drop(active);
    let runs = json_of(home, &["installations", "runs", "list", "cache"]);
    assert_eq!(runs[0]["status"], "unknown");
    text(home, &["installations", "delete", "cache"]);
}

#[test]
fn missing_records_get_clear_errors() {
    let r = Records::new();
    let home = r.path();
    for args in [
        &["show", "nope"][..],
        &["installations", "show", "nope"],
        &["installations", "runs", "list", "nope"],
        &["installations", "outputs", "list", "nope"],
        &["installations", "delete", "nope"],
        &["logs", "show", "-i", "nope"],
    ] {
        let err = fails(home, args);
        assert!(
            err.contains("installation nope not found"),
            "{args:?}: {err}"
        );
        assert!(err.contains("wharf installations list"), "{args:?}: {err}");
    }
    let err = fails(home, &["show", "mydb", "-n", "dev"]);
    assert!(err.contains("installation dev/mydb not found"), "{err}");
    for args in [
        &["installations", "runs", "show", "01NOPE"][..],
        &["logs", "show", "--run", "01NOPE"],
        &["installations", "outputs", "list", "--run", "01NOPE"],
    ] {
        let err = fails(home, args);
        assert!(err.contains("run 01NOPE not found"), "{args:?}: {err}");
    }
}

#[test]
fn sensitive_values_appear_only_in_outputs_show() {
    let r = Records::new();
    let home = r.path();
    let mut commands: Vec<Vec<&str>> = Vec::new();
    for format in ["plaintext", "json", "yaml"] {
        commands.extend([
            vec!["list", "--all-namespaces", "-o", format],
            vec!["show", "mydb", "-o", format],
            vec!["installations", "runs", "list", "mydb", "-o", format],
            vec!["installations", "runs", "show", &r.install, "-o", format],
            vec!["installations", "outputs", "list", "mydb", "-o", format],
            vec![
                "installations",
                "outputs",
                "list",
                "-r",
                &r.install,
                "-o",
                format,
            ],
            vec!["logs", "show", "-r", &r.install, "-o", format],
        ]);
    }
    commands.push(vec!["installations", "delete", "mydb"]);
    for args in &commands {
        let out = wharf(home, args);
        for secret in [SECRET_OUTPUT, SECRET_PARAMETER] {
            for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
                assert!(
                    !contains(bytes, secret.as_bytes()),
                    "wharf {args:?} printed {secret} on {stream}"
                );
            }
        }
    }
    // The secrets are there to be leaked: outputs show does print one.
    let shown = ok(
        home,
        &["installations", "outputs", "show", "token", "-i", "mydb"],
    );
    assert!(contains(&shown, SECRET_OUTPUT.as_bytes()));
}
