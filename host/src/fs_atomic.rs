//! Writing a file so that a reader, or a crash, sees the old file or the new
//! one, never part of either.
//!
//! Every file Wharf keeps goes through here: [`write_atomically`] for bytes
//! in hand, [`AtomicFile`] for a streaming writer (an archive, or anything
//! checked before it is kept). The steps are always the same:
//!
//! 1. a temporary file is made beside the target (the same directory, so the
//!    rename cannot cross file systems), already with its final mode, so a
//!    secret is never readable by others even for a moment;
//! 2. the bytes are written and the file is fsynced;
//! 3. it is renamed over the target (or, with [`WriteOptions::no_clobber`],
//!    put there only if nothing is);
//! 4. the directory is fsynced, so the rename itself survives a crash.
//!
//! Temporary files are named `.NAME.XXXXXX.tmp`: hidden, so code listing a
//! directory (stored sets, named secrets) skips them. One that is dropped
//! without being committed is removed.
//!
//! The module needs nothing from the `cli` feature: the in-image runtime
//! writes its outputs and state through it too.

use std::ffi::OsString;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// How [`write_atomically_with`] and [`AtomicFile::create_with`] write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteOptions {
    mode: Option<u32>,
    no_clobber: bool,
}

impl WriteOptions {
    /// Replace any existing file, with the mode a new file gets from
    /// [`std::fs::write`] (0666 less the umask).
    pub fn new() -> Self {
        Self::default()
    }

    /// Unix permission bits the file has from the moment it exists, whatever
    /// the umask: `0o600` for a secret, `0o755` for a program. Ignored where
    /// there are no Unix permissions.
    pub fn mode(mut self, mode: u32) -> Self {
        self.mode = Some(mode);
        self
    }

    /// Refuse to replace an existing file: committing fails with
    /// [`AtomicWriteError::AlreadyExists`] and leaves that file as it was.
    pub fn no_clobber(mut self) -> Self {
        self.no_clobber = true;
        self
    }
}

/// Why a file could not be written; each says which path and what to check.
#[derive(Debug, thiserror::Error)]
pub enum AtomicWriteError {
    /// The target's directory does not exist and cannot be made.
    #[error(
        "cannot create the directory {}: {source}; check that its parent exists and that you may write to it",
        dir.display()
    )]
    CreateDir {
        /// The directory.
        dir: PathBuf,
        /// The system's error.
        #[source]
        source: io::Error,
    },
    /// [`WriteOptions::no_clobber`] was asked for and the target exists.
    #[error("{} already exists", path.display())]
    AlreadyExists {
        /// The target.
        path: PathBuf,
    },
    /// Writing, syncing or renaming failed.
    #[error(
        "cannot write {}: {source}; check free space and that you may write to its directory",
        path.display()
    )]
    Write {
        /// The target (not the temporary file, which is gone).
        path: PathBuf,
        /// The system's error.
        #[source]
        source: io::Error,
    },
}

impl AtomicWriteError {
    /// The file or directory the error is about.
    pub fn path(&self) -> &Path {
        match self {
            Self::CreateDir { dir, .. } => dir,
            Self::AlreadyExists { path } | Self::Write { path, .. } => path,
        }
    }

    /// The kind of the underlying system error.
    pub fn kind(&self) -> io::ErrorKind {
        match self {
            Self::CreateDir { source, .. } | Self::Write { source, .. } => source.kind(),
            Self::AlreadyExists { .. } => io::ErrorKind::AlreadyExists,
        }
    }

    /// The system's error alone, for a caller whose own error names the
    /// path and says what to do.
    pub fn into_io_error(self) -> io::Error {
        match self {
            Self::CreateDir { source, .. } | Self::Write { source, .. } => source,
            Self::AlreadyExists { .. } => io::ErrorKind::AlreadyExists.into(),
        }
    }
}

/// For callers whose errors carry an [`io::Error`]: the kind is kept, and the
/// message still names the path.
impl From<AtomicWriteError> for io::Error {
    fn from(error: AtomicWriteError) -> Self {
        io::Error::new(error.kind(), error)
    }
}

/// Writes `bytes` to `path`, replacing it atomically; creates the directory.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), AtomicWriteError> {
    write_atomically_with(path, bytes, WriteOptions::new())
}

/// [`write_atomically`] with a mode, or refusing to replace a file.
pub fn write_atomically_with(
    path: &Path,
    bytes: &[u8],
    options: WriteOptions,
) -> Result<(), AtomicWriteError> {
    let mut file = AtomicFile::create_with(path, options)?;
    file.write_all(bytes)
        .map_err(|source| AtomicWriteError::Write {
            path: path.to_path_buf(),
            source,
        })?;
    file.commit()
}

/// A file being written: it replaces its target on [`commit`](Self::commit),
/// and disappears without a trace if dropped before.
#[derive(Debug)]
pub struct AtomicFile {
    temp: tempfile::NamedTempFile,
    target: PathBuf,
    dir: PathBuf,
    no_clobber: bool,
}

impl AtomicFile {
    /// Starts writing `target`; creates its directory.
    pub fn create(target: impl Into<PathBuf>) -> Result<Self, AtomicWriteError> {
        Self::create_with(target, WriteOptions::new())
    }

    /// [`create`](Self::create) with `options`.
    pub fn create_with(
        target: impl Into<PathBuf>,
        options: WriteOptions,
    ) -> Result<Self, AtomicWriteError> {
        let target = target.into();
        let write_err = |source| AtomicWriteError::Write {
            path: target.clone(),
            source,
        };
        let (dir, name) = split_target(&target).map_err(write_err)?;
        std::fs::create_dir_all(&dir).map_err(|source| AtomicWriteError::CreateDir {
            dir: dir.clone(),
            source,
        })?;
        let mut prefix = OsString::from(".");
        prefix.push(name);
        prefix.push(".");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // Created with at most the final bits (the umask can only
            // narrow them), then set exactly before any byte is written.
            builder.permissions(std::fs::Permissions::from_mode(
                options.mode.unwrap_or(0o666),
            ));
        }
        let temp = builder.tempfile_in(&dir).map_err(write_err)?;
        #[cfg(unix)]
        if let Some(mode) = options.mode {
            use std::os::unix::fs::PermissionsExt;
            temp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(mode))
                .map_err(write_err)?;
        }
        Ok(Self {
            temp,
            target,
            dir,
            no_clobber: options.no_clobber,
        })
    }

    /// The file this will become.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Makes the written bytes durable and puts them in place of the target.
    pub fn commit(self) -> Result<(), AtomicWriteError> {
        let Self {
            temp,
            target,
            dir,
            no_clobber,
        } = self;
        let write_err = |source| AtomicWriteError::Write {
            path: target.clone(),
            source,
        };
        temp.as_file().sync_all().map_err(write_err)?;
        // On failure the temporary file is in the error and removed with it.
        let placed = if no_clobber {
            temp.persist_noclobber(&target)
        } else {
            temp.persist(&target)
        };
        match placed {
            Ok(_) => {}
            Err(e) if no_clobber && e.error.kind() == io::ErrorKind::AlreadyExists => {
                return Err(AtomicWriteError::AlreadyExists { path: target });
            }
            Err(e) => return Err(write_err(e.error)),
        }
        sync_dir(&dir).map_err(write_err)
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.temp.as_file_mut().write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.temp.as_file_mut().flush()
    }
}

/// Makes a rename or a removal in `dir` durable. A no-op where directories
/// cannot be synced.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// The directory (`.` for a bare file name) and the file name of `target`.
fn split_target(target: &Path) -> io::Result<(PathBuf, OsString)> {
    let name = target.file_name().ok_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidInput, "the path does not name a file")
    })?;
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((dir, name.to_os_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names in `dir`, sorted.
    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn replaces_the_whole_content_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        write_atomically(&path, b"a long first version").unwrap();
        write_atomically(&path, b"short").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"short");
        assert_eq!(names(dir.path()), ["state.json"]);
    }

    #[test]
    fn creates_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache/blobs/sha256/abc");
        write_atomically(&path, b"blob").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"blob");
    }

    #[test]
    fn a_directory_that_cannot_be_made_is_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("cache");
        std::fs::write(&blocker, b"a file where a directory should be").unwrap();
        let err = write_atomically(&blocker.join("blobs/abc"), b"x").unwrap_err();
        assert!(
            matches!(&err, AtomicWriteError::CreateDir { dir, .. } if *dir == blocker.join("blobs")),
            "{err:?}"
        );
        let message = err.to_string();
        assert!(
            message.starts_with(&format!(
                "cannot create the directory {}",
                blocker.join("blobs").display()
            )),
            "{message}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_mode_is_the_one_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("secret");
        write_atomically_with(&secret, b"pw", WriteOptions::new().mode(0o600)).unwrap();
        assert_eq!(mode(&secret), 0o600);
        let program = dir.path().join("run");
        write_atomically_with(&program, b"#!", WriteOptions::new().mode(0o755)).unwrap();
        assert_eq!(mode(&program), 0o755);
        // Replacing a file gives it the new mode, not the old one's.
        write_atomically_with(&program, b"#!", WriteOptions::new().mode(0o600)).unwrap();
        assert_eq!(mode(&program), 0o600);
    }

    #[cfg(unix)]
    #[test]
    fn the_mode_is_set_before_any_byte_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let file =
            AtomicFile::create_with(dir.path().join("secret"), WriteOptions::new().mode(0o600))
                .unwrap();
        let temp = names(dir.path());
        assert_eq!(temp.len(), 1, "{temp:?}");
        assert!(temp[0].starts_with(".secret.") && temp[0].ends_with(".tmp"));
        assert_eq!(mode(&dir.path().join(&temp[0])), 0o600);
        drop(file);
    }

    #[test]
    fn a_streaming_writer_dropped_before_commit_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bundle.tgz");
        write_atomically(&path, b"old").unwrap();
        let mut file = AtomicFile::create(&path).unwrap();
        file.write_all(b"half of a new archive").unwrap();
        drop(file);
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        assert_eq!(names(dir.path()), ["bundle.tgz"]);
    }

    #[test]
    fn a_streaming_writer_commits_what_it_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bundle.tgz");
        let mut file = AtomicFile::create(&path).unwrap();
        assert_eq!(file.target(), path);
        file.write_all(b"part one, ").unwrap();
        file.write_all(b"part two").unwrap();
        assert!(!path.exists(), "nothing is visible before the commit");
        file.commit().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"part one, part two");
        assert_eq!(names(dir.path()), ["bundle.tgz"]);
    }

    #[test]
    fn no_clobber_keeps_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mysql.json");
        let options = WriteOptions::new().no_clobber();
        write_atomically_with(&path, b"first", options).unwrap();
        let err = write_atomically_with(&path, b"second", options).unwrap_err();
        assert!(
            matches!(&err, AtomicWriteError::AlreadyExists { path: p } if *p == path),
            "{err:?}"
        );
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        assert_eq!(names(dir.path()), ["mysql.json"]);
    }

    #[test]
    fn a_failed_rename_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        // A non-empty directory cannot be replaced by a file.
        let target = dir.path().join("taken");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("inside"), b"x").unwrap();
        let err = write_atomically(&target, b"bytes").unwrap_err();
        assert!(matches!(err, AtomicWriteError::Write { .. }), "{err:?}");
        assert_eq!(err.path(), target);
        assert_eq!(names(dir.path()), ["taken"]);
    }

    #[test]
    fn converts_into_an_io_error_that_keeps_kind_and_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let options = WriteOptions::new().no_clobber();
        write_atomically_with(&path, b"1", options).unwrap();
        let err: io::Error = write_atomically_with(&path, b"2", options)
            .unwrap_err()
            .into();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert!(err.to_string().contains(&path.display().to_string()));
    }

    #[test]
    fn a_path_without_a_file_name_is_refused() {
        let err = write_atomically(Path::new("/"), b"x").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }
}
