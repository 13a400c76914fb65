//! The variables templates can name, and their values.
//!
//! The values form one JSON tree (`installation`, `bundle`, `env`), and a
//! reference is a dotted path into it; at each level the longest run of
//! segments that is a key wins, so a name with a dot in it still resolves.
//! `bundle.dependencies.<dep>.outputs.<name>` is the one reference outside
//! the tree: the host passes a dependency's outputs in
//! `WHARF_DEP_<DEP>_<NAME>`. A dependency's `name`, `version` and
//! `description` come from the bundle.json the host puts at
//! `/cnab/app/dependencies/<dep>/bundle.json`, which also says which of
//! its outputs are sensitive.
//!
//! A value reached through a credential, a sensitive parameter or a
//! sensitive output is reported as sensitive, so the text a template puts
//! into a step (even a field of a secret object) is masked too.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::inputs::{Inputs, Invocation};
use crate::cnab::Bundle;
use crate::cnab::contract::{dependency_output_env, output_of_parameter};

/// The values templates read, for one run.
#[derive(Debug, Clone)]
pub struct Variables {
    root: Value,
    env: BTreeMap<String, String>,
    /// Key paths under which every value is secret.
    sensitive: Vec<Vec<String>>,
    /// The dependencies' bundles, by alias.
    dependencies: BTreeMap<String, Bundle>,
}

/// A resolved reference.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// The text a template renders.
    pub text: String,
    /// Whether it came from a secret.
    pub sensitive: bool,
}

impl Variables {
    /// The variables of a run.
    pub fn new(
        bundle: &Bundle,
        invocation: &Invocation,
        inputs: &Inputs,
        env: &BTreeMap<String, String>,
        relocations: &BTreeMap<String, String>,
    ) -> Self {
        let mut installation = Map::new();
        if let Some(name) = &invocation.installation {
            installation.insert("name".into(), json!(name));
        }
        installation.insert("namespace".into(), json!(invocation.namespace));
        let mut b = Map::new();
        b.insert(
            "name".into(),
            json!(invocation.bundle_name.as_deref().unwrap_or(&bundle.name)),
        );
        b.insert(
            "version".into(),
            json!(
                invocation
                    .bundle_version
                    .as_deref()
                    .unwrap_or(&bundle.version)
            ),
        );
        b.insert("description".into(), json!(bundle.description));
        if let Some(image) = bundle.invocation_images.first() {
            let reference = relocations.get(&image.image).unwrap_or(&image.image);
            b.insert("installerImage".into(), json!(reference));
        }
        b.insert(
            "parameters".into(),
            Value::Object(inputs.parameters.clone()),
        );
        b.insert(
            "credentials".into(),
            Value::Object(inputs.credentials.clone()),
        );
        b.insert(
            "outputs".into(),
            Value::Object(passed_in_outputs(bundle, inputs)),
        );
        b.insert("images".into(), Value::Object(images(bundle, relocations)));
        b.insert(
            "custom".into(),
            Value::Object(
                bundle
                    .custom
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
        );
        let env_tree: Map<String, Value> = env.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        let mut sensitive = vec![path(&["bundle", "credentials"])];
        for name in &inputs.sensitive_parameters {
            sensitive.push(path(&["bundle", "parameters", name]));
        }
        for name in bundle
            .outputs
            .keys()
            .filter(|n| bundle.is_sensitive_output(n))
        {
            sensitive.push(path(&["bundle", "outputs", name]));
        }
        Self {
            root: json!({
                "installation": installation,
                "bundle": b,
                "env": env_tree,
            }),
            env: env.clone(),
            sensitive,
            dependencies: BTreeMap::new(),
        }
    }

    /// Adds the bundles the run depends on, by alias: their `name`,
    /// `version` and `description` become
    /// `bundle.dependencies.<alias>.*`, and their sensitive outputs stay
    /// sensitive here.
    pub fn with_dependencies(mut self, dependencies: BTreeMap<String, Bundle>) -> Self {
        let tree: Map<String, Value> = dependencies
            .iter()
            .map(|(alias, bundle)| {
                let meta = json!({
                    "name": bundle.name,
                    "version": bundle.version,
                    "description": bundle.description,
                });
                (alias.clone(), meta)
            })
            .collect();
        if let Some(b) = self.root.get_mut("bundle").and_then(Value::as_object_mut) {
            b.insert("dependencies".into(), Value::Object(tree));
        }
        self.dependencies = dependencies;
        self
    }

    /// Records a step output: `bundle.outputs.<name>` reads it from now on.
    pub fn set_output(&mut self, name: &str, value: &str) {
        if let Some(outputs) = self
            .root
            .pointer_mut("/bundle/outputs")
            .and_then(Value::as_object_mut)
        {
            outputs.insert(name.to_string(), json!(value));
        }
    }

    /// Resolves a reference, or says why it has no value.
    pub fn resolve(&self, reference: &str) -> Result<Resolved, String> {
        let segments: Vec<&str> = reference.split('.').collect();
        if let ["bundle", "dependencies", dep, "outputs", name @ ..] = segments.as_slice()
            && !name.is_empty()
        {
            let name = name.join(".");
            let var = dependency_output_env(dep, &name);
            return match self.env.get(&var) {
                Some(value) => Ok(Resolved {
                    text: value.clone(),
                    sensitive: self
                        .dependencies
                        .get(*dep)
                        .is_none_or(|b| b.is_sensitive_output(&name)),
                }),
                None => Err(format!(
                    "the output {name:?} of the dependency {dep:?} was not passed to this run \
                     (the runtime sets {var} when the dependency has that output)"
                )),
            };
        }
        let mut node = &self.root;
        let mut keys: Vec<String> = Vec::new();
        let mut rest = segments.as_slice();
        while !rest.is_empty() {
            let step = match node {
                Value::Object(map) => (1..=rest.len()).rev().find_map(|n| {
                    let key = rest[..n].join(".");
                    map.get(&key).map(|child| (child, key, n))
                }),
                Value::Array(items) => rest[0]
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| items.get(i))
                    .map(|child| (child, rest[0].to_string(), 1)),
                _ => None,
            };
            let Some((child, key, used)) = step else {
                return Err(self.why_missing(&keys, node));
            };
            node = child;
            keys.push(key);
            rest = &rest[used..];
        }
        let sensitive = self
            .sensitive
            .iter()
            .any(|prefix| keys.len() >= prefix.len() && keys[..prefix.len()] == prefix[..]);
        Ok(Resolved {
            text: text_of(node),
            sensitive,
        })
    }

    /// Why nothing is found below `keys`, naming what is there.
    fn why_missing(&self, keys: &[String], node: &Value) -> String {
        let joined = keys.join(".");
        let available = |map: &Map<String, Value>| {
            if map.is_empty() {
                "none".to_string()
            } else {
                map.keys()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        match (joined.as_str(), node) {
            ("", _) => "templates can read installation.*, bundle.* and env.*".into(),
            ("env", _) => "the runtime's environment has no such variable".into(),
            ("bundle.outputs", Value::Object(map)) => format!(
                "no earlier step of this action produced that output and it was not passed in \
                 (outputs available: {})",
                available(map)
            ),
            ("bundle.parameters", Value::Object(map)) => {
                format!(
                    "no such parameter applies to this action (parameters: {})",
                    available(map)
                )
            }
            ("bundle.credentials", Value::Object(map)) => {
                format!(
                    "no such credential applies to this action (credentials: {})",
                    available(map)
                )
            }
            (_, Value::Object(map)) => format!("{joined} has only {}", available(map)),
            (_, other) => format!("{joined} is {}, which has no fields", kind(other)),
        }
    }
}

/// Outputs of earlier runs, passed in as `wharf-<name>-output` parameters.
fn passed_in_outputs(bundle: &Bundle, inputs: &Inputs) -> Map<String, Value> {
    let mut outputs = Map::new();
    for (name, value) in &inputs.parameters {
        if let Some(output) = output_of_parameter(name)
            && bundle.outputs.contains_key(output)
        {
            outputs.insert(output.to_string(), value.clone());
        }
    }
    outputs
}

/// `bundle.images.<alias>`: Porter's mapped image fields, from bundle.json
/// (after relocation, when the bundle was copied).
fn images(bundle: &Bundle, relocations: &BTreeMap<String, String>) -> Map<String, Value> {
    let mut images = Map::new();
    for (alias, image) in &bundle.images {
        let reference = relocations.get(&image.image).unwrap_or(&image.image);
        let (repository, tag, pinned) = split_reference(reference);
        let digest = if image.content_digest.is_empty() {
            pinned.unwrap_or_default()
        } else {
            image.content_digest.clone()
        };
        images.insert(
            alias.clone(),
            json!({
                "repository": repository,
                "tag": tag.unwrap_or_default(),
                "digest": digest,
                "imageType": image.image_type,
                "description": image.description,
                "mediaType": image.media_type,
                "size": image.size,
                "labels": image.labels,
            }),
        );
    }
    images
}

/// `repo:tag@sha256:x` → repository, tag, digest. A colon is a tag only
/// after the last slash (`localhost:5000/app` has no tag).
pub fn split_reference(reference: &str) -> (String, Option<String>, Option<String>) {
    let (name, digest) = match reference.split_once('@') {
        Some((name, digest)) => (name, Some(digest.to_string())),
        None => (reference, None),
    };
    let slash = name.rfind('/').map_or(0, |i| i + 1);
    match name[slash..].rfind(':') {
        Some(colon) => {
            let at = slash + colon;
            (
                name[..at].to_string(),
                Some(name[at + 1..].to_string()),
                digest,
            )
        }
        None => (name.to_string(), None, digest),
    }
}

/// The text a value renders as: strings bare, null empty, anything else as
/// compact JSON.
pub fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn path(keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| k.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Variables {
        let bundle: Bundle = serde_json::from_value(json!({
            "name": "b", "version": "1.0.0", "description": "d",
            "invocationImages": [{"imageType": "docker", "image": "reg/b-installer:v1"}],
            "images": {"web": {"imageType": "docker", "image": "localhost:5000/web:1.2", "contentDigest": "sha256:ab"}},
            "outputs": {"msg": {"definition": "s", "path": "/cnab/app/outputs/msg"}},
            "definitions": {"s": {"type": "string"}},
            "custom": {"ext": {"k": "v"}}
        }))
        .unwrap();
        let invocation = Invocation {
            action: "install".into(),
            installation: Some("inst".into()),
            namespace: "ns".into(),
            bundle_name: None,
            bundle_version: None,
            revision: None,
        };
        let mut inputs = Inputs::default();
        inputs
            .parameters
            .insert("cfg".into(), json!({"name": "n", "list": [1, 2]}));
        inputs.parameters.insert("pw".into(), json!("hunter2"));
        inputs
            .parameters
            .insert("wharf-msg-output".into(), json!("from before"));
        inputs.sensitive_parameters.push("pw".into());
        let env = BTreeMap::from([
            ("HOME".into(), "/home/x".into()),
            ("WHARF_DEP_MY_DB_CONN".into(), "c".into()),
        ]);
        Variables::new(&bundle, &invocation, &inputs, &env, &BTreeMap::new())
    }

    fn text(v: &Variables, r: &str) -> String {
        v.resolve(r).unwrap().text
    }

    #[test]
    fn every_kind_of_variable_resolves() {
        let v = vars();
        assert_eq!(text(&v, "installation.name"), "inst");
        assert_eq!(text(&v, "installation.namespace"), "ns");
        assert_eq!(text(&v, "bundle.installerImage"), "reg/b-installer:v1");
        assert_eq!(text(&v, "bundle.parameters.cfg.name"), "n");
        assert_eq!(text(&v, "bundle.parameters.cfg.list.1"), "2");
        assert_eq!(
            text(&v, "bundle.parameters.cfg"),
            r#"{"name":"n","list":[1,2]}"#
        );
        assert_eq!(
            text(&v, "bundle.images.web.repository"),
            "localhost:5000/web"
        );
        assert_eq!(text(&v, "bundle.images.web.tag"), "1.2");
        assert_eq!(text(&v, "bundle.images.web.digest"), "sha256:ab");
        assert_eq!(text(&v, "bundle.custom.ext.k"), "v");
        assert_eq!(text(&v, "env.HOME"), "/home/x");
        assert_eq!(text(&v, "bundle.dependencies.my-db.outputs.conn"), "c");
        assert_eq!(text(&v, "bundle.outputs.msg"), "from before");
    }

    #[test]
    fn step_outputs_override_passed_in_ones_and_sensitivity_is_tracked() {
        let mut v = vars();
        v.set_output("msg", "now");
        assert_eq!(text(&v, "bundle.outputs.msg"), "now");
        assert!(v.resolve("bundle.parameters.pw").unwrap().sensitive);
        assert!(!v.resolve("bundle.parameters.cfg").unwrap().sensitive);
    }

    #[test]
    fn missing_variables_say_what_exists() {
        let v = vars();
        let err = v.resolve("bundle.parameters.nope").unwrap_err();
        assert!(err.contains("parameters: cfg, pw"), "{err}");
        let err = v.resolve("bundle.dependencies.db.outputs.x").unwrap_err();
        assert!(err.contains("WHARF_DEP_DB_X"), "{err}");
        let err = v.resolve("bundle.parameters.pw.x").unwrap_err();
        assert!(err.contains("is a string"), "{err}");
    }

    #[test]
    fn references_split_into_repository_tag_and_digest() {
        let s = |r| split_reference(r);
        assert_eq!(s("nginx"), ("nginx".into(), None, None));
        assert_eq!(
            s("localhost:5000/a/b:1"),
            ("localhost:5000/a/b".into(), Some("1".into()), None)
        );
        assert_eq!(
            s("r/a@sha256:x"),
            ("r/a".into(), None, Some("sha256:x".into()))
        );
    }
}
