//! Moving images between the Docker Engine and a registry, through the
//! Engine itself: it already knows how to push and pull layers, and the
//! invocation image lives there after `wharf build`. The Engine's status
//! messages go to the registry client's [`Registry::progress`].

use anyhow::{Context, Result, anyhow};
use bollard::Docker;
use bollard::auth::DockerCredentials;
use bollard::query_parameters::{
    CreateImageOptionsBuilder, PushImageOptionsBuilder, TagImageOptionsBuilder,
};
use futures_util::StreamExt;

use super::registry::Registry;
use crate::progress::ProgressTask;

/// `repository:tag` split at the tag's colon (a port's colon comes before
/// the last slash).
pub fn split_tag(reference: &str) -> (&str, Option<&str>) {
    match reference.rfind(':') {
        Some(i) if !reference[i..].contains('/') => (&reference[..i], Some(&reference[i + 1..])),
        _ => (reference, None),
    }
}

fn credentials(registry: &Registry, registry_host: &str) -> Option<DockerCredentials> {
    registry
        .docker_credentials(registry_host)
        .map(|(username, password)| DockerCredentials {
            username: Some(username),
            password: Some(password),
            serveraddress: Some(registry_host.to_string()),
            ..DockerCredentials::default()
        })
}

/// Tags the local image `source` as `repository:tag` and pushes it with
/// the Engine. The caller reads the pushed digest from the registry.
pub async fn push(
    docker: &Docker,
    registry: &Registry,
    source: &str,
    registry_host: &str,
    repository: &str,
    tag: &str,
) -> Result<()> {
    let target = format!("{registry_host}/{repository}");
    docker
        .tag_image(
            source,
            Some(
                TagImageOptionsBuilder::default()
                    .repo(&target)
                    .tag(tag)
                    .build(),
            ),
        )
        .await
        .with_context(|| {
            format!("cannot tag the image {source} as {target}:{tag}; is it built (`wharf build`)?")
        })?;
    let mut pushing = docker.push_image(
        &target,
        Some(PushImageOptionsBuilder::default().tag(tag).build()),
        credentials(registry, registry_host),
    );
    let bar = registry
        .progress()
        .start(&format!("pushing {target}:{tag}"), None);
    while let Some(progress) = pushing.next().await {
        let progress =
            progress.map_err(|e| anyhow!("Docker could not push {target}:{tag}: {e}"))?;
        show(
            bar.as_ref(),
            None,
            progress.status.as_deref(),
            progress.progress_detail.as_ref(),
        );
        if let Some(detail) = progress.error_detail.and_then(|d| d.message) {
            bar.finish();
            return Err(anyhow!(
                "Docker could not push {target}:{tag}: {detail}; check that the registry \
                 {registry_host} is running and that you may push to it (`docker login \
                 {registry_host}`)"
            ));
        }
    }
    bar.finish();
    Ok(())
}

/// The registry host of an image reference (Docker Hub when it has none),
/// as Docker reads one.
pub fn registry_of(image: &str) -> &str {
    match image.split_once('/') {
        Some((first, _)) if first.contains('.') || first.contains(':') || first == "localhost" => {
            first
        }
        _ => "docker.io",
    }
}

/// Makes sure the Engine has `reference` (`repository@sha256:...`),
/// pulling it from its registry when it does not.
pub async fn ensure_pulled(docker: &Docker, registry: &Registry, reference: &str) -> Result<()> {
    let registry_host = registry_of(reference);
    if docker.inspect_image(reference).await.is_ok() {
        return Ok(());
    }
    let options = CreateImageOptionsBuilder::default()
        .from_image(reference)
        .build();
    let mut pulling =
        docker.create_image(Some(options), None, credentials(registry, registry_host));
    let bar = registry
        .progress()
        .start(&format!("pulling {reference}"), None);
    while let Some(progress) = pulling.next().await {
        let progress = progress.map_err(|e| {
            anyhow!(
                "Docker could not pull {reference}: {e}; check that the registry {registry_host} \
                 is running and that you may pull from it"
            )
        })?;
        show(
            bar.as_ref(),
            progress.id.as_deref(),
            progress.status.as_deref(),
            progress.progress_detail.as_ref(),
        );
        if let Some(detail) = progress.error_detail.and_then(|d| d.message) {
            bar.finish();
            return Err(anyhow!("Docker could not pull {reference}: {detail}"));
        }
    }
    bar.finish();
    Ok(())
}

/// Shows one of Docker's progress messages: `layer: Pushing 12/40 MB`.
fn show(
    bar: &dyn ProgressTask,
    layer: Option<&str>,
    status: Option<&str>,
    detail: Option<&bollard::models::ProgressDetail>,
) {
    let mut message = String::new();
    if let Some(layer) = layer {
        message.push_str(layer);
        message.push_str(": ");
    }
    message.push_str(status.unwrap_or_default());
    if let Some(d) = detail
        && let (Some(current), Some(total)) = (d.current, d.total)
        && total > 0
    {
        message.push_str(&format!(" {}/{} MB", current >> 20, total >> 20));
    }
    bar.set_message(&message);
}

#[cfg(test)]
mod tests {
    use super::split_tag;

    #[test]
    fn the_registry_is_the_first_part_only_when_it_looks_like_a_host() {
        use super::registry_of;
        assert_eq!(
            registry_of("127.0.0.1:5000/a/b@sha256:00"),
            "127.0.0.1:5000"
        );
        assert_eq!(registry_of("localhost/a"), "localhost");
        assert_eq!(registry_of("library/busybox"), "docker.io");
        assert_eq!(registry_of("busybox"), "docker.io");
    }

    #[test]
    fn a_port_is_not_a_tag() {
        assert_eq!(
            split_tag("127.0.0.1:5000/a/b:v1"),
            ("127.0.0.1:5000/a/b", Some("v1"))
        );
        assert_eq!(
            split_tag("127.0.0.1:5000/a/b"),
            ("127.0.0.1:5000/a/b", None)
        );
        assert_eq!(split_tag("busybox"), ("busybox", None));
    }
}
