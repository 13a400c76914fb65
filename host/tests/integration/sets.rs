//! Parameter sets and credential sets: Porter v1 documents read from YAML
//! and JSON, stored under WHARF_HOME, resolved from every source, and
//! generated from a bundle.

use std::path::{Path, PathBuf};

use serde_json::json;
use wharf::cnab::Bundle;
use wharf::home::WharfHome;
use wharf::sets::{
    MemorySecrets, NamespaceFilter, ResolveContext, ResolveProblem, SetDocument, SetKind, SetStore,
    Source, SourceKind, StoreError, generate, generate_with, parse_set, resolve,
};

fn conformance() -> PathBuf {
    std::env::var_os("WHARF_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance")
        })
}

const PARAMETERS_YAML: &str = "\
schemaType: ParameterSet
schemaVersion: 1.0.1
name: mysql
namespace: dev
labels:
  team: data
  tier: 1
parameters:
  - name: database
    source:
      value: wordpress
  - name: port
    source:
      value: 3306
  - name: user
    source:
      env: MYSQL_USER
  - name: config
    source:
      path: ./mysql.cnf
  - name: version
    source:
      command: echo 8.0
  - name: password
    source:
      secret: mysql-password
";

const CREDENTIALS_YAML: &str = "\
schemaType: CredentialSet
schemaVersion: 1.0.1
name: cloud
credentials:
  - name: token
    source: {value: abc}
  - name: user
    source: {env: USER}
  - name: kubeconfig
    source: {path: $HOME/.kube/config}
  - name: region
    source: {command: 'printf eu-west'}
  - name: key
    source: {secret: cloud-key}
";

fn parse(text: &str, kind: Option<SetKind>) -> SetDocument {
    parse_set(text, Path::new("set.yaml"), kind).unwrap_or_else(|e| panic!("{e}"))
}

fn parse_err(text: &str, kind: Option<SetKind>) -> String {
    match parse_set(text, Path::new("sets/bad.yaml"), kind) {
        Ok(set) => panic!("parsed, but should not have: {set:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_parameter_set_with_every_source_reads_from_yaml() {
    let set = parse(PARAMETERS_YAML, Some(SetKind::Parameter));
    assert_eq!(set.kind, SetKind::Parameter);
    assert_eq!(
        (set.namespace.as_str(), set.name.as_str()),
        ("dev", "mysql")
    );
    assert_eq!(set.labels["tier"], "1", "a label is text, as Go reads it");
    let sources: Vec<(&str, Source)> = set
        .entries
        .iter()
        .map(|e| (e.name.as_str(), e.source.clone()))
        .collect();
    assert_eq!(
        sources,
        vec![
            ("database", Source::Value("wordpress".into())),
            ("port", Source::Value("3306".into())),
            ("user", Source::Env("MYSQL_USER".into())),
            ("config", Source::Path("./mysql.cnf".into())),
            ("version", Source::Command("echo 8.0".into())),
            ("password", Source::Secret("mysql-password".into())),
        ]
    );
    // Serialised as Porter writes it; no status before it is stored.
    let json = set.to_json();
    assert_eq!(json["schemaType"], "ParameterSet");
    assert_eq!(json["schemaVersion"], "1.0.1");
    assert_eq!(json["labels"], json!({"team": "data", "tier": "1"}));
    assert_eq!(
        json["parameters"][5],
        json!({"name": "password", "source": {"secret": "mysql-password"}})
    );
    assert!(json.get("status").is_none() && json.get("credentials").is_none());
}

#[test]
fn a_credential_set_with_every_source_reads_from_yaml_and_its_kind_is_inferred() {
    let set = parse(CREDENTIALS_YAML, None);
    assert_eq!(set.kind, SetKind::Credential);
    assert_eq!(set.namespace, "", "no namespace is the global one");
    let kinds: Vec<SourceKind> = set.entries.iter().map(|e| e.source.kind()).collect();
    assert_eq!(kinds, SourceKind::ALL.to_vec());
    let json = set.to_json();
    assert_eq!(
        json["credentials"][2]["source"],
        json!({"path": "$HOME/.kube/config"})
    );
    assert!(json.get("labels").is_none(), "empty labels are left out");
}

#[test]
fn json_files_read_like_yaml_and_round_trip() {
    let set = parse(PARAMETERS_YAML, None);
    let text = serde_json::to_string_pretty(&set).unwrap();
    let again = parse_set(&text, Path::new("mysql.json"), Some(SetKind::Parameter)).unwrap();
    assert_eq!(again, set);
}

#[test]
fn a_misspelt_field_gets_a_did_you_mean_at_its_line_and_column() {
    let text = "\
schemaType: ParameterSet
schemaVersion: 1.0.1
name: mysql
paramters:
  - name: password
    sorce:
      secret: x
  - name: user
    source:
      secert: mysql-user
";
    let message = parse_err(text, Some(SetKind::Parameter));
    assert!(
        message.contains(
            "sets/bad.yaml:4:1: error: paramters: unknown field `paramters` in a ParameterSet; did you mean `parameters`?"
        ),
        "{message}"
    );
    let message = parse_err(
        &text.replace("paramters", "parameters"),
        Some(SetKind::Parameter),
    );
    assert!(
        message.contains("sets/bad.yaml:6:5: error: parameters[0].sorce: unknown field `sorce` in a parameter entry; did you mean `source`?"),
        "{message}"
    );
    assert!(
        message.contains("sets/bad.yaml:10:7: error: parameters[1].source.secert: unknown source `secert` for the parameter `user`; did you mean `secret`?"),
        "{message}"
    );
}

#[test]
fn a_source_needs_exactly_one_strategy_and_names_must_be_unique() {
    let head = "schemaType: CredentialSet\nschemaVersion: 1.0.1\nname: c\ncredentials:\n";
    let none = parse_err(&format!("{head}  - name: token\n    source: {{}}\n"), None);
    assert!(
        none.contains(
            "the credential `token` has no source; give one of value, env, path, command, secret"
        ),
        "{none}"
    );
    let missing = parse_err(&format!("{head}  - name: token\n"), None);
    assert!(
        missing.contains("the credential `token` has no source"),
        "{missing}"
    );
    let two = parse_err(
        &format!("{head}  - name: token\n    source: {{env: TOKEN, secret: token}}\n"),
        None,
    );
    assert!(
        two.contains("sets/bad.yaml:6:13: error: credentials[0].source: the credential `token` has 2 sources (env, secret); give exactly one"),
        "{two}"
    );
    let twice = parse_err(
        &format!(
            "{head}  - name: token\n    source: {{env: A}}\n  - name: token\n    source: {{env: B}}\n"
        ),
        None,
    );
    assert!(
        twice.contains(
            "credentials[1].name: the credential `token` is listed twice (the first is at line 5)"
        ),
        "{twice}"
    );
    let empty = parse_err(
        &format!("{head}  - name: token\n    source: {{env: ''}}\n"),
        None,
    );
    assert!(empty.contains("an empty env source"), "{empty}");
}

#[test]
fn the_document_must_be_the_kind_and_version_asked_for() {
    let wrong_kind = parse_err(CREDENTIALS_YAML, Some(SetKind::Parameter));
    assert!(
        wrong_kind.contains("this is a CredentialSet, not a ParameterSet; use `wharf credentials`"),
        "{wrong_kind}"
    );
    let wrong_list = parse_err(
        "schemaType: ParameterSet\nschemaVersion: 1.0.1\nname: p\ncredentials: []\n",
        None,
    );
    assert!(
        wrong_list
            .contains("a ParameterSet lists its entries under `parameters`, not `credentials`"),
        "{wrong_list}"
    );
    let old = parse_err(&PARAMETERS_YAML.replace("1.0.1", "1.0.0"), None);
    assert!(
        old.contains(
            "2:16: error: schemaVersion: ParameterSet schemaVersion `1.0.0` is not supported"
        ),
        "{old}"
    );
    let unsafe_name = parse_err(
        &PARAMETERS_YAML.replace("name: mysql", "name: ../etc"),
        None,
    );
    assert!(
        unsafe_name.contains("a name must not start with a dot"),
        "{unsafe_name}"
    );
    let untyped = parse_err("name: x\n", None);
    assert!(
        untyped.contains("add `schemaType: ParameterSet`"),
        "{untyped}"
    );
}

#[test]
fn every_source_resolves() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("mysql.cnf"), "[client]\nport=3306\n").unwrap();
    let secrets = MemorySecrets::new().with("mysql-password", "s3cret");
    let context = ResolveContext::new(&secrets)
        .with_env([("MYSQL_USER", "admin")])
        .with_dir(dir.path());
    let set = parse(PARAMETERS_YAML, None);
    let values = resolve(&set, &context).unwrap_or_else(|e| panic!("{e}"));
    let text = |name: &str| values[name].as_str().unwrap().to_string();
    assert_eq!(text("database"), "wordpress");
    assert_eq!(text("port"), "3306");
    assert_eq!(text("user"), "admin");
    assert_eq!(
        text("config"),
        "[client]\nport=3306\n",
        "file contents, untrimmed"
    );
    assert_eq!(text("version"), "8.0", "command output, trimmed");
    assert_eq!(text("password"), "s3cret");
    assert!(values["password"].is_secret());
    assert!(!values["user"].is_secret());
    // A secret never shows in Debug or in JSON output.
    assert!(!format!("{values:?}").contains("s3cret"));
    let json = serde_json::to_string(&values).unwrap();
    assert!(!json.contains("s3cret") && json.contains("admin"), "{json}");
}

#[test]
fn a_command_source_runs_in_a_shell() {
    let secrets = MemorySecrets::new();
    let context = ResolveContext::new(&secrets).with_env([("WHO", "wharf")]);
    let mut set = SetDocument::new(SetKind::Credential, "", "c");
    set.set("hi", Source::Command("echo hi".into()));
    set.set(
        "piped",
        Source::Command("echo \"$WHO\" | tr a-z A-Z".into()),
    );
    set.set("home", Source::Path("${WHO}-not-a-file".into()));
    let error = resolve(&set, &context).unwrap_err();
    assert_eq!(error.failures.len(), 1, "{error}");
    set.remove("home");
    let values = resolve(&set, &context).unwrap();
    assert_eq!(values["hi"].as_bytes(), b"hi");
    assert_eq!(values["piped"].as_str(), Some("WHARF"));
}

#[test]
fn every_failure_names_its_entry_and_what_is_missing() {
    let secrets = MemorySecrets::new();
    let dir = tempfile::tempdir().unwrap();
    let context = ResolveContext::new(&secrets).with_dir(dir.path());
    let mut set = SetDocument::new(SetKind::Parameter, "dev", "broken");
    set.set("user", Source::Env("MYSQL_USER".into()));
    set.set("config", Source::Path("missing.cnf".into()));
    set.set("cert", Source::Path("$CERTS/ca.pem".into()));
    set.set("version", Source::Command("echo nope >&2; exit 3".into()));
    set.set("password", Source::Secret("mysql-password".into()));
    set.set("fine", Source::Value("ok".into()));
    let error = resolve(&set, &context).unwrap_err();
    let names: Vec<&str> = error.failures.iter().map(|f| f.entry.as_str()).collect();
    assert_eq!(names, ["user", "config", "cert", "version", "password"]);
    assert!(matches!(
        &error.failures[0].problem,
        ResolveProblem::EnvNotSet { variable } if variable == "MYSQL_USER"
    ));
    let message = error.to_string();
    for expected in [
        "cannot resolve parameter set `dev/broken`:",
        "parameter `user` (env source): environment variable `MYSQL_USER` is not set",
        "parameter `config` (path source): cannot read the file",
        "missing.cnf",
        "parameter `cert` (path source): the path `$CERTS/ca.pem` uses `$CERTS`, which is not set",
        "parameter `version` (command source): the command `echo nope >&2; exit 3` exited with code 3; it said: nope",
        "parameter `password` (secret source): the secret `mysql-password` is not in the secret store",
    ] {
        assert!(
            message.contains(expected),
            "missing {expected:?} in:\n{message}"
        );
    }
}

#[test]
fn a_failing_secret_store_is_reported_with_its_error() {
    let failing = |_: &str| -> anyhow::Result<Option<Vec<u8>>> { anyhow::bail!("disk on fire") };
    let context = ResolveContext::new(&failing);
    let mut set = SetDocument::new(SetKind::Credential, "", "c");
    set.set("token", Source::Secret("t".into()));
    let message = resolve(&set, &context).unwrap_err().to_string();
    assert!(
        message.contains("credential `token` (secret source): cannot read the secret `t` from the secret store: disk on fire"),
        "{message}"
    );
}

#[test]
fn sets_are_applied_listed_shown_and_deleted_by_namespace() {
    let home_dir = tempfile::tempdir().unwrap();
    let home = WharfHome::new(home_dir.path());
    let store = SetStore::new(&home);
    let kind = SetKind::Parameter;
    assert!(store.list(kind, &NamespaceFilter::All).unwrap().is_empty());

    let dev = store.apply(parse(PARAMETERS_YAML, None)).unwrap();
    let mut global = parse(PARAMETERS_YAML, None);
    global.namespace = String::new();
    let global = store.apply(global).unwrap();
    let other = store
        .apply(SetDocument::new(kind, "dev", "another"))
        .unwrap();

    // Where they live, and what the file holds: Porter's document, canonical.
    let file = home_dir.path().join("parameter-sets/dev/mysql.json");
    let bytes = std::fs::read(&file).unwrap();
    let stored: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(bytes, wharf::cnab::canonicalize(&stored));
    assert_eq!(stored["status"]["created"], stored["status"]["modified"]);
    assert!(
        home_dir
            .path()
            .join("parameter-sets/_default/mysql.json")
            .is_file()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "only the owner may read a set");
    }

    let names = |filter: NamespaceFilter| -> Vec<String> {
        store
            .list(kind, &filter)
            .unwrap()
            .iter()
            .map(SetDocument::qualified_name)
            .collect()
    };
    assert_eq!(names(NamespaceFilter::Only(String::new())), ["mysql"]);
    assert_eq!(
        names(NamespaceFilter::Only("dev".into())),
        ["dev/another", "dev/mysql"]
    );
    assert_eq!(
        names(NamespaceFilter::All),
        ["mysql", "dev/another", "dev/mysql"]
    );
    assert!(
        store
            .list(SetKind::Credential, &NamespaceFilter::All)
            .unwrap()
            .is_empty()
    );

    let shown = store.get(kind, "dev", "mysql").unwrap();
    assert_eq!(shown, dev);
    assert_eq!(store.get(kind, "", "mysql").unwrap(), global);
    assert_eq!(store.find(kind, "dev", "mysql").unwrap(), dev);
    assert_eq!(
        store.find(kind, "prod", "mysql").unwrap(),
        global,
        "falls back to global"
    );

    // apply replaces and keeps created; create refuses to overwrite.
    std::thread::sleep(std::time::Duration::from_millis(5));
    let mut changed = shown.clone();
    changed.set("user", Source::Secret("mysql-user".into()));
    let replaced = store.apply(changed).unwrap();
    let (before, after) = (dev.status.unwrap(), replaced.status.unwrap());
    assert_eq!(after.created, before.created);
    assert!(after.modified > before.modified);
    assert_eq!(
        store
            .get(kind, "dev", "mysql")
            .unwrap()
            .entry("user")
            .unwrap()
            .source,
        Source::Secret("mysql-user".into())
    );
    let exists = store.create(parse(PARAMETERS_YAML, None)).unwrap_err();
    assert!(
        matches!(exists, StoreError::AlreadyExists { .. }),
        "{exists}"
    );
    assert!(
        exists.to_string().contains("`wharf parameters apply`"),
        "{exists}"
    );
    store
        .create(SetDocument::new(kind, "prod", "fresh"))
        .unwrap();

    store.delete(kind, "dev", "another").unwrap();
    store.delete(kind, "dev", "mysql").unwrap();
    let gone = store.get(kind, "dev", "mysql").unwrap_err();
    assert_eq!(
        gone.to_string(),
        "parameter set `mysql` not found in namespace `dev`; see the stored ones with `wharf parameters list --namespace dev`"
    );
    assert!(matches!(
        store.delete(kind, "dev", "mysql"),
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(names(NamespaceFilter::All), ["mysql", "prod/fresh"]);
    assert_eq!(other.kind, kind);
}

#[test]
fn the_store_refuses_unsafe_names_and_reports_damaged_files() {
    let home_dir = tempfile::tempdir().unwrap();
    let store = SetStore::new(&WharfHome::new(home_dir.path()));
    let kind = SetKind::Credential;
    let escape = store.get(kind, "..", "passwd").unwrap_err();
    assert!(matches!(escape, StoreError::Invalid { .. }), "{escape}");
    let reserved = store
        .apply(SetDocument::new(kind, "_default", "x"))
        .unwrap_err();
    assert!(
        reserved
            .to_string()
            .contains("reserved for the global namespace"),
        "{reserved}"
    );
    let mut bad = SetDocument::new(kind, "", "c");
    bad.set("token", Source::Env(String::new()));
    let invalid = store.apply(bad).unwrap_err().to_string();
    assert!(invalid.contains("credentials[0].source.env"), "{invalid}");

    let file = store.path(kind, "", "broken");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, "{not json").unwrap();
    let damaged = store.get(kind, "", "broken").unwrap_err().to_string();
    assert!(
        damaged.contains("broken.json is damaged: not JSON"),
        "{damaged}"
    );
    assert!(damaged.contains("fix the file or delete it"), "{damaged}");
    // Applying a good set over a damaged file is how to repair it.
    store.apply(SetDocument::new(kind, "", "broken")).unwrap();
    assert!(store.get(kind, "", "broken").is_ok());
}

fn mybuns() -> Bundle {
    let path = conformance().join("cnab-bundles/porter__mybuns-depsv1.bundle.json");
    let bytes = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; set WHARF_CONFORMANCE_DIR", path.display()));
    Bundle::from_slice(&bytes).unwrap()
}

#[test]
fn generate_makes_one_entry_per_user_parameter_and_credential() {
    let bundle = mybuns();
    let parameters = generate(&bundle, SetKind::Parameter);
    assert_eq!(parameters.name, bundle.name);
    let names: Vec<&str> = parameters.entries.iter().map(|e| e.name.as_str()).collect();
    assert!(!names.is_empty());
    assert!(
        names
            .iter()
            .all(|n| !n.starts_with("porter-") && !n.starts_with("wharf-")),
        "internal parameters are skipped: {names:?}"
    );
    assert_eq!(
        names.len(),
        bundle.parameters.len() - 3,
        "porter-debug, -state, -msg-output"
    );
    assert_eq!(
        parameters.entry("mysql-connstr").unwrap().source,
        Source::Env("MYSQL_CONNSTR".into())
    );

    let mut asked = Vec::new();
    let credentials = generate_with(&bundle, SetKind::Credential, |name, description| {
        asked.push((name.to_string(), description.to_string()));
        Source::Secret(format!("mybuns-{name}"))
    });
    assert_eq!(
        asked,
        [
            ("password".to_string(), String::new()),
            (
                "username".to_string(),
                "The name you want on the audit log".to_string()
            ),
        ]
    );
    assert_eq!(
        credentials.to_json()["credentials"][1],
        json!({"name": "username", "source": {"secret": "mybuns-username"}})
    );

    // A generated set is valid as it is.
    let home_dir = tempfile::tempdir().unwrap();
    let store = SetStore::new(&WharfHome::new(home_dir.path()));
    store.apply(parameters).unwrap();
    store.apply(credentials).unwrap();
}

#[test]
fn generate_skips_wharf_internal_parameters() {
    let bundle = Bundle::from_value(json!({
        "name": "app",
        "parameters": {
            "wharf-debug": {"definition": "d"},
            "wharf-state": {"definition": "s"},
            "log_level": {"definition": "l", "description": "How loud"},
        },
        "credentials": {"wharf-internal": {}, "kubeconfig": {"path": "/k"}},
    }))
    .unwrap();
    let parameters = generate(&bundle, SetKind::Parameter);
    assert_eq!(
        parameters.to_json()["parameters"],
        json!([{"name": "log_level", "source": {"env": "LOG_LEVEL"}}])
    );
    let credentials = generate(&bundle, SetKind::Credential);
    assert_eq!(credentials.entries.len(), 1);
    assert_eq!(credentials.entries[0].name, "kubeconfig");
}
