//! `wharf lint`: Porter's manifest rules plus each mixin's findings, with
//! every finding placed in porter.yaml.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::manifest::{self, Manifest, Severity};
use crate::mixin::{Catalog, Level, MixinHost};

/// The code of a declared mixin that cannot be loaded.
pub const MIXIN_MISSING: &str = "mixin-missing";

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LintFinding {
    /// `error`, `warning` or `info`.
    pub level: Level,
    /// A stable code: `manifest` for the manifest's own rules, or the
    /// mixin's code such as `exec-101`.
    pub code: String,
    /// Who found it: `manifest` or the mixin's name.
    pub source: String,
    /// A short title.
    pub title: String,
    /// What is wrong and how to fix it.
    pub message: String,
    /// Where.
    pub location: FindingLocation,
    /// A page about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// Where a finding is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FindingLocation {
    /// The manifest file.
    pub file: PathBuf,
    /// The line, from 1 (0 when unknown).
    pub line: usize,
    /// The column, from 1.
    pub column: usize,
    /// The field path, e.g. `install[0].exec`.
    pub field: String,
}

impl LintFinding {
    /// `porter.yaml:12:5: error exec-101: title: message`.
    pub fn display(&self) -> String {
        let level = match self.level {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Info => "info",
        };
        let place = if self.location.line == 0 {
            self.location.file.display().to_string()
        } else {
            format!(
                "{}:{}:{}",
                self.location.file.display(),
                self.location.line,
                self.location.column
            )
        };
        let field = if self.location.field.is_empty() {
            String::new()
        } else {
            format!("{}: ", self.location.field)
        };
        let url = self
            .url
            .as_deref()
            .map(|u| format!(" (see {u})"))
            .unwrap_or_default();
        format!(
            "{place}: {level} {}: {field}{}{url}",
            self.code, self.message
        )
    }
}

/// What linting a manifest found, with what it learnt on the way that
/// `explain` shows too, so that it need not read and load it all again.
pub struct Linted {
    pub findings: Vec<LintFinding>,
    /// The manifest, when it was read without errors.
    pub manifest: Option<Manifest>,
    /// The declared mixins that could not be loaded (as pinned, or
    /// resolved), by name.
    pub missing_mixins: Vec<String>,
}

/// Lints the manifest at `path`. Never fails: problems reading or parsing
/// it are findings too.
///
/// A manifest with dependencies has them pulled, as Porter's lint does,
/// for the rules that need their bundles (`porter-103` … `porter-111`);
/// one that cannot be pulled is a `porter-105` warning.
pub async fn lint(path: &Path, host: &MixinHost, catalog: &Catalog) -> Vec<LintFinding> {
    let linted = lint_manifest(path, host, catalog).await;
    let mut findings = linted.findings;
    if let Some(manifest) = &linted.manifest {
        findings.extend(dependency_findings(path, manifest).await);
    }
    findings
}

/// The rules about a manifest's dependencies that need their bundles.
async fn dependency_findings(path: &Path, manifest: &Manifest) -> Vec<LintFinding> {
    use crate::dependencies::{Requirement, Resolver, VersionStrategy, rules};
    let Some(dependencies) = manifest
        .dependencies
        .as_ref()
        .filter(|d| !d.requires.is_empty())
    else {
        return Vec::new();
    };
    let v2 = manifest.uses_dependencies_v2();
    let requirements: Vec<Requirement> = dependencies
        .requires
        .iter()
        .map(|d| Requirement::from_manifest(d, v2))
        .collect();
    let registry = crate::oci::registry::Registry::new(Default::default());
    let home = match crate::home::WharfHome::from_env() {
        Ok(home) => home,
        Err(e) => {
            let why = format!("{e:#}");
            return requirements
                .iter()
                .map(|r| rules::unresolved(r, &why))
                .map(|f| located(path, manifest, f))
                .collect();
        }
    };
    let resolver = Resolver {
        registry: &registry,
        home: &home,
        strategy: VersionStrategy::Default,
        max_depth: crate::dependencies::MAX_DEPTH,
    };
    let mut found = Vec::new();
    let mut bundles = std::collections::BTreeMap::new();
    for requirement in &requirements {
        match resolver.pull_one(&manifest.name, requirement).await {
            Ok(bundle) => {
                bundles.insert(requirement.alias.as_str(), bundle);
            }
            Err(e) => found.push(rules::unresolved(requirement, &e.to_string())),
        }
    }
    let by_alias = bundles.iter().map(|(alias, b)| (*alias, b)).collect();
    found.extend(rules::check(&requirements, &by_alias));
    // In the order the dependencies are declared.
    let position = |f: &rules::RuleFinding| {
        requirements
            .iter()
            .position(|r| f.field.split('.').nth(1) == Some(r.alias.as_str()))
    };
    found.sort_by_key(position);
    found
        .into_iter()
        .map(|f| located(path, manifest, f))
        .collect()
}

/// A dependency rule's finding, placed at its requirement in porter.yaml.
fn located(
    path: &Path,
    manifest: &Manifest,
    finding: crate::dependencies::rules::RuleFinding,
) -> LintFinding {
    let alias = finding
        .field
        .strip_prefix("dependencies.")
        .and_then(|rest| rest.split('.').next())
        .unwrap_or_default();
    let span = manifest
        .required_dependencies()
        .find(|d| d.name == alias)
        .map(|d| d.span);
    LintFinding {
        level: finding.level,
        code: finding.code.to_string(),
        source: "manifest".into(),
        title: finding.title.to_string(),
        url: Some(finding.url()),
        location: FindingLocation {
            file: path.to_path_buf(),
            line: span.map_or(0, |s| s.line),
            column: span.map_or(0, |s| s.column),
            field: finding.field,
        },
        message: finding.message,
    }
}

/// [`lint`], keeping the manifest and the mixins it could not load.
pub async fn lint_manifest(path: &Path, host: &MixinHost, catalog: &Catalog) -> Linted {
    let manifest_finding = |d: &manifest::Diagnostic| LintFinding {
        level: match d.severity {
            Severity::Error => Level::Error,
            Severity::Warning => Level::Warning,
        },
        code: "manifest".into(),
        source: "manifest".into(),
        title: "porter.yaml".into(),
        message: d.message.clone(),
        location: FindingLocation {
            file: path.to_path_buf(),
            line: d.line,
            column: d.column,
            field: d.field.clone(),
        },
        url: None,
    };
    // A manifest with errors is still linted as far as it could be read,
    // so that one pass reports every problem: Porter's rules, missing
    // mixins and the mixins' own findings too.
    let (manifest, diagnostics, complete) = match manifest::load(path) {
        Ok((manifest, warnings)) => (Some(manifest), warnings, true),
        Err(e) => (e.partial.map(|m| *m), e.diagnostics, false),
    };
    let mut findings: Vec<LintFinding> = diagnostics.iter().map(manifest_finding).collect();
    let mut missing_mixins = Vec::new();
    if let Some(manifest) = &manifest {
        findings.extend(super::porter_rules::findings(path, manifest));
        findings.extend(grant_findings(path, manifest));
        let (found, missing) = mixin_findings(path, manifest, host, catalog).await;
        findings.extend(found);
        missing_mixins = missing;
    }
    // In the order of the file (porter.yaml's first, then the Dockerfile
    // template's); a finding with no place comes first.
    findings.sort_by_key(|f| (f.location.file != path, f.location.line, f.location.column));
    Linted {
        findings,
        manifest: manifest.filter(|_| complete),
        missing_mixins,
    }
}

/// Every grant, as an info finding at the variable, so a reviewer sees
/// what a bundle lets each mixin read.
fn grant_findings(path: &Path, manifest: &Manifest) -> Vec<LintFinding> {
    manifest
        .mixins
        .iter()
        .flat_map(|m| m.grant.env.iter().map(move |(var, span)| (m, var, span)))
        .map(|(mixin, var, span)| LintFinding {
            level: Level::Info,
            code: "mixin-grant".into(),
            source: "manifest".into(),
            title: "Environment granted to a mixin".into(),
            message: format!(
                "the {} mixin may read ${var} when its steps run",
                mixin.name
            ),
            location: FindingLocation {
                file: path.to_path_buf(),
                line: span.line,
                column: span.column,
                field: format!("mixins.{}.grant.env", mixin.name),
            },
            url: None,
        })
        .collect()
}

/// A grant of a variable the mixin does not declare it reads: an error,
/// since the runtime would not pass it (a 0.1.0 mixin declares nothing and
/// gets what is granted).
fn undeclared_grants(
    mixin: &crate::mixin::LoadedMixin,
    declared: &crate::manifest::MixinDeclaration,
    at: &dyn Fn(usize, usize, String) -> FindingLocation,
) -> Vec<LintFinding> {
    let metadata = mixin.metadata();
    let reads: Vec<&str> = metadata.env.iter().map(|v| v.name.as_str()).collect();
    declared
        .grant
        .env
        .iter()
        .filter(|(var, _)| !metadata.reads_env(var))
        .map(|(var, span)| LintFinding {
            level: Level::Error,
            code: "mixin-grant-undeclared".into(),
            source: "manifest".into(),
            title: "A granted variable the mixin does not read".into(),
            message: format!(
                "the {} mixin does not declare ${var} among the variables it reads ({}), so it \
                 would never see it; remove the grant, or use a version of the mixin that reads it",
                declared.name,
                if reads.is_empty() {
                    "it declares none".to_string()
                } else {
                    format!("it declares {}", reads.join(", "))
                }
            ),
            location: at(
                span.line,
                span.column,
                format!("mixins.{}.grant.env", declared.name),
            ),
            url: None,
        })
        .collect()
}

async fn mixin_findings(
    path: &Path,
    manifest: &Manifest,
    host: &MixinHost,
    catalog: &Catalog,
) -> (Vec<LintFinding>, Vec<String>) {
    let bundle_dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let options = crate::pins::PinOptions::default();
    let pinner = crate::pins::Pinner {
        host,
        catalog,
        home: catalog.home(),
        options: &options,
    };
    let template = manifest
        .dockerfile
        .as_ref()
        .and_then(|file| Some((file, std::fs::read_to_string(bundle_dir.join(file)).ok()?)));
    let escape = template
        .as_ref()
        .map_or('\\', |(_, text)| super::mixin_lines::escape_char(text));
    let mut findings = template
        .map(|(file, text)| template_findings(&bundle_dir.join(file), &text))
        .unwrap_or_default();
    let mut missing = Vec::new();
    for declared in &manifest.mixins {
        let at = |line, column, field: String| FindingLocation {
            file: path.to_path_buf(),
            line,
            column,
            field,
        };
        let mixin = match pinner.load_one(path, declared).await {
            Ok(resolved) => resolved.mixin,
            Err(e) => {
                findings.push(LintFinding {
                    level: Level::Error,
                    code: MIXIN_MISSING.into(),
                    source: "manifest".into(),
                    title: "Mixin not installed".into(),
                    message: format!("{e:#}"),
                    location: at(declared.span.line, declared.span.column, "mixins".into()),
                    url: None,
                });
                missing.push(declared.name.clone());
                continue;
            }
        };
        findings.extend(undeclared_grants(&mixin, declared, &at));
        let input = super::mixin_input(manifest, &declared.name);
        // The Dockerfile lines `wharf build` would refuse; a mixin whose
        // build fails says so when the bundle is built.
        if let Ok(contributions) = mixin.build(&input, Some(bundle_dir)).await
            && let Err(refused) =
                super::contributions::render(&declared.name, &contributions, escape)
        {
            findings.push(LintFinding {
                level: Level::Error,
                code: "mixin-dockerfile-line".into(),
                source: declared.name.clone(),
                title: "The mixin's Dockerfile lines are refused".into(),
                message: refused.to_string(),
                location: at(declared.span.line, declared.span.column, "mixins".into()),
                url: None,
            });
        }
        match mixin.lint(&input, Some(bundle_dir)).await {
            Ok(results) => {
                for f in results {
                    let (line, column, field) = match &f.location {
                        Some(l) => {
                            step_position(manifest, &declared.name, &l.action, l.step_number)
                        }
                        None => (declared.span.line, declared.span.column, "mixins".into()),
                    };
                    findings.push(LintFinding {
                        level: f.level,
                        code: f.code,
                        source: declared.name.clone(),
                        title: f.title,
                        message: f.message,
                        location: at(line, column, field),
                        url: f.url,
                    });
                }
            }
            Err(e) => findings.push(LintFinding {
                level: Level::Error,
                code: "mixin-failed".into(),
                source: declared.name.clone(),
                title: "The mixin could not lint".into(),
                message: e.to_string(),
                location: at(declared.span.line, declared.span.column, "mixins".into()),
                url: None,
            }),
        }
    }
    (findings, missing)
}

/// What the builder a build here would use (see [`super::frontend`])
/// cannot read in the Dockerfile template: warnings for what the build
/// leaves out, errors for what stops it.
fn template_findings(template: &Path, text: &str) -> Vec<LintFinding> {
    super::frontend::adapt(text, super::frontend::Builder::from_env())
        .notes
        .into_iter()
        .map(|note| LintFinding {
            level: if note.refused {
                Level::Error
            } else {
                Level::Warning
            },
            code: "dockerfile-syntax".into(),
            source: "manifest".into(),
            title: "Dockerfile syntax the builder does not read".into(),
            message: note.message,
            location: FindingLocation {
                file: template.to_path_buf(),
                line: note.line,
                column: 1,
                field: String::new(),
            },
            url: None,
        })
        .collect()
}

/// The position of the `number`th (from 1) step of `mixin` in `action`.
fn step_position(
    manifest: &Manifest,
    mixin: &str,
    action: &str,
    number: u32,
) -> (usize, usize, String) {
    let steps = manifest.steps(action).unwrap_or_default();
    steps
        .iter()
        .enumerate()
        .filter(|(_, s)| s.mixin == mixin)
        .nth(number.saturating_sub(1) as usize)
        .map(|(i, s)| (s.span.line, s.span.column, format!("{action}[{i}].{mixin}")))
        .unwrap_or((0, 0, action.to_string()))
}

/// True when any finding is an error.
pub fn has_errors(findings: &[LintFinding]) -> bool {
    findings.iter().any(|f| f.level == Level::Error)
}
