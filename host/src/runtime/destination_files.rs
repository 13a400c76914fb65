//! Files a step asks the runtime to write outside the bundle directory.
//!
//! Porter's mixins (terraform, helm3) write an output's value to a
//! `destinationFile` the step names, often where a later tool looks for
//! it: `/root/.kube/config`. A Wharf mixin may write only in its own
//! working directories, and widening that for one file would let a hostile
//! component write anywhere. So a 0.2.0 mixin returns the files in its
//! step result and the runtime writes them after the step, and logs each
//! one (the log is part of the run's record). The author decides where:
//! a file is written only at a path that is one of the string values of
//! the rendered step body, and never inside `/cnab`, which holds the
//! bundle, the runtime and the mixins. The mixin decides only the bytes.
//!
//! A 0.1.0 mixin cannot return files; the host's adapter turns the outputs
//! its step sends to an absolute `destinationFile` outside `/cnab` into
//! such files ([`crate::mixin`]), so they pass the same checks here.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::layout::{CNAB_ROOT, Layout};
use crate::fs_atomic::{WriteOptions, write_atomically_with};
use crate::lexical::normalize;
use crate::mixin::FileWrite;

/// One file the runtime wrote, for the log.
#[derive(Debug)]
pub(super) struct Written {
    pub path: PathBuf,
    pub bytes: usize,
}

/// Whether `path` is one of the string values of `step`.
fn named_in(step: &Value, path: &str) -> bool {
    match step {
        Value::String(s) => s == path,
        Value::Array(items) => items.iter().any(|v| named_in(v, path)),
        Value::Object(fields) => fields.values().any(|v| named_in(v, path)),
        _ => false,
    }
}

/// Writes the `files` a step asked for, each only where the step body
/// `step` names it, creating missing directories. A path that reaches
/// `/cnab` (even through `..`), climbs above `/`, or that the author did
/// not write is refused before anything is written.
pub(super) fn write(
    layout: &Layout,
    step: &Value,
    files: &[FileWrite],
) -> Result<Vec<Written>, String> {
    let mut checked = Vec::with_capacity(files.len());
    for file in files {
        let at = &file.path;
        if !named_in(step, at) {
            return Err(format!(
                "the mixin asked the runtime to write {at}, which the step does not name; a mixin \
                 may have files written only where porter.yaml says"
            ));
        }
        let resolved = normalize(Path::new(at))
            .filter(|p| p.is_absolute() && !p.starts_with(CNAB_ROOT))
            .ok_or_else(|| {
                format!(
                    "the step asks for a file at {at}, which is not an absolute path or leads \
                     into {CNAB_ROOT} or above /; write it in the bundle directory without `..`, \
                     or outside {CNAB_ROOT}"
                )
            })?;
        if file.mode & !0o777 != 0 {
            return Err(format!(
                "the mixin asked for {at} with mode {:o}; only permission bits are allowed",
                file.mode
            ));
        }
        checked.push((layout.host_path(&resolved.to_string_lossy()), file));
    }
    let mut written = Vec::new();
    for (path, file) in checked {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| {
                format!(
                    "cannot create {} for {}: {e}; choose a directory the image's user may \
                     write, such as under $HOME",
                    parent.display(),
                    file.path
                )
            })?;
        }
        write_atomically_with(&path, &file.contents, WriteOptions::new().mode(file.mode))
            .map_err(|e| format!("cannot write {}: {e}", file.path))?;
        written.push(Written {
            path,
            bytes: file.contents.len(),
        });
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use serde_json::json;

    use super::*;

    #[test]
    fn files_are_written_where_the_step_names_them_and_nowhere_else() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("home/.kube/config");
        let named = file.display().to_string();
        let step = json!({"outputs": [{"name": "kc", "destinationFile": named}]});
        let layout = Layout::new(dir.path().join("cnab"));
        let kubeconfig = |path: &str, mode| FileWrite {
            path: path.into(),
            contents: b"apiVersion: v1\n".to_vec(),
            mode,
        };
        let written = write(&layout, &step, &[kubeconfig(&named, 0o640)]).unwrap();
        assert_eq!(written[0].path, file);
        assert_eq!(written[0].bytes, 15);
        assert_eq!(std::fs::read(&file).unwrap(), b"apiVersion: v1\n");
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);

        let elsewhere = dir.path().join("etc/profile").display().to_string();
        let refused = write(&layout, &step, &[kubeconfig(&elsewhere, 0o600)]).unwrap_err();
        assert!(
            refused.contains("which the step does not name"),
            "{refused}"
        );
        assert!(!dir.path().join("etc").exists());

        let setuid = write(&layout, &step, &[kubeconfig(&named, 0o4755)]).unwrap_err();
        assert!(setuid.contains("only permission bits"), "{setuid}");

        for sneaky in ["/tmp/../cnab/app/run", "/../../etc/passwd", "relative/x"] {
            let step = json!({"destinationFile": sneaky});
            let refused = write(&layout, &step, &[kubeconfig(sneaky, 0o600)]).unwrap_err();
            assert!(refused.contains("leads into /cnab or above /"), "{refused}");
        }
        assert!(!dir.path().join("cnab/app/run").exists());
    }
}
