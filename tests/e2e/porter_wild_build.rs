//! `wharf build` of the manifests from the wild whose templates this test
//! can provide: every one Porter accepts that uses only the built-in exec
//! mixin (the others need their tools' download hosts, which this machine
//! does not reach). The corpus keeps only the manifests, so a `dockerfile:`
//! template is Porter's own `porter create` one on the local Debian image:
//! its `# syntax=`, apt cache mounts and `COPY --link` go through dockerd's
//! BuildKit as they would through Porter's.

use std::path::Path;

use wharf_test_support::docker::{DEBIAN_IMAGE, ensure_docker};
use wharf_test_support::scratch_dir;

use crate::build::{text, wharf};
use crate::buildkit::porter_create_template;
use crate::porter_wild::{VERDICTS, Verdict, corpus};

#[test]
fn porter_accepted_exec_bundles_from_the_wild_build() {
    let env = ensure_docker();
    let home = scratch_dir();
    let mut built = Vec::new();
    let mut wrong = Vec::new();
    for (file, verdict) in VERDICTS {
        if !matches!(verdict, Verdict::Accepted) {
            continue;
        }
        let text_of_file = std::fs::read_to_string(corpus().join(file)).unwrap();
        let (manifest, _) = wharf::manifest::parse(&text_of_file, Path::new(file)).unwrap();
        if manifest.mixins.iter().any(|m| m.name != "exec") {
            continue;
        }
        let bundle = scratch_dir();
        let name = if file.ends_with("__porter.yaml") {
            "porter.yaml"
        } else {
            file
        };
        std::fs::write(bundle.path().join(name), &text_of_file).unwrap();
        if let Some(template) = &manifest.dockerfile {
            let path = bundle.path().join(template);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, porter_create_template(DEBIAN_IMAGE, "")).unwrap();
        }
        let mut args = vec!["build", "-f", name];
        if manifest.version.is_none() {
            args.extend(["--version", "0.1.0"]);
        }
        let out = wharf(home.path(), bundle.path(), &env.docker_host(), &args);
        if !out.status.success() {
            wrong.push(format!("{file}: {}", text(&out.stderr)));
            continue;
        }
        let bundle_json = bundle.path().join(".cnab/bundle.json");
        let image = std::fs::read(&bundle_json)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|b| b["invocationImages"][0]["image"].as_str().map(String::from));
        match image {
            Some(image) => {
                let inspect = env
                    .docker()
                    .args(["image", "inspect", &image])
                    .output()
                    .unwrap();
                if !inspect.status.success() {
                    wrong.push(format!("{file}: no image {image} after the build"));
                }
                built.push(*file);
            }
            None => wrong.push(format!("{file}: no bundle.json with an image")),
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
    // Every such file: the corpus has eight, so none was skipped.
    assert_eq!(built.len(), 8, "built {built:?}");
}
