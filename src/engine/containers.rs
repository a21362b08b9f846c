//! Container primitives: create (with its networks and injected files), inspect, start, stop,
//! restart, kill, remove, pause, unpause and the tail of the logs, with errors worded for the
//! user.

use std::collections::HashMap;

use bollard::Docker;
use bollard::models::{
    ContainerInspectResponse, ContainerStateStatusEnum, HealthStatusEnum, NetworkConnectRequest,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, KillContainerOptionsBuilder, LogsOptionsBuilder,
    RemoveContainerOptionsBuilder, RenameContainerOptionsBuilder, RestartContainerOptionsBuilder,
    StopContainerOptionsBuilder, UploadToContainerOptionsBuilder,
};
use futures_util::StreamExt;

use super::archive;
use super::convert::{self, ContainerSpec, InjectedFile, InjectedSource};
use super::errors::{engine_error, is_conflict, is_not_found, is_not_modified, message_of};
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

/// Restart a container, giving it `timeout` seconds to stop before SIGKILL (the engine's
/// default when `None`).
pub async fn restart(docker: &Docker, id: &str, name: &str, timeout: Option<i64>) -> Result<()> {
    let mut options = RestartContainerOptionsBuilder::default();
    if let Some(t) = timeout {
        options = options.t(i32::try_from(t).unwrap_or(i32::MAX));
    }
    docker
        .restart_container(id, Some(options.build()))
        .await
        .map_err(|e| engine_error(format!("cannot restart container {name}"), &e))
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

/// Engine name → ID of the project's networks. Containers refer to networks by ID: the
/// engine allows two networks with one name (see [`super::resources::ensure_network`]).
pub type NetworkIds = HashMap<String, String>;

/// What a create call came to.
pub enum Created {
    New(String),
    /// The name is taken: by a concurrent `up` of the project, or by someone else's container.
    NameTaken,
}

/// Create the container of `spec` for `service` (a one-off container of `run`) and connect it
/// to its other networks; its ID.
pub async fn create_container(
    docker: &Docker,
    service: &str,
    spec: &ContainerSpec,
    network_ids: &NetworkIds,
) -> Result<String> {
    match create_named(docker, service, spec, &spec.name, network_ids).await? {
        Created::New(id) => Ok(id),
        Created::NameTaken => Err(Error::new(format!(
            "service \"{service}\": cannot create container {}: the name is already in use",
            spec.name
        ))
        .with_hint(format!(
            "remove or rename that container (`docker rm -f {}`)",
            spec.name
        ))),
    }
}

/// Create a container from `spec` under `name`, connect it to its other networks and
/// write its injected files; a container that cannot be completed is removed again.
pub async fn create_named(
    docker: &Docker,
    service: &str,
    spec: &ContainerSpec,
    name: &str,
    network_ids: &NetworkIds,
) -> Result<Created> {
    let options = CreateContainerOptionsBuilder::default().name(name).build();
    let mut body = spec.body.clone();
    convert::use_network_ids(&mut body, network_ids);
    let created = match docker.create_container(Some(options), body).await {
        Ok(created) => created,
        Err(e) if is_conflict(&e) => return Ok(Created::NameTaken),
        Err(e) => {
            return Err(engine_error(
                format!("service \"{service}\": cannot create container {name}"),
                &e,
            ));
        }
    };
    for (network, endpoint) in &spec.extra_networks {
        let request = NetworkConnectRequest {
            container: created.id.clone(),
            endpoint_config: Some(endpoint.clone()),
        };
        let target = network_ids.get(network).unwrap_or(network);
        if let Err(e) = docker.connect_network(target, request).await {
            // Half-made containers are not left behind.
            let _ = remove(docker, &created.id, name, true, false).await;
            return Err(engine_error(
                format!(
                    "service \"{service}\": cannot connect container {name} to network {network}"
                ),
                &e,
            ));
        }
    }
    if let Err(e) = inject_files(docker, service, &created.id, name, &spec.files).await {
        let _ = remove(docker, &created.id, name, true, false).await;
        return Err(e);
    }
    Ok(Created::New(created.id))
}

/// Write the secrets and configs that are not bind mounts into a created container.
async fn inject_files(
    docker: &Docker,
    service: &str,
    id: &str,
    name: &str,
    files: &[InjectedFile],
) -> Result<()> {
    if files.is_empty() {
        return Ok(());
    }
    let mut contents: Vec<Vec<u8>> = Vec::new();
    for file in files {
        let content = match &file.source {
            InjectedSource::Content(text) => text.as_bytes().to_vec(),
            InjectedSource::File(path) => read_injected(path).map_err(|e| {
                Error::new(format!(
                    "service \"{service}\": {}: cannot read {path}: {e}",
                    file.what
                ))
            })?,
        };
        contents.push(content);
    }
    let entries: Vec<archive::Entry<'_>> = files
        .iter()
        .zip(&contents)
        .map(|(file, content)| archive::Entry {
            path: &file.target,
            content,
            mode: file.mode,
            uid: file.uid,
            gid: file.gid,
        })
        .collect();
    let tar = archive::tar(&entries)?;
    let options = UploadToContainerOptionsBuilder::default()
        .path("/")
        .copy_uidgid("true")
        .build();
    docker
        .upload_to_container(id, Some(options), bollard::body_full(tar.into()))
        .await
        .map_err(|e| {
            let what: Vec<&str> = files.iter().map(|f| f.what.as_str()).collect();
            engine_error(
                format!(
                    "service \"{service}\": cannot write {} into container {name}",
                    what.join(", ")
                ),
                &e,
            )
        })
}

/// Largest secret or config file written into a container (Swarm's limit is 500 KB).
const MAX_INJECTED_BYTES: u64 = 1024 * 1024;

/// The content of a secret or config file, up to [`MAX_INJECTED_BYTES`].
fn read_injected(path: &str) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut content = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_INJECTED_BYTES + 1)
        .read_to_end(&mut content)?;
    if content.len() as u64 > MAX_INJECTED_BYTES {
        return Err(std::io::Error::other("larger than 1 MiB"));
    }
    Ok(content)
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
