//! `ps`: the project's containers as a table (NAME IMAGE COMMAND SERVICE CREATED STATUS PORTS,
//! like docker compose), IDs, service names, or JSON lines.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::json;

use crate::engine::observe::{ObservedContainer, State};

/// `2 minutes ago`, as docker prints ages.
pub fn ago(created: i64, now: i64) -> String {
    let secs = (now - created).max(0);
    let (n, unit) = match secs {
        0 => return "Less than a second ago".to_string(),
        1..=59 => (secs, "second"),
        60..=3599 => (secs / 60, "minute"),
        3600..=86_399 => (secs / 3600, "hour"),
        86_400..=604_799 => (secs / 86_400, "day"),
        604_800..=2_678_399 => (secs / 604_800, "week"),
        _ => (secs / 2_678_400, "month"),
    };
    match (n, unit) {
        (1, "hour") => "About an hour ago".to_string(),
        (1, "minute") => "About a minute ago".to_string(),
        (1, u) => format!("1 {u} ago"),
        (n, u) => format!("{n} {u}s ago"),
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The command quoted and cut to 20 characters, as `docker compose ps` shows it.
fn short_command(command: &str) -> String {
    let chars: Vec<char> = command.chars().collect();
    if chars.len() > 20 {
        format!("\"{}…\"", chars[..19].iter().collect::<String>())
    } else {
        format!("\"{command}\"")
    }
}

fn ports(c: &ObservedContainer) -> String {
    let list: Vec<String> = c.ports.iter().map(|p| p.to_string()).collect();
    list.join(", ")
}

/// The table.
pub fn table(containers: &[ObservedContainer]) -> String {
    table_of(containers, false)
}

/// The table; `no_trunc`: commands in full (`ps --no-trunc`).
pub fn table_of(containers: &[ObservedContainer], no_trunc: bool) -> String {
    let now = now();
    let mut rows: Vec<[String; 7]> = vec![[
        "NAME".into(),
        "IMAGE".into(),
        "COMMAND".into(),
        "SERVICE".into(),
        "CREATED".into(),
        "STATUS".into(),
        "PORTS".into(),
    ]];
    for c in containers {
        rows.push([
            c.name.clone(),
            c.image.clone(),
            if no_trunc {
                format!("\"{}\"", c.command)
            } else {
                short_command(&c.command)
            },
            c.service.clone(),
            ago(c.created, now),
            c.status.clone(),
            ports(c),
        ]);
    }
    super::table::render(&rows)
}

/// Creation time as docker compose's JSON gives it (Go's time format), in UTC:
/// `2024-05-01 10:00:00 +0000 UTC`.
fn created_at(created: i64) -> String {
    let stamp = super::events::format_time(created.saturating_mul(1_000_000_000));
    format!("{} +0000 UTC", &stamp[..stamp.len().min(19)])
}

/// The states `ps --status` accepts, as docker compose lists them.
pub const STATUSES: [&str; 7] = [
    "paused",
    "restarting",
    "removing",
    "running",
    "dead",
    "created",
    "exited",
];

/// One JSON object per line, with docker compose's keys.
pub fn json_lines(containers: &[ObservedContainer]) -> String {
    let now = now();
    let mut out = String::new();
    for c in containers {
        let publishers: Vec<serde_json::Value> = c
            .ports
            .iter()
            .map(|p| {
                json!({
                    "URL": p.host_ip.clone().unwrap_or_default(),
                    "TargetPort": p.container_port,
                    "PublishedPort": p.host_port.unwrap_or(0),
                    "Protocol": p.protocol,
                })
            })
            .collect();
        let value = json!({
            "ID": c.id,
            "Name": c.name,
            "Names": c.name,
            "Image": c.image,
            "Command": c.command,
            "Project": c.project,
            "Service": c.service,
            "Created": c.created,
            "CreatedAt": created_at(c.created),
            "RunningFor": ago(c.created, now),
            "State": c.state.as_str(),
            "Status": c.status,
            "Health": c.health.map(|h| h.as_str()).unwrap_or(""),
            "ExitCode": c.exit_code.unwrap_or(0),
            "Ports": ports(c),
            "Publishers": publishers,
            "Labels": c.labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(","),
            "Networks": c.networks.join(","),
            "Mounts": c.mounts.join(","),
            "LocalVolumes": c.local_volumes.to_string(),
            "Size": "0B",
        });
        out.push_str(&value.to_string());
        out.push('\n');
    }
    out
}

/// Keep the containers `ps` shows: running ones unless `all`; `status` filters by state.
pub fn select(
    containers: Vec<ObservedContainer>,
    services: &[String],
    all: bool,
    status: &[String],
) -> Vec<ObservedContainer> {
    containers
        .into_iter()
        .filter(|c| !c.oneoff)
        .filter(|c| services.is_empty() || services.contains(&c.service))
        .filter(|c| {
            if !status.is_empty() {
                status.iter().any(|s| State::parse(s) == c.state)
            } else {
                all || c.state.is_up()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_like_docker() {
        assert_eq!(ago(100, 100), "Less than a second ago");
        assert_eq!(ago(100, 103), "3 seconds ago");
        assert_eq!(ago(0, 90), "About a minute ago");
        assert_eq!(ago(0, 7300), "2 hours ago");
    }

    #[test]
    fn creation_times_read_like_go() {
        assert_eq!(created_at(0), "1970-01-01 00:00:00 +0000 UTC");
        assert_eq!(created_at(1_714_557_600), "2024-05-01 10:00:00 +0000 UTC");
    }

    #[test]
    fn commands_are_quoted_and_cut() {
        assert_eq!(short_command("sleep 60"), "\"sleep 60\"");
        assert_eq!(
            short_command("sh -c 'touch /tmp/ready; sleep 60'"),
            "\"sh -c 'touch /tmp/r…\""
        );
    }
}
