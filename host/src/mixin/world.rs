//! The two worlds one host serves: a component is pre-instantiated against
//! the `wharf:mixin` version it exports, and each call instantiates it in
//! that version's bindings. [`super::loaded`] matches on the version and
//! adapts a 0.1.0 component's calls to what 0.2.0 gives: its lines become
//! raw contributions, its outputs a step result whose files are the
//! outputs it sends to a `destinationFile` outside `/cnab`
//! ([`destination_files`]), and its metadata declares no variables.

use std::path::Path;

use serde_json::Value;

use super::bindings::{WORLD_VERSION, WORLD_VERSION_0_1, v0_1, v0_2};
use super::call_state::CallState;
use super::types::{FileWrite, StepOutput};
use crate::cnab::contract::CNAB_ROOT;

/// The mode of a file written for a 0.1.0 mixin: such files are often
/// credentials.
const OWNER_ONLY: u32 = 0o600;

/// A component pre-instantiated against the world version it exports.
#[derive(Clone)]
pub(crate) enum WorldPre {
    /// `wharf:mixin@0.1.0`, adapted call by call in [`super::loaded`].
    V0_1(v0_1::MixinPre<CallState>),
    /// `wharf:mixin@0.2.0`.
    V0_2(v0_2::MixinPre<CallState>),
}

impl WorldPre {
    /// The world version, as the component's metadata must report it.
    pub(crate) fn version(&self) -> &'static str {
        match self {
            WorldPre::V0_1(_) => WORLD_VERSION_0_1,
            WorldPre::V0_2(_) => WORLD_VERSION,
        }
    }
}

/// One call's instance of the component.
pub(crate) enum Instance {
    /// A 0.1.0 component.
    V0_1(v0_1::Mixin),
    /// A 0.2.0 component.
    V0_2(v0_2::Mixin),
}

/// A call's result, with the mixin's own failure reduced to its message:
/// both worlds report it the same way.
pub(crate) type Reported<R> = wasmtime::Result<Result<R, String>>;

/// The message of a failure the mixin reported.
pub(crate) fn reported<R, E: Into<String>>(result: wasmtime::Result<Result<R, E>>) -> Reported<R> {
    result.map(|r| r.map_err(Into::into))
}

impl From<v0_1::wharf::mixin::types::MixinError> for String {
    fn from(e: v0_1::wharf::mixin::types::MixinError) -> Self {
        e.message
    }
}

impl From<v0_2::wharf::mixin::types::MixinError> for String {
    fn from(e: v0_2::wharf::mixin::types::MixinError) -> Self {
        e.message
    }
}

/// What `schema` returned, in its world's shape.
pub(crate) enum Schema {
    /// 0.1.0: the whole Porter document, as JSON text.
    Document(String),
    /// 0.2.0: step schemas per action kind and the config schema.
    PerAction(v0_2::wharf::mixin::types::MixinSchema),
}

/// The 0.1.0 adapter: the files for the outputs of `step` whose
/// `destinationFile` is an absolute path outside `/cnab`. An output named
/// there that the step did not produce is an error.
pub(crate) fn destination_files(
    step: &Value,
    outputs: &[StepOutput],
) -> Result<Vec<FileWrite>, String> {
    let Some(specs) = step.get("outputs").and_then(Value::as_array) else {
        return Ok(Vec::new());
    };
    let mut files = Vec::new();
    for spec in specs {
        let (Some(name), Some(file)) = (
            spec.get("name").and_then(Value::as_str),
            spec.get("destinationFile").and_then(Value::as_str),
        ) else {
            continue;
        };
        if !Path::new(file).is_absolute() || Path::new(file).starts_with(CNAB_ROOT) {
            continue;
        }
        let value = outputs.iter().find(|o| o.name == name).ok_or_else(|| {
            format!("output {name} has destinationFile {file}, but the step produced no {name}")
        })?;
        files.push(FileWrite {
            path: file.to_string(),
            contents: value.value.clone(),
            mode: OWNER_ONLY,
        });
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn output(name: &str, value: &[u8]) -> StepOutput {
        StepOutput {
            name: name.into(),
            value: value.to_vec(),
        }
    }

    #[test]
    fn a_0_1_step_writes_only_absolute_destinations_outside_cnab() {
        let step = json!({"outputs": [
            {"name": "kubeconfig", "destinationFile": "/home/nonroot/.kube/config"},
            {"name": "inside", "destinationFile": "/cnab/app/kubeconfig"},
            {"name": "relative", "destinationFile": "out/file"},
            {"name": "plain"}
        ]});
        let files = destination_files(&step, &[output("kubeconfig", b"k")]).unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].path, "/home/nonroot/.kube/config");
        assert_eq!(files[0].mode, 0o600);
        let missing = destination_files(&step, &[]).unwrap_err();
        assert!(
            missing.contains("the step produced no kubeconfig"),
            "{missing}"
        );
        assert!(
            destination_files(&json!({"command": "x"}), &[])
                .unwrap()
                .is_empty()
        );
    }
}
