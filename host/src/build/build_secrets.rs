//! `wharf build --secret` and `--ssh`: what a BuildKit build may mount
//! without it landing in the image.
//!
//! BuildKit asks the client for a secret when a `RUN
//! --mount=type=secret` step runs, and mounts it on a tmpfs for that step
//! only: the bytes reach no layer and no cache key. Wharf reads each
//! secret once before the build (so a missing file or variable is named
//! before Docker is asked for anything) and keeps the bytes only to mask
//! them in whatever BuildKit says back.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use crate::runtime::Masker;

/// The largest secret BuildKit's session takes (bollard's limit).
pub const MAX_SECRET_BYTES: u64 = 500 * 1024;

/// One `--secret`: an id the Dockerfile mounts and where its bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildSecret {
    /// The id a `RUN --mount=type=secret,id=...` names.
    pub id: String,
    /// Where the bytes are read from.
    pub source: SecretSource,
}

/// Where a build secret's bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// A file (`src=`, `source=`).
    File(PathBuf),
    /// An environment variable (`env=`).
    Env(String),
}

impl std::str::FromStr for BuildSecret {
    type Err = String;

    /// Parses docker's and Porter's form: `id=NAME,src=FILE`,
    /// `id=NAME,env=VAR`, with `source=` and `type=file|env` accepted;
    /// a bare `id=NAME` reads the variable NAME, then the file NAME, as the
    /// docker CLI does.
    fn from_str(spec: &str) -> Result<BuildSecret, String> {
        let (mut id, mut file, mut env, mut kind) = (None, None, None, None);
        for field in spec.split(',') {
            let (key, value) = field.split_once('=').ok_or_else(|| {
                format!("`{field}` in --secret {spec} is not KEY=VALUE; write id=NAME,src=FILE")
            })?;
            let slot = match key.trim() {
                "id" => &mut id,
                "src" | "source" => &mut file,
                "env" => &mut env,
                "type" => &mut kind,
                other => {
                    return Err(format!(
                        "--secret {spec}: unknown key `{other}`; the keys are id, src (or source), env and type"
                    ));
                }
            };
            *slot = Some(value.trim().to_string());
        }
        let id = id
            .filter(|id| !id.is_empty())
            .ok_or_else(|| format!("--secret {spec} has no id; write id=NAME,src=FILE"))?;
        let source = match (kind.as_deref(), file, env) {
            (_, Some(_), Some(_)) => {
                return Err(format!("--secret {spec} gives both src and env; keep one"));
            }
            (Some("env"), Some(var), None) | (_, None, Some(var)) => SecretSource::Env(var),
            (None | Some("file"), Some(path), None) => SecretSource::File(PathBuf::from(path)),
            (None, None, None) if std::env::var_os(&id).is_some() => SecretSource::Env(id.clone()),
            (None | Some("file"), None, None) => SecretSource::File(PathBuf::from(&id)),
            (Some("env"), None, None) => SecretSource::Env(id.clone()),
            (Some(other), _, _) => {
                return Err(format!(
                    "--secret {spec}: type `{other}` is neither file nor env"
                ));
            }
        };
        Ok(BuildSecret { id, source })
    }
}

impl BuildSecret {
    /// Reads the secret's bytes, or says which flag names what is missing.
    pub fn read(&self) -> Result<Vec<u8>> {
        match &self.source {
            SecretSource::File(path) => {
                let size = std::fs::metadata(path)
                    .with_context(|| {
                        format!(
                            "--secret id={}: cannot read {}; give the path of the secret's file",
                            self.id,
                            path.display()
                        )
                    })?
                    .len();
                if size > MAX_SECRET_BYTES {
                    bail!(
                        "--secret id={}: {} is {size} bytes, and BuildKit takes secrets of at most \
                         {MAX_SECRET_BYTES}; mount a smaller one (a token, a key) and fetch the rest",
                        self.id,
                        path.display()
                    );
                }
                std::fs::read(path).with_context(|| {
                    format!("--secret id={}: cannot read {}", self.id, path.display())
                })
            }
            SecretSource::Env(var) => match std::env::var_os(var) {
                Some(value) => Ok(value.into_encoded_bytes()),
                None => bail!(
                    "--secret id={}: the environment variable {var} is not set; set it, or give \
                     src=FILE",
                    self.id
                ),
            },
        }
    }
}

/// Reads every secret, checking that ids are not given twice, and returns
/// a masker that knows their values.
pub fn read_all(secrets: &[BuildSecret]) -> Result<Masker> {
    let masker = Masker::default();
    for (i, secret) in secrets.iter().enumerate() {
        if secrets[..i].iter().any(|s| s.id == secret.id) {
            bail!(
                "--secret id={} is given twice; give each id once",
                secret.id
            );
        }
        let bytes = secret.read()?;
        masker.add(&String::from_utf8_lossy(&bytes));
    }
    Ok(masker)
}

/// Parses `--ssh`: BuildKit forwards the ssh agent at `$SSH_AUTH_SOCK`
/// (`default`, or `default=` that same socket). Other ids and keys are
/// refused with how to forward them. Returns `spec`, for clap.
pub fn parse_ssh(spec: &str) -> Result<String, String> {
    let agent = std::env::var("SSH_AUTH_SOCK").ok();
    match spec.split_once('=') {
        None if spec == "default" => agent.map(|_| spec.to_string()).ok_or_else(|| {
            "--ssh default forwards the ssh agent at $SSH_AUTH_SOCK, which is not set; start an \
             agent (eval $(ssh-agent); ssh-add) first"
                .to_string()
        }),
        Some(("default", path)) if agent.as_deref() == Some(path) => Ok(spec.to_string()),
        _ => Err(format!(
            "--ssh {spec}: Wharf forwards only the ssh agent at $SSH_AUTH_SOCK (`--ssh default`); \
             to forward another agent or key, start the build with SSH_AUTH_SOCK set to its socket"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(spec: &str) -> Result<BuildSecret, String> {
        spec.parse()
    }

    #[test]
    fn docker_and_porter_forms_parse() {
        assert_eq!(
            parse("id=token,src=/tmp/t").unwrap(),
            BuildSecret {
                id: "token".into(),
                source: SecretSource::File("/tmp/t".into())
            }
        );
        assert_eq!(
            parse("id=token,type=env,source=TOKEN").unwrap().source,
            SecretSource::Env("TOKEN".into())
        );
        assert_eq!(
            parse("id=npm,env=NPM_TOKEN").unwrap().source,
            SecretSource::Env("NPM_TOKEN".into())
        );
        assert_eq!(
            parse("id=wharf-no-such-variable-for-a-test")
                .unwrap()
                .source,
            SecretSource::File("wharf-no-such-variable-for-a-test".into())
        );
    }

    #[test]
    fn bad_specs_say_what_to_write() {
        assert!(parse("src=/tmp/t").unwrap_err().contains("has no id"));
        assert!(parse("id=a,src=f,env=V").unwrap_err().contains("keep one"));
        assert!(
            parse("id=a,mode=0400")
                .unwrap_err()
                .contains("unknown key `mode`")
        );
        assert!(parse("token").unwrap_err().contains("is not KEY=VALUE"));
        assert!(
            parse("id=a,type=ssh")
                .unwrap_err()
                .contains("neither file nor env")
        );
    }

    #[test]
    fn reading_names_the_flag_and_masks_the_value() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "s3cr3t-bytes\n").unwrap();
        let good = BuildSecret {
            id: "token".into(),
            source: SecretSource::File(path.clone()),
        };
        let masker = read_all(std::slice::from_ref(&good)).unwrap();
        assert_eq!(masker.mask_str("got s3cr3t-bytes!"), "got *******!");

        let missing = BuildSecret {
            id: "gone".into(),
            source: SecretSource::File(dir.path().join("absent")),
        };
        let err = format!("{:#}", read_all(&[missing]).unwrap_err());
        assert!(err.contains("--secret id=gone: cannot read"), "{err}");
        let twice = read_all(&[good.clone(), good]).unwrap_err().to_string();
        assert!(twice.contains("given twice"), "{twice}");

        std::fs::write(&path, vec![b'x'; MAX_SECRET_BYTES as usize + 1]).unwrap();
        let big = BuildSecret {
            id: "big".into(),
            source: SecretSource::File(path),
        };
        assert!(big.read().unwrap_err().to_string().contains("at most"));
    }
}
