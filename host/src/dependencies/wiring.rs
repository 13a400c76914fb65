//! The values a parent passes a dependency, and the outputs it maps from
//! one: Porter's v2 wiring templates.
//!
//! A template reads the parent's `bundle.parameters.*` and
//! `bundle.credentials.*`, an earlier sibling's
//! `bundle.dependencies.<alias>.outputs.*`, the parent's `bundle.name`,
//! `bundle.version` and `installation.*`, and, in an output mapping only,
//! the dependency's own `outputs.*`. A value made from a secret stays
//! secret: the result says so, and the dependency's run keeps it out of
//! its records.

use std::collections::BTreeMap;

use crate::manifest::TemplateSyntax;
use crate::manifest::templates;
use crate::operation::parameters::text_of;
use crate::operation::{DependencyOutput, DependencyOutputs, PreparedRun};

/// What a wiring template can read.
pub struct WiringScope<'a> {
    pub parent: &'a PreparedRun,
    /// The outputs of the dependencies that ran before, by alias.
    pub siblings: &'a DependencyOutputs,
    /// The dependency's own outputs, for an output mapping.
    pub own_outputs: Option<&'a BTreeMap<String, DependencyOutput>>,
}

/// A rendered value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wired {
    pub text: String,
    /// Whether a secret went into it.
    pub sensitive: bool,
}

impl WiringScope<'_> {
    /// Renders `template`; a reference with no value is an error naming it
    /// and what can be read.
    pub fn render(&self, template: &str) -> Result<Wired, String> {
        let mut sensitive = false;
        let mut missing = None;
        let text = templates::render(template, TemplateSyntax::Dollar, |reference| {
            match self.lookup(reference) {
                Some((value, secret)) => {
                    sensitive |= secret;
                    Some(value)
                }
                None => {
                    missing = Some(reference.to_string());
                    None
                }
            }
        });
        match (text, missing) {
            (Ok(text), _) => Ok(Wired { text, sensitive }),
            (Err(_), Some(reference)) => Err(format!(
                "`{reference}` in {template:?} has no value; a wiring reads bundle.parameters.*, \
                 bundle.credentials.*, bundle.dependencies.<earlier alias>.outputs.*, \
                 installation.name, and outputs.* in an output mapping"
            )),
            (Err(why), None) => Err(why),
        }
    }

    fn lookup(&self, reference: &str) -> Option<(String, bool)> {
        let request = &self.parent.request;
        let segments: Vec<&str> = reference.split('.').collect();
        match segments.as_slice() {
            ["bundle", "parameters", name @ ..] => {
                let value = self.parent.parameters.get(&name.join("."))?;
                Some((text_of(&value.value), value.sensitive))
            }
            ["bundle", "credentials", name @ ..] => {
                let value = self.parent.credentials.get(&name.join("."))?;
                Some((String::from_utf8_lossy(&value.bytes).into_owned(), true))
            }
            ["bundle", "dependencies", alias, "outputs", name @ ..] => {
                let output = self.siblings.get(*alias)?.get(&name.join("."))?;
                Some((
                    String::from_utf8_lossy(&output.value).into_owned(),
                    output.sensitive,
                ))
            }
            ["outputs", name @ ..] => {
                let output = self.own_outputs?.get(&name.join("."))?;
                Some((
                    String::from_utf8_lossy(&output.value).into_owned(),
                    output.sensitive,
                ))
            }
            ["bundle", "name"] => Some((request.bundle.name.clone(), false)),
            ["bundle", "version"] => Some((request.bundle.version.clone(), false)),
            ["installation", "name"] => Some((request.key.name.clone(), false)),
            ["installation", "namespace"] => Some((request.key.namespace.clone(), false)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operation::{CredentialValue, OperationRequest, ParameterValue, ValueOrigin};
    use crate::store::InstallationKey;
    use serde_json::json;

    fn parent() -> PreparedRun {
        let parameter = |value: &str, sensitive| ParameterValue {
            value: json!(value),
            origin: ValueOrigin::Default,
            sensitive,
        };
        PreparedRun {
            request: OperationRequest {
                key: InstallationKey::new("ns", "app"),
                ..OperationRequest::default()
            },
            existing: None,
            parameter_sets: Vec::new(),
            credential_sets: Vec::new(),
            parameters: BTreeMap::from([
                ("level".into(), parameter("debug", false)),
                ("pw".into(), parameter("hunter2", true)),
            ]),
            credentials: BTreeMap::from([(
                "token".into(),
                CredentialValue {
                    bytes: b"t0k".to_vec(),
                    set: "s".into(),
                },
            )]),
            dependency_parameters: BTreeMap::new(),
        }
    }

    fn output(value: &str, sensitive: bool) -> DependencyOutput {
        DependencyOutput {
            value: value.as_bytes().to_vec(),
            sensitive,
        }
    }

    #[test]
    fn templates_read_the_parent_siblings_and_own_outputs_and_carry_secrecy() {
        let parent = parent();
        let siblings = DependencyOutputs::from([(
            "infra".to_string(),
            BTreeMap::from([("ip".to_string(), output("10.0.0.1", false))]),
        )]);
        let own = BTreeMap::from([("port".to_string(), output("5432", false))]);
        let scope = WiringScope {
            parent: &parent,
            siblings: &siblings,
            own_outputs: Some(&own),
        };
        let wired = scope
            .render("https://${ bundle.dependencies.infra.outputs.ip }:${outputs.port}/${installation.name}")
            .unwrap();
        assert_eq!(wired.text, "https://10.0.0.1:5432/app");
        assert!(!wired.sensitive);
        assert!(
            scope
                .render("${ bundle.credentials.token }")
                .unwrap()
                .sensitive
        );
        assert!(
            scope
                .render("x${ bundle.parameters.pw }")
                .unwrap()
                .sensitive
        );
        assert_eq!(
            scope.render("${bundle.parameters.level}").unwrap().text,
            "debug"
        );
    }

    #[test]
    fn a_reference_with_no_value_is_named() {
        let parent = parent();
        let siblings = DependencyOutputs::new();
        let scope = WiringScope {
            parent: &parent,
            siblings: &siblings,
            own_outputs: None,
        };
        let err = scope
            .render("${ bundle.dependencies.later.outputs.x }")
            .unwrap_err();
        assert!(err.contains("bundle.dependencies.later.outputs.x"), "{err}");
        let err = scope.render("${ outputs.port }").unwrap_err();
        assert!(err.contains("outputs.port"), "{err}");
    }
}
