//! Reading what a mixin left in the bundle directory without following a
//! link it planted.
//!
//! Two readers need it: the runtime, for outputs and the state bag, and the
//! mixin host, before it grants a mixin a directory to write.
//!
//! A mixin can create symbolic links in the directories it may write
//! (wasmtime-wasi lets a guest make a link with any relative target), and
//! the runtime reads files there with its own rights: a manifest output's
//! `path` and the `state:` files. Following `outputs/leak ->
//! ../../../proc/self/environ` would copy the runtime's environment into a
//! non-sensitive output. So every such read walks the path one component
//! at a time from a trusted directory with `O_NOFOLLOW` (`openat`), and a
//! link anywhere on the way is refused, naming it and where it points.
//!
//! Why not `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)`: it needs
//! Linux 5.6, and the runtime is a static binary that runs on whatever
//! kernel the CNAB runtime's host has. The component walk gives the same
//! guarantee on every kernel, so there is one code path and no fallback
//! to get wrong. Symbolic links are refused outright, even ones that stay
//! inside: the runtime has no need to follow any, and telling the two
//! apart is exactly the resolution this module avoids.

use std::ffi::OsStr;
use std::fs::File;
use std::io::Read;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags, openat, readlinkat, statat};
use rustix::io::Errno;

/// Why a file could not be read beneath a directory.
#[derive(Debug, thiserror::Error)]
pub enum BeneathError {
    /// A component of the path is a symbolic link.
    #[error(
        "{link} is a symbolic link (to {target}); the runtime follows no links in the bundle \
         directory: write the file itself there"
    )]
    Link {
        /// The link, relative to the directory the walk started from.
        link: PathBuf,
        /// Where it points, as written in the link.
        target: String,
    },
    /// The path is not a plain file (or a component on the way is not a
    /// directory).
    #[error("{path} is not a regular file")]
    NotAFile {
        /// The path, relative to the directory the walk started from.
        path: PathBuf,
    },
    /// The path climbs out (`..`) or is absolute.
    #[error("{path} leaves the directory it is read from (it is absolute or contains `..`)")]
    Escapes {
        /// The path as given.
        path: PathBuf,
    },
    /// Reading failed.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path, relative to the directory the walk started from.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

/// What [`inspect`] found at a path, without following a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Nothing there.
    Missing,
    /// A regular file.
    File,
    /// A directory.
    Dir,
}

/// Reads the regular file `relative` beneath `base`, following no link on
/// the way. `Ok(None)` when it does not exist.
pub fn read(base: &Path, relative: &Path) -> Result<Option<Vec<u8>>, BeneathError> {
    Ok(read_with_mode(base, relative)?.map(|(bytes, _)| bytes))
}

/// As [`read`], with the file's permission bits (for the state bag, which
/// keeps an executable file executable).
pub fn read_with_mode(
    base: &Path,
    relative: &Path,
) -> Result<Option<(Vec<u8>, u32)>, BeneathError> {
    let Some(fd) = open(base, relative, false)? else {
        return Ok(None);
    };
    let mode = rustix::fs::fstat(&fd).map_err(|e| io(relative, e))?.st_mode & 0o7777;
    let mut bytes = Vec::new();
    File::from(fd)
        .read_to_end(&mut bytes)
        .map_err(|source| BeneathError::Io {
            path: relative.to_path_buf(),
            source,
        })?;
    Ok(Some((bytes, mode)))
}

/// What is at `relative` beneath `base`: a link anywhere on the way is an
/// error, as is anything but a file or a directory.
pub fn inspect(base: &Path, relative: &Path) -> Result<Kind, BeneathError> {
    match open(base, relative, true)? {
        None => Ok(Kind::Missing),
        Some(fd) => {
            let stat = rustix::fs::fstat(&fd).map_err(|e| io(relative, e))?;
            Ok(
                if FileType::from_raw_mode(stat.st_mode) == FileType::Directory {
                    Kind::Dir
                } else {
                    Kind::File
                },
            )
        }
    }
}

/// Opens `relative` beneath `base` one component at a time with
/// `O_NOFOLLOW`; the last one must be a regular file (or, with
/// `dir_ok`, a directory).
fn open(base: &Path, relative: &Path, dir_ok: bool) -> Result<Option<OwnedFd>, BeneathError> {
    let names = names(relative)?;
    let dir_flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let mut dir = match openat(rustix::fs::CWD, base, dir_flags, Mode::empty()) {
        Ok(dir) => dir,
        Err(Errno::NOENT) => return Ok(None),
        Err(e) => return Err(io(Path::new("."), e)),
    };
    let mut walked = PathBuf::new();
    for (index, name) in names.iter().enumerate() {
        walked.push(name);
        let last = index + 1 == names.len();
        // Non-blocking, so a FIFO planted as an output does not hang the
        // run before fstat refuses it.
        let flags = if last {
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK
        } else {
            dir_flags | OFlags::NOFOLLOW
        };
        let fd = match openat(&dir, *name, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return Ok(None),
            Err(Errno::LOOP | Errno::NOTDIR) => {
                return Err(refusal(&dir, name, walked));
            }
            Err(e) => return Err(io(&walked, e)),
        };
        if last {
            let stat = rustix::fs::fstat(&fd).map_err(|e| io(&walked, e))?;
            let kind = FileType::from_raw_mode(stat.st_mode);
            let accepted = kind == FileType::RegularFile || (dir_ok && kind == FileType::Directory);
            if !accepted {
                return Err(BeneathError::NotAFile { path: walked });
            }
            if kind == FileType::RegularFile {
                rustix::fs::fcntl_setfl(&fd, OFlags::empty()).map_err(|e| io(&walked, e))?;
            }
            return Ok(Some(fd));
        }
        dir = fd;
    }
    // No components: `base` itself.
    if dir_ok {
        Ok(Some(dir))
    } else {
        Err(BeneathError::NotAFile { path: walked })
    }
}

/// Why opening `name` in `dir` with `O_NOFOLLOW` failed: a link (named,
/// with its target) or something that is not a directory.
fn refusal(dir: &OwnedFd, name: &OsStr, walked: PathBuf) -> BeneathError {
    let is_link = statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)
        .is_ok_and(|s| FileType::from_raw_mode(s.st_mode) == FileType::Symlink);
    if !is_link {
        return BeneathError::NotAFile { path: walked };
    }
    let target = readlinkat(dir, name, Vec::new())
        .map(|t| String::from_utf8_lossy(t.as_bytes()).into_owned())
        .unwrap_or_else(|_| "an unreadable target".into());
    BeneathError::Link {
        link: walked,
        target: crate::text::strip_control_sequences(&target),
    }
}

/// The names of `relative`'s components; `..` and absolute paths are
/// refused, `.` skipped.
fn names(relative: &Path) -> Result<Vec<&OsStr>, BeneathError> {
    let mut names = Vec::new();
    for component in relative.components() {
        match component {
            Component::Normal(name) if !name.as_bytes().is_empty() => names.push(name),
            Component::CurDir | Component::Normal(_) => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => {
                return Err(BeneathError::Escapes {
                    path: relative.to_path_buf(),
                });
            }
        }
    }
    Ok(names)
}

fn io(path: &Path, errno: Errno) -> BeneathError {
    BeneathError::Io {
        path: path.to_path_buf(),
        source: errno.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn plain_files_are_read_and_missing_ones_are_none() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        std::fs::write(dir.path().join("a/b/f"), "F").unwrap();
        assert_eq!(
            read(dir.path(), Path::new("./a/b/f")).unwrap().unwrap(),
            b"F"
        );
        assert!(read(dir.path(), Path::new("a/none")).unwrap().is_none());
        assert!(read(dir.path(), Path::new("none/f")).unwrap().is_none());
        assert_eq!(inspect(dir.path(), Path::new("a")).unwrap(), Kind::Dir);
        assert_eq!(inspect(dir.path(), Path::new("a/b/f")).unwrap(), Kind::File);
        assert_eq!(inspect(dir.path(), Path::new("x")).unwrap(), Kind::Missing);
    }

    #[test]
    fn links_anywhere_on_the_path_are_refused_with_their_target() {
        let dir = tempfile::tempdir().unwrap();
        let secret = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(secret.path(), "SECRET").unwrap();
        symlink(secret.path(), dir.path().join("leak")).unwrap();
        symlink("../../../../../../proc/self", dir.path().join("proc")).unwrap();
        std::fs::create_dir(dir.path().join("real")).unwrap();
        std::fs::write(dir.path().join("real/f"), "in").unwrap();
        symlink("real/f", dir.path().join("inside")).unwrap();
        for (path, target) in [
            ("leak", secret.path().display().to_string()),
            ("proc/environ", "../../../../../../proc/self".into()),
            ("inside", "real/f".into()),
        ] {
            let err = read(dir.path(), Path::new(path)).unwrap_err();
            let text = err.to_string();
            assert!(matches!(err, BeneathError::Link { .. }), "{text}");
            assert!(text.contains(&target), "{text}");
            assert!(!text.contains("SECRET"), "{text}");
        }
        assert!(matches!(
            inspect(dir.path(), Path::new("proc")),
            Err(BeneathError::Link { .. })
        ));
    }

    #[test]
    fn escaping_paths_and_special_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            read(dir.path(), Path::new("../x")),
            Err(BeneathError::Escapes { .. })
        ));
        assert!(matches!(
            read(dir.path(), Path::new("/etc/passwd")),
            Err(BeneathError::Escapes { .. })
        ));
        std::fs::create_dir(dir.path().join("d")).unwrap();
        assert!(matches!(
            read(dir.path(), Path::new("d")),
            Err(BeneathError::NotAFile { .. })
        ));
        std::fs::write(dir.path().join("f"), "").unwrap();
        assert!(matches!(
            read(dir.path(), Path::new("f/g")),
            Err(BeneathError::NotAFile { .. })
        ));
    }
}
