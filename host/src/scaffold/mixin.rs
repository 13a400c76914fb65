//! `wharf mixins create NAME`: a standalone mixin crate for third-party
//! authors, with an example step, unit tests and a README.
//!
//! The crate must build, test and publish with nothing but this `wharf`
//! binary, cargo and crates.io: `mixin-sdk` is not on crates.io and an
//! author's machine may not reach Wharf's repository. So the SDK's sources
//! and the WIT package are embedded in the binary at compile time (see
//! [`embedded`]) and written into the new crate as `vendor/mixin-sdk` and
//! `vendor/wit`, the same relative layout as in this workspace, so the SDK's
//! `generate!` path (`../wit/0.2.0`) holds unchanged. The SDK's manifest inherits
//! from this workspace (`x.workspace = true`); the vendored copy gets the
//! workspace's values written in, so the crate resolves from crates.io on
//! its own.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::fs_atomic::{WriteOptions, write_atomically_with};

/// `(file name, contents)` of each named file of `dir`, a directory of the
/// workspace root, embedded at compile time.
macro_rules! embed_dir {
    ($dir:literal: $($file:literal),+ $(,)?) => {
        &[$(($file, include_str!(concat!("../../../", $dir, "/", $file)))),+]
    };
}

/// Everything the scaffold takes from this checkout, in one place. The
/// unit tests compare these lists with `mixin-sdk/src/` and `wit/`, so a
/// file added to the SDK cannot be left out of the scaffold.
pub mod embedded {
    /// The workspace manifest: the values the SDK's manifest inherits.
    pub const WORKSPACE_MANIFEST: &str = include_str!("../../../Cargo.toml");
    /// The SDK's manifest, as it is in the workspace.
    pub const SDK_MANIFEST: &str = include_str!("../../../mixin-sdk/Cargo.toml");
    /// Every file of `mixin-sdk/src/`.
    pub const SDK_SOURCES: &[(&str, &str)] = embed_dir!("mixin-sdk/src":
        "bindings.rs", "command.rs", "contribution.rs", "error.rs", "flags.rs",
        "ignore_error.rs", "lib.rs", "lint.rs", "log.rs", "mixin.rs", "outputs.rs", "schema.rs",
        "step.rs", "step_result.rs", "words.rs",
    );
    /// Every file of the WIT package the SDK is generated from
    /// (`wit/<WORLD_VERSION>/`), by its path under `wit/`.
    pub const WIT_FILES: &[(&str, &str)] = embed_dir!("wit": "0.2.0/mixin.wit");
}

/// Where the SDK goes in the new crate.
pub const SDK_DIR: &str = "vendor/mixin-sdk";
/// Where the WIT package goes: beside the SDK, because the SDK's bindings
/// read `../wit` (checked by a unit test).
pub const WIT_DIR: &str = "vendor/wit";

/// The crate's own files, with `__PLACEHOLDERS__` (see [`Names`]).
const TEMPLATES: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("mixin/Cargo.toml.tmpl")),
    ("src/lib.rs", include_str!("mixin/lib.rs.tmpl")),
    ("README.md", include_str!("mixin/README.md.tmpl")),
    (".gitignore", include_str!("mixin/gitignore.tmpl")),
];

/// Names that cannot be a crate: Rust's keywords and the crates every
/// program already has (cargo refuses them), and the SDK itself.
const RESERVED: &[&str] = &[
    "abstract",
    "alloc",
    "as",
    "async",
    "await",
    "become",
    "box",
    "break",
    "const",
    "continue",
    "core",
    "crate",
    "do",
    "dyn",
    "else",
    "enum",
    "extern",
    "false",
    "final",
    "fn",
    "for",
    "gen",
    "if",
    "impl",
    "in",
    "let",
    "loop",
    "macro",
    "match",
    "mixin_sdk",
    "mod",
    "move",
    "mut",
    "override",
    "priv",
    "proc_macro",
    "pub",
    "ref",
    "return",
    "self",
    "static",
    "std",
    "struct",
    "super",
    "test",
    "trait",
    "true",
    "try",
    "type",
    "typeof",
    "unsafe",
    "unsized",
    "use",
    "virtual",
    "where",
    "while",
    "yield",
];

/// Type names the template already uses; a mixin named like one of them
/// gets `Mixin` appended to its type's name.
const TAKEN_TYPE_NAMES: &[&str] = &[
    "Command",
    "Deserialize",
    "Finding",
    "Greet",
    "Input",
    "Level",
    "Metadata",
    "Mixin",
    "Output",
    "Result",
    "Step",
    "StepOutput",
    "Value",
];

/// Writes a new mixin crate called `name` into `dir`, which must not exist
/// or be empty (nothing an author has is ever overwritten). Returns the
/// files written.
pub fn create(dir: &Path, name: &str) -> Result<Vec<PathBuf>> {
    let files = render(name)?;
    if let Ok(mut entries) = std::fs::read_dir(dir)
        && entries.next().is_some()
    {
        bail!(
            "{} is not empty; give `wharf mixins create` a new directory with --dir",
            dir.display()
        );
    }
    let mut written = Vec::new();
    for (file, contents) in files {
        let path = dir.join(&file);
        write_atomically_with(&path, contents.as_bytes(), WriteOptions::new().no_clobber())
            .with_context(|| format!("cannot write {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// The new crate's files, as paths relative to its root and contents: the
/// templates filled in, then the vendored SDK and WIT package.
pub fn render(name: &str) -> Result<Vec<(String, String)>> {
    check_name(name)?;
    let workspace = Workspace::parse(embedded::WORKSPACE_MANIFEST);
    let names = Names {
        name: name.to_string(),
        krate: name.replace('-', "_"),
        type_name: type_name(name),
        edition: workspace.package("edition")?.to_string(),
        rust_version: workspace.package("rust-version")?.to_string(),
        serde: workspace.dependency("serde")?.to_string(),
        serde_json: workspace.dependency("serde_json")?.to_string(),
    };
    let mut files: Vec<(String, String)> = TEMPLATES
        .iter()
        .map(|(file, template)| (file.to_string(), names.fill(template)))
        .collect();
    files.push((
        format!("{SDK_DIR}/Cargo.toml"),
        vendored_sdk_manifest(embedded::SDK_MANIFEST, &workspace)?,
    ));
    for (file, text) in embedded::SDK_SOURCES {
        files.push((format!("{SDK_DIR}/src/{file}"), text.to_string()));
    }
    for (file, text) in embedded::WIT_FILES {
        files.push((format!("{WIT_DIR}/{file}"), text.to_string()));
    }
    Ok(files)
}

/// The file name cargo gives the component: the crate name with `_`.
pub fn component_file(name: &str) -> String {
    format!("{}.wasm", name.replace('-', "_"))
}

/// What the templates' placeholders stand for.
struct Names {
    /// `__NAME__`: the mixin's and the package's name (`hello-mixin`).
    name: String,
    /// `__CRATE__`: the library's name (`hello_mixin`).
    krate: String,
    /// `__TYPE__`: the mixin's Rust type (`HelloMixin`).
    type_name: String,
    /// `__EDITION__` and `__RUST_VERSION__`: the workspace's, as TOML.
    edition: String,
    rust_version: String,
    /// `__DEP_SERDE__`, `__DEP_SERDE_JSON__`: the workspace's requirements,
    /// so the crate and its vendored SDK agree.
    serde: String,
    serde_json: String,
}

impl Names {
    fn fill(&self, template: &str) -> String {
        [
            ("__NAME__", self.name.as_str()),
            ("__CRATE__", &self.krate),
            ("__TYPE__", &self.type_name),
            ("__EDITION__", &self.edition),
            ("__RUST_VERSION__", &self.rust_version),
            ("__DEP_SERDE_JSON__", &self.serde_json),
            ("__DEP_SERDE__", &self.serde),
            ("__WHARF_VERSION__", env!("CARGO_PKG_VERSION")),
            ("__WORLD_VERSION__", crate::mixin::WORLD_VERSION),
        ]
        .iter()
        .fold(template.to_string(), |text, (placeholder, value)| {
            text.replace(placeholder, value)
        })
    }
}

/// A mixin name: also a crate name, a porter.yaml key, an OCI repository
/// name and a lint code prefix, so lowercase letters and digits in words
/// joined by `-` or `_`, starting with a letter.
fn check_name(name: &str) -> Result<()> {
    let words_ok = name.split(['-', '_']).all(|w| {
        !w.is_empty()
            && w.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    });
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) || !words_ok || name.len() > 64 {
        bail!(
            "`{name}` is not a valid mixin name; use lowercase letters and digits in words joined \
             by '-' or '_', starting with a letter (for example `hello-mixin`)"
        );
    }
    if RESERVED.contains(&name.replace('-', "_").as_str()) {
        bail!("`{name}` cannot be a crate's name; choose another mixin name");
    }
    Ok(())
}

/// `hello-mixin` → `HelloMixin`.
fn type_name(name: &str) -> String {
    let camel: String = name
        .split(['-', '_'])
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect();
    if TAKEN_TYPE_NAMES.contains(&camel.as_str()) {
        format!("{camel}Mixin")
    } else {
        camel
    }
}

/// The values `[workspace.package]` and `[workspace.dependencies]` give,
/// as raw TOML text (`"2024"`, `{ version = "1", features = ["derive"] }`).
///
/// The workspace manifest writes each on one line, which is all this reads;
/// a key it cannot find is an error, and the unit tests render the
/// scaffold, so a manifest this cannot read fails the tests, not authors.
struct Workspace {
    entries: Vec<(String, String, String)>,
}

impl Workspace {
    fn parse(text: &str) -> Self {
        let mut section = String::new();
        let mut entries = Vec::new();
        for line in text.lines().map(str::trim) {
            if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = header.trim().to_string();
            } else if let Some((key, value)) = line.split_once('=')
                && !line.starts_with('#')
            {
                let key = key.trim().to_string();
                entries.push((section.clone(), key, value.trim().to_string()));
            }
        }
        Self { entries }
    }

    fn get(&self, section: &str, key: &str) -> Result<&str> {
        self.entries
            .iter()
            .find(|(s, k, _)| s == section && k == key)
            .map(|(_, _, v)| v.as_str())
            .with_context(|| {
                format!("the workspace manifest has no `{key}` in [{section}] for the mixin SDK")
            })
    }

    fn package(&self, key: &str) -> Result<&str> {
        self.get("workspace.package", key)
    }

    fn dependency(&self, name: &str) -> Result<&str> {
        let value = self.get("workspace.dependencies", name)?;
        if value.contains("path =") {
            bail!("the mixin SDK depends on {name}, a path dependency that cannot be vendored");
        }
        Ok(value)
    }
}

/// The SDK's manifest with every `key.workspace = true` replaced by the
/// workspace's value. `[dev-dependencies]` are dropped: the SDK's own tests
/// are not the mixin's (`cargo test` in the new crate does not run them),
/// and they may name workspace crates that do not exist outside it.
fn vendored_sdk_manifest(sdk: &str, workspace: &Workspace) -> Result<String> {
    let mut out = format!(
        "# Wharf's mixin SDK, vendored by `wharf mixins create` from Wharf {}.\n\
         # It generates its bindings from ../wit; replace both directories together.\n",
        env!("CARGO_PKG_VERSION")
    );
    let mut section = String::new();
    for line in sdk.lines() {
        let trimmed = line.trim();
        if let Some(header) = trimmed.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = header.trim().to_string();
        }
        if section == "dev-dependencies" {
            continue;
        }
        let inherited = trimmed
            .strip_suffix("= true")
            .and_then(|key| key.trim().strip_suffix(".workspace"));
        match inherited {
            Some(key) if section == "package" => {
                out.push_str(&format!("{key} = {}\n", workspace.package(key)?));
            }
            Some(name) if section.ends_with("dependencies") => {
                out.push_str(&format!("{name} = {}\n", workspace.dependency(name)?));
            }
            _ if trimmed.contains("workspace") => bail!(
                "mixin-sdk/Cargo.toml line `{trimmed}` in [{section}] inherits from the workspace \
                 in a way `wharf mixins create` cannot vendor"
            ),
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The workspace root, where `mixin-sdk/` and `wit/` live.
    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    /// `(path relative to dir, contents)` of every file under `dir`.
    fn files_under(dir: &Path) -> BTreeSet<(String, String)> {
        let mut found = BTreeSet::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                let prefix = path.file_name().unwrap().to_string_lossy().into_owned();
                for (file, text) in files_under(&path) {
                    found.insert((format!("{prefix}/{file}"), text));
                }
            } else {
                let file = path.file_name().unwrap().to_string_lossy().into_owned();
                found.insert((file, std::fs::read_to_string(&path).unwrap()));
            }
        }
        found
    }

    fn as_set(files: &[(&str, &str)]) -> BTreeSet<(String, String)> {
        files
            .iter()
            .map(|(f, t)| (f.to_string(), t.to_string()))
            .collect()
    }

    #[test]
    fn every_file_of_the_sdk_and_the_wit_package_is_embedded() {
        assert_eq!(
            as_set(embedded::SDK_SOURCES),
            files_under(&root().join("mixin-sdk/src")),
            "mixin-sdk/src changed: list its files in mixin_scaffold::embedded::SDK_SOURCES"
        );
        let current = format!("{}/", crate::mixin::WORLD_VERSION);
        assert_eq!(
            as_set(embedded::WIT_FILES),
            files_under(&root().join("wit"))
                .into_iter()
                .filter(|(f, _)| f.starts_with(&current))
                .collect(),
            "wit/{current} changed: list its files in mixin_scaffold::embedded::WIT_FILES"
        );
    }

    #[test]
    fn the_sdk_reads_the_wit_package_beside_it() {
        let (_, bindings) = embedded::SDK_SOURCES
            .iter()
            .find(|(f, _)| *f == "bindings.rs")
            .unwrap();
        assert!(
            bindings.contains(&format!(
                r#"path: "../wit/{}""#,
                crate::mixin::WORLD_VERSION
            )),
            "the SDK's generate! path changed; vendor/wit must move with it"
        );
        assert_eq!(
            Path::new(SDK_DIR).parent().unwrap().join("wit"),
            Path::new(WIT_DIR)
        );
    }

    #[test]
    fn the_vendored_sdk_manifest_stands_alone() {
        let files = render("hello-mixin").unwrap();
        let manifest = &files
            .iter()
            .find(|(f, _)| f == "vendor/mixin-sdk/Cargo.toml")
            .unwrap()
            .1;
        let body: Vec<&str> = manifest.lines().filter(|l| !l.starts_with('#')).collect();
        assert!(!body.iter().any(|l| l.contains("workspace")), "{manifest}");
        for expected in [
            r#"name = "mixin-sdk""#,
            r#"edition = "2024""#,
            r#"wit-bindgen = "0."#,
            r#"serde = { version = "1", features = ["derive"] }"#,
        ] {
            assert!(manifest.contains(expected), "{expected} in:\n{manifest}");
        }
    }

    #[test]
    fn the_crate_is_its_own_workspace_and_depends_only_on_the_vendored_sdk() {
        let files = render("hello-mixin").unwrap();
        let manifest = &files.iter().find(|(f, _)| f == "Cargo.toml").unwrap().1;
        assert!(manifest.contains("\n[workspace]\n"), "{manifest}");
        assert!(manifest.contains(r#"mixin-sdk = { path = "vendor/mixin-sdk" }"#));
        assert!(manifest.contains(r#"name = "hello-mixin""#));
        let lib = &files.iter().find(|(f, _)| f == "src/lib.rs").unwrap().1;
        assert!(lib.contains("pub struct HelloMixin;"));
        assert!(lib.contains(r#"Metadata::new("hello-mixin""#));
        for (file, text) in &files {
            assert!(
                !text.contains("__NAME__")
                    && !text.contains("__TYPE__")
                    && !text.contains("__CRATE__")
                    && !text.contains("__DEP_"),
                "{file} has a placeholder left"
            );
        }
    }

    #[test]
    fn names_become_crates_and_types() {
        assert_eq!(type_name("hello-mixin"), "HelloMixin");
        assert_eq!(type_name("az_cli2"), "AzCli2");
        assert_eq!(type_name("step"), "StepMixin");
        assert_eq!(component_file("hello-mixin"), "hello_mixin.wasm");
        for bad in [
            "",
            "Hello",
            "1st",
            "a--b",
            "a-",
            "has space",
            "self",
            "test",
            "mixin-sdk",
        ] {
            assert!(render(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn create_writes_the_crate_and_refuses_a_directory_in_use() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("hello-mixin");
        let written = create(&target, "hello-mixin").unwrap();
        assert!(written.contains(&target.join("src/lib.rs")));
        assert!(target.join("vendor/wit/0.2.0/mixin.wit").is_file());
        assert!(target.join("vendor/mixin-sdk/src/lib.rs").is_file());
        let again = create(&target, "hello-mixin").unwrap_err().to_string();
        assert!(again.contains("not empty"), "{again}");
    }
}
