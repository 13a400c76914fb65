//! Reading a run's outputs out of the tar archive a driver copies out of the
//! container, with bounds.
//!
//! The container is the bundle's and its mixins', so what comes back is
//! untrusted: a 2 GiB sparse file costs the container nothing and made
//! `wharf install` hold gigabytes. So the archive is read as a stream, each
//! entry's header is checked before its data is read, and only what the
//! runtime writes is accepted: flat regular files directly in the outputs
//! directory, each at most [`OutputCaps::per_output`] bytes and together at
//! most [`OutputCaps::total`]. Symlinks, hard links, devices, fifos, sparse
//! files and subdirectories are refused with the output's name, rather
//! than skipped, so a run that tried is not mistaken for one that wrote no
//! such output.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Component;

use anyhow::{Context, Result, bail};
use tar::EntryType;

/// How much may come back from one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputCaps {
    /// The most bytes one output may have.
    pub per_output: u64,
    /// The most bytes all outputs may have together.
    pub total: u64,
    /// The most entries the archive may have.
    pub entries: usize,
}

const MIB: u64 = 1024 * 1024;

impl Default for OutputCaps {
    fn default() -> Self {
        Self {
            per_output: 64 * MIB,
            total: 256 * MIB,
            entries: 4096,
        }
    }
}

/// The outputs in `archive`, the tar of the outputs directory (whose root
/// entry is the directory itself), by name.
pub fn read_outputs(archive: impl Read, caps: &OutputCaps) -> Result<BTreeMap<String, Vec<u8>>> {
    let mut outputs = BTreeMap::new();
    let mut total: u64 = 0;
    let mut archive = tar::Archive::new(archive);
    let entries = archive
        .entries()
        .context("the outputs archive from the container is damaged")?;
    for (index, entry) in entries.enumerate() {
        if index >= caps.entries {
            bail!(
                "the run left more than {} files in its outputs directory; \
                 a bundle writes one file per output",
                caps.entries
            );
        }
        let mut entry = entry.context("the outputs archive from the container is damaged")?;
        let path = entry
            .path()
            .context("the outputs archive has an entry with a damaged name")?
            .into_owned();
        // The archive's root is the `outputs` directory itself.
        let parts: Vec<String> = path
            .components()
            .skip(1)
            .filter(|c| !matches!(c, Component::CurDir))
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let kind = entry.header().entry_type();
        let name = match parts.as_slice() {
            [] if kind == EntryType::Directory => continue,
            [name] => name.clone(),
            _ => bail!(
                "the run left `{}` in its outputs directory: outputs are files directly in \
                 it, not in subdirectories",
                parts.join("/")
            ),
        };
        if !matches!(kind, EntryType::Regular | EntryType::Continuous) {
            bail!(
                "output `{name}` is {}, not a regular file; the bundle must write the \
                 output's value into a plain file",
                describe(kind)
            );
        }
        let sparse = entry.pax_extensions()?.is_some_and(|mut pax| {
            pax.any(|ext| ext.is_ok_and(|e| e.key().is_ok_and(|k| k.starts_with("GNU.sparse"))))
        });
        if sparse {
            bail!("output `{name}` is a sparse file; outputs must be plain files");
        }
        let size = entry.size();
        if size > caps.per_output {
            bail!(
                "output `{name}` is {size} bytes, over the limit of {} bytes for one output",
                caps.per_output
            );
        }
        total = total.saturating_add(size);
        if total > caps.total {
            bail!(
                "output `{name}` takes the run's outputs over the limit of {} bytes for \
                 all outputs together",
                caps.total
            );
        }
        let mut value = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        (&mut entry)
            .take(size)
            .read_to_end(&mut value)
            .with_context(|| format!("cannot read output `{name}` from the container"))?;
        outputs.insert(name, value);
    }
    Ok(outputs)
}

/// What kind of file an entry type is, for an error.
fn describe(kind: EntryType) -> &'static str {
    match kind {
        EntryType::Symlink => "a symbolic link",
        EntryType::Link => "a hard link",
        EntryType::Char | EntryType::Block => "a device",
        EntryType::Fifo => "a fifo",
        EntryType::Directory => "a directory",
        EntryType::GNUSparse => "a sparse file",
        _ => "a special file",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(kind: EntryType, path: &str, size: u64) -> tar::Header {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(kind);
        header.set_path(path).unwrap();
        header.set_size(size);
        header.set_mode(0o644);
        header.set_cksum();
        header
    }

    fn archive(entries: &[(EntryType, &str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        builder
            .append(&header(EntryType::Directory, "outputs/", 0), &[][..])
            .unwrap();
        for (kind, path, data) in entries {
            let size = if *kind == EntryType::Regular {
                data.len() as u64
            } else {
                0
            };
            builder.append(&header(*kind, path, size), *data).unwrap();
        }
        builder.into_inner().unwrap()
    }

    #[test]
    fn flat_files_are_read() {
        let bytes = archive(&[
            (EntryType::Regular, "outputs/a", b"1"),
            (EntryType::Regular, "outputs/b", b""),
        ]);
        let outputs = read_outputs(bytes.as_slice(), &OutputCaps::default()).unwrap();
        assert_eq!(outputs.len(), 2);
        assert_eq!(outputs["a"], b"1");
        assert_eq!(outputs["b"], b"");
    }

    #[test]
    fn special_files_and_subdirectories_are_refused_by_name() {
        for (kind, path, what) in [
            (
                EntryType::Symlink,
                "outputs/link",
                "`link` is a symbolic link",
            ),
            (EntryType::Link, "outputs/hard", "`hard` is a hard link"),
            (EntryType::Fifo, "outputs/pipe", "`pipe` is a fifo"),
            (EntryType::Char, "outputs/dev", "`dev` is a device"),
            (EntryType::Directory, "outputs/sub/", "`sub` is a directory"),
            (EntryType::Regular, "outputs/sub/x", "`sub/x`"),
        ] {
            let bytes = archive(&[(kind, path, b"")]);
            let err = read_outputs(bytes.as_slice(), &OutputCaps::default()).unwrap_err();
            assert!(format!("{err:#}").contains(what), "{path}: {err:#}");
        }
    }

    #[test]
    fn an_output_over_its_cap_is_refused_before_it_is_read() {
        // The header claims 2 GiB but no data follows: the reader must
        // refuse on the header alone rather than try to read it.
        let mut bytes = archive(&[]);
        let end = bytes.len() - 1024;
        bytes.truncate(end);
        bytes.extend_from_slice(header(EntryType::Regular, "outputs/huge", 2 << 30).as_bytes());
        let err = read_outputs(bytes.as_slice(), &OutputCaps::default()).unwrap_err();
        let text = format!("{err:#}");
        assert!(text.contains("output `huge` is 2147483648 bytes"), "{text}");

        let caps = OutputCaps {
            per_output: 10,
            total: 15,
            entries: 10,
        };
        let bytes = archive(&[
            (EntryType::Regular, "outputs/a", b"0123456789"),
            (EntryType::Regular, "outputs/b", b"0123456789"),
        ]);
        let err = read_outputs(bytes.as_slice(), &caps).unwrap_err();
        assert!(format!("{err:#}").contains("output `b` takes"), "{err:#}");
        let caps = OutputCaps { entries: 2, ..caps };
        let bytes = archive(&[
            (EntryType::Regular, "outputs/a", b"1"),
            (EntryType::Regular, "outputs/b", b"2"),
        ]);
        let err = read_outputs(bytes.as_slice(), &caps).unwrap_err();
        assert!(format!("{err:#}").contains("more than 2 files"), "{err:#}");
    }
}
