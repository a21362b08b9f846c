//! Images: found locally, pulled, pushed and tagged. Pulls and pushes report each layer's
//! progress as events; a failure is one line naming the image, the registry and the reason.

use std::time::Duration;

use bollard::Docker;
use bollard::models::{CreateImageInfo, ProgressDetail};
use bollard::query_parameters::{
    CreateImageOptionsBuilder, ListImagesOptionsBuilder, PushImageOptionsBuilder,
    RemoveImageOptionsBuilder, TagImageOptionsBuilder,
};
use futures_util::StreamExt;

use super::errors::{engine_error, is_not_found, message_of};
use crate::error::{Error, Result};
use crate::progress::{Action, Layer, LayerStatus, Progress};

/// How long a pull or a push may take before rcompose gives up on it.
const TRANSFER_TIMEOUT: Duration = Duration::from_secs(600);

/// The registry of images whose name does not start with a registry host.
pub const DEFAULT_REGISTRY: &str = "docker.io";

/// Reasons worth showing alone when an engine message contains them (the rest of such a
/// message is the URL and the dialing details).
const NETWORK_REASONS: &[&str] = &[
    "connection refused",
    "no such host",
    "i/o timeout",
    "network is unreachable",
    "no route to host",
    "connection reset by peer",
    "server gave HTTP response to HTTPS client",
    "certificate signed by unknown authority",
];

/// The local ID of `image`, if present.
pub async fn local_id(docker: &Docker, image: &str) -> Result<Option<String>> {
    match docker.inspect_image(image).await {
        Ok(inspect) => Ok(inspect.id),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(engine_error(format!("cannot inspect image {image}"), &e)),
    }
}

/// The ID of `image`, pulling it (without progress) when it is not present.
pub async fn ensure(docker: &Docker, image: &str) -> Result<String> {
    if let Some(id) = local_id(docker, image).await? {
        return Ok(id);
    }
    pull(docker, image, &Progress::quiet(), false).await?;
    pulled_id(docker, image).await
}

/// The ID of an image that was just pulled.
pub async fn pulled_id(docker: &Docker, image: &str) -> Result<String> {
    match local_id(docker, image).await? {
        Some(id) => Ok(id),
        None => Err(Error::new(format!(
            "cannot pull {}: the pull finished but the image is still missing",
            full_reference(image)
        ))),
    }
}

/// Pull `image`, reporting `Pulling`, then each layer's progress (when `layers`), then `Pulled`
/// or the error.
pub async fn pull(docker: &Docker, image: &str, progress: &Progress, layers: bool) -> Result<()> {
    let (name, tag) = split_reference(image);
    let options = CreateImageOptionsBuilder::default()
        .from_image(name)
        .tag(tag)
        .build();
    let stream = docker.create_image(Some(options), None, None);
    report_pull(stream, image, progress, layers).await
}

/// Report the messages of a pull of `image`, as the engine sends them, as progress events:
/// `Pulling`, each layer's progress (when `layers`), then `Pulled`, or the error as one line
/// naming the image and the registry.
pub async fn report_pull(
    stream: impl futures_util::Stream<Item = Result<CreateImageInfo, bollard::errors::Error>> + Unpin,
    image: &str,
    progress: &Progress,
    layers: bool,
) -> Result<()> {
    progress.image(image, Action::Pulling);
    let stream = stream.map(|item| {
        item.and_then(|info| match info.error_detail.and_then(|d| d.message) {
            Some(error) => Err(bollard::errors::Error::DockerStreamError { error }),
            None => Ok((info.id, info.status, info.progress_detail)),
        })
    });
    let outcome = follow(stream, image, progress, layers).await;
    finish(image, progress, outcome, Action::Pulled, |reason| {
        format!(
            "cannot pull {} from registry {}: {reason}",
            full_reference(image),
            registry_of(image)
        )
    })
}

/// Push `image` to its registry, reporting progress like [`pull`].
pub async fn push(docker: &Docker, image: &str, progress: &Progress, layers: bool) -> Result<()> {
    progress.image(image, Action::Pushing);
    let (name, tag) = split_reference(image);
    let options = PushImageOptionsBuilder::default().tag(tag).build();
    // bollard's push messages carry no layer ID, so a push shows no layers.
    let stream = docker
        .push_image(name, Some(options), None)
        .map(|item| item.map(|info| (None, info.status, info.progress_detail)));
    let outcome = follow(stream, image, progress, layers).await;
    finish(image, progress, outcome, Action::Pushed, |reason| {
        format!(
            "cannot push {} to registry {}: {reason}",
            full_reference(image),
            registry_of(image)
        )
    })
}

type Message = (Option<String>, Option<String>, Option<ProgressDetail>);

/// Read a pull or push stream to its end: `Err(reason)` on the first error.
async fn follow(
    mut stream: impl futures_util::Stream<Item = Result<Message, bollard::errors::Error>> + Unpin,
    image: &str,
    progress: &Progress,
    layers: bool,
) -> std::result::Result<(), String> {
    let read = async {
        while let Some(item) = stream.next().await {
            match item {
                Ok((id, status, detail)) => {
                    if !layers {
                        continue;
                    }
                    if let Some(layer) = layer_of(id.as_deref(), status.as_deref(), detail.as_ref())
                    {
                        progress.image(image, Action::Layer(layer));
                    }
                }
                Err(bollard::errors::Error::DockerStreamError { error }) => return Err(error),
                Err(e) => return Err(message_of(&e)),
            }
        }
        Ok(())
    };
    match tokio::time::timeout(TRANSFER_TIMEOUT, read).await {
        Ok(outcome) => outcome,
        Err(_) => Err(format!("no answer within {} s", TRANSFER_TIMEOUT.as_secs())),
    }
}

fn finish(
    image: &str,
    progress: &Progress,
    outcome: std::result::Result<(), String>,
    done: Action,
    message: impl Fn(&str) -> String,
) -> Result<()> {
    match outcome {
        Ok(()) => {
            progress.image(image, done);
            Ok(())
        }
        Err(raw) => {
            let reason = registry_reason(&raw);
            progress.image(image, Action::Error(reason.clone()));
            Err(Error::new(message(&reason)))
        }
    }
}

/// The layer progress in one message of a pull or push stream, if it is about a layer.
/// Messages about the image as a whole (`Pulling from library/busybox`, `Digest: ...`,
/// `Status: Downloaded newer image ...`) give `None`.
pub fn layer_of(
    id: Option<&str>,
    status: Option<&str>,
    detail: Option<&ProgressDetail>,
) -> Option<Layer> {
    let id = id.filter(|id| !id.is_empty())?;
    let status = LayerStatus::parse(status?);
    if matches!(status, LayerStatus::Other(_)) {
        return None;
    }
    let count = |v: Option<i64>| v.and_then(|v| u64::try_from(v).ok()).unwrap_or(0);
    Some(Layer {
        id: id.to_string(),
        status,
        current: count(detail.and_then(|d| d.current)),
        total: count(detail.and_then(|d| d.total)),
    })
}

/// The part of an engine's registry error worth showing: a network failure as its short
/// reason (`connection refused`), anything else without the `Get "https://...": ` prefix.
pub fn registry_reason(message: &str) -> String {
    let message = message.trim().replace('\n', " ");
    if let Some(short) = NETWORK_REASONS.iter().find(|r| message.contains(*r)) {
        return (*short).to_string();
    }
    for verb in ["Get \"", "Head \"", "Post \"", "Put \""] {
        if let Some(rest) = message.strip_prefix(verb)
            && let Some((_, after)) = rest.split_once("\": ")
        {
            return after.to_string();
        }
    }
    message
}

/// The registry host of an image reference: its first component when that looks like a host
/// (has a `.` or a `:`, or is `localhost`), else [`DEFAULT_REGISTRY`].
pub fn registry_of(image: &str) -> &str {
    match image.split_once('/') {
        Some((first, _)) if first.contains('.') || first.contains(':') || first == "localhost" => {
            first
        }
        _ => DEFAULT_REGISTRY,
    }
}

/// `image` with its tag spelled out (`busybox` → `busybox:latest`).
pub fn full_reference(image: &str) -> String {
    match split_reference(image) {
        (name, "") => name.to_string(),
        (name, tag) => format!("{name}:{tag}"),
    }
}

/// `name[:tag]` (tag `latest` by default; a digest reference is kept whole).
pub fn split_reference(image: &str) -> (&str, &str) {
    if image.contains('@') {
        return (image, "");
    }
    let last_segment = image.rsplit('/').next().unwrap_or(image);
    match last_segment.rfind(':') {
        Some(i) => {
            let cut = image.len() - last_segment.len() + i;
            (&image[..cut], &image[cut + 1..])
        }
        None => (image, "latest"),
    }
}

/// Give the image `source` the extra name `target`.
pub async fn tag(docker: &Docker, source: &str, target: &str) -> Result<()> {
    let (repo, tag) = split_reference(target);
    let options = TagImageOptionsBuilder::default()
        .repo(repo)
        .tag(tag)
        .build();
    docker
        .tag_image(source, Some(options))
        .await
        .map_err(|e| engine_error(format!("cannot tag image {source} as {target}"), &e))
}

/// The tags of the images labelled for `project` (those rcompose and docker compose build).
pub async fn project_images(docker: &Docker, project: &str) -> Result<Vec<String>> {
    let options = ListImagesOptionsBuilder::default()
        .filters(&super::labels::project_filter(project))
        .build();
    let images = docker
        .list_images(Some(options))
        .await
        .map_err(|e| engine_error("cannot list images", &e))?;
    let mut tags: Vec<String> = images
        .into_iter()
        .flat_map(|i| i.repo_tags)
        .filter(|t| t != "<none>:<none>")
        .collect();
    tags.sort();
    tags.dedup();
    Ok(tags)
}

/// Remove an image; `Ok(false)` when it was already gone.
pub async fn remove(docker: &Docker, image: &str) -> Result<bool> {
    let options = RemoveImageOptionsBuilder::default().build();
    match docker.remove_image(image, Some(options), None).await {
        Ok(_) => Ok(true),
        Err(e) if is_not_found(&e) => Ok(false),
        Err(e) => Err(engine_error(format!("cannot remove image {image}"), &e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_split_into_name_and_tag() {
        assert_eq!(split_reference("busybox"), ("busybox", "latest"));
        assert_eq!(split_reference("a/b:1.2"), ("a/b", "1.2"));
        assert_eq!(split_reference("reg:5000/b"), ("reg:5000/b", "latest"));
        assert_eq!(split_reference("reg:5000/b:x"), ("reg:5000/b", "x"));
        assert_eq!(
            full_reference("127.0.0.1:1/nope"),
            "127.0.0.1:1/nope:latest"
        );
        assert_eq!(full_reference("a@sha256:00"), "a@sha256:00");
    }

    #[test]
    fn registries_are_found_in_references() {
        assert_eq!(registry_of("busybox"), "docker.io");
        assert_eq!(registry_of("library/busybox:1"), "docker.io");
        assert_eq!(registry_of("127.0.0.1:1/nope:latest"), "127.0.0.1:1");
        assert_eq!(registry_of("localhost/x"), "localhost");
        assert_eq!(registry_of("ghcr.io/o/x"), "ghcr.io");
    }

    #[test]
    fn registry_errors_are_shortened() {
        assert_eq!(
            registry_reason(
                "Get \"http://127.0.0.1:1/v2/\": dial tcp 127.0.0.1:1: connect: connection refused"
            ),
            "connection refused"
        );
        assert_eq!(
            registry_reason(
                "Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup registry-1.docker.io on 10.0.0.1:53: no such host"
            ),
            "no such host"
        );
        assert_eq!(
            registry_reason("Get \"https://r/v2/x\": unauthorized: authentication required"),
            "unauthorized: authentication required"
        );
        assert_eq!(
            registry_reason("manifest for x:1 not found: manifest unknown"),
            "manifest for x:1 not found: manifest unknown"
        );
    }

    #[test]
    fn only_layer_messages_are_layers() {
        let detail = ProgressDetail {
            current: Some(10),
            total: Some(100),
        };
        assert_eq!(
            layer_of(Some("abc"), Some("Downloading"), Some(&detail)),
            Some(Layer {
                id: "abc".into(),
                status: LayerStatus::Downloading,
                current: 10,
                total: 100
            })
        );
        assert_eq!(
            layer_of(Some("latest"), Some("Pulling from library/busybox"), None),
            None
        );
        assert_eq!(layer_of(None, Some("Digest: sha256:00"), None), None);
    }
}
