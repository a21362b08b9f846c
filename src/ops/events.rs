//! `events`: the project's container events as they happen, one line each
//! (`2024-05-01 10:00:00.123456 container start <id> (name=..., ...)`) or one JSON object each.

use std::io::Write;

use bollard::Docker;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use crate::engine::events::{ContainerEvent, Subscription};
use crate::error::{Error, Result};
use crate::progress::Progress;

/// `YYYY-MM-DD HH:MM:SS.ffffff` (UTC) of nanoseconds since the Unix epoch.
pub fn format_time(nanos: i64) -> String {
    let secs = nanos.div_euclid(1_000_000_000);
    let micros = nanos.rem_euclid(1_000_000_000) / 1000;
    let days = secs.div_euclid(86_400);
    let rest = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{micros:06}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Proleptic Gregorian (year, month, day) of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// One event as a text line.
pub fn text(event: &ContainerEvent) -> String {
    let mut attributes: Vec<(&String, &String)> = event.attributes.iter().collect();
    attributes.sort();
    let attributes: Vec<String> = attributes
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    format!(
        "{} container {} {} ({})",
        format_time(event.time_nano),
        event.raw_action,
        event.id,
        attributes.join(", ")
    )
}

/// One event as a JSON object.
pub fn json(event: &ContainerEvent) -> String {
    let attributes: serde_json::Map<String, serde_json::Value> = event
        .attributes
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    let mut sorted: Vec<(String, serde_json::Value)> = attributes.into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    json!({
        "time": format_time(event.time_nano),
        "type": "container",
        "action": event.raw_action,
        "id": event.id,
        "service": event.service,
        "attributes": serde_json::Map::from_iter(sorted),
    })
    .to_string()
}

/// Print the events of `project` (of `services`, all when empty) from `since` (default: now)
/// until Ctrl-C, or until `until`.
pub async fn events(
    docker: &Docker,
    project: &str,
    services: &[String],
    as_json: bool,
    since: Option<std::time::SystemTime>,
    until: Option<std::time::SystemTime>,
    progress: &Progress,
) -> Result<()> {
    let subscription = Subscription::start_between(docker, project, since, until);
    let mut receiver = subscription.receiver();
    loop {
        let event = tokio::select! {
            event = receiver.recv() => event,
            _ = tokio::signal::ctrl_c() => return Ok(()),
        };
        let event = match event {
            Ok(event) => event,
            Err(RecvError::Lagged(n)) => {
                progress.warn(format!("{n} events were missed"));
                continue;
            }
            // With --until, the engine ends the stream there.
            Err(RecvError::Closed) if until.is_some() => return Ok(()),
            Err(RecvError::Closed) => {
                return Err(Error::new("the engine closed its event stream")
                    .with_hint("is the docker daemon still running?"));
            }
        };
        if !services.is_empty() && !services.contains(&event.service) {
            continue;
        }
        let line = if as_json { json(&event) } else { text(&event) };
        let mut out = std::io::stdout().lock();
        if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc_with_microseconds() {
        assert_eq!(format_time(0), "1970-01-01 00:00:00.000000");
        assert_eq!(
            format_time(1_700_000_000_123_456_789),
            "2023-11-14 22:13:20.123456"
        );
        assert_eq!(
            format_time(951_782_400_000_000_000),
            "2000-02-29 00:00:00.000000"
        );
    }
}
