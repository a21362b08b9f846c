//! Container primitives: inspect, start, stop, kill, remove, pause, unpause and the tail of the
//! logs — one engine call each, with errors worded for the user.

use bollard::Docker;
use bollard::models::{ContainerInspectResponse, ContainerStateStatusEnum, HealthStatusEnum};
use bollard::query_parameters::{
    KillContainerOptionsBuilder, LogsOptionsBuilder, RemoveContainerOptionsBuilder,
    RenameContainerOptionsBuilder, StopContainerOptionsBuilder,
};
use futures_util::StreamExt;

use super::errors::{engine_error, is_not_found, is_not_modified, message_of};
use super::observe::{Health, State};
use crate::error::{Error, ErrorKind, Result};

/// The live state of one container, from one inspect call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub state: State,
    pub exit_code: Option<i64>,
    /// `None` when the container has no healthcheck.
    pub health: Option<Health>,
    /// The engine's error for a container that failed to start.
    pub error: Option<String>,
    pub oom_killed: bool,
    /// How often its restart policy has restarted it since it was last started by hand.
    pub restart_count: i64,
}

/// Inspect a container.
pub async fn inspect(docker: &Docker, id: &str) -> Result<ContainerInspectResponse> {
    docker
        .inspect_container(id, None)
        .await
        .map_err(|e| engine_error(format!("cannot inspect container {id}"), &e))
}

/// The state of container `id` (`Ok(None)` when it no longer exists).
pub async fn status(docker: &Docker, id: &str) -> Result<Option<Status>> {
    let response = match docker.inspect_container(id, None).await {
        Ok(r) => r,
        Err(e) if is_not_found(&e) => return Ok(None),
        Err(e) => return Err(engine_error(format!("cannot inspect container {id}"), &e)),
    };
    let restart_count = response.restart_count.unwrap_or(0);
    let state = response.state.unwrap_or_default();
    let status = match state.status {
        Some(ContainerStateStatusEnum::CREATED) => State::Created,
        Some(ContainerStateStatusEnum::RUNNING) => State::Running,
        Some(ContainerStateStatusEnum::PAUSED) => State::Paused,
        Some(ContainerStateStatusEnum::RESTARTING) => State::Restarting,
        Some(ContainerStateStatusEnum::REMOVING) => State::Removing,
        Some(ContainerStateStatusEnum::EXITED) => State::Exited,
        Some(ContainerStateStatusEnum::DEAD) => State::Dead,
        _ => State::Unknown,
    };
    let health = state.health.and_then(|h| match h.status {
        Some(HealthStatusEnum::STARTING) => Some(Health::Starting),
        Some(HealthStatusEnum::HEALTHY) => Some(Health::Healthy),
        Some(HealthStatusEnum::UNHEALTHY) => Some(Health::Unhealthy),
        _ => None,
    });
    let has_started = !matches!(status, State::Created | State::Unknown);
    Ok(Some(Status {
        state: status,
        exit_code: if has_started { state.exit_code } else { None },
        health,
        error: state.error.filter(|e| !e.is_empty()),
        oom_killed: state.oom_killed.unwrap_or(false),
        restart_count,
    }))
}

/// Start a container; already running is fine.
pub async fn start(docker: &Docker, id: &str, name: &str) -> Result<()> {
    match docker.start_container(id, None).await {
        Ok(()) => Ok(()),
        Err(e) if is_not_modified(&e) => Ok(()),
        Err(e) => {
            let message = message_of(&e);
            // Another `up` of the same project may have created a second network of the same
            // name a moment ago (the engine allows it) and not yet removed it again; the
            // engine then refuses to start on either. Both agree the oldest one stays: drop
            // the younger ones and try once more.
            let Some(network) = ambiguous_network(&message) else {
                return Err(start_error(name, &message));
            };
            super::resources::remove_younger_duplicates(docker, network).await;
            match docker.start_container(id, None).await {
                Ok(()) => Ok(()),
                Err(e) if is_not_modified(&e) => Ok(()),
                Err(e) => Err(start_error(name, &message_of(&e))),
            }
        }
    }
}

/// The network named in an engine message "network X is ambiguous (2 matches found on name)".
fn ambiguous_network(message: &str) -> Option<&str> {
    let rest = message.split("network ").nth(1)?;
    let (name, _) = rest.split_once(" is ambiguous")?;
    Some(name)
}

/// Whether an engine message says a host port is taken (the engine gives no code for it: its
/// message is all there is; [`start_error`] turns it into [`ErrorKind::PortConflict`]).
fn is_port_conflict(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    lower.contains("address already in use") || lower.contains("port is already allocated")
}

/// A start failure in one line, with a hint for the failures users meet most.
pub fn start_error(name: &str, message: &str) -> Error {
    let err = Error::new(format!("cannot start container {name}: {message}"));
    let lower = message.to_ascii_lowercase();
    if is_port_conflict(message) {
        err.with_kind(ErrorKind::PortConflict).with_hint(
            "another process or container uses that host port: free it or change `ports:`",
        )
    } else if lower.contains("rlimit") || lower.contains("ulimit") {
        err.with_hint("the kernel refused a `ulimits:` setting (raising memlock needs privileges the daemon may not have): lower or remove it")
    } else {
        err
    }
}

/// Stop a container, giving it `timeout` seconds before SIGKILL (the engine's default when
/// `None`). Already stopped or gone is fine.
pub async fn stop(docker: &Docker, id: &str, name: &str, timeout: Option<i64>) -> Result<()> {
    let mut options = StopContainerOptionsBuilder::default();
    if let Some(t) = timeout {
        options = options.t(i32::try_from(t).unwrap_or(i32::MAX));
    }
    match docker.stop_container(id, Some(options.build())).await {
        Ok(()) => Ok(()),
        Err(e) if is_not_modified(&e) || is_not_found(&e) => Ok(()),
        Err(e) => Err(engine_error(format!("cannot stop container {name}"), &e)),
    }
}

/// Send `signal` (such as `SIGKILL`, `SIGHUP` or `9`) to a running container.
pub async fn kill(docker: &Docker, id: &str, name: &str, signal: &str) -> Result<()> {
    let options = KillContainerOptionsBuilder::default()
        .signal(signal)
        .build();
    docker
        .kill_container(id, Some(options))
        .await
        .map_err(|e| engine_error(format!("cannot kill container {name}"), &e))
}

/// Remove a container (`force` kills it first; `volumes` drops its anonymous volumes).
/// Already gone is fine.
pub async fn remove(
    docker: &Docker,
    id: &str,
    name: &str,
    force: bool,
    volumes: bool,
) -> Result<()> {
    let options = RemoveContainerOptionsBuilder::default()
        .force(force)
        .v(volumes)
        .build();
    match docker.remove_container(id, Some(options)).await {
        Ok(()) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        // "removal already in progress": another remover (a parallel down) got there first.
        Err(e) if message_of(&e).contains("already in progress") => Ok(()),
        Err(e) => Err(engine_error(format!("cannot remove container {name}"), &e)),
    }
}

/// Rename container `id` (now called `from`) to `to`.
pub async fn rename(docker: &Docker, id: &str, from: &str, to: &str) -> Result<()> {
    let options = RenameContainerOptionsBuilder::default().name(to).build();
    docker
        .rename_container(id, options)
        .await
        .map_err(|e| engine_error(format!("cannot rename container {from} to {to}"), &e))
}

/// Pause a running container.
pub async fn pause(docker: &Docker, id: &str, name: &str) -> Result<()> {
    docker
        .pause_container(id)
        .await
        .map_err(|e| engine_error(format!("cannot pause container {name}"), &e))
}

/// Unpause a paused container.
pub async fn unpause(docker: &Docker, id: &str, name: &str) -> Result<()> {
    docker
        .unpause_container(id)
        .await
        .map_err(|e| engine_error(format!("cannot unpause container {name}"), &e))
}

/// The last `lines` lines of a container's output (stdout and stderr), best effort: an empty
/// list when the logs cannot be read (for instance with a logging driver that keeps none).
pub async fn last_log_lines(docker: &Docker, id: &str, lines: usize) -> Vec<String> {
    let options = LogsOptionsBuilder::default()
        .stdout(true)
        .stderr(true)
        .tail(&lines.to_string())
        .build();
    let mut stream = docker.logs(id, Some(options));
    let mut text = String::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(output) => text.push_str(&String::from_utf8_lossy(&output.into_bytes())),
            Err(_) => break,
        }
    }
    text.lines().map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_errors_name_the_container_and_help() {
        let e = start_error(
            "p-web-1",
            "driver failed programming external connectivity: Bind for 0.0.0.0:80 failed: port is already allocated",
        );
        assert!(e.message.starts_with("cannot start container p-web-1: "));
        assert_eq!(e.kind, ErrorKind::PortConflict);
        assert_eq!(
            ambiguous_network("network p_default is ambiguous (2 matches found on name)"),
            Some("p_default")
        );
        assert!(e.hint.is_some());
        let e = start_error(
            "p-es-1",
            "OCI runtime create failed: setrlimit RLIMIT_MEMLOCK: operation not permitted",
        );
        assert!(e.hint.is_some_and(|h| h.contains("ulimits")));
    }
}
