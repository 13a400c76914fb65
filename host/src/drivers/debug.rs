//! The `debug` driver: says what would run, runs nothing.
//!
//! Its "output" is the description of the invocation, on stdout, so the
//! operator can check the environment, files and mounts a bundle would
//! get without a Docker Engine, and without a record of a run that never
//! happened.

use super::{BoxFuture, Completed, DEBUG, Driver, Invocation, OutputCallback};
use crate::mixin::Stream;

/// Shows each invocation (sensitive values hidden) and runs nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct DebugDriver;

impl Driver for DebugDriver {
    fn name(&self) -> &str {
        DEBUG
    }

    /// Describing an image needs nothing of its type.
    fn handles(&self, _image_type: &str) -> bool {
        true
    }

    fn is_dry_run(&self) -> bool {
        true
    }

    fn run<'a>(
        &'a self,
        invocation: &'a Invocation,
        on_output: OutputCallback<'a>,
    ) -> BoxFuture<'a, anyhow::Result<Completed>> {
        Box::pin(async move {
            on_output(
                Stream::Stdout,
                format!("{}\n", describe(invocation)).as_bytes(),
            );
            Ok(Completed::default())
        })
    }

    /// There is never a container to remove.
    fn remove_container<'a>(&'a self, _name: &'a str) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async { Ok(()) })
    }
}

/// A description of the run, with sensitive values hidden.
pub fn describe(invocation: &Invocation) -> String {
    let mut lines = vec![format!("image: {}", invocation.image)];
    let mut env: Vec<&(String, String)> = invocation.env.iter().collect();
    env.sort();
    for (key, value) in env {
        let shown = if invocation.sensitive_env.contains(key) {
            "*******"
        } else {
            value.as_str()
        };
        lines.push(format!("env: {key}={shown}"));
    }
    for (path, bytes) in &invocation.files {
        lines.push(format!("file: {path} ({} bytes)", bytes.len()));
    }
    if invocation.docker_host_access {
        lines.push("mount: /var/run/docker.sock".into());
    }
    if invocation.privileged {
        lines.push("privileged: true".into());
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_values_are_hidden() {
        let inv = Invocation {
            image: "example/app:v1".into(),
            env: vec![
                ("PASSWORD".into(), "hunter2".into()),
                ("CNAB_ACTION".into(), "install".into()),
            ],
            files: vec![("/cnab/app/cfg".into(), b"{}".to_vec())],
            sensitive_env: vec!["PASSWORD".into()],
            ..Invocation::default()
        };
        let text = describe(&inv);
        assert!(!text.contains("hunter2"));
        assert!(text.contains("env: PASSWORD=*******"));
        assert!(text.contains("env: CNAB_ACTION=install"));
        assert!(text.contains("file: /cnab/app/cfg (2 bytes)"));
    }

    #[tokio::test]
    async fn running_prints_the_description_and_nothing_else() {
        let inv = Invocation {
            image: "example/app:v1".into(),
            env: vec![("TOKEN".into(), "s3cret".into())],
            sensitive_env: vec!["TOKEN".into()],
            ..Invocation::default()
        };
        let mut printed: Vec<(Stream, Vec<u8>)> = Vec::new();
        let completed = DebugDriver
            .run(&inv, &mut |stream, bytes| {
                printed.push((stream, bytes.to_vec()))
            })
            .await
            .expect("the debug driver cannot fail");
        assert_eq!(completed, Completed::default());
        assert_eq!(
            printed,
            vec![(
                Stream::Stdout,
                b"image: example/app:v1\nenv: TOKEN=*******\n".to_vec()
            )]
        );
    }
}
