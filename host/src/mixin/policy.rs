//! Capabilities: what one call of a mixin may do, deny by default.
//!
//! Pure calls may not run commands at all. `execute` may run the programs the
//! mixin declared in its metadata and nothing else, with an environment the
//! caller spells out: the host's own environment is never inherited.
//! Commands run inside the bundle directory: a `dir` that leaves it is
//! refused like an undeclared program.
//!
//! A declared program must stay that program. Bare names are looked up only
//! in the granted PATH's directories that a mixin cannot write: absolute
//! ones outside the bundle directory and outside the scratch directories
//! (`/tmp`, `/var/tmp`, `/dev/shm`), so a mixin cannot plant its own `echo`
//! ahead of the real one. A relative program (`./helper.sh`, which an exec
//! step may run) must resolve inside the bundle directory, symlinks
//! followed; no other mixin can rewrite it, as a mixin writes only in its
//! own working directories (see [`crate::manifest::work_dirs`]). The variables a mixin may not add are in
//! [`super::hijack_env`].

use std::path::{Path, PathBuf};

use crate::lexical::normalize;
use crate::path_lookup::find_program;

/// The PATH commands get when the caller does not give one.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Directories anyone in the container may write; never searched.
const SCRATCH_DIRS: &[&str] = &["/tmp", "/var/tmp", "/dev/shm"];

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
    bundle_dir: Option<PathBuf>,
}

impl ProgramGrant {
    /// The grant of `declared` programs with the caller's `env`, for a call
    /// whose writable directory is `bundle_dir`.
    pub(crate) fn new(
        declared: Vec<String>,
        env: Vec<(String, String)>,
        bundle_dir: Option<&Path>,
    ) -> Self {
        let granted = env
            .iter()
            .rev()
            .find(|(k, _)| k == "PATH")
            .map_or(DEFAULT_PATH, |(_, v)| v.as_str());
        let path = safe_search_path(granted, bundle_dir);
        let env = env.into_iter().filter(|(k, _)| k != "PATH").collect();
        Self {
            declared,
            env,
            path,
            bundle_dir: bundle_dir.map(Path::to_path_buf),
        }
    }

    /// The environment every command starts from: the caller's, with the
    /// PATH programs were looked up on.
    pub(crate) fn env(&self) -> impl Iterator<Item = (&str, &str)> {
        self.env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .chain(std::iter::once(("PATH", self.path.as_str())))
    }

    /// Checks `program` against the declaration and resolves it to a file.
    ///
    /// A bare name must be declared and is looked up on the granted PATH
    /// (not the host's), in directories a mixin cannot write. A path must be
    /// declared exactly, so declaring `terraform` does not allow
    /// `/tmp/evil/terraform`; a relative one is resolved from `dir` and must
    /// stay inside the bundle directory.
    pub(crate) fn authorize(&self, program: &str, dir: &Path) -> Result<PathBuf, Authorization> {
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
        if program.starts_with('/') {
            return Ok(PathBuf::from(program));
        }
        if is_path {
            return self.inside_bundle_dir(program, dir);
        }
        find_program(program, self.path.as_ref()).ok_or_else(|| {
            Authorization::NotFound(format!(
                "`{program}` was not found on PATH ({}); install it in the invocation image",
                self.path
            ))
        })
    }
}

impl ProgramGrant {
    /// `program`, relative to `dir`, if it stays inside the bundle
    /// directory (lexically and with symlinks resolved).
    fn inside_bundle_dir(&self, program: &str, dir: &Path) -> Result<PathBuf, Authorization> {
        let escapes = || {
            Authorization::Denied(format!(
                "it may not run `{program}` from {}: a relative program must be inside the \
                 bundle directory; ship it in the bundle or install it in the invocation image",
                dir.display()
            ))
        };
        let bundle = self.bundle_dir.as_deref().ok_or_else(escapes)?;
        inside(bundle, dir, program).map_err(|_| escapes())
    }
}

/// How a path a mixin named leaves the bundle directory.
enum Escape {
    /// By its own components (`/`, `../..`).
    Lexically,
    /// Through a link inside the bundle directory, to this real path.
    ThroughLink(PathBuf),
}

/// `requested`, taken from `base` (an absolute one from `/`), if it stays
/// inside `bundle_dir`: lexically, and with links resolved where it exists
/// (a link planted inside may point anywhere; a path that does not exist
/// yet fails on its own when it is used).
fn inside(bundle_dir: &Path, base: &Path, requested: &str) -> Result<PathBuf, Escape> {
    let candidate = normalize(&base.join(requested)).ok_or(Escape::Lexically)?;
    let bundle = normalize(bundle_dir).ok_or(Escape::Lexically)?;
    if !candidate.starts_with(&bundle) {
        return Err(Escape::Lexically);
    }
    if let (Ok(real), Ok(real_bundle)) = (candidate.canonicalize(), bundle.canonicalize())
        && !real.starts_with(&real_bundle)
    {
        return Err(Escape::ThroughLink(real));
    }
    Ok(candidate)
}

/// The directories of `granted` that a mixin cannot write: absolute, and
/// neither in the bundle directory nor in a scratch directory.
fn safe_search_path(granted: &str, bundle_dir: Option<&Path>) -> String {
    let bundle = bundle_dir.and_then(normalize);
    granted
        .split(':')
        .filter(|dir| {
            let Some(dir) = normalize(Path::new(dir)) else {
                return false;
            };
            let writable = SCRATCH_DIRS.iter().any(|s| dir.starts_with(s))
                || bundle.as_ref().is_some_and(|b| dir.starts_with(b));
            !writable
        })
        .collect::<Vec<_>>()
        .join(":")
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
    inside(bundle_dir, bundle_dir, requested).map_err(|escape| match escape {
        Escape::Lexically => refuse("it is outside the bundle directory"),
        Escape::ThroughLink(real) => refuse(&format!(
            "it leads through a link to {}, outside the bundle directory",
            real.display()
        )),
    })
}

/// What the caller grants an `execute` call beyond the defaults.
#[derive(Debug, Clone, Default)]
pub struct ExecuteGrant {
    /// The bundle directory: commands run here, and the mixin may read it.
    pub bundle_dir: Option<PathBuf>,
    /// The directories inside `bundle_dir` the mixin may also write: its
    /// working directories and the outputs directory (see
    /// [`crate::manifest::work_dirs`]). One that does not exist is skipped.
    pub writable: Vec<PathBuf>,
    /// The environment commands start from (PATH defaults to
    /// [`DEFAULT_PATH`]). Nothing else of the host's environment is passed.
    pub env: Vec<(String, String)>,
    /// The environment the mixin itself reads (WASI's): only what the
    /// bundle grants it (`grant: env:` in porter.yaml), usually nothing.
    pub guest_env: Vec<(String, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: &str = "/";

    #[test]
    fn undeclared_program_is_denied_with_the_declaration() {
        let grant = ProgramGrant::new(vec!["echo".into()], vec![], None);
        let Err(Authorization::Denied(msg)) = grant.authorize("cat", Path::new(ROOT)) else {
            panic!("cat should be denied");
        };
        assert!(msg.contains("`cat`") && msg.contains("`echo`"), "{msg}");
    }

    #[test]
    fn declared_name_does_not_allow_a_path_with_that_name() {
        let grant = ProgramGrant::new(vec!["sh".into()], vec![], None);
        assert!(grant.authorize("sh", Path::new(ROOT)).is_ok());
        assert!(matches!(
            grant.authorize("/tmp/x/sh", Path::new(ROOT)),
            Err(Authorization::Denied(_))
        ));
    }

    #[test]
    fn star_allows_anything_and_lookup_uses_the_granted_path() {
        let grant = ProgramGrant::new(
            vec!["*".into()],
            vec![("PATH".into(), "/nonexistent".into())],
            None,
        );
        assert!(matches!(
            grant.authorize("sh", Path::new(ROOT)),
            Err(Authorization::NotFound(_))
        ));
        let grant = ProgramGrant::new(vec!["*".into()], vec![], None);
        let sh = grant.authorize("sh", Path::new(ROOT)).unwrap();
        assert_eq!(sh.file_name().unwrap(), "sh");
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
        let grant = ProgramGrant::new(vec![], vec![("A".into(), "1".into())], None);
        let env: Vec<_> = grant.env().collect();
        assert_eq!(env, [("A", "1"), ("PATH", DEFAULT_PATH)]);
    }

    #[test]
    fn writable_directories_are_dropped_from_the_search_path() {
        let granted = "/cnab/app/bin:/tmp/evil:relative::/usr/bin:/var/tmp:/cnab/app/../app/x:/bin";
        let grant = ProgramGrant::new(
            vec!["echo".into()],
            vec![("PATH".into(), granted.into())],
            Some(Path::new("/cnab/app")),
        );
        let env: Vec<_> = grant.env().collect();
        assert_eq!(env, [("PATH", "/usr/bin:/bin")]);
    }

    #[test]
    fn relative_programs_stay_inside_the_bundle_directory() {
        let bundle = tempfile::tempdir().unwrap();
        let dir = bundle.path();
        std::fs::write(dir.join("helper.sh"), "#!/bin/sh\n").unwrap();
        std::os::unix::fs::symlink("/bin/sh", dir.join("out.sh")).unwrap();
        let grant = ProgramGrant::new(vec!["*".into()], vec![], Some(dir));
        assert_eq!(
            grant.authorize("./helper.sh", dir).unwrap(),
            dir.join("helper.sh")
        );
        for escape in ["../x.sh", "./../../bin/sh", "./out.sh"] {
            assert!(
                matches!(grant.authorize(escape, dir), Err(Authorization::Denied(_))),
                "{escape} was allowed"
            );
        }
        // A command directory outside the bundle directory does not move
        // where a relative program may come from.
        assert!(matches!(
            grant.authorize("./sh", Path::new("/bin")),
            Err(Authorization::Denied(_))
        ));
        let no_bundle = ProgramGrant::new(vec!["*".into()], vec![], None);
        assert!(matches!(
            no_bundle.authorize("./helper.sh", dir),
            Err(Authorization::Denied(_))
        ));
    }
}
