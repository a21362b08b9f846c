//! `labels`: the service's own labels plus the `com.docker.compose.*` labels every container
//! of the project carries (their names are owned by [`crate::engine::labels`]).

use std::collections::HashMap;

use super::{ProjectContext, Target};
use crate::engine::labels;

/// The labels of replica `number`.
pub(super) fn container_labels(
    target: &Target<'_>,
    context: &ProjectContext,
    number: u32,
    config_hash: &str,
    image_id: Option<&str>,
) -> HashMap<String, String> {
    let Target {
        project,
        name,
        service,
    } = *target;
    let mut container_labels: HashMap<String, String> = service
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (k, v) in [
        (labels::PROJECT, project.name.clone()),
        (labels::SERVICE, name.to_string()),
        (labels::CONTAINER_NUMBER, number.to_string()),
        (labels::ONEOFF, labels::ONEOFF_FALSE.to_string()),
        (labels::CONFIG_HASH, config_hash.to_string()),
        (labels::WORKING_DIR, context.working_dir.clone()),
        (labels::CONFIG_FILES, context.config_files.join(",")),
        (
            labels::DEPENDS_ON,
            labels::depends_on_value(&service.depends_on),
        ),
        (
            labels::IMAGE,
            image_id
                .map(str::to_string)
                .unwrap_or_else(|| service.image_name(&project.name, name)),
        ),
        (labels::VERSION, labels::COMPOSE_VERSION.to_string()),
    ] {
        container_labels.insert(k.to_string(), v);
    }
    // Without an environment file compose writes no label at all (not an empty one).
    if !context.env_files.is_empty() {
        container_labels.insert(
            labels::ENVIRONMENT_FILE.to_string(),
            context.env_files.join(","),
        );
    }
    container_labels
}
