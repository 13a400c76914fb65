//! `wharf create`: a new bundle that builds and lints clean.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::fs_atomic::{WriteOptions, write_atomically_with};

/// The files of a new bundle: (name, contents, executable).
const FILES: &[(&str, &str, bool)] = &[
    ("porter.yaml", include_str!("bundle/porter.yaml"), false),
    ("helpers.sh", include_str!("bundle/helpers.sh"), true),
    (
        "template.Dockerfile",
        include_str!("bundle/template.Dockerfile"),
        false,
    ),
    ("README.md", include_str!("bundle/README.md"), false),
    (".gitignore", include_str!("bundle/gitignore"), false),
    (".dockerignore", include_str!("bundle/dockerignore"), false),
];

/// Writes a new bundle called `name` into `dir` (created if needed),
/// refusing to overwrite any existing file. Returns the files written.
pub fn create(dir: &Path, name: &str) -> Result<Vec<PathBuf>> {
    if !is_valid_name(name) {
        bail!(
            "`{name}` is not a valid bundle name; use lowercase letters, digits, '.', '_' and '-', starting with a letter or digit"
        );
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let existing: Vec<String> = FILES
        .iter()
        .map(|(file, _, _)| dir.join(file))
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if !existing.is_empty() {
        bail!(
            "{} already exist; run `wharf create` in an empty directory",
            existing.join(", ")
        );
    }
    let mut written = Vec::new();
    for (file, contents, executable) in FILES {
        let path = dir.join(file);
        let mode = if *executable { 0o755 } else { 0o644 };
        let options = WriteOptions::new().mode(mode).no_clobber();
        write_atomically_with(&path, contents.replace("NAME", name).as_bytes(), options)
            .with_context(|| format!("cannot write {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

fn is_valid_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scaffold_parses_clean_and_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        create(dir.path(), "hello").unwrap();
        let (manifest, warnings) = crate::manifest::load(&dir.path().join("porter.yaml")).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(manifest.name, "hello");
        assert_eq!(manifest.parameters.len(), 1);
        assert_eq!(manifest.credentials.len(), 1);
        assert_eq!(manifest.outputs.len(), 1);
        assert!(
            create(dir.path(), "hello")
                .unwrap_err()
                .to_string()
                .contains("already exist")
        );
        assert!(create(dir.path(), "Bad Name").is_err());
    }
}
