//! Moving images between the Docker Engine and a registry, through the
//! Engine itself: it already knows how to push and pull layers, and the
//! invocation image lives there after `wharf build`.

use anyhow::{Context, Result, anyhow};
use bollard::Docker;
use bollard::auth::DockerCredentials;
use bollard::query_parameters::{
    CreateImageOptionsBuilder, PushImageOptionsBuilder, TagImageOptionsBuilder,
};
use futures_util::StreamExt;

use super::registry::Registry;

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
    while let Some(progress) = pushing.next().await {
        let progress =
            progress.map_err(|e| anyhow!("Docker could not push {target}:{tag}: {e}"))?;
        if let Some(detail) = progress.error_detail.and_then(|d| d.message) {
            return Err(anyhow!(
                "Docker could not push {target}:{tag}: {detail}; check that the registry \
                 {registry_host} is running and that you may push to it (`docker login \
                 {registry_host}`)"
            ));
        }
    }
    Ok(())
}

/// Makes sure the Engine has `reference` (`repository@sha256:...`),
/// pulling it from its registry when it does not.
pub async fn ensure_pulled(
    docker: &Docker,
    registry: &Registry,
    reference: &str,
    registry_host: &str,
) -> Result<()> {
    if docker.inspect_image(reference).await.is_ok() {
        return Ok(());
    }
    let options = CreateImageOptionsBuilder::default()
        .from_image(reference)
        .build();
    let mut pulling =
        docker.create_image(Some(options), None, credentials(registry, registry_host));
    while let Some(progress) = pulling.next().await {
        let progress = progress.map_err(|e| {
            anyhow!(
                "Docker could not pull {reference}: {e}; check that the registry {registry_host} \
                 is running and that you may pull from it"
            )
        })?;
        if let Some(detail) = progress.error_detail.and_then(|d| d.message) {
            return Err(anyhow!("Docker could not pull {reference}: {detail}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::split_tag;

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
