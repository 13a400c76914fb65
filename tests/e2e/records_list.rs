//! `wharf installations list` over more installations than one hand-over
//! between its reading and its writing thread: every installation is
//! printed once, in order, exactly as the whole list serialises, whatever
//! the one before it held; and a reader that stops early stops it quietly.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::process::{Command, Stdio};

use crate::records_cli::{ok, open, wharf};
use crate::store_common::{run, spec};
use wharf::store::{FinishRun, InstallationKey, InstallationQuery, InstallationStore, NewRun};
use wharf_test_support::scratch_dir;

/// More than two of the writer's batches, and not a multiple of one.
const INSTALLATIONS: usize = 601;

#[test]
fn a_long_list_prints_every_installation_as_the_whole_list_serialises() {
    let home = scratch_dir();
    let store = open(home.path());
    for i in 0..INSTALLATIONS {
        let key = InstallationKey::global(format!("app-{i:04}"));
        let mut spec = spec(&key, &format!("0.{}.0", i % 7));
        // Neighbours differ in every optional part, so that nothing of
        // one row can pass for the next's.
        if i % 3 == 0 {
            spec.bundle.digest = format!("sha256:{:064x}", i);
            spec.labels = BTreeMap::from([(format!("k{i}"), "v\"quoted\"".into())]);
        } else {
            spec.labels.clear();
            spec.parameter_sets.clear();
        }
        store.upsert_installation(spec).unwrap();
        if i % 5 == 0 {
            run(
                &store,
                NewRun::new(key, "install"),
                FinishRun::succeeded().logs("ok\n"),
            );
        }
    }
    let all = store
        .list_installations(&InstallationQuery::default())
        .unwrap();
    assert_eq!(all.len(), INSTALLATIONS);

    let printed = ok(home.path(), &["installations", "list", "-o", "json"]);
    let whole = serde_json::to_string_pretty(&all).unwrap() + "\n";
    assert!(printed == whole.as_bytes(), "the streamed list differs");

    // The table: a header and a line per installation, in the same order.
    let table = String::from_utf8(ok(home.path(), &["installations", "list"])).unwrap();
    let names: Vec<&str> = table
        .lines()
        .skip(1)
        .map(|line| line.split_whitespace().next().unwrap())
        .collect();
    let expected: Vec<&str> = all.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, expected);
    let last_action = |name: &str| {
        let line = table
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap();
        line.split_whitespace().nth(3).unwrap().to_string()
    };
    assert_eq!(last_action("app-0000"), "install");
    assert_eq!(last_action("app-0001"), "-");

    // `| head -c 100`: the reader goes away; the list stops, quietly.
    let mut child = Command::new(env!("CARGO_BIN_EXE_wharf"))
        .args(["installations", "list", "-o", "json"])
        .env("WHARF_HOME", home.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 100];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `installations list -o json` streams while it reads, yet a store that
/// cannot be opened prints no JSON at all (not `[]`, which would read as
/// "no installations"), only an error naming the database; the same list
/// with a usable home prints `[]`.
#[test]
fn a_list_from_a_store_that_cannot_open_prints_nothing() {
    let home = scratch_dir();
    std::fs::create_dir(home.path().join("wharf.db")).unwrap();
    let out = wharf(home.path(), &["installations", "list", "-o", "json"]);
    assert!(!out.status.success());
    assert!(
        out.stdout.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&out.stdout)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("wharf.db"), "{stderr}");

    std::fs::remove_dir(home.path().join("wharf.db")).unwrap();
    let listed = ok(home.path(), &["installations", "list", "-o", "json"]);
    assert_eq!(listed, b"[]\n");
}
