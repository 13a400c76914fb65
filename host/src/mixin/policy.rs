//! Capabilities: what one call of a mixin may do, deny by default.
//!
//! Pure calls may not run commands at all. `execute` may run the programs the
//! mixin declared in its metadata and nothing else, with an environment the
//! caller spells out: the host's own environment is never inherited.
//! Commands run inside the bundle directory: a `dir` that leaves it is
//! refused like an undeclared program.

use std::path::{Component, Path, PathBuf};

use crate::path_lookup::find_program;

/// The PATH commands get when the caller does not give one.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The declaration that grants every program.
pub const ANY_PROGRAM: &str = "*";

/// Whether and what a call may run.
#[derive(Debug, Clone)]
pub(crate) enum CommandGrant {
    /// No commands; the text says why, for the denial message.
    Denied(&'static str),
    /// The declared programs.
    Programs(ProgramGrant),
}

/// The programs a call may run and the environment they get.
#[derive(Debug, Clone)]
pub(crate) struct ProgramGrant {
    declared: Vec<String>,
    env: Vec<(String, String)>,
    path: String,
}

impl ProgramGrant {
    pub(crate) fn new(declared: Vec<String>, env: Vec<(String, String)>) -> Self {
        let path = env
            .iter()
            .rev()
            .find(|(k, _)| k == "PATH")
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| DEFAULT_PATH.to_string());
        Self {
            declared,
            env,
            path,
        }
    }

    /// The environment every command starts from.
    pub(crate) fn env(&self) -> impl Iterator<Item = (&str, &str)> {
        let has_path = self.env.iter().any(|(k, _)| k == "PATH");
        self.env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .chain((!has_path).then_some(("PATH", DEFAULT_PATH)))
    }

    /// Checks `program` against the declaration and resolves it to a file.
    ///
    /// A bare name must be declared and is looked up on the granted PATH
    /// (not the host's). A path must be declared exactly, so declaring
    /// `terraform` does not allow `/tmp/evil/terraform`.
    pub(crate) fn authorize(&self, program: &str) -> Result<PathBuf, Authorization> {
        let any = self.declared.iter().any(|p| p == ANY_PROGRAM);
        let is_path = program.contains('/');
        if !any && !self.declared.iter().any(|p| p == program) {
            return Err(Authorization::Denied(format!(
                "it may not run `{program}`: its metadata declares only {}; \
                 add `{program}` to the mixin's programs and rebuild it",
                if self.declared.is_empty() {
                    "no programs".to_string()
                } else {
                    self.declared
                        .iter()
                        .map(|p| format!("`{p}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            )));
        }
        if is_path {
            return Ok(PathBuf::from(program));
        }
        find_program(program, self.path.as_ref()).ok_or_else(|| {
            Authorization::NotFound(format!(
                "`{program}` was not found on PATH ({}); install it in the invocation image",
                self.path
            ))
        })
    }
}

/// Why a program may not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Authorization {
    /// Not declared: a sandbox refusal.
    Denied(String),
    /// Declared but not installed.
    NotFound(String),
}

/// The directory a command asked to run in (`dir`), confined to the
/// bundle directory: relative paths are taken from it, and a path that
/// leaves it (`/`, `../../..`, or a link inside it that points out) is
/// refused with why, for the denial message.
pub(crate) fn confine_dir(bundle_dir: &Path, requested: Option<&str>) -> Result<PathBuf, String> {
    let Some(requested) = requested else {
        return Ok(bundle_dir.to_path_buf());
    };
    let refuse = |why: &str| {
        format!(
            "it may not run a command in `{requested}`: {why}; a command's dir must stay inside \
             the bundle directory {}, so give a path relative to it",
            bundle_dir.display()
        )
    };
    let mut dir = bundle_dir.to_path_buf();
    for component in Path::new(requested).components() {
        match component {
            Component::Normal(name) => dir.push(name),
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => dir = PathBuf::from("/"),
            Component::ParentDir => {
                dir.pop();
            }
        }
    }
    if !dir.starts_with(bundle_dir) {
        return Err(refuse("it is outside the bundle directory"));
    }
    // A directory link planted inside (`sub -> /`) must not lead out
    // either; a dir that does not exist fails to start on its own.
    if let (Ok(real), Ok(real_bundle)) = (dir.canonicalize(), bundle_dir.canonicalize())
        && !real.starts_with(&real_bundle)
    {
        return Err(refuse(&format!(
            "it leads through a link to {}, outside the bundle directory",
            real.display()
        )));
    }
    Ok(dir)
}

/// What the caller grants an `execute` call beyond the defaults.
#[derive(Debug, Clone, Default)]
pub struct ExecuteGrant {
    /// The bundle directory: commands run here, and the mixin may read and
    /// write it.
    pub bundle_dir: Option<PathBuf>,
    /// The environment commands start from (PATH defaults to
    /// [`DEFAULT_PATH`]). Nothing else of the host's environment is passed.
    pub env: Vec<(String, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undeclared_program_is_denied_with_the_declaration() {
        let grant = ProgramGrant::new(vec!["echo".into()], vec![]);
        let Err(Authorization::Denied(msg)) = grant.authorize("cat") else {
            panic!("cat should be denied");
        };
        assert!(msg.contains("`cat`") && msg.contains("`echo`"), "{msg}");
    }

    #[test]
    fn declared_name_does_not_allow_a_path_with_that_name() {
        let grant = ProgramGrant::new(vec!["sh".into()], vec![]);
        assert!(grant.authorize("sh").is_ok());
        assert!(matches!(
            grant.authorize("/tmp/x/sh"),
            Err(Authorization::Denied(_))
        ));
    }

    #[test]
    fn star_allows_anything_and_lookup_uses_the_granted_path() {
        let grant = ProgramGrant::new(
            vec!["*".into()],
            vec![("PATH".into(), "/nonexistent".into())],
        );
        assert!(matches!(
            grant.authorize("sh"),
            Err(Authorization::NotFound(_))
        ));
        let grant = ProgramGrant::new(vec!["*".into()], vec![]);
        assert_eq!(grant.authorize("sh").unwrap().file_name().unwrap(), "sh");
    }

    #[test]
    fn command_dirs_stay_inside_the_bundle_directory() {
        let bundle = tempfile::tempdir().unwrap();
        let root = bundle.path();
        std::fs::create_dir(root.join("sub")).unwrap();
        std::os::unix::fs::symlink("/", root.join("out")).unwrap();
        assert_eq!(confine_dir(root, None).unwrap(), root);
        assert_eq!(confine_dir(root, Some("sub")).unwrap(), root.join("sub"));
        assert_eq!(
            confine_dir(root, Some("./sub/../sub")).unwrap(),
            root.join("sub")
        );
        let inside = root.join("sub").display().to_string();
        assert_eq!(confine_dir(root, Some(&inside)).unwrap(), root.join("sub"));
        for escape in ["/", "../../..", "sub/../../x", "/etc", "out", "out/etc"] {
            let why = confine_dir(root, Some(escape)).unwrap_err();
            assert!(
                why.contains(&format!("`{escape}`")) && why.contains("inside the bundle directory"),
                "{escape}: {why}"
            );
        }
    }

    #[test]
    fn default_path_is_added_only_when_missing() {
        let grant = ProgramGrant::new(vec![], vec![("A".into(), "1".into())]);
        let env: Vec<_> = grant.env().collect();
        assert_eq!(env, [("A", "1"), ("PATH", DEFAULT_PATH)]);
    }
}
