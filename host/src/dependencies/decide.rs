//! What a run chain does to each dependency, and what it hands on: the
//! decisions, apart from the running, so each reads on its own.

use std::collections::BTreeMap;

use anyhow::{Result, anyhow};

use super::requirement::Requirement;
use super::wiring::WiringScope;
use super::{DEPENDENCY_LABEL_PREFIX, DependencyError};
use crate::cnab::{Bundle, is_core_action};
use crate::operation::{DependencyOutput, DependencyOutputs, OperationRequest, PreparedRun};
use crate::store::{Installation, InstallationKey};

/// The installations of `parent`'s dependencies, from its labels, in
/// alias order: (alias, installation).
pub fn dependencies_of(parent: &Installation) -> Vec<(String, InstallationKey)> {
    parent
        .labels
        .iter()
        .filter_map(|(key, value)| {
            let alias = key.strip_prefix(DEPENDENCY_LABEL_PREFIX)?;
            Some((
                alias.to_string(),
                InstallationKey::new(&parent.namespace, value),
            ))
        })
        .collect()
}

/// What a forward action does to a dependency.
pub(super) enum ForwardAction {
    Run(String),
    Reuse,
    Skip(String),
}

impl ForwardAction {
    pub(super) fn describe(&self) -> String {
        match self {
            ForwardAction::Run(action) => action.clone(),
            ForwardAction::Reuse => "reused: it is installed already".to_string(),
            ForwardAction::Skip(why) => format!("skipped: {why}"),
        }
    }
}

/// Install reuses an installed dependency (unless forced); upgrade
/// upgrades it, or installs one added since, and leaves a shared one to
/// its group; a custom action runs where the dependency has it.
pub(super) fn forward_action(
    parent: &OperationRequest,
    requirement: &Requirement,
    bundle: &Bundle,
    existing: Option<&Installation>,
) -> ForwardAction {
    let installed = existing.is_some_and(Installation::is_installed);
    let shared = requirement.sharing_group.is_some();
    match parent.action.as_str() {
        "install" if installed && (shared || !parent.force) => ForwardAction::Reuse,
        "install" => ForwardAction::Run("install".into()),
        "upgrade" if installed && shared => ForwardAction::Reuse,
        "upgrade" if installed => ForwardAction::Run("upgrade".into()),
        "upgrade" => ForwardAction::Run("install".into()),
        action if !is_core_action(action) && !bundle.actions.contains_key(action) => {
            ForwardAction::Skip(format!("its bundle has no action {action}"))
        }
        _ if !installed => ForwardAction::Skip("it is not installed".into()),
        action => ForwardAction::Run(action.to_string()),
    }
}

/// `<parent>-<alias>`, or `<group>-<alias>` for a shared dependency, in
/// the parent's namespace.
pub(super) fn installation_key(
    parent: &InstallationKey,
    requirement: &Requirement,
) -> InstallationKey {
    let owner = requirement.sharing_group.as_deref().unwrap_or(&parent.name);
    InstallationKey::new(&parent.namespace, format!("{owner}-{}", requirement.alias))
}

/// A dependency's outputs as the parent sees them: its own, and those its
/// `outputs` wiring makes from them.
pub(super) fn map_outputs(
    parent: &PreparedRun,
    requirement: &Requirement,
    siblings: &DependencyOutputs,
    own: &BTreeMap<String, DependencyOutput>,
) -> Result<BTreeMap<String, DependencyOutput>> {
    let scope = WiringScope {
        parent,
        siblings,
        own_outputs: Some(own),
    };
    let mut outputs = own.clone();
    for (name, template) in &requirement.outputs {
        let wired = scope.render(template).map_err(|why| {
            anyhow!(DependencyError::Wiring {
                alias: requirement.alias.clone(),
                why: format!("output {name}: {why}"),
            })
        })?;
        outputs.insert(
            name.clone(),
            DependencyOutput {
                value: wired.text.into_bytes(),
                sensitive: wired.sensitive,
            },
        );
    }
    Ok(outputs)
}

/// The root's labels: the operator's (or, without any, the ones it had),
/// with one per dependency.
pub(super) fn merged_labels(
    request: &OperationRequest,
    existing: Option<&Installation>,
    dependencies: BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut labels = match existing {
        Some(existing) if request.labels.is_empty() => existing.labels.clone(),
        _ => request.labels.clone(),
    };
    labels.retain(|k, _| !k.starts_with(DEPENDENCY_LABEL_PREFIX));
    labels.extend(dependencies);
    labels
}
