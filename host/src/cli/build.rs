//! `wharf build`, `wharf lint`, `wharf create`, `wharf schema`, `wharf explain`:
//! the bundle author's commands.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Result, bail};
use wharf::build::build_secrets::parse_ssh;
use wharf::build::{BuildOptions, BuildSecret, Builder, lint};
use wharf::explain;
use wharf::manifest::{self, MANIFEST_FILE};
use wharf::scaffold::bundle as create;
use wharf::text::strip_control_sequences;

use super::key_value::{KeyValue, key_value};
use super::mixins::open;
use super::output::{OutputFormat, outln, print_structured, print_table, progress_line};

/// Where the manifest is: `--file`, else porter.yaml in `--dir` or here.
#[derive(Debug, clap::Args)]
pub struct ManifestArgs {
    /// Path to the porter.yaml manifest.
    #[arg(short, long)]
    file: Option<PathBuf>,
    /// The bundle directory (where porter.yaml is).
    #[arg(short, long)]
    dir: Option<PathBuf>,
}

impl ManifestArgs {
    fn path(&self) -> PathBuf {
        match (&self.file, &self.dir) {
            (Some(file), _) => file.clone(),
            (None, Some(dir)) => dir.join(MANIFEST_FILE),
            (None, None) => PathBuf::from(MANIFEST_FILE),
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    #[command(flatten)]
    manifest: ManifestArgs,
    /// Do not use Wharf's up-to-date stamp or Docker's layer cache.
    #[arg(long)]
    no_cache: bool,
    /// A build argument for the Dockerfile, NAME=VALUE (repeatable).
    #[arg(long = "build-arg", value_name = "NAME=VALUE", value_parser = key_value)]
    build_args: Vec<KeyValue>,
    /// Override a `custom` value, KEY.PATH=VALUE (repeatable).
    #[arg(long, value_name = "KEY=VALUE", value_parser = key_value)]
    custom: Vec<KeyValue>,
    /// Build even if lint finds errors.
    #[arg(long)]
    no_lint: bool,
    /// The base image when porter.yaml names no Dockerfile template.
    #[arg(long, value_name = "IMAGE")]
    base_image: Option<String>,
    /// Resolve every mixin again and rewrite wharf.lock.
    #[arg(long)]
    update_lock: bool,
    /// A secret a `RUN --mount=type=secret,id=NAME` step may read,
    /// id=NAME,src=FILE or id=NAME,env=VAR (repeatable). Its bytes reach no
    /// image layer, log or record.
    #[arg(long, value_name = "id=NAME,src=FILE|env=VAR")]
    secret: Vec<BuildSecret>,
    /// Forward the ssh agent at $SSH_AUTH_SOCK to `RUN --mount=type=ssh`
    /// steps: `default`.
    #[arg(long, value_name = "default", value_parser = parse_ssh)]
    ssh: Vec<String>,
    /// The bundle's name, instead of porter.yaml's.
    #[arg(long)]
    name: Option<String>,
    /// The bundle's version, instead of porter.yaml's (which may have
    /// none), as Porter's CI pipelines pass it.
    #[arg(long, value_name = "VERSION")]
    version: Option<String>,
    #[command(flatten)]
    registry: super::distribution::RegistryArgs,
}

pub async fn build(args: BuildArgs) -> Result<ExitCode> {
    let path = args.manifest.path();
    let (host, catalog) = open()?;
    if !args.no_lint {
        let findings = lint::lint(&path, &host, &catalog).await;
        for finding in &findings {
            eprintln!(
                "{}",
                strip_control_sequences(&finding.display().to_string())
            );
        }
        if lint::has_errors(&findings) {
            bail!(
                "lint found errors in {}; fix them, or build anyway with --no-lint",
                path.display()
            );
        }
    }
    let options = BuildOptions {
        manifest: path,
        no_cache: args.no_cache,
        build_args: args
            .build_args
            .into_iter()
            .map(KeyValue::into_pair)
            .collect(),
        custom: args.custom.into_iter().map(KeyValue::into_pair).collect(),
        base_image: args.base_image,
        runtime: None,
        pins: wharf::pins::PinOptions {
            update_lock: args.update_lock,
            registry: args.registry.options(),
        },
        name: args.name,
        version: args.version,
        builder: Builder::from_env(),
        secrets: args.secret,
        ssh: !args.ssh.is_empty(),
    };
    let result = wharf::build::build(&options, &host, &catalog, &mut progress_line).await?;
    if result.up_to_date {
        outln!(
            "The bundle is up to date: {} ({})",
            result.image,
            result.bundle_json.display()
        )?;
    } else {
        outln!("Built {} ({})", result.image, result.image_id)?;
        outln!("Wrote {}", result.bundle_json.display())?;
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, clap::Args)]
pub struct LintArgs {
    #[command(flatten)]
    manifest: ManifestArgs,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    output: OutputFormat,
}

pub async fn lint(args: LintArgs) -> Result<ExitCode> {
    let path = args.manifest.path();
    let (host, catalog) = open()?;
    let findings = lint::lint(&path, &host, &catalog).await;
    if !print_structured(args.output, &findings)? {
        if findings.is_empty() {
            outln!("{} looks good", path.display())?;
        }
        for finding in &findings {
            // Findings quote mixins' messages: no escape sequences.
            outln!(
                "{}",
                strip_control_sequences(&finding.display().to_string())
            )?;
        }
    }
    Ok(if lint::has_errors(&findings) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// The bundle's name; also the directory to create, unless --dir is given.
    name: Option<String>,
    /// The directory to create the bundle in.
    #[arg(short, long)]
    dir: Option<PathBuf>,
}

pub fn create(args: CreateArgs) -> Result<ExitCode> {
    let (dir, name) = match (&args.name, &args.dir) {
        (Some(name), Some(dir)) => (dir.clone(), name.clone()),
        (Some(name), None) => (PathBuf::from(name), name.clone()),
        (None, Some(dir)) => (dir.clone(), dir_name(dir)?),
        (None, None) => (PathBuf::from("."), dir_name(&std::env::current_dir()?)?),
    };
    let files = create::create(&dir, &name)?;
    outln!("Created the {name} bundle in {}:", dir.display())?;
    for file in files {
        outln!("  {}", file.display())?;
    }
    outln!("Next: cd {} && wharf build", dir.display())?;
    Ok(ExitCode::SUCCESS)
}

fn dir_name(dir: &Path) -> Result<String> {
    let name = std::fs::canonicalize(dir)?
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if name.is_empty() {
        bail!(
            "cannot name the bundle after {}; give a name: `wharf create NAME`",
            dir.display()
        );
    }
    Ok(name)
}

#[derive(Debug, clap::Args)]
pub struct SchemaArgs {}

pub async fn schema(_args: SchemaArgs) -> Result<ExitCode> {
    let (host, catalog) = open()?;
    let mut mixins = Vec::new();
    for record in catalog.list(&host).await? {
        let mixin = catalog.load(&host, &record.name).await?;
        mixins.push((record.name.clone(), mixin.schema().await?));
    }
    super::output::print_json(&manifest::schema::manifest_schema(&mixins))?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    #[command(flatten)]
    manifest: ManifestArgs,
    /// Explain a published bundle instead (pulled, and cached by digest).
    #[arg(short, long, value_name = "REF", conflicts_with = "cnab_file")]
    reference: Option<String>,
    /// Explain a bundle.json instead.
    #[arg(long, value_name = "FILE")]
    cnab_file: Option<PathBuf>,
    #[command(flatten)]
    registry: super::distribution::RegistryArgs,
    #[command(flatten)]
    dependencies: super::dependency_tree::DependencyTreeArgs,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t)]
    output: OutputFormat,
}

pub async fn explain(args: ExplainArgs) -> Result<ExitCode> {
    let mut explained = explanation(&args).await?;
    args.dependencies
        .resolve(&args.registry.registry(), &mut explained)
        .await?;
    print_explanation(&args, &explained)
}

/// What `explain` shows, before dependencies are resolved.
async fn explanation(args: &ExplainArgs) -> Result<explain::Explanation> {
    Ok(if args.reference.is_some() || args.cnab_file.is_some() {
        let source = super::bundle_source::BundleSourceArgs {
            cnab_file: args.cnab_file.clone(),
            reference: args.reference.clone(),
            registry: args.registry.clone(),
            ..Default::default()
        };
        let loaded = source.load(&mut progress_line).await?;
        explain::explain_bundle(&loaded.bundle)
    } else {
        let path = args.manifest.path();
        let (host, catalog) = open()?;
        // As Porter's explain of a local bundle, which builds it (lint
        // included) first. A missing mixin is listed below instead: what
        // explain shows does not need it.
        let linted = lint::lint_manifest(&path, &host, &catalog).await;
        let blocking: Vec<_> = linted
            .findings
            .iter()
            .filter(|f| f.level == wharf::mixin::Level::Error && f.code != lint::MIXIN_MISSING)
            .collect();
        if !blocking.is_empty() {
            for finding in &blocking {
                eprintln!("{}", strip_control_sequences(&finding.display()));
            }
            bail!(
                "{} does not lint; fix the errors above (`wharf lint` lists them all)",
                path.display()
            );
        }
        let Some(manifest) = linted.manifest else {
            bail!(
                "{} could not be read; `wharf lint` says why",
                path.display()
            );
        };
        explain::explain(&manifest, linted.missing_mixins)
    })
}

fn print_explanation(args: &ExplainArgs, explained: &explain::Explanation) -> Result<ExitCode> {
    if print_structured(args.output, explained)? {
        return Ok(ExitCode::SUCCESS);
    }
    outln!("Name: {}", explained.name)?;
    outln!("Description: {}", explained.description)?;
    outln!("Version: {}", explained.version)?;
    let section = |title: &str, empty: bool| -> Result<bool> {
        outln!()?;
        outln!("{title}:")?;
        if empty {
            outln!("No {} defined", title.to_lowercase())?;
        }
        Ok(!empty)
    };
    if section("Credentials", explained.credentials.is_empty())? {
        let rows: Vec<Vec<String>> = explained
            .credentials
            .iter()
            .map(|c| {
                vec![
                    c.name.clone(),
                    c.description.clone(),
                    c.required.to_string(),
                    c.apply_to.clone(),
                ]
            })
            .collect();
        print_table(&["Name", "Description", "Required", "Applies To"], &rows)?;
    }
    if section("Parameters", explained.parameters.is_empty())? {
        let rows: Vec<Vec<String>> = explained
            .parameters
            .iter()
            .map(|p| {
                let default = match (&p.default, p.sensitive) {
                    (Some(_), true) => "******".into(),
                    (Some(v), false) => v.as_str().map_or_else(|| v.to_string(), str::to_string),
                    (None, _) => String::new(),
                };
                vec![
                    p.name.clone(),
                    p.description.clone(),
                    p.type_name.clone(),
                    default,
                    p.required.to_string(),
                    p.apply_to.clone(),
                ]
            })
            .collect();
        print_table(
            &[
                "Name",
                "Description",
                "Type",
                "Default",
                "Required",
                "Applies To",
            ],
            &rows,
        )?;
    }
    if section("Outputs", explained.outputs.is_empty())? {
        let rows: Vec<Vec<String>> = explained
            .outputs
            .iter()
            .map(|o| {
                vec![
                    o.name.clone(),
                    o.description.clone(),
                    o.type_name.clone(),
                    o.apply_to.clone(),
                ]
            })
            .collect();
        print_table(&["Name", "Description", "Type", "Applies To"], &rows)?;
    }
    if section("Actions", explained.custom_actions.is_empty())? {
        let rows: Vec<Vec<String>> = explained
            .custom_actions
            .iter()
            .map(|a| {
                vec![
                    a.name.clone(),
                    a.description.clone(),
                    a.modifies.to_string(),
                    a.stateless.to_string(),
                ]
            })
            .collect();
        print_table(
            &["Name", "Description", "Modifies Installation", "Stateless"],
            &rows,
        )?;
    }
    super::dependency_tree::print(&explained.dependencies)?;
    outln!(
        "\nThis bundle uses the following tools: {}.",
        explained.mixins.join(", ")
    )?;
    if !explained.missing_mixins.is_empty() {
        outln!(
            "Not installed here: {}; install them before `wharf build`.",
            explained.missing_mixins.join(", ")
        )?;
    }
    for (mixin, vars) in &explained.granted_env {
        outln!(
            "The {mixin} mixin is granted the environment variables {}.",
            vars.join(", ")
        )?;
    }
    if explained.docker_host_access {
        outln!(
            "\nThis bundle uses Docker on the host: run it with --allow-docker-host-access, \
             which gives its container the host's Docker daemon (and with it, the host)."
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
