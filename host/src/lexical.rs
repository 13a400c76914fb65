//! Paths resolved by their text alone: `.` and `..` folded away without
//! asking the filesystem. The mixin policy and the manifest's working
//! directories both confine a path a mixin or an author gave to the bundle
//! directory this way before anything on disk is consulted.

use std::path::{Component, Path, PathBuf};

/// `path` with `.` and `..` resolved lexically; `None` for a relative path
/// or one that climbs above `/`.
pub fn normalize(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::RootDir => out.push("/"),
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() || out.as_os_str().is_empty() {
                    return None;
                }
            }
            Component::Normal(name) => out.push(name),
            Component::Prefix(_) => return None,
        }
    }
    out.is_absolute().then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dots_fold_and_climbing_above_the_root_is_refused() {
        let n = |p: &str| normalize(Path::new(p));
        assert_eq!(n("/a/./b/../c"), Some(PathBuf::from("/a/c")));
        assert_eq!(n("/a/.."), Some(PathBuf::from("/")));
        assert_eq!(n("/.."), None);
        assert_eq!(n("a/b"), None);
    }
}
