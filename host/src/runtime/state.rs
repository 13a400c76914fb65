//! The state bag: files a bundle keeps from one run to the next (a
//! Terraform state file, a generated key), declared under `state:`.
//!
//! Before the steps, the archive passed in as the `wharf-state` parameter
//! is unpacked into the bundle directory; after the steps of an action
//! that changes the installation, the declared paths that exist are packed
//! into a gzipped tar and written as the `wharf-state` output, which the
//! CNAB runtime feeds back into the next run.
//!
//! The archive comes from outside the image, so unpacking accepts only
//! plain files and directories with relative paths that stay inside the
//! bundle directory. Packing follows no link: the state paths are where
//! mixins write, and a link planted there (to a credential file, to
//! `/proc/self/environ`) is refused with the state's name instead of
//! archived or followed (see [`super::beneath`]).

use std::path::{Component, Path, PathBuf};

use base64::Engine as _;
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;

use super::error::RuntimeError;
use super::layout::Layout;
use crate::beneath::{self, Kind};
use crate::manifest::StateVariable;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Unpacks the state archive at `archive` into `app_dir`; returns how many
/// files it held. A missing or empty file is a first run: nothing to do.
pub fn unpack(archive: &Path, app_dir: &Path) -> Result<usize, RuntimeError> {
    let bytes = match std::fs::read(archive) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(RuntimeError::io("read the state bag", archive, e)),
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(0);
    }
    let gzip = gzip_bytes(bytes).ok_or_else(|| state_error(format!(
        "{} is not a gzipped tar archive (nor base64 of one); it should be the wharf-state output of an earlier run",
        archive.display()
    )))?;
    let mut tar = tar::Archive::new(GzDecoder::new(gzip.as_slice()));
    tar.set_overwrite(true);
    let entries = tar
        .entries()
        .map_err(|e| state_error(format!("cannot read the state bag: {e}")))?;
    let mut files = 0;
    for entry in entries {
        let mut entry =
            entry.map_err(|e| state_error(format!("cannot read the state bag: {e}")))?;
        let path = entry
            .path()
            .map_err(|e| state_error(format!("the state bag has an unreadable path: {e}")))?
            .into_owned();
        check_relative(&path).map_err(|why| {
            state_error(format!(
                "refusing the state bag entry {}: {why}",
                path.display()
            ))
        })?;
        let kind = entry.header().entry_type();
        if !(kind.is_file() || kind.is_dir()) {
            if kind.is_pax_global_extensions() || kind.is_pax_local_extensions() {
                continue;
            }
            return Err(state_error(format!(
                "refusing the state bag entry {}: only files and directories are kept in state",
                path.display()
            )));
        }
        let unpacked = entry.unpack_in(app_dir).map_err(|e| {
            state_error(format!(
                "cannot unpack {} from the state bag: {e}",
                path.display()
            ))
        })?;
        if !unpacked {
            return Err(state_error(format!(
                "refusing the state bag entry {}: it leaves the bundle directory",
                path.display()
            )));
        }
        if kind.is_file() {
            files += 1;
        }
    }
    Ok(files)
}

/// Packs the `state:` paths that exist into a gzipped tar; returns it with
/// the paths it holds.
pub fn pack(
    state: &[StateVariable],
    layout: &Layout,
) -> Result<(Vec<u8>, Vec<String>), RuntimeError> {
    let app_dir = layout.app_dir();
    let mut builder = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::default()));
    let mut packed = Vec::new();
    for variable in state {
        let relative = relative_in_bundle(&variable.path, layout).map_err(|why| {
            state_error(format!(
                "the state {:?} has the path {:?}: {why}",
                variable.name, variable.path
            ))
        })?;
        let refused = |why: String| {
            state_error(format!(
                "cannot pack the state {:?} ({}): {why}",
                variable.name, variable.path
            ))
        };
        match beneath::inspect(&app_dir, &relative).map_err(|e| refused(e.to_string()))? {
            Kind::Missing => continue,
            Kind::File => append_file(&mut builder, &app_dir, &relative),
            Kind::Dir => append_tree(&mut builder, &app_dir, &relative),
        }
        .map_err(refused)?;
        packed.push(relative.display().to_string());
    }
    let bytes = builder
        .into_inner()
        .and_then(GzEncoder::finish)
        .map_err(|e| state_error(format!("cannot pack the state bag: {e}")))?;
    Ok((bytes, packed))
}

/// Appends the regular file `relative` beneath `app_dir`, read without
/// following a link.
fn append_file<W: std::io::Write>(
    builder: &mut tar::Builder<W>,
    app_dir: &Path,
    relative: &Path,
) -> Result<(), String> {
    let (bytes, mode) = beneath::read_with_mode(app_dir, relative)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("{} vanished while it was packed", relative.display()))?;
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_size(bytes.len() as u64);
    header.set_mode(mode);
    builder
        .append_data(&mut header, relative, bytes.as_slice())
        .map_err(|e| format!("cannot pack {}: {e}", relative.display()))
}

/// Appends the directory `relative` beneath `app_dir` and everything in
/// it. Entries are listed by name and each is opened with
/// [`beneath`], so a link met anywhere is refused rather than followed.
fn append_tree<W: std::io::Write>(
    builder: &mut tar::Builder<W>,
    app_dir: &Path,
    relative: &Path,
) -> Result<(), String> {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Directory);
    header.set_size(0);
    header.set_mode(0o755);
    builder
        .append_data(&mut header, relative, std::io::empty())
        .map_err(|e| format!("cannot pack {}: {e}", relative.display()))?;
    let full = app_dir.join(relative);
    let mut names = std::fs::read_dir(&full)
        .and_then(|entries| {
            entries
                .map(|e| e.map(|e| e.file_name()))
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|e| format!("cannot list {}: {e}", relative.display()))?;
    names.sort();
    for name in names {
        let child = relative.join(name);
        match beneath::inspect(app_dir, &child).map_err(|e| e.to_string())? {
            Kind::Missing => {}
            Kind::File => append_file(builder, app_dir, &child)?,
            Kind::Dir => append_tree(builder, app_dir, &child)?,
        }
    }
    Ok(())
}

/// The gzip bytes of a state archive, whether passed raw or as base64 (the
/// encoding bundle.json declares for file parameters).
fn gzip_bytes(bytes: Vec<u8>) -> Option<Vec<u8>> {
    if bytes.starts_with(&GZIP_MAGIC) {
        return Some(bytes);
    }
    let text: Vec<u8> = bytes
        .into_iter()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(text)
        .ok()?;
    decoded.starts_with(&GZIP_MAGIC).then_some(decoded)
}

/// A `state:` path as a path relative to the bundle directory.
fn relative_in_bundle(path: &str, layout: &Layout) -> Result<PathBuf, String> {
    let mapped = layout.host_path(path);
    let relative = mapped
        .strip_prefix(layout.app_dir())
        .map_err(|_| "state files must be inside the bundle directory".to_string())?
        .to_path_buf();
    check_relative(&relative)?;
    if relative.as_os_str().is_empty() {
        return Err("the whole bundle directory cannot be state".into());
    }
    Ok(relative)
}

fn check_relative(path: &Path) -> Result<(), String> {
    for component in path.components() {
        match component {
            Component::Normal(_) | Component::CurDir => {}
            Component::ParentDir => return Err("it contains `..`".into()),
            Component::RootDir | Component::Prefix(_) => return Err("it is absolute".into()),
        }
    }
    Ok(())
}

fn state_error(message: String) -> RuntimeError {
    RuntimeError::State { message }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn var(path: &str) -> StateVariable {
        StateVariable {
            name: "s".into(),
            description: None,
            path: path.into(),
            mixin: None,
        }
    }

    #[test]
    fn round_trip_keeps_files_and_directories() {
        let from = tempfile::tempdir().unwrap();
        let layout = Layout::new(from.path());
        std::fs::create_dir_all(layout.app_dir().join("tf/sub")).unwrap();
        std::fs::write(layout.app_dir().join("tf/sub/a"), "A").unwrap();
        std::fs::write(layout.app_dir().join("key"), "K").unwrap();
        use std::os::unix::fs::PermissionsExt;
        let script = layout.app_dir().join("tf/sub/a");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o750)).unwrap();
        let state = [var("tf"), var("/cnab/app/key"), var("missing")];
        let (tgz, packed) = pack(&state, &layout).unwrap();
        assert_eq!(packed, ["tf", "key"]);
        let to = tempfile::tempdir().unwrap();
        let archive = to.path().join("s.tgz");
        let b64 = base64::engine::general_purpose::STANDARD.encode(&tgz);
        std::fs::write(&archive, b64).unwrap();
        assert_eq!(unpack(&archive, to.path()).unwrap(), 2);
        assert_eq!(
            std::fs::read_to_string(to.path().join("tf/sub/a")).unwrap(),
            "A"
        );
        assert_eq!(std::fs::read_to_string(to.path().join("key")).unwrap(), "K");
        let mode = std::fs::metadata(to.path().join("tf/sub/a"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o100,
            0o100,
            "an executable stays executable: {mode:o}"
        );
    }

    #[test]
    fn escaping_paths_are_refused() {
        let layout = Layout::new("/r");
        assert!(relative_in_bundle("../x", &layout).is_err());
        assert!(relative_in_bundle("/etc/passwd", &layout).is_err());
        assert!(relative_in_bundle("a/../../b", &layout).is_err());
        assert_eq!(
            relative_in_bundle("./a/b", &layout).unwrap(),
            Path::new("a/b")
        );

        // A hand-made archive whose entry climbs out of the directory.
        let mut header = tar::Header::new_gnu();
        header.set_size(1);
        header.set_entry_type(tar::EntryType::Regular);
        let name = b"../evil";
        header.as_old_mut().name[..name.len()].copy_from_slice(name);
        header.set_cksum();
        let mut builder = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::default()));
        builder.append(&header, &b"x"[..]).unwrap();
        let tgz = builder.into_inner().unwrap().finish().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("s.tgz");
        std::fs::write(&archive, tgz).unwrap();
        let inner = dir.path().join("app");
        std::fs::create_dir(&inner).unwrap();
        let err = unpack(&archive, &inner).unwrap_err().to_string();
        assert!(err.contains("refusing") && err.contains(".."), "{err}");
        assert!(!dir.path().join("evil").exists());
    }

    #[test]
    fn links_in_state_are_refused_not_followed() {
        let secret = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(secret.path(), "CREDENTIAL").unwrap();
        for (planted, state_path) in [("key", "key"), ("tf/leak", "tf")] {
            let from = tempfile::tempdir().unwrap();
            let layout = Layout::new(from.path());
            std::fs::create_dir_all(layout.app_dir().join("tf")).unwrap();
            std::fs::write(layout.app_dir().join("tf/ok"), "ok").unwrap();
            std::os::unix::fs::symlink(secret.path(), layout.app_dir().join(planted)).unwrap();
            let err = pack(&[var(state_path)], &layout).unwrap_err().to_string();
            assert!(
                err.contains("symbolic link") && err.contains(planted) && err.contains("\"s\""),
                "{err}"
            );
            assert!(!err.contains("CREDENTIAL"), "{err}");
        }
    }

    #[test]
    fn missing_or_empty_archives_are_a_first_run() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(unpack(&dir.path().join("none"), dir.path()).unwrap(), 0);
        std::fs::write(dir.path().join("empty"), "").unwrap();
        assert_eq!(unpack(&dir.path().join("empty"), dir.path()).unwrap(), 0);
        std::fs::write(dir.path().join("junk"), "not an archive").unwrap();
        assert!(unpack(&dir.path().join("junk"), dir.path()).is_err());
    }
}
