//! `--show-dependencies` and `--max-dependency-depth` of `explain` and
//! `inspect`: each dependency with the bundle it resolves to today, and
//! that bundle's own dependencies.

use anyhow::Result;
use wharf::dependencies::{Requirement, ResolvedDependency, Resolver};
use wharf::explain::{ExplainedDependency, Explanation, ResolvedBundle};
use wharf::home::WharfHome;
use wharf::oci::registry::Registry;

use super::output::{outln, print_table};

/// The flags.
#[derive(Debug, Clone, clap::Args)]
pub struct DependencyTreeArgs {
    /// Resolve each dependency in its registry and show the version it
    /// gets today, and its own dependencies.
    #[arg(long)]
    show_dependencies: bool,
    /// How many levels of dependencies `--show-dependencies` follows.
    #[arg(long, value_name = "LEVELS", default_value_t = wharf::dependencies::MAX_DEPTH)]
    max_dependency_depth: usize,
}

impl DependencyTreeArgs {
    /// With `--show-dependencies`, fills in what each dependency of
    /// `explained` resolves to, `--max-dependency-depth` levels down.
    pub async fn resolve(&self, registry: &Registry, explained: &mut Explanation) -> Result<()> {
        if !self.show_dependencies || explained.dependencies.is_empty() {
            return Ok(());
        }
        let home = WharfHome::from_env()?;
        let resolver = Resolver {
            registry,
            home: &home,
            strategy: Default::default(),
            max_depth: self.max_dependency_depth,
        };
        let requirements: Vec<Requirement> = explained
            .dependencies
            .iter()
            .map(|d| Requirement {
                alias: d.alias.clone(),
                reference: d.reference.clone(),
                ranges: d.version.iter().cloned().collect(),
                ..Requirement::default()
            })
            .collect();
        let tree = resolver
            .resolve_requirements(&explained.name, requirements)
            .await?;
        for (dependency, resolved) in explained.dependencies.iter_mut().zip(&tree) {
            let sharing_group = dependency.sharing_group.take();
            *dependency = shown(resolved);
            dependency.sharing_group = sharing_group;
        }
        Ok(())
    }
}

fn shown(resolved: &ResolvedDependency) -> ExplainedDependency {
    let mut dependency = ExplainedDependency::of(&resolved.requirement);
    dependency.resolved = Some(ResolvedBundle {
        reference: resolved.reference.clone(),
        name: resolved.bundle.name.clone(),
        version: resolved.bundle.version.clone(),
        digest: resolved.info.digest.clone(),
    });
    dependency.dependencies = resolved.dependencies.iter().map(shown).collect();
    dependency
}

/// The dependencies table, nested ones indented under their parent.
pub fn print(dependencies: &[ExplainedDependency]) -> Result<()> {
    if dependencies.is_empty() {
        return Ok(());
    }
    outln!("\nDependencies:")?;
    let mut rows = Vec::new();
    rows_of(dependencies, 0, &mut rows);
    print_table(&["Alias", "Reference", "Version", "Resolved"], &rows)
}

fn rows_of(dependencies: &[ExplainedDependency], depth: usize, rows: &mut Vec<Vec<String>>) {
    for d in dependencies {
        let resolved = d
            .resolved
            .as_ref()
            .map(|r| format!("{} {}", r.name, r.version))
            .unwrap_or_default();
        rows.push(vec![
            format!("{}{}", "  ".repeat(depth), d.alias),
            d.reference.clone(),
            d.version.clone().unwrap_or_default(),
            resolved,
        ]);
        rows_of(&d.dependencies, depth + 1, rows);
    }
}
