//! Finding the static runtime that `wharf build` puts into images.
//!
//! The runtime must run on any linux/amd64 base image, busybox and
//! distroless included, so it must be a static executable. A dynamically
//! linked one is refused here rather than failing inside a container.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// The environment variable naming the runtime binary.
pub const RUNTIME_ENV: &str = "WHARF_RUNTIME";

/// The runtime to stage: `$WHARF_RUNTIME`, else `wharf-runtime` next to
/// the running `wharf`.
pub fn locate() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os(RUNTIME_ENV) {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe().context("cannot find the running wharf executable")?;
    let beside = exe.with_file_name("wharf-runtime");
    if beside.exists() {
        return Ok(beside);
    }
    bail!(
        "cannot find the Wharf runtime: put `wharf-runtime` next to {} or set {RUNTIME_ENV}; build it with \
         `scripts/build-runtime` (or `cargo build --profile runtime --target x86_64-unknown-linux-musl -p wharf --bin wharf-runtime --no-default-features`)",
        exe.display()
    )
}

/// Reads the runtime and checks that it is a static x86-64 Linux executable.
pub fn read_static(path: &Path) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path)
        .with_context(|| format!("cannot read the Wharf runtime at {}", path.display()))?;
    match elf_kind(&bytes) {
        Some(ElfKind::Static) => Ok(bytes),
        Some(ElfKind::Dynamic) => bail!(
            "the Wharf runtime at {} is dynamically linked and would not start on every base image; \
             build it for x86_64-unknown-linux-musl",
            path.display()
        ),
        None => bail!("{} is not an x86-64 Linux executable", path.display()),
    }
}

#[derive(Debug, PartialEq, Eq)]
enum ElfKind {
    Static,
    Dynamic,
}

/// Reads just enough of an ELF64 header to tell a static executable (no
/// program interpreter) from a dynamic one.
fn elf_kind(bytes: &[u8]) -> Option<ElfKind> {
    const PT_INTERP: u32 = 3;
    const EM_X86_64: u16 = 62;
    let u16_at = |o: usize| {
        bytes
            .get(o..o + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let u32_at = |o: usize| {
        bytes
            .get(o..o + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let u64_at = |o: usize| {
        bytes
            .get(o..o + 8)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_le_bytes)
    };
    if bytes.get(..5)? != b"\x7fELF\x02" || u16_at(18)? != EM_X86_64 {
        return None;
    }
    let phoff = usize::try_from(u64_at(32)?).ok()?;
    let phentsize = usize::from(u16_at(54)?);
    let phnum = usize::from(u16_at(56)?);
    for i in 0..phnum {
        if u32_at(phoff + i * phentsize)? == PT_INTERP {
            return Some(ElfKind::Dynamic);
        }
    }
    Some(ElfKind::Static)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_test_binary_is_dynamic_and_text_is_not_elf() {
        let me = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        assert_eq!(elf_kind(&me), Some(ElfKind::Dynamic));
        assert_eq!(elf_kind(b"#!/bin/sh\n"), None);
    }
}
