//! The Docker driver against a real dockerd: files copied in, env set, logs
//! streamed, outputs copied out on success and on failure, and the
//! container removed either way.

use std::process::Command;

use wharf::drivers::{Invocation, docker};
use wharf::mixin::Stream;
use wharf_test_support::docker::{BUSYBOX_IMAGE, ensure_docker};
use wharf_test_support::scratch_dir;

const IMAGE: &str = "wharf.test/driver-probe:latest";

/// A tiny invocation image: prints a parameter and a copied-in file, writes
/// an output, and exits with the code it is given.
fn build_probe_image() {
    let env = ensure_docker();
    let dir = scratch_dir();
    std::fs::write(
        dir.path().join("run.sh"),
        "echo \"param=$GREETING\"\ncat /cnab/app/cfg.json\necho \"to stderr\" >&2\nprintf 'made by %s' \"$CNAB_ACTION\" > /cnab/app/outputs/greeting\nexit \"$EXIT_CODE\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM {BUSYBOX_IMAGE}\nRUN mkdir -p /cnab/app/outputs && chown -R 65532:0 /cnab/app\nCOPY run.sh /run.sh\nUSER 65532:0\nCMD [\"/bin/sh\", \"/run.sh\"]\n"),
    )
    .unwrap();
    let out = env
        .docker()
        .args(["build", "-q", "-t", IMAGE])
        .arg(dir.path())
        .env("DOCKER_BUILDKIT", "0")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn containers_of_probe() -> usize {
    let out = Command::new("docker")
        .args(["ps", "-aq", "--filter", &format!("ancestor={IMAGE}")])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).lines().count()
}

async fn run(exit_code: &str) -> (wharf::drivers::Completed, String, String) {
    let client = wharf::build::image::connect().await.unwrap();
    let invocation = Invocation {
        image: IMAGE.into(),
        env: vec![
            ("CNAB_ACTION".into(), "install".into()),
            ("GREETING".into(), "hello".into()),
            ("EXIT_CODE".into(), exit_code.into()),
        ],
        files: vec![("/cnab/app/cfg.json".into(), b"{\"a\":1}\n".to_vec())],
        ..Invocation::default()
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let completed = docker::run(&client, &invocation, &mut |stream, bytes| match stream {
        Stream::Stdout => out.extend_from_slice(bytes),
        Stream::Stderr => err.extend_from_slice(bytes),
    })
    .await
    .unwrap();
    (
        completed,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_gets_its_files_and_env_and_gives_back_outputs_and_logs() {
    build_probe_image();
    let before = containers_of_probe();

    let (ok, stdout, stderr) = run("0").await;
    assert_eq!(ok.exit_code, 0);
    assert_eq!(stdout, "param=hello\n{\"a\":1}\n");
    assert_eq!(stderr, "to stderr\n");
    assert_eq!(
        ok.outputs.get("greeting").map(Vec::as_slice),
        Some(&b"made by install"[..])
    );

    let (failed, _, _) = run("3").await;
    assert_eq!(failed.exit_code, 3);
    assert_eq!(
        failed.outputs.get("greeting").map(Vec::as_slice),
        Some(&b"made by install"[..]),
        "outputs are kept on failure"
    );

    assert_eq!(containers_of_probe(), before, "every container was removed");
}
