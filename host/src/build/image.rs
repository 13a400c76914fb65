//! Building the invocation image through the Docker Engine API.

use std::collections::HashMap;

use anyhow::{Context, Result, anyhow, bail};
use bollard::Docker;
use bollard::models::ImageId;
use bollard::query_parameters::BuildImageOptionsBuilder;
use futures_util::StreamExt;

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

/// Builds the image, streaming Docker's progress to `progress`, and
/// returns its ID.
pub async fn build_image(
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
    let mut stream =
        docker.build_image(options, None, Some(bollard::body_try_stream(build.context)));
    let mut image_id = None;
    while let Some(item) = stream.next().await {
        let info = item.map_err(|e| anyhow!("Docker could not build the invocation image: {e}"))?;
        if let Some(detail) = info.error_detail.and_then(|d| d.message) {
            bail!(
                "Docker could not build the invocation image: {}",
                detail.trim()
            );
        }
        if let Some(text) = info.stream.as_deref().or(info.status.as_deref()) {
            progress(text);
        }
        if let Some(ImageId { id: Some(id) }) = info.aux {
            image_id = Some(id);
        }
    }
    match image_id {
        Some(id) => Ok(id),
        None => {
            let inspect = docker
                .inspect_image(build.tag)
                .await
                .with_context(|| format!("Docker built no image called {}", build.tag))?;
            inspect
                .id
                .context("Docker reported the image without an ID")
        }
    }
}
