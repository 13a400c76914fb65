//! Finding a program on a search path, the way a shell does.
//!
//! Two places look programs up: the mixin sandbox (on the PATH a call was
//! granted, never the host's) and Docker credential helpers (on the
//! operator's PATH). Both want the same rule: the first regular file with
//! an execute bit, in path order, empty entries skipped.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// The first executable file named `program` in the directories of
/// `search_path` (a `PATH`-style, colon-separated list).
pub fn find_program(program: &str, search_path: &OsStr) -> Option<PathBuf> {
    std::env::split_paths(search_path)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

/// Whether `path` is a regular file someone may execute.
pub fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    #[test]
    fn takes_the_first_executable_in_path_order() {
        let first = tempfile::tempdir().unwrap();
        let second = tempfile::tempdir().unwrap();
        let plain = first.path().join("tool");
        std::fs::write(&plain, "not executable").unwrap();
        let runnable = second.path().join("tool");
        std::fs::write(&runnable, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&runnable, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::create_dir(first.path().join("dir")).unwrap();

        let path = format!("::{}:{}", first.path().display(), second.path().display());
        assert_eq!(find_program("tool", OsStr::new(&path)), Some(runnable));
        assert_eq!(find_program("dir", OsStr::new(&path)), None);
        assert_eq!(find_program("missing", OsStr::new(&path)), None);
        assert_eq!(find_program("tool", OsStr::new("")), None);
    }
}
