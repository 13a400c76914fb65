//! porter.yaml: any text either parses or is refused with diagnostics;
//! a parsed manifest always maps to a bundle.json that serialises.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok((manifest, _warnings)) = wharf::manifest::parse(text, Path::new("porter.yaml")) {
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
    }
});
