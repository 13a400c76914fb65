//! `wharf install|upgrade|invoke|uninstall`: the operator's commands, with
//! Porter v1's flags.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use wharf::cnab::{Bundle, is_file_definition};
use wharf::dependencies::{Chain, Resolver, VersionStrategy, requirements_of};
use wharf::home::WharfHome;
use wharf::manifest::MANIFEST_FILE;
use wharf::mixin::{OutputSink, TerminalSink};
use wharf::operation::{
    Cancel, DeleteAfter, ExecuteOptions, OperationRequest, Outcome, dry_run, execute,
    prepare_in_home,
};
use wharf::store::{InstallationKey, InstallationStore};

use super::bundle_source::{BundleSourceArgs, LoadedBundle};
use super::key_value::{KeyValue, key_value};
use super::output::progress_line;

/// Where a run goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum DriverName {
    /// Run the invocation image in a container of the local Docker Engine.
    #[default]
    Docker,
    /// Print what would run, and run nothing.
    Debug,
}

impl DriverName {
    /// The name [`wharf::drivers::lookup`] knows it by.
    fn as_str(self) -> &'static str {
        match self {
            DriverName::Docker => wharf::drivers::DOCKER,
            DriverName::Debug => wharf::drivers::DEBUG,
        }
    }
}

/// The flags every action takes.
#[derive(Debug, clap::Args)]
pub struct ActionArgs {
    /// The installation's name; defaults to the bundle's name.
    installation: Option<String>,
    #[command(flatten)]
    bundle: BundleSourceArgs,
    /// The installation's namespace (empty: the global one).
    #[arg(short, long, default_value = "")]
    namespace: String,
    /// A parameter value, NAME=VALUE; NAME=@FILE reads the value from a file (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = key_value)]
    params: Vec<KeyValue>,
    /// A parameter set by name, or a set file (repeatable; later ones win).
    #[arg(short = 'p', long = "parameter-set", value_name = "NAME")]
    parameter_sets: Vec<String>,
    /// A credential set by name, or a set file (repeatable; later ones win).
    #[arg(
        short = 'c',
        long = "credential-set",
        alias = "cred",
        value_name = "NAME"
    )]
    credential_sets: Vec<String>,
    /// A label for the installation, KEY=VALUE (repeatable).
    #[arg(short, long = "label", value_name = "KEY=VALUE", value_parser = key_value)]
    labels: Vec<KeyValue>,
    /// Run even when Wharf would refuse (a second install, an upgrade of an
    /// installation that is not installed).
    #[arg(long)]
    force: bool,
    /// Do not keep the run's logs in the installation records.
    #[arg(long)]
    no_logs: bool,
    /// Give the bundle the host's Docker daemon (bundles with `required: docker`).
    #[arg(long)]
    allow_docker_host_access: bool,
    /// Where to run the bundle.
    #[arg(short, long, value_enum, default_value_t)]
    driver: DriverName,
    /// How a dependency's version is chosen among its repository's tags:
    /// exact, max-patch, max-minor or min (default: the highest in range,
    /// or the referenced tag).
    #[arg(long, value_name = "STRATEGY")]
    dependencies_version_strategy: Option<VersionStrategy>,
    /// How deep dependencies may nest before the run is refused.
    #[arg(long, value_name = "LEVELS", default_value_t = wharf::dependencies::MAX_DEPTH)]
    max_dependency_depth: usize,
}

#[derive(Debug, clap::Args)]
pub struct InstallArgs {
    #[command(flatten)]
    common: ActionArgs,
}

#[derive(Debug, clap::Args)]
pub struct InvokeArgs {
    /// The custom action to run.
    #[arg(long)]
    action: String,
    #[command(flatten)]
    common: ActionArgs,
}

#[derive(Debug, clap::Args)]
pub struct UninstallArgs {
    /// Delete the installation's records once it is uninstalled.
    #[arg(long)]
    delete: bool,
    /// Delete the installation's records even if the uninstall fails.
    #[arg(long, conflicts_with = "delete")]
    force_delete: bool,
    #[command(flatten)]
    common: ActionArgs,
}

pub async fn install(args: InstallArgs) -> Result<ExitCode> {
    run_action("install", args.common, DeleteAfter::Never).await
}

pub async fn upgrade(args: ActionArgs) -> Result<ExitCode> {
    run_action("upgrade", args, DeleteAfter::Never).await
}

pub async fn invoke(args: InvokeArgs) -> Result<ExitCode> {
    run_action(&args.action, args.common, DeleteAfter::Never).await
}

pub async fn uninstall(args: UninstallArgs) -> Result<ExitCode> {
    let delete = if args.force_delete {
        DeleteAfter::Always
    } else if args.delete {
        DeleteAfter::OnSuccess
    } else {
        DeleteAfter::Never
    };
    run_action("uninstall", args.common, delete).await
}

async fn run_action(action: &str, args: ActionArgs, delete_after: DeleteAfter) -> Result<ExitCode> {
    let home = WharfHome::from_env()?;
    let store: Arc<dyn InstallationStore> =
        Arc::new(wharf::store::open(&home).context("cannot open the installation records")?);
    let loaded = load_bundle(action, &args, store.as_ref()).await?;
    if let Some(registry) = &loaded.registry
        && args.driver == DriverName::Docker
    {
        pull_images(registry, &loaded.bundle).await?;
    }
    let name = args
        .installation
        .clone()
        .unwrap_or_else(|| loaded.bundle.name.clone());
    let request = OperationRequest {
        key: InstallationKey::new(&args.namespace, name),
        action: action.to_string(),
        params: read_params(&args.params, &loaded.bundle)?,
        parameter_sets: non_empty(&args.parameter_sets),
        credential_sets: non_empty(&args.credential_sets),
        labels: args
            .labels
            .iter()
            .cloned()
            .map(KeyValue::into_pair)
            .collect(),
        force: args.force,
        allow_docker_host_access: args.allow_docker_host_access,
        bundle: loaded.bundle.clone(),
        bundle_json: loaded.json.clone(),
        bundle_info: loaded.info.clone(),
        dependencies: Default::default(),
    };
    let options = ExecuteOptions {
        no_logs: args.no_logs,
        delete_after,
    };
    if args.driver == DriverName::Docker && !requirements_of(&request.bundle)?.is_empty() {
        let registry = loaded
            .registry
            .clone()
            .unwrap_or_else(|| args.bundle.registry.registry());
        return run_chain(&home, store, request, registry, &args, options).await;
    }
    // Prepared before Docker is called: a refusal costs nothing.
    let prepared = prepare_in_home(&home, store.clone(), request).await?;
    let driver = wharf::drivers::lookup(args.driver.as_str()).await?;
    let terminal = TerminalSink::default();
    if driver.is_dry_run() {
        let mut show = |stream, bytes: &[u8]| terminal.output(driver.name(), stream, bytes);
        dry_run(driver.as_ref(), &prepared, &mut show).await?;
        return Ok(ExitCode::SUCCESS);
    }
    let key = prepared.request.key.clone();
    eprintln!(
        "{action} of installation {key} with bundle {} {}",
        prepared.request.bundle.name, prepared.request.bundle.version
    );
    let outcome = execute(
        store,
        driver.as_ref(),
        prepared,
        Arc::new(terminal),
        options,
        Cancel::on_interrupt(),
    )
    .await?;
    report(action, &key, &outcome)
}

/// Runs the action on the bundle and its dependencies: resolved from the
/// registry for install and upgrade, from their records otherwise.
async fn run_chain(
    home: &WharfHome,
    store: Arc<dyn InstallationStore>,
    request: OperationRequest,
    registry: wharf::oci::registry::Registry,
    args: &ActionArgs,
    options: ExecuteOptions,
) -> Result<ExitCode> {
    let action = request.action.clone();
    let key = request.key.clone();
    // The root is checked before the registry or Docker is called (the
    // chain prepares it again, with its dependencies' outputs).
    let root = prepare_in_home(home, store.clone(), request).await?;
    let request = &root.request;
    let resolved = if matches!(action.as_str(), "install" | "upgrade") {
        let resolver = Resolver {
            registry: &registry,
            home,
            strategy: args.dependencies_version_strategy.unwrap_or_default(),
            max_depth: args.max_dependency_depth,
        };
        let tree = resolver.resolve(&request.bundle).await?;
        check_dependency_rules(&tree)?;
        say_docker_access(&tree, args.allow_docker_host_access)?;
        Some(tree)
    } else {
        None
    };
    eprintln!(
        "{action} of installation {key} with bundle {} {} and its dependencies",
        request.bundle.name, request.bundle.version
    );
    let driver = wharf::drivers::lookup(args.driver.as_str()).await?;
    let pull_from = registry.clone();
    let chain = Chain {
        home,
        store,
        driver: driver.as_ref(),
        sink: Arc::new(TerminalSink::default()),
        options,
        cancel: &Cancel::on_interrupt,
        ensure_images: &move |bundle| {
            let registry = pull_from.clone();
            Box::pin(async move { pull_images(&registry, &bundle).await })
        },
    };
    let outcome = chain.run(root, resolved).await?;
    for step in &outcome.dependencies {
        let how = match &step.outcome {
            Some(ran) => format!("{} ({}, run {})", step.action, ran.status, ran.run_id),
            None => step.action.clone(),
        };
        eprintln!(
            "  dependency {}: installation {}: {how}",
            step.alias, step.installation
        );
    }
    report(&action, &key, &outcome.root)
}

/// Porter's rules on the resolved tree: warnings are shown, errors stop the
/// run before anything in it changes.
fn check_dependency_rules(tree: &[wharf::dependencies::ResolvedDependency]) -> Result<()> {
    let findings = wharf::dependencies::rules::check_tree(tree);
    let (errors, warnings): (Vec<_>, Vec<_>) = findings
        .iter()
        .partition(|f| f.level == wharf::mixin::Level::Error);
    for warning in &warnings {
        eprintln!("{}", warning.display());
    }
    if !errors.is_empty() {
        let list: Vec<String> = errors
            .iter()
            .map(|f| format!("  - {}", f.display()))
            .collect();
        bail!(
            "the bundle's dependencies do not fit what it passes them; nothing was run:\n{}",
            list.join("\n")
        );
    }
    Ok(())
}

/// A dependency that drives the host's Docker gets it only with the
/// parent's --allow-docker-host-access, and the operator is told which.
fn say_docker_access(
    tree: &[wharf::dependencies::ResolvedDependency],
    allowed: bool,
) -> Result<()> {
    for dependency in tree {
        if wharf::operation::invocation::requires_docker(&dependency.bundle) {
            if !allowed {
                bail!(
                    "the dependency {} ({}) requires Docker on the host (`required: docker`), \
                     which gives it control of this machine's Docker daemon; pass \
                     --allow-docker-host-access if you trust it. Nothing was run",
                    dependency.requirement.alias,
                    dependency.reference
                );
            }
            eprintln!(
                "the dependency {} ({}) gets this machine's Docker daemon \
                 (--allow-docker-host-access)",
                dependency.requirement.alias, dependency.reference
            );
        }
        say_docker_access(&dependency.dependencies, allowed)?;
    }
    Ok(())
}

/// Says how the run ended: an error for a failed one, the outputs of a
/// successful one.
fn report(action: &str, key: &InstallationKey, outcome: &Outcome) -> Result<ExitCode> {
    if !outcome.succeeded() {
        bail!(
            "{}; installation {key}, run {}. `wharf logs show -i {}` shows its log",
            outcome.message,
            outcome.run_id,
            key.name
        );
    }
    eprintln!(
        "{action} of installation {key} succeeded (run {})",
        outcome.run_id
    );
    if outcome.deleted {
        eprintln!("deleted the records of installation {key}");
    } else if !outcome.outputs.is_empty() {
        let names: Vec<&str> = outcome
            .outputs
            .iter()
            .map(String::as_str)
            .filter(|n| !n.starts_with(wharf::sets::INTERNAL_PREFIX))
            .collect();
        if !names.is_empty() {
            eprintln!(
                "outputs: {}; `wharf installations outputs list {}` shows them",
                names.join(", "),
                key.name
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The bundle named by the flags; without any, the porter.yaml here, and
/// for an existing installation without one, the bundle it last ran.
async fn load_bundle(
    action: &str,
    args: &ActionArgs,
    store: &dyn InstallationStore,
) -> Result<LoadedBundle> {
    let mut progress = progress_line;
    if args.bundle.is_given() || action == "install" || Path::new(MANIFEST_FILE).exists() {
        return args.bundle.load(&mut progress).await;
    }
    let Some(name) = &args.installation else {
        bail!(
            "name the installation (`wharf {action} NAME`), or run this where its porter.yaml \
             is, or pass --file, --cnab-file or --reference"
        );
    };
    let key = InstallationKey::new(&args.namespace, name);
    let installation = store.installation(&key)?;
    let bundle = Bundle::from_slice(installation.bundle_json.as_bytes()).with_context(|| {
        format!(
            "the bundle recorded for installation {key} cannot be read; pass --file or --cnab-file"
        )
    })?;
    Ok(LoadedBundle {
        bundle,
        json: installation.bundle_json.clone(),
        info: installation.bundle.clone(),
        registry: None,
    })
}

/// Pulls a published bundle's invocation image into Docker, by digest.
async fn pull_images(registry: &wharf::oci::registry::Registry, bundle: &Bundle) -> Result<()> {
    let docker = wharf::build::image::connect().await?;
    for image in &bundle.invocation_images {
        wharf::oci::docker_images::ensure_pulled(&docker, registry, &image.image).await?;
    }
    Ok(())
}

/// `--param` values as bytes: `@FILE` is read, and so is the value of a
/// file parameter, which Porter takes as a path.
fn read_params(flags: &[KeyValue], bundle: &Bundle) -> Result<Vec<(String, Vec<u8>)>> {
    let mut params = Vec::new();
    for KeyValue { key: name, value } in flags {
        let is_file = bundle
            .parameter_definition(name)
            .is_some_and(is_file_definition);
        let path = match value.strip_prefix('@') {
            Some(path) => Some(PathBuf::from(path)),
            None if is_file => Some(PathBuf::from(value)),
            None => None,
        };
        let bytes = match path {
            Some(path) => std::fs::read(&path).with_context(|| {
                format!("--param {name}: cannot read the file {}", path.display())
            })?,
            None => value.as_bytes().to_vec(),
        };
        params.push((name.to_string(), bytes));
    }
    Ok(params)
}

fn non_empty(names: &[String]) -> Option<Vec<String>> {
    (!names.is_empty()).then(|| names.to_vec())
}
