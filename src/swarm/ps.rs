//! `swarm ps`: the tasks of a stack, in the columns of `docker stack ps` (ID, NAME, IMAGE, NODE,
//! DESIRED STATE, CURRENT STATE, ERROR, PORTS), older tasks of a slot under the newest one. A
//! node the manager sees down is shown as `NAME (down)`, with a warning: its tasks' states are
//! only what it last reported.

use std::collections::HashMap;

use bollard::Docker;
use bollard::models::{Task, TaskState};
use bollard::query_parameters::{ListServicesOptions, ListTasksOptions};

use super::{engine_error, not_a_manager};
use crate::engine::labels;
use crate::error::{Error, Result};

/// How to print the tasks.
#[derive(Debug, Clone, Copy, Default)]
pub struct PsOptions {
    /// Full IDs, image references and errors.
    pub no_trunc: bool,
    /// Task IDs only.
    pub quiet: bool,
}

/// One task as printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub id: String,
    pub name: String,
    pub image: String,
    pub node: String,
    pub desired_state: String,
    pub current_state: String,
    pub error: String,
    pub ports: String,
}

/// The table of `stack`'s tasks.
pub async fn ps(
    docker: &Docker,
    stack: &str,
    opts: PsOptions,
    progress: &crate::progress::Progress,
) -> Result<String> {
    let services = docker
        .list_services(Some(ListServicesOptions {
            filters: Some(labels::stack_filter(stack)),
            ..ListServicesOptions::default()
        }))
        .await
        .map_err(not_a_manager)?;
    if services.is_empty() {
        return Err(Error::new(format!("nothing found in stack: {stack}"))
            .with_hint("deploy it with `rcompose swarm up`, or name it with -p"));
    }
    let names: HashMap<String, String> = services
        .iter()
        .filter_map(|s| Some((s.id.clone()?, s.spec.as_ref()?.name.clone()?)))
        .collect();
    let tasks = docker
        .list_tasks(Some(ListTasksOptions {
            filters: Some(HashMap::from([(
                "service".to_string(),
                names.keys().cloned().collect(),
            )])),
        }))
        .await
        .map_err(|e| engine_error("cannot list tasks", e))?;
    let nodes = super::nodes::nodes(docker).await?;
    if let Some(down) = super::nodes::down_sentence(&super::nodes::down(&nodes)) {
        progress.stack(
            stack,
            crate::progress::Action::Warning(format!(
                "{down}: the states shown for its tasks are the last it reported, and the \
                 manager reschedules them on other nodes where their placement allows"
            )),
        );
    }
    let nodes: HashMap<String, String> = nodes
        .into_iter()
        .map(|(id, node)| (id, node.label()))
        .collect();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i128)
        .unwrap_or(0);
    let rows = rows(&tasks, &names, &nodes, now, opts.no_trunc);
    if opts.quiet {
        return Ok(rows.iter().map(|r| format!("{}\n", r.id)).collect());
    }
    Ok(table(&rows))
}

/// Rows for `tasks`, grouped by service and slot (or node, for global services), the newest
/// task of each group first and older ones indented under it, as `docker stack ps` shows them.
pub fn rows(
    tasks: &[Task],
    service_names: &HashMap<String, String>,
    node_names: &HashMap<String, String>,
    now_nanos: i128,
    no_trunc: bool,
) -> Vec<Row> {
    let mut sorted: Vec<&Task> = tasks.iter().collect();
    let group = |t: &Task| -> (String, i64, String) {
        let service = t
            .service_id
            .as_ref()
            .and_then(|id| service_names.get(id))
            .cloned()
            .unwrap_or_default();
        let slot = t.slot.unwrap_or(0);
        let node = if slot == 0 {
            t.node_id.clone().unwrap_or_default()
        } else {
            String::new()
        };
        (service, slot, node)
    };
    let created = |t: &Task| {
        t.created_at
            .as_deref()
            .and_then(crate::time::unix_nanos)
            .unwrap_or(0)
    };
    sorted.sort_by(|a, b| {
        group(a)
            .cmp(&group(b))
            .then_with(|| created(b).cmp(&created(a)))
    });
    let mut rows = Vec::new();
    let mut previous = None;
    for task in sorted {
        let key = group(task);
        let (service, slot, node) = &key;
        let mut name = if *slot > 0 {
            format!("{service}.{slot}")
        } else {
            format!("{service}.{node}")
        };
        if previous.as_ref() == Some(&key) {
            name = format!(" \\_ {name}");
        }
        previous = Some(key.clone());
        let status = task.status.clone().unwrap_or_default();
        let since = status
            .timestamp
            .as_deref()
            .and_then(crate::time::unix_nanos)
            .map(|t| human_duration(now_nanos.saturating_sub(t)));
        let state = status.state.map(state_name).unwrap_or_default();
        let current_state = match since {
            Some(since) => format!("{} {since} ago", capitalize(&state)),
            None => capitalize(&state),
        };
        let mut image = task
            .spec
            .as_ref()
            .and_then(|s| s.container_spec.as_ref())
            .and_then(|c| c.image.clone())
            .unwrap_or_default();
        let mut id = task.id.clone().unwrap_or_default();
        let mut error = status
            .err
            .filter(|e| !e.is_empty())
            .map(|e| format!("\"{e}\""))
            .unwrap_or_default();
        if !no_trunc {
            if let Some((reference, _digest)) = image.split_once('@') {
                image = reference.to_string();
            }
            id = id.chars().take(12).collect();
            if error.chars().count() > 30 {
                error = error.chars().take(29).collect::<String>() + "…\"";
            }
        }
        let ports = status
            .port_status
            .and_then(|p| p.ports)
            .unwrap_or_default()
            .iter()
            .map(|p| {
                let protocol = p.protocol.map(|p| p.to_string()).unwrap_or_default();
                format!(
                    "*:{}->{}/{}",
                    p.published_port.unwrap_or(0),
                    p.target_port.unwrap_or(0),
                    protocol
                )
            })
            .fold(Vec::<String>::new(), |mut seen, port| {
                if !seen.contains(&port) {
                    seen.push(port);
                }
                seen
            })
            .join(",");
        rows.push(Row {
            id,
            name,
            image,
            node: task
                .node_id
                .as_ref()
                .and_then(|id| node_names.get(id))
                .cloned()
                .unwrap_or_default(),
            desired_state: capitalize(&task.desired_state.map(state_name).unwrap_or_default()),
            current_state,
            error,
            ports,
        });
    }
    rows
}

/// Rows as aligned columns under a header.
pub fn table(rows: &[Row]) -> String {
    let header = [
        "ID",
        "NAME",
        "IMAGE",
        "NODE",
        "DESIRED STATE",
        "CURRENT STATE",
        "ERROR",
        "PORTS",
    ];
    let cells: Vec<[&str; 8]> = rows
        .iter()
        .map(|r| {
            [
                r.id.as_str(),
                &r.name,
                &r.image,
                &r.node,
                &r.desired_state,
                &r.current_state,
                &r.error,
                &r.ports,
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(cells.iter()) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                let pad = widths[i] - cell.chars().count();
                line.push_str(cell);
                line.push_str(&" ".repeat(pad + 3));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn state_name(state: TaskState) -> String {
    // The serde names are the engine's ("running", "shutdown", ...).
    serde_json::to_value(state)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A span as `docker` prints it: "Less than a second", "3 seconds", "About a minute",
/// "5 minutes", "About an hour", "3 hours", "2 days", "3 weeks", "4 months", "2 years".
pub fn human_duration(nanos: i128) -> String {
    let seconds = nanos / 1_000_000_000;
    let minutes = seconds / 60;
    let hours = (nanos as f64 / 3.6e12).round() as i128;
    if seconds < 1 {
        "Less than a second".to_string()
    } else if seconds == 1 {
        "1 second".to_string()
    } else if seconds < 60 {
        format!("{seconds} seconds")
    } else if minutes == 1 {
        "About a minute".to_string()
    } else if minutes < 60 {
        format!("{minutes} minutes")
    } else if hours == 1 {
        "About an hour".to_string()
    } else if hours < 48 {
        format!("{hours} hours")
    } else if hours < 24 * 7 * 2 {
        format!("{} days", hours / 24)
    } else if hours < 24 * 30 * 2 {
        format!("{} weeks", hours / 24 / 7)
    } else if hours < 24 * 365 * 2 {
        format!("{} months", hours / 24 / 30)
    } else {
        format!("{} years", seconds / 3600 / 24 / 365)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::{TaskSpec, TaskSpecContainerSpec, TaskStatus};

    const SEC: i128 = 1_000_000_000;

    #[test]
    fn durations_read_like_docker() {
        let cases = [
            (0, "Less than a second"),
            (1, "1 second"),
            (59, "59 seconds"),
            (60, "About a minute"),
            (150, "2 minutes"),
            (3600, "About an hour"),
            (3 * 3600, "3 hours"),
            (3 * 86_400, "3 days"),
            (15 * 86_400, "2 weeks"),
            (90 * 86_400, "3 months"),
            (800 * 86_400, "2 years"),
        ];
        for (secs, text) in cases {
            assert_eq!(human_duration(secs * SEC), text, "{secs}");
        }
    }

    fn task(id: &str, slot: i64, created: &str, state: TaskState, desired: TaskState) -> Task {
        Task {
            id: Some(id.to_string()),
            service_id: Some("svc1".to_string()),
            slot: Some(slot),
            node_id: Some("node1".to_string()),
            created_at: Some(created.to_string()),
            desired_state: Some(desired),
            status: Some(TaskStatus {
                timestamp: Some(created.to_string()),
                state: Some(state),
                err: (state == TaskState::FAILED).then(|| "task: non-zero exit (1)".to_string()),
                ..TaskStatus::default()
            }),
            spec: Some(TaskSpec {
                container_spec: Some(TaskSpecContainerSpec {
                    image: Some("busybox:latest@sha256:abc".to_string()),
                    ..TaskSpecContainerSpec::default()
                }),
                ..TaskSpec::default()
            }),
            ..Task::default()
        }
    }

    #[test]
    fn rows_group_slots_newest_first() {
        let tasks = [
            task(
                "aaaaaaaaaaaaaaaa",
                1,
                "2024-01-01T00:00:00Z",
                TaskState::FAILED,
                TaskState::SHUTDOWN,
            ),
            task(
                "bbbbbbbbbbbbbbbb",
                2,
                "2024-01-01T00:00:10Z",
                TaskState::RUNNING,
                TaskState::RUNNING,
            ),
            task(
                "cccccccccccccccc",
                1,
                "2024-01-01T00:00:05Z",
                TaskState::RUNNING,
                TaskState::RUNNING,
            ),
        ];
        let services = HashMap::from([("svc1".to_string(), "shop_web".to_string())]);
        let nodes = HashMap::from([("node1".to_string(), "box".to_string())]);
        let now = crate::time::unix_nanos("2024-01-01T00:01:00Z").unwrap_or(0);
        let rows = rows(&tasks, &services, &nodes, now, false);
        let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["shop_web.1", " \\_ shop_web.1", "shop_web.2"]);
        assert_eq!(rows[0].id, "cccccccccccc");
        assert_eq!(rows[0].image, "busybox:latest");
        assert_eq!(rows[0].node, "box");
        assert_eq!(rows[0].desired_state, "Running");
        assert_eq!(rows[0].current_state, "Running 55 seconds ago");
        assert_eq!(rows[1].current_state, "Failed About a minute ago");
        assert_eq!(rows[1].desired_state, "Shutdown");
        assert_eq!(rows[1].error, "\"task: non-zero exit (1)\"");

        let full = super::rows(&tasks, &services, &nodes, now, true);
        assert_eq!(full[0].id, "cccccccccccccccc");
        assert_eq!(full[0].image, "busybox:latest@sha256:abc");

        let text = table(&rows);
        let mut lines = text.lines();
        let header = lines.next().unwrap_or_default();
        assert!(header.starts_with("ID             NAME"), "{header}");
        assert!(header.contains("DESIRED STATE   CURRENT STATE"), "{header}");
        assert_eq!(text.lines().count(), 4);
    }
}
