//! What the engine reports about a project: its containers, read with one list call filtered by
//! the project label and parsed into [`ObservedContainer`]s, and the compose projects present on
//! the engine (for `ls`, and for finding the project when no compose file is at hand).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use bollard::Docker;
use bollard::models::{ContainerSummary, ContainerSummaryStateEnum, PortSummaryTypeEnum};
use bollard::query_parameters::ListContainersOptionsBuilder;

use super::errors::engine_error;
use super::labels;
use crate::error::{Error, Result};

/// The life-cycle state of a container, as the engine names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum State {
    Created,
    Running,
    Paused,
    Restarting,
    Removing,
    Exited,
    Dead,
    Unknown,
}

impl State {
    /// The engine's word for the state (`running`, `exited`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            State::Created => "created",
            State::Running => "running",
            State::Paused => "paused",
            State::Restarting => "restarting",
            State::Removing => "removing",
            State::Exited => "exited",
            State::Dead => "dead",
            State::Unknown => "unknown",
        }
    }

    /// Parse the engine's word; anything unexpected is [`State::Unknown`].
    pub fn parse(word: &str) -> State {
        match word {
            "created" => State::Created,
            "running" => State::Running,
            "paused" => State::Paused,
            "restarting" => State::Restarting,
            "removing" => State::Removing,
            "exited" => State::Exited,
            "dead" => State::Dead,
            _ => State::Unknown,
        }
    }

    /// Running, paused or restarting: the container has a live process (or is about to).
    pub fn is_up(self) -> bool {
        matches!(self, State::Running | State::Paused | State::Restarting)
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Health of a container with a healthcheck.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    Starting,
    Healthy,
    Unhealthy,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Starting => "starting",
            Health::Healthy => "healthy",
            Health::Unhealthy => "unhealthy",
        }
    }
}

/// A port as the engine publishes it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PublishedPort {
    /// Host address (`0.0.0.0`, `::`), if published.
    pub host_ip: Option<String>,
    pub host_port: Option<u16>,
    pub container_port: u16,
    /// `tcp`, `udp` or `sctp`.
    pub protocol: String,
}

impl std::fmt::Display for PublishedPort {
    /// `0.0.0.0:8080->80/tcp`, or `80/tcp` when not published — as `docker ps` shows them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.host_port, &self.host_ip) {
            (Some(port), Some(ip)) if ip.contains(':') => write!(f, "[{ip}]:{port}->")?,
            (Some(port), Some(ip)) => write!(f, "{ip}:{port}->")?,
            (Some(port), None) => write!(f, "{port}->")?,
            (None, _) => {}
        }
        write!(f, "{}/{}", self.container_port, self.protocol)
    }
}

/// One container of a compose project, as the engine lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedContainer {
    pub id: String,
    /// Container name without the leading `/`.
    pub name: String,
    pub project: String,
    pub service: String,
    /// Replica number (`container-number` label); 0 when the label is missing.
    pub number: u32,
    /// Made by `run` rather than by `up`.
    pub oneoff: bool,
    pub config_hash: Option<String>,
    pub state: State,
    /// Health, for containers with a healthcheck that are running.
    pub health: Option<Health>,
    /// Exit code of an exited container (parsed from the engine's status text).
    pub exit_code: Option<i64>,
    /// The engine's status text (`Up 3 minutes (healthy)`, `Exited (0) 2 seconds ago`).
    pub status: String,
    /// Image as the container was created with (name or ID).
    pub image: String,
    pub image_id: String,
    /// The command line, as `docker ps` shows it.
    pub command: String,
    /// Creation time, Unix seconds.
    pub created: i64,
    pub ports: Vec<PublishedPort>,
    pub labels: HashMap<String, String>,
    /// Names of the networks the container is attached to, sorted.
    pub networks: Vec<String>,
    /// Its mounts: the volume name, or the source path of a bind mount.
    pub mounts: Vec<String>,
    /// How many of its mounts are volumes of the `local` driver.
    pub local_volumes: usize,
}

impl ObservedContainer {
    /// Parse a container summary; `None` for containers without the compose project and
    /// service labels (they are not compose containers).
    pub fn from_summary(summary: ContainerSummary) -> Option<ObservedContainer> {
        let labels = summary.labels.unwrap_or_default();
        // A `pre_start` hook's container belongs to no service's set of containers.
        if labels.contains_key(labels::HOOK) {
            return None;
        }
        let project = labels.get(labels::PROJECT)?.clone();
        let service = labels.get(labels::SERVICE)?.clone();
        let number = labels
            .get(labels::CONTAINER_NUMBER)
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let oneoff = labels
            .get(labels::ONEOFF)
            .is_some_and(|v| v.eq_ignore_ascii_case(labels::ONEOFF_TRUE));
        let config_hash = labels.get(labels::CONFIG_HASH).cloned();
        let name = summary
            .names
            .unwrap_or_default()
            .into_iter()
            .map(|n| n.trim_start_matches('/').to_string())
            // Links add names like `other/alias`; the container's own name has no slash.
            .find(|n| !n.contains('/'))
            .unwrap_or_default();
        let status = summary.status.unwrap_or_default();
        let state = match summary.state {
            Some(s) => state_of_summary(s),
            None => State::Unknown,
        };
        let mut ports: Vec<PublishedPort> = summary
            .ports
            .unwrap_or_default()
            .into_iter()
            .map(|p| PublishedPort {
                host_ip: p.ip.filter(|ip| !ip.is_empty()),
                host_port: p.public_port.filter(|&port| port != 0),
                container_port: p.private_port,
                protocol: match p.typ {
                    Some(PortSummaryTypeEnum::UDP) => "udp",
                    Some(PortSummaryTypeEnum::SCTP) => "sctp",
                    _ => "tcp",
                }
                .to_string(),
            })
            .collect();
        ports.sort();
        ports.dedup();
        let mut networks: Vec<String> = summary
            .network_settings
            .and_then(|n| n.networks)
            .map(|n| n.into_keys().collect())
            .unwrap_or_default();
        networks.sort();
        let mount_points = summary.mounts.unwrap_or_default();
        let local_volumes = mount_points
            .iter()
            .filter(|m| m.driver.as_deref() == Some("local"))
            .count();
        let mounts = mount_points
            .into_iter()
            .filter_map(|m| m.name.filter(|n| !n.is_empty()).or(m.source))
            .collect();
        Some(ObservedContainer {
            id: summary.id.unwrap_or_default(),
            name,
            project,
            service,
            number,
            oneoff,
            config_hash,
            state,
            health: health_of_status(&status),
            exit_code: exit_code_of_status(&status),
            status,
            image: summary.image.unwrap_or_default(),
            image_id: summary.image_id.unwrap_or_default(),
            command: summary.command.unwrap_or_default(),
            created: summary.created.unwrap_or_default(),
            ports,
            labels,
            networks,
            mounts,
            local_volumes,
        })
    }

    /// The value of label `key`, if set.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key).map(String::as_str)
    }

    /// `running`, `running (healthy)`, `exited (3)` — the state as `docker compose ps` shows it.
    pub fn state_text(&self) -> String {
        match (self.state, self.health, self.exit_code) {
            (State::Running, Some(h), _) => format!("running ({})", h.as_str()),
            (State::Exited, _, Some(code)) => format!("exited ({code})"),
            (state, _, _) => state.as_str().to_string(),
        }
    }
}

fn state_of_summary(state: ContainerSummaryStateEnum) -> State {
    match state {
        ContainerSummaryStateEnum::CREATED => State::Created,
        ContainerSummaryStateEnum::RUNNING => State::Running,
        ContainerSummaryStateEnum::PAUSED => State::Paused,
        ContainerSummaryStateEnum::RESTARTING => State::Restarting,
        ContainerSummaryStateEnum::REMOVING => State::Removing,
        ContainerSummaryStateEnum::EXITED => State::Exited,
        ContainerSummaryStateEnum::DEAD => State::Dead,
        _ => State::Unknown,
    }
}

/// Health from the status text: `Up 3 s (healthy)`, `(health: starting)`, `(unhealthy)`.
/// The list answer of API 1.41 has no health field, so the text is the only source.
pub fn health_of_status(status: &str) -> Option<Health> {
    if !status.starts_with("Up") {
        return None;
    }
    if status.contains("(health: starting)") {
        Some(Health::Starting)
    } else if status.contains("(unhealthy)") {
        Some(Health::Unhealthy)
    } else if status.contains("(healthy)") {
        Some(Health::Healthy)
    } else {
        None
    }
}

/// Exit code from the status text `Exited (3) 2 seconds ago`.
pub fn exit_code_of_status(status: &str) -> Option<i64> {
    let rest = status.strip_prefix("Exited (")?;
    let end = rest.find(')')?;
    rest[..end].parse().ok()
}

/// Every container of `project` (stopped ones too), sorted by service and replica number.
/// One-off (`run`) containers are included; see [`ObservedContainer::oneoff`].
pub async fn project_containers(docker: &Docker, project: &str) -> Result<Vec<ObservedContainer>> {
    let filters = labels::project_filter(project);
    let mut containers = list(docker, &filters).await?;
    containers.retain(|c| c.project == project);
    Ok(containers)
}

/// The containers of the services `service` links to, as [`super::convert::container_spec`]
/// takes them; no engine call when it links to none.
pub async fn linked_containers(
    docker: &Docker,
    project: &str,
    service: &crate::project::model::Service,
) -> Result<super::convert::Linked> {
    let mut linked = super::convert::Linked::new();
    if service.links.is_empty() {
        return Ok(linked);
    }
    let targets: Vec<&str> = service
        .links
        .iter()
        .map(|l| l.split_once(':').map_or(l.as_str(), |(target, _)| target))
        .collect();
    for c in project_containers(docker, project).await? {
        if !c.oneoff && targets.contains(&c.service.as_str()) {
            linked.entry(c.service.clone()).or_default().push(c.name);
        }
    }
    Ok(linked)
}

/// Append ` (out of memory)` to the status text of the containers that exited because the
/// kernel killed them for exceeding their memory limit. The list answer does not tell; this
/// inspects each container that exited with a non-zero code.
pub async fn note_out_of_memory(docker: &Docker, containers: &mut [ObservedContainer]) {
    for c in containers
        .iter_mut()
        .filter(|c| matches!(c.state, State::Exited | State::Dead) && c.exit_code != Some(0))
    {
        if let Ok(Some(status)) = super::containers::status(docker, &c.id).await
            && status.oom_killed
        {
            c.status.push_str(" (out of memory)");
        }
    }
}

async fn list(
    docker: &Docker,
    filters: &HashMap<String, Vec<String>>,
) -> Result<Vec<ObservedContainer>> {
    let options = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(filters)
        .build();
    let summaries = docker
        .list_containers(Some(options))
        .await
        .map_err(|e| engine_error("cannot list containers", &e))?;
    let mut containers: Vec<ObservedContainer> = summaries
        .into_iter()
        .filter_map(ObservedContainer::from_summary)
        .collect();
    containers.sort_by(|a, b| {
        (&a.service, a.oneoff, a.number, &a.name).cmp(&(&b.service, b.oneoff, b.number, &b.name))
    });
    Ok(containers)
}

/// A compose project found on the engine through its containers' labels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedProject {
    pub name: String,
    pub working_dir: Option<PathBuf>,
    /// The compose files the project was started from (label `project.config_files`).
    pub config_files: Vec<PathBuf>,
    /// Container counts per state.
    pub states: BTreeMap<State, usize>,
}

impl ObservedProject {
    /// `running(2), exited(1)` as `docker compose ls` shows it.
    pub fn status_text(&self) -> String {
        let parts: Vec<String> = self
            .states
            .iter()
            .map(|(state, n)| format!("{state}({n})"))
            .collect();
        parts.join(", ")
    }
}

/// Every compose project with containers on the engine, by name.
pub async fn projects(docker: &Docker) -> Result<Vec<ObservedProject>> {
    let filters = HashMap::from([("label".to_string(), vec![labels::PROJECT.to_string()])]);
    let containers = list(docker, &filters).await?;
    Ok(group_projects(&containers))
}

/// Group containers into projects (pure; see [`projects`]).
pub fn group_projects(containers: &[ObservedContainer]) -> Vec<ObservedProject> {
    let mut by_name: BTreeMap<&str, ObservedProject> = BTreeMap::new();
    for c in containers {
        let entry = by_name
            .entry(c.project.as_str())
            .or_insert_with(|| ObservedProject {
                name: c.project.clone(),
                working_dir: None,
                config_files: Vec::new(),
                states: BTreeMap::new(),
            });
        if entry.working_dir.is_none() {
            entry.working_dir = c.label(labels::WORKING_DIR).map(PathBuf::from);
        }
        if let Some(files) = c.label(labels::CONFIG_FILES) {
            for file in files.split(',').filter(|f| !f.is_empty()) {
                let file = PathBuf::from(file);
                if !entry.config_files.contains(&file) {
                    entry.config_files.push(file);
                }
            }
        }
        *entry.states.entry(c.state).or_default() += 1;
    }
    by_name.into_values().collect()
}

/// The project whose compose files lie under `dir` (used when no compose file is found).
/// `Ok(None)` when there is none; an error listing them when several match.
pub fn project_for_dir(projects: &[ObservedProject], dir: &Path) -> Result<Option<String>> {
    let matching: Vec<&ObservedProject> = projects
        .iter()
        .filter(|p| {
            p.config_files.iter().any(|f| f.starts_with(dir))
                || (p.config_files.is_empty()
                    && p.working_dir.as_deref().is_some_and(|w| w.starts_with(dir)))
        })
        .collect();
    match matching.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one.name.clone())),
        several => {
            let names: Vec<String> = several
                .iter()
                .map(|p| {
                    let files: Vec<String> = p
                        .config_files
                        .iter()
                        .map(|f| f.display().to_string())
                        .collect();
                    format!("{} ({})", p.name, files.join(", "))
                })
                .collect();
            Err(Error::new(format!(
                "no compose file here, and several projects on the engine were started from files under {}: {}",
                dir.display(),
                names.join("; ")
            ))
            .with_hint("choose one with -p NAME"))
        }
    }
}

/// The ID of the container a `service:NAME` reference to `service` resolves to, as docker
/// compose resolves it: the service's container (not a one-off) whose name sorts first.
pub fn first_container_id(containers: &[ObservedContainer], service: &str) -> Option<String> {
    containers
        .iter()
        .filter(|c| c.service == service && !c.oneoff)
        .min_by(|a, b| a.name.cmp(&b.name))
        .map(|c| c.id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::PortSummary;

    fn summary(project: &str, service: &str, number: &str, status: &str) -> ContainerSummary {
        let labels = HashMap::from([
            (labels::PROJECT.to_string(), project.to_string()),
            (labels::SERVICE.to_string(), service.to_string()),
            (labels::CONTAINER_NUMBER.to_string(), number.to_string()),
            (labels::ONEOFF.to_string(), "False".to_string()),
            (
                labels::CONFIG_FILES.to_string(),
                format!("/src/{project}/compose.yml"),
            ),
        ]);
        ContainerSummary {
            id: Some(format!("id-{service}-{number}")),
            names: Some(vec![format!("/{project}-{service}-{number}")]),
            labels: Some(labels),
            status: Some(status.to_string()),
            state: Some(if status.starts_with("Up") {
                ContainerSummaryStateEnum::RUNNING
            } else {
                ContainerSummaryStateEnum::EXITED
            }),
            ..Default::default()
        }
    }

    #[test]
    fn summaries_become_observed_containers() {
        let mut s = summary("app", "web", "2", "Up 3 seconds (healthy)");
        s.ports = Some(vec![
            PortSummary {
                ip: Some("0.0.0.0".into()),
                private_port: 80,
                public_port: Some(8080),
                typ: Some(PortSummaryTypeEnum::TCP),
            },
            PortSummary {
                ip: None,
                private_port: 53,
                public_port: None,
                typ: Some(PortSummaryTypeEnum::UDP),
            },
        ]);
        let c = ObservedContainer::from_summary(s).expect("a compose container");
        assert_eq!(c.name, "app-web-2");
        assert_eq!(c.number, 2);
        assert!(!c.oneoff);
        assert_eq!(c.state, State::Running);
        assert_eq!(c.health, Some(Health::Healthy));
        assert_eq!(c.state_text(), "running (healthy)");
        let ports: Vec<String> = c.ports.iter().map(|p| p.to_string()).collect();
        assert_eq!(ports, ["53/udp", "0.0.0.0:8080->80/tcp"]);
    }

    #[test]
    fn containers_without_compose_labels_are_skipped() {
        let s = ContainerSummary {
            id: Some("x".into()),
            ..Default::default()
        };
        assert_eq!(ObservedContainer::from_summary(s), None);
    }

    #[test]
    fn status_text_gives_health_and_exit_code() {
        assert_eq!(
            health_of_status("Up 2 seconds (health: starting)"),
            Some(Health::Starting)
        );
        assert_eq!(
            health_of_status("Up 2 minutes (unhealthy)"),
            Some(Health::Unhealthy)
        );
        assert_eq!(health_of_status("Up 2 minutes"), None);
        assert_eq!(exit_code_of_status("Exited (3) 2 seconds ago"), Some(3));
        assert_eq!(
            exit_code_of_status("Exited (137) About a minute ago"),
            Some(137)
        );
        assert_eq!(exit_code_of_status("Up 1 second"), None);
    }

    #[test]
    fn projects_are_found_by_their_files() {
        let containers: Vec<ObservedContainer> = [
            summary("one", "web", "1", "Up 1 second"),
            summary("one", "db", "1", "Exited (0) 1 second ago"),
            summary("two", "web", "1", "Up 1 second"),
        ]
        .into_iter()
        .filter_map(ObservedContainer::from_summary)
        .collect();
        let projects = group_projects(&containers);
        assert_eq!(projects.len(), 2);
        assert_eq!(projects[0].status_text(), "running(1), exited(1)");
        assert_eq!(
            project_for_dir(&projects, Path::new("/src/one"))
                .ok()
                .flatten(),
            Some("one".to_string())
        );
        assert_eq!(
            project_for_dir(&projects, Path::new("/elsewhere"))
                .ok()
                .flatten(),
            None
        );
        let err = project_for_dir(&projects, Path::new("/src"))
            .err()
            .map(|e| e.message);
        assert!(err.is_some_and(|m| m.contains("one (") && m.contains("two (")));
    }
}
