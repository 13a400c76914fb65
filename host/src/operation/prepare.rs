//! Everything decided before a container starts: whether the action may
//! run on the installation, and every parameter and credential value.
//!
//! Preparing writes nothing, so a refused run leaves no record, and every
//! problem found is reported together.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{Context, Result, anyhow};

use super::credentials::{CredentialValue, resolve_credentials};
use super::invocation::requires_docker;
use super::parameters::{
    DependencyOutputs, ParameterSources, ParameterValue, PreviousValues, resolve_parameters,
};
use crate::cnab::{Bundle, is_core_action};
use crate::sets::{
    ResolveContext, ResolvedValue, SetKind, SetStore, SourceKind, load_set, resolve,
};
use crate::store::{BundleInfo, Installation, InstallationKey, InstallationStore, StoreError};

/// What the operator asked for.
#[derive(Debug, Clone, Default)]
pub struct OperationRequest {
    pub key: InstallationKey,
    /// `install`, `upgrade`, `uninstall` or a custom action.
    pub action: String,
    pub bundle: Bundle,
    /// The bundle.json text, recorded with the installation.
    pub bundle_json: String,
    pub bundle_info: BundleInfo,
    /// `--param NAME=VALUE`, `@FILE` already read.
    pub params: Vec<(String, Vec<u8>)>,
    /// Parameter sets by name (or file path); `None` reuses the
    /// installation's, as Porter does.
    pub parameter_sets: Option<Vec<String>>,
    /// Credential sets by name (or file path); `None` reuses the
    /// installation's.
    pub credential_sets: Option<Vec<String>>,
    pub labels: BTreeMap<String, String>,
    /// Run even where Wharf would refuse: a second install, an upgrade of
    /// an installation that is not installed.
    pub force: bool,
    pub allow_docker_host_access: bool,
    /// What a parent passes a dependency run: wired credentials, which win
    /// over sets; parameters made from secrets; and, once the
    /// dependencies of this bundle have run, their outputs and bundles.
    pub dependencies: DependencyInputs,
}

/// What dependencies add to a run; empty for a bundle without them.
#[derive(Debug, Clone, Default)]
pub struct DependencyInputs {
    /// Credential values wired by the parent (dependencies v2).
    pub wired_credentials: Vec<(String, Vec<u8>)>,
    /// Parameters whose value the parent made from a secret.
    pub sensitive_parameters: BTreeSet<String>,
    /// The outputs of this bundle's dependencies; `None` before they ran.
    pub outputs: Option<DependencyOutputs>,
    /// Each dependency's bundle.json by alias, for
    /// `/cnab/app/dependencies/<alias>/bundle.json` in the run.
    pub bundles: Vec<(String, String)>,
}

/// A run that may start.
#[derive(Debug, Clone)]
pub struct PreparedRun {
    pub request: OperationRequest,
    /// The installation as it was, if it exists.
    pub existing: Option<Installation>,
    pub parameter_sets: Vec<String>,
    pub credential_sets: Vec<String>,
    pub parameters: BTreeMap<String, ParameterValue>,
    pub credentials: BTreeMap<String, CredentialValue>,
    /// Values for the dependencies, by alias: parameter set entries and
    /// `--param` values named `<alias>#<name>`, in that order (a later one
    /// wins).
    pub dependency_parameters: BTreeMap<String, Vec<(String, Vec<u8>)>>,
}

/// Where preparation looks things up.
pub struct PrepareContext<'a> {
    pub store: &'a dyn InstallationStore,
    pub sets: &'a SetStore,
    /// How set sources are resolved (environment, secrets, directory).
    pub resolve: ResolveContext<'a>,
}

/// Checks the request and resolves its values; writes nothing.
pub fn prepare(context: &PrepareContext<'_>, request: OperationRequest) -> Result<PreparedRun> {
    let key = &request.key;
    let action = request.action.as_str();
    let existing = match context.store.installation(key) {
        Ok(installation) => Some(installation),
        Err(StoreError::InstallationNotFound(_)) => None,
        Err(e) => return Err(e).context("cannot read the installation records"),
    };
    check_action(&request, existing.as_ref())?;

    let mut problems = Vec::new();
    let parameter_sets = request.parameter_sets.clone().unwrap_or_else(|| {
        existing
            .as_ref()
            .map(|i| i.parameter_sets.clone())
            .unwrap_or_default()
    });
    let credential_sets = request.credential_sets.clone().unwrap_or_else(|| {
        existing
            .as_ref()
            .map(|i| i.credential_sets.clone())
            .unwrap_or_default()
    });
    let parameter_values = resolve_sets(
        context,
        SetKind::Parameter,
        &key.namespace,
        &parameter_sets,
        &mut problems,
    );
    let mut credential_values = resolve_sets(
        context,
        SetKind::Credential,
        &key.namespace,
        &credential_sets,
        &mut problems,
    );
    let dependency_parameters = dependency_parameters(&request.params, &parameter_values);
    if !request.dependencies.wired_credentials.is_empty() {
        let wired = request
            .dependencies
            .wired_credentials
            .iter()
            .map(|(name, bytes)| {
                let value = ResolvedValue::new(bytes.clone(), SourceKind::Value);
                (name.clone(), value)
            })
            .collect();
        credential_values.push(("the parent bundle's wiring".to_string(), wired));
    }
    let sources = ParameterSources {
        flags: request.params.clone(),
        sets: parameter_values,
        previous: existing
            .as_ref()
            .map(|installation| previous_values(context.store, installation, &request.bundle))
            .transpose()?,
        outputs: match &existing {
            Some(installation) => installation_outputs(context.store, &installation.key())?,
            None => BTreeMap::new(),
        },
        dependency_outputs: request.dependencies.outputs.clone(),
        sensitive: request.dependencies.sensitive_parameters.clone(),
    };
    let parameters = resolve_parameters(&request.bundle, action, &sources, &mut problems);
    let credentials =
        resolve_credentials(&request.bundle, action, &credential_values, &mut problems);
    if requires_docker(&request.bundle) && !request.allow_docker_host_access {
        problems.push(
            "the bundle requires Docker (`required: docker`), which gives it control of this \
             machine's Docker daemon; pass --allow-docker-host-access if you trust it"
                .to_string(),
        );
    }
    if !problems.is_empty() {
        let list: Vec<String> = problems.iter().map(|p| format!("  - {p}")).collect();
        return Err(anyhow!(
            "cannot {action} {}; nothing was run:\n{}",
            describe(key),
            list.join("\n")
        ));
    }
    Ok(PreparedRun {
        request,
        existing,
        parameter_sets,
        credential_sets,
        parameters,
        credentials,
        dependency_parameters,
    })
}

/// The values named `<alias>#<name>`: from the parameter sets first, then
/// from `--param`, so a flag wins.
fn dependency_parameters(
    flags: &[(String, Vec<u8>)],
    sets: &[(String, BTreeMap<String, ResolvedValue>)],
) -> BTreeMap<String, Vec<(String, Vec<u8>)>> {
    let mut values: BTreeMap<String, Vec<(String, Vec<u8>)>> = BTreeMap::new();
    let from_sets = sets
        .iter()
        .flat_map(|(_, entries)| entries.iter().map(|(k, v)| (k, v.as_bytes())));
    let from_flags = flags.iter().map(|(k, v)| (k, v.as_slice()));
    for (key, bytes) in from_sets.chain(from_flags) {
        if let Some((alias, name)) = key.split_once('#') {
            values
                .entry(alias.to_string())
                .or_default()
                .push((name.to_string(), bytes.to_vec()));
        }
    }
    values
}

/// `installation NAME` or `installation NAMESPACE/NAME`.
fn describe(key: &InstallationKey) -> String {
    format!("installation {key}")
}

/// Whether `action` may run on the installation as it stands.
fn check_action(request: &OperationRequest, existing: Option<&Installation>) -> Result<()> {
    let action = request.action.as_str();
    let key = &request.key;
    let bundle = &request.bundle;
    if !is_core_action(action) && !bundle.actions.contains_key(action) {
        let known: Vec<&str> = bundle.actions.keys().map(String::as_str).collect();
        let list = if known.is_empty() {
            "it has no custom actions".to_string()
        } else {
            format!("its custom actions are {}", known.join(", "))
        };
        return Err(anyhow!(
            "the bundle {} has no action `{action}`; {list}",
            bundle.name
        ));
    }
    let flag_hint = "pass --force to run it anyway";
    match (action, existing) {
        ("install", Some(installation)) if installation.is_installed() && !request.force => {
            Err(anyhow!(
                "{} is already installed; to change it use `wharf upgrade {}`, or pass --force \
                 to install it again",
                describe(key),
                key.name
            ))
        }
        ("install", _) => Ok(()),
        (_, None) => Err(anyhow!(
            "{} does not exist; install it first with `wharf install {}`, or see \
             `wharf installations list`",
            describe(key),
            key.name
        )),
        ("uninstall", Some(installation)) if installation.is_uninstalled() && !request.force => {
            Err(anyhow!(
                "{} is already uninstalled; {flag_hint}",
                describe(key)
            ))
        }
        ("uninstall", Some(_)) => Ok(()),
        (_, Some(installation)) if !installation.is_installed() && !request.force => Err(anyhow!(
            "{} is not installed (its last install did not succeed, or it was uninstalled); \
             install it with `wharf install {}`, or {flag_hint}",
            describe(key),
            key.name
        )),
        _ => Ok(()),
    }
}

/// Loads and resolves each set: a name in the installation's namespace
/// (falling back to the global one), or a set file's path.
fn resolve_sets(
    context: &PrepareContext<'_>,
    kind: SetKind,
    namespace: &str,
    names: &[String],
    problems: &mut Vec<String>,
) -> Vec<(String, BTreeMap<String, ResolvedValue>)> {
    let mut resolved = Vec::new();
    for name in names {
        let document = if Path::new(name).is_file() {
            load_set(Path::new(name), Some(kind)).map_err(|e| e.to_string())
        } else {
            context
                .sets
                .find(kind, namespace, name)
                .map_err(|e| e.to_string())
        };
        let document = match document {
            Ok(document) => document,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        match resolve(&document, &context.resolve) {
            Ok(values) => resolved.push((name.clone(), values)),
            Err(e) => problems.push(e.to_string()),
        }
    }
    resolved
}

/// The latest recorded value of each of the bundle's parameters, across
/// the installation's runs, with the bundle those runs used.
fn previous_values(
    store: &dyn InstallationStore,
    installation: &Installation,
    bundle: &Bundle,
) -> Result<PreviousValues> {
    let runs = store
        .list_runs(&installation.key())
        .context("cannot read the installation's runs")?;
    let mut values = BTreeMap::new();
    for run in runs {
        if bundle.parameters.keys().all(|n| values.contains_key(n)) {
            break;
        }
        let wanted = run
            .run
            .parameters
            .iter()
            .any(|(name, _)| !values.contains_key(name));
        if !wanted {
            continue;
        }
        let resolved = store
            .resolve_parameters(&run.run.id)
            .with_context(|| format!("cannot read the parameters of run {}", run.run.id))?;
        for (name, value) in resolved {
            values.entry(name).or_insert(value);
        }
    }
    let previous_bundle =
        Bundle::from_slice(installation.bundle_json.as_bytes()).unwrap_or_else(|_| bundle.clone());
    Ok(PreviousValues {
        values,
        bundle: previous_bundle,
    })
}

/// The latest value of each of the installation's outputs, sensitive ones
/// included (a parameter may be fed from one).
fn installation_outputs(
    store: &dyn InstallationStore,
    key: &InstallationKey,
) -> Result<BTreeMap<String, Vec<u8>>> {
    let outputs = store
        .list_outputs(key, true)
        .context("cannot read the installation's outputs")?;
    Ok(outputs
        .into_iter()
        .filter_map(|o| Some((o.name, o.value?.0)))
        .collect())
}

/// [`prepare`] against the sets and secrets of `home` and this process's
/// environment, off the async workers (sets may run commands).
pub async fn prepare_in_home(
    home: &crate::home::WharfHome,
    store: std::sync::Arc<dyn InstallationStore>,
    request: OperationRequest,
) -> Result<PreparedRun> {
    let home = home.clone();
    tokio::task::spawn_blocking(move || {
        let sets = SetStore::new(&home);
        let secrets = crate::secrets::NamedSecrets::new(&home);
        let lookup = |key: &str| -> anyhow::Result<Option<Vec<u8>>> {
            Ok(secrets.get(key)?.map(|v| v.expose().to_vec()))
        };
        let context = PrepareContext {
            store: store.as_ref(),
            sets: &sets,
            resolve: ResolveContext::from_process(&lookup),
        };
        prepare(&context, request)
    })
    .await
    .context("the preparation worker stopped")?
}
