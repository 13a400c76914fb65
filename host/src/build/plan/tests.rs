//! The plan without Docker: inputs, the up-to-date decision, and what a
//! plan will build.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::*;
use crate::build::dockerfile::default_template;
use crate::build::frontend::Builder;
use crate::build::inputs::{bundle_files, custom_overrides};
use crate::manifest;

const MANIFEST: &str = "schemaVersion: 1.0.1\nname: app\nversion: 0.1.0\nregistry: localhost:5000/team\nmixins: [exec]\n\
                        custom:\n  app:\n    version: 1.2.3\n    debug: true\n  region: eu\n\
                        install:\n  - exec:\n      description: x\n      command: echo\n";

fn manifest() -> Manifest {
    manifest::parse(MANIFEST, Path::new("porter.yaml"))
        .unwrap()
        .0
}

/// Inputs for a bundle in `dir` holding `porter.yaml` and `helpers.sh`,
/// with no mixins (their digests are covered by the e2e build tests).
fn inputs(dir: &Path) -> BuildInputs {
    std::fs::write(dir.join("porter.yaml"), MANIFEST).unwrap();
    if !dir.join("helpers.sh").exists() {
        std::fs::write(dir.join("helpers.sh"), "echo hi\n").unwrap();
    }
    BuildInputs {
        manifest_path: dir.join("porter.yaml"),
        bundle_dir: dir.to_path_buf(),
        manifest_text: MANIFEST.into(),
        manifest: manifest(),
        template: default_template("wharf.test/busybox"),
        runtime: b"\x7fELF runtime".to_vec(),
        runtime_digest: std::sync::OnceLock::new(),
        mixins: Vec::new(),
        build_args: Vec::new(),
        builder: Builder::BuildKit,
        secret_ids: Vec::new(),
        ssh: false,
        custom_overrides: Map::new(),
        files: bundle_files(dir).unwrap(),
    }
}

fn stamp(inputs: Digest) -> BuildStamp {
    BuildStamp {
        inputs,
        image: "localhost:5000/team/app:wharf-0123456789abcdef".into(),
        image_id: "sha256:1d".into(),
    }
}

#[test]
fn an_unchanged_build_with_its_bundle_json_is_up_to_date() {
    let digest = Digest::of(b"inputs");
    assert_eq!(
        Freshness::decide(&digest, Some(stamp(digest)), true, false),
        Freshness::UpToDate(stamp(digest))
    );
}

#[test]
fn anything_else_is_stale_and_says_why() {
    let digest = Digest::of(b"inputs");
    let other = Digest::of(b"other inputs");
    let cases = [
        (Some(stamp(digest)), true, true, "--no-cache"),
        (None, true, false, "no earlier build"),
        (Some(stamp(other)), true, false, "an input changed"),
        (Some(stamp(digest)), false, false, "bundle.json is gone"),
    ];
    for (previous, bundle_json_exists, no_cache, why) in cases {
        match Freshness::decide(&digest, previous, bundle_json_exists, no_cache) {
            Freshness::Stale(reason) => assert!(reason.contains(why), "{reason} / {why}"),
            up_to_date => panic!("expected a stale build ({why}), got {up_to_date:?}"),
        }
    }
}

#[test]
fn the_inputs_digest_follows_every_input_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let base = inputs(dir.path()).digest().unwrap();
    assert_eq!(inputs(dir.path()).digest().unwrap(), base, "stable");

    // What Wharf writes itself does not count.
    std::fs::create_dir_all(dir.path().join(".cnab/app")).unwrap();
    std::fs::write(dir.path().join(".cnab/stamp.json"), "{}").unwrap();
    assert_eq!(inputs(dir.path()).digest().unwrap(), base, ".cnab/ is ours");

    let changed = |edit: &dyn Fn(&mut BuildInputs)| {
        let mut i = inputs(dir.path());
        edit(&mut i);
        i.digest().unwrap()
    };
    assert_ne!(changed(&|i| i.template.push_str("RUN true\n")), base);
    assert_ne!(changed(&|i| i.runtime.push(0)), base);
    assert_ne!(
        changed(&|i| i.build_args.push(("A".into(), "1".into()))),
        base
    );
    assert_ne!(
        changed(&|i| {
            i.custom_overrides.insert("region".into(), "us".into());
        }),
        base
    );
    assert_ne!(changed(&|i| i.builder = Builder::Classic), base);
    assert_ne!(changed(&|i| i.secret_ids.push("token".into())), base);
    assert_ne!(changed(&|i| i.ssh = true), base);

    let helpers = dir.path().join("helpers.sh");
    std::fs::write(&helpers, "echo bye\n").unwrap();
    let edited = inputs(dir.path()).digest().unwrap();
    assert_ne!(edited, base, "a file's contents");
    std::fs::set_permissions(&helpers, std::fs::Permissions::from_mode(0o755)).unwrap();
    let chmodded = inputs(dir.path()).digest().unwrap();
    assert_ne!(chmodded, edited, "a file's mode");
    std::fs::write(dir.path().join("new.txt"), "").unwrap();
    assert_ne!(inputs(dir.path()).digest().unwrap(), chmodded, "a new file");
}

#[test]
fn a_plan_names_its_image_by_the_inputs_and_renders_the_mixin_lines() {
    let dir = tempfile::tempdir().unwrap();
    let mut inputs = inputs(dir.path());
    inputs.build_args = vec![
        ("CUSTOM_REGION".into(), "ap".into()),
        ("X".into(), "1".into()),
    ];
    let digest = inputs.digest().unwrap();
    let lines = vec![MixinLines {
        name: "exec".into(),
        lines: vec!["RUN echo from-the-mixin".into()],
    }];
    let plan = BuildPlan::new(&inputs, digest, lines);

    assert_eq!(
        plan.image,
        format!("localhost:5000/team/app:wharf-{}", &digest.hex()[..16])
    );
    assert_eq!(plan.inputs, digest);
    let dockerfile = plan.dockerfile(&inputs, "wharf.local/wharf-tooling:0123");
    assert!(dockerfile.starts_with("FROM wharf.test/busybox"));
    assert!(dockerfile.contains("RUN echo from-the-mixin"));
    assert!(dockerfile.contains("COPY --from=wharf.local/wharf-tooling:0123 /wharf /cnab/wharf"));
    assert!(dockerfile.contains("CMD [\"/cnab/app/run\"]"));
    assert_eq!(plan.build_args["X"], "1");
    assert_eq!(plan.build_args["CUSTOM_REGION"], "ap", "--build-arg wins");
    assert_eq!(plan.build_args["CUSTOM_APP_VERSION"], "1.2.3");
    assert_eq!(plan.stamp.manifest_digest, Digest::of(MANIFEST.as_bytes()));
    assert!(plan.mixins.is_empty());

    let bundle = plan.bundle(&inputs, "sha256:abc");
    let image = &bundle.invocation_images[0];
    assert_eq!(image.image, plan.image);
    assert_eq!(image.content_digest, "sha256:abc");
    assert_eq!(bundle.name, "app");
}

#[test]
fn custom_values_become_build_args_and_overrides_win() {
    let m = manifest();
    let overrides = custom_overrides(&m, &[("app.version".into(), "2.0.0".into())]).unwrap();
    assert_eq!(overrides["app"]["version"], "2.0.0");
    assert_eq!(
        overrides["app"]["debug"], true,
        "the rest of an overridden object stays"
    );
    assert!(
        !overrides.contains_key("region"),
        "only overridden keys are overrides"
    );
    let mut args = custom_build_args(&m, &overrides);
    args.sort();
    assert_eq!(
        args,
        [
            ("CUSTOM_APP_DEBUG".to_string(), "true".to_string()),
            ("CUSTOM_APP_VERSION".to_string(), "2.0.0".to_string()),
            ("CUSTOM_REGION".to_string(), "eu".to_string()),
        ]
    );
    assert!(custom_overrides(&m, &[("app..x".into(), "1".into())]).is_err());
}

#[test]
fn the_image_repository_comes_from_the_registry_and_name() {
    assert_eq!(repository(&manifest()), "localhost:5000/team/app");
}
