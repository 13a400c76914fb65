//! The Docker build context: the bundle directory as a tar stream, sent
//! as it is written.
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

/// The context as a stream of tar chunks, for Docker to read while it is
/// written: a blocking thread walks `files` and sends [`CHUNK`]-sized
/// pieces through a short queue, so a bundle directory with large files is
/// never held in memory whole. A file that cannot be read ends the stream
/// with that error.
pub fn stream_context(
    root: PathBuf,
    files: Vec<PathBuf>,
) -> impl futures_util::Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static {
    let (tx, rx) = tokio::sync::mpsc::channel(QUEUED_CHUNKS);
    tokio::task::spawn_blocking(move || {
        let writer = ChunkWriter {
            tx: tx.clone(),
            buf: Vec::with_capacity(CHUNK),
        };
        let written = write_tar(&root, &files, writer).and_then(|mut w| {
            w.send_buffered()
                .context("Docker stopped reading the build context")
        });
        if let Err(e) = written {
            // The receiver may be gone too; then nobody is waiting.
            let _ = tx.blocking_send(Err(std::io::Error::other(format!("{e:#}"))));
        }
    });
    futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    })
}

/// The size of the pieces the context is sent in.
const CHUNK: usize = 256 * 1024;
/// How many pieces may wait for Docker: memory stays at a few MiB.
const QUEUED_CHUNKS: usize = 8;

/// Collects tar bytes into chunks and hands each full one to the stream.
struct ChunkWriter {
    tx: tokio::sync::mpsc::Sender<std::io::Result<bytes::Bytes>>,
    buf: Vec<u8>,
}

impl ChunkWriter {
    fn send_buffered(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        self.tx
            .blocking_send(Ok(chunk.into()))
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::BrokenPipe))
    }
}

impl std::io::Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send_buffered()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Writes the context as a tar archive into `writer`, and returns it.
fn write_tar<W: std::io::Write>(root: &Path, files: &[PathBuf], writer: W) -> Result<W> {
    let mut builder = tar::Builder::new(writer);
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
fn append_read_only<W: std::io::Write>(
    builder: &mut tar::Builder<W>,
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

    /// The streamed context, gathered.
    async fn gathered(root: &Path) -> Vec<u8> {
        use futures_util::StreamExt;
        let files = context_files(root).unwrap();
        let mut stream = std::pin::pin!(stream_context(root.to_path_buf(), files));
        let mut tar = Vec::new();
        while let Some(chunk) = stream.next().await {
            tar.extend_from_slice(&chunk.unwrap());
        }
        tar
    }

    #[tokio::test]
    async fn a_context_larger_than_a_chunk_streams_whole() {
        let dir = tempfile::tempdir().unwrap();
        let big: Vec<u8> = (0..3 * CHUNK + 17).map(|i| (i % 251) as u8).collect();
        std::fs::write(dir.path().join("big.bin"), &big).unwrap();
        let tar = gathered(dir.path()).await;
        let mut archive = tar::Archive::new(&tar[..]);
        let mut entry = archive.entries().unwrap().next().unwrap().unwrap();
        let mut read = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut read).unwrap();
        assert_eq!(read, big);
    }

    #[tokio::test]
    async fn wharfs_own_files_are_read_only_in_the_context() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join(".cnab/app")).unwrap();
        for f in [".cnab/bundle.json", ".cnab/app/porter.yaml"] {
            std::fs::write(root.join(f), "x").unwrap();
        }
        let tar = gathered(root).await;
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
        assert_eq!(modes[".cnab/bundle.json"], 0o444);
        assert_eq!(modes[".cnab/app/porter.yaml"], 0o644);
        assert_eq!(modes[".cnab/app"], 0o755);
    }
}
