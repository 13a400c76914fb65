//! Issue 11, holes 4, 5 and 9: a hostile mixin's links and command
//! directories, and runs that overlap, outlive their process or come from
//! a bundle.json that breaks the CNAB schema. Each test plays the attack
//! through the `wharf` binary, the static runtime and a real dockerd, with
//! the `hostile-files` component (tests/mixins/hostile-files) built from
//! source, and checks that the attack fails clearly and the next run works.

use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use wharf_test_support::cli::{Ran, Wharf, files_containing, write_file};
use wharf_test_support::docker::BUSYBOX_IMAGE;
use wharf_test_support::{guest_wasm, scratch_dir};

const WHARF: &str = env!("CARGO_BIN_EXE_wharf");

/// What the hostile runs must never carry out of the container.
const SECRET: &str = "environ-secret-6d1f0c";

/// The actions a bundle here needs besides the one that plays its attack.
const NOOP_UPGRADE_UNINSTALL: &str = "upgrade:\n  - exec:\n      command: \"true\"\n\
                                      uninstall:\n  - exec:\n      command: \"true\"\n";

/// The `mixins:` entries of most bundles here.
const MIXINS: &str = "  - exec\n  - hostile-files\n";

/// A bundle directory on the busybox base using exec and hostile-files:
/// `body` follows the header; `files` are written beside porter.yaml.
fn bundle(name: &str, body: &str, files: &[(&str, &str)]) -> tempfile::TempDir {
    bundle_with(name, MIXINS, body, files)
}

/// [`bundle`] with these `mixins:` entries.
fn bundle_with(name: &str, mixins: &str, body: &str, files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = scratch_dir();
    write_file(
        dir.path(),
        "porter.yaml",
        &format!(
            "schemaVersion: 1.0.1\nname: {name}\nversion: 0.1.0\ndockerfile: Dockerfile.tmpl\n\
             mixins:\n{mixins}{body}"
        ),
    );
    write_file(
        dir.path(),
        "Dockerfile.tmpl",
        &format!(
            "FROM {BUSYBOX_IMAGE}\n# PORTER_INIT\n# PORTER_MIXINS\n\
             COPY --chown=65532:0 . ${{BUNDLE_DIR}}\n"
        ),
    );
    for (file, text) in files {
        if let Some(parent) = Path::new(file).parent() {
            std::fs::create_dir_all(dir.path().join(parent)).unwrap();
        }
        write_file(dir.path(), file, text);
    }
    dir
}

/// `wharf` with the hostile mixin installed, in `dir`.
fn wharf_with_hostile(dir: &Path) -> Wharf {
    let wharf = Wharf::new(WHARF, dir);
    let wasm = guest_wasm("hostile-files");
    wharf
        .run(&["mixins", "install", wasm.to_str().unwrap()])
        .ok();
    wharf
}

#[track_caller]
fn assert_has(ran: &Ran, needles: &[&str]) {
    let all = format!("{}{}", ran.stdout, ran.stderr);
    for needle in needles {
        assert!(
            all.contains(needle),
            "wharf {:?}: no {needle:?} in:\n{all}",
            ran.args
        );
    }
}

const LINKS: &str = r#"parameters:
  - name: token
    type: string
    sensitive: true
    env: TOKEN
  - name: plant
    type: string
state:
  - name: loot
    path: hostile-files/loot
outputs:
  - name: leak
    type: string
    path: /cnab/app/hostile-files/leak.txt
    applyTo: [install]
install:
  - hostile-files:
      description: plant a link to the runtime's environment
      link:
        path: "${ bundle.parameters.plant }"
        to: ../../proc/self/environ
"#;

/// Hole 4: a link the mixin planted where the runtime reads an output or
/// packs the state bag is refused, naming the output or the state, and
/// the environment it points at (with a sensitive value in it) reaches
/// no record; the same bundle runs when the link is planted elsewhere.
#[test]
fn a_planted_link_is_never_followed_into_an_output_or_the_state_bag() {
    // The links go in the mixin's own working directory, the one place
    // in the bundle directory it may write (hole 5).
    let work = bundle(
        "hostile-links",
        &format!("{LINKS}{NOOP_UPGRADE_UNINSTALL}"),
        &[("hostile-files/.keep", "")],
    );
    let wharf = wharf_with_hostile(work.path());
    wharf.run(&["build"]).ok();
    let token = format!("token={SECRET}");

    let as_output = wharf
        .run(&[
            "install",
            "--param",
            &token,
            "--param",
            "plant=hostile-files/leak.txt",
        ])
        .failed();
    assert_has(
        &as_output,
        &["leak", "leak.txt is a symbolic link", "proc/self/environ"],
    );

    let as_state = wharf
        .run(&[
            "install",
            "--param",
            &token,
            "--param",
            "plant=hostile-files/loot",
        ])
        .failed();
    assert_has(
        &as_state,
        &["\"loot\"", "loot is a symbolic link", "proc/self/environ"],
    );

    // The next run, with the link where nothing reads it, works.
    wharf
        .run(&[
            "install",
            "--param",
            &token,
            "--param",
            "plant=hostile-files/elsewhere",
        ])
        .ok();
    let outputs = wharf.outputs("hostile-links");
    assert!(!outputs.contains_key("leak"), "{outputs:?}");

    assert!(
        !String::from_utf8_lossy(&wharf.transcript()).contains(SECRET),
        "a run printed the secret"
    );
    let leaked = files_containing(wharf.home.path(), SECRET, &["secrets"]);
    assert!(leaked.is_empty(), "the secret is in {leaked:?}");
}

const WRITES: &str = r#"parameters:
  - name: target
    type: string
outputs:
  - name: said
    type: string
    applyTo: [install]
install:
  - hostile-files:
      description: overwrite a file of its choosing
      write:
        path: "${ bundle.parameters.target }"
        text: "echo hijacked"
  - exec:
      description: run the author's helper
      command: sh
      arguments: [helper.sh]
      outputs:
        - name: said
          regex: "(.+)"
"#;

/// Hole 5 (files): the bundle directory is read-only to a mixin, so it
/// cannot rewrite a script the author's next step runs, whatever path it
/// takes to it; writing in its configured working directory and in the
/// outputs directory works, and the helper still says what the author
/// wrote.
#[test]
fn a_mixin_writes_only_in_its_working_directory_and_the_outputs() {
    let work = bundle_with(
        "hostile-writes",
        "  - exec\n  - hostile-files:\n      workingDir: infra\n",
        &format!("{WRITES}{NOOP_UPGRADE_UNINSTALL}"),
        &[("helper.sh", "echo original\n"), ("infra/.keep", "")],
    );
    let wharf = wharf_with_hostile(work.path());
    wharf.run(&["build"]).ok();

    for target in [
        "helper.sh",
        "/cnab/app/helper.sh",
        "infra/../helper.sh",
        "porter.yaml",
        "fresh.sh",
    ] {
        let ran = wharf
            .run(&["install", "--param", &format!("target={target}")])
            .failed();
        assert_has(
            &ran,
            &[
                &format!("cannot write {target}"),
                "the hostile-files mixin may write only in /cnab/app/infra, /cnab/app/outputs",
            ],
        );
    }
    for target in ["infra/note.txt", "/cnab/app/outputs/note.txt"] {
        wharf
            .run(&["install", "--force", "--param", &format!("target={target}")])
            .ok();
        assert_eq!(wharf.output_text("hostile-writes", "said"), "original");
    }
}

const DIRS: &str = r#"parameters:
  - name: dir
    type: string
outputs:
  - name: ranin
    type: string
    applyTo: [install]
install:
  - hostile-files:
      description: run a command in a directory of its choosing
      pwd_in: "${ bundle.parameters.dir }"
"#;

/// Hole 5 (commands): a command's `dir` outside the bundle directory is
/// denied as a capability, `/`, `../../..` and an absolute path alike;
/// a directory inside it works.
#[test]
fn a_command_dir_outside_the_bundle_directory_is_denied() {
    let work = bundle(
        "hostile-dirs",
        &format!("{DIRS}{NOOP_UPGRADE_UNINSTALL}"),
        &[("sub/keep", "kept\n")],
    );
    let wharf = wharf_with_hostile(work.path());
    wharf.run(&["build"]).ok();
    for escape in ["/", "../../..", "/etc"] {
        let ran = wharf
            .run(&["install", "--param", &format!("dir={escape}")])
            .failed();
        assert_has(
            &ran,
            &[
                &format!("may not run a command in `{escape}`"),
                "inside the bundle directory /cnab/app",
            ],
        );
    }
    wharf.run(&["install", "--param", "dir=sub"]).ok();
    assert_eq!(wharf.output_text("hostile-dirs", "ranin"), "/cnab/app/sub");
}

const NAPS: &str = r#"parameters:
  - name: nap
    type: string
    default: "0"
install:
  - exec:
      command: sleep
      arguments: ["${ bundle.parameters.nap }"]
upgrade:
  - exec:
      description: napping
      command: sleep
      arguments: ["${ bundle.parameters.nap }"]
uninstall:
  - exec:
      command: "true"
"#;

/// Starts `wharf ARGS` in the background.
fn spawn(wharf: &Wharf, args: &[&str]) -> Child {
    wharf
        .command(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("wharf starts")
}

/// Waits for the installation's newest run to be `running` with its
/// container up; returns the run's id.
fn wait_running(wharf: &Wharf, installation: &str) -> String {
    let started = Instant::now();
    loop {
        let runs = wharf.runs(installation);
        if let Some(run) = runs.first().filter(|r| r["status"] == "running") {
            let id = run["id"].as_str().unwrap().to_string();
            if !containers_of(&id, false).is_empty() {
                return id;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no run of {installation} started: {runs:?}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// The containers labelled with run `run_id` (running ones, or all).
fn containers_of(run_id: &str, all: bool) -> Vec<String> {
    let mut docker = Command::new("docker");
    docker.args([
        "ps",
        "-q",
        "--filter",
        &format!("label=sh.wharf.run={run_id}"),
    ]);
    if all {
        docker.arg("-a");
    }
    let out = docker.output().expect("docker runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// Hole 9: while a run of an installation is in progress, a second
/// `install --force` and an `upgrade` are refused, naming the run; once it
/// ends, the next one runs.
#[test]
fn two_runs_of_one_installation_never_run_at_once() {
    let work = bundle("hostile-overlap", NAPS, &[]);
    let wharf = wharf_with_hostile(work.path());
    wharf.run(&["build"]).ok();
    wharf.run(&["install"]).ok();

    let mut first = spawn(&wharf, &["upgrade", "--param", "nap=25"]);
    let holder = wait_running(&wharf, "hostile-overlap");
    for args in [&["install", "--force"][..], &["upgrade"][..]] {
        let ran = wharf.run(args).failed();
        assert_has(&ran, &[&format!("run {holder}"), "still in progress"]);
    }
    assert!(first.wait().unwrap().success(), "the first run completes");
    wharf.run(&["upgrade"]).ok();
    let runs = wharf.runs("hostile-overlap");
    let statuses: Vec<&str> = runs.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["succeeded"; 3], "only three runs ran: {runs:?}");
}

/// Hole 9: `kill -9` of `wharf` leaves its container running; the next
/// run of the installation removes it before it starts (nothing runs
/// beside it) and the dead run reads `unknown`.
#[test]
fn a_killed_wharf_leaves_no_container_beside_the_next_run() {
    let work = bundle("hostile-orphan", NAPS, &[]);
    let wharf = wharf_with_hostile(work.path());
    wharf.run(&["build"]).ok();
    wharf.run(&["install"]).ok();

    let mut killed = spawn(&wharf, &["upgrade", "--param", "nap=300"]);
    let dead = wait_running(&wharf, "hostile-orphan");
    killed.kill().unwrap(); // SIGKILL: no cleanup runs
    killed.wait().unwrap();
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        !containers_of(&dead, false).is_empty(),
        "the killed run's container outlives wharf"
    );

    let next = wharf.run(&["upgrade"]).ok();
    assert_has(&next, &[&format!("run {dead}"), "was removed"]);
    assert!(
        containers_of(&dead, true).is_empty(),
        "the orphan container is gone"
    );
    let runs = wharf.runs("hostile-orphan");
    let status_of = |id: &str| {
        runs.iter()
            .find(|r| r["id"] == id)
            .map(|r| r["status"].as_str().unwrap().to_string())
    };
    assert_eq!(status_of(&dead).as_deref(), Some("unknown"));
    assert_eq!(runs[0]["status"], "succeeded", "{runs:?}");
}

/// Hole 9: a `--cnab-file` bundle.json whose parameter has no
/// `destination` breaks CNAB 1.2 and is refused before anything runs,
/// naming the file and the violation; the same bundle intact runs.
#[test]
fn a_bundle_json_that_breaks_the_cnab_schema_is_refused() {
    let work = bundle("hostile-schema", NAPS, &[]);
    let wharf = wharf_with_hostile(work.path());
    wharf.run(&["build"]).ok();
    let built = work.path().join(".cnab/bundle.json");
    let mut bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&built).unwrap()).unwrap();
    bundle["parameters"]["nap"]
        .as_object_mut()
        .expect("the nap parameter")
        .remove("destination");
    let bad = work.path().join("bad-bundle.json");
    std::fs::write(&bad, serde_json::to_vec(&bundle).unwrap()).unwrap();

    let ran = wharf
        .run(&["install", "--cnab-file", bad.to_str().unwrap()])
        .failed();
    assert_has(
        &ran,
        &[
            "bad-bundle.json",
            "CNAB 1.2",
            "/parameters/nap: \"destination\" is a required property",
        ],
    );
    let list = wharf
        .run(&["installations", "list", "-o", "json"])
        .ok()
        .json();
    assert_eq!(list, serde_json::json!([]), "nothing was recorded");

    wharf
        .run(&["install", "--cnab-file", built.to_str().unwrap()])
        .ok();
}

const FILE_REQUESTS: &str = r#"outputs:
  - name: readback
    type: string
    applyTo: [install]
install:
  - hostile-files:
      description: ask for the file the step names
      destinationFile: /home/nonroot/.config/granted
      request:
        - path: /home/nonroot/.config/granted
          text: written-for-the-mixin
  - exec:
      description: read it back
      command: cat
      arguments: [/home/nonroot/.config/granted]
      outputs:
        - name: readback
          regex: "(.+)"
unnamed:
  - hostile-files:
      description: ask for a file the step does not name
      destinationFile: /home/nonroot/.config/granted
      request:
        - path: /home/nonroot/.pro
          suffix: file
          text: "export LD_PRELOAD=/tmp/evil.so"
into-cnab:
  - hostile-files:
      description: ask for the bundle's own file, named by the step
      destinationFile: /cnab/app/porter.yaml
      request:
        - path: /cnab/app/porter.yaml
          text: "hijacked"
setuid:
  - hostile-files:
      description: ask for a setuid file
      destinationFile: /home/nonroot/tool
      request:
        - path: /home/nonroot/tool
          text: "a tool"
          mode: 2541
"#;

/// A 0.2.0 mixin's step result may ask the runtime to write files outside
/// the bundle directory. The runtime writes one only where the step names
/// it: the honest request lands and the next step reads it; a path the
/// step does not name, a path in `/cnab` (even when named) and a setuid
/// mode each fail the step, naming the path, and the run is recorded as
/// failed.
#[test]
fn a_mixin_has_files_written_only_where_the_step_names_them() {
    let work = bundle(
        "hostile-requests",
        &format!("{FILE_REQUESTS}{NOOP_UPGRADE_UNINSTALL}"),
        &[],
    );
    let wharf = wharf_with_hostile(work.path());
    wharf.run(&["build"]).ok();
    let install = wharf.run(&["install"]).ok();
    assert_has(
        &install,
        &["the runtime wrote /home/nonroot/.config/granted (21 bytes) for the hostile-files mixin"],
    );
    assert_eq!(
        wharf.output_text("hostile-requests", "readback"),
        "written-for-the-mixin"
    );
    for (action, said) in [
        (
            "unnamed",
            "asked the runtime to write /home/nonroot/.profile, which the step does not name",
        ),
        (
            "into-cnab",
            "/cnab/app/porter.yaml, which is not an absolute path or leads into /cnab",
        ),
        (
            "setuid",
            "asked for /home/nonroot/tool with mode 4755; only permission bits",
        ),
    ] {
        let ran = wharf.run(&["invoke", "--action", action]).failed();
        assert_has(&ran, &[said]);
        assert!(!ran.stdout.contains("the runtime wrote"), "{}", ran.stdout);
    }
    let runs = wharf.runs("hostile-requests");
    let failed = runs.iter().filter(|r| r["status"] == "failed").count();
    assert_eq!(failed, 3, "{runs:?}");
}
