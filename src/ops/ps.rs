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
    let mut out = String::new();
    for value in json_objects(containers) {
        out.push_str(&value.to_string());
        out.push('\n');
    }
    out
}

/// Each container as docker compose's JSON object (also what `--format` templates read).
fn json_objects(containers: &[ObservedContainer]) -> Vec<serde_json::Value> {
    let now = now();
    let mut out = Vec::new();
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
        out.push(value);
    }
    out
}

/// The column header of a template field in a `table` template, as docker compose names it.
fn header(field: &str) -> &'static str {
    match field {
        "ID" => "CONTAINER ID",
        "Name" => "NAME",
        "Image" => "IMAGE",
        "Command" => "COMMAND",
        "Project" => "PROJECT",
        "Service" => "SERVICE",
        "RunningFor" => "CREATED",
        "State" => "STATE",
        "Status" => "STATUS",
        "Ports" => "PORTS",
        "CreatedAt" => "CREATED AT",
        "Size" => "SIZE",
        _ => "<no value>",
    }
}

/// One piece of a `--format` template.
#[derive(Debug, PartialEq)]
enum Piece {
    Text(String),
    Field(String),
    /// `{{json .}}` (`None`) or `{{json .Field}}`.
    Json(Option<String>),
}

/// The subset of Go templates `ps --format` (and the docker CLI's `psFormat`) takes here:
/// text, `{{.Field}}`, `{{json .}}` and `{{json .Field}}`.
fn parse_template(template: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        if start > 0 {
            pieces.push(Piece::Text(rest[..start].to_string()));
        }
        let end = rest[start..]
            .find("}}")
            .map(|e| start + e)
            .ok_or_else(|| format!("unclosed action in template {template:?}"))?;
        let action = rest[start + 2..end].trim();
        let field = |text: &str| -> Option<String> {
            let name = text.strip_prefix('.')?;
            (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()))
                .then(|| name.to_string())
        };
        let piece = match action.strip_prefix("json ").map(str::trim) {
            Some(".") => Piece::Json(None),
            Some(target) => Piece::Json(Some(field(target).ok_or_else(|| unsupported(action))?)),
            None => Piece::Field(field(action).ok_or_else(|| unsupported(action))?),
        };
        pieces.push(piece);
        rest = &rest[end + 2..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest.to_string()));
    }
    Ok(pieces)
}

fn unsupported(action: &str) -> String {
    format!(
        "{{{{{action}}}}} is not supported: rcompose's templates take {{{{.Field}}}}, {{{{json .}}}} and {{{{json .Field}}}}"
    )
}

/// `ps --format TEMPLATE` or `table TEMPLATE` (a header row, aligned columns): one line per
/// container. Container IDs are cut to 12 characters and commands quoted and cut as in the
/// table, unless `no_trunc`.
pub fn templated(
    containers: &[ObservedContainer],
    template: &str,
    no_trunc: bool,
) -> Result<String, String> {
    // As the docker CLI, a `\t` or `\n` written out in the template is a tab or a newline.
    let template = template.replace("\\t", "\t").replace("\\n", "\n");
    let (table, body) = match template.strip_prefix("table") {
        Some(rest) if rest.is_empty() || rest.starts_with(char::is_whitespace) => {
            (true, rest.trim_start())
        }
        _ => (false, template.as_str()),
    };
    if table && body.is_empty() {
        return Ok(table_of(containers, no_trunc));
    }
    let pieces = parse_template(body)?;
    let value_of = |object: &serde_json::Value, c: &ObservedContainer, name: &str| {
        let text = match (name, object.get(name)) {
            ("ID", _) if !no_trunc => c.id.chars().take(12).collect(),
            ("Command", _) if no_trunc => format!("\"{}\"", c.command),
            ("Command", _) => short_command(&c.command),
            (_, Some(serde_json::Value::String(s))) => s.clone(),
            (_, Some(other)) => other.to_string(),
            (_, None) => return Err(format!("can't evaluate field {name} of a container")),
        };
        Ok(text)
    };
    let mut lines = Vec::new();
    if table {
        let mut line = String::new();
        for piece in &pieces {
            match piece {
                Piece::Text(text) => line.push_str(text),
                Piece::Field(name) => line.push_str(header(name)),
                Piece::Json(_) => line.push_str("<no value>"),
            }
        }
        lines.push(line);
    }
    for (c, object) in containers.iter().zip(json_objects(containers)) {
        let mut line = String::new();
        for piece in &pieces {
            match piece {
                Piece::Text(text) => line.push_str(text),
                Piece::Field(name) => line.push_str(&value_of(&object, c, name)?),
                Piece::Json(None) => line.push_str(&object.to_string()),
                Piece::Json(Some(name)) => {
                    let value = object
                        .get(name.as_str())
                        .ok_or_else(|| format!("can't evaluate field {name} of a container"))?;
                    line.push_str(&value.to_string());
                }
            }
        }
        lines.push(line);
    }
    if !table {
        return Ok(lines.iter().map(|l| format!("{l}\n")).collect());
    }
    let rows: Vec<Vec<String>> = lines
        .iter()
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect();
    Ok(super::table::render(&rows))
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
    fn templates_take_fields_and_json_and_refuse_the_rest() {
        assert_eq!(
            parse_template("{{.Name}}\t{{ json .State }}!"),
            Ok(vec![
                Piece::Field("Name".into()),
                Piece::Text("\t".into()),
                Piece::Json(Some("State".into())),
                Piece::Text("!".into()),
            ])
        );
        assert_eq!(parse_template("{{json .}}"), Ok(vec![Piece::Json(None)]));
        let err = parse_template("{{upper .Name}}").unwrap_err();
        assert!(err.contains("{{upper .Name}} is not supported"), "{err}");
        assert!(parse_template("{{.Name").is_err());
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
