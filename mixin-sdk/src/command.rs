//! A safe, typed wrapper over the host's `run-command` import.
//!
//! Mixins never spawn processes themselves (WebAssembly cannot); they ask the
//! host, which checks the request against the programs the mixin declared in
//! its metadata and against the capabilities of the current call.

use crate::bindings::wharf::mixin::host;
use crate::error::Error;

/// A program to run, built up like `std::process::Command`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    program: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    dir: Option<String>,
    stdin: Option<Vec<u8>>,
    stream_output: bool,
}

impl Command {
    /// A command that runs `program` (a bare name looked up on PATH, or an
    /// absolute path) with no arguments, streaming its output to the user.
    pub fn new(program: impl Into<String>) -> Self {
        Self {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
            dir: None,
            stdin: None,
            stream_output: true,
        }
    }

    /// Adds one argument.
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Adds several arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets an environment variable for the process.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Sets several environment variables.
    pub fn envs<I, K, V>(mut self, vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.env
            .extend(vars.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// Runs the process in `dir` instead of the bundle directory.
    pub fn dir(mut self, dir: impl Into<String>) -> Self {
        self.dir = Some(dir.into());
        self
    }

    /// Writes `bytes` to the process's standard input.
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(bytes.into());
        self
    }

    /// Whether the user sees the output as it arrives (Porter's
    /// `suppress-output: true` is `stream_output(false)`). The output is
    /// captured and returned either way.
    pub fn stream_output(mut self, stream: bool) -> Self {
        self.stream_output = stream;
        self
    }

    /// The program this command runs.
    pub fn program(&self) -> &str {
        &self.program
    }

    /// The arguments, in order.
    pub fn get_args(&self) -> &[String] {
        &self.args
    }

    /// The extra environment variables, in the order they were added.
    pub fn get_env(&self) -> &[(String, String)] {
        &self.env
    }

    /// The working directory, if one was set.
    pub fn get_dir(&self) -> Option<&str> {
        self.dir.as_deref()
    }

    /// The command line as a person would type it, for logs and errors.
    pub fn display(&self) -> String {
        std::iter::once(self.program.as_str())
            .chain(self.args.iter().map(String::as_str))
            .map(shell_quote)
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Runs the command to completion through the host.
    ///
    /// A non-zero exit code is not an error here: inspect
    /// [`CommandOutput::success`], or use [`CommandOutput::check`].
    pub fn run(&self) -> Result<CommandOutput, CommandError> {
        let request = host::Command {
            program: self.program.clone(),
            args: self.args.clone(),
            env: self.env.clone(),
            dir: self.dir.clone(),
            stdin: self.stdin.clone(),
            stream_output: self.stream_output,
        };
        match host::run_command(&request) {
            Ok(result) => Ok(CommandOutput {
                command: self.display(),
                exit_code: result.exit_code,
                stdout: result.stdout,
                stderr: result.stderr,
            }),
            Err(host::CommandError::Denied(why)) => Err(CommandError::Denied(why)),
            Err(host::CommandError::SpawnFailed(why)) => Err(CommandError::SpawnFailed(why)),
            Err(host::CommandError::OutputTooLarge(limit)) => {
                Err(CommandError::OutputTooLarge(limit))
            }
        }
    }
}

/// How a command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandOutput {
    /// The command line, for messages.
    pub command: String,
    /// The exit code; -1 when a signal ended the process.
    pub exit_code: i32,
    /// Everything written to standard output.
    pub stdout: Vec<u8>,
    /// Everything written to standard error.
    pub stderr: Vec<u8>,
}

impl CommandOutput {
    /// True when the exit code is zero.
    pub fn success(&self) -> bool {
        self.exit_code == 0
    }

    /// Standard output as text (invalid UTF-8 is replaced).
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Standard error as text (invalid UTF-8 is replaced).
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// Turns a non-zero exit code into an [`Error`] that quotes the end of
    /// standard error, which is where tools put the reason.
    pub fn check(self) -> Result<Self, Error> {
        if self.success() {
            return Ok(self);
        }
        Err(Error::new(failure_message(&self)))
    }
}

/// The message for a command that exited non-zero.
pub(crate) fn failure_message(output: &CommandOutput) -> String {
    let stderr = output.stderr_text();
    let tail = stderr.trim_end();
    let tail = match tail.char_indices().rev().nth(1999) {
        Some((start, _)) => &tail[start..],
        None => tail,
    };
    if tail.is_empty() {
        format!("`{}` exited with code {}", output.command, output.exit_code)
    } else {
        format!(
            "`{}` exited with code {}: {tail}",
            output.command, output.exit_code
        )
    }
}

/// Why a command could not run to completion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandError {
    /// The host refused: the program is not declared in the mixin's metadata,
    /// or the current call (build, lint) may not run commands at all.
    Denied(String),
    /// The program was not found or could not start.
    SpawnFailed(String),
    /// The process wrote more than the host captures; it was stopped. The
    /// number is the limit in bytes.
    OutputTooLarge(u64),
}

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CommandError::Denied(why) => write!(f, "the host refused to run the command: {why}"),
            CommandError::SpawnFailed(why) => write!(f, "the command could not start: {why}"),
            CommandError::OutputTooLarge(limit) => write!(
                f,
                "the command wrote more than {limit} bytes of output and was stopped; \
                 redirect large output to a file in the bundle directory instead"
            ),
        }
    }
}

impl std::error::Error for CommandError {}

impl From<CommandError> for Error {
    fn from(err: CommandError) -> Self {
        Error::new(err.to_string())
    }
}

/// Quotes an argument for display the way a POSIX shell would need it.
fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_quotes_only_what_a_shell_would_split() {
        let cmd = Command::new("bash")
            .arg("-c")
            .arg("echo 'hi' there")
            .arg("--flag=value");
        assert_eq!(
            cmd.display(),
            r"bash -c 'echo '\''hi'\'' there' --flag=value"
        );
    }

    #[test]
    fn check_quotes_stderr_of_a_failed_command() {
        let out = CommandOutput {
            command: "false".into(),
            exit_code: 3,
            stdout: vec![],
            stderr: b"boom\n".to_vec(),
        };
        assert_eq!(
            out.check().unwrap_err().message(),
            "`false` exited with code 3: boom"
        );
    }
}
