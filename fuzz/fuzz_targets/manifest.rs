//! porter.yaml: any text either parses or is refused with diagnostics;
//! a parsed manifest always maps to a bundle.json that serialises; Porter's
//! lint rules run on it, and on what could be read of a refused one.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("porter.yaml");
    match wharf::manifest::parse(text, path) {
        Ok((manifest, _warnings)) => {
            let bundle = wharf::build::bundle_for(
                &manifest,
                Default::default(),
                &Default::default(),
                &Default::default(),
            );
            bundle
                .to_canonical_json()
                .expect("a bundle made from a parsed manifest serialises");
            let _ = wharf::explain::explain(&manifest, Vec::new());
            let _ = wharf::build::porter_rules::findings(path, &manifest);
        }
        Err(refused) => {
            assert!(refused.errors().next().is_some(), "a refusal names an error");
            if let Some(partial) = refused.partial {
                let _ = wharf::build::porter_rules::findings(path, &partial);
            }
        }
    }
});
