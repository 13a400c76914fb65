//! The Docker driver, through the Docker Engine API.

use std::collections::BTreeMap;
use std::io::Read;

use anyhow::{Context, Result, anyhow};
use bollard::Docker;
use bollard::container::LogOutput;
use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{
    AttachContainerOptionsBuilder, CreateContainerOptionsBuilder,
    DownloadFromContainerOptionsBuilder, RemoveContainerOptionsBuilder,
    UploadToContainerOptionsBuilder, WaitContainerOptionsBuilder,
};
use futures_util::StreamExt;

use super::outputs_archive::{OutputCaps, read_outputs};
use super::{BoxFuture, Completed, DOCKER, Driver, Invocation, OutputCallback};
use crate::cnab::contract::OUTPUTS_DIR;
use crate::mixin::Stream;

/// Runs invocation images in containers of a Docker Engine.
#[derive(Debug, Clone)]
pub struct DockerDriver {
    docker: Docker,
}

impl DockerDriver {
    /// A driver on an Engine already connected to.
    pub fn new(docker: Docker) -> Self {
        Self { docker }
    }

    /// Connects to the Engine `DOCKER_HOST` names (the local socket by
    /// default), failing now if it cannot be reached.
    pub async fn connect() -> Result<Self> {
        Ok(Self::new(crate::build::image::connect().await?))
    }
}

impl Driver for DockerDriver {
    fn name(&self) -> &str {
        DOCKER
    }

    /// What the CNAB Docker driver runs: Docker and OCI images (an empty
    /// type is the spec's default, `oci`).
    fn handles(&self, image_type: &str) -> bool {
        matches!(image_type, "docker" | "oci" | "")
    }

    fn run<'a>(
        &'a self,
        invocation: &'a Invocation,
        on_output: OutputCallback<'a>,
    ) -> BoxFuture<'a, Result<Completed>> {
        Box::pin(run(&self.docker, invocation, on_output))
    }

    fn remove_container<'a>(&'a self, name: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(remove(&self.docker, name))
    }
}

/// The Docker socket a bundle with host access gets.
const DOCKER_SOCKET: &str = "/var/run/docker.sock";

/// The group owning the Docker socket, when there is one to read.
fn socket_group() -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(DOCKER_SOCKET).ok().map(|m| m.gid())
    }
    #[cfg(not(unix))]
    None
}

/// The uid and gid the bundle runs as; copied-in files belong to it.
const BUNDLE_UID: u64 = 65532;
const BUNDLE_GID: u64 = 0;

/// Runs `invocation` to completion. Output is passed to `on_output` as it
/// arrives. The container is removed however the run ends, and outputs
/// are copied out even when the run fails.
pub async fn run(
    docker: &Docker,
    invocation: &Invocation,
    on_output: &mut (dyn FnMut(Stream, &[u8]) + Send),
) -> Result<Completed> {
    let env: Vec<String> = invocation
        .env
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let mut host_config = HostConfig {
        privileged: Some(invocation.privileged),
        ..HostConfig::default()
    };
    if invocation.docker_host_access {
        host_config.binds = Some(vec![format!("{DOCKER_SOCKET}:{DOCKER_SOCKET}")]);
        // The bundle runs as 65532 in group 0 and the socket is usually
        // root:docker 0660: give the container the socket's group, as
        // `docker run --group-add` would, so the socket is usable and
        // nothing else changes.
        if let Some(gid) = socket_group() {
            host_config.group_add = Some(vec![gid.to_string()]);
        }
    }
    let body = ContainerCreateBody {
        image: Some(invocation.image.clone()),
        env: Some(env),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        tty: Some(false),
        host_config: Some(host_config),
        labels: (!invocation.labels.is_empty())
            .then(|| invocation.labels.iter().cloned().collect()),
        ..ContainerCreateBody::default()
    };
    let options = invocation
        .container_name
        .as_deref()
        .map(|name| CreateContainerOptionsBuilder::default().name(name).build());
    let created = docker
        .create_container(options, body)
        .await
        .with_context(|| {
            format!(
                "cannot create a container from {}; is the image built (`wharf build`)?",
                invocation.image
            )
        })?;
    let id = created.id;
    let result = run_created(docker, &id, invocation, on_output).await;
    let removed = docker
        .remove_container(
            &id,
            Some(RemoveContainerOptionsBuilder::default().force(true).build()),
        )
        .await;
    let completed = result?;
    removed
        .with_context(|| format!("the run finished but its container {id} could not be removed"))?;
    Ok(completed)
}

/// Removes the container named `name`, running or not; for a run cut
/// short, whose own cleanup never ran. A container already gone is fine.
pub async fn remove(docker: &Docker, name: &str) -> Result<()> {
    match docker
        .remove_container(
            name,
            Some(RemoveContainerOptionsBuilder::default().force(true).build()),
        )
        .await
    {
        Ok(()) => Ok(()),
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(()),
        Err(e) => Err(anyhow!("cannot remove the container {name}: {e}")),
    }
}

async fn run_created(
    docker: &Docker,
    id: &str,
    invocation: &Invocation,
    on_output: &mut (dyn FnMut(Stream, &[u8]) + Send),
) -> Result<Completed> {
    if !invocation.files.is_empty() {
        let archive = files_archive(&invocation.files)?;
        docker
            .upload_to_container(
                id,
                Some(UploadToContainerOptionsBuilder::default().path("/").build()),
                bollard::body_full(archive.into()),
            )
            .await
            .context("cannot copy the parameter and credential files into the container")?;
    }
    let attach = AttachContainerOptionsBuilder::default()
        .stream(true)
        .stdout(true)
        .stderr(true)
        .logs(true)
        .build();
    let mut attached = docker
        .attach_container(id, Some(attach))
        .await
        .context("cannot attach to the container")?;
    docker
        .start_container(id, None)
        .await
        .context("cannot start the container")?;
    while let Some(chunk) = attached.output.next().await {
        match chunk.context("lost the container's output")? {
            LogOutput::StdOut { message } | LogOutput::Console { message } => {
                on_output(Stream::Stdout, &message)
            }
            LogOutput::StdErr { message } => on_output(Stream::Stderr, &message),
            LogOutput::StdIn { .. } => {}
        }
    }
    let exit_code = wait(docker, id).await?;
    let outputs = copy_outputs(docker, id).await?;
    Ok(Completed { exit_code, outputs })
}

async fn wait(docker: &Docker, id: &str) -> Result<i64> {
    let mut waits = docker.wait_container(
        id,
        Some(
            WaitContainerOptionsBuilder::default()
                .condition("not-running")
                .build(),
        ),
    );
    match waits.next().await {
        Some(Ok(response)) => Ok(response.status_code),
        Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => Ok(code),
        Some(Err(e)) => Err(anyhow!("cannot wait for the container: {e}")),
        None => Err(anyhow!("Docker stopped answering while the container ran")),
    }
}

/// The files in the outputs directory; none when the run wrote none.
///
/// The archive is streamed from Docker into [`read_outputs`] on a blocking
/// thread, which checks every entry before reading it; when it refuses one,
/// the rest of the download is dropped unread.
async fn copy_outputs(docker: &Docker, id: &str) -> Result<BTreeMap<String, Vec<u8>>> {
    let options = DownloadFromContainerOptionsBuilder::default()
        .path(OUTPUTS_DIR)
        .build();
    let (chunks, receiver) = tokio::sync::mpsc::channel(8);
    let reading = tokio::task::spawn_blocking(move || {
        read_outputs(ChannelReader::new(receiver), &OutputCaps::default())
    });
    let mut download = docker.download_from_container(id, Some(options));
    let mut failure = None;
    while let Some(chunk) = download.next().await {
        match chunk {
            Ok(bytes) => {
                // The reader stopped: it has all it wants, or refused.
                if chunks.send(bytes).await.is_err() {
                    break;
                }
            }
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => return Ok(BTreeMap::new()),
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    drop(chunks);
    drop(download);
    let read = reading
        .await
        .context("reading the outputs archive stopped unexpectedly")?;
    if let Some(e) = failure {
        return Err(anyhow!("cannot copy the outputs out of the container: {e}"));
    }
    read.context("the run's outputs were refused")
}

/// A blocking reader over the chunks of a download.
struct ChannelReader {
    chunks: tokio::sync::mpsc::Receiver<bytes::Bytes>,
    current: bytes::Bytes,
}

impl ChannelReader {
    fn new(chunks: tokio::sync::mpsc::Receiver<bytes::Bytes>) -> Self {
        Self {
            chunks,
            current: bytes::Bytes::new(),
        }
    }
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.chunks.blocking_recv() {
                Some(chunk) => self.current = chunk,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

/// A tar archive writing each file at its absolute path, owned by the
/// bundle's user and readable only by it, with parent directories.
fn files_archive(files: &[(String, Vec<u8>)]) -> Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut dirs: Vec<String> = Vec::new();
    for (path, _) in files {
        let rel = path.trim_start_matches('/');
        let mut prefix = String::new();
        for part in rel
            .split('/')
            .collect::<Vec<_>>()
            .iter()
            .rev()
            .skip(1)
            .rev()
        {
            prefix = if prefix.is_empty() {
                (*part).to_string()
            } else {
                format!("{prefix}/{part}")
            };
            if !dirs.contains(&prefix) {
                dirs.push(prefix.clone());
            }
        }
    }
    for dir in &dirs {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Directory);
        header.set_mode(0o755);
        header.set_uid(BUNDLE_UID);
        header.set_gid(BUNDLE_GID);
        header.set_size(0);
        builder.append_data(&mut header, format!("{dir}/"), std::io::empty())?;
    }
    for (path, bytes) in files {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_mode(0o600);
        header.set_uid(BUNDLE_UID);
        header.set_gid(BUNDLE_GID);
        header.set_size(bytes.len() as u64);
        builder.append_data(&mut header, path.trim_start_matches('/'), bytes.as_slice())?;
    }
    Ok(builder.into_inner()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_and_oci_images_are_handled_and_nothing_else() {
        // Building a client does not contact the Engine.
        let docker =
            Docker::connect_with_http("tcp://127.0.0.1:9", 5, bollard::API_DEFAULT_VERSION)
                .expect("a client for an address");
        let driver = DockerDriver::new(docker);
        for handled in ["docker", "oci", ""] {
            assert!(driver.handles(handled), "{handled:?} is not handled");
        }
        for unhandled in ["qemu", "wasm", "Docker"] {
            assert!(!driver.handles(unhandled), "{unhandled:?} is handled");
        }
    }
}
