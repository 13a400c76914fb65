//! The state bag: what an install keeps is what the next upgrade sees.

use crate::runtime_common::{BundleJson, Staged, archive_files};
use wharf_test_support::scratch_dir;

const STATE_MANIFEST: &str = r#"schemaVersion: 1.0.1
name: rt
version: 0.2.0
mixins:
  - exec
state:
  - name: tfstate
    path: terraform/terraform.tfstate
  - name: vars
    path: terraform/vars
  - name: absent
    path: not-made.txt
install:
  - exec:
      description: Make state
      command: sh
      arguments: [-c]
      suffix-arguments:
        - "mkdir -p terraform/vars && echo serial-1 > terraform/terraform.tfstate && echo x=1 > terraform/vars/a.tfvars"
upgrade:
  - exec:
      description: Read state
      command: sh
      arguments: [-c]
      suffix-arguments:
        - "echo \"saw $(cat terraform/terraform.tfstate) $(cat terraform/vars/a.tfvars)\"; echo serial-2 > terraform/terraform.tfstate"
"#;

#[tokio::test(flavor = "multi_thread")]
async fn the_state_bag_round_trips_from_install_to_upgrade() {
    let install = Staged::new(&BundleJson::new(), STATE_MANIFEST);
    let ran = install.run("install", &[]).await;
    let summary = ran.ok();
    assert_eq!(
        summary.state.as_deref(),
        Some(
            &[
                "terraform/terraform.tfstate".to_string(),
                "terraform/vars".to_string()
            ][..]
        )
    );
    let tgz = install.layout.outputs_dir().join("wharf-state");
    assert_eq!(
        archive_files(&tgz),
        ["terraform/terraform.tfstate", "terraform/vars/a.tfvars"]
    );

    // A fresh container for the upgrade, given the state as its parameter.
    let upgrade = Staged::new(&BundleJson::new(), STATE_MANIFEST);
    let state_param = upgrade.layout.host_path("/cnab/state/wharf-state.tgz");
    std::fs::create_dir_all(state_param.parent().unwrap()).unwrap();
    std::fs::copy(&tgz, &state_param).unwrap();
    let ran = upgrade.run("upgrade", &[]).await;
    ran.ok();
    assert!(
        ran.stdout().contains("saw serial-1 x=1\n"),
        "{}",
        ran.stdout()
    );
    let again = upgrade.layout.outputs_dir().join("wharf-state");
    let unpacked = scratch_dir();
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(
        std::fs::File::open(&again).unwrap(),
    ));
    archive.unpack(unpacked.path()).unwrap();
    assert_eq!(
        std::fs::read_to_string(unpacked.path().join("terraform/terraform.tfstate")).unwrap(),
        "serial-2\n"
    );
}
