//! `wharf build` through dockerd's BuildKit: Porter's own `porter create`
//! template, `COPY --link` and a secret mount build with `--secret`; the
//! secret's bytes are in no image layer, no log and no record; progress
//! streams as BuildKit's plain progress; and `DOCKER_BUILDKIT=0` builds
//! with the classic builder, which drops what only changes caching and
//! refuses a secret mount at its line.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;
use wharf_test_support::docker::{BUSYBOX_IMAGE, DEBIAN_IMAGE, DockerEnv, ensure_docker};
use wharf_test_support::scratch_dir;

use crate::build::{exec_only_manifest, text, wharf, wharf_with_env};

/// Porter v1's `porter create` template (getporter/porter, 9b11297), on
/// the test's Debian image: a frontend pin, apt cache mounts and a linked
/// copy, with a secret-reading step added where mixin lines go.
pub(crate) fn porter_create_template(base: &str, step: &str) -> String {
    format!(
        "# syntax=docker/dockerfile-upstream:1.4.0
# This is a template Dockerfile for the bundle's invocation image
FROM --platform=linux/amd64 {base}

# PORTER_INIT

RUN rm -f /etc/apt/apt.conf.d/docker-clean; echo 'Binary::apt::APT::Keep-Downloaded-Packages \"true\";' > /etc/apt/apt.conf.d/keep-cache
RUN --mount=type=cache,target=/var/cache/apt --mount=type=cache,target=/var/lib/apt \\
    apt-get update && apt-get install -y ca-certificates

{step}

# PORTER_MIXINS

# Use the BUNDLE_DIR build argument to copy files into the bundle's working directory
COPY --link . ${{BUNDLE_DIR}}
"
    )
}

/// A step that proves the secret was mounted (its length and digest go
/// into the image) without writing the secret itself. BuildKit's cache key
/// leaves secrets out, so the step names `run` to be run afresh.
fn secret_step(run: &str) -> String {
    format!(
        "RUN --mount=type=secret,id=token echo {run} > /run-id && \
         wc -c < /run/secrets/token > /token-length && sha256sum < /run/secrets/token > /token-digest"
    )
}

/// Differs from run to run, and from any secret.
fn run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("run-{}-{nanos}", std::process::id())
}

fn write_bundle(dir: &Path, name: &str, template: &str) {
    let manifest =
        exec_only_manifest(name).replace("mixins:\n", "dockerfile: template.Dockerfile\nmixins:\n");
    std::fs::write(dir.join("porter.yaml"), manifest).unwrap();
    std::fs::write(dir.join("template.Dockerfile"), template).unwrap();
}

/// Every file under `root` whose bytes contain `needle`.
fn files_containing(root: &Path, needle: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file()
                && std::fs::read(&path)
                    .unwrap()
                    .windows(needle.len())
                    .any(|w| w == needle)
            {
                found.push(path.display().to_string());
            }
        }
    }
    found
}

/// That `out` is a failure whose stderr says `words`.
fn assert_fails_saying(out: &Output, words: &str) {
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "succeeded:\n{stderr}");
    assert!(stderr.contains(words), "{stderr}");
}

/// The contents of `file` in `image`.
fn cat_in_image(env: &DockerEnv, image: &str, file: &str) -> String {
    let out = env
        .docker()
        .args(["run", "--rm", "--entrypoint", "cat", image, file])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cat {file} in {image}: {}",
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn built_image(dir: &Path) -> String {
    let bundle: Value =
        serde_json::from_slice(&std::fs::read(dir.join(".cnab/bundle.json")).unwrap()).unwrap();
    bundle["invocationImages"][0]["image"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn porter_create_template_builds_with_a_secret_that_lands_nowhere() {
    let env = ensure_docker();
    let home = scratch_dir();
    let dir = scratch_dir();
    let secrets = scratch_dir();
    // Made at run time, so no file of the test's own holds it.
    let secret = format!(
        "wharf-secret-{}",
        run_id().replace("run-", "").replace('-', "x")
    );
    let secret_file = secrets.path().join("token.txt");
    std::fs::write(&secret_file, &secret).unwrap();
    write_bundle(
        dir.path(),
        "buildkit-secret",
        &porter_create_template(DEBIAN_IMAGE, &secret_step(&run_id())),
    );
    let run = |args: &[&str]| wharf(home.path(), dir.path(), &env.docker_host(), args);

    let lint = run(&["lint", "-o", "json"]);
    assert!(lint.status.success(), "{}", text(&lint.stdout));
    let findings: Vec<Value> = serde_json::from_slice(&lint.stdout).unwrap();
    let noted: Vec<(u64, &str)> = findings
        .iter()
        .map(|f| {
            (
                f["location"]["line"].as_u64().unwrap(),
                f["code"].as_str().unwrap(),
            )
        })
        .collect();
    // The frontend pin and `--link`, which dockerd's built-in frontend does
    // not read; the mounts are BuildKit's own.
    assert_eq!(noted, [(1, "dockerfile-syntax"), (16, "dockerfile-syntax")]);

    let src = format!("id=token,src={}", secret_file.display());
    let built = run(&["build", "--secret", &src]);
    let log = format!("{}{}", text(&built.stdout), text(&built.stderr));
    assert!(built.status.success(), "{log}");
    assert!(
        log.contains("dockerd's BuildKit builds this image"),
        "{log}"
    );
    assert!(
        !log.contains(&secret),
        "the secret is in the build's output:\n{log}"
    );

    let image = built_image(dir.path());
    let cat = |file: &str| cat_in_image(&env, &image, file);
    assert_eq!(cat("/token-length").trim(), secret.len().to_string());
    let digest = Command::new("sha256sum")
        .arg(&secret_file)
        .output()
        .unwrap();
    let digest = text(&digest.stdout);
    assert_eq!(
        cat("/token-digest").split_whitespace().next(),
        digest.split_whitespace().next()
    );
    // ca-certificates came from the apt step under its cache mounts.
    assert!(cat("/etc/ssl/certs/ca-certificates.crt").contains("BEGIN CERTIFICATE"));

    // No layer: `docker save` writes every layer uncompressed.
    let saved = scratch_dir();
    let tar = saved.path().join("image.tar");
    let save = env
        .docker()
        .args(["save", "-o", tar.to_str().unwrap(), &image])
        .output()
        .unwrap();
    assert!(save.status.success(), "{}", text(&save.stderr));
    assert!(std::fs::metadata(&tar).unwrap().len() > 1_000_000);
    assert_eq!(
        files_containing(saved.path(), secret.as_bytes()),
        Vec::<String>::new()
    );
    // No record or staged file: not in Wharf's home, not in the bundle
    // directory, not in the image's history.
    assert_eq!(
        files_containing(home.path(), secret.as_bytes()),
        Vec::<String>::new()
    );
    assert_eq!(
        files_containing(dir.path(), secret.as_bytes()),
        Vec::<String>::new()
    );
    let history = env
        .docker()
        .args(["history", "--no-trunc", &image])
        .output()
        .unwrap();
    assert!(!text(&history.stdout).contains(&secret));

    // A missing secret file is named before Docker is asked anything.
    let missing = run(&[
        "build",
        "--no-cache",
        "--secret",
        "id=token,src=/nonexistent/t",
    ]);
    assert_fails_saying(&missing, "--secret id=token: cannot read /nonexistent/t");
}

/// Without secrets, BuildKit's progress streams as `--progress=plain`
/// prints it, step by step, with each step's output.
#[test]
fn buildkit_progress_streams_step_by_step() {
    let env = ensure_docker();
    let home = scratch_dir();
    let dir = scratch_dir();
    // A step of its own, which no earlier build has cached.
    let template = format!(
        "FROM {BUSYBOX_IMAGE}\n# PORTER_INIT\nRUN echo {} progress-$((6 * 7))\n# PORTER_MIXINS\n\
         COPY --chmod=755 . ${{BUNDLE_DIR}}\n",
        run_id()
    );
    write_bundle(dir.path(), "buildkit-progress", &template);
    let built = wharf(home.path(), dir.path(), &env.docker_host(), &["build"]);
    let log = text(&built.stderr);
    assert!(built.status.success(), "{log}");
    let step = log
        .lines()
        .find(|l| l.contains("] RUN echo run-"))
        .unwrap_or_else(|| panic!("no step line:\n{log}"));
    let number = step.split_whitespace().next().unwrap();
    assert!(number.starts_with('#'), "{step}");
    assert!(
        log.lines()
            .any(|l| l.starts_with(&format!("{number} run-")) && l.ends_with(" progress-42")),
        "{log}"
    );
    assert!(log.contains(&format!("{number} DONE")), "{log}");
}

/// `--ssh default` forwards the agent at `$SSH_AUTH_SOCK` to a `RUN
/// --mount=type=ssh` step; without it BuildKit refuses the step, and
/// without an agent the flag says what to start.
#[test]
fn ssh_default_forwards_the_agent_to_an_ssh_mount() {
    let env = ensure_docker();
    let home = scratch_dir();
    let dir = scratch_dir();
    let agent_dir = scratch_dir();
    let socket = agent_dir.path().join("agent.sock");
    let mut agent = Command::new("ssh-agent")
        .arg("-D")
        .arg("-a")
        .arg(&socket)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("ssh-agent runs (scripts/setup-machine installs openssh-client)");
    for _ in 0..100 {
        if socket.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(socket.exists(), "ssh-agent made no socket");
    let template = format!(
        "FROM {BUSYBOX_IMAGE}\n# PORTER_INIT\nRUN --mount=type=ssh sh -c 'echo {}; test -S \"$SSH_AUTH_SOCK\" && echo forwarded > /agent'\n# PORTER_MIXINS\n",
        run_id()
    );
    write_bundle(dir.path(), "buildkit-ssh", &template);
    let build = |agent: Option<&Path>, args: &[&str]| -> Output {
        let vars = [("SSH_AUTH_SOCK", agent.map(Path::as_os_str))];
        wharf_with_env(home.path(), dir.path(), &env.docker_host(), &vars, args)
    };

    let no_agent = build(None, &["build", "--ssh", "default"]);
    assert_fails_saying(&no_agent, "$SSH_AUTH_SOCK, which is not set");
    let other = build(Some(&socket), &["build", "--ssh", "github=/tmp/key"]);
    assert_fails_saying(&other, "forwards only the ssh agent");

    let built = build(Some(&socket), &["build", "--ssh", "default"]);
    let _ = agent.kill();
    let _ = agent.wait();
    assert!(built.status.success(), "{}", text(&built.stderr));
    assert!(
        text(&built.stderr).contains("the ssh agent"),
        "{}",
        text(&built.stderr)
    );
    assert_eq!(
        cat_in_image(&env, &built_image(dir.path()), "/agent"),
        "forwarded\n"
    );

    // Without --ssh, BuildKit has no agent to mount and the step fails.
    let without = build(Some(&socket), &["build", "--no-cache"]);
    assert_fails_saying(&without, "BuildKit could not build the invocation image");
}

/// `DOCKER_BUILDKIT=0`, as with the docker CLI, asks for the classic
/// builder: what only changes caching or the frontend is left out with a
/// note and the image builds; a secret mount cannot be left out, so lint
/// and build refuse it at its line.
#[test]
fn docker_buildkit_zero_builds_with_the_classic_builder() {
    let env = ensure_docker();
    let home = scratch_dir();
    let dir = scratch_dir();
    let template = |run: &str| {
        format!(
            "# syntax=docker/dockerfile-upstream:1.4.0\nFROM {BUSYBOX_IMAGE}\n# PORTER_INIT\n\
             {run}\n# PORTER_MIXINS\nCOPY --link --chown=65532:0 . ${{BUNDLE_DIR}}\n"
        )
    };
    let classic = |args: &[&str]| -> Output {
        let vars = [("DOCKER_BUILDKIT", Some("0".as_ref()))];
        wharf_with_env(home.path(), dir.path(), &env.docker_host(), &vars, args)
    };

    write_bundle(
        dir.path(),
        "classic-builder",
        &template("RUN --mount=type=cache,target=/var/cache/x \\\n    echo cached > /tmp/ran"),
    );
    let lint = classic(&["lint", "-o", "json"]);
    assert!(lint.status.success(), "{}", text(&lint.stdout));
    let findings: Vec<Value> = serde_json::from_slice(&lint.stdout).unwrap();
    let lines: Vec<u64> = findings
        .iter()
        .map(|f| f["location"]["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [1, 4, 7]);
    let built = classic(&["build"]);
    assert!(built.status.success(), "{}", text(&built.stderr));
    assert!(text(&built.stderr).contains("Docker's classic builder builds this image"));
    assert_eq!(
        cat_in_image(&env, &built_image(dir.path()), "/tmp/ran"),
        "cached\n"
    );

    write_bundle(
        dir.path(),
        "classic-builder",
        &template("RUN --mount=type=secret,id=token cat /run/secrets/token"),
    );
    let lint = classic(&["lint"]);
    assert!(!lint.status.success());
    assert!(
        text(&lint.stdout).contains("template.Dockerfile:4:1: error dockerfile-syntax"),
        "{}",
        text(&lint.stdout)
    );
    let refused = classic(&["build", "--no-lint"]);
    assert_fails_saying(
        &refused,
        "template.Dockerfile:4: `RUN --mount=type=secret,id=token` needs a BuildKit secret mount",
    );
}
