//! Issue 11, hole 7 (memory), played through the real host with the
//! hand-written `hostile-memory` component (tests/mixins/hostile-memory):
//! many memories and a table, each under the cap on its own, must not add
//! up past it. The host runs with its shipped limits (1 GiB for `execute`),
//! so the attack is the one a registry mixin would play.

use std::sync::Arc;

use serde_json::json;
use wharf::mixin::{
    ExecuteGrant, HostConfig, Limits, LoadedMixin, MemorySink, MixinError, MixinHost, StepResult,
    TrapReason,
};
use wharf_test_support::scratch_dir;
use wharf_test_support::wat_guest::wat_guest;

const MIB: u64 = 1024 * 1024;

async fn hostile() -> LoadedMixin {
    let host = MixinHost::new(HostConfig {
        sink: Arc::new(MemorySink::default()),
        ..HostConfig::default()
    })
    .expect("host starts");
    host.load_file(&wat_guest("hostile-memory"))
        .await
        .expect("hostile-memory loads")
}

#[tokio::test(flavor = "multi_thread")]
async fn memories_and_tables_count_together_against_the_memory_cap() {
    let mixin = hostile().await;
    let bundle = scratch_dir();
    let grant = ExecuteGrant {
        bundle_dir: Some(bundle.path().to_path_buf()),
        ..ExecuteGrant::default()
    };
    let cap = Limits::default().execute.memory_bytes;
    assert_eq!(cap, 1024 * MIB, "the attack is sized for a 1 GiB cap");

    // Eight memories of 250 MiB: each fits, the fifth one does not.
    // A table on top of four memories: neither alone is over the cap.
    for (attack, over) in [("memories", 1250 * MIB), ("tables", 1000 * MIB + 32 * MIB)] {
        let err = mixin
            .execute("install", &json!({ attack: true }), None, &grant)
            .await
            .expect_err(attack);
        let MixinError::Trapped {
            reason: TrapReason::MemoryLimit { limit, requested },
            ..
        } = &err
        else {
            panic!("{attack}: not the memory limit: {err}");
        };
        assert_eq!(*limit, cap, "{attack}");
        // Memory 0's first page counts too.
        assert!(
            *requested > cap && *requested <= over + MIB,
            "{attack}: {requested}"
        );
        let shown = err.to_string();
        assert!(
            shown.contains("hostile-memory")
                && shown.contains("over its limit of 1073741824 bytes"),
            "{attack}: {shown}"
        );
    }

    // The next call, in a fresh instance, works.
    let outputs = mixin
        .execute("install", &json!({}), None, &grant)
        .await
        .expect("a well-behaved step runs after the attacks");
    assert_eq!(outputs, StepResult::default());
}
