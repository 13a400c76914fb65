//! Writing the bundle's outputs where the CNAB runtime collects them.
//!
//! Each output bundle.json declares for this action gets its value, in
//! Porter's order of preference: the step output of the same name (the
//! last step to produce it wins); else, for a manifest output with a
//! `path`, that file's contents; else the default of its definition. An
//! output with none of these is not written, and the CNAB runtime reports
//! it missing. Outputs are written after a failed step too, so what the
//! steps before it produced is kept.
//!
//! An output's `path` is read with [`beneath::read`]: the file may have
//! been written by a mixin, and a link it planted there is refused (naming
//! the output) instead of followed.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use super::error::RuntimeError;
use super::layout::Layout;
use crate::beneath;
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
        let from_file = || -> Result<Option<Vec<u8>>, RuntimeError> {
            let path = manifest
                .outputs
                .iter()
                .find(|o| &o.name == name)
                .and_then(|o| o.path.as_deref());
            match path {
                Some(path) => read_output_file(layout, path).map_err(|why| RuntimeError::Output {
                    name: name.clone(),
                    message: format!("its path {path} cannot be read: {why}"),
                }),
                None => Ok(None),
            }
        };
        let from_default = || {
            bundle
                .output_definition(name)?
                .get("default")
                .map(default_bytes)
        };
        let (value, source) = if let Some(value) = step_outputs.get(name) {
            (value.clone(), OutputSource::Step)
        } else if let Some(value) = from_file()? {
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

/// Reads the file an output's `path` names, following no link: beneath
/// the bundle directory when it is there (where mixins write), else
/// beneath `/`. `Ok(None)` when there is no such file.
fn read_output_file(layout: &Layout, path: &str) -> Result<Option<Vec<u8>>, beneath::BeneathError> {
    let full = layout.host_path(path);
    let app_dir = layout.app_dir();
    match full.strip_prefix(&app_dir) {
        Ok(relative) => beneath::read(&app_dir, relative),
        Err(_) => match full.strip_prefix("/") {
            Ok(relative) => beneath::read(Path::new("/"), relative),
            Err(_) => Ok(None),
        },
    }
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
