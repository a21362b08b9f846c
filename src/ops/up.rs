//! `up`: converge the engine to the project — plan, then networks and volumes, then services
//! wave by wave (parallel within a wave, bounded), each after its dependencies' conditions hold
//! as the engine's events report them.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use bollard::Docker;
use bollard::models::NetworkConnectRequest;
use bollard::query_parameters::{CreateContainerOptionsBuilder, RestartContainerOptionsBuilder};
use futures_util::future::join_all;
use tokio::sync::Semaphore;

use crate::engine::convert::{self, ContainerSpec, ProjectContext};
use crate::engine::events::{Outcome, Subscription};
use crate::engine::resources::{self, Ensured, NetworkSpec, VolumeSpec};
use crate::engine::{containers, errors, observe};
use crate::error::{Error, Result};
use crate::ops::plan::{self, Condition, Dependency, Plan, ServicePlan, Step};
use crate::ops::up_images;
use crate::progress::{Action, Progress};
use crate::project::model::Project;

/// How many log lines of a failed dependency to show.
const FAILED_LOG_LINES: usize = 10;

/// Options of `up` that concern convergence (attaching is the caller's business).
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub plan: plan::Options,
    /// `--scale svc=N`.
    pub scale: BTreeMap<String, u32>,
    /// `--parallel N` / `COMPOSE_PARALLEL_LIMIT` (None: no limit).
    pub parallel: Option<usize>,
    /// `--wait`: wait for running services to be running/healthy and one-shots to complete.
    pub wait: bool,
    pub wait_timeout: Option<Duration>,
    /// `--dry-run`.
    pub dry_run: bool,
    /// How images are pulled and built before containers are created.
    pub images: up_images::Options,
}

/// The containers `up` left in place, per service: (id, name).
pub type Running = BTreeMap<String, Vec<(String, String)>>;

/// What `up` did.
pub struct Converged {
    pub plan: Plan,
    pub containers: Running,
}

/// Converge. Returns the plan and the service containers.
pub async fn up(
    docker: &Docker,
    project: &Project,
    context: &ProjectContext,
    options: &Options,
    progress: &Progress,
    events: &Subscription,
) -> Result<Converged> {
    let observed = observe::project_containers(docker, &project.name).await?;
    let mut intents = convert::intents(project, &options.scale)?;
    // The plan names the services involved; their images (pulled or built now) may make
    // containers out of date, so the plan is made again with the image IDs.
    let selection = plan::plan(&project.name, &intents, &observed, &options.plan)?;
    let services: Vec<String> = selection.services().map(|s| s.service.clone()).collect();
    let image_ids = if options.dry_run {
        up_images::local(docker, project, &services).await?
    } else {
        up_images::ensure(docker, project, &services, &options.images, progress).await?
    };
    for intent in &mut intents {
        if let Some(service) = project.services.get(&intent.service) {
            let image = service.image_name(&project.name, &intent.service);
            intent.image_id = image_ids.get(&image).cloned();
        }
    }
    let plan = plan::plan(&project.name, &intents, &observed, &options.plan)?;
    if options.dry_run {
        return Ok(Converged {
            plan,
            containers: Running::new(),
        });
    }
    let hashes: HashMap<String, String> = intents
        .iter()
        .map(|i| (i.service.clone(), i.config_hash.clone()))
        .collect();

    ensure_networks_and_volumes(docker, project, &plan, progress).await?;
    handle_orphans(docker, &plan, progress).await?;

    let limit = Semaphore::new(options.parallel.unwrap_or(Semaphore::MAX_PERMITS).max(1));
    let run = Run {
        docker,
        project,
        context,
        hashes,
        progress,
        events,
        limit,
        no_start: options.plan.no_start,
        containers: Mutex::new(Running::new()),
        images: Mutex::new(image_ids.into_iter().collect()),
    };
    for wave in &plan.waves {
        let results = join_all(wave.iter().map(|service| run.service(service))).await;
        for result in results {
            result?;
        }
    }
    if options.wait && !options.plan.no_start {
        run.wait_all(&plan, options.wait_timeout).await?;
    }
    let containers = run.containers.into_inner().unwrap_or_default();
    Ok(Converged { plan, containers })
}

async fn ensure_networks_and_volumes(
    docker: &Docker,
    project: &Project,
    plan: &Plan,
    progress: &Progress,
) -> Result<()> {
    let services: Vec<&str> = plan.services().map(|s| s.service.as_str()).collect();
    ensure_resources(docker, project, &services, progress).await
}

/// Create the networks `services` join and the project's volumes, when missing.
pub async fn ensure_resources(
    docker: &Docker,
    project: &Project,
    services: &[&str],
    progress: &Progress,
) -> Result<()> {
    let mut keys: Vec<String> = Vec::new();
    for service in services {
        if let Some(s) = project.services.get(*service) {
            for key in convert::service_network_keys(s) {
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
        }
    }
    for key in keys {
        let spec = match project.networks.get(&key) {
            Some(n) => NetworkSpec {
                key: key.clone(),
                name: n.engine_name(&project.name, &key),
                external: n.external,
                driver: n.driver.clone(),
                driver_opts: n.driver_opts.clone().into_iter().collect(),
                internal: n.internal,
                attachable: n.attachable,
                enable_ipv6: false,
                ipam_driver: n.ipam.as_ref().and_then(|i| i.driver.clone()),
                ipam_pools: n
                    .ipam
                    .iter()
                    .flat_map(|i| &i.config)
                    .map(|p| (p.subnet.clone(), p.ip_range.clone(), p.gateway.clone()))
                    .collect(),
                labels: n.labels.clone().into_iter().collect(),
            },
            None => NetworkSpec {
                key: key.clone(),
                name: convert::network_engine_name(project, &key),
                ..Default::default()
            },
        };
        match resources::ensure_network(docker, &project.name, &spec).await? {
            Ensured::Created => progress.network(&spec.name, Action::Created),
            Ensured::Existed => {}
            Ensured::Foreign => progress.network(
                &spec.name,
                Action::Warning(
                    "exists but was not created for this project: using it as it is".to_string(),
                ),
            ),
        }
    }
    for (key, volume) in &project.volumes {
        let spec = VolumeSpec {
            key: key.clone(),
            name: volume.engine_name(&project.name, key),
            external: volume.external,
            driver: volume.driver.clone(),
            driver_opts: volume.driver_opts.clone().into_iter().collect(),
            labels: volume.labels.clone().into_iter().collect(),
        };
        match resources::ensure_volume(docker, &project.name, &spec).await? {
            Ensured::Created => progress.volume(&spec.name, Action::Created),
            Ensured::Existed => {}
            Ensured::Foreign => progress.volume(
                &spec.name,
                Action::Warning(
                    "exists but was not created for this project: using it as it is".to_string(),
                ),
            ),
        }
    }
    Ok(())
}

async fn handle_orphans(docker: &Docker, plan: &Plan, progress: &Progress) -> Result<()> {
    if plan.orphans.is_empty() {
        return Ok(());
    }
    if !plan.remove_orphans {
        let names: Vec<&str> = plan.orphans.iter().map(|o| o.name.as_str()).collect();
        eprintln!(
            "WARN found orphan containers ({}) for this project: if you removed or renamed their service, run this command with --remove-orphans",
            names.join(", ")
        );
        return Ok(());
    }
    for orphan in &plan.orphans {
        progress.container(&orphan.name, Action::Removing);
        containers::stop(docker, &orphan.id, &orphan.name, None).await?;
        containers::remove(docker, &orphan.id, &orphan.name, false, false).await?;
        progress.container(&orphan.name, Action::Removed);
    }
    Ok(())
}

struct Run<'a> {
    docker: &'a Docker,
    project: &'a Project,
    context: &'a ProjectContext,
    hashes: HashMap<String, String>,
    progress: &'a Progress,
    events: &'a Subscription,
    limit: Semaphore,
    no_start: bool,
    containers: Mutex<Running>,
    images: Mutex<HashMap<String, String>>,
}

impl Run<'_> {
    fn containers_of(&self, service: &str) -> Vec<(String, String)> {
        self.containers
            .lock()
            .map(|c| c.get(service).cloned().unwrap_or_default())
            .unwrap_or_default()
    }

    async fn service(&self, service: &ServicePlan) -> Result<()> {
        if !self.no_start {
            for dep in &service.wait_for {
                self.wait_dependency(&service.service, dep).await?;
            }
        }
        let mut kept = Vec::new();
        for step in &service.steps {
            if let Some(container) = self.step(&service.service, step).await? {
                kept.push(container);
            }
        }
        if let Ok(mut all) = self.containers.lock() {
            all.insert(service.service.clone(), kept);
        }
        Ok(())
    }

    /// Run one step; the (id, name) of the container it leaves, if any.
    async fn step(&self, service: &str, step: &Step) -> Result<Option<(String, String)>> {
        let _permit = self
            .limit
            .acquire()
            .await
            .map_err(|_| Error::new("internal error: the parallelism limit was closed"))?;
        let docker = self.docker;
        let progress = self.progress;
        match step {
            Step::Keep { existing, .. } => {
                progress.container(&existing.name, Action::Running);
                Ok(Some((existing.id.clone(), existing.name.clone())))
            }
            Step::Start { existing, .. } => {
                if !self.no_start {
                    progress.container(&existing.name, Action::Starting);
                    self.start(service, &existing.id, &existing.name).await?;
                    progress.container(&existing.name, Action::Started);
                }
                Ok(Some((existing.id.clone(), existing.name.clone())))
            }
            Step::Restart { existing, .. } => {
                progress.container(&existing.name, Action::Restarting);
                let options = RestartContainerOptionsBuilder::default().build();
                docker
                    .restart_container(&existing.id, Some(options))
                    .await
                    .map_err(|e| {
                        errors::engine_error(
                            format!("cannot restart container {}", existing.name),
                            &e,
                        )
                    })?;
                progress.container(&existing.name, Action::Restarted);
                Ok(Some((existing.id.clone(), existing.name.clone())))
            }
            Step::Remove { existing, .. } => {
                progress.container(&existing.name, Action::Stopping);
                containers::stop(docker, &existing.id, &existing.name, None).await?;
                progress.container(&existing.name, Action::Removing);
                containers::remove(docker, &existing.id, &existing.name, false, false).await?;
                progress.container(&existing.name, Action::Removed);
                Ok(None)
            }
            Step::Create { number, .. } => {
                let spec = self.spec(service, *number).await?;
                progress.container(&spec.name, Action::Creating);
                let id = self.create(service, &spec).await?;
                progress.container(&spec.name, Action::Created);
                if !self.no_start {
                    progress.container(&spec.name, Action::Starting);
                    self.start(service, &id, &spec.name).await?;
                    progress.container(&spec.name, Action::Started);
                }
                Ok(Some((id, spec.name)))
            }
            Step::Recreate { number, old, .. } => {
                let spec = self.spec(service, *number).await?;
                progress.container(&old.name, Action::Recreate);
                containers::stop(docker, &old.id, &old.name, None).await?;
                containers::remove(docker, &old.id, &old.name, false, false).await?;
                let id = self.create(service, &spec).await?;
                progress.container(&spec.name, Action::Recreated);
                if !self.no_start {
                    progress.container(&spec.name, Action::Starting);
                    self.start(service, &id, &spec.name).await?;
                    progress.container(&spec.name, Action::Started);
                }
                Ok(Some((id, spec.name)))
            }
        }
    }

    async fn spec(&self, service: &str, number: u32) -> Result<ContainerSpec> {
        let image = self
            .project
            .services
            .get(service)
            .map(|s| s.image_name(&self.project.name, service))
            .unwrap_or_default();
        let cached = self.images.lock().ok().and_then(|m| m.get(&image).cloned());
        let image_id = match cached {
            Some(id) => Some(id),
            None => {
                let id = crate::engine::images::local_id(self.docker, &image).await?;
                if let (Some(id), Ok(mut m)) = (&id, self.images.lock()) {
                    m.insert(image.clone(), id.clone());
                }
                id
            }
        };
        let hash = self.hashes.get(service).cloned().unwrap_or_default();
        convert::container_spec(
            self.project,
            self.context,
            service,
            number,
            &hash,
            image_id.as_deref(),
        )
    }

    async fn create(&self, service: &str, spec: &ContainerSpec) -> Result<String> {
        create_container(self.docker, service, spec).await
    }

    async fn start(&self, service: &str, id: &str, name: &str) -> Result<()> {
        containers::start(self.docker, id, name)
            .await
            .map_err(|e| e.context(format!("service \"{service}\"")))
    }

    async fn wait_dependency(&self, service: &str, dep: &Dependency) -> Result<()> {
        let containers = self.containers_of(&dep.service);
        wait_dependency(
            self.docker,
            self.events,
            self.progress,
            &containers,
            service,
            dep,
        )
        .await
    }

    /// `--wait`: every container running (healthy where it has a healthcheck); one-shot
    /// services that others need to complete must have exited 0.
    async fn wait_all(&self, plan: &Plan, timeout: Option<Duration>) -> Result<()> {
        let mut one_shots: Vec<&str> = Vec::new();
        for service in plan.services() {
            for dep in &service.wait_for {
                if dep.condition == Condition::CompletedSuccessfully {
                    one_shots.push(&dep.service);
                }
            }
        }
        let all: Running = self
            .containers
            .lock()
            .map(|c| c.clone())
            .unwrap_or_default();
        let waits = all.iter().flat_map(|(service, list)| {
            list.iter()
                .map(move |(id, name)| (service.clone(), id.clone(), name.clone()))
        });
        let checks = waits.map(|(service, id, name)| {
            let one_shot = one_shots.contains(&service.as_str());
            async move {
                let has_health = self
                    .project
                    .services
                    .get(&service)
                    .and_then(|s| s.healthcheck.as_ref())
                    .is_some_and(|h| !h.is_disabled());
                let outcome = if one_shot {
                    self.events.wait_completed(&id, timeout).await?
                } else if has_health {
                    self.events.wait_healthy(&id, timeout).await?
                } else {
                    self.events.wait_running(&id, timeout).await?
                };
                match outcome {
                    Outcome::Healthy => {
                        self.progress.container(&name, Action::Healthy);
                        Ok(())
                    }
                    Outcome::Running => {
                        self.progress.container(&name, Action::Running);
                        Ok(())
                    }
                    Outcome::Exited(0) if one_shot => {
                        self.progress.container(&name, Action::Exited(0));
                        Ok(())
                    }
                    Outcome::Exited(code) => {
                        Err(Error::new(format!("container {name} exited ({code})")))
                    }
                    Outcome::Unhealthy => Err(Error::new(format!("container {name} is unhealthy"))),
                    Outcome::TimedOut => Err(Error::new(format!(
                        "timeout waiting for container {name} (service \"{service}\") to be {}",
                        if has_health { "healthy" } else { "running" }
                    ))),
                    Outcome::NoHealthcheck | Outcome::Gone => {
                        Err(Error::new(format!("container {name} is gone")))
                    }
                }
            }
        });
        for result in join_all(checks).await {
            result?;
        }
        Ok(())
    }
}

/// Create the container of `spec` for `service` and connect it to its other networks; its ID.
pub async fn create_container(
    docker: &Docker,
    service: &str,
    spec: &ContainerSpec,
) -> Result<String> {
    let options = CreateContainerOptionsBuilder::default()
        .name(&spec.name)
        .build();
    let created = docker
        .create_container(Some(options), spec.body.clone())
        .await
        .map_err(|e| {
            let err = errors::engine_error(
                format!("service \"{service}\": cannot create container {}", spec.name),
                &e,
            );
            if errors::is_conflict(&e) {
                err.with_hint(format!(
                    "a container named {} already exists and does not belong to this project: remove or rename it",
                    spec.name
                ))
            } else {
                err
            }
        })?;
    for (network, endpoint) in &spec.extra_networks {
        let request = NetworkConnectRequest {
            container: created.id.clone(),
            endpoint_config: Some(endpoint.clone()),
        };
        docker
            .connect_network(network, request)
            .await
            .map_err(|e| {
                errors::engine_error(
                    format!(
                        "cannot connect container {} to network {network}",
                        spec.name
                    ),
                    &e,
                )
            })?;
    }
    Ok(created.id)
}

/// Wait until the containers of dependency `dep` of `service` (`containers`: (id, name))
/// meet its condition; an error with the dependency's last log lines when one fails.
pub async fn wait_dependency(
    docker: &Docker,
    events: &Subscription,
    progress: &Progress,
    containers: &[(String, String)],
    service: &str,
    dep: &Dependency,
) -> Result<()> {
    for (id, name) in containers {
        let (id, name) = (id.clone(), name.clone());
        let failure = match dep.condition {
            Condition::Started => None,
            Condition::Healthy => {
                progress.container(&name, Action::Waiting);
                match events.wait_healthy(&id, None).await? {
                    Outcome::Healthy => {
                        progress.container(&name, Action::Healthy);
                        None
                    }
                    Outcome::Unhealthy => Some(format!("container {name} is unhealthy")),
                    Outcome::NoHealthcheck => {
                        Some(format!("container {name} has no healthcheck configured"))
                    }
                    Outcome::Exited(code) => {
                        progress.container(&name, Action::Exited(code));
                        Some(format!("container {name} exited ({code})"))
                    }
                    other => Some(format!("container {name}: {other:?}")),
                }
            }
            Condition::CompletedSuccessfully => {
                progress.container(&name, Action::Waiting);
                match events.wait_completed(&id, None).await? {
                    Outcome::Exited(0) => {
                        progress.container(&name, Action::Exited(0));
                        None
                    }
                    Outcome::Exited(code) => {
                        progress.container(&name, Action::Exited(code));
                        Some(format!(
                            "service \"{}\" didn't complete successfully: exit {code}",
                            dep.service
                        ))
                    }
                    other => Some(format!("container {name}: {other:?}")),
                }
            }
        };
        if let Some(reason) = failure {
            if !dep.required {
                progress.container(
                    &name,
                    Action::Warning(format!("optional dependency of {service}: {reason}")),
                );
                continue;
            }
            let logs = containers::last_log_lines(docker, &id, FAILED_LOG_LINES).await;
            let mut err = Error::new(format!(
                "dependency failed to start: {reason} (needed by service \"{service}\")"
            ))
            .with_exit_code(1);
            if !logs.is_empty() {
                let shown: Vec<String> = logs.iter().map(|l| format!("    {l}")).collect();
                err = err.with_hint(format!("last log lines of {name}:\n{}", shown.join("\n")));
            }
            return Err(err);
        }
    }
    Ok(())
}
