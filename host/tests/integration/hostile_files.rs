//! Issue 11, hole 5, played through the real host with the hostile
//! `hostile-files` component (tests/mixins/hostile-files): the bundle
//! directory is read-only to a mixin but for the directories granted to it,
//! whatever path it takes, and a granted directory that is a link is
//! refused before the mixin runs. The end-to-end test in
//! `tests/e2e/hostile_files.rs` plays the same attack in a container.

use std::path::Path;
use std::time::Duration;

use serde_json::json;
use wharf::mixin::{ExecuteGrant, LoadedMixin};
use wharf_test_support::{guest_wasm, scratch_dir};

async fn hostile() -> LoadedMixin {
    let (host, _sink) = crate::mixin_host::tight_host(None, Duration::from_secs(5));
    host.load_file(&guest_wasm("hostile-files"))
        .await
        .expect("hostile-files loads")
}

fn grant(bundle: &Path, writable: &[&str]) -> ExecuteGrant {
    ExecuteGrant {
        bundle_dir: Some(bundle.to_path_buf()),
        writable: writable.iter().map(|d| bundle.join(d)).collect(),
        env: vec![],
        guest_env: Vec::new(),
    }
}

async fn write(mixin: &LoadedMixin, bundle: &Path, path: &str) -> Result<(), String> {
    let step = json!({"write": {"path": path, "text": "hijacked"}});
    mixin
        .execute("install", &step, None, &grant(bundle, &["work", "outputs"]))
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn only_the_granted_directories_are_writable() {
    let mixin = hostile().await;
    let dir = scratch_dir();
    let bundle = dir.path();
    for sub in ["work", "outputs", "other"] {
        std::fs::create_dir(bundle.join(sub)).unwrap();
    }
    std::fs::write(bundle.join("helper.sh"), "original").unwrap();
    let root = bundle.display();
    for attack in [
        "helper.sh".to_string(),
        format!("{root}/helper.sh"),
        "work/../helper.sh".into(),
        format!("{root}/work/../other/x"),
        "other/new".into(),
        "new.sh".into(),
    ] {
        let err = write(&mixin, bundle, &attack)
            .await
            .expect_err(&format!("writing {attack} must fail"));
        assert!(err.contains(&format!("cannot write {attack}")), "{err}");
    }
    assert_eq!(
        std::fs::read_to_string(bundle.join("helper.sh")).unwrap(),
        "original"
    );
    assert!(!bundle.join("other/x").exists() && !bundle.join("new.sh").exists());

    for allowed in ["work/a", "outputs/b", &format!("{root}/work/c")] {
        write(&mixin, bundle, allowed)
            .await
            .unwrap_or_else(|e| panic!("writing {allowed}: {e}"));
    }
    assert_eq!(
        std::fs::read_to_string(bundle.join("work/c")).unwrap(),
        "hijacked"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_granted_directory_that_is_a_link_is_refused() {
    let mixin = hostile().await;
    let dir = scratch_dir();
    let bundle = dir.path();
    let elsewhere = scratch_dir();
    std::os::unix::fs::symlink(elsewhere.path(), bundle.join("work")).unwrap();
    std::fs::create_dir(bundle.join("outputs")).unwrap();
    let err = write(&mixin, bundle, "work/x").await.unwrap_err();
    assert!(
        err.contains("work is a symbolic link") && err.contains("must be a real directory"),
        "{err}"
    );
    assert!(
        std::fs::read_dir(elsewhere.path())
            .unwrap()
            .next()
            .is_none()
    );

    // Once it is a real directory, the same call works.
    std::fs::remove_file(bundle.join("work")).unwrap();
    std::fs::create_dir(bundle.join("work")).unwrap();
    write(&mixin, bundle, "work/x").await.unwrap();
}
