//! A run's credential values, from its credential sets.
//!
//! Credentials come only from credential sets: they are never typed on a
//! command line (where shells keep history) and never recorded. A later
//! set wins over an earlier one.

use std::collections::BTreeMap;
use std::fmt;

use crate::cnab::Bundle;
use crate::sets::ResolvedValue;

/// A credential's bytes. `Debug` never shows them.
#[derive(Clone, PartialEq, Eq)]
pub struct CredentialValue {
    pub bytes: Vec<u8>,
    /// The credential set it came from.
    pub set: String,
}

impl fmt::Debug for CredentialValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialValue")
            .field("bytes", &format_args!("<{} bytes>", self.bytes.len()))
            .field("set", &self.set)
            .finish()
    }
}

/// The value of every credential of `bundle` that applies to `action` and
/// that a set gives. A required credential that no set gives is a problem.
pub fn resolve_credentials(
    bundle: &Bundle,
    action: &str,
    sets: &[(String, BTreeMap<String, ResolvedValue>)],
    problems: &mut Vec<String>,
) -> BTreeMap<String, CredentialValue> {
    let mut values = BTreeMap::new();
    for (name, credential) in bundle.credentials_for_action(action) {
        let found = sets
            .iter()
            .rev()
            .find_map(|(set, entries)| entries.get(name).map(|v| (set, v)));
        match found {
            Some((set, value)) => {
                values.insert(
                    name.clone(),
                    CredentialValue {
                        bytes: value.as_bytes().to_vec(),
                        set: set.clone(),
                    },
                );
            }
            None if credential.required => problems.push(missing(name, action, sets)),
            None => {}
        }
    }
    values
}

fn missing(name: &str, action: &str, sets: &[(String, BTreeMap<String, ResolvedValue>)]) -> String {
    let searched = if sets.is_empty() {
        "no credential set was given".to_string()
    } else {
        let names: Vec<&str> = sets.iter().map(|(n, _)| n.as_str()).collect();
        format!("the credential sets {} do not have it", names.join(", "))
    };
    format!(
        "credential `{name}` is required for {action} and {searched}; make a set with \
         `wharf credentials generate NAME` (or `wharf credentials apply FILE`) and pass \
         --credential-set NAME"
    )
}
