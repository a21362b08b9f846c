//! `volumes`: the project's volumes on the engine, as `docker volume ls` shows them.

use std::collections::HashMap;

use bollard::Docker;
use bollard::models::Volume;
use bollard::query_parameters::ListVolumesOptionsBuilder;
use serde_json::json;

use crate::engine::{errors, labels};
use crate::error::Result;

/// The volumes labelled for `project`; with `keys`, only those declared under these keys
/// (the top-level `volumes:` names the chosen services mount). Sorted by name.
pub async fn list(docker: &Docker, project: &str, keys: Option<&[String]>) -> Result<Vec<Volume>> {
    let filters: HashMap<String, Vec<String>> = labels::project_filter(project);
    let options = ListVolumesOptionsBuilder::default()
        .filters(&filters)
        .build();
    let answer = docker
        .list_volumes(Some(options))
        .await
        .map_err(|e| errors::engine_error("cannot list volumes", &e))?;
    let mut volumes: Vec<Volume> = answer
        .volumes
        .unwrap_or_default()
        .into_iter()
        .filter(|v| v.labels.get(labels::PROJECT).map(String::as_str) == Some(project))
        .filter(|v| match keys {
            None => true,
            Some(keys) => v
                .labels
                .get(labels::VOLUME)
                .is_some_and(|key| keys.contains(key)),
        })
        .collect();
    volumes.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(volumes)
}

/// `DRIVER    VOLUME NAME` (docker's table: columns at least 10 wide, 3 apart).
pub fn table(volumes: &[Volume]) -> String {
    let width = volumes
        .iter()
        .map(|v| v.driver.chars().count())
        .chain(["DRIVER".len()])
        .max()
        .unwrap_or(0)
        .saturating_add(3)
        .max(10);
    let mut out = format!("{:<width$}VOLUME NAME\n", "DRIVER");
    for v in volumes {
        out.push_str(&format!("{:<width$}{}\n", v.driver, v.name));
    }
    out
}

/// One JSON object per line, with `docker volume ls --format json`'s keys.
pub fn json_lines(volumes: &[Volume]) -> String {
    let mut out = String::new();
    for v in volumes {
        let mut labels: Vec<String> = v.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        labels.sort();
        let scope = v
            .scope
            .map(|s| s.to_string())
            .unwrap_or_else(|| "local".to_string());
        let line = json!({
            "Availability": "N/A",
            "Driver": v.driver,
            "Group": "N/A",
            "Labels": labels.join(","),
            "Links": "N/A",
            "Mountpoint": v.mountpoint,
            "Name": v.name,
            "Scope": scope,
            "Size": "N/A",
            "Status": "N/A",
        });
        out.push_str(&line.to_string());
        out.push('\n');
    }
    out
}
