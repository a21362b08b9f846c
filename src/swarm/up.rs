//! `swarm up`: create or update a stack's networks, configs, secrets and services, as
//! `docker stack deploy` does, then wait for its tasks to converge.
//!
//! Existing objects are found by the stack label. A service whose spec is unchanged is left
//! alone (its tasks keep running); a changed one is updated with the engine's current version
//! index, so Swarm rolls its tasks over as `deploy.update_config` says.
//!
//! Over 700 lines: deploying and waiting for convergence share the deployed services and the
//! node view; about 70 lines are tests.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bollard::Docker;
use bollard::models::{ConfigSpec, SecretSpec, ServiceSpec, TaskState};
use bollard::query_parameters::{
    InspectNetworkOptions, ListConfigsOptions, ListNetworksOptions, ListSecretsOptions,
    ListServicesOptions, UpdateConfigOptions, UpdateSecretOptions, UpdateServiceOptions,
};

use super::convert::{FilePlan, FileSource, StackPlan};
use super::diff::differences;
use super::nodes::NodeView;
use super::wait::Wakeups;
use super::{engine_error, is_not_found, not_a_manager};
use crate::engine::{labels, raw};
use crate::error::{Error, Result};
use crate::progress::{Action as Event, Kind, Progress};

/// How `swarm up` behaves beyond the plan.
#[derive(Debug, Clone)]
pub struct UpOptions {
    /// Return once the services are created or updated, without waiting for their tasks.
    pub detach: bool,
    /// Remove services of the stack that the compose file no longer has.
    pub prune: bool,
    /// How long to wait for the tasks to converge.
    pub timeout: Duration,
}

/// What `up` did to one service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Created,
    Updated,
    Unchanged,
}

/// A service `up` watches until its tasks converge.
struct Deployed {
    name: String,
    id: String,
    action: Action,
}

/// Deploy `plan`. `environment` provides the values of configs and secrets taken from
/// environment variables.
pub async fn up(
    docker: &Docker,
    plan: &StackPlan,
    environment: &BTreeMap<String, String>,
    opts: &UpOptions,
    progress: &Progress,
) -> Result<()> {
    let stack = plan.stack.as_str();
    for warning in &plan.warnings {
        let text = Event::Warning(format!("{}: {}", warning.key, warning.message));
        match &warning.service {
            Some(service) => progress.service(service, text),
            None => progress.stack(stack, text),
        }
    }
    let existing_services = docker
        .list_services(Some(ListServicesOptions {
            filters: Some(labels::stack_filter(stack)),
            ..ListServicesOptions::default()
        }))
        .await
        .map_err(not_a_manager)?;

    let nodes = super::nodes::nodes(docker).await?;
    if let Some(down) = super::nodes::down_sentence(&super::nodes::down(&nodes)) {
        progress.stack(
            stack,
            Event::Warning(format!(
                "{down}: the manager reschedules its tasks on other nodes where their \
                 placement allows; tasks placed only there wait for it to come back"
            )),
        );
    }

    let networks = ensure_networks(docker, plan, progress).await?;
    let configs = ensure_configs(docker, plan, environment, progress).await?;
    let secrets = ensure_secrets(docker, plan, environment, progress).await?;

    let mut current: HashMap<String, bollard::models::Service> = existing_services
        .into_iter()
        .filter_map(|s| {
            let name = s.spec.as_ref()?.name.clone()?;
            Some((name, s))
        })
        .collect();
    let mut deployed = Vec::new();
    for service in &plan.services {
        let name = service.name().to_string();
        let mut spec = service.spec.clone();
        resolve_references(&mut spec, &networks, &configs, &secrets);
        let (id, action) = match current.remove(&name) {
            Some(existing) => update_service(docker, &name, spec, existing, progress).await?,
            None => {
                progress.service(&name, Event::Creating);
                let response = docker
                    .create_service(spec, None)
                    .await
                    .map_err(|e| engine_error(format!("cannot create service {name}"), e))?;
                print_engine_warnings(progress, &name, response.warnings.as_deref());
                let id = response.id.ok_or_else(|| {
                    Error::new(format!("the engine created service {name} without an ID"))
                })?;
                progress.service(&name, Event::Created);
                (id, Action::Created)
            }
        };
        deployed.push(Deployed { name, id, action });
    }
    if opts.prune {
        for (name, service) in &current {
            let Some(id) = &service.id else { continue };
            progress.service(name, Event::Removing);
            docker
                .delete_service(id)
                .await
                .map_err(|e| engine_error(format!("cannot remove service {name}"), e))?;
            progress.service(name, Event::Removed);
        }
    }
    if opts.detach {
        return Ok(());
    }
    wait_for_convergence(docker, stack, &deployed, opts.timeout, progress).await
}

/// Swap engine names for IDs in the network, config and secret references of `spec`.
fn resolve_references(
    spec: &mut ServiceSpec,
    networks: &HashMap<String, String>,
    configs: &HashMap<String, String>,
    secrets: &HashMap<String, String>,
) {
    let Some(task) = spec.task_template.as_mut() else {
        return;
    };
    for attachment in task.networks.iter_mut().flatten() {
        if let Some(id) = attachment.target.as_ref().and_then(|n| networks.get(n)) {
            attachment.target = Some(id.clone());
        }
    }
    let Some(container) = task.container_spec.as_mut() else {
        return;
    };
    for config in container.configs.iter_mut().flatten() {
        config.config_id = config
            .config_name
            .as_ref()
            .and_then(|n| configs.get(n))
            .cloned();
    }
    for secret in container.secrets.iter_mut().flatten() {
        secret.secret_id = secret
            .secret_name
            .as_ref()
            .and_then(|n| secrets.get(n))
            .cloned();
    }
}

/// Update `existing` to `spec` if they differ; its ID and what was done.
async fn update_service(
    docker: &Docker,
    name: &str,
    mut spec: ServiceSpec,
    existing: bollard::models::Service,
    progress: &Progress,
) -> Result<(String, Action)> {
    let id = existing
        .id
        .clone()
        .ok_or_else(|| Error::new(format!("the engine lists service {name} without an ID")))?;
    let current_spec = existing.spec.clone().unwrap_or_default();
    // Read back raw: bollard's model drops the engine's `Healthcheck` (see engine::raw).
    let current = raw::get_json(docker, &format!("/services/{id}"))
        .await
        .map_err(|e| engine_error(format!("cannot inspect service {name}"), e))?
        .get("Spec")
        .cloned()
        .unwrap_or_default();
    // `docker service update --force` bumps ForceUpdate; keeping it avoids a needless rollout.
    if let Some(task) = spec.task_template.as_mut() {
        task.force_update = current_spec
            .task_template
            .as_ref()
            .and_then(|t| t.force_update);
    }
    let wanted = serde_json::to_value(&spec)
        .map_err(|e| Error::new(format!("internal error: cannot compare service specs: {e}")))?;
    let changed = differences(&wanted, &current);
    if changed.is_empty() {
        progress.service(name, Event::UpToDate);
        return Ok((id, Action::Unchanged));
    }
    let version = existing
        .version
        .and_then(|v| v.index)
        .and_then(|i| i32::try_from(i).ok())
        .ok_or_else(|| Error::new(format!("the engine lists service {name} without a version")))?;
    progress.service(name, Event::Updating(changed.join(", ")));
    let response = docker
        .update_service(
            &id,
            spec,
            UpdateServiceOptions {
                version,
                registry_auth_from: "spec".to_string(),
                ..UpdateServiceOptions::default()
            },
            None,
        )
        .await
        .map_err(|e| engine_error(format!("cannot update service {name}"), e))?;
    print_engine_warnings(progress, name, response.warnings.as_deref());
    progress.service(name, Event::Updated);
    Ok((id, Action::Updated))
}

fn print_engine_warnings(progress: &Progress, name: &str, warnings: Option<&[String]>) {
    for warning in warnings.unwrap_or_default() {
        progress.service(name, Event::Warning(warning.clone()));
    }
}

/// Find or create the stack's networks; engine name → ID.
async fn ensure_networks(
    docker: &Docker,
    plan: &StackPlan,
    progress: &Progress,
) -> Result<HashMap<String, String>> {
    let listed = docker
        .list_networks(Some(ListNetworksOptions {
            filters: Some(labels::stack_filter(&plan.stack)),
        }))
        .await
        .map_err(|e| engine_error("cannot list networks", e))?;
    let existing: HashMap<String, String> = listed
        .into_iter()
        .filter_map(|n| Some((n.name?, n.id?)))
        .collect();
    let mut ids = HashMap::new();
    for network in &plan.networks {
        let name = &network.name;
        let id = match &network.create {
            None => {
                let found = docker
                    .inspect_network(name, None::<InspectNetworkOptions>)
                    .await
                    .map_err(|e| {
                        if is_not_found(&e) {
                            Error::new(format!(
                                "network {name:?} is declared as external, but could not be found"
                            ))
                            .with_hint(format!(
                                "create it with `docker network create --driver overlay \
                                 --attachable {name}` or drop external: true"
                            ))
                        } else {
                            engine_error(format!("cannot inspect network {name}"), e)
                        }
                    })?;
                let scope = found.scope.as_deref().unwrap_or("");
                if scope != "swarm" {
                    return Err(Error::new(format!(
                        "network {name:?} is declared as external, but its scope is {scope:?}, \
                         not \"swarm\""
                    ))
                    .with_hint("swarm services can only join swarm-scoped (overlay) networks"));
                }
                found.id.unwrap_or_else(|| name.clone())
            }
            Some(request) => match existing.get(name) {
                Some(id) => id.clone(),
                None => {
                    progress.network(name, Event::Creating);
                    let created = docker.create_network(request.clone()).await.map_err(|e| {
                        engine_error(format!("cannot create network {name}"), e).with_hint(
                            "a network of that name may exist outside the stack; remove it or \
                             set a different name",
                        )
                    })?;
                    progress.network(name, Event::Created);
                    created.id
                }
            },
        };
        ids.insert(name.clone(), id);
    }
    Ok(ids)
}

/// The content of a config or secret, base64-encoded as the API wants it.
fn file_data(
    plan: &FilePlan,
    kind: &str,
    environment: &BTreeMap<String, String>,
) -> Result<String> {
    let bytes = match &plan.source {
        FileSource::External => return Ok(String::new()),
        FileSource::File(path) => std::fs::read(path).map_err(|e| {
            Error::new(format!(
                "cannot read {kind} {:?} from {}: {e}",
                plan.key,
                path.display()
            ))
        })?,
        FileSource::Content(text) => text.clone().into_bytes(),
        FileSource::Environment(var) => environment
            .get(var)
            .ok_or_else(|| {
                Error::new(format!(
                    "{kind} {:?} comes from the environment variable {var}, which is not set",
                    plan.key
                ))
                .with_hint(format!("set {var} in the environment or in the .env file"))
            })?
            .clone()
            .into_bytes(),
    };
    Ok(BASE64.encode(bytes))
}

fn immutable(kind: &str, plan: &FilePlan) -> Error {
    Error::new(format!(
        "{kind} {:?} ({}) changed, but swarm {kind}s cannot be changed in place",
        plan.key, plan.name
    ))
    .with_hint(format!(
        "give the new content a new name ({kind}s.{}.name), or remove the stack first with \
         `rcompose swarm down`",
        plan.key
    ))
}

/// Find or create the stack's configs; engine name → ID.
async fn ensure_configs(
    docker: &Docker,
    plan: &StackPlan,
    environment: &BTreeMap<String, String>,
    progress: &Progress,
) -> Result<HashMap<String, String>> {
    let mut ids = HashMap::new();
    if plan.configs.is_empty() {
        return Ok(ids);
    }
    let listed = docker
        .list_configs(Some(ListConfigsOptions {
            filters: Some(labels::stack_filter(&plan.stack)),
        }))
        .await
        .map_err(not_a_manager)?;
    let existing: HashMap<String, bollard::models::Config> = listed
        .into_iter()
        .filter_map(|c| Some((c.spec.as_ref()?.name.clone()?, c)))
        .collect();
    for config in &plan.configs {
        let name = &config.name;
        if config.source == FileSource::External {
            let found = docker
                .list_configs(Some(ListConfigsOptions {
                    filters: Some(HashMap::from([("name".to_string(), vec![name.clone()])])),
                }))
                .await
                .map_err(not_a_manager)?;
            let id = found
                .into_iter()
                .find(|c| c.spec.as_ref().and_then(|s| s.name.as_ref()) == Some(name))
                .and_then(|c| c.id)
                .ok_or_else(|| {
                    Error::new(format!(
                        "config {name:?} is declared as external, but could not be found"
                    ))
                    .with_hint(format!("create it with `docker config create {name} FILE`"))
                })?;
            ids.insert(name.clone(), id);
            continue;
        }
        let spec = ConfigSpec {
            name: Some(name.clone()),
            labels: Some(config.labels.clone()),
            data: Some(file_data(config, "config", environment)?),
            templating: config.templating.clone(),
        };
        let id = match existing.get(name) {
            Some(found) => {
                let id = found.id.clone().unwrap_or_default();
                if found.spec.as_ref() != Some(&spec) {
                    let version = found.version.as_ref().and_then(|v| v.index).unwrap_or(0);
                    docker
                        .update_config(
                            &id,
                            spec,
                            UpdateConfigOptions {
                                version: i64::try_from(version).unwrap_or(i64::MAX),
                            },
                        )
                        .await
                        .map_err(|e| match &e {
                            bollard::errors::Error::DockerResponseServerError {
                                message, ..
                            } if message.contains("only updates to Labels") => {
                                immutable("config", config)
                            }
                            _ => engine_error(format!("cannot update config {name}"), e),
                        })?;
                }
                id
            }
            None => {
                progress.emit(Kind::Config, name, Event::Creating);
                let id = docker
                    .create_config(spec)
                    .await
                    .map_err(|e| engine_error(format!("cannot create config {name}"), e))?
                    .id;
                progress.emit(Kind::Config, name, Event::Created);
                id
            }
        };
        ids.insert(name.clone(), id);
    }
    Ok(ids)
}

/// Find or create the stack's secrets; engine name → ID.
async fn ensure_secrets(
    docker: &Docker,
    plan: &StackPlan,
    environment: &BTreeMap<String, String>,
    progress: &Progress,
) -> Result<HashMap<String, String>> {
    let mut ids = HashMap::new();
    if plan.secrets.is_empty() {
        return Ok(ids);
    }
    let listed = docker
        .list_secrets(Some(ListSecretsOptions {
            filters: Some(labels::stack_filter(&plan.stack)),
        }))
        .await
        .map_err(not_a_manager)?;
    let existing: HashMap<String, bollard::models::Secret> = listed
        .into_iter()
        .filter_map(|s| Some((s.spec.as_ref()?.name.clone()?, s)))
        .collect();
    for secret in &plan.secrets {
        let name = &secret.name;
        if secret.source == FileSource::External {
            let found = docker
                .list_secrets(Some(ListSecretsOptions {
                    filters: Some(HashMap::from([("name".to_string(), vec![name.clone()])])),
                }))
                .await
                .map_err(not_a_manager)?;
            let id = found
                .into_iter()
                .find(|s| s.spec.as_ref().and_then(|s| s.name.as_ref()) == Some(name))
                .and_then(|s| s.id)
                .ok_or_else(|| {
                    Error::new(format!(
                        "secret {name:?} is declared as external, but could not be found"
                    ))
                    .with_hint(format!("create it with `docker secret create {name} FILE`"))
                })?;
            ids.insert(name.clone(), id);
            continue;
        }
        let spec = SecretSpec {
            name: Some(name.clone()),
            labels: Some(secret.labels.clone()),
            data: Some(file_data(secret, "secret", environment)?),
            driver: secret.driver.clone(),
            templating: secret.templating.clone(),
        };
        let id = match existing.get(name) {
            Some(found) => {
                // The engine never shows a secret's data; an update with the same data and
                // labels changes nothing, and one with other data is refused.
                let id = found.id.clone().unwrap_or_default();
                let version = found.version.as_ref().and_then(|v| v.index).unwrap_or(0);
                docker
                    .update_secret(
                        &id,
                        spec,
                        UpdateSecretOptions {
                            version: i64::try_from(version).unwrap_or(i64::MAX),
                        },
                    )
                    .await
                    .map_err(|e| match &e {
                        bollard::errors::Error::DockerResponseServerError { message, .. }
                            if message.contains("only updates to Labels") =>
                        {
                            immutable("secret", secret)
                        }
                        _ => engine_error(format!("cannot update secret {name}"), e),
                    })?;
                id
            }
            None => {
                progress.emit(Kind::Secret, name, Event::Creating);
                let id = docker
                    .create_secret(spec)
                    .await
                    .map_err(|e| engine_error(format!("cannot create secret {name}"), e))?
                    .id;
                progress.emit(Kind::Secret, name, Event::Created);
                id
            }
        };
        ids.insert(name.clone(), id);
    }
    Ok(ids)
}

/// How far one service has converged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Convergence {
    /// `running` of `desired` tasks run the current spec; `note` says what holds it up.
    Converging {
        running: u64,
        desired: u64,
        note: Option<String>,
    },
    Converged {
        running: u64,
    },
    /// The update was paused or rolled back.
    Failed(String),
}

impl Convergence {
    /// The progress event that shows this state.
    fn event(&self) -> Event {
        match self {
            Convergence::Converging { .. } => Event::Converging(self.line()),
            Convergence::Converged { .. } => Event::Converged(self.line()),
            Convergence::Failed(_) => Event::Error(self.line()),
        }
    }

    fn line(&self) -> String {
        match self {
            Convergence::Converging {
                running,
                desired,
                note: Some(note),
            } => format!("{running}/{desired} running ({note})"),
            Convergence::Converging {
                running, desired, ..
            } => format!("{running}/{desired} running"),
            Convergence::Converged { running } => format!("converged, {running} running"),
            Convergence::Failed(why) => format!("failed: {why}"),
        }
    }
}

/// A task with its spec as the engine wrote it (see [`raw`]).
pub(crate) struct TaskView {
    pub task: bollard::models::Task,
    pub spec: serde_json::Value,
}

/// How far `service` has converged, judging by `tasks` (the tasks of the stack) on `nodes`.
/// `template` is the service's task template as the engine wrote it. A task on a node that is
/// down does not count as running, whatever it last reported.
pub(crate) fn convergence(
    service: &bollard::models::Service,
    template: &serde_json::Value,
    tasks: &[TaskView],
    nodes: &HashMap<String, NodeView>,
    check_update: bool,
) -> Convergence {
    let spec = service.spec.clone().unwrap_or_default();
    let mode = spec.mode.clone().unwrap_or_default();
    let status = service.service_status.clone().unwrap_or_default();
    if check_update && let Some(update) = &service.update_status {
        use bollard::models::ServiceUpdateStatusStateEnum as S;
        let message = update.message.clone().unwrap_or_default();
        match update.state {
            Some(S::PAUSED) => return Convergence::Failed(format!("update paused: {message}")),
            Some(S::ROLLBACK_STARTED | S::ROLLBACK_PAUSED | S::ROLLBACK_COMPLETED) => {
                return Convergence::Failed(format!("update rolled back: {message}"));
            }
            _ => {}
        }
    }
    let own: Vec<&TaskView> = tasks
        .iter()
        .filter(|t| t.task.service_id.is_some() && t.task.service_id == service.id)
        .collect();
    // What holds the service up: the newest task's error, if it has one.
    let note = own
        .iter()
        .max_by_key(|t| {
            t.task
                .status
                .as_ref()
                .and_then(|s| s.timestamp.as_deref())
                .and_then(crate::time::unix_nanos)
                .unwrap_or(0)
        })
        .and_then(|t| t.task.status.as_ref())
        .and_then(|s| s.err.clone())
        .filter(|e| !e.is_empty());

    if mode.replicated_job.is_some() || mode.global_job.is_some() {
        let completed = status.completed_tasks.unwrap_or(0);
        let desired = match &mode.replicated_job {
            Some(job) => job
                .total_completions
                .and_then(|n| u64::try_from(n).ok())
                .unwrap_or(1),
            None => status.desired_tasks.unwrap_or(0).max(completed),
        };
        return if desired > 0 && completed >= desired {
            Convergence::Converged { running: completed }
        } else {
            Convergence::Converging {
                running: completed,
                desired,
                note,
            }
        };
    }
    let desired = match mode.replicated.as_ref().and_then(|r| r.replicas) {
        Some(replicas) => u64::try_from(replicas).unwrap_or(0),
        None => status.desired_tasks.unwrap_or(0),
    };
    let wanted: Vec<&TaskView> = own
        .into_iter()
        .filter(|t| t.task.desired_state == Some(TaskState::RUNNING))
        .collect();
    let is_current = |t: &TaskView| same_task_spec(&t.spec, template);
    let down_node = |t: &TaskView| {
        t.task
            .node_id
            .as_ref()
            .and_then(|id| nodes.get(id))
            .filter(|node| node.down)
    };
    let running = wanted
        .iter()
        .filter(|t| is_current(t) && down_node(t).is_none())
        .filter(|t| t.task.status.as_ref().and_then(|s| s.state) == Some(TaskState::RUNNING))
        .count() as u64;
    let note = note.or_else(|| {
        let node = wanted.iter().find_map(|t| down_node(t))?;
        Some(format!("a task is on {}, which is down", node.hostname))
    });
    let all_current = wanted.iter().all(|t| is_current(t));
    if running == desired && wanted.len() as u64 == desired && all_current {
        Convergence::Converged { running }
    } else {
        Convergence::Converging {
            running,
            desired,
            note,
        }
    }
}

/// Whether a task runs `template`. Not plain equality: the engine shows a service's template
/// with defaults (`Runtime`, `RestartPolicy`) that the task's copy lacks.
fn same_task_spec(task: &serde_json::Value, template: &serde_json::Value) -> bool {
    let wrap = |spec: &serde_json::Value| serde_json::json!({ "TaskTemplate": spec });
    differences(&wrap(task), &wrap(template)).is_empty()
}

async fn wait_for_convergence(
    docker: &Docker,
    stack: &str,
    deployed: &[Deployed],
    timeout: Duration,
    progress: &Progress,
) -> Result<()> {
    if deployed.is_empty() {
        return Ok(());
    }
    // The last line shown per service: a state is reported when it changes.
    let mut shown = vec![String::new(); deployed.len()];
    let mut wakeups = Wakeups::new(docker, stack, timeout);
    loop {
        let (states, down) = match check(docker, deployed).await {
            Ok(checked) => checked,
            Err(e) => break Err(e),
        };
        for ((state, service), last) in states.iter().zip(deployed).zip(&mut shown) {
            let line = state.line();
            if *last != line {
                progress.service(&service.name, state.event());
                *last = line;
            }
        }
        let failed = states
            .iter()
            .zip(deployed)
            .find_map(|(state, service)| match state {
                Convergence::Failed(why) => Some((why, &service.name)),
                _ => None,
            });
        if let Some((why, name)) = failed {
            break Err(
                Error::new(format!("service {name}: {why}")).with_hint(format!(
                    "see `rcompose swarm ps` or `docker service ps {name}`"
                )),
            );
        }
        if states
            .iter()
            .all(|s| matches!(s, Convergence::Converged { .. }))
        {
            break Ok(());
        }
        if !wakeups.next().await {
            let pending: Vec<String> = states
                .iter()
                .zip(deployed)
                .filter(|(s, _)| !matches!(s, Convergence::Converged { .. }))
                .map(|(s, d)| format!("{} {}", d.name, s.line()))
                .collect();
            let hint = "swarm keeps trying in the background; see `rcompose swarm ps`, or wait \
                        longer with --timeout";
            let hint = match super::nodes::down_sentence(&down) {
                Some(down) => {
                    format!("{down}: tasks placed only there wait for it to come back; {hint}")
                }
                None => hint.to_string(),
            };
            break Err(Error::new(format!(
                "the stack did not converge within {} s: {}",
                timeout.as_secs(),
                pending.join("; ")
            ))
            .with_hint(hint));
        }
    }
}

/// How far each deployed service has converged, and the hostnames of the nodes that are down.
async fn check(docker: &Docker, deployed: &[Deployed]) -> Result<(Vec<Convergence>, Vec<String>)> {
    let nodes = super::nodes::nodes(docker).await?;
    let ids: Vec<String> = deployed.iter().map(|d| d.id.clone()).collect();
    let filters = HashMap::from([("id".to_string(), ids.clone())]);
    // Raw, so that specs keep their health checks (see engine::raw).
    let services = raw::get_json(
        docker,
        &format!("/services?{}&status=true", raw::filters_query(&filters)),
    )
    .await
    .map_err(|e| engine_error("cannot list services", e))?;
    let filters = HashMap::from([("service".to_string(), ids)]);
    let tasks = raw::get_json(docker, &format!("/tasks?{}", raw::filters_query(&filters)))
        .await
        .map_err(|e| engine_error("cannot list tasks", e))?;
    let tasks: Vec<TaskView> = tasks
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|value| {
            Some(TaskView {
                task: serde_json::from_value(value.clone()).ok()?,
                spec: value.get("Spec").cloned().unwrap_or_default(),
            })
        })
        .collect();
    let services = services.as_array().cloned().unwrap_or_default();
    deployed
        .iter()
        .map(|d| {
            let raw_service = services
                .iter()
                .find(|s| s.get("ID").and_then(|v| v.as_str()) == Some(d.id.as_str()))
                .ok_or_else(|| {
                    Error::new(format!("service {} disappeared while deploying", d.name))
                })?;
            let service: bollard::models::Service = serde_json::from_value(raw_service.clone())
                .map_err(|e| {
                    Error::new(format!(
                        "cannot read the engine's answer for {}: {e}",
                        d.name
                    ))
                })?;
            let template = raw_service
                .pointer("/Spec/TaskTemplate")
                .cloned()
                .unwrap_or_default();
            Ok(convergence(
                &service,
                &template,
                &tasks,
                &nodes,
                d.action == Action::Updated,
            ))
        })
        .collect::<Result<Vec<_>>>()
        .map(|states| (states, super::nodes::down(&nodes)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::{
        Service, ServiceSpec, ServiceSpecMode, ServiceSpecModeReplicated, Task, TaskStatus,
    };

    fn service(replicas: i64) -> Service {
        Service {
            id: Some("svc".to_string()),
            spec: Some(ServiceSpec {
                mode: Some(ServiceSpecMode {
                    replicated: Some(ServiceSpecModeReplicated {
                        replicas: Some(replicas),
                    }),
                    ..ServiceSpecMode::default()
                }),
                ..ServiceSpec::default()
            }),
            ..Service::default()
        }
    }

    fn running_task(node: &str) -> TaskView {
        TaskView {
            task: Task {
                service_id: Some("svc".to_string()),
                node_id: Some(node.to_string()),
                desired_state: Some(TaskState::RUNNING),
                status: Some(TaskStatus {
                    state: Some(TaskState::RUNNING),
                    ..TaskStatus::default()
                }),
                ..Task::default()
            },
            spec: serde_json::json!({"ContainerSpec": {"Image": "busybox"}}),
        }
    }

    #[test]
    fn tasks_on_a_down_node_do_not_count_as_running() {
        let template = serde_json::json!({"ContainerSpec": {"Image": "busybox"}});
        let node = |hostname: &str, down| NodeView {
            hostname: hostname.to_string(),
            down,
        };
        let mut nodes = HashMap::from([
            ("n1".to_string(), node("node1", false)),
            ("n3".to_string(), node("node3", false)),
        ]);
        let tasks = [running_task("n1"), running_task("n3")];
        assert_eq!(
            convergence(&service(2), &template, &tasks, &nodes, false),
            Convergence::Converged { running: 2 }
        );
        // The manager has not rescheduled yet: node3's task still looks desired and running.
        nodes.insert("n3".to_string(), node("node3", true));
        assert_eq!(
            convergence(&service(2), &template, &tasks, &nodes, false),
            Convergence::Converging {
                running: 1,
                desired: 2,
                note: Some("a task is on node3, which is down".to_string()),
            }
        );
    }
}
