//! `run`: a one-off container of a service (`<project>-<service>-run-<id>`, labelled
//! `oneoff=True`) with the command line's overrides, after its dependencies are up and meet
//! their conditions; attached (the exit code is the container's) or detached.

use bollard::Docker;
use bollard::query_parameters::AttachContainerOptionsBuilder;

use crate::engine::convert::{self, ProjectContext};
use crate::engine::errors::engine_error;
use crate::engine::events::{Outcome, Subscription};
use crate::engine::{containers, images, labels};
use crate::error::{Error, Result};
use crate::graph::ServiceGraph;
use crate::ops::plan;
use crate::ops::session::{self, Session, Tty};
use crate::ops::wait::Waits;
use crate::ops::{reconcile, up, up_images};
use crate::progress::Progress;
use crate::project::model::{
    Project, Service, ServiceDependency, parse_port_spec, parse_volume_spec,
};

/// Options of `run`.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub service: String,
    /// Replaces the service's command when given.
    pub command: Vec<String>,
    /// `--entrypoint`, already split into words.
    pub entrypoint: Option<Vec<String>>,
    /// `--name`: the container's name instead of `<project>-<service>-run-<id>`.
    pub name: Option<String>,
    pub detach: bool,
    /// `--rm`: remove the container when it exits.
    pub remove: bool,
    pub tty: bool,
    pub interactive: bool,
    /// `KEY=VALUE` pairs.
    pub env: Vec<String>,
    /// Short-syntax volumes (`./src:/src:ro`).
    pub volumes: Vec<String>,
    /// Short-syntax ports (`8080:80`).
    pub publish: Vec<String>,
    /// Keep the service's own `ports:`.
    pub service_ports: bool,
    pub no_deps: bool,
    pub user: Option<String>,
    pub workdir: Option<String>,
    /// `KEY=VALUE` labels.
    pub labels: Vec<String>,
    /// Join the networks with the service's aliases.
    pub use_aliases: bool,
    /// `--cap-add`, `--cap-drop`: over the service's own.
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    /// How the image is obtained (`--build`, `--pull`, `--quiet-pull`, `--quiet-build`).
    pub images: up_images::Options,
    /// `--remove-orphans`: remove the containers of services the project no longer declares.
    pub remove_orphans: bool,
    /// `COMPOSE_IGNORE_ORPHANS`: neither warn about orphans nor remove them.
    pub ignore_orphans: bool,
}

/// The service as the command line changes it (pure, so the rules are unit-tested).
pub fn one_off_service(service: &Service, options: &Options) -> Result<Service> {
    let mut s = service.clone();
    if !options.command.is_empty() {
        s.command = Some(options.command.clone());
    }
    if let Some(entrypoint) = &options.entrypoint {
        s.entrypoint = Some(entrypoint.clone());
    }
    for pair in &options.env {
        let (key, value) = pair.split_once('=').unwrap_or((pair.as_str(), ""));
        s.environment
            .insert(key.to_string(), Some(value.to_string()));
    }
    for spec in &options.volumes {
        let mut volume = parse_volume_spec(spec).map_err(|e| Error::new(format!("-v: {e}")))?;
        if let Some(source) = &volume.source
            && (source.starts_with('.') || source.starts_with('~'))
        {
            let base = std::env::current_dir()?;
            volume.source = Some(base.join(source).display().to_string());
        }
        s.volumes.push(volume);
    }
    if !options.service_ports {
        s.ports.clear();
    }
    for spec in &options.publish {
        let ports = parse_port_spec(spec).map_err(|e| Error::new(format!("-p: {e}")))?;
        s.ports.extend(ports);
    }
    for cap in &options.cap_add {
        if !s.cap_add.contains(cap) {
            s.cap_add.push(cap.clone());
        }
    }
    for cap in &options.cap_drop {
        if !s.cap_drop.contains(cap) {
            s.cap_drop.push(cap.clone());
        }
    }
    if options.user.is_some() {
        s.user = options.user.clone();
    }
    if options.workdir.is_some() {
        s.working_dir = options.workdir.clone();
    }
    for pair in &options.labels {
        let (key, value) = pair.split_once('=').unwrap_or((pair.as_str(), ""));
        s.labels.insert(key.to_string(), value.to_string());
    }
    // A one-off container is not restarted, and names itself.
    s.restart = None;
    if let Some(deploy) = &mut s.deploy {
        deploy.restart_policy = None;
    }
    s.container_name = None;
    s.tty = options.tty;
    s.stdin_open = options.interactive;
    Ok(s)
}

/// A random identifier: 64 hex digits.
fn slug() -> String {
    let bytes: [u8; 32] = rand::random();
    hex::encode(bytes)
}

/// How `run` ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ran {
    /// Started in the background, under this name.
    Detached(String),
    /// The container exited with this code.
    Exited(i64),
}

/// Run the one-off container.
pub async fn run(
    docker: &Docker,
    project: &Project,
    context: &ProjectContext,
    options: &Options,
    progress: &Progress,
) -> Result<Ran> {
    let name = &options.service;
    let service = project
        .services
        .get(name)
        .ok_or_else(|| Error::new(format!("no such service: {name}")))?;
    let events = Subscription::start(docker, &project.name);

    // As docker compose does while it creates the dependencies: orphans (the one-offs earlier
    // runs left, say) are reported, or removed with --remove-orphans.
    if !options.no_deps || options.remove_orphans {
        super::handle_orphans(
            docker,
            project,
            options.remove_orphans,
            options.ignore_orphans,
            progress,
        )
        .await?;
    }
    if !options.no_deps {
        start_dependencies(docker, project, context, name, progress, &events).await?;
    }

    let one_off = one_off_service(service, options)?;
    let mut changed = project.clone();
    changed.services.insert(name.clone(), one_off.clone());
    let network_ids =
        reconcile::ensure_resources(docker, &changed, &[name.as_str()], false, progress).await?;
    let image = one_off.image_name(&project.name, name);
    // Pulled or built as `up` would (pull_policy, a `build:` section for a missing image).
    let ids = up_images::ensure(
        docker,
        &changed,
        std::slice::from_ref(name),
        &options.images,
        progress,
    )
    .await?;
    let image_id = match ids.get(&image) {
        Some(id) => id.clone(),
        None => images::ensure(docker, &image).await?,
    };
    let hash = convert::config_hash(&one_off)?;
    let mut spec = convert::container_spec(
        &changed,
        context,
        name,
        1,
        &hash,
        Some(&image_id),
        crate::engine::ApiVersion::of(docker),
        &crate::engine::observe::linked_containers(docker, &project.name, &one_off).await?,
    )?;
    let slug = slug();
    spec.name = match &options.name {
        Some(n) => n.clone(),
        None => labels::oneoff_container_name(&project.name, name, &slug),
    };
    if let Some(container_labels) = &mut spec.body.labels {
        container_labels.insert(labels::ONEOFF.to_string(), labels::ONEOFF_TRUE.to_string());
        container_labels.insert(labels::SLUG.to_string(), slug);
        // One-off containers have no replica number (as compose labels them).
        container_labels.remove(labels::CONTAINER_NUMBER);
    }
    if !options.use_aliases {
        let endpoints = spec
            .body
            .networking_config
            .iter_mut()
            .flat_map(|n| n.endpoints_config.iter_mut().flat_map(|m| m.values_mut()))
            .chain(spec.extra_networks.iter_mut().map(|(_, e)| e));
        for endpoint in endpoints {
            endpoint.aliases = None;
        }
    }
    spec.body.attach_stdin = Some(options.interactive);
    spec.body.stdin_once = Some(options.interactive);
    if options.detach
        && options.remove
        && let Some(host) = &mut spec.body.host_config
    {
        host.auto_remove = Some(true);
    }

    let id = containers::create_container(docker, name, &spec, &network_ids).await?;
    if options.detach {
        containers::start(docker, &id, &spec.name).await?;
        return Ok(Ran::Detached(spec.name));
    }

    let attach = AttachContainerOptionsBuilder::default()
        .stream(true)
        .stdin(options.interactive)
        .stdout(true)
        .stderr(true)
        .build();
    let attached = docker
        .attach_container(&id, Some(attach))
        .await
        .map_err(|e| engine_error(format!("cannot attach to {}", spec.name), &e))?;
    let started = containers::start(docker, &id, &spec.name).await;
    let code = match started {
        Ok(()) => {
            let session = Session {
                tty: options.tty.then(|| Tty::Container(id.clone())),
                stdin: options.interactive,
            };
            session::run(docker, &session, attached.output, attached.input).await;
            match events.wait_completed(&id, None).await? {
                Outcome::Exited(code) => Ok(Ran::Exited(code)),
                _ => Ok(Ran::Exited(-1)),
            }
        }
        Err(e) => Err(e),
    };
    if options.remove {
        containers::remove(docker, &id, &spec.name, true, true).await?;
    }
    code
}

/// `up` for the dependencies of `service`, then wait for its own conditions on them.
async fn start_dependencies(
    docker: &Docker,
    project: &Project,
    context: &ProjectContext,
    service: &str,
    progress: &Progress,
    events: &Subscription,
) -> Result<()> {
    let graph = ServiceGraph::from_project(project);
    let dependencies: Vec<(&str, &ServiceDependency)> = graph.dependencies(service).collect();
    if dependencies.is_empty() {
        return Ok(());
    }
    let options = up::Options {
        plan: plan::Options {
            services: dependencies.iter().map(|(d, _)| d.to_string()).collect(),
            // `run` has handled them already.
            ignore_orphans: true,
            ..plan::Options::default()
        },
        ..up::Options::default()
    };
    let converged = up::up(docker, project, context, &options, progress, events).await?;
    let waits = Waits {
        docker,
        events,
        progress,
        deadline: None,
        budget: None,
    };
    for (dep, how) in dependencies {
        let list = converged.containers.get(dep).cloned().unwrap_or_default();
        waits.dependency(&list, service, dep, how).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_overrides_the_service() {
        let mut service = Service {
            restart: Some("always".into()),
            command: Some(vec!["serve".into()]),
            container_name: Some("fixed".into()),
            ..Service::default()
        };
        service.ports = parse_port_spec("80:80").unwrap_or_default();
        service
            .environment
            .insert("A".into(), Some("from-file".into()));
        let options = Options {
            command: vec!["sh".into(), "-c".into(), "true".into()],
            env: vec!["A=1".into(), "B".into()],
            publish: vec!["9090:90".into()],
            user: Some("nobody".into()),
            ..Options::default()
        };
        let s = match one_off_service(&service, &options) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(
            s.command,
            Some(vec!["sh".to_string(), "-c".into(), "true".into()])
        );
        assert_eq!(s.environment.get("A"), Some(&Some("1".to_string())));
        assert_eq!(s.environment.get("B"), Some(&Some(String::new())));
        assert_eq!(s.ports.len(), 1, "service ports are dropped, -p kept");
        assert_eq!(s.ports[0].target, 90);
        assert_eq!(s.restart, None);
        assert_eq!(s.container_name, None);
        assert_eq!(s.user.as_deref(), Some("nobody"));

        let keep = Options {
            service_ports: true,
            ..Options::default()
        };
        let s = one_off_service(&service, &keep).map(|s| s.ports.len());
        assert_eq!(s.ok(), Some(1));
        let bad = Options {
            volumes: vec!["a::b".into()],
            ..Options::default()
        };
        assert!(one_off_service(&service, &bad).is_err());
    }
}
