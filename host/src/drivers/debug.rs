//! The `debug` driver: says what would run, runs nothing.

use super::Invocation;

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
}
