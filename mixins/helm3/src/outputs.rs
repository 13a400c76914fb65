//! The helm3 step's outputs, as Porter's helm3 mixin defines them: a key of
//! a Kubernetes secret (`secret` + `key`), or a value read from any resource
//! (`resourceType` + `resourceName` + `jsonPath`, with an optional
//! `namespace`).
//!
//! Porter reads secrets through the Kubernetes API; Wharf asks kubectl,
//! the one program besides helm the mixin may run:
//! `kubectl get secret NAME -n NAMESPACE -o jsonpath={.data.KEY}
//! --allow-missing-template-keys=false`, and decodes the base64 kubectl
//! prints. The last flag makes a missing key an error, as it is in Porter
//! (kubectl would otherwise print nothing), while an empty value stays empty.

use mixin_sdk::Command;
use serde::Deserialize;

use crate::kubectl::ResourceQuery;

/// One entry of a helm3 step's `outputs`. Every part is optional here so
/// lint can say which is missing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HelmOutput {
    /// The output's name.
    pub name: String,
    /// The secret to read.
    #[serde(default)]
    pub secret: Option<String>,
    /// The key within the secret.
    #[serde(default)]
    pub key: Option<String>,
    /// The namespace of the secret or resource.
    #[serde(default)]
    pub namespace: Option<String>,
    /// The type of resource to read.
    #[serde(default)]
    pub resource_type: Option<String>,
    /// The resource's name.
    #[serde(default)]
    pub resource_name: Option<String>,
    /// A kubectl JSONPath template applied to the resource.
    #[serde(default)]
    pub json_path: Option<String>,
}

/// Where an output's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source<'a> {
    /// A key of a secret; the value is base64-decoded.
    Secret {
        /// The secret.
        secret: &'a str,
        /// The key.
        key: &'a str,
        /// The namespace: the output's, else the step's, else `default`.
        namespace: &'a str,
    },
    /// A value read from a resource, as kubectl prints it.
    Resource(ResourceQuery<'a>),
}

fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}

impl HelmOutput {
    /// Where the value comes from, given the step's namespace.
    ///
    /// As in Porter, a secret is looked up in the output's namespace, else
    /// the step's, else `default`, but a resource only in the output's
    /// namespace (else the kubeconfig's): Porter passes the step's namespace
    /// to its secret lookup and not to kubectl.
    pub fn source<'a>(&'a self, step_namespace: Option<&'a str>) -> Result<Source<'a>, String> {
        let secret = (given(&self.secret), given(&self.key));
        let resource = [&self.resource_type, &self.resource_name, &self.json_path].map(given);
        let has_secret = secret.0.is_some() || secret.1.is_some();
        let has_resource = resource.iter().any(Option::is_some);
        match (has_secret, has_resource) {
            (true, true) => Err(format!(
                "output `{}` names both a secret and a resource; give either secret and key, \
                 or resourceType, resourceName and jsonPath",
                self.name
            )),
            (true, false) => match secret {
                (Some(secret), Some(key)) => Ok(Source::Secret {
                    secret,
                    key,
                    namespace: given(&self.namespace)
                        .or(step_namespace.filter(|n| !n.is_empty()))
                        .unwrap_or("default"),
                }),
                _ => Err(format!(
                    "output `{}` needs both `secret` and `key`",
                    self.name
                )),
            },
            (false, true) => match resource {
                [Some(resource_type), Some(resource_name), Some(json_path)] => {
                    Ok(Source::Resource(ResourceQuery {
                        resource_type,
                        resource_name,
                        json_path,
                        namespace: given(&self.namespace),
                    }))
                }
                _ => Err(format!(
                    "output `{}` needs all of `resourceType`, `resourceName` and `jsonPath`",
                    self.name
                )),
            },
            (false, false) => Err(format!(
                "output `{}` needs `secret` and `key`, or `resourceType`, `resourceName` and \
                 `jsonPath`",
                self.name
            )),
        }
    }
}

impl Source<'_> {
    /// The kubectl command that reads the value.
    pub fn command(&self) -> Command {
        match self {
            Source::Secret {
                secret,
                key,
                namespace,
            } => Command::new("kubectl")
                .args(["get", "secret", secret, "-n", namespace, "-o"])
                .arg(format!("jsonpath={{.data.{}}}", key.replace('.', "\\.")))
                .arg("--allow-missing-template-keys=false")
                .stream_output(false),
            Source::Resource(query) => query.command(),
        }
    }

    /// The output's value from what the command printed.
    pub fn value(&self, stdout: &[u8]) -> Result<Vec<u8>, String> {
        match self {
            Source::Secret { secret, key, .. } => decode_base64(stdout).map_err(|e| {
                format!("the value of key {key} of secret {secret} is not base64: {e}")
            }),
            Source::Resource(_) => Ok(stdout.to_vec()),
        }
    }
}

/// Decodes standard base64 (what Kubernetes stores in a secret's `data`),
/// ignoring surrounding whitespace.
pub fn decode_base64(text: &[u8]) -> Result<Vec<u8>, String> {
    let text = text.trim_ascii();
    if !text.len().is_multiple_of(4) {
        return Err(format!("its length {} is not a multiple of 4", text.len()));
    }
    let padding = text.iter().rev().take_while(|&&c| c == b'=').count();
    if padding > 2 {
        return Err("it has more than two `=`".into());
    }
    let sextet = |c: u8| -> Result<u32, String> {
        Ok(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return Err(format!("{:?} is not a base64 character", c as char)),
        } as u32)
    };
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    for (i, chunk) in text.chunks(4).enumerate() {
        let last = (i + 1) * 4 == text.len();
        let pad = if last { padding } else { 0 };
        let mut bits = 0u32;
        for (j, &c) in chunk.iter().enumerate() {
            let v = if j >= 4 - pad { 0 } else { sextet(c)? };
            bits = (bits << 6) | v;
        }
        let bytes = bits.to_be_bytes();
        out.extend_from_slice(&bytes[1..4 - pad]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn output(v: serde_json::Value) -> HelmOutput {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn secret_outputs_read_the_key_with_kubectl_in_the_right_namespace() {
        let o = output(json!({"name": "pw", "secret": "mydb", "key": "mysql-root-password"}));
        let args = |ns| o.source(ns).unwrap().command().get_args().to_vec();
        assert_eq!(
            args(Some("db")),
            [
                "get",
                "secret",
                "mydb",
                "-n",
                "db",
                "-o",
                "jsonpath={.data.mysql-root-password}",
                "--allow-missing-template-keys=false"
            ]
        );
        assert_eq!(args(None)[4], "default");
        let o = output(json!({"name": "c", "secret": "tls", "key": "tls.crt", "namespace": "web"}));
        let src = o.source(Some("db")).unwrap();
        assert_eq!(src.command().get_args()[4], "web");
        assert_eq!(src.command().get_args()[6], r"jsonpath={.data.tls\.crt}");
    }

    #[test]
    fn resource_outputs_use_only_their_own_namespace() {
        let o = output(
            json!({"name": "ip", "resourceType": "service", "resourceName": "web",
                              "jsonPath": "{.spec.clusterIP}"}),
        );
        assert_eq!(
            o.source(Some("db")).unwrap().command().get_args(),
            ["get", "service", "web", "-o=jsonpath={.spec.clusterIP}"]
        );
        let o = HelmOutput {
            namespace: Some("web".into()),
            ..o
        };
        assert_eq!(
            o.source(None).unwrap().command().get_args()[4],
            "--namespace=web"
        );
    }

    #[test]
    fn values_are_decoded_from_what_kubectl_prints() {
        let secret = output(json!({"name": "pw", "secret": "s", "key": "k"}));
        let src = secret.source(None).unwrap();
        assert_eq!(src.value(b"czNjcjN0").unwrap(), b"s3cr3t");
        assert_eq!(src.value(b"").unwrap(), b"");
        assert!(
            src.value(b"not base64!")
                .unwrap_err()
                .contains("not base64")
        );
        let resource = output(
            json!({"name": "ip", "resourceType": "svc", "resourceName": "w",
                                     "jsonPath": "{.spec.clusterIP}"}),
        );
        assert_eq!(
            resource.source(None).unwrap().value(b"10.0.0.1").unwrap(),
            b"10.0.0.1"
        );
    }

    #[test]
    fn incomplete_or_mixed_outputs_say_what_is_wrong() {
        let err = |v| output(v).source(None).unwrap_err();
        assert!(err(json!({"name": "x", "secret": "s"})).contains("both `secret` and `key`"));
        assert!(err(json!({"name": "x", "jsonPath": "$Id"})).contains("all of"));
        assert!(err(json!({"name": "x"})).contains("needs"));
        assert!(
            err(json!({"name": "x", "secret": "s", "key": "k", "resourceType": "svc"}))
                .contains("both a secret and a resource")
        );
    }

    #[test]
    fn base64_round_trips_every_padding() {
        for (encoded, plain) in [
            ("", ""),
            ("Zg==", "f"),
            ("Zm8=", "fo"),
            ("Zm9v", "foo"),
            ("Zm9vYg==", "foob"),
            ("bXktcGFzc3dvcmQ=\n", "my-password"),
            ("/+8=", "\u{ff}\u{ef}"),
        ] {
            let decoded = decode_base64(encoded.as_bytes()).unwrap();
            if plain.is_ascii() {
                assert_eq!(decoded, plain.as_bytes(), "{encoded}");
            } else {
                assert_eq!(decoded, [0xff, 0xef]);
            }
        }
        assert!(decode_base64(b"Zg=").is_err());
        assert!(decode_base64(b"Z===").is_err());
        assert!(decode_base64(b"Zm9v!g==").is_err());
    }
}
