//! Environment variables a mixin may not set on a command.
//!
//! A declared program is a grant to run *that* program. Many programs, and
//! the dynamic loader under all of them, read variables that turn the
//! process into other code: `LD_PRELOAD=/cnab/app/evil.so echo` runs the
//! mixin's own shared object inside `echo`, `BASH_ENV` makes every bash
//! script source a file first, `PYTHONSTARTUP` and `NODE_OPTIONS` do the
//! same for interpreters. So `run-command` refuses these names in the
//! environment a mixin adds (the step's `envs` arrive the same way); the
//! environment the caller grants (the invocation image's, set by the bundle
//! author and the user) is trusted and passed as it is.
//!
//! The list (docs/mixin-authoring.md repeats it):
//!
//! - the loader and libc: every `LD_*`, `GCONV_PATH`, `GETCONF_DIR`,
//!   `GLIBC_TUNABLES`, `MALLOC_*`, `HOSTALIASES`, `LOCALDOMAIN`, `LOCPATH`,
//!   `NIS_PATH`, `NLSPATH`, `RESOLV_HOST_CONF`, `RES_OPTIONS`, `TMPDIR`,
//!   `TZDIR` (glibc's own list of variables it drops for setuid programs);
//! - program lookup: `PATH` (programs are looked up on the granted PATH
//!   only, see [`super::policy`]);
//! - shells: `BASH_ENV`, `ENV`, `BASH_FUNC_*`, `SHELLOPTS`, `BASHOPTS`,
//!   `PS4`, `IFS`, `CDPATH`, `GLOBIGNORE`, `PROMPT_COMMAND`;
//! - interpreters: `PYTHONSTARTUP`, `PYTHONPATH`, `PYTHONHOME`,
//!   `PYTHONUSERBASE`, `PYTHONINSPECT`, `PERL5LIB`, `PERLLIB`, `PERL5OPT`,
//!   `PERL5DB`, `RUBYOPT`, `RUBYLIB`, `NODE_OPTIONS`, `NODE_PATH`,
//!   `JAVA_TOOL_OPTIONS`, `_JAVA_OPTIONS`, `JDK_JAVA_OPTIONS`;
//! - helpers other programs start: `GIT_EXEC_PATH`, `GIT_SSH`,
//!   `GIT_SSH_COMMAND`, `GIT_PROXY_COMMAND`, `GIT_ASKPASS`, `SSH_ASKPASS`,
//!   `GIT_CONFIG_*` (which can set `core.sshCommand`), `GIT_EXTERNAL_DIFF`,
//!   `EDITOR`, `VISUAL`, `PAGER`.
//!
//! Names are compared exactly (Linux names are case-sensitive). A name with
//! `=` or NUL in it is refused too: it would make a different variable.

/// Exact names a mixin may not set.
const NAMES: &[&str] = &[
    "GCONV_PATH",
    "GETCONF_DIR",
    "GLIBC_TUNABLES",
    "HOSTALIASES",
    "LOCALDOMAIN",
    "LOCPATH",
    "NIS_PATH",
    "NLSPATH",
    "RESOLV_HOST_CONF",
    "RES_OPTIONS",
    "TMPDIR",
    "TZDIR",
    "PATH",
    "BASH_ENV",
    "ENV",
    "SHELLOPTS",
    "BASHOPTS",
    "PS4",
    "IFS",
    "CDPATH",
    "GLOBIGNORE",
    "PROMPT_COMMAND",
    "PYTHONSTARTUP",
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONUSERBASE",
    "PYTHONINSPECT",
    "PERL5LIB",
    "PERLLIB",
    "PERL5OPT",
    "PERL5DB",
    "RUBYOPT",
    "RUBYLIB",
    "NODE_OPTIONS",
    "NODE_PATH",
    "JAVA_TOOL_OPTIONS",
    "_JAVA_OPTIONS",
    "JDK_JAVA_OPTIONS",
    "GIT_EXEC_PATH",
    "GIT_SSH",
    "GIT_SSH_COMMAND",
    "GIT_PROXY_COMMAND",
    "GIT_ASKPASS",
    "SSH_ASKPASS",
    "GIT_EXTERNAL_DIFF",
    "EDITOR",
    "VISUAL",
    "PAGER",
];

/// Prefixes a mixin may not set any name under.
const PREFIXES: &[&str] = &["LD_", "MALLOC_", "BASH_FUNC_", "GIT_CONFIG_"];

/// Why the mixin may not set `name` on a command, if it may not.
pub(crate) fn refusal(name: &str, program: &str) -> Option<String> {
    let hijack = NAMES.contains(&name) || PREFIXES.iter().any(|p| name.starts_with(p));
    if hijack {
        return Some(format!(
            "it may not set `{name}` on `{program}`: the variable can make the program run \
             other code (see \"Commands\" in docs/mixin-authoring.md); set it in the \
             invocation image or pass the value as an argument instead"
        ));
    }
    if name.is_empty() || name.contains(['=', '\0']) {
        return Some(format!(
            "it tried to set an environment variable named {name:?} on `{program}`, \
             which is not a valid name"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::refusal;

    #[test]
    fn loader_shell_and_interpreter_hijacks_are_refused() {
        for name in [
            "LD_PRELOAD",
            "LD_LIBRARY_PATH",
            "LD_AUDIT",
            "GCONV_PATH",
            "MALLOC_CHECK_",
            "GLIBC_TUNABLES",
            "BASH_ENV",
            "ENV",
            "BASH_FUNC_echo%%",
            "PATH",
            "PYTHONSTARTUP",
            "NODE_OPTIONS",
            "GIT_CONFIG_COUNT",
        ] {
            let why = refusal(name, "echo").unwrap_or_else(|| panic!("{name} allowed"));
            assert!(why.contains(name) && why.contains("`echo`"), "{why}");
        }
        for bad in ["", "A=B", "A\0B"] {
            assert!(refusal(bad, "echo").is_some(), "{bad:?} allowed");
        }
    }

    #[test]
    fn ordinary_variables_pass() {
        for name in [
            "HOME",
            "KUBECONFIG",
            "TF_VAR_x",
            "TF_IN_AUTOMATION",
            "ld_preload_is_not_the_loader",
            "XLD_PRELOAD",
            "GREETING",
        ] {
            assert_eq!(refusal(name, "echo"), None, "{name}");
        }
    }
}
