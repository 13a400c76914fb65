//! The Docker test environment works: a daemon answers and the busybox base
//! image runs.

use wharf_test_support::docker::{BUSYBOX_IMAGE, ensure_docker};

#[test]
fn busybox_container_runs() {
    let env = ensure_docker();
    let out = env
        .docker()
        .args(["run", "--rm", BUSYBOX_IMAGE, "echo", "hi"])
        .output()
        .expect("cannot run the docker CLI");
    assert!(
        out.status.success(),
        "docker run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hi\n");
}
