//! Running an action on a bundle and its dependencies, in Porter's order.
//!
//! For install, upgrade and custom actions each dependency runs first, in
//! order, as its own installation, and the root runs last with their
//! outputs. For uninstall the root runs first, then its dependencies in
//! reverse. Every run is recorded on its own installation, so `runs list`
//! of `app-db` shows what the chain did to it.
//!
//! The root is prepared before any dependency runs, so a refusal (a
//! missing credential, a second install) changes nothing. A dependency
//! that fails stops the chain: the root does not run, and its installation
//! records a failed run that names the dependency. A rerun continues where
//! the chain stopped: an install reuses a dependency that is installed
//! already, without running it again.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use anyhow::{Context, Result};

use super::decide::{
    ForwardAction, dependencies_of, forward_action, installation_key, map_outputs, merged_labels,
};
use super::graph::ResolvedDependency;
use super::requirement::{Requirement, requirements_of};
use super::wiring::WiringScope;
use super::{DEPENDENCY_LABEL_PREFIX, DependencyError, PARENT_LABEL, SHARING_GROUP_LABEL};
use crate::cnab::Bundle;
use crate::drivers::Driver;
use crate::home::WharfHome;
use crate::mixin::{LogLevel, OutputSink};
use crate::operation::{
    Cancel, DependencyOutput, DependencyOutputs, ExecuteOptions, OperationRequest, Outcome,
    PreparedRun, execute, prepare_in_home, record_not_run,
};
use crate::store::{
    Installation, InstallationKey, InstallationQuery, InstallationStore, StoreError,
};

/// What runs the chain, shared by every run in it.
pub struct Chain<'a> {
    pub home: &'a WharfHome,
    pub store: Arc<dyn InstallationStore>,
    pub driver: &'a dyn Driver,
    pub sink: Arc<dyn OutputSink>,
    /// Applied to every run; `delete_after` too, so `uninstall --delete`
    /// deletes the dependencies it uninstalls.
    pub options: ExecuteOptions,
    /// A fresh cancel for each run (Ctrl-C stops the run it lands in).
    pub cancel: &'a (dyn Fn() -> Cancel + Send + Sync),
    /// Makes a dependency's images present before it runs.
    pub ensure_images:
        &'a (dyn Fn(Bundle) -> Pin<Box<dyn Future<Output = Result<()>> + Send>> + Send + Sync),
}

/// What happened to each dependency, and to the root.
#[derive(Debug, Clone)]
pub struct ChainOutcome {
    pub dependencies: Vec<DependencyStep>,
    /// The root's run; a failed one names the dependency that stopped it.
    pub root: Outcome,
}

/// One dependency in a chain.
#[derive(Debug, Clone)]
pub struct DependencyStep {
    pub alias: String,
    pub installation: InstallationKey,
    /// What the chain did: `install`, `reused`, `skipped: why`...
    pub action: String,
    /// Its run, when one ran.
    pub outcome: Option<Outcome>,
}

/// A dependency as the chain runs it: from a registry (install, upgrade)
/// or from its installation's records (custom actions, uninstall).
struct Planned {
    requirement: Requirement,
    bundle: Bundle,
    json: String,
    info: crate::store::BundleInfo,
    /// `None`: read from the records when it runs.
    resolved_children: Option<Vec<ResolvedDependency>>,
}

type Running<'f> = Pin<Box<dyn Future<Output = Result<ChainOutcome>> + Send + 'f>>;

impl Chain<'_> {
    /// Runs the root with its bundle's dependencies. `root` is the root
    /// as the caller prepared it (to refuse it before anything else);
    /// `resolved` is the resolved tree for install and upgrade; custom
    /// actions and uninstall use what the dependencies' installations
    /// recorded.
    pub async fn run(
        &self,
        root: PreparedRun,
        resolved: Option<Vec<ResolvedDependency>>,
    ) -> Result<ChainOutcome> {
        let request = root.request.clone();
        self.node(request, Some(root), resolved).await
    }

    /// One bundle and its dependencies; `prepared` is the bundle prepared
    /// without its dependencies' outputs, when the caller has it.
    fn node(
        &self,
        request: OperationRequest,
        prepared: Option<PreparedRun>,
        resolved: Option<Vec<ResolvedDependency>>,
    ) -> Running<'_> {
        Box::pin(async move {
            let planned = match resolved {
                Some(tree) => tree.into_iter().map(Planned::from_resolved).collect(),
                None => self.recorded_dependencies(&request).await?,
            };
            if request.action == "uninstall" {
                return self.uninstall(request, planned).await;
            }
            let parent = match prepared {
                Some(parent) => parent,
                None => prepare_in_home(self.home, self.store.clone(), request).await?,
            };
            self.forward(parent, planned).await
        })
    }

    /// Install, upgrade or a custom action: dependencies, then the root.
    async fn forward(&self, parent: PreparedRun, planned: Vec<Planned>) -> Result<ChainOutcome> {
        let mut outputs = DependencyOutputs::new();
        let mut steps = Vec::new();
        let mut labels = BTreeMap::new();
        let mut bundles = Vec::new();
        for dep in &planned {
            let alias = dep.requirement.alias.clone();
            let key = installation_key(&parent.request.key, &dep.requirement);
            let existing = self.installation(&key).await?;
            let action = forward_action(
                &parent.request,
                &dep.requirement,
                &dep.bundle,
                existing.as_ref(),
            );
            let mut step = DependencyStep {
                alias: alias.clone(),
                installation: key.clone(),
                action: action.describe(),
                outcome: None,
            };
            if let ForwardAction::Run(action) = &action {
                self.say(&format!(
                    "{action} of dependency {alias} (installation {key})"
                ));
                // A dependency that is refused (its values do not fit, its
                // image cannot be pulled) stops the chain as one that fails.
                let failure = match self
                    .run_dependency(&parent, dep, &key, action, &outputs)
                    .await
                {
                    Err(e) => Some(format!(
                        "the dependency {alias} (installation {key}) could not run: {e:#}"
                    )),
                    Ok(ran) => {
                        steps.extend(ran.dependencies);
                        let failed = (!ran.root.succeeded()).then(|| {
                            format!(
                                "the dependency {alias} (installation {key}) failed: {}",
                                ran.root.message
                            )
                        });
                        step.outcome = Some(ran.root);
                        failed
                    }
                };
                if let Some(message) = failure {
                    steps.push(step);
                    let root = record_not_run(self.store.clone(), &parent, message).await?;
                    return Ok(ChainOutcome {
                        dependencies: steps,
                        root,
                    });
                }
            } else {
                self.say(&format!(
                    "dependency {alias} (installation {key}): {}",
                    step.action
                ));
            }
            // It has an installation if it had one, or if it just ran.
            let installed = existing.is_some() || matches!(action, ForwardAction::Run(_));
            steps.push(step);
            if installed {
                let own = self.outputs_of(&key).await?;
                let mapped = map_outputs(&parent, &dep.requirement, &outputs, &own)?;
                outputs.insert(alias.clone(), mapped);
                labels.insert(
                    format!("{DEPENDENCY_LABEL_PREFIX}{alias}"),
                    key.name.clone(),
                );
                bundles.push((alias, dep.json.clone()));
            }
        }
        let mut request = parent.request;
        request.labels = merged_labels(&request, parent.existing.as_ref(), labels);
        request.dependencies.outputs = Some(outputs);
        request.dependencies.bundles = bundles;
        let prepared = prepare_in_home(self.home, self.store.clone(), request).await?;
        let root = self.execute(prepared).await?;
        Ok(ChainOutcome {
            dependencies: steps,
            root,
        })
    }

    /// Uninstall: the root, then its dependencies in reverse order.
    async fn uninstall(
        &self,
        request: OperationRequest,
        planned: Vec<Planned>,
    ) -> Result<ChainOutcome> {
        let mut outputs = DependencyOutputs::new();
        let mut bundles = Vec::new();
        for dep in &planned {
            let key = installation_key(&request.key, &dep.requirement);
            outputs.insert(dep.requirement.alias.clone(), self.outputs_of(&key).await?);
            bundles.push((dep.requirement.alias.clone(), dep.json.clone()));
        }
        let mut request = request;
        request.dependencies.outputs = Some(outputs);
        request.dependencies.bundles = bundles;
        let parent = prepare_in_home(self.home, self.store.clone(), request).await?;
        let parent_key = parent.request.key.clone();
        let (force, docker) = (
            parent.request.force,
            parent.request.allow_docker_host_access,
        );
        let root = self.execute(parent).await?;
        let mut steps = Vec::new();
        if !root.succeeded() {
            return Ok(ChainOutcome {
                dependencies: steps,
                root,
            });
        }
        for dep in planned.iter().rev() {
            let alias = &dep.requirement.alias;
            let key = installation_key(&parent_key, &dep.requirement);
            let mut step = DependencyStep {
                alias: alias.clone(),
                installation: key.clone(),
                action: "uninstall".into(),
                outcome: None,
            };
            let users = self.other_users(&key, &parent_key).await?;
            if let Some(user) = users.first() {
                step.action = format!("kept: installation {user} still uses it");
            }
            if step.action == "uninstall" {
                self.say(&format!(
                    "uninstall of dependency {alias} (installation {key})"
                ));
                let dep_request = OperationRequest {
                    key: key.clone(),
                    action: "uninstall".into(),
                    bundle: dep.bundle.clone(),
                    bundle_json: dep.json.clone(),
                    bundle_info: dep.info.clone(),
                    force,
                    allow_docker_host_access: docker,
                    ..OperationRequest::default()
                };
                let ran = self.node(dep_request, None, None).await?;
                steps.extend(ran.dependencies);
                let failed = !ran.root.succeeded();
                let message = ran.root.message.clone();
                step.outcome = Some(ran.root);
                steps.push(step);
                if failed {
                    let mut root = root;
                    root.status = crate::store::Status::Failed;
                    root.message = format!(
                        "the bundle was uninstalled, but its dependency {alias} (installation \
                         {key}) failed to uninstall: {message}"
                    );
                    return Ok(ChainOutcome {
                        dependencies: steps,
                        root,
                    });
                }
            } else {
                self.say(&format!(
                    "dependency {alias} (installation {key}): {}",
                    step.action
                ));
                steps.push(step);
            }
        }
        Ok(ChainOutcome {
            dependencies: steps,
            root,
        })
    }

    /// Runs one dependency (and its own dependencies) with the values the
    /// parent wires into it.
    async fn run_dependency(
        &self,
        parent: &PreparedRun,
        dep: &Planned,
        key: &InstallationKey,
        action: &str,
        siblings: &DependencyOutputs,
    ) -> Result<ChainOutcome> {
        let request = self.dependency_request(parent, dep, key, action, siblings)?;
        (self.ensure_images)(dep.bundle.clone()).await?;
        self.node(request, None, dep.resolved_children.clone())
            .await
    }

    /// A dependency's request: its values wired from the parent.
    fn dependency_request(
        &self,
        parent: &PreparedRun,
        dep: &Planned,
        key: &InstallationKey,
        action: &str,
        siblings: &DependencyOutputs,
    ) -> Result<OperationRequest> {
        let requirement = &dep.requirement;
        let wiring_error = |why: String| DependencyError::Wiring {
            alias: requirement.alias.clone(),
            why,
        };
        let scope = WiringScope {
            parent,
            siblings,
            own_outputs: None,
        };
        let mut params = Vec::new();
        let mut dependencies = crate::operation::DependencyInputs::default();
        for (name, value) in &requirement.parameters {
            let wired = if requirement.templated {
                scope
                    .render(value)
                    .map_err(|why| wiring_error(format!("parameter {name}: {why}")))?
            } else {
                super::wiring::Wired {
                    text: value.clone(),
                    sensitive: false,
                }
            };
            if wired.sensitive {
                dependencies.sensitive_parameters.insert(name.clone());
            }
            params.push((name.clone(), wired.text.into_bytes()));
        }
        params.extend(
            parent
                .dependency_parameters
                .get(&requirement.alias)
                .cloned()
                .unwrap_or_default(),
        );
        for (name, value) in &requirement.credentials {
            let wired = scope
                .render(value)
                .map_err(|why| wiring_error(format!("credential {name}: {why}")))?;
            dependencies
                .wired_credentials
                .push((name.clone(), wired.text.into_bytes()));
        }
        let mut labels =
            BTreeMap::from([(PARENT_LABEL.to_string(), parent.request.key.to_string())]);
        if let Some(group) = &requirement.sharing_group {
            labels.insert(SHARING_GROUP_LABEL.to_string(), group.clone());
        }
        Ok(OperationRequest {
            key: key.clone(),
            action: action.to_string(),
            bundle: dep.bundle.clone(),
            bundle_json: dep.json.clone(),
            bundle_info: dep.info.clone(),
            params,
            parameter_sets: None,
            credential_sets: Some(parent.credential_sets.clone()),
            labels,
            force: parent.request.force,
            allow_docker_host_access: parent.request.allow_docker_host_access,
            dependencies,
        })
    }

    /// The dependencies of `request`'s bundle as their installations
    /// recorded them; one never installed is left out.
    async fn recorded_dependencies(&self, request: &OperationRequest) -> Result<Vec<Planned>> {
        let mut planned = Vec::new();
        for requirement in requirements_of(&request.bundle)? {
            let key = installation_key(&request.key, &requirement);
            let Some(installation) = self.installation(&key).await? else {
                continue;
            };
            let bundle =
                Bundle::from_slice(installation.bundle_json.as_bytes()).with_context(|| {
                    format!(
                        "the bundle recorded for the dependency installation {key} cannot be read"
                    )
                })?;
            planned.push(Planned {
                requirement,
                bundle,
                json: installation.bundle_json.clone(),
                info: installation.bundle.clone(),
                resolved_children: None,
            });
        }
        Ok(planned)
    }

    async fn execute(&self, prepared: PreparedRun) -> Result<Outcome> {
        execute(
            self.store.clone(),
            self.driver,
            prepared,
            self.sink.clone(),
            self.options,
            (self.cancel)(),
        )
        .await
    }

    async fn installation(&self, key: &InstallationKey) -> Result<Option<Installation>> {
        let key = key.clone();
        self.blocking(move |store| match store.installation(&key) {
            Ok(installation) => Ok(Some(installation)),
            Err(StoreError::InstallationNotFound(_)) => Ok(None),
            Err(e) => Err(e),
        })
        .await
    }

    /// The latest value of each of the installation's outputs.
    async fn outputs_of(
        &self,
        key: &InstallationKey,
    ) -> Result<BTreeMap<String, DependencyOutput>> {
        let key = key.clone();
        let records = self
            .blocking(move |store| match store.list_outputs(&key, true) {
                Err(StoreError::InstallationNotFound(_)) => Ok(Vec::new()),
                other => other,
            })
            .await?;
        Ok(records
            .into_iter()
            .filter_map(|o| {
                let value = o.value?.0;
                Some((
                    o.name,
                    DependencyOutput {
                        value,
                        sensitive: o.sensitive,
                    },
                ))
            })
            .collect())
    }

    /// The installed installations other than `parent` that use the
    /// dependency installation `key`.
    async fn other_users(
        &self,
        key: &InstallationKey,
        parent: &InstallationKey,
    ) -> Result<Vec<String>> {
        let (key, parent) = (key.clone(), parent.clone());
        self.blocking(move |store| {
            let mut users = Vec::new();
            let query = InstallationQuery::in_namespace(Some(&key.namespace));
            store.each_installation(&query, &mut |installation| {
                let uses = dependencies_of(installation).iter().any(|(_, k)| *k == key);
                if uses && installation.key() != parent && installation.is_installed() {
                    users.push(installation.key().to_string());
                }
                true
            })?;
            Ok(users)
        })
        .await
    }

    async fn blocking<T: Send + 'static>(
        &self,
        call: impl FnOnce(&dyn InstallationStore) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T> {
        let store = self.store.clone();
        let result = tokio::task::spawn_blocking(move || call(store.as_ref()))
            .await
            .context("the installation store's worker stopped")?;
        result.context("cannot read the installation records")
    }

    fn say(&self, message: &str) {
        self.sink.log("wharf", LogLevel::Info, message);
    }
}

impl Planned {
    fn from_resolved(resolved: ResolvedDependency) -> Self {
        Self {
            requirement: resolved.requirement,
            bundle: resolved.bundle,
            json: resolved.json,
            info: resolved.info,
            resolved_children: Some(resolved.dependencies),
        }
    }
}
