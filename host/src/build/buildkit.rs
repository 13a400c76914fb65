//! Building through the BuildKit that dockerd embeds, over bollard.
//!
//! bollard's public API reaches dockerd's BuildKit two ways, and neither
//! does everything, so Wharf uses both:
//!
//! - **`/build` with `version=2`** ([`build_streaming`]): the build context
//!   streams from the bundle directory and BuildKit's progress streams
//!   back, but bollard's session serves only registry auth, so a secret or
//!   ssh mount would find nothing.
//! - **a gRPC solve** ([`build_with_secrets`]): bollard's session serves
//!   secrets and the ssh agent, but the context is uploaded whole and no
//!   progress comes back until the build ends.
//!
//! A build uses the solve only when its template mounts a secret or an
//! ssh agent, or `--secret`/`--ssh` are given.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result, anyhow};
use bollard::Docker;
use bollard::grpc::build::{ImageBuildFrontendOptions, ImageBuildLoadInput, SecretSource};
use bollard::grpc::driver::Build;
use bollard::grpc::driver::moby::Moby;
use bollard::grpc::error::GrpcError;
use bollard::moby::buildkit::v1::StatusResponse;
use bollard::models::BuildInfoAux;
use bollard::query_parameters::{BuildImageOptionsBuilder, BuilderVersion};
use futures_util::TryStreamExt;

use super::build_secrets::{self, BuildSecret};
use super::image::{ImageBuild, image_id_of, run_build};
use crate::runtime::Masker;

/// The oldest Engine API whose BuildKit Wharf builds with (Docker 18.09).
const BUILDKIT_MIN_API: (usize, usize) = (1, 39);

/// Whether the daemon has a BuildKit Wharf can use: one that serves the
/// Engine API 1.39 or later, as the version [`super::image::connect`]
/// negotiated says (no further call). A daemon that is not Linux refuses
/// the first BuildKit build with its own message.
pub fn available(docker: &Docker) -> bool {
    let version = docker.client_version();
    (version.major_version, version.minor_version) >= BUILDKIT_MIN_API
}

/// Builds through `/build?version=2`, streaming the context and printing
/// BuildKit's progress as `docker build --progress=plain` does.
pub async fn build_streaming(
    docker: &Docker,
    build: ImageBuild<'_>,
    progress: &mut dyn FnMut(&str),
) -> Result<String> {
    let session = bollard::grpc::BuildRef::random();
    let options = BuildImageOptionsBuilder::default()
        .dockerfile(build.dockerfile)
        .t(build.tag)
        .nocache(build.no_cache)
        .buildargs(build.build_args)
        .version(BuilderVersion::BuilderBuildKit)
        .session(session.as_ref())
        .build();
    let mut plain = PlainProgress::default();
    run_build(docker, options, build, "BuildKit", &mut |info| {
        if let Some(BuildInfoAux::BuildKit(status)) = &info.aux {
            plain.show(status, progress);
        }
    })
    .await
}

/// Builds through a gRPC solve whose session serves `secrets` and, when
/// `ssh`, the ssh agent at `$SSH_AUTH_SOCK`. BuildKit's error text is
/// masked with `masker` before it is shown.
pub async fn build_with_secrets(
    docker: &Docker,
    build: ImageBuild<'_>,
    secrets: &[BuildSecret],
    ssh: bool,
    masker: &Masker,
    progress: &mut dyn FnMut(&str),
) -> Result<String> {
    let context: Vec<bytes::Bytes> = build
        .context
        .try_collect()
        .await
        .context("cannot read the build context")?;
    let context = bytes::Bytes::from(context.concat());
    let mut options = ImageBuildFrontendOptions::builder()
        .dockerfile(Path::new(build.dockerfile))
        .nocache(build.no_cache)
        .enable_ssh(ssh);
    for (name, value) in build.build_args {
        options = options.buildarg(name, value);
    }
    for secret in secrets {
        let source = match &secret.source {
            build_secrets::SecretSource::File(path) => SecretSource::File(
                std::path::absolute(path)
                    .with_context(|| format!("--secret id={}: bad path", secret.id))?,
            ),
            build_secrets::SecretSource::Env(var) => SecretSource::Env(var.clone()),
        };
        options = options.set_secret(&secret.id, &source);
    }
    let mut served: Vec<String> = secrets
        .iter()
        .map(|s| format!("secret `{}`", s.id))
        .collect();
    if ssh {
        served.push("the ssh agent".into());
    }
    if served.is_empty() {
        served.push("no secrets".into());
    }
    progress(&format!(
        "BuildKit is building with {} (a build that serves secrets or ssh shows no step log, \
         only its result)\n",
        served.join(", ")
    ));
    let started = std::time::Instant::now();
    let credentials: Option<HashMap<&str, bollard::auth::DockerCredentials>> = None;
    Moby::new(docker)
        .docker_build(
            build.tag,
            options.build(),
            ImageBuildLoadInput::Upload(context),
            credentials,
            None,
        )
        .await
        .map_err(|e| {
            // BuildKit's own words, without bollard's gRPC framing.
            let why = match e {
                GrpcError::TonicStatus { err } => err.message().to_string(),
                other => other.to_string(),
            };
            anyhow!(
                "BuildKit could not build the invocation image: {}",
                masker.mask_str(&why)
            )
        })?;
    progress(&format!(
        "BuildKit built {} in {:.1}s\n",
        build.tag,
        started.elapsed().as_secs_f64()
    ));
    image_id_of(docker, build.tag).await
}

/// Prints BuildKit status updates the way `--progress=plain` does: each
/// step's name when it starts, its log lines, and how it ended.
#[derive(Default)]
struct PlainProgress {
    /// Each vertex seen, by digest, with its number and whether it has
    /// been shown started and finished.
    vertexes: HashMap<String, (usize, bool, bool)>,
}

impl PlainProgress {
    fn number(&mut self, digest: &str) -> usize {
        let next = self.vertexes.len() + 1;
        self.vertexes
            .entry(digest.to_string())
            .or_insert((next, false, false))
            .0
    }

    fn show(&mut self, status: &StatusResponse, progress: &mut dyn FnMut(&str)) {
        for vertex in &status.vertexes {
            let n = self.number(&vertex.digest);
            let entry = self.vertexes.get_mut(&vertex.digest).map(|e| &mut e.1);
            if let Some(shown) = entry
                && !*shown
                && (vertex.started.is_some() || vertex.cached)
            {
                *shown = true;
                progress(&format!("#{n} {}\n", vertex.name));
            }
        }
        for log in &status.logs {
            let n = self.number(&log.vertex);
            for line in String::from_utf8_lossy(&log.msg).lines() {
                progress(&format!("#{n} {line}\n"));
            }
        }
        for vertex in &status.vertexes {
            let n = self.number(&vertex.digest);
            let Some(done) = self.vertexes.get_mut(&vertex.digest).map(|e| &mut e.2) else {
                continue;
            };
            if *done {
                continue;
            }
            let ended = if !vertex.error.is_empty() {
                format!("ERROR: {}", vertex.error)
            } else if vertex.cached {
                "CACHED".to_string()
            } else if let (Some(start), Some(end)) = (&vertex.started, &vertex.completed) {
                let seconds =
                    (end.seconds - start.seconds) as f64 + f64::from(end.nanos - start.nanos) / 1e9;
                format!("DONE {seconds:.1}s")
            } else {
                continue;
            };
            *done = true;
            progress(&format!("#{n} {ended}\n"));
        }
    }
}

#[cfg(test)]
mod tests {
    use bollard::moby::buildkit::v1::{Vertex, VertexLog};

    use super::*;

    fn vertex(digest: &str, name: &str, started: bool, done: bool, cached: bool) -> Vertex {
        let mut vertex = Vertex {
            digest: digest.into(),
            name: name.into(),
            cached,
            started: started.then(Default::default),
            completed: done.then(Default::default),
            ..Default::default()
        };
        if let Some(at) = vertex.started.as_mut() {
            at.seconds = 10;
        }
        if let Some(at) = vertex.completed.as_mut() {
            at.seconds = 12;
        }
        vertex
    }

    #[test]
    fn plain_progress_numbers_steps_and_shows_each_state_once() {
        let mut lines = String::new();
        let mut plain = PlainProgress::default();
        let mut show = |status: StatusResponse| plain.show(&status, &mut |l| lines.push_str(l));
        show(StatusResponse {
            vertexes: vec![vertex("a", "[1/2] FROM base", true, false, false)],
            ..Default::default()
        });
        show(StatusResponse {
            vertexes: vec![
                vertex("a", "[1/2] FROM base", true, true, false),
                vertex("b", "[2/2] RUN echo hi", true, false, false),
            ],
            logs: vec![VertexLog {
                vertex: "b".into(),
                msg: b"hi\nthere\n".to_vec(),
                ..Default::default()
            }],
            ..Default::default()
        });
        show(StatusResponse {
            vertexes: vec![
                vertex("b", "[2/2] RUN echo hi", true, true, false),
                vertex("c", "exporting", false, false, true),
            ],
            ..Default::default()
        });
        assert_eq!(
            lines,
            "#1 [1/2] FROM base\n#2 [2/2] RUN echo hi\n#2 hi\n#2 there\n#1 DONE 2.0s\n\
             #3 exporting\n#2 DONE 2.0s\n#3 CACHED\n"
        );
    }
}
