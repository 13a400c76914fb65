//! A manifest's `dependencies:` in bundle.json, as Porter writes them.
//!
//! Dependencies v1 (schema 1.0.x) go in `io.cnab.dependencies`: each
//! requirement's reference and version range, in order. Their parameters
//! are not in bundle.json; the operator's side reads them from the manifest
//! the stamp embeds, as Porter reads them from its own. Dependencies v2
//! (schema 1.1.0) go in `org.getporter.dependencies@v2`, wiring included.
//!
//! A step that reads `bundle.dependencies.<alias>.outputs.<name>` gets the
//! value through an internal parameter fed from that output (Porter's
//! `porter-<alias>-<name>-dep-output`), so the value reaches the runtime as
//! every other input does, and a run records where it came from.

use serde_json::{Map, Value, json};

use crate::cnab::contract::{
    DEPENDENCIES_EXTENSION, DEPENDENCIES_V2_EXTENSION, INTERNAL_COMMENT, dependency_output_env,
    dependency_output_parameter,
};
use crate::cnab::{Bundle, Location, Parameter};
use crate::manifest::{Dependency, Manifest};

/// Adds the dependency extension the manifest's schema calls for, and
/// names it in `required`.
pub(super) fn add_extension(
    manifest: &Manifest,
    custom: &mut std::collections::BTreeMap<String, Value>,
    required: &mut Vec<String>,
) {
    let Some(deps) = manifest
        .dependencies
        .as_ref()
        .filter(|d| !d.requires.is_empty())
    else {
        return;
    };
    let (key, value) = if manifest.uses_dependencies_v2() {
        let requires: Map<String, Value> = deps
            .requires
            .iter()
            .map(|d| (d.name.clone(), v2_requirement(d)))
            .collect();
        let mut extension = Map::new();
        extension.insert("requires".into(), Value::Object(requires));
        if let Some(provides) = &deps.provides {
            extension.insert("provides".into(), provides.clone());
        }
        (DEPENDENCIES_V2_EXTENSION, Value::Object(extension))
    } else {
        let requires: Map<String, Value> = deps
            .requires
            .iter()
            .map(|d| (d.name.clone(), v1_requirement(d)))
            .collect();
        let sequence: Vec<&str> = deps.requires.iter().map(|d| d.name.as_str()).collect();
        (
            DEPENDENCIES_EXTENSION,
            json!({"sequence": sequence, "requires": requires}),
        )
    };
    custom.insert(key.into(), value);
    required.push(key.to_string());
}

/// `{bundle, version: {ranges, prereleases}}`.
fn v1_requirement(dep: &Dependency) -> Value {
    let mut entry = Map::new();
    entry.insert(
        "bundle".into(),
        json!(dep.reference.clone().unwrap_or_default()),
    );
    if let Some(range) = &dep.version {
        let mut version = Map::new();
        if allows_prereleases(range) {
            version.insert("prereleases".into(), json!(true));
        }
        version.insert("ranges".into(), json!([range]));
        entry.insert("version".into(), Value::Object(version));
    }
    Value::Object(entry)
}

/// Porter's v2 requirement: `sharing` is always there (an empty group
/// when the manifest has none), the wiring only when given.
fn v2_requirement(dep: &Dependency) -> Value {
    let mut entry = Map::new();
    entry.insert(
        "bundle".into(),
        json!(dep.reference.clone().unwrap_or_default()),
    );
    if let Some(range) = &dep.version {
        entry.insert("version".into(), json!(range));
    }
    if let Some(interface) = &dep.interface {
        entry.insert("interface".into(), interface.clone());
    }
    let mut sharing = Map::new();
    let mode = dep
        .sharing
        .as_ref()
        .and_then(|s| s.get("mode"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if mode {
        sharing.insert("mode".into(), json!(true));
    }
    let group = dep
        .sharing
        .as_ref()
        .and_then(|s| s.get("group"))
        .and_then(|g| g.get("name"))
        .map(|name| json!({ "name": name }))
        .unwrap_or_else(|| json!({}));
    sharing.insert("group".into(), group);
    entry.insert("sharing".into(), Value::Object(sharing));
    for (key, map) in [
        ("parameters", &dep.parameters),
        ("credentials", &dep.credentials),
        ("outputs", &dep.outputs),
    ] {
        if !map.is_empty() {
            let wiring: Map<String, Value> =
                map.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            entry.insert(key.into(), Value::Object(wiring));
        }
    }
    Value::Object(entry)
}

/// Whether a range names a prerelease (`1.0.0-beta.1`, `>=0.1.0-0`).
fn allows_prereleases(range: &str) -> bool {
    semver::Version::parse(range.trim_start_matches('v')).is_ok_and(|v| !v.pre.is_empty())
        || range.contains("-0")
}

/// Adds an internal parameter for each dependency output a step reads.
pub(super) fn add_output_parameters(
    manifest: &Manifest,
    bundle: &mut Bundle,
    sources: &mut Map<String, Value>,
) {
    for (alias, output) in referenced_dependency_outputs(manifest) {
        let name = dependency_output_parameter(&alias, &output);
        let mut definition = Map::new();
        definition.insert("$comment".into(), json!(INTERNAL_COMMENT));
        definition.insert(
            "$id".into(),
            json!("https://wharf.dev/generated-bundle/#wharf-parameter-source-definition"),
        );
        bundle.definitions.insert(name.clone(), definition);
        bundle.parameters.insert(
            name.clone(),
            Parameter {
                definition: name.clone(),
                description: format!(
                    "Wires up the {alias} dependency {output} output for use as a parameter. \
                     Wharf internal parameter that should not be set manually."
                ),
                destination: Some(Location {
                    path: String::new(),
                    env: dependency_output_env(&alias, &output),
                }),
                ..Parameter::default()
            },
        );
        sources.insert(
            name,
            json!({
                "priority": ["dependencies.output"],
                "sources": {"dependencies.output": {"dependency": alias, "name": output}}
            }),
        );
    }
}

/// `(alias, output)` for each `bundle.dependencies.<alias>.outputs.<output>`
/// in the steps, once each, in the order first read.
fn referenced_dependency_outputs(manifest: &Manifest) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = Vec::new();
    super::bundle_json::each_step_reference(manifest, &mut |reference| {
        let segments: Vec<&str> = reference.split('.').collect();
        if let ["bundle", "dependencies", alias, "outputs", output @ ..] = segments.as_slice()
            && !output.is_empty()
        {
            let pair = (alias.to_string(), output.join("."));
            if !found.contains(&pair) {
                found.push(pair);
            }
        }
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(text: &str) -> Manifest {
        crate::manifest::parse(text, std::path::Path::new("porter.yaml"))
            .unwrap_or_else(|e| panic!("{e}"))
            .0
    }

    const STEPS: &str = r#"
mixins: [exec]
install:
  - exec:
      command: echo
      arguments: ["${ bundle.dependencies.db.outputs.connstr }"]
upgrade:
  - exec:
      command: echo
      arguments: ["${ bundle.dependencies.db.outputs.connstr }", "${bundle.dependencies.db.name}"]
uninstall:
  - exec: {command: echo}
"#;

    #[test]
    fn v1_requirements_keep_order_and_ranges_and_no_wiring() {
        let m = manifest(&format!(
            "schemaVersion: 1.0.1\nname: app\nversion: 0.1.0\n{STEPS}dependencies:\n  requires:\n    - name: db\n      bundle: {{reference: reg/db, version: '>=0.1.0 <1.0.0'}}\n      parameters: {{database: appdb}}\n    - name: cache\n      bundle: {{reference: reg/cache:v1.0.0-beta.1, version: 1.0.0-beta.1}}\n"
        ));
        let (mut custom, mut required) = (Default::default(), Vec::new());
        add_extension(&m, &mut custom, &mut required);
        assert_eq!(required, [DEPENDENCIES_EXTENSION]);
        assert_eq!(
            custom[DEPENDENCIES_EXTENSION],
            json!({
                "sequence": ["db", "cache"],
                "requires": {
                    "db": {"bundle": "reg/db", "version": {"ranges": [">=0.1.0 <1.0.0"]}},
                    "cache": {"bundle": "reg/cache:v1.0.0-beta.1",
                              "version": {"prereleases": true, "ranges": ["1.0.0-beta.1"]}}
                }
            })
        );
    }

    #[test]
    fn v2_requirements_carry_sharing_and_wiring() {
        let m = manifest(&format!(
            "schemaVersion: 1.1.0\nname: app\nversion: 0.1.0\n{STEPS}dependencies:\n  requires:\n    - name: db\n      bundle: {{reference: reg/db:v1}}\n      sharing: {{mode: true, group: {{name: env}}}}\n      parameters: {{database: appdb}}\n      outputs: {{url: 'x${{ outputs.host }}'}}\n"
        ));
        let (mut custom, mut required) = (Default::default(), Vec::new());
        add_extension(&m, &mut custom, &mut required);
        assert_eq!(required, [DEPENDENCIES_V2_EXTENSION]);
        assert_eq!(
            custom[DEPENDENCIES_V2_EXTENSION],
            json!({"requires": {"db": {
                "bundle": "reg/db:v1",
                "sharing": {"mode": true, "group": {"name": "env"}},
                "parameters": {"database": "appdb"},
                "outputs": {"url": "x${ outputs.host }"}
            }}})
        );
    }

    #[test]
    fn each_dependency_output_a_step_reads_becomes_one_internal_parameter() {
        let m = manifest(&format!(
            "schemaVersion: 1.0.1\nname: app\nversion: 0.1.0\n{STEPS}dependencies:\n  requires:\n    - name: db\n      bundle: {{reference: reg/db:v1}}\n"
        ));
        let mut bundle = Bundle::default();
        let mut sources = Map::new();
        add_output_parameters(&m, &mut bundle, &mut sources);
        let names: Vec<&String> = bundle.parameters.keys().collect();
        assert_eq!(names, ["wharf-db-connstr-dep-output"]);
        let parameter = &bundle.parameters["wharf-db-connstr-dep-output"];
        assert_eq!(
            parameter.destination.as_ref().unwrap().env,
            "WHARF_DEP_DB_CONNSTR"
        );
        assert!(!parameter.required);
        assert_eq!(
            sources["wharf-db-connstr-dep-output"]["sources"]["dependencies.output"],
            json!({"dependency": "db", "name": "connstr"})
        );
    }
}
