//! Turning a prepared run into what a driver runs: the CNAB environment,
//! and each parameter and credential at the destination bundle.json gives
//! it (an environment variable, a file, or both).

use std::collections::BTreeMap;

use anyhow::{Result, anyhow, bail};

use super::credentials::CredentialValue;
use super::parameters::{ParameterValue, file_bytes, text_of};
use crate::cnab::contract::DOCKER_EXTENSION;
use crate::cnab::{Bundle, InvocationImage};
use crate::drivers::{Driver, Invocation};

/// Who the run is for.
#[derive(Debug, Clone)]
pub struct RunIdentity<'a> {
    pub action: &'a str,
    pub installation: &'a str,
    pub namespace: &'a str,
    /// `CNAB_REVISION`: the run's ULID.
    pub revision: &'a str,
}

/// The first of the bundle's invocation images `driver` can run, as
/// cnab-go picks one.
pub fn runnable_image<'b>(bundle: &'b Bundle, driver: &dyn Driver) -> Result<&'b InvocationImage> {
    if bundle.invocation_images.is_empty() {
        bail!("the bundle has no invocation image; rebuild it with `wharf build`");
    }
    bundle
        .invocation_images
        .iter()
        .find(|image| driver.handles(&image.image_type))
        .ok_or_else(|| {
            let types: Vec<String> = bundle
                .invocation_images
                .iter()
                .map(|image| format!("`{}`", image.image_type))
                .collect();
            anyhow!(
                "the {} driver cannot run the bundle's invocation image (of type {}); \
                 choose another driver",
                driver.name(),
                types.join(", ")
            )
        })
}

/// The invocation of `image`, and the secret texts (sensitive parameters
/// and every credential) that must be masked in what the run prints.
pub fn build_invocation(
    bundle: &Bundle,
    image: &InvocationImage,
    who: &RunIdentity<'_>,
    parameters: &BTreeMap<String, ParameterValue>,
    credentials: &BTreeMap<String, CredentialValue>,
    docker_host_access: bool,
) -> Result<(Invocation, Vec<String>)> {
    let mut invocation = Invocation {
        image: image.image.clone(),
        docker_host_access,
        privileged: docker_host_access && docker_privileged(bundle),
        ..Invocation::default()
    };
    let mut secrets = Vec::new();
    let env = &mut invocation.env;
    env.push(("CNAB_ACTION".into(), who.action.into()));
    env.push(("CNAB_INSTALLATION_NAME".into(), who.installation.into()));
    env.push(("WHARF_INSTALLATION_NAMESPACE".into(), who.namespace.into()));
    env.push(("CNAB_BUNDLE_NAME".into(), bundle.name.clone()));
    env.push(("CNAB_BUNDLE_VERSION".into(), bundle.version.clone()));
    env.push(("CNAB_REVISION".into(), who.revision.into()));

    for (name, parameter) in &bundle.parameters {
        let Some(value) = parameters.get(name) else {
            continue;
        };
        let definition = bundle.parameter_definition(name);
        let destination = parameter.destination.clone().unwrap_or_default();
        let text = text_of(&value.value);
        if value.sensitive && !text.is_empty() {
            secrets.push(text.clone());
        }
        if !destination.env.is_empty() {
            if value.sensitive {
                invocation.sensitive_env.push(destination.env.clone());
            }
            invocation.env.push((destination.env.clone(), text));
        }
        if !destination.path.is_empty() {
            let bytes = file_bytes(definition, &value.value)
                .map_err(|why| anyhow::anyhow!("parameter `{name}`: the value {why}"))?;
            invocation.files.push((destination.path.clone(), bytes));
        }
    }
    for (name, credential) in &bundle.credentials {
        let Some(value) = credentials.get(name) else {
            continue;
        };
        let text = String::from_utf8_lossy(&value.bytes).into_owned();
        if !text.trim().is_empty() {
            secrets.push(text.clone());
        }
        if !credential.env.is_empty() {
            if std::str::from_utf8(&value.bytes).is_err() {
                bail!(
                    "credential `{name}` from credential set `{}` is not UTF-8 text, so it \
                     cannot be passed in the environment variable {}",
                    value.set,
                    credential.env
                );
            }
            invocation.sensitive_env.push(credential.env.clone());
            invocation.env.push((credential.env.clone(), text));
        }
        if !credential.path.is_empty() {
            invocation
                .files
                .push((credential.path.clone(), value.bytes.clone()));
        }
    }
    Ok((invocation, secrets))
}

/// Whether the bundle needs the host's Docker (`required: docker`).
pub fn requires_docker(bundle: &Bundle) -> bool {
    bundle.requires_extension(DOCKER_EXTENSION) || bundle.custom.contains_key(DOCKER_EXTENSION)
}

/// Whether the docker extension asks for a privileged container.
fn docker_privileged(bundle: &Bundle) -> bool {
    bundle
        .custom
        .get(DOCKER_EXTENSION)
        .and_then(|c| c.get("privileged"))
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false)
}
