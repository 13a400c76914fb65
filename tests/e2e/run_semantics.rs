//! What a run means, end to end through a real dockerd: the state bag
//! carried from run to run, a failing step (its status, outputs and logs
//! kept), Porter's precedence of parameter values at every level, and the
//! refusal of a second install.
//!
//! Each test writes its own bundle on the busybox base, runs the `wharf`
//! binary on it as an operator does, and reads the records back with
//! `wharf installations ...` and `wharf logs show`.

use wharf_test_support::cli::{Ran, Wharf, busybox_bundle as bundle};
use wharf_test_support::scratch_dir;

const WHARF: &str = env!("CARGO_BIN_EXE_wharf");

/// Asserts that the command's stderr contains each of `needles`.
#[track_caller]
fn assert_stderr_has(ran: &Ran, needles: &[&str]) {
    for needle in needles {
        assert!(
            ran.stderr.contains(needle),
            "wharf {:?}: no {needle:?} in stderr:\n{}",
            ran.args,
            ran.stderr
        );
    }
}

/// A trivial uninstall, which every bundle needs.
const UNINSTALL: &str = "uninstall:\n  - exec:\n      description: bye\n      command: ./bye.sh\n";
const BYE: (&str, &str) = ("bye.sh", "#!/bin/sh\necho bye\n");

const STATE_MANIFEST: &str = r#"parameters:
  - name: note
    type: string
    default: none
state:
  - name: notes
    path: notes/state.txt
outputs:
  - name: found
    type: string
    applyTo: [install]
  - name: seen
    type: string
    applyTo: [upgrade]
install:
  - exec:
      description: write the state
      command: ./state.sh
      arguments: [install, "${ bundle.parameters.note }"]
      outputs:
        - name: found
          regex: 'found: (\S+)'
upgrade:
  - exec:
      description: read and extend the state
      command: ./state.sh
      arguments: [upgrade, "${ bundle.parameters.note }"]
      outputs:
        - name: seen
          regex: 'state: (.*)'
"#;

const STATE_SCRIPT: &str = r#"#!/bin/sh
set -eu
f=notes/state.txt
if [ -e "$f" ]; then
  echo "found: present"
  while read -r line; do echo "state: $line"; done < "$f"
else
  echo "found: absent"
fi
mkdir -p notes
echo "note=$2 from $1" >> "$f"
"#;

/// The `state:` files written by one run are in place for the next: the
/// first install finds none, an upgrade reads what install wrote (derived
/// from a parameter), and a second upgrade sees both earlier lines. The
/// bag itself is kept as the sensitive `wharf-state` output.
#[test]
fn state_files_are_carried_from_run_to_run() {
    let dir = bundle(
        "state-bag",
        &format!("{STATE_MANIFEST}{UNINSTALL}"),
        &[("state.sh", STATE_SCRIPT), BYE],
    );
    let wharf = Wharf::new(WHARF, dir.path());

    wharf.run(&["install", "--param", "note=alpha"]).ok();
    assert_eq!(
        wharf.output_text("state-bag", "found"),
        "absent",
        "the first install sees no state file"
    );
    let outputs = wharf
        .run(&[
            "installations",
            "outputs",
            "list",
            "state-bag",
            "-o",
            "json",
        ])
        .ok()
        .json();
    let bag = outputs
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "wharf-state")
        .unwrap_or_else(|| panic!("install recorded no state bag: {outputs}"));
    assert_eq!(bag["sensitive"], true, "{bag}");
    assert!(bag.get("value").is_none(), "a listing masks the bag: {bag}");

    wharf.run(&["upgrade", "--param", "note=beta"]).ok();
    assert_eq!(
        wharf.output_text("state-bag", "seen"),
        "note=alpha from install",
        "the upgrade reads what install wrote"
    );

    wharf.run(&["upgrade", "--param", "note=gamma"]).ok();
    assert_eq!(
        wharf.output_text("state-bag", "seen"),
        "note=alpha from install\nnote=beta from upgrade",
        "the second upgrade sees both earlier lines"
    );
    // The install's own output is still the latest value of `found`.
    assert_eq!(wharf.output_text("state-bag", "found"), "absent");
}

const FAILING_MANIFEST: &str = r#"parameters:
  - name: exitcode
    type: string
    default: "3"
outputs:
  - name: token
    type: string
    applyTo: [install]
install:
  - exec:
      description: step one
      command: ./steps.sh
      arguments: [one]
      outputs:
        - name: token
          regex: 'token: (\S+)'
  - exec:
      description: step two
      command: ./steps.sh
      arguments: [two, "${ bundle.parameters.exitcode }"]
upgrade:
  - exec:
      description: upgrade
      command: ./steps.sh
      arguments: [one]
"#;

const FAILING_SCRIPT: &str = r#"#!/bin/sh
case "$1" in
one)
  echo "MARKER-step-one-ran"
  echo "token: tok-from-step-one"
  ;;
two)
  echo "step two exits with $2"
  exit "$2"
  ;;
esac
"#;

/// A step that fails fails the command (non-zero, saying how to see the
/// log) and the run (`failed` in the run list and in `show`), while the
/// output an earlier step made and that step's log are kept. The failed
/// install does not count as installed, so installing again needs no
/// `--force`.
#[test]
fn a_failing_step_fails_the_run_but_keeps_outputs_and_logs() {
    let dir = bundle(
        "fails",
        &format!("{FAILING_MANIFEST}{UNINSTALL}"),
        &[("steps.sh", FAILING_SCRIPT), BYE],
    );
    let wharf = Wharf::new(WHARF, dir.path());

    let failed = wharf.run(&["install"]).failed();
    assert_ne!(failed.code, Some(0));
    assert_stderr_has(&failed, &["failed", "wharf logs show -i fails"]);

    let list = wharf.runs("fails");
    assert_eq!(list.len(), 1, "{list:#?}");
    let run_id = list[0]["id"].as_str().unwrap().to_string();
    assert_eq!(list[0]["action"], "install");
    assert_eq!(list[0]["status"], "failed", "{list:#?}");
    assert_stderr_has(&failed, &[&run_id]);

    let shown = wharf.show("fails");
    assert_eq!(shown["status"]["resultStatus"], "failed", "{shown:#}");
    assert_eq!(shown["lastRun"]["id"], run_id.as_str());
    assert!(shown["status"]["installed"].is_null(), "{shown:#}");

    assert_eq!(wharf.output_text("fails", "token"), "tok-from-step-one");
    let run_outputs = wharf
        .run(&[
            "installations",
            "outputs",
            "list",
            "--run",
            &run_id,
            "-o",
            "json",
        ])
        .ok()
        .json();
    assert!(
        run_outputs
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["name"] == "token" && o["value"] == "tok-from-step-one"),
        "the failed run itself recorded the output: {run_outputs:#}"
    );

    for args in [
        ["logs", "show", "-i", "fails"],
        ["logs", "show", "--run", run_id.as_str()],
    ] {
        let logs = wharf.run(&args).ok();
        assert!(
            logs.stdout.contains("MARKER-step-one-ran"),
            "wharf {args:?}:\n{}",
            logs.stdout
        );
        assert!(
            logs.stdout.contains("step two exits with 3"),
            "{}",
            logs.stdout
        );
    }

    let retried = wharf.run(&["install", "--param", "exitcode=0"]).ok();
    assert_stderr_has(&retried, &["succeeded"]);
    let list = wharf.runs("fails");
    assert_eq!(list.len(), 2, "{list:#?}");
    assert_eq!(list[0]["status"], "succeeded", "newest first: {list:#?}");
    assert_eq!(list[1]["id"], run_id.as_str());
    let shown = wharf.show("fails");
    assert_eq!(shown["status"]["resultStatus"], "succeeded", "{shown:#}");
    assert!(shown["status"]["installed"].is_string(), "{shown:#}");
}

const PRECEDENCE_MANIFEST: &str = r#"parameters:
  - name: a
    type: string
    default: default-a
  - name: b
    type: string
    default: default-b
  - name: c
    type: string
    default: default-c
  - name: d
    type: string
    default: default-d
    source:
      output: seed
  - name: e
    type: string
    default: default-e
outputs:
  - name: seed
    type: string
    applyTo: [install]
  - name: report
    type: string
install:
  - exec:
      description: seed and report
      command: ./report.sh
      arguments:
        - "${ bundle.parameters.a }"
        - "${ bundle.parameters.b }"
        - "${ bundle.parameters.c }"
        - "${ bundle.parameters.d }"
        - "${ bundle.parameters.e }"
        - from-output
      outputs:
        - name: seed
          regex: 'seed: (\S+)'
        - name: report
          regex: 'report: (.*)'
upgrade:
  - exec:
      description: report
      command: ./report.sh
      arguments:
        - "${ bundle.parameters.a }"
        - "${ bundle.parameters.b }"
        - "${ bundle.parameters.c }"
        - "${ bundle.parameters.d }"
        - "${ bundle.parameters.e }"
      outputs:
        - name: report
          regex: 'report: (.*)'
"#;

const REPORT_SCRIPT: &str = r#"#!/bin/sh
echo "report: a=$1 b=$2 c=$3 d=$4 e=$5"
if [ -n "${6:-}" ]; then echo "seed: $6"; fi
"#;

/// Porter's precedence, every level in one upgrade: `--param` beats the
/// parameter set, which beats the installation's previous value, which
/// beats the parameter's output source, which beats the default. The
/// installation keeps its parameter sets, so a later upgrade without flags
/// takes the set's value over the previous run's. An unknown `--param` is
/// refused by name before anything runs.
#[test]
fn parameter_values_follow_porters_precedence() {
    let dir = bundle(
        "prec",
        &format!("{PRECEDENCE_MANIFEST}{UNINSTALL}"),
        &[("report.sh", REPORT_SCRIPT), BYE],
    );
    let wharf = Wharf::new(WHARF, dir.path());

    wharf
        .run(&[
            "install",
            "--param",
            "b=install-b",
            "--param",
            "c=install-c",
        ])
        .ok();
    assert_eq!(
        wharf.output_text("prec", "report"),
        "a=default-a b=install-b c=install-c d=default-d e=default-e",
        "a new installation has no outputs, so d takes its default"
    );
    assert_eq!(wharf.output_text("prec", "seed"), "from-output");

    // The set lives outside the bundle directory, so it is not part of the
    // bundle (and does not make it rebuild).
    let sets = scratch_dir();
    let set_file = sets.path().join("prec.json");
    std::fs::write(
        &set_file,
        r#"{"schemaType":"ParameterSet","schemaVersion":"1.0.1","name":"prec",
            "parameters":[{"name":"a","source":{"value":"set-a"}},
                          {"name":"b","source":{"value":"set-b"}}]}"#,
    )
    .unwrap();
    wharf
        .run(&["parameters", "apply", set_file.to_str().unwrap()])
        .ok();

    wharf
        .run(&["upgrade", "--param", "a=flag-a", "--parameter-set", "prec"])
        .ok();
    assert_eq!(
        wharf.output_text("prec", "report"),
        "a=flag-a b=set-b c=install-c d=from-output e=default-e",
        "flag > set > previous run > output source > default"
    );
    let shown = wharf.show("prec");
    assert_eq!(shown["parameterSets"], serde_json::json!(["prec"]));

    // No flags, no sets named: the installation's set is used again, and
    // its `a` beats the previous run's `flag-a`.
    wharf.run(&["upgrade"]).ok();
    assert_eq!(
        wharf.output_text("prec", "report"),
        "a=set-a b=set-b c=install-c d=from-output e=default-e",
        "a parameter set entry beats the previous run's value"
    );

    let before = wharf.runs("prec").len();
    let refused = wharf.run(&["upgrade", "--param", "nope=1"]).failed();
    assert_stderr_has(&refused, &["nope", "nothing was run"]);
    assert!(
        !refused.stdout.contains("report:"),
        "no step ran: {}",
        refused.stdout
    );
    assert_eq!(
        wharf.runs("prec").len(),
        before,
        "a refused upgrade records no run"
    );
}

const SIMPLE_MANIFEST: &str = r#"install:
  - exec:
      description: install
      command: ./hello.sh
      arguments: [installed]
upgrade:
  - exec:
      description: upgrade
      command: ./hello.sh
      arguments: [upgraded]
"#;

/// Installing an installation that is installed is refused (pointing at
/// `upgrade` and `--force`) without a new run; `--force` installs again.
#[test]
fn a_second_install_is_refused_unless_forced() {
    let dir = bundle(
        "twice",
        &format!("{SIMPLE_MANIFEST}{UNINSTALL}"),
        &[("hello.sh", "#!/bin/sh\necho \"hello $1\"\n"), BYE],
    );
    let wharf = Wharf::new(WHARF, dir.path());

    let first = wharf.run(&["install"]).ok();
    assert!(first.stdout.contains("hello installed"), "{}", first.stdout);
    assert_eq!(wharf.runs("twice").len(), 1);

    let refused = wharf.run(&["install"]).failed();
    assert_stderr_has(
        &refused,
        &["already installed", "wharf upgrade twice", "--force"],
    );
    assert!(
        !refused.stdout.contains("hello installed"),
        "nothing ran: {}",
        refused.stdout
    );
    assert_eq!(wharf.runs("twice").len(), 1, "a refusal records no run");

    let forced = wharf.run(&["install", "--force"]).ok();
    assert!(
        forced.stdout.contains("hello installed"),
        "{}",
        forced.stdout
    );
    let list = wharf.runs("twice");
    assert_eq!(list.len(), 2, "{list:#?}");
    assert!(
        list.iter()
            .all(|r| r["action"] == "install" && r["status"] == "succeeded"),
        "{list:#?}"
    );
}
