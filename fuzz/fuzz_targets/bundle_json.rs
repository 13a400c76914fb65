//! bundle.json from a registry, an archive or `--cnab-file`: parsing never
//! panics, and a parsed bundle's canonical form parses back to the same
//! canonical bytes (the digest Wharf records is stable).
#![no_main]

use libfuzzer_sys::fuzz_target;
use wharf::cnab::Bundle;

fuzz_target!(|data: &[u8]| {
    let Ok(bundle) = Bundle::from_slice(data) else {
        return;
    };
    let Ok(canonical) = bundle.to_canonical_json() else {
        return;
    };
    let again = Bundle::from_slice(&canonical).expect("canonical bundle.json parses again");
    assert_eq!(
        again.to_canonical_json().expect("it serialises again"),
        canonical,
        "canonical form is a fixed point"
    );
    let _ = bundle.content_digest();
});
