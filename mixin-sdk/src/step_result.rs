//! What one step produced: its outputs, and files for the runtime to write.

use crate::bindings::wharf::mixin::types as wit;
use crate::outputs::Output;

/// A file the runtime writes after the step, where the mixin itself may
/// not write: outside the bundle directory. Its path must be one the
/// step names (for example in a `destinationFile` field), absolute and
/// outside `/cnab`; otherwise the runtime refuses it and the step fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileWrite {
    /// The absolute path.
    pub path: String,
    /// The bytes.
    pub contents: Vec<u8>,
    /// Permission bits; 0o600 unless set.
    pub mode: u32,
}

impl FileWrite {
    /// `contents` at `path`, readable by its owner only.
    pub fn new(path: impl Into<String>, contents: impl Into<Vec<u8>>) -> Self {
        Self {
            path: path.into(),
            contents: contents.into(),
            mode: 0o600,
        }
    }

    /// Sets the permission bits.
    pub fn mode(mut self, mode: u32) -> Self {
        self.mode = mode;
        self
    }
}

/// What [`crate::Mixin::execute`] returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepResult {
    /// The step's outputs.
    pub outputs: Vec<Output>,
    /// Files for the runtime to write.
    pub files: Vec<FileWrite>,
}

impl StepResult {
    /// A result with these outputs and no files.
    pub fn outputs(outputs: Vec<Output>) -> Self {
        Self {
            outputs,
            files: Vec::new(),
        }
    }

    /// Adds a file for the runtime to write.
    pub fn with_file(mut self, file: FileWrite) -> Self {
        self.files.push(file);
        self
    }
}

impl From<Vec<Output>> for StepResult {
    fn from(outputs: Vec<Output>) -> Self {
        Self::outputs(outputs)
    }
}

impl From<StepResult> for wit::StepResult {
    fn from(r: StepResult) -> Self {
        wit::StepResult {
            outputs: r
                .outputs
                .into_iter()
                .map(|o| wit::StepOutput {
                    name: o.name,
                    value: o.value,
                })
                .collect(),
            files: r
                .files
                .into_iter()
                .map(|f| wit::FileWrite {
                    path: f.path,
                    contents: f.contents,
                    mode: f.mode,
                })
                .collect(),
        }
    }
}
