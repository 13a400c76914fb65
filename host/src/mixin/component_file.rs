//! Reading a component from a file, bounded.
//!
//! `wharf mixins install FILE`, `mixins publish FILE` and
//! [`MixinHost::load_file`](super::MixinHost::load_file) take a path from
//! the user, which may name a fifo, a device or a huge file. A component
//! has to be in memory to be compiled, so the file must be a regular file
//! no larger than [`MAX_COMPONENT_BYTES`], and is read through a limit so
//! a file that grows while it is read cannot get past it either.

use std::io::Read;
use std::path::Path;

use super::error::MixinError;

/// The largest component Wharf reads: every shipped mixin is a few MiB.
pub const MAX_COMPONENT_BYTES: u64 = 128 * 1024 * 1024;

/// The bytes of the component file at `path`.
pub fn read_component_file(path: &Path) -> Result<Vec<u8>, MixinError> {
    let refuse = |message: String| MixinError::Io {
        action: "cannot read mixin",
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, message),
    };
    let io = |source| MixinError::Io {
        action: "cannot read mixin",
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let metadata = file.metadata().map_err(io)?;
    if !metadata.is_file() {
        return Err(refuse(
            "it is not a regular file; give the path of a .wasm component".into(),
        ));
    }
    let too_large = || {
        refuse(format!(
            "it is larger than {MAX_COMPONENT_BYTES} bytes, the limit for a mixin component"
        ))
    };
    if metadata.len() > MAX_COMPONENT_BYTES {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    file.take(MAX_COMPONENT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_COMPONENT_BYTES {
        return Err(too_large());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_and_oversized_files_are_refused() {
        let err = read_component_file(Path::new("/dev/zero")).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");

        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.wasm");
        let file = std::fs::File::create(&big).unwrap();
        file.set_len(MAX_COMPONENT_BYTES + 1).unwrap();
        let err = read_component_file(&big).unwrap_err();
        assert!(err.to_string().contains("larger than"), "{err}");

        let small = dir.path().join("small.wasm");
        std::fs::write(&small, b"\0asm").unwrap();
        assert_eq!(read_component_file(&small).unwrap(), b"\0asm");
    }
}
