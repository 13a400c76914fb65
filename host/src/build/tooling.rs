//! The tooling image: Wharf's runtime and the precompiled mixins, built
//! once per set and copied into every invocation image that uses it.
//!
//! They are most of an invocation image's own bytes (the runtime is 4 MB,
//! a precompiled mixin 3 MB), and they change only when Wharf or a pinned
//! mixin does. Sent in the bundle's build context they would be uploaded,
//! unpacked and hashed by BuildKit on every build, and copied a second time
//! by a template's `COPY . ${BUNDLE_DIR}`. Instead they live in a tiny
//! `FROM scratch` image named after their digest, which the bundle's
//! Dockerfile copies from (`COPY --from=`), as it copies from its base
//! image. A build whose set exists already sends only the bundle's files.
//!
//! The image holds `/run` (the runtime, 0755) and `/wharf/mixins/` (the
//! index and each `NAME.cwasm`, root's and read-only: 0555 and 0444), the
//! layout under `/cnab` the runtime expects (see [`super::stage`]).

use anyhow::{Context, Result};
use bollard::Docker;

use super::image::{BuildRoute, ImageBuild, build_image};
use super::stage::StagedMixin;
use crate::cnab::contract::MIXIN_INDEX;
use crate::digest::Digest;

/// The repository tooling images are tagged in, on no registry: they are
/// never pushed, only copied from.
pub const TOOLING_REPOSITORY: &str = "wharf.local/wharf-tooling";

/// The tooling image for a runtime and a set of precompiled mixins: its
/// reference is the digest of what goes into it, so an image of that name
/// never needs rebuilding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolingImage {
    /// `wharf.local/wharf-tooling:<digest>`.
    pub reference: String,
}

impl ToolingImage {
    /// The image for the runtime whose digest is `runtime` and `mixins`
    /// (index entries, which carry each component's and each compiled
    /// file's digest).
    pub fn for_contents(runtime: &Digest, mixins: &[(StagedMixin, Vec<u8>)]) -> Result<Self> {
        let mut key = format!("runtime {runtime}\n").into_bytes();
        key.extend(index_json(mixins)?);
        let digest = Digest::of(&key);
        Ok(Self {
            reference: format!("{TOOLING_REPOSITORY}:{}", &digest.hex()[..24]),
        })
    }

    /// Builds the image unless the daemon has it. `mixins` are the index
    /// entries with their precompiled, framed bytes.
    pub async fn ensure(
        &self,
        docker: &Docker,
        route: BuildRoute<'_>,
        runtime: &[u8],
        mixins: &[(StagedMixin, Vec<u8>)],
        progress: &mut dyn FnMut(&str),
    ) -> Result<()> {
        if docker.inspect_image(&self.reference).await.is_ok() {
            tracing::debug!(image = %self.reference, "tooling image: present, nothing to build");
            return Ok(());
        }
        progress(&format!(
            "Building the tooling image {} (the runtime and {} precompiled mixin(s); once per set)...\n",
            self.reference,
            mixins.len()
        ));
        let context = context_tar(runtime, mixins)?;
        let no_args = std::collections::HashMap::new();
        let stream =
            futures_util::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from(context))]);
        build_image(
            docker,
            ImageBuild {
                context: Box::pin(stream),
                dockerfile: "Dockerfile",
                tag: &self.reference,
                build_args: &no_args,
                no_cache: false,
            },
            route,
            progress,
        )
        .await
        .with_context(|| format!("cannot build the tooling image {}", self.reference))?;
        Ok(())
    }
}

/// The tooling image's Dockerfile: its files and nothing else.
const DOCKERFILE: &str = "FROM scratch\nCOPY run /run\nCOPY wharf /wharf\n";

/// The build context: the Dockerfile, the runtime and the mixin directory,
/// owned by root, with the modes the image must keep.
fn context_tar(runtime: &[u8], mixins: &[(StagedMixin, Vec<u8>)]) -> Result<Vec<u8>> {
    let index = index_json(mixins)?;
    let mut tar = tar::Builder::new(Vec::new());
    let mut add = |path: &str, mode: u32, bytes: Option<&[u8]>| -> Result<()> {
        let mut header = tar::Header::new_gnu();
        header.set_mode(mode);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(0);
        match bytes {
            Some(bytes) => {
                header.set_entry_type(tar::EntryType::Regular);
                header.set_size(bytes.len() as u64);
                tar.append_data(&mut header, path, bytes)?;
            }
            None => {
                header.set_entry_type(tar::EntryType::Directory);
                header.set_size(0);
                tar.append_data(&mut header, path, std::io::empty())?;
            }
        }
        Ok(())
    };
    add("Dockerfile", 0o644, Some(DOCKERFILE.as_bytes()))?;
    add("run", 0o755, Some(runtime))?;
    add("wharf", 0o555, None)?;
    add("wharf/mixins", 0o555, None)?;
    add(&format!("wharf/mixins/{MIXIN_INDEX}"), 0o444, Some(&index))?;
    for (mixin, bytes) in mixins {
        add(&format!("wharf/mixins/{}", mixin.file), 0o444, Some(bytes))?;
    }
    Ok(tar.into_inner()?)
}

/// The mixin index the runtime reads ([`MIXIN_INDEX`]).
fn index_json(mixins: &[(StagedMixin, Vec<u8>)]) -> Result<Vec<u8>> {
    let index: Vec<&StagedMixin> = mixins.iter().map(|(m, _)| m).collect();
    Ok(serde_json::to_vec_pretty(&index)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staged(name: &str) -> StagedMixin {
        StagedMixin {
            name: name.into(),
            version: "1.0.0".into(),
            digest: Digest::of(name.as_bytes()),
            compiled: Digest::of(b"compiled"),
            programs: vec!["echo".into()],
            file: format!("{name}.cwasm"),
        }
    }

    #[test]
    fn the_reference_follows_the_runtime_and_every_index_field() {
        let exec = || vec![(staged("exec"), b"code".to_vec())];
        let runtime = Digest::of(b"runtime");
        let base = ToolingImage::for_contents(&runtime, &exec()).unwrap();
        assert!(base.reference.starts_with("wharf.local/wharf-tooling:"));
        assert_eq!(ToolingImage::for_contents(&runtime, &exec()).unwrap(), base);
        let mut recompiled = exec();
        recompiled[0].0.compiled = Digest::of(b"other");
        let mut more_programs = exec();
        more_programs[0].0.programs.push("sh".into());
        for other in [
            ToolingImage::for_contents(&Digest::of(b"other runtime"), &exec()).unwrap(),
            ToolingImage::for_contents(&runtime, &recompiled).unwrap(),
            ToolingImage::for_contents(&runtime, &more_programs).unwrap(),
            ToolingImage::for_contents(&runtime, &[]).unwrap(),
        ] {
            assert_ne!(other, base);
        }
    }

    #[test]
    fn the_context_holds_root_owned_read_only_mixins() {
        let bytes = context_tar(b"\x7fELF", &[(staged("exec"), b"code".to_vec())]).unwrap();
        let mut archive = tar::Archive::new(bytes.as_slice());
        let entries: Vec<(String, u32, u64)> = archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let h = e.header();
                (
                    e.path().unwrap().display().to_string(),
                    h.mode().unwrap(),
                    h.uid().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            entries,
            [
                ("Dockerfile".to_string(), 0o644, 0),
                ("run".to_string(), 0o755, 0),
                ("wharf".to_string(), 0o555, 0),
                ("wharf/mixins".to_string(), 0o555, 0),
                ("wharf/mixins/index.json".to_string(), 0o444, 0),
                ("wharf/mixins/exec.cwasm".to_string(), 0o444, 0),
            ]
        );
    }
}
