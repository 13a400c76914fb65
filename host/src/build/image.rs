//! Building the invocation image through the Docker Engine API: with
//! dockerd's BuildKit (see [`super::buildkit`]) or, where it has none, the
//! classic builder.

use std::collections::HashMap;

use anyhow::{Context, Result, anyhow, bail};
use bollard::Docker;
use bollard::models::{BuildInfo, BuildInfoAux, ImageId};
use bollard::query_parameters::{BuildImageOptions, BuildImageOptionsBuilder};
use futures_util::StreamExt;

use super::build_secrets::BuildSecret;
use crate::runtime::Masker;

/// Connects to the Docker daemon named by `DOCKER_HOST` (default the local
/// socket) and agrees on an API version. Nothing calls this until an image
/// really has to be built, so an up-to-date build never touches Docker.
pub async fn connect() -> Result<Docker> {
    let host =
        std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".into());
    let docker = Docker::connect_with_defaults().with_context(|| {
        format!("cannot use the Docker daemon at {host}; set DOCKER_HOST to its socket")
    })?;
    docker.negotiate_version().await.with_context(|| {
        format!("cannot reach the Docker daemon at {host}; start it (for example `scripts/dockerd`) or set DOCKER_HOST")
    })
}

/// What to build.
pub struct ImageBuild<'a> {
    /// The build context: a tar archive, streamed.
    pub context:
        std::pin::Pin<Box<dyn futures_util::Stream<Item = std::io::Result<bytes::Bytes>> + Send>>,
    /// The Dockerfile's path inside the context.
    pub dockerfile: &'a str,
    /// The tag to give the image.
    pub tag: &'a str,
    /// Build arguments.
    pub build_args: &'a HashMap<String, String>,
    /// Ignore Docker's layer cache.
    pub no_cache: bool,
}

/// Which builder builds the image, and what BuildKit's session serves.
pub enum BuildRoute<'a> {
    /// Docker's classic builder.
    Classic,
    /// BuildKit, with progress streamed (no secrets, no ssh agent).
    BuildKit,
    /// BuildKit with a session that serves secrets and the ssh agent.
    BuildKitWithSecrets {
        secrets: &'a [BuildSecret],
        ssh: bool,
        masker: &'a Masker,
    },
}

impl BuildRoute<'_> {
    /// The route for an image that needs no secrets (the tooling image):
    /// the same builder, with progress.
    pub fn for_tooling(&self) -> BuildRoute<'static> {
        match self {
            BuildRoute::Classic => BuildRoute::Classic,
            _ => BuildRoute::BuildKit,
        }
    }
}

/// Builds the image along `route` and returns its ID.
pub async fn build_image(
    docker: &Docker,
    build: ImageBuild<'_>,
    route: BuildRoute<'_>,
    progress: &mut dyn FnMut(&str),
) -> Result<String> {
    match route {
        BuildRoute::Classic => build_classic(docker, build, progress).await,
        BuildRoute::BuildKit => super::buildkit::build_streaming(docker, build, progress).await,
        BuildRoute::BuildKitWithSecrets {
            secrets,
            ssh,
            masker,
        } => {
            super::buildkit::build_with_secrets(docker, build, secrets, ssh, masker, progress).await
        }
    }
}

/// Builds the image with the classic builder, streaming Docker's
/// progress to `progress`, and returns its ID.
pub async fn build_classic(
    docker: &Docker,
    build: ImageBuild<'_>,
    progress: &mut dyn FnMut(&str),
) -> Result<String> {
    let options = BuildImageOptionsBuilder::default()
        .dockerfile(build.dockerfile)
        .t(build.tag)
        .rm(true)
        .forcerm(true)
        .nocache(build.no_cache)
        .buildargs(build.build_args)
        .build();
    run_build(docker, options, build, "Docker", &mut |info| {
        if let Some(text) = info.stream.as_deref().or(info.status.as_deref()) {
            progress(text);
        }
    })
    .await
}

/// Sends one `/build` request with `build`'s context and returns the
/// image's ID. Every reply goes to `show`; an error reply ends the build,
/// in the words of `builder` (who builds: "Docker", "BuildKit").
pub(super) async fn run_build(
    docker: &Docker,
    options: BuildImageOptions,
    build: ImageBuild<'_>,
    builder: &str,
    show: &mut dyn FnMut(&BuildInfo),
) -> Result<String> {
    let mut stream =
        docker.build_image(options, None, Some(bollard::body_try_stream(build.context)));
    let mut image_id = None;
    while let Some(item) = stream.next().await {
        let info =
            item.map_err(|e| anyhow!("{builder} could not build the invocation image: {e}"))?;
        if let Some(detail) = info
            .error_detail
            .as_ref()
            .and_then(|d| d.message.as_deref())
        {
            bail!(
                "{builder} could not build the invocation image: {}",
                detail.trim()
            );
        }
        show(&info);
        if let Some(BuildInfoAux::Default(ImageId { id: Some(id) })) = info.aux {
            image_id = Some(id);
        }
    }
    match image_id {
        Some(id) => Ok(id),
        None => image_id_of(docker, build.tag).await,
    }
}

/// The ID of the image `tag` names, for a build that did not report it.
pub async fn image_id_of(docker: &Docker, tag: &str) -> Result<String> {
    let inspect = docker
        .inspect_image(tag)
        .await
        .with_context(|| format!("Docker built no image called {tag}"))?;
    inspect
        .id
        .context("Docker reported the image without an ID")
}
