//! End-to-end tests of `wharf parameters ...` and `wharf credentials ...`:
//! the `wharf` binary with its own empty `WHARF_HOME`, no Docker.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};
use wharf_test_support::scratch_dir;

/// Runs `wharf` in `dir` with `dir/home` as its home and stdin not a
/// terminal, as in a script.
fn wharf(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wharf"))
        .args(args)
        .current_dir(dir)
        .env("WHARF_HOME", dir.join("home"))
        .stdin(Stdio::null())
        .output()
        .expect("wharf runs")
}

/// The standard output of a command that must succeed.
fn ok(dir: &Path, args: &[&str]) -> String {
    let out = wharf(dir, args);
    assert!(
        out.status.success(),
        "wharf {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn ok_json(dir: &Path, args: &[&str]) -> Value {
    let text = ok(dir, args);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("wharf {args:?} printed no JSON: {e}"))
}

/// The standard error of a command that must fail.
fn fails(dir: &Path, args: &[&str]) -> String {
    let out = wharf(dir, args);
    assert!(
        !out.status.success(),
        "wharf {args:?} should fail; it printed {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stderr).expect("UTF-8 errors")
}

fn names(list: &Value) -> Vec<(String, String)> {
    list.as_array()
        .expect("a JSON list")
        .iter()
        .map(|s| {
            (
                s["namespace"].as_str().unwrap().to_string(),
                s["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

const MYSQL_SET: &str = "\
schemaType: ParameterSet
schemaVersion: 1.0.1
name: mysql
labels:
  team: red
parameters:
  - name: port
    source:
      value: \"3306\"
  - name: password
    source:
      secret: mysql-password
  - name: host
    source:
      env: MYSQL_HOST
";

#[test]
fn create_writes_a_template_that_apply_accepts_once_edited() {
    let dir = scratch_dir();
    let d = dir.path();
    let said = ok(d, &["parameters", "create", "mine.yaml"]);
    assert!(said.contains("wharf parameters apply mine.yaml"), "{said}");
    let template = std::fs::read_to_string(d.join("mine.yaml")).unwrap();
    assert!(template.starts_with("# "), "YAML has comments: {template}");
    for source in ["value:", "env:", "path:", "command:", "secret:"] {
        assert!(template.contains(source), "{source} missing: {template}");
    }
    std::fs::write(
        d.join("mine.yaml"),
        template.replace("name: NAME", "name: edited"),
    )
    .unwrap();
    assert_eq!(
        ok(d, &["parameters", "apply", "mine.yaml"]).trim(),
        "Applied parameter set edited"
    );
    let shown = ok_json(d, &["parameters", "show", "edited", "-o", "json"]);
    assert_eq!(shown["schemaType"], "ParameterSet");
    assert_eq!(shown["parameters"].as_array().unwrap().len(), 5);

    // An existing file is never overwritten.
    let err = fails(d, &["parameters", "create", "mine.yaml"]);
    assert!(err.contains("mine.yaml already exists"), "{err}");
    assert!(
        std::fs::read_to_string(d.join("mine.yaml"))
            .unwrap()
            .contains("name: edited")
    );
}

#[test]
fn create_picks_the_format_from_the_extension_or_the_flag() {
    let dir = scratch_dir();
    let d = dir.path();
    ok(d, &["credentials", "create", "creds.json"]);
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("creds.json")).unwrap()).unwrap();
    assert_eq!(json["schemaType"], "CredentialSet");
    assert_eq!(json["credentials"].as_array().unwrap().len(), 5);
    ok(d, &["credentials", "apply", "creds.json"]);
    assert_eq!(
        names(&ok_json(d, &["credentials", "list", "-o", "json"])),
        [(String::new(), "NAME".to_string())]
    );

    let err = fails(d, &["credentials", "create", "creds.txt"]);
    assert!(
        err.contains("creds.txt") && err.contains("--output yaml|json"),
        "{err}"
    );
    ok(d, &["credentials", "create", "creds.txt", "-o", "yaml"]);
    let yaml = std::fs::read_to_string(d.join("creds.txt")).unwrap();
    assert!(yaml.contains("schemaType: CredentialSet"), "{yaml}");

    // Without a file, the template is printed.
    let printed = ok(d, &["parameters", "create", "-o", "json"]);
    let printed: Value = serde_json::from_str(&printed).unwrap();
    assert_eq!(printed["schemaType"], "ParameterSet");
}

#[test]
fn apply_list_show_and_delete_a_set() {
    let dir = scratch_dir();
    let d = dir.path();
    std::fs::write(d.join("mysql.yaml"), MYSQL_SET).unwrap();
    ok(d, &["parameters", "apply", "mysql.yaml"]);

    let table = ok(d, &["parameters", "list"]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["NAMESPACE", "NAME", "MODIFIED"]
    );
    assert!(
        lines[1].contains("mysql") && (lines[1].ends_with("now") || lines[1].ends_with("ago")),
        "{table}"
    );

    let shown = ok_json(d, &["params", "show", "mysql", "-o", "json"]);
    assert_eq!(shown["name"], "mysql");
    assert_eq!(shown["namespace"], "");
    assert_eq!(shown["labels"], json!({"team": "red"}));
    assert_eq!(
        shown["parameters"],
        json!([
            {"name": "port", "source": {"value": "3306"}},
            {"name": "password", "source": {"secret": "mysql-password"}},
            {"name": "host", "source": {"env": "MYSQL_HOST"}},
        ])
    );
    assert!(shown["status"]["created"].is_string());

    let yaml = ok(d, &["parameters", "show", "mysql", "-o", "yaml"]);
    assert!(yaml.contains("schemaType: ParameterSet"), "{yaml}");

    let text = ok(d, &["parameters", "show", "mysql"]);
    assert!(text.contains("Name:") && text.contains("mysql"), "{text}");
    assert!(
        text.contains("Modified:") && text.contains("team=red"),
        "{text}"
    );
    let row = |name: &str| -> Vec<String> {
        text.lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no row {name}: {text}"))
            .split_whitespace()
            .map(str::to_string)
            .collect()
    };
    assert!(text.contains("SOURCE KIND"), "{text}");
    assert_eq!(row("port"), ["port", "value", "3306"]);
    assert_eq!(row("password"), ["password", "secret", "mysql-password"]);
    assert_eq!(row("host"), ["host", "env", "MYSQL_HOST"]);

    assert_eq!(
        ok(d, &["parameters", "delete", "mysql"]).trim(),
        "Deleted parameter set mysql"
    );
    assert_eq!(ok_json(d, &["parameters", "list", "-o", "json"]), json!([]));
    let err = fails(d, &["parameters", "show", "mysql"]);
    assert!(err.contains("`mysql` not found"), "{err}");
}

#[test]
fn namespaces_keep_sets_apart() {
    let dir = scratch_dir();
    let d = dir.path();
    std::fs::write(d.join("mysql.yaml"), MYSQL_SET).unwrap();
    ok(d, &["parameters", "apply", "mysql.yaml"]);
    assert_eq!(
        ok(d, &["parameters", "apply", "mysql.yaml", "-n", "staging"]).trim(),
        "Applied parameter set staging/mysql"
    );
    let in_file = MYSQL_SET.replace("name: mysql", "name: other\nnamespace: dev");
    std::fs::write(d.join("other.yaml"), in_file).unwrap();
    ok(d, &["parameters", "apply", "other.yaml"]);

    let global = names(&ok_json(d, &["parameters", "list", "-o", "json"]));
    assert_eq!(global, [(String::new(), "mysql".into())]);
    let staging = ok_json(d, &["parameters", "list", "-n", "staging", "-o", "json"]);
    assert_eq!(names(&staging), [("staging".into(), "mysql".into())]);
    let all = ok_json(d, &["parameters", "list", "--all-namespaces", "-o", "json"]);
    assert_eq!(
        names(&all),
        [
            (String::new(), "mysql".into()),
            ("dev".into(), "other".into()),
            ("staging".into(), "mysql".into()),
        ]
    );
    let table = ok(d, &["parameters", "list", "--all-namespaces"]);
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("staging") && l.contains("mysql")),
        "{table}"
    );

    // Credentials are a separate store.
    assert_eq!(
        ok_json(d, &["credentials", "list", "-o", "json"]),
        json!([])
    );

    let shown = ok_json(
        d,
        &["parameters", "show", "mysql", "-n", "staging", "-o", "json"],
    );
    assert_eq!(shown["namespace"], "staging");
    ok(d, &["parameters", "delete", "mysql", "-n", "staging"]);
    let err = fails(d, &["parameters", "show", "mysql", "-n", "staging"]);
    assert!(err.contains("namespace `staging`"), "{err}");
    // The global set of the same name is untouched.
    ok(d, &["parameters", "show", "mysql"]);

    let err = fails(d, &["parameters", "apply", "mysql.yaml", "-n", "../up"]);
    assert!(
        err.contains("mysql.yaml") && err.contains("namespace"),
        "{err}"
    );
}

#[test]
fn a_bad_file_is_refused_with_its_file_and_line() {
    let dir = scratch_dir();
    let d = dir.path();
    let typo = MYSQL_SET.replace("env: MYSQL_HOST", "evn: MYSQL_HOST");
    std::fs::write(d.join("typo.yaml"), typo).unwrap();
    let err = fails(d, &["parameters", "apply", "typo.yaml"]);
    assert!(err.contains("typo.yaml:15:"), "{err}");
    assert!(err.contains("did you mean `env`?"), "{err}");

    std::fs::write(d.join("mysql.yaml"), MYSQL_SET).unwrap();
    let err = fails(d, &["credentials", "apply", "mysql.yaml"]);
    assert!(err.contains("mysql.yaml:1:"), "{err}");
    assert!(err.contains("wharf parameters"), "{err}");

    let err = fails(d, &["parameters", "apply", "missing.yaml"]);
    assert!(
        err.contains("missing.yaml") && err.contains("not found"),
        "{err}"
    );

    // Nothing was stored by any of them.
    assert_eq!(
        ok_json(d, &["parameters", "list", "--all-namespaces", "-o", "json"]),
        json!([])
    );
}

#[test]
fn deleting_a_missing_set_says_how_to_find_the_stored_ones() {
    let dir = scratch_dir();
    let d = dir.path();
    let err = fails(d, &["credentials", "delete", "ghost"]);
    assert!(
        err.contains("credential set `ghost` not found") && err.contains("wharf credentials list"),
        "{err}"
    );
    let err = fails(d, &["credentials", "delete", "ghost", "-n", "prod"]);
    assert!(err.contains("--namespace prod"), "{err}");
    let err = fails(d, &["credentials", "delete", "team/ghost"]);
    assert!(err.contains("slash"), "{err}");
}

const BUNDLE_JSON: &str = r#"{
  "schemaVersion": "1.2.0",
  "name": "mysql",
  "version": "0.1.0",
  "invocationImages": [{"imageType": "docker", "image": "example/x:v1"}],
  "definitions": {
    "port": {"type": "integer", "default": 3306},
    "password": {"type": "string", "writeOnly": true},
    "debug": {"type": "boolean", "default": false}
  },
  "parameters": {
    "mysql-port": {"definition": "port", "description": "The port", "destination": {"env": "PORT"}},
    "db-password": {"definition": "password", "destination": {"env": "PASSWORD"}},
    "wharf-debug": {"definition": "debug", "destination": {"env": "WHARF_DEBUG"}}
  },
  "credentials": {
    "kubeconfig": {"path": "/home/nonroot/.kube/config", "description": "A kubeconfig"},
    "api-token": {"env": "API_TOKEN"}
  }
}"#;

#[test]
fn generate_from_a_bundle_json_reads_each_entry_from_the_environment() {
    let dir = scratch_dir();
    let d = dir.path();
    std::fs::write(d.join("bundle.json"), BUNDLE_JSON).unwrap();

    let said = ok(d, &["parameters", "generate", "--cnab-file", "bundle.json"]);
    assert!(
        said.contains("parameter set mysql with 2 parameters"),
        "{said}"
    );
    assert!(said.contains("parameter-sets"), "says where: {said}");
    let set = ok_json(d, &["parameters", "show", "mysql", "-o", "json"]);
    assert_eq!(
        set["parameters"],
        json!([
            {"name": "db-password", "source": {"env": "DB_PASSWORD"}},
            {"name": "mysql-port", "source": {"env": "MYSQL_PORT"}},
        ]),
        "wharf-debug is internal and left out"
    );

    let said = ok(
        d,
        &[
            "credentials",
            "generate",
            "k8s",
            "-n",
            "team",
            "--cnab-file",
            "bundle.json",
        ],
    );
    assert!(said.contains("team/k8s"), "{said}");
    let set = ok_json(
        d,
        &["credentials", "show", "k8s", "-n", "team", "-o", "json"],
    );
    assert_eq!(set["namespace"], "team");
    assert_eq!(
        set["credentials"],
        json!([
            {"name": "api-token", "source": {"env": "API_TOKEN"}},
            {"name": "kubeconfig", "source": {"env": "KUBECONFIG"}},
        ])
    );
}

#[test]
fn generate_explains_a_bundle_it_cannot_use() {
    let dir = scratch_dir();
    let d = dir.path();
    let err = fails(d, &["parameters", "generate", "--cnab-file", "nope.json"]);
    assert!(err.contains("nope.json"), "{err}");
    let err = fails(d, &["parameters", "generate"]);
    assert!(err.contains("porter.yaml does not exist"), "{err}");

    let mut bundle: Value = serde_json::from_str(BUNDLE_JSON).unwrap();
    bundle.as_object_mut().unwrap().remove("credentials");
    std::fs::write(d.join("bundle.json"), bundle.to_string()).unwrap();
    let said = ok(
        d,
        &["credentials", "generate", "--cnab-file", "bundle.json"],
    );
    assert!(said.contains("no credentials to set"), "{said}");
    assert_eq!(
        ok_json(d, &["credentials", "list", "-o", "json"]),
        json!([])
    );
}
