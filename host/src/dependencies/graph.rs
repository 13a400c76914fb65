//! Resolving what a bundle requires into pulled bundles, all the way down,
//! before anything runs: a range with no matching tag, a cycle, a tree
//! deeper than [`MAX_DEPTH`] or a bundle that misses its interface is an
//! error while nothing has changed yet.

use std::future::Future;
use std::pin::Pin;

use super::DependencyError;
use super::requirement::{Requirement, requirements_of};
use super::version::{VersionStrategy, choose_tag, parse_ranges};
use crate::cnab::Bundle;
use crate::home::WharfHome;
use crate::oci::bundles;
use crate::oci::registry::Registry;
use crate::store::BundleInfo;

/// How deep dependencies may nest: a root's dependency is at depth 1.
/// Deeper trees are refused before anything runs; real ones are one or two
/// levels deep, and a deeper one is more likely a mistake than a design.
pub const MAX_DEPTH: usize = 8;

/// A requirement with the bundle chosen for it, and that bundle's own.
#[derive(Debug, Clone)]
pub struct ResolvedDependency {
    pub requirement: Requirement,
    /// The reference pulled, with the chosen tag.
    pub reference: String,
    pub bundle: Bundle,
    /// The bundle.json recorded with its installation.
    pub json: String,
    pub info: BundleInfo,
    pub dependencies: Vec<ResolvedDependency>,
}

/// Pulls dependencies from a registry.
pub struct Resolver<'a> {
    pub registry: &'a Registry,
    pub home: &'a WharfHome,
    pub strategy: VersionStrategy,
    pub max_depth: usize,
}

type Resolving<'f> =
    Pin<Box<dyn Future<Output = Result<Vec<ResolvedDependency>, DependencyError>> + Send + 'f>>;

impl Resolver<'_> {
    /// Resolves everything `root` requires, in run order at each level.
    pub async fn resolve(&self, root: &Bundle) -> Result<Vec<ResolvedDependency>, DependencyError> {
        self.level(requirements_of(root)?, vec![root.name.clone()])
            .await
    }

    /// Resolves `requirements` of the bundle named `parent` (a manifest not
    /// built yet, for `explain`).
    pub async fn resolve_requirements(
        &self,
        parent: &str,
        requirements: Vec<Requirement>,
    ) -> Result<Vec<ResolvedDependency>, DependencyError> {
        self.level(requirements, vec![parent.to_string()]).await
    }

    fn level(&self, requirements: Vec<Requirement>, chain: Vec<String>) -> Resolving<'_> {
        Box::pin(async move {
            let parent = chain.last().cloned().unwrap_or_default();
            if !requirements.is_empty() && chain.len() > self.max_depth {
                return Err(DependencyError::TooDeep {
                    chain: chain.join(" → "),
                    limit: self.max_depth,
                });
            }
            let mut resolved = Vec::new();
            for requirement in requirements {
                let (reference, pulled) = self.pull(&parent, &requirement).await?;
                let name = pulled.bundle.name.clone();
                if let Some(at) = chain.iter().position(|n| *n == name) {
                    let mut cycle = chain[at..].to_vec();
                    cycle.push(name);
                    return Err(DependencyError::Cycle {
                        chain: cycle.join(" → "),
                    });
                }
                check_interface(&requirement, &pulled.bundle)?;
                let mut deeper = chain.clone();
                deeper.push(name);
                let dependencies = self.level(requirements_of(&pulled.bundle)?, deeper).await?;
                let json = pulled
                    .bundle
                    .to_value()
                    .map(|v| v.to_string())
                    .map_err(|e| DependencyError::Pull {
                        alias: requirement.alias.clone(),
                        reference: reference.clone(),
                        why: e.to_string(),
                    })?;
                resolved.push(ResolvedDependency {
                    info: BundleInfo {
                        reference: reference.clone(),
                        name: pulled.bundle.name.clone(),
                        version: pulled.bundle.version.clone(),
                        digest: pulled.digest().to_string(),
                    },
                    requirement,
                    reference,
                    bundle: pulled.bundle,
                    json,
                    dependencies,
                });
            }
            Ok(resolved)
        })
    }

    /// Resolves and pulls one requirement of `parent`, without its own
    /// dependencies (what `wharf lint` checks).
    pub async fn pull_one(
        &self,
        parent: &str,
        requirement: &Requirement,
    ) -> Result<Bundle, DependencyError> {
        let (_, pulled) = self.pull(parent, requirement).await?;
        Ok(pulled.bundle)
    }

    /// Chooses the requirement's tag and pulls the bundle there.
    async fn pull(
        &self,
        parent: &str,
        requirement: &Requirement,
    ) -> Result<(String, bundles::RemoteBundle), DependencyError> {
        let alias = &requirement.alias;
        let fail = |reference: &str, why: String| DependencyError::Pull {
            alias: alias.clone(),
            reference: reference.to_string(),
            why,
        };
        let text = requirement.reference.as_str();
        let parsed = Registry::parse_reference(text).map_err(|e| fail(text, e.to_string()))?;
        let tag = explicit_tag(text);
        let pinned = parsed.digest().is_some();
        // A reference without a range is used as written (no tag means
        // `latest`, as Docker and Porter read it), unless a strategy asks
        // to look for another version.
        let needs_tags = !pinned
            && (!requirement.ranges.is_empty()
                || !matches!(
                    self.strategy,
                    VersionStrategy::Default | VersionStrategy::Exact
                ));
        let reference = if needs_tags {
            let reqs = parse_ranges(&requirement.ranges).map_err(|why| fail(text, why))?;
            let tags = self
                .registry
                .list_tags(&parsed)
                .await
                .map_err(|e| fail(text, e.to_string()))?;
            let Some(chosen) =
                choose_tag(&tags, &reqs, requirement.prereleases, tag, self.strategy)
            else {
                return Err(DependencyError::NoVersion {
                    parent: parent.to_string(),
                    alias: alias.clone(),
                    reference: text.to_string(),
                    ranges: requirement.ranges.join(" || "),
                    strategy: self.strategy,
                    tags: tags.join(", "),
                });
            };
            format!("{}/{}:{chosen}", parsed.registry(), parsed.repository())
        } else {
            parsed.whole()
        };
        let at =
            Registry::parse_reference(&reference).map_err(|e| fail(&reference, e.to_string()))?;
        let pulled = bundles::pull(self.registry, self.home, &at)
            .await
            .map_err(|e| fail(&reference, format!("{e:#}")))?;
        Ok((reference, pulled))
    }
}

/// The tag a reference names itself, if it does (`reg/db:v1` → `v1`;
/// `reg:5000/db` → none).
pub fn explicit_tag(reference: &str) -> Option<&str> {
    let last = reference.rsplit('/').next()?;
    let last = last.split('@').next()?;
    last.split_once(':').map(|(_, tag)| tag)
}

/// A bundle chosen for a requirement with an interface must offer it: the
/// id it says it provides, and the document's parameters, credentials and
/// outputs.
fn check_interface(requirement: &Requirement, bundle: &Bundle) -> Result<(), DependencyError> {
    let Some(interface) = &requirement.interface else {
        return Ok(());
    };
    let mut missing = Vec::new();
    if let Some(id) = &interface.id {
        let provided = [
            crate::cnab::contract::DEPENDENCIES_V2_EXTENSION,
            crate::cnab::contract::DEPENDENCIES_EXTENSION,
        ]
        .into_iter()
        .find_map(|key| {
            bundle
                .custom
                .get(key)?
                .get("provides")?
                .get("interface")?
                .get("id")?
                .as_str()
        });
        if provided.is_some_and(|p| p != id) {
            missing.push(format!(
                "the interface id {id:?} (it provides {provided:?})"
            ));
        }
    }
    if let Some(document) = &interface.document {
        let has = |kind: &str, name: &str| match kind {
            "parameters" => bundle.parameters.contains_key(name),
            "credentials" => bundle.credentials.contains_key(name),
            _ => bundle.outputs.contains_key(name),
        };
        for kind in ["parameters", "credentials", "outputs"] {
            let names = document
                .get(kind)
                .and_then(serde_json::Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|item| item.get("name")?.as_str());
            for name in names {
                if !has(kind, name) {
                    missing.push(format!("the {kind} entry {name:?}"));
                }
            }
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(DependencyError::Interface {
            alias: requirement.alias.clone(),
            bundle: format!("{} {}", bundle.name, bundle.version),
            missing: missing.join(", "),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dependencies::requirement::Interface;
    use serde_json::json;

    #[test]
    fn explicit_tags_are_told_from_ports_and_digests() {
        assert_eq!(explicit_tag("localhost:5000/db:v1.0.0"), Some("v1.0.0"));
        assert_eq!(explicit_tag("localhost:5000/db"), None);
        assert_eq!(explicit_tag("localhost:5000/db@sha256:ab"), None);
        assert_eq!(explicit_tag("db"), None);
    }

    #[test]
    fn an_interface_lists_what_the_bundle_lacks() {
        let bundle: Bundle = serde_json::from_value(json!({
            "name": "mysql", "version": "1.0.0",
            "outputs": {"host": {"definition": "s", "path": "/cnab/app/outputs/host"}},
            "definitions": {"s": {"type": "string"}},
            "custom": {"org.getporter.dependencies@v2": {"requires": {}, "provides": {"interface": {"id": "mysql"}}}}
        }))
        .unwrap();
        let mut requirement = Requirement {
            alias: "db".into(),
            interface: Some(Interface {
                id: Some("mysql".into()),
                reference: None,
                document: Some(json!({"outputs": [{"name": "host"}]})),
            }),
            ..Requirement::default()
        };
        check_interface(&requirement, &bundle).unwrap();
        requirement.interface = Some(Interface {
            id: Some("postgres".into()),
            reference: None,
            document: Some(json!({"outputs": [{"name": "port"}], "credentials": [{"name": "pw"}]})),
        });
        let err = check_interface(&requirement, &bundle)
            .unwrap_err()
            .to_string();
        for needle in ["postgres", "\"port\"", "\"pw\"", "mysql 1.0.0"] {
            assert!(err.contains(needle), "{needle}: {err}");
        }
    }
}
