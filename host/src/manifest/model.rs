//! The porter.yaml model: every field of Porter v1's manifest.
//!
//! Values that Wharf passes through to JSON Schema or to mixins untouched
//! (parameter schemas, custom data, mixin config, step bodies) are kept as
//! JSON; everything Wharf itself acts on is typed.

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::grants::MixinGrant;
use super::yaml::{Node, Span};

/// Which template delimiters a manifest uses, decided by `schemaVersion`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateSyntax {
    /// `{{ bundle.parameters.x }}`: no schemaVersion, or 1.0.0-alpha.1.
    Mustache,
    /// `${ bundle.parameters.x }`: 1.0.0 and later.
    Dollar,
}

/// A parsed porter.yaml.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// `schemaType`, normally `Bundle`.
    pub schema_type: Option<String>,
    /// `schemaVersion` as written, if given.
    pub schema_version: Option<String>,
    /// The template delimiters in effect.
    pub template_syntax: TemplateSyntax,
    /// The bundle name.
    pub name: String,
    /// The bundle version, a leading `v` removed. `None` when porter.yaml
    /// has none: Porter lints such a manifest and takes the version from
    /// `build --version`, as bundles' CI pipelines do.
    pub version: Option<semver::Version>,
    /// A description.
    pub description: Option<String>,
    /// Maintainers.
    pub maintainers: Vec<Maintainer>,
    /// The registry to publish to (`registry: localhost:5000/myorg`).
    pub registry: Option<String>,
    /// A full reference to publish to, instead of registry + name + tag.
    pub reference: Option<String>,
    /// A Dockerfile template, relative to the manifest.
    pub dockerfile: Option<String>,
    /// Free-form data for `bundle.custom`.
    pub custom: Map<String, Value>,
    /// Required extensions (`docker`, `io.cnab.docker`, ...).
    pub required: Vec<RequiredExtension>,
    /// The mixins the bundle uses, in order.
    pub mixins: Vec<MixinDeclaration>,
    /// `install`.
    pub install: Vec<Step>,
    /// `upgrade`.
    pub upgrade: Vec<Step>,
    /// `uninstall`.
    pub uninstall: Vec<Step>,
    /// Custom actions given as top-level keys, in order.
    pub custom_actions: IndexMap<String, Vec<Step>>,
    /// `customActions`: declarations of custom actions.
    pub custom_action_definitions: IndexMap<String, CustomActionDefinition>,
    /// `parameters`.
    pub parameters: Vec<ParameterDefinition>,
    /// `credentials`.
    pub credentials: Vec<CredentialDefinition>,
    /// `outputs`.
    pub outputs: Vec<OutputDefinition>,
    /// `state`: files kept between runs.
    pub state: Vec<StateVariable>,
    /// `images`: images the bundle uses, by alias.
    pub images: IndexMap<String, MappedImage>,
    /// `files` (schema 1.3.0): files downloaded into the bundle at build.
    pub files: Vec<FileSource>,
    /// `dependencies`.
    pub dependencies: Option<Dependencies>,
    /// Where the top-level keys are, for later diagnostics.
    pub spans: IndexMap<String, Span>,
}

impl Manifest {
    /// Every action with its steps: install, upgrade, uninstall, then
    /// custom actions in manifest order.
    pub fn actions(&self) -> Vec<(&str, &[Step])> {
        let mut actions: Vec<(&str, &[Step])> = vec![
            ("install", &self.install),
            ("upgrade", &self.upgrade),
            ("uninstall", &self.uninstall),
        ];
        actions.extend(
            self.custom_actions
                .iter()
                .map(|(name, steps)| (name.as_str(), steps.as_slice())),
        );
        actions
    }

    /// The steps of `action`, if the manifest defines it.
    pub fn steps(&self, action: &str) -> Option<&[Step]> {
        match action {
            "install" => Some(&self.install),
            "upgrade" => Some(&self.upgrade),
            "uninstall" => Some(&self.uninstall),
            other => self.custom_actions.get(other).map(Vec::as_slice),
        }
    }

    /// Whether its dependencies are Porter's v2 (schema 1.1.0 and later):
    /// wired with templates, shareable, written to
    /// `org.getporter.dependencies@v2`.
    pub fn uses_dependencies_v2(&self) -> bool {
        let version = self.schema_version.as_deref().unwrap_or("");
        let mut parts = version.split('.').map(|p| p.parse::<u64>().unwrap_or(0));
        let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
        (major, minor) >= (1, 1)
    }

    /// The bundles it requires (`dependencies.requires`), in order.
    pub fn required_dependencies(&self) -> impl Iterator<Item = &Dependency> {
        self.dependencies.iter().flat_map(|d| &d.requires)
    }

    /// The declaration of mixin `name`.
    pub fn mixin(&self, name: &str) -> Option<&MixinDeclaration> {
        self.mixins.iter().find(|m| m.name == name)
    }

    /// Whether the bundle requires the docker extension.
    pub fn requires_docker(&self) -> bool {
        self.required
            .iter()
            .any(|r| r.name == "docker" || r.name == DOCKER_EXTENSION)
    }

    /// The default reference: registry/name:v<version>, or `reference`.
    pub fn default_reference(&self) -> Option<String> {
        if let Some(reference) = &self.reference {
            return Some(reference.clone());
        }
        let registry = self.registry.as_deref()?.trim_end_matches('/');
        let version = self.version.as_ref()?;
        Some(format!("{registry}/{}:v{version}", self.name))
    }
}

/// The CNAB extension key for Docker access.
pub use crate::cnab::contract::DOCKER_EXTENSION;

/// A maintainer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Maintainer {
    /// Name.
    pub name: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// URL.
    pub url: Option<String>,
}

/// A required extension and its configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct RequiredExtension {
    /// `docker`, or any extension key.
    pub name: String,
    /// Its configuration (`docker: {privileged: true}`).
    pub config: Option<Value>,
}

/// A `mixins:` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct MixinDeclaration {
    /// The mixin's name.
    pub name: String,
    /// A version or range (`exec@1.2.0`, `helm3@^1`), or an OCI reference or
    /// digest, if given.
    pub constraint: Option<String>,
    /// The mixin's configuration.
    pub config: Option<Value>,
    /// What the bundle grants it beyond its sandbox (`grant:`).
    pub grant: MixinGrant,
    /// Where it is declared.
    pub span: Span,
}

/// One step: a single-key map from a mixin name to the step body.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The mixin that runs it.
    pub mixin: String,
    /// The body as written, scalars unrendered, for the runtime to render
    /// just in time.
    pub body: Node,
    /// `description`, if it has one.
    pub description: Option<String>,
    /// Where the step starts.
    pub span: Span,
}

impl Step {
    /// The body as JSON, templates unrendered: what `build` and `lint` get.
    pub fn body_json(&self) -> Value {
        self.body.to_json()
    }
}

/// A `customActions` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomActionDefinition {
    /// What the action does.
    pub description: Option<String>,
    /// Whether it changes the installation (default true).
    pub modifies: bool,
    /// Whether it needs no installation to exist.
    pub stateless: bool,
}

/// Where a parameter's value comes from when not given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterSource {
    /// A dependency whose output supplies it.
    pub dependency: Option<String>,
    /// The output that supplies it.
    pub output: Option<String>,
}

/// A `parameters:` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct ParameterDefinition {
    /// Its name.
    pub name: String,
    /// Its JSON Schema keywords (type, default, enum, minimum, ...), with
    /// `file` kept as the type the author wrote.
    pub schema: Map<String, Value>,
    /// Hidden from logs and records.
    pub sensitive: bool,
    /// The actions it applies to; empty means all.
    pub apply_to: Vec<String>,
    /// The environment variable it is passed in.
    pub env: Option<String>,
    /// The file it is written to.
    pub path: Option<String>,
    /// Where its value comes from when not supplied.
    pub source: Option<ParameterSource>,
    /// Schema 1.2.0: kept from run to run.
    pub persistent: bool,
    /// Where it is declared.
    pub span: Span,
}

impl ParameterDefinition {
    /// The declared type, or the inferred one: `file` when it has a path,
    /// else `string`, as Porter infers.
    pub fn type_name(&self) -> &str {
        match self.schema.get("type").and_then(Value::as_str) {
            Some(t) => t,
            None if self.path.is_some() => "file",
            None => "string",
        }
    }

    /// Whether this is a file parameter.
    pub fn is_file(&self) -> bool {
        self.type_name() == "file"
    }

    /// The default value, if any.
    pub fn default(&self) -> Option<&Value> {
        self.schema.get("default")
    }

    /// The environment variable it is passed in: the declared one, or the
    /// name in UPPER_SNAKE case when it has no path.
    pub fn env_var(&self) -> Option<String> {
        match (&self.env, &self.path) {
            (Some(env), _) => Some(env.clone()),
            (None, Some(_)) => None,
            (None, None) => Some(upper_snake(&self.name)),
        }
    }

    /// Whether it applies to `action`.
    pub fn applies_to(&self, action: &str) -> bool {
        self.apply_to.is_empty() || self.apply_to.iter().any(|a| a == action)
    }
}

/// `my-param.name` → `MY_PARAM_NAME`.
pub fn upper_snake(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// A `credentials:` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialDefinition {
    /// Its name.
    pub name: String,
    /// What it is for.
    pub description: Option<String>,
    /// Whether it must be supplied (default true).
    pub required: bool,
    /// The actions it applies to; empty means all.
    pub apply_to: Vec<String>,
    /// The environment variable it is passed in.
    pub env: Option<String>,
    /// The file it is written to.
    pub path: Option<String>,
    /// Where it is declared.
    pub span: Span,
}

/// An `outputs:` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputDefinition {
    /// Its name.
    pub name: String,
    /// Its JSON Schema keywords.
    pub schema: Map<String, Value>,
    /// Hidden from logs and records.
    pub sensitive: bool,
    /// The actions that produce it; empty means all.
    pub apply_to: Vec<String>,
    /// A file in the image whose contents are the output.
    pub path: Option<String>,
    /// Where it is declared.
    pub span: Span,
}

impl OutputDefinition {
    /// The declared type, or `string`.
    pub fn type_name(&self) -> &str {
        self.schema
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("string")
    }
}

/// A `state:` entry: a file kept from run to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateVariable {
    /// Its name.
    pub name: String,
    /// What it holds.
    pub description: Option<String>,
    /// The file, relative to the bundle directory.
    pub path: String,
    /// The mixin that owns it, if any.
    pub mixin: Option<String>,
}

/// An `images:` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MappedImage {
    /// What it is.
    pub description: Option<String>,
    /// `docker` or `oci`.
    pub image_type: Option<String>,
    /// The repository.
    pub repository: String,
    /// A digest, if pinned.
    pub digest: Option<String>,
    /// A tag.
    pub tag: Option<String>,
    /// Its size in bytes.
    pub size: Option<u64>,
    /// Its media type.
    pub media_type: Option<String>,
    /// Labels.
    pub labels: IndexMap<String, String>,
}

/// A `files:` entry (schema 1.3.0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSource {
    /// Where to download it from.
    pub url: String,
    /// Where to put it, relative to the bundle directory.
    pub destination: String,
}

/// `dependencies:`.
#[derive(Debug, Clone, PartialEq)]
pub struct Dependencies {
    /// `requires`, in order.
    pub requires: Vec<Dependency>,
    /// `provides` (dependencies v2), as JSON.
    pub provides: Option<Value>,
}

/// A required bundle.
#[derive(Debug, Clone, PartialEq)]
pub struct Dependency {
    /// Its alias in this bundle.
    pub name: String,
    /// `bundle.reference`.
    pub reference: Option<String>,
    /// `bundle.version`: a semver range.
    pub version: Option<String>,
    /// `bundle.interface` (v2), as JSON.
    pub interface: Option<Value>,
    /// Parameters passed to it.
    pub parameters: IndexMap<String, Value>,
    /// Credentials passed to it (v2).
    pub credentials: IndexMap<String, Value>,
    /// Outputs mapped from it (v2).
    pub outputs: IndexMap<String, Value>,
    /// `sharing` (v2), as JSON.
    pub sharing: Option<Value>,
    /// Where it is declared.
    pub span: Span,
}
