//! `up`: converge the engine to the project — plan, then networks and volumes, then one walk
//! of the services ([`crate::ops::walk`], bounded by `--parallel`): each service's new
//! containers are created ahead (once what they refer to at creation exists), and the service
//! converges as soon as its own dependencies' conditions hold as the engine's events report
//! them.

mod tasks;

use tasks::{Task, tasks};

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use bollard::Docker;

use crate::engine::containers::NetworkIds;
use crate::engine::convert::{self, ContainerSpec, ProjectContext};
use crate::engine::events::Subscription;
use crate::engine::{ApiVersion, config_hash, containers, errors, labels, observe};
use crate::error::{Error, Result};
use crate::graph::ServiceGraph;
use crate::ops::hooks::{self, Hooks};
use crate::ops::plan::{self, Existing, Plan, ServicePlan, Step};
use crate::ops::wait::Waits;
use crate::ops::walk;
use crate::ops::{reconcile, up_images};
use crate::progress::{Action, Progress};
use crate::project::model::{DependencyCondition, Project, ServiceDependency};

/// How often to look for a container whose name a concurrent `up` holds, and how long to
/// pause in between (five seconds in all).
const ADOPT_ATTEMPTS: usize = 50;
const ADOPT_PAUSE: Duration = Duration::from_millis(100);

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
    /// Budget for every wait of the rollout: dependency conditions and `--wait`.
    pub wait_timeout: Option<Duration>,
    /// `--dry-run`.
    pub dry_run: bool,
    /// How images are pulled and built before containers are created.
    pub images: up_images::Options,
    /// `--renew-anon-volumes`: a recreated container gets new anonymous volumes instead of
    /// those of the container it replaces.
    pub renew_anon_volumes: bool,
    /// `-y`: recreate the volumes whose definition changed (their data is lost).
    pub recreate_volumes: bool,
    /// Where the output of `post_start`/`pre_stop` hooks goes (attached: on stdout).
    pub hook_output: hooks::Output,
    /// `--all-resources`: also the networks no service joins.
    pub all_resources: bool,
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
    if !options.dry_run {
        // Before observing: recreating a volume removes the containers that use it.
        reconcile::volumes(docker, project, options.recreate_volumes, progress).await?;
    }
    let observed = observe::project_containers(docker, &project.name).await?;
    let graph = ServiceGraph::from_project(project);
    let mut intents = plan::intents(project, &options.scale)?;
    // A `service:NAME` reference is hashed as the container it resolves to, as docker compose
    // hashes it: the hash to compare with what exists takes in the existing containers.
    for intent in &mut intents {
        if let Some(service) = project.services.get(&intent.service) {
            intent.config_hash = config_hash::resolved_service_hash(service, |dep| {
                observe::first_container_id(&observed, dep)
            })?;
        }
    }
    // The plan names the services involved; their images (pulled or built now) may make
    // containers out of date, so the plan is made again with the image IDs.
    let selection = plan::plan(&project.name, &intents, &graph, &observed, &options.plan)?;
    let services: Vec<String> = selection.services().map(|s| s.service.clone()).collect();
    project.check_container_names(&services)?;
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
    let plan = plan::plan(&project.name, &intents, &graph, &observed, &options.plan)?;
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

    let api = ApiVersion::of(docker);
    for service in plan.services() {
        if let Some(config) = project.services.get(&service.service) {
            for warning in convert::warnings(config, api) {
                progress.service(&service.service, Action::Warning(warning.to_string()));
            }
        }
    }
    let network_ids =
        ensure_networks_and_volumes(docker, project, &plan, options.all_resources, progress)
            .await?;
    handle_orphans(docker, &plan, progress).await?;

    let run = Run {
        docker,
        project,
        context,
        hashes,
        network_ids,
        progress,
        events,
        no_start: options.plan.no_start,
        renew_anon_volumes: options.renew_anon_volumes,
        deadline: options
            .wait_timeout
            .map(|t| tokio::time::Instant::now() + t),
        wait_timeout: options.wait_timeout,
        containers: Mutex::new(Running::new()),
        created: Mutex::new(HashMap::new()),
        images: Mutex::new(image_ids.into_iter().collect()),
        restart_dependents: Mutex::new(plan.restart_dependents()),
        stopped_for_restart: Mutex::new(Vec::new()),
        hooks: Hooks::of(Some(project), options.hook_output),
        pre_start: hooks::PreStartGate::default(),
    };
    let services: HashMap<&str, &ServicePlan> =
        plan.services().map(|s| (s.service.as_str(), s)).collect();
    walk::walk_tasks(tasks(project, &plan), options.parallel, |task| {
        let service = services.get(task.service()).copied();
        let run = &run;
        async move {
            let Some(service) = service else {
                return Ok(());
            };
            match task {
                Task::Create(_) => run.create_ahead(service).await,
                Task::Converge(_) => run.converge(service).await,
            }
        }
    })
    .await?
    .into_result()?;
    if options.wait && !options.plan.no_start {
        run.wait_all(&plan).await?;
    }
    let containers = run.containers.into_inner().unwrap_or_default();
    Ok(Converged { plan, containers })
}

async fn ensure_networks_and_volumes(
    docker: &Docker,
    project: &Project,
    plan: &Plan,
    all_networks: bool,
    progress: &Progress,
) -> Result<NetworkIds> {
    let services: Vec<&str> = plan.services().map(|s| s.service.as_str()).collect();
    reconcile::ensure_resources(docker, project, &services, all_networks, progress).await
}

async fn handle_orphans(docker: &Docker, plan: &Plan, progress: &Progress) -> Result<()> {
    let orphans: Vec<(&str, &str)> = plan
        .orphans
        .iter()
        .map(|o| (o.id.as_str(), o.name.as_str()))
        .collect();
    super::settle_orphans(docker, &orphans, plan.remove_orphans, progress).await
}

/// Containers of one service by replica number: (id, name).
type Replicas = HashMap<u32, (String, String)>;

struct Run<'a> {
    docker: &'a Docker,
    project: &'a Project,
    context: &'a ProjectContext,
    hashes: HashMap<String, String>,
    network_ids: NetworkIds,
    progress: &'a Progress,
    events: &'a Subscription,
    no_start: bool,
    renew_anon_volumes: bool,
    /// End of the `--wait-timeout` budget, for dependency waits and `--wait`.
    deadline: Option<tokio::time::Instant>,
    wait_timeout: Option<Duration>,
    containers: Mutex<Running>,
    /// The containers created ahead, per service and replica number: (id, name).
    created: Mutex<HashMap<String, Replicas>>,
    images: Mutex<HashMap<String, String>>,
    /// `restart: true` dependents to stop before their dependency is recreated (by it), and
    /// those stopped so: their restart is then a start.
    restart_dependents: Mutex<HashMap<String, Vec<Existing>>>,
    stopped_for_restart: Mutex<Vec<String>>,
    hooks: Hooks<'a>,
    pre_start: hooks::PreStartGate,
}

impl Run<'_> {
    fn containers_of(&self, service: &str) -> Vec<(String, String)> {
        self.containers
            .lock()
            .map(|c| c.get(service).cloned().unwrap_or_default())
            .unwrap_or_default()
    }

    /// Create the new containers of `service` (not started).
    async fn create_ahead(&self, service: &ServicePlan) -> Result<()> {
        let name = service.service.as_str();
        let mut created = HashMap::new();
        for step in &service.steps {
            if let Step::Create { number, .. } = step {
                created.insert(*number, self.create_new(name, *number).await?);
            }
        }
        if let Ok(mut all) = self.created.lock() {
            all.insert(name.to_string(), created);
        }
        Ok(())
    }

    /// Wait for the conditions of the service's dependencies, then run its steps.
    async fn converge(&self, service: &ServicePlan) -> Result<()> {
        let name = service.service.as_str();
        if !self.no_start {
            for (dep, how) in &service.wait_for {
                self.wait_dependency(name, dep, how).await?;
            }
        }
        let created = self
            .created
            .lock()
            .ok()
            .and_then(|mut all| all.remove(name))
            .unwrap_or_default();
        if !self.no_start {
            self.pre_start.arm(&self.hooks, service);
        }
        let mut kept = Vec::new();
        for step in &service.steps {
            if let Some(container) = self.step(name, step, &created).await? {
                kept.push(container);
            }
        }
        if let Ok(mut all) = self.containers.lock() {
            all.insert(service.service.clone(), kept);
        }
        Ok(())
    }

    /// Create replica `number` of `service` (not started); its (id, name).
    async fn create_new(&self, service: &str, number: u32) -> Result<(String, String)> {
        let spec = self.spec(service, number).await?;
        self.progress.container(&spec.name, Action::Creating);
        let id = self.create_or_adopt(service, number, &spec).await?;
        self.progress.container(&spec.name, Action::Created);
        Ok((id, spec.name))
    }

    /// Run one step (`created`: the containers made ahead, by replica number); the
    /// (id, name) of the container it leaves, if any.
    async fn step(
        &self,
        service: &str,
        step: &Step,
        created: &HashMap<u32, (String, String)>,
    ) -> Result<Option<(String, String)>> {
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
            Step::Restart { existing, .. } if self.stopped_for_restart(&existing.id) => {
                progress.container(&existing.name, Action::Starting);
                self.start(service, &existing.id, &existing.name).await?;
                progress.container(&existing.name, Action::Started);
                Ok(Some((existing.id.clone(), existing.name.clone())))
            }
            Step::Restart { existing, .. } => {
                progress.container(&existing.name, Action::Restarting);
                containers::restart(docker, &existing.id, &existing.name, None).await?;
                progress.container(&existing.name, Action::Restarted);
                Ok(Some((existing.id.clone(), existing.name.clone())))
            }
            Step::Remove { existing, .. } => {
                progress.container(&existing.name, Action::Stopping);
                let (id, name) = (&existing.id, &existing.name);
                self.hooks.pre_stop(docker, service, id, name).await?;
                containers::stop(docker, &existing.id, &existing.name, None).await?;
                progress.container(&existing.name, Action::Removing);
                containers::remove(docker, &existing.id, &existing.name, false, false).await?;
                progress.container(&existing.name, Action::Removed);
                Ok(None)
            }
            Step::Create { number, .. } => {
                let Some((id, name)) = created.get(number).cloned() else {
                    return Err(Error::new(format!(
                        "internal error: replica {number} of service \"{service}\" was not created"
                    )));
                };
                if !self.no_start {
                    progress.container(&name, Action::Starting);
                    self.start(service, &id, &name).await?;
                    progress.container(&name, Action::Started);
                }
                Ok(Some((id, name)))
            }
            Step::Recreate { number, old, .. } => {
                self.stop_restart_dependents(service).await?;
                let (id, name) = self.recreate(service, *number, old).await?;
                if !self.no_start {
                    progress.container(&name, Action::Starting);
                    self.start(service, &id, &name).await?;
                    progress.container(&name, Action::Started);
                }
                Ok(Some((id, name)))
            }
        }
    }

    /// Stop the `restart: true` dependents of `service` (once) before it is recreated.
    async fn stop_restart_dependents(&self, service: &str) -> Result<()> {
        let doomed = self
            .restart_dependents
            .lock()
            .ok()
            .and_then(|mut all| all.remove(service))
            .unwrap_or_default();
        for c in doomed {
            self.progress.container(&c.name, Action::Stopping);
            containers::stop(self.docker, &c.id, &c.name, None).await?;
            self.progress.container(&c.name, Action::Stopped);
            if let Ok(mut stopped) = self.stopped_for_restart.lock() {
                stopped.push(c.id);
            }
        }
        Ok(())
    }

    fn stopped_for_restart(&self, id: &str) -> bool {
        self.stopped_for_restart
            .lock()
            .is_ok_and(|stopped| stopped.iter().any(|s| s == id))
    }

    /// Replace container `old`: create the new one under a temporary name while the old one
    /// still exists, then stop and remove the old one, then give the new one its name. A new
    /// configuration the engine refuses leaves the old container as it was.
    /// Returns the new container's ID and name.
    async fn recreate(
        &self,
        service: &str,
        number: u32,
        old: &Existing,
    ) -> Result<(String, String)> {
        let docker = self.docker;
        let progress = self.progress;
        let mut spec = self.spec(service, number).await?;
        if let Some(labels) = spec.body.labels.as_mut() {
            labels.insert(labels::REPLACE.to_string(), old.id.clone());
        }
        let old_volumes: Vec<(String, String)> = containers::inspect(docker, &old.id)
            .await?
            .mounts
            .unwrap_or_default()
            .into_iter()
            .filter(|m| m.typ.as_deref() == Some("volume"))
            .filter_map(|m| Some((m.name?, m.destination?)))
            .collect();
        let named: Vec<String> = self
            .project
            .volumes
            .iter()
            .map(|(key, v)| v.engine_name(&self.project.name, key))
            .collect();
        if !self.renew_anon_volumes {
            convert::inherit_anonymous_volumes(&mut spec.body, &old_volumes, &named);
        }
        progress.container(&old.name, Action::Recreate);
        let temporary = labels::replacement_name(&old.id, &spec.name);
        let id = match self.create(service, &spec, &temporary).await? {
            containers::Created::New(id) => id,
            containers::Created::NameTaken => {
                return Err(self.name_taken(service, &temporary).await);
            }
        };
        let context = || format!("service \"{service}\": cannot recreate {}", old.name);
        let retired = async {
            self.hooks
                .pre_stop(docker, service, &old.id, &old.name)
                .await?;
            containers::stop(docker, &old.id, &old.name, None).await?;
            containers::remove(docker, &old.id, &old.name, false, false).await
        };
        if let Err(e) = retired.await {
            // The old container stays: the replacement goes.
            let _ = containers::remove(docker, &id, &temporary, true, false).await;
            return Err(e.context(context()));
        }
        // Should this fail, the next `up` recreates the replacement under its name.
        containers::rename(docker, &id, &temporary, &spec.name)
            .await
            .map_err(|e| e.context(context()))?;
        progress.container(&spec.name, Action::Recreated);
        Ok((id, spec.name))
    }

    /// Create replica `number` of `service`; when its name is taken by the same replica that a
    /// concurrent `up` of this project created a moment before, use that container instead.
    async fn create_or_adopt(
        &self,
        service: &str,
        number: u32,
        spec: &ContainerSpec,
    ) -> Result<String> {
        let name = spec.name.as_str();
        for _ in 0..ADOPT_ATTEMPTS {
            if let containers::Created::New(id) = self.create(service, spec, name).await? {
                return Ok(id);
            }
            // The engine reserves a name before the container can be inspected: while the
            // other `up` is still creating it, look again shortly.
            let holder = match self.docker.inspect_container(name, None).await {
                Ok(holder) => holder,
                Err(e) if errors::is_not_found(&e) => {
                    tokio::time::sleep(ADOPT_PAUSE).await;
                    continue;
                }
                Err(e) => {
                    return Err(errors::engine_error(
                        format!("cannot inspect container {name}"),
                        &e,
                    ));
                }
            };
            let labels = holder.config.and_then(|c| c.labels).unwrap_or_default();
            let label = |key: &str| labels.get(key).map(String::as_str);
            let same_replica = label(labels::PROJECT) == Some(self.project.name.as_str())
                && label(labels::SERVICE) == Some(service)
                && label(labels::CONTAINER_NUMBER) == Some(number.to_string().as_str())
                && label(labels::ONEOFF) != Some(labels::ONEOFF_TRUE);
            if !same_replica {
                return Err(self.name_taken(service, name).await);
            }
            if label(labels::CONFIG_HASH) != self.hashes.get(service).map(String::as_str) {
                return Err(Error::new(format!(
                    "service \"{service}\": container {name} was created meanwhile by another `up` of project {} with a different configuration",
                    self.project.name
                ))
                .with_hint("run `rcompose up` again to converge on the current configuration"));
            }
            return holder
                .id
                .ok_or_else(|| Error::new(format!("the engine gave no ID for container {name}")));
        }
        Err(self.name_taken(service, name).await)
    }

    /// The error for a container name held by a container that is not replica `name` of
    /// `service`: whose it is, and what to do.
    async fn name_taken(&self, service: &str, name: &str) -> Error {
        let holder = containers::inspect(self.docker, name).await.ok();
        let labels = holder
            .as_ref()
            .and_then(|c| c.config.as_ref())
            .and_then(|c| c.labels.clone())
            .unwrap_or_default();
        let whose = match (labels.get(labels::PROJECT), labels.get(labels::SERVICE)) {
            (Some(p), Some(s)) if *p == self.project.name => {
                format!("the container of service \"{s}\" of this project")
            }
            (Some(p), _) => format!("a container of project \"{p}\""),
            _ => "a container that does not belong to this project".to_string(),
        };
        Error::new(format!(
            "service \"{service}\": the container name \"{name}\" is already in use by {whose}"
        ))
        .with_hint(format!(
            "remove or rename that container (`docker rm -f {name}`), or give the service another `container_name:`"
        ))
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
        let hash = self.hash_at_creation(service).await?;
        let linked = match self.project.services.get(service) {
            Some(config) => {
                observe::linked_containers(self.docker, &self.project.name, config).await?
            }
            None => convert::Linked::new(),
        };
        convert::container_spec(
            self.project,
            self.context,
            service,
            number,
            &hash,
            image_id.as_deref(),
            ApiVersion::of(self.docker),
            &linked,
        )
    }

    /// The config hash for a container of `service` created now: with its `service:NAME`
    /// references resolved to the containers they name now (created ahead of it).
    async fn hash_at_creation(&self, service: &str) -> Result<String> {
        let planned = self.hashes.get(service).cloned().unwrap_or_default();
        let Some(config) = self.project.services.get(service) else {
            return Ok(planned);
        };
        let mut ids = HashMap::new();
        for dep in config_hash::referenced_services(config) {
            let ours = self
                .containers_of(&dep)
                .into_iter()
                .min_by(|a, b| a.1.cmp(&b.1));
            let id = match ours {
                Some((id, _)) => Some(id),
                None => {
                    containers::inspect(self.docker, &convert::first_container(self.project, &dep))
                        .await
                        .ok()
                        .and_then(|c| c.id)
                }
            };
            if let Some(id) = id {
                ids.insert(dep, id);
            }
        }
        if ids.is_empty() {
            return Ok(planned);
        }
        config_hash::resolved_service_hash(config, |dep| ids.get(dep).cloned())
    }

    async fn create(
        &self,
        service: &str,
        spec: &ContainerSpec,
        name: &str,
    ) -> Result<containers::Created> {
        containers::create_named(self.docker, service, spec, name, &self.network_ids).await
    }

    /// Start a container of `service`, with its `pre_start` hooks before (when due) and its
    /// `post_start` hooks after.
    async fn start(&self, service: &str, id: &str, name: &str) -> Result<()> {
        if self.pre_start.take(service) {
            self.hooks.pre_start(self.docker, service, id).await?;
        }
        self.start_container(service, id, name).await?;
        self.hooks.post_start(self.docker, service, id, name).await
    }

    async fn start_container(&self, service: &str, id: &str, name: &str) -> Result<()> {
        containers::start(self.docker, id, name).await.map_err(|e| {
            let port_taken = e.kind == crate::error::ErrorKind::PortConflict;
            let e = e.context(format!("service \"{service}\""));
            match self.published_ports(service) {
                Some(ports) if port_taken => e.with_hint(format!(
                    "service \"{service}\" publishes host port {ports}; another process or container already uses it: free it or change `ports:`"
                )),
                _ => e,
            }
        })
    }

    /// The host ports `service` publishes, as text (`8080, 8443`).
    fn published_ports(&self, service: &str) -> Option<String> {
        let ports: Vec<String> = self
            .project
            .services
            .get(service)?
            .ports
            .iter()
            .filter_map(|p| p.published.clone())
            .collect();
        (!ports.is_empty()).then(|| ports.join(", "))
    }

    /// A waiter bounded by the `--wait-timeout` budget.
    fn waits(&self) -> Waits<'_> {
        Waits {
            docker: self.docker,
            events: self.events,
            progress: self.progress,
            deadline: self.deadline,
            budget: self.wait_timeout,
        }
    }

    async fn wait_dependency(
        &self,
        service: &str,
        dep: &str,
        how: &ServiceDependency,
    ) -> Result<()> {
        let containers = self.containers_of(dep);
        self.waits()
            .dependency(&containers, service, dep, how)
            .await
    }

    /// `--wait`: every container running (healthy where it has a healthcheck); one-shot
    /// services that others need to complete must have exited 0.
    async fn wait_all(&self, plan: &Plan) -> Result<()> {
        let mut one_shots: Vec<&str> = Vec::new();
        for service in plan.services() {
            for (dep, how) in &service.wait_for {
                if how.condition == DependencyCondition::ServiceCompletedSuccessfully {
                    one_shots.push(dep);
                }
            }
        }
        let all: Vec<(String, String, String)> = self
            .containers
            .lock()
            .map(|c| {
                c.iter()
                    .flat_map(|(service, list)| {
                        list.iter()
                            .map(move |(id, name)| (service.clone(), id.clone(), name.clone()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        self.waits().ready(self.project, &all, &one_shots).await
    }
}
