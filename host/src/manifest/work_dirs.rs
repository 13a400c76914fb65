//! Where in the bundle directory a mixin may write.
//!
//! The bundle directory holds the scripts, templates and files every step
//! runs, so a mixin that could write all of it could rewrite what another
//! step executes (`./helper.sh`) or what the runtime reads back. The host
//! therefore gives a mixin the bundle directory read-only, plus write
//! access to the outputs directory and to its own working directories:
//!
//! 1. the step's `workingDir`, when the step names one;
//! 2. else the mixin configuration's `workingDir` and `workingDirs`;
//! 3. else the directory named after the mixin, which is where terraform,
//!    the one official mixin that writes files, works by default.
//!
//! This is a convention of porter.yaml, not of any one mixin: the bundle
//! author grants a directory by naming it, and `wharf explain` shows it.
//! Each directory must be a real subdirectory of the bundle directory,
//! never the bundle directory itself; two mixins never share one.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::cnab::contract::BUNDLE_DIR;
use crate::lexical;

/// The key a step or a mixin configuration names its directory with.
pub const WORKING_DIR: &str = "workingDir";
/// The key a mixin configuration names several directories with.
pub const WORKING_DIRS: &str = "workingDirs";

/// A mixin's working directories from its configuration alone: the ones it
/// has in every step that does not name its own. Relative to the bundle
/// directory.
pub fn configured(mixin: &str, config: Option<&Value>) -> Result<Vec<PathBuf>, String> {
    let mut raw: Vec<(String, &Value)> = Vec::new();
    if let Some(config) = config.and_then(Value::as_object) {
        if let Some(dir) = config.get(WORKING_DIR) {
            raw.push((format!("mixins.{mixin}.{WORKING_DIR}"), dir));
        }
        match config.get(WORKING_DIRS) {
            Some(Value::Array(dirs)) => raw.extend(
                dirs.iter()
                    .enumerate()
                    .map(|(i, dir)| (format!("mixins.{mixin}.{WORKING_DIRS}[{i}]"), dir)),
            ),
            Some(other) => {
                return Err(format!(
                    "mixins.{mixin}.{WORKING_DIRS}: expected a list of directories, found {other}"
                ));
            }
            None => {}
        }
    }
    if raw.is_empty() {
        return Ok(vec![PathBuf::from(mixin)]);
    }
    raw.into_iter()
        .map(|(field, dir)| match dir {
            Value::String(dir) => relative(dir).map_err(|why| format!("{field}: {why}")),
            other => Err(format!("{field}: expected a directory name, found {other}")),
        })
        .collect()
}

/// The working directories of one rendered step of `mixin`: the step's own
/// `workingDir`, else [`configured`]. Relative to the bundle directory.
pub fn for_step(mixin: &str, config: Option<&Value>, step: &Value) -> Result<Vec<PathBuf>, String> {
    match step.get(WORKING_DIR) {
        None => configured(mixin, config),
        Some(Value::String(dir)) => relative(dir)
            .map(|dir| vec![dir])
            .map_err(|why| format!("{WORKING_DIR}: {why}")),
        Some(other) => Err(format!(
            "{WORKING_DIR}: expected a directory name, found {other}"
        )),
    }
}

/// `dir` as a normalized path relative to the bundle directory. Absolute
/// paths are accepted beneath [`BUNDLE_DIR`]; anything that leaves it, or
/// that is the bundle directory itself, is refused with the reason.
pub fn relative(dir: &str) -> Result<PathBuf, String> {
    let path = Path::new(dir);
    let inside = if path.is_absolute() {
        path.strip_prefix(BUNDLE_DIR).map_err(|_| {
            format!("`{dir}` is outside the bundle directory {BUNDLE_DIR}; a mixin may write only in a directory of its own inside it")
        })?
    } else {
        path
    };
    // Folded from a root of its own, so `..` may not climb past it.
    let root = Path::new("/");
    let normal = lexical::normalize(&root.join(inside))
        .and_then(|folded| folded.strip_prefix(root).ok().map(Path::to_path_buf))
        .ok_or_else(|| {
            format!("`{dir}` leaves the bundle directory {BUNDLE_DIR}; name a directory inside it")
        })?;
    if normal.as_os_str().is_empty() {
        return Err(format!(
            "`{dir}` is the whole bundle directory, which stays read-only to mixins so that \
             none can rewrite what another step runs; move the mixin's files into a \
             subdirectory (for example `terraform/`) and name that"
        ));
    }
    Ok(normal)
}

/// Whether one of two relative directories contains the other.
pub fn overlap(a: &Path, b: &Path) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_mixin_without_configuration_works_in_the_directory_named_after_it() {
        assert_eq!(
            configured("terraform", None).unwrap(),
            [PathBuf::from("terraform")]
        );
        assert_eq!(
            configured("helm3", Some(&json!({"clientVersion": "1"}))).unwrap(),
            [PathBuf::from("helm3")]
        );
    }

    #[test]
    fn configuration_and_steps_name_the_directories() {
        let config = json!({"workingDir": "./infra/"});
        assert_eq!(
            configured("terraform", Some(&config)).unwrap(),
            [PathBuf::from("infra")]
        );
        let config = json!({"workingDirs": ["a", "/cnab/app/b/c"]});
        assert_eq!(
            configured("terraform", Some(&config)).unwrap(),
            [PathBuf::from("a"), PathBuf::from("b/c")]
        );
        let step = json!({"workingDir": "a/../d"});
        assert_eq!(
            for_step("terraform", Some(&config), &step).unwrap(),
            [PathBuf::from("d")]
        );
        assert_eq!(
            for_step("terraform", Some(&config), &json!({})).unwrap(),
            [PathBuf::from("a"), PathBuf::from("b/c")]
        );
    }

    #[test]
    fn directories_outside_or_equal_to_the_bundle_directory_are_refused() {
        for dir in [
            ".",
            "./",
            "/cnab/app",
            "a/..",
            "..",
            "../x",
            "a/../../x",
            "/etc",
            "/",
        ] {
            let why = relative(dir).expect_err(dir);
            assert!(why.contains(&format!("`{dir}`")), "{dir}: {why}");
        }
        let why = for_step("t", None, &json!({"workingDir": "/tmp"})).unwrap_err();
        assert!(why.starts_with("workingDir: `/tmp` is outside"), "{why}");
        let why = configured("t", Some(&json!({"workingDirs": [3]}))).unwrap_err();
        assert!(
            why.starts_with("mixins.t.workingDirs[0]: expected"),
            "{why}"
        );
    }

    #[test]
    fn nested_directories_overlap() {
        assert!(overlap(Path::new("a"), Path::new("a/b")));
        assert!(overlap(Path::new("a/b"), Path::new("a")));
        assert!(!overlap(Path::new("a"), Path::new("ab")));
    }
}
