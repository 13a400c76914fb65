//! `destinationFile` outside the bundle directory, written by the runtime.
//!
//! Porter's mixins (terraform, helm3) write an output's value to a
//! `destinationFile` the step names, often where a later tool looks for
//! it: `~/.kube/config`. A Wharf mixin may write only in its own working
//! directories, and widening that for one output would let a hostile
//! component write anywhere. The path comes from porter.yaml (the author),
//! and only the value comes from the mixin, so the runtime writes such
//! files itself after the step, and logs each one. Paths inside `/cnab`
//! stay the mixin's to write (under its working directories) or nobody's:
//! the runtime never writes over the bundle, the runtime or the mixins.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::layout::{CNAB_ROOT, Layout};
use crate::fs_atomic::{WriteOptions, write_atomically_with};
use crate::lexical::normalize;
use crate::mixin::StepOutput;

/// One output the runtime wrote, for the log.
#[derive(Debug)]
pub(super) struct Written {
    pub output: String,
    pub path: PathBuf,
}

/// The `(output name, destinationFile)` pairs of a rendered step body whose
/// file is an absolute path outside `/cnab`.
pub(super) fn requested(step: &Value) -> Vec<(String, String)> {
    let Some(outputs) = step.get("outputs").and_then(Value::as_array) else {
        return Vec::new();
    };
    outputs
        .iter()
        .filter_map(|spec| {
            let name = spec.get("name")?.as_str()?;
            let file = spec.get("destinationFile")?.as_str()?;
            let outside = Path::new(file).is_absolute() && !Path::new(file).starts_with(CNAB_ROOT);
            outside.then(|| (name.to_string(), file.to_string()))
        })
        .collect()
}

/// Writes each requested output the step produced (owner-only: such
/// files are often credentials), creating missing directories. A path that
/// reaches `/cnab` only through `..` is refused, as is one that climbs
/// above `/`: `/cnab` is never the runtime's to write.
pub(super) fn write(
    layout: &Layout,
    requested: &[(String, String)],
    outputs: &[StepOutput],
) -> Result<Vec<Written>, String> {
    let mut written = Vec::new();
    for (output, file) in requested {
        let Some(value) = outputs.iter().find(|o| o.name == *output).map(|o| &o.value) else {
            return Err(format!(
                "output {output} has destinationFile {file}, but the step produced no {output}"
            ));
        };
        let resolved = normalize(Path::new(file))
            .filter(|p| !p.starts_with(CNAB_ROOT))
            .ok_or_else(|| {
                format!(
                    "output {output} has destinationFile {file}, which leads into {CNAB_ROOT} or \
                     above /; write it in the bundle directory without `..`, or outside \
                     {CNAB_ROOT}"
                )
            })?;
        let path = layout.host_path(&resolved.to_string_lossy());
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| {
                format!(
                    "cannot create {} for output {output}'s destinationFile: {e}; choose a \
                     directory the image's user (65532) may write, such as under $HOME",
                    parent.display()
                )
            })?;
        }
        write_atomically_with(&path, value, WriteOptions::new().mode(0o600)).map_err(|e| {
            format!("cannot write output {output} to its destinationFile {file}: {e}")
        })?;
        written.push(Written {
            output: output.clone(),
            path,
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
    fn only_absolute_paths_outside_cnab_are_the_runtimes() {
        let step = json!({"outputs": [
            {"name": "kubeconfig", "destinationFile": "/home/nonroot/.kube/config"},
            {"name": "inside", "destinationFile": "/cnab/app/kubeconfig"},
            {"name": "relative", "destinationFile": "out/file"},
            {"name": "plain"}
        ]});
        assert_eq!(
            requested(&step),
            [(
                "kubeconfig".to_string(),
                "/home/nonroot/.kube/config".to_string()
            )]
        );
        assert!(requested(&json!({"command": "x"})).is_empty());
    }

    #[test]
    fn the_file_is_written_owner_only_with_its_directories() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("home/.kube/config");
        let requested = vec![("kc".to_string(), file.display().to_string())];
        let layout = Layout::new(dir.path().join("cnab"));
        let produced = [StepOutput {
            name: "kc".into(),
            value: b"apiVersion: v1\n".to_vec(),
        }];
        let written = write(&layout, &requested, &produced).unwrap();
        assert_eq!(written[0].path, file);
        assert_eq!(std::fs::read(&file).unwrap(), b"apiVersion: v1\n");
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);

        let missing = write(&layout, &requested, &[]).unwrap_err();
        assert!(missing.contains("the step produced no kc"), "{missing}");

        for sneaky in ["/tmp/../cnab/app/run", "/../../etc/passwd"] {
            let requested = vec![("kc".to_string(), sneaky.to_string())];
            let refused = write(&layout, &requested, &produced).unwrap_err();
            assert!(refused.contains("leads into /cnab or above /"), "{refused}");
        }
        assert!(!dir.path().join("cnab/app/run").exists());
    }
}
