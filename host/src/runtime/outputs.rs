//! Writing the bundle's outputs where the CNAB runtime collects them.
//!
//! Each output bundle.json declares for this action gets its value, in
//! Porter's order of preference: the step output of the same name (the
//! last step to produce it wins); else, for a manifest output with a
//! `path`, that file's contents; else the default of its definition. An
//! output with none of these is not written, and the CNAB runtime reports
//! it missing. Outputs are written after a failed step too, so what the
//! steps before it produced is kept.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use super::error::RuntimeError;
use super::layout::Layout;
use crate::cnab::Bundle;
use crate::cnab::contract::STATE_NAME;
use crate::fs_atomic::write_atomically;
use crate::manifest::Manifest;

/// Where an output was written from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputSource {
    /// A step's output of the same name.
    Step,
    /// The file the manifest output's `path` names.
    File,
    /// The definition's default.
    Default,
}

/// Writes the outputs of `action`; returns the names written, with where
/// each value came from. Stops at the first output that cannot be written.
pub fn write_outputs(
    layout: &Layout,
    bundle: &Bundle,
    manifest: &Manifest,
    action: &str,
    step_outputs: &BTreeMap<String, Vec<u8>>,
) -> Result<Vec<(String, OutputSource)>, RuntimeError> {
    let mut written = Vec::new();
    for (name, output) in bundle.outputs_for_action(action) {
        if name == STATE_NAME {
            continue;
        }
        let from_file = || {
            let path = manifest
                .outputs
                .iter()
                .find(|o| &o.name == name)?
                .path
                .as_deref()?;
            std::fs::read(layout.host_path(path)).ok()
        };
        let from_default = || {
            bundle
                .output_definition(name)?
                .get("default")
                .map(default_bytes)
        };
        let (value, source) = if let Some(value) = step_outputs.get(name) {
            (value.clone(), OutputSource::Step)
        } else if let Some(value) = from_file() {
            (value, OutputSource::File)
        } else if let Some(value) = from_default() {
            (value, OutputSource::Default)
        } else {
            continue;
        };
        let destination = if output.path.is_empty() {
            layout.outputs_dir().join(name)
        } else {
            layout.host_path(&output.path)
        };
        write_file(&destination, &value).map_err(|message| RuntimeError::Output {
            name: name.clone(),
            message,
        })?;
        written.push((name.clone(), source));
    }
    Ok(written)
}

/// Writes `bytes` to `path` atomically, creating its directory, so the
/// CNAB runtime never collects half an output.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
    write_atomically(path, bytes).map_err(|e| e.to_string())
}

/// A default as output text: strings bare, anything else as JSON.
fn default_bytes(value: &Value) -> Vec<u8> {
    match value {
        Value::String(s) => s.clone().into_bytes(),
        other => other.to_string().into_bytes(),
    }
}
