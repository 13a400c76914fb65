//! `wharf lint` and `wharf explain` over the 40 porter.yaml files from the
//! wild (`porter-manifests-wild`), with Wharf's shipped mixins installed.
//! Each verdict is the `Porter:` line of that corpus's SOURCE.txt: accepted
//! (lint has no error, explain works), accepted once a mixin Wharf does not
//! ship is installed (the only errors are those mixins, located), or
//! rejected (lint fails with the named codes, explain refuses).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use wharf_test_support::{guest_wasm, scratch_dir};

/// What Porter says of a file.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Verdict {
    /// Lint-clean: no error (warnings and notes allowed).
    Accepted,
    /// Accepted once these mixins, which Wharf does not ship, are installed.
    NeedsMixins(&'static [&'static str]),
    /// Lint fails, with at least these codes among its errors.
    Rejected(&'static [&'static str]),
}

pub(crate) use Verdict::{Accepted, NeedsMixins, Rejected};

/// Every file of the corpus with Porter's verdict (SOURCE.txt). Wharf
/// gives the same on each (the docker mixin's `login` with no fields lints
/// with an info note on the grant it needs).
pub(crate) const VERDICTS: &[(&str, Verdict)] = &[
    (
        "examples__aks-spring-music__porter.yaml",
        NeedsMixins(&["arm"]),
    ),
    (
        "examples__azure-terraform__porter.yaml",
        NeedsMixins(&["arm"]),
    ),
    (
        "examples__azure-wordpress__porter.yaml",
        NeedsMixins(&["arm"]),
    ),
    ("examples__credentials-tutorial__porter.yaml", Accepted),
    ("examples__gke__porter.yaml", Accepted),
    ("examples__helm-multiarch__porter.yaml", Accepted),
    ("examples__kubernetes__porter.yaml", Accepted),
    (
        "examples__otel-jaeger__porter.yaml",
        NeedsMixins(&["docker-compose"]),
    ),
    ("examples__plugins-tutorial__porter.yaml", Accepted),
    (
        "examples__porter-discourse__porter-discourse.yaml",
        NeedsMixins(&["az"]),
    ),
    ("examples__private-assets__porter.yaml", Accepted),
    (
        "examples__mage__examples__testdata__missing-registry__porter.yaml",
        Rejected(&["manifest"]),
    ),
    (
        "porter__tests__integration__testdata__bundles__bundle-with-param-apply-lint-error__porter.yaml",
        Rejected(&["porter-101"]),
    ),
    (
        "porter__tests__integration__testdata__bundles__bundle-with-samenamedeps-lint-error__porter.yaml",
        Rejected(&["porter-102"]),
    ),
    (
        "porter__tests__integration__testdata__bundles__outputs-example__porter.yaml",
        Accepted,
    ),
    (
        "porter__tests__integration__testdata__bundles__bundle-with-custom-action__porter.yaml",
        Accepted,
    ),
    ("porter__tests__testdata__myapp__porter.yaml", Accepted),
    (
        "porter__build__testdata__bundles__wiring-top-dangling__porter.yaml",
        Rejected(&["porter-109"]),
    ),
    // Porter accepts it with its persistent-parameters flag; Wharf always
    // does, and says so (the `experimental` note).
    (
        "porter__tests__integration__testdata__bundles__bundle-with-persistent-params__porter.yaml",
        Accepted,
    ),
    (
        "porter__pkg__runtime__testdata__dep-metadata-substitution.yaml",
        Rejected(&["exec-101"]),
    ),
    (
        "porter__pkg__manifest__testdata__porter-with-bad-type.yaml",
        Rejected(&["manifest"]),
    ),
    (
        "porter__pkg__manifest__testdata__porter-with-badschema.yaml",
        Rejected(&["manifest"]),
    ),
    (
        "docker-mixin__examples__docker-mixin-test__porter.yaml",
        Accepted,
    ),
    (
        "terraform-mixin__examples__azure-aks__porter.yaml",
        Accepted,
    ),
    (
        "terraform-mixin__examples__azure-keyvault__porter.yaml",
        Accepted,
    ),
    (
        "aws-mixin__examples__buckets__porter.yaml",
        NeedsMixins(&["aws"]),
    ),
    (
        "gcloud-mixin__examples__compute__porter.yaml",
        NeedsMixins(&["gcloud"]),
    ),
    (
        "docker-compose-mixin__examples__dockervolume__porter.yaml",
        NeedsMixins(&["docker-compose"]),
    ),
    ("Steve973__porter-example-app-stack__porter.yaml", Accepted),
    ("back-stack__showcase__bundle__porter.yaml", Accepted),
    ("back-stack__bead-gke__porter__porter.yaml", Accepted),
    (
        "thinktecture__basta-2022-cloud-native-deployment__porter__porter.yaml",
        Accepted,
    ),
    ("bdegeeter__porter-test-me__porter.yaml", Accepted),
    (
        "bensincs__porter-template__porter.yaml",
        NeedsMixins(&["az"]),
    ),
    (
        "bdegeeter__bundle-gcp-gke__porter.yaml",
        Rejected(&["manifest"]),
    ),
    (
        "carolynvs__tabbycat-demo__porter.yaml",
        Rejected(&["manifest"]),
    ),
    (
        "Azure__cloud-native-app__porter.yaml",
        Rejected(&["manifest"]),
    ),
    (
        "JamesDawson__PorterAnsibleDemo__porter.yaml",
        Rejected(&["manifest"]),
    ),
    ("asalbers__dep_bundle__porter.yaml", Rejected(&["manifest"])),
    (
        "CloudNativeGBB__aks-precheck__porter.yaml",
        Rejected(&["manifest"]),
    ),
];

/// Files a bundle has beside its porter.yaml that lint reads (the corpus
/// keeps only the manifests).
const BUNDLE_FILES: &[(&str, &str)] = &[
    (
        "terraform-mixin__examples__azure-aks__porter.yaml",
        "terraform/providers.tf",
    ),
    (
        "terraform-mixin__examples__azure-keyvault__porter.yaml",
        "terraform/providers.tf",
    ),
];

/// The mixins Wharf ships beside the built-in exec.
const SHIPPED: &[&str] = &["terraform", "docker", "helm3", "kubernetes"];

pub(crate) fn corpus() -> PathBuf {
    let dir = std::env::var("WHARF_CONFORMANCE_DIR")
        .expect("WHARF_CONFORMANCE_DIR names shared/conformance (scripts/test sets it)");
    PathBuf::from(dir).join("porter-manifests-wild")
}

fn wharf(home: &Path, dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wharf"))
        .args(args)
        .current_dir(dir)
        .env("WHARF_HOME", home)
        .output()
        .expect("wharf runs")
}

#[test]
fn lint_and_explain_give_porters_verdict_on_every_manifest_from_the_wild() {
    let home = scratch_dir();
    for mixin in SHIPPED {
        let wasm = guest_wasm(mixin);
        let out = wharf(
            home.path(),
            home.path(),
            &["mixins", "install", wasm.to_str().unwrap()],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let files: Vec<String> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".yaml"))
        .collect();
    assert_eq!(
        files.len(),
        VERDICTS.len(),
        "every file has a verdict: {files:?}"
    );

    let mut wrong = Vec::new();
    for (file, porter) in VERDICTS {
        let expected = *porter;
        if let Err(why) = check(home.path(), file, expected) {
            wrong.push(format!("{file}: expected {expected:?}: {why}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

/// Runs lint and explain on `file` in a bundle directory of its own.
fn check(home: &Path, file: &str, expected: Verdict) -> Result<(), String> {
    let bundle = scratch_dir();
    // A manifest not named porter.yaml keeps its name and is passed with -f.
    let name = if file.ends_with("__porter.yaml") {
        "porter.yaml"
    } else {
        file
    };
    std::fs::copy(corpus().join(file), bundle.path().join(name)).unwrap();
    for (_, path) in BUNDLE_FILES.iter().filter(|(f, _)| *f == file) {
        let path = bundle.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "# written by the test\n").unwrap();
    }
    let lint = wharf(home, bundle.path(), &["lint", "-f", name, "-o", "json"]);
    let findings: Vec<Value> = serde_json::from_slice(&lint.stdout).map_err(|e| {
        format!(
            "lint printed no JSON ({e}): {}",
            String::from_utf8_lossy(&lint.stderr)
        )
    })?;
    let errors: Vec<&Value> = findings.iter().filter(|f| f["level"] == "error").collect();
    let codes: Vec<&str> = errors.iter().filter_map(|f| f["code"].as_str()).collect();
    let explain = wharf(home, bundle.path(), &["explain", "-f", name, "-o", "json"]);
    let shown = || {
        format!(
            "lint: {findings:#?}\nexplain: {}",
            String::from_utf8_lossy(&explain.stderr)
        )
    };
    match expected {
        Accepted => {
            if !errors.is_empty() || !lint.status.success() || !explain.status.success() {
                return Err(shown());
            }
        }
        NeedsMixins(mixins) => {
            let missing: Vec<&str> = errors
                .iter()
                .filter(|f| f["code"] == "mixin-missing")
                .filter_map(|f| {
                    let message = f["message"].as_str()?;
                    mixins
                        .iter()
                        .copied()
                        .find(|m| message.contains(&format!("the {m} mixin")))
                })
                .collect();
            let located = errors
                .iter()
                .all(|f| f["location"]["line"].as_u64() > Some(0));
            if codes.iter().any(|c| *c != "mixin-missing")
                || missing.len() != mixins.len()
                || !located
                || !explain.status.success()
            {
                return Err(shown());
            }
            let explained: Value = serde_json::from_slice(&explain.stdout).unwrap();
            if explained["missingMixins"] != serde_json::json!(mixins) {
                return Err(format!("explain listed {}", explained["missingMixins"]));
            }
        }
        Rejected(expected_codes) => {
            if lint.status.success()
                || explain.status.success()
                || !expected_codes.iter().all(|c| codes.contains(c))
            {
                return Err(shown());
            }
        }
    }
    Ok(())
}
