//! Images a project needs: found locally, else pulled; a failure is one line naming the image
//! and the registry's reason.

use std::time::Duration;

use bollard::Docker;
use bollard::query_parameters::{CreateImageOptionsBuilder, RemoveImageOptionsBuilder};
use futures_util::StreamExt;

use super::errors::{engine_error, is_not_found, message_of};
use crate::error::{Error, Result};

/// How long a pull may take before rcompose gives up on it.
const PULL_TIMEOUT: Duration = Duration::from_secs(600);

/// The local ID of `image`, if present.
pub async fn local_id(docker: &Docker, image: &str) -> Result<Option<String>> {
    match docker.inspect_image(image).await {
        Ok(inspect) => Ok(inspect.id),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(engine_error(format!("cannot inspect image {image}"), &e)),
    }
}

/// The ID of `image`, pulling it when it is not present.
pub async fn ensure(docker: &Docker, image: &str) -> Result<String> {
    if let Some(id) = local_id(docker, image).await? {
        return Ok(id);
    }
    let (name, tag) = split_reference(image);
    let options = CreateImageOptionsBuilder::default()
        .from_image(name)
        .tag(tag)
        .build();
    let pull = async {
        let mut stream = docker.create_image(Some(options), None, None);
        while let Some(item) = stream.next().await {
            match item {
                Ok(info) => {
                    if let Some(detail) = info.error_detail.and_then(|d| d.message) {
                        return Err(detail);
                    }
                }
                Err(e) => return Err(message_of(&e)),
            }
        }
        Ok(())
    };
    let reason = match tokio::time::timeout(PULL_TIMEOUT, pull).await {
        Ok(Ok(())) => None,
        Ok(Err(reason)) => Some(reason),
        Err(_) => Some(format!("no answer within {} s", PULL_TIMEOUT.as_secs())),
    };
    let missing = |reason: &str| {
        Error::new(format!(
            "image {image} not found locally and cannot be pulled: {}",
            reason.replace('\n', " ")
        ))
    };
    if let Some(reason) = reason {
        return Err(missing(&reason));
    }
    match local_id(docker, image).await? {
        Some(id) => Ok(id),
        None => Err(missing("the pull finished but the image is still missing")),
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
    }
}
