//! What a bundle.json says its bundle requires.
//!
//! Read from the bundle, not the manifest, so a pulled bundle (Porter's
//! or Wharf's) runs its dependencies as well as a local one. Dependencies
//! v1 keep each requirement's parameters out of bundle.json; as Porter
//! does, they are read from the manifest the bundle embeds (`sh.wharf` or
//! Porter's `sh.porter`).

use base64::Engine as _;
use indexmap::IndexMap;
use serde_json::Value;

use super::DependencyError;
use crate::cnab::Bundle;
use crate::cnab::contract::{DEPENDENCIES_EXTENSION, DEPENDENCIES_V2_EXTENSION, STAMP_EXTENSION};

/// Porter's stamp, which embeds its manifest as Wharf's does.
const PORTER_STAMP: &str = "sh.porter";

/// One required bundle.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Requirement {
    /// Its alias in the parent (`dependencies.requires[].name`).
    pub alias: String,
    /// `bundle.reference`: a repository, with a tag or digest or without.
    pub reference: String,
    /// Semver ranges the version must satisfy (any of them).
    pub ranges: Vec<String>,
    /// Whether prerelease versions may be chosen.
    pub prereleases: bool,
    /// `bundle.interface` (v2): what the bundle must offer.
    pub interface: Option<Interface>,
    /// `sharing` (v2) with `mode: true` and a group name.
    pub sharing_group: Option<String>,
    /// Parameter values for it, templates allowed in v2.
    pub parameters: IndexMap<String, String>,
    /// Credential values for it (v2), templates.
    pub credentials: IndexMap<String, String>,
    /// Outputs made for the parent from its outputs (v2), templates.
    pub outputs: IndexMap<String, String>,
    /// Whether the values are templates (v2) rather than literals (v1).
    pub templated: bool,
}

/// `bundle.interface`: an id the bundle must declare it provides, a
/// reference to use when no `bundle.reference` is given, and a document
/// whose parameters, credentials and outputs the bundle must have.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Interface {
    pub id: Option<String>,
    pub reference: Option<String>,
    pub document: Option<Value>,
}

impl Requirement {
    /// The requirement a manifest declares, as its bundle.json will say it
    /// (for `wharf lint`, before there is a bundle.json).
    pub fn from_manifest(dependency: &crate::manifest::Dependency, v2: bool) -> Self {
        let text = |map: &IndexMap<String, Value>| -> IndexMap<String, String> {
            map.iter().map(|(k, v)| (k.clone(), text_of(v))).collect()
        };
        let entry = serde_json::json!({
            "bundle": dependency.reference.clone().unwrap_or_default(),
            "interface": dependency.interface,
            "sharing": dependency.sharing,
        });
        let mut requirement = if v2 {
            v2_requirement(&dependency.name, &entry).unwrap_or_default()
        } else {
            Requirement::default()
        };
        requirement.alias = dependency.name.clone();
        if requirement.reference.is_empty() {
            requirement.reference = dependency.reference.clone().unwrap_or_default();
        }
        requirement.ranges = dependency.version.iter().cloned().collect();
        requirement.prereleases = dependency
            .version
            .as_deref()
            .is_some_and(|v| v.contains('-'));
        requirement.parameters = text(&dependency.parameters);
        requirement.credentials = text(&dependency.credentials);
        requirement.outputs = text(&dependency.outputs);
        requirement.templated = v2;
        requirement
    }
}

/// The aliases of the bundles `bundle` requires, v1 or v2.
pub fn aliases(bundle: &Bundle) -> impl Iterator<Item = &str> {
    [DEPENDENCIES_EXTENSION, DEPENDENCIES_V2_EXTENSION]
        .into_iter()
        .filter_map(|key| bundle.custom.get(key)?.get("requires")?.as_object())
        .flat_map(|requires| requires.keys().map(String::as_str))
}

/// The bundles `bundle` requires, in the order they run for install.
pub fn requirements_of(bundle: &Bundle) -> Result<Vec<Requirement>, DependencyError> {
    let bad = |why: String| DependencyError::BadExtension {
        bundle: bundle.name.clone(),
        why,
    };
    if let Some(v2) = bundle.custom.get(DEPENDENCIES_V2_EXTENSION) {
        let requires = v2
            .get("requires")
            .and_then(Value::as_object)
            .ok_or_else(|| {
                bad(format!(
                    "{DEPENDENCIES_V2_EXTENSION} has no `requires` object"
                ))
            })?;
        let requirements = requires
            .iter()
            .map(|(alias, entry)| v2_requirement(alias, entry).map_err(bad))
            .collect::<Result<Vec<_>, _>>()?;
        return wiring_order(requirements).map_err(bad);
    }
    let Some(v1) = bundle.custom.get(DEPENDENCIES_EXTENSION) else {
        return Ok(Vec::new());
    };
    let requires = v1
        .get("requires")
        .and_then(Value::as_object)
        .ok_or_else(|| bad(format!("{DEPENDENCIES_EXTENSION} has no `requires` object")))?;
    let mut order: Vec<&str> = v1
        .get("sequence")
        .and_then(Value::as_array)
        .map(|s| s.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for alias in requires.keys() {
        if !order.contains(&alias.as_str()) {
            order.push(alias);
        }
    }
    let parameters = embedded_manifest_parameters(bundle);
    order
        .into_iter()
        .map(|alias| {
            let entry = requires.get(alias).ok_or_else(|| {
                bad(format!(
                    "`sequence` names {alias:?}, which it does not require"
                ))
            })?;
            let mut requirement = v1_requirement(alias, entry).map_err(bad)?;
            requirement.parameters = parameters.get(alias).cloned().unwrap_or_default();
            Ok(requirement)
        })
        .collect()
}

/// v2 requirements in the order they can run: one whose wiring reads a
/// sibling's outputs after that sibling, otherwise as declared. A sibling
/// read before it can exist (a cycle in the wiring) is an error.
fn wiring_order(mut pending: Vec<Requirement>) -> Result<Vec<Requirement>, String> {
    let reads = |r: &Requirement| -> Vec<String> {
        r.parameters
            .values()
            .chain(r.credentials.values())
            .chain(r.outputs.values())
            .flat_map(|template| {
                crate::manifest::templates::references(
                    template,
                    crate::manifest::TemplateSyntax::Dollar,
                )
                .unwrap_or_default()
                .into_iter()
                .filter_map(|reference| {
                    let rest = reference.strip_prefix("bundle.dependencies.")?;
                    Some(rest.split('.').next()?.to_string())
                })
                .collect::<Vec<_>>()
            })
            .filter(|sibling| *sibling != r.alias)
            .collect()
    };
    let mut ordered: Vec<Requirement> = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let ready = pending.iter().position(|r| {
            reads(r).iter().all(|sibling| {
                ordered.iter().any(|o| o.alias == *sibling)
                    || !pending.iter().any(|p| p.alias == *sibling)
            })
        });
        let Some(ready) = ready else {
            let aliases: Vec<&str> = pending.iter().map(|r| r.alias.as_str()).collect();
            return Err(format!(
                "the wiring of the dependencies {} reads each other's outputs in a cycle",
                aliases.join(", ")
            ));
        };
        ordered.push(pending.remove(ready));
    }
    Ok(ordered)
}

fn v1_requirement(alias: &str, entry: &Value) -> Result<Requirement, String> {
    let version = entry.get("version");
    Ok(Requirement {
        alias: alias.to_string(),
        reference: reference_of(alias, entry)?,
        ranges: version
            .and_then(|v| v.get("ranges"))
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        prereleases: version
            .and_then(|v| v.get("prereleases"))
            .and_then(Value::as_bool)
            .unwrap_or(false),
        ..Requirement::default()
    })
}

fn v2_requirement(alias: &str, entry: &Value) -> Result<Requirement, String> {
    let interface = entry.get("interface").map(|i| Interface {
        id: i.get("id").and_then(Value::as_str).map(str::to_string),
        reference: i
            .get("reference")
            .and_then(Value::as_str)
            .map(str::to_string),
        document: i.get("document").cloned(),
    });
    let mut reference = entry
        .get("bundle")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if reference.is_empty()
        && let Some(from_interface) = interface.as_ref().and_then(|i| i.reference.clone())
    {
        reference = from_interface;
    }
    if reference.is_empty() {
        return Err(format!(
            "the dependency {alias:?} names no bundle reference, and no interface reference"
        ));
    }
    let range = entry.get("version").and_then(Value::as_str);
    let sharing = entry.get("sharing");
    let shared = sharing
        .and_then(|s| s.get("mode"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let group = sharing
        .and_then(|s| s.get("group"))
        .and_then(|g| g.get("name"))
        .and_then(Value::as_str)
        .filter(|g| !g.is_empty());
    Ok(Requirement {
        alias: alias.to_string(),
        reference,
        ranges: range.map(|r| vec![r.to_string()]).unwrap_or_default(),
        prereleases: range.is_some_and(|r| r.contains('-')),
        interface,
        sharing_group: group.filter(|_| shared).map(str::to_string),
        parameters: text_map(entry.get("parameters")),
        credentials: text_map(entry.get("credentials")),
        outputs: text_map(entry.get("outputs")),
        templated: true,
    })
}

fn reference_of(alias: &str, entry: &Value) -> Result<String, String> {
    entry
        .get("bundle")
        .and_then(Value::as_str)
        .filter(|r| !r.is_empty())
        .map(str::to_string)
        .ok_or_else(|| format!("the dependency {alias:?} names no bundle reference"))
}

/// A JSON object's values as text: strings as they are, others as JSON.
fn text_map(value: Option<&Value>) -> IndexMap<String, String> {
    value
        .and_then(Value::as_object)
        .map(|map| map.iter().map(|(k, v)| (k.clone(), text_of(v))).collect())
        .unwrap_or_default()
}

/// A wiring value as text: a string as it is, anything else as JSON.
fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `dependencies.requires[].parameters` of the manifest the bundle embeds,
/// by alias; empty when it embeds none.
fn embedded_manifest_parameters(bundle: &Bundle) -> IndexMap<String, IndexMap<String, String>> {
    let Some(text) = [STAMP_EXTENSION, PORTER_STAMP]
        .into_iter()
        .filter_map(|key| bundle.custom.get(key)?.get("manifest")?.as_str())
        .find_map(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
    else {
        return IndexMap::new();
    };
    let Ok((manifest, _)) = crate::manifest::parse(&text, std::path::Path::new("porter.yaml"))
    else {
        return IndexMap::new();
    };
    manifest
        .required_dependencies()
        .map(|d| {
            let values = d
                .parameters
                .iter()
                .map(|(k, v)| (k.clone(), text_of(v)))
                .collect();
            (d.name.clone(), values)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bundle(custom: Value) -> Bundle {
        serde_json::from_value(json!({"name": "app", "version": "0.1.0", "custom": custom}))
            .unwrap()
    }

    #[test]
    fn v1_follows_the_sequence_and_reads_parameters_from_the_embedded_manifest() {
        let manifest = "schemaVersion: 1.0.1\nname: app\nversion: 0.1.0\nmixins: [exec]\ninstall: [{exec: {command: a}}]\nupgrade: [{exec: {command: a}}]\nuninstall: [{exec: {command: a}}]\ndependencies:\n  requires:\n    - name: cache\n      bundle: {reference: reg/cache:v1}\n    - name: db\n      bundle: {reference: reg/db, version: '>=0.1.0'}\n      parameters: {database: appdb, port: 5432}\n";
        let b = bundle(json!({
            "io.cnab.dependencies": {
                "sequence": ["cache", "db"],
                "requires": {"db": {"bundle": "reg/db", "version": {"ranges": [">=0.1.0"]}},
                             "cache": {"bundle": "reg/cache:v1"}}
            },
            "sh.wharf": {"manifest": base64::engine::general_purpose::STANDARD.encode(manifest)}
        }));
        let r = requirements_of(&b).unwrap();
        let aliases: Vec<&str> = r.iter().map(|r| r.alias.as_str()).collect();
        assert_eq!(aliases, ["cache", "db"]);
        assert_eq!(r[1].ranges, [">=0.1.0"]);
        assert_eq!(r[1].parameters["database"], "appdb");
        assert_eq!(r[1].parameters["port"], "5432");
        assert!(!r[1].templated);
        let mut all: Vec<&str> = super::aliases(&b).collect();
        all.sort_unstable();
        assert_eq!(all, ["cache", "db"]);
    }

    #[test]
    fn v2_reads_sharing_wiring_and_interface() {
        let b = bundle(json!({"org.getporter.dependencies@v2": {"requires": {
            "db": {"bundle": "", "version": "1.x",
                   "interface": {"id": "mysql", "reference": "reg/mysql"},
                   "sharing": {"mode": true, "group": {"name": "env"}},
                   "parameters": {"database": "${ bundle.parameters.name }"},
                   "outputs": {"url": "db://${ outputs.host }"}},
            "app": {"bundle": "reg/app:v1", "sharing": {"group": {"name": "env"}}}
        }}}));
        let r = requirements_of(&b).unwrap();
        assert_eq!(r[0].reference, "reg/mysql");
        assert_eq!(r[0].sharing_group.as_deref(), Some("env"));
        assert_eq!(r[0].parameters["database"], "${ bundle.parameters.name }");
        assert!(r[0].templated);
        assert_eq!(
            r[1].sharing_group, None,
            "a group without mode: true is not shared"
        );
    }

    #[test]
    fn v2_runs_a_dependency_after_the_siblings_its_wiring_reads() {
        let b = bundle(json!({"org.getporter.dependencies@v2": {"requires": {
            "app": {"bundle": "reg/app:v1",
                    "parameters": {"db": "${ bundle.dependencies.db.outputs.url }"}},
            "db": {"bundle": "reg/db:v1"},
            "cache": {"bundle": "reg/cache:v1"}
        }}}));
        let order: Vec<String> = requirements_of(&b)
            .unwrap()
            .into_iter()
            .map(|r| r.alias)
            .collect();
        assert_eq!(order, ["db", "app", "cache"]);
        let cycle = bundle(json!({"org.getporter.dependencies@v2": {"requires": {
            "a": {"bundle": "reg/a:v1", "parameters": {"x": "${ bundle.dependencies.b.outputs.y }"}},
            "b": {"bundle": "reg/b:v1", "parameters": {"y": "${ bundle.dependencies.a.outputs.x }"}}
        }}}));
        let err = requirements_of(&cycle).unwrap_err().to_string();
        assert!(err.contains("cycle") && err.contains("a, b"), "{err}");
    }

    #[test]
    fn a_malformed_extension_is_an_error_naming_the_bundle() {
        let b = bundle(json!({"io.cnab.dependencies": {"requires": {"db": {}}}}));
        let err = requirements_of(&b).unwrap_err().to_string();
        assert!(err.contains("app") && err.contains("db"), "{err}");
    }
}
