//! The Docker build context: the bundle directory as a tar stream.
//!
//! The context is the bundle directory, as in Porter, so an author's
//! Dockerfile template can `COPY` any of its files. `.dockerignore` patterns
//! are honoured (except that `.cnab/` is always sent: it is what the image
//! is made of), and `.git` is never sent.

use std::path::{Path, PathBuf};

use super::stage::READ_ONLY;
use anyhow::{Context, Result};

/// Files and directories under `root` to send, as relative paths, sorted so
/// the context (and the stamp computed from it) is deterministic.
pub fn context_files(root: &Path) -> Result<Vec<PathBuf>> {
    let ignore = DockerIgnore::load(root)?;
    let mut files = Vec::new();
    walk(root, Path::new(""), &ignore, &mut files)?;
    files.sort();
    Ok(files)
}

fn walk(root: &Path, rel: &Path, ignore: &DockerIgnore, out: &mut Vec<PathBuf>) -> Result<()> {
    let dir = root.join(rel);
    let entries =
        std::fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))?;
    for entry in entries {
        let entry = entry?;
        let rel_path = rel.join(entry.file_name());
        let first = rel_path
            .components()
            .next()
            .map(|c| c.as_os_str().to_string_lossy().into_owned());
        if first.as_deref() == Some(".git") {
            continue;
        }
        let always = first.as_deref() == Some(".cnab");
        if !always && ignore.ignores(&rel_path) {
            continue;
        }
        let kind = entry.file_type()?;
        out.push(rel_path.clone());
        if kind.is_dir() {
            walk(root, &rel_path, ignore, out)?;
        }
    }
    Ok(())
}

/// Writes the context as a tar archive.
pub fn tar_context(root: &Path, files: &[PathBuf]) -> Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(false);
    builder.mode(tar::HeaderMode::Deterministic);
    for rel in files {
        let full = root.join(rel);
        let added = if READ_ONLY.iter().any(|r| rel.starts_with(r)) {
            append_read_only(&mut builder, &full, rel)
        } else {
            builder.append_path_with_name(&full, rel)
        };
        added.with_context(|| format!("cannot add {} to the build context", full.display()))?;
    }
    builder
        .into_inner()
        .context("cannot finish the build context")
}

/// Adds a file or directory that the image holds read-only (see
/// [`READ_ONLY`]): mode 0444 for a file, 0555 for a directory, whatever it
/// has on disk (where Wharf must be able to replace it).
fn append_read_only(
    builder: &mut tar::Builder<Vec<u8>>,
    full: &Path,
    rel: &Path,
) -> std::io::Result<()> {
    let meta = std::fs::symlink_metadata(full)?;
    let mut header = tar::Header::new_gnu();
    header.set_metadata_in_mode(&meta, tar::HeaderMode::Deterministic);
    if meta.is_dir() {
        header.set_mode(0o555);
        header.set_size(0);
        builder.append_data(&mut header, rel, std::io::empty())
    } else if meta.is_file() {
        header.set_mode(0o444);
        builder.append_data(&mut header, rel, std::fs::File::open(full)?)
    } else {
        Err(std::io::Error::other(
            "Wharf stages only files and directories here",
        ))
    }
}

/// `.dockerignore`, with Docker's rules for what matters here: glob
/// patterns relative to the context root, a pattern also excluding what is
/// below a matched directory, and `!` re-including.
struct DockerIgnore {
    rules: Vec<(glob::Pattern, bool)>,
}

impl DockerIgnore {
    fn load(root: &Path) -> Result<Self> {
        let path = root.join(".dockerignore");
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let mut rules = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (pattern, include) = match line.strip_prefix('!') {
                Some(p) => (p.trim(), true),
                None => (line, false),
            };
            let pattern = pattern
                .trim_start_matches("./")
                .trim_start_matches('/')
                .trim_end_matches('/');
            let compiled = glob::Pattern::new(pattern).with_context(|| {
                format!(
                    "{}:{}: `{line}` is not a valid pattern",
                    path.display(),
                    n + 1
                )
            })?;
            rules.push((compiled, include));
        }
        Ok(Self { rules })
    }

    fn ignores(&self, rel: &Path) -> bool {
        let options = glob::MatchOptions {
            require_literal_separator: true,
            ..glob::MatchOptions::new()
        };
        let mut ignored = false;
        for (pattern, include) in &self.rules {
            // A pattern matching a parent directory matches what is below it.
            let matched = rel
                .ancestors()
                .filter(|a| !a.as_os_str().is_empty())
                .any(|a| pattern.matches_path_with(a, options));
            if matched {
                ignored = !include;
            }
        }
        ignored
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerignore_excludes_but_never_the_staging_folder() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(
            root.join(".dockerignore"),
            "*.log\nsecret/\n.cnab\n!keep.log\n",
        )
        .unwrap();
        for f in ["a.log", "keep.log", "porter.yaml"] {
            std::fs::write(root.join(f), "x").unwrap();
        }
        std::fs::create_dir_all(root.join("secret")).unwrap();
        std::fs::write(root.join("secret/key"), "x").unwrap();
        std::fs::create_dir_all(root.join(".cnab/app")).unwrap();
        std::fs::write(root.join(".cnab/app/run"), "x").unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        let files: Vec<String> = context_files(root)
            .unwrap()
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        assert_eq!(
            files,
            [
                ".cnab",
                ".cnab/app",
                ".cnab/app/run",
                ".dockerignore",
                "keep.log",
                "porter.yaml"
            ]
        );
    }

    #[test]
    fn wharfs_own_files_are_read_only_in_the_context() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join(".cnab/wharf/mixins")).unwrap();
        std::fs::create_dir_all(root.join(".cnab/app")).unwrap();
        for f in [
            ".cnab/wharf/mixins/index.json",
            ".cnab/bundle.json",
            ".cnab/app/porter.yaml",
        ] {
            std::fs::write(root.join(f), "x").unwrap();
        }
        let tar = tar_context(root, &context_files(root).unwrap()).unwrap();
        let mut archive = tar::Archive::new(&tar[..]);
        let modes: std::collections::BTreeMap<String, u32> = archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let path = e.path().unwrap().display().to_string();
                (
                    path.trim_end_matches('/').to_string(),
                    e.header().mode().unwrap(),
                )
            })
            .collect();
        assert_eq!(modes[".cnab/wharf"], 0o555);
        assert_eq!(modes[".cnab/wharf/mixins"], 0o555);
        assert_eq!(modes[".cnab/wharf/mixins/index.json"], 0o444);
        assert_eq!(modes[".cnab/bundle.json"], 0o444);
        assert_eq!(modes[".cnab/app/porter.yaml"], 0o644);
        assert_eq!(modes[".cnab/app"], 0o755);
    }
}
