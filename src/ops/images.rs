//! `images`: the image each of the project's containers runs (repository, tag, ID, size), as a
//! table or JSON.

use bollard::Docker;
use serde_json::json;

use crate::engine::errors::{engine_error, is_not_found};
use crate::engine::images::split_reference;
use crate::engine::observe::ObservedContainer;
use crate::error::Result;

/// One row of `images`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRow {
    pub container: String,
    pub repository: String,
    pub tag: String,
    /// Full ID (`sha256:...`).
    pub id: String,
    pub size: i64,
}

/// The image of every container.
pub async fn images(docker: &Docker, containers: &[ObservedContainer]) -> Result<Vec<ImageRow>> {
    let mut rows = Vec::new();
    for c in containers {
        let reference = if c.image_id.is_empty() {
            c.image.as_str()
        } else {
            c.image_id.as_str()
        };
        let inspect = match docker.inspect_image(reference).await {
            Ok(i) => Some(i),
            Err(e) if is_not_found(&e) => None,
            Err(e) => {
                return Err(engine_error(
                    format!("cannot inspect image {reference}"),
                    &e,
                ));
            }
        };
        let tags = inspect
            .as_ref()
            .and_then(|i| i.repo_tags.clone())
            .unwrap_or_default();
        // The tag the container was created with, else the image's first tag.
        let tag = tags
            .iter()
            .find(|t| **t == c.image)
            .or_else(|| tags.first())
            .cloned();
        let (repository, tag) = match tag {
            Some(t) => {
                let (repository, tag) = split_reference(&t);
                (repository.to_string(), tag.to_string())
            }
            None => ("<none>".to_string(), "<none>".to_string()),
        };
        rows.push(ImageRow {
            container: c.name.clone(),
            repository,
            tag,
            id: inspect
                .as_ref()
                .and_then(|i| i.id.clone())
                .unwrap_or_else(|| c.image_id.clone()),
            size: inspect.as_ref().and_then(|i| i.size).unwrap_or(0),
        });
    }
    Ok(rows)
}

/// The first 12 hex digits of an image ID.
fn short_id(id: &str) -> String {
    id.trim_start_matches("sha256:").chars().take(12).collect()
}

/// A size as docker prints it: three significant digits, decimal units (`4.26MB`).
pub fn human_size(bytes: i64) -> String {
    const UNITS: &[&str] = &["B", "kB", "MB", "GB", "TB", "PB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    let decimals = if value >= 100.0 {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    let text = format!("{value:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    format!("{text}{}", UNITS[unit])
}

/// CONTAINER REPOSITORY TAG IMAGE ID SIZE.
pub fn table(rows: &[ImageRow]) -> String {
    let mut out = vec![vec![
        "CONTAINER".to_string(),
        "REPOSITORY".to_string(),
        "TAG".to_string(),
        "IMAGE ID".to_string(),
        "SIZE".to_string(),
    ]];
    for r in rows {
        out.push(vec![
            r.container.clone(),
            r.repository.clone(),
            r.tag.clone(),
            short_id(&r.id),
            human_size(r.size),
        ]);
    }
    super::table::render(&out)
}

/// A JSON array with docker compose's keys.
pub fn json(rows: &[ImageRow]) -> String {
    let list: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            json!({
                "ContainerName": r.container,
                "Repository": r.repository,
                "Tag": r.tag,
                "ID": r.id,
                "Size": r.size,
            })
        })
        .collect();
    format!("{}\n", serde_json::Value::Array(list))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_docker() {
        assert_eq!(human_size(0), "0B");
        assert_eq!(human_size(999), "999B");
        assert_eq!(human_size(1_400_000), "1.4MB");
        assert_eq!(human_size(4_264_000), "4.26MB");
        assert_eq!(human_size(141_234_567), "141MB");
        assert_eq!(human_size(12_340_000_000), "12.3GB");
    }
}
