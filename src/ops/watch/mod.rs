//! `watch` (and `up --watch`): follow the `develop.watch` rules of the selected services. File
//! events come from the operating system ([`files`]) in batches; each batch is sorted into work
//! per service ([`rules::plan`]) and done in the order docker compose does it: rebuild (the
//! build of `build`, then `up`'s convergence recreating the services that use the image), sync
//! (one tar stream per container, [`sync`]), restart, exec. Changes that come in while a batch
//! is being handled make the next batch. A container that appears (recreated, scaled up,
//! started by someone else) gets every sync rule of its service copied in.

pub mod files;
pub mod rules;
pub mod sync;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::Write;
use std::path::PathBuf;

use bollard::Docker;
use bollard::query_parameters::{ListImagesOptionsBuilder, RemoveImageOptionsBuilder};
use futures_util::future::join_all;
use tokio::sync::mpsc;

use self::rules::{Mapping, Rule, Work};
use crate::engine::convert::ProjectContext;
use crate::engine::events::{Action as EngineAction, Subscription};
use crate::engine::labels;
use crate::error::{Error, Result};
use crate::ops::lifecycle::{self, Verb};
use crate::ops::plan::{self, RecreatePolicy};
use crate::ops::up_images::{self, BuildMode};
use crate::ops::{build, hooks, up};
use crate::progress::{Action, Progress};
use crate::project::model::Project;

/// Options of `watch`.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Services to watch (all when empty).
    pub services: Vec<String>,
    /// `--prune`: remove the project's dangling images after a rebuild.
    pub prune: bool,
    /// How rebuilds build (`output: false` for `--quiet`).
    pub build: build::Options,
    /// Variables for build arguments given without a value.
    pub environment: BTreeMap<String, String>,
    /// `--parallel`, for the recreation after a rebuild.
    pub parallel: Option<usize>,
    /// Watching next to the logs of an attached `up`: lines are marked as docker compose marks
    /// them there.
    pub attached: bool,
}

/// The error when no selected service has watch rules, in docker compose's words.
pub const NOTHING_TO_WATCH: &str =
    "none of the selected services is configured for watch, consider setting a 'develop' section";

/// The services that have watch rules among `selected` (all services when empty).
pub fn watched_services(project: &Project, selected: &[String]) -> Vec<String> {
    project
        .services
        .iter()
        .filter(|(name, _)| selected.is_empty() || selected.contains(name))
        .filter(|(_, s)| s.develop.as_ref().is_some_and(|d| !d.watch.is_empty()))
        .map(|(name, _)| name.clone())
        .collect()
}

/// Build the images of the watched services that have a `build:` section, as docker compose
/// does before watching (their pull policy becomes `build`).
pub async fn build_watched(
    docker: &Docker,
    project: &Project,
    options: &Options,
    progress: &Progress,
) -> Result<()> {
    let buildable: Vec<String> = watched_services(project, &options.services)
        .into_iter()
        .filter(|s| project.services.get(s).is_some_and(|s| s.build.is_some()))
        .collect();
    if buildable.is_empty() {
        return Ok(());
    }
    build::build_services(
        docker,
        project,
        &options.environment,
        &buildable,
        &options.build,
        progress,
    )
    .await?;
    Ok(())
}

/// Watch until an error that stops watching (the caller ends it otherwise, on Ctrl-C).
pub async fn watch(
    docker: &Docker,
    project: &Project,
    context: &ProjectContext,
    options: &Options,
    progress: &Progress,
) -> Result<()> {
    for name in &options.services {
        if !project.services.contains_key(name) {
            return Err(Error::new(format!("no such service: {name}")));
        }
    }
    let services = watched_services(project, &options.services);
    let mut all_rules = rules::rules(project, &services)?;
    // A sync of a path the container already sees through a bind mount is pointless, and
    // docker compose does not watch it.
    all_rules.retain(|rule| {
        let bound = rule.syncs() && bind_mounted(project, rule);
        if bound {
            progress.container(
                &rule.service,
                Action::Warning(format!(
                    "path '{}' also declared by a bind mount volume, this path won't be monitored!",
                    rule.path.display()
                )),
            );
        }
        !bound
    });
    if all_rules.is_empty() {
        return Err(Error::new(NOTHING_TO_WATCH)
            .with_hint("add `develop: {watch: [...]}` rules to the services to watch"));
    }
    let events = Subscription::start(docker, &project.name);
    let mut engine_events = events.receiver();
    let mut files = files::Files::watch(&rules::watched_paths(&all_rules))?;
    let mut watcher = Watcher {
        docker,
        project,
        context,
        options,
        progress,
        rules: all_rules,
        events: &events,
        known: HashSet::new(),
    };
    watcher.initial_sync().await?;
    watcher.log("Watch enabled");

    // Batches are made while the previous one is handled, so that nothing is lost during a
    // rebuild; the errors of the watcher are shown with the next batch.
    let (batches, mut batch_receiver) = mpsc::unbounded_channel();
    let collector = tokio::spawn(async move {
        loop {
            let batch = files.next_batch().await;
            let failed = batch.is_err();
            let errors = std::mem::take(&mut files.errors);
            if batches.send((batch, errors)).is_err() || failed {
                return;
            }
        }
    });
    let _stop_collector = AbortOnDrop(collector);
    loop {
        tokio::select! {
            received = batch_receiver.recv() => {
                let Some((batch, errors)) = received else {
                    return Err(Error::new("the file watcher stopped"));
                };
                for error in errors {
                    watcher.warn(&error);
                }
                let mut changed = batch?;
                // Batches that queued up while the last one was handled go as one.
                while let Ok((more, errors)) = batch_receiver.try_recv() {
                    for error in errors {
                        watcher.warn(&error);
                    }
                    changed.extend(more?);
                }
                if let Err(e) = watcher.handle(&changed).await {
                    watcher.warn(&format!("Error handling changed files: {e}"));
                }
            }
            event = engine_events.recv() => {
                match event {
                    Ok(event) => watcher.container_event(&event).await,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                        return Err(Error::new("the engine's event stream ended"));
                    }
                }
            }
        }
    }
}

/// Aborts a task when dropped (when watching ends, also by cancellation).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Whether the rule's path lies in a bind mount of its service.
fn bind_mounted(project: &Project, rule: &Rule) -> bool {
    let Some(service) = project.services.get(&rule.service) else {
        return false;
    };
    service.volumes.iter().any(|v| {
        v.type_ == crate::project::model::MountType::Bind
            && v.source
                .as_deref()
                .is_some_and(|source| rule.path.starts_with(source))
    })
}

struct Watcher<'a> {
    docker: &'a Docker,
    project: &'a Project,
    context: &'a ProjectContext,
    options: &'a Options,
    progress: &'a Progress,
    rules: Vec<Rule>,
    events: &'a Subscription,
    /// Containers that got their service's files (by ID).
    known: HashSet<String>,
}

impl Watcher<'_> {
    /// A line of watch output, on standard output as docker compose prints it.
    fn log(&self, line: &str) {
        // A live progress view (tty) is settled first, so that the line is not drawn over.
        self.progress.finish();
        let mut out = std::io::stdout().lock();
        let _ = if self.options.attached {
            writeln!(out, "        ⦿ {line}")
        } else {
            writeln!(out, "{line}")
        };
        let _ = out.flush();
    }

    fn warn(&self, text: &str) {
        self.progress.emit(
            crate::progress::Kind::Container,
            "watch",
            Action::Warning(text.to_string()),
        );
    }

    /// The running containers of `service`: (id, name).
    async fn running(&self, service: &str) -> Result<Vec<(String, String)>> {
        let list =
            lifecycle::containers_of(self.docker, &self.project.name, &[service.to_string()])
                .await?;
        Ok(list
            .into_iter()
            .filter(|c| c.state.is_up())
            .map(|c| (c.id, c.name))
            .collect())
    }

    /// Copy every sync rule's files of `service` into `containers`.
    async fn full_sync(
        &mut self,
        service: &str,
        containers: &[(String, String)],
        only_initial: bool,
    ) -> Result<()> {
        let mappings: Vec<Mapping> = self
            .rules
            .iter()
            .enumerate()
            .filter(|(_, r)| r.service == service && r.syncs() && (r.initial_sync || !only_initial))
            .filter(|(_, r)| r.path.exists())
            .map(|(i, r)| Mapping {
                host: r.path.clone(),
                container: r.target.clone(),
                rule: i,
            })
            .collect();
        for (id, _) in containers {
            self.known.insert(id.clone());
        }
        if mappings.is_empty() || containers.is_empty() {
            return Ok(());
        }
        let refs: Vec<&Mapping> = mappings.iter().collect();
        let changes = sync::changes(&self.rules, &refs)?;
        for e in sync::apply_all(self.docker, containers, &changes).await {
            self.warn(&e.to_string());
        }
        Ok(())
    }

    /// `initial_sync` rules: their files into the service's containers.
    async fn initial_sync(&mut self) -> Result<()> {
        let services: BTreeSet<String> = self.rules.iter().map(|r| r.service.clone()).collect();
        for service in services {
            let containers = self.running(&service).await?;
            self.full_sync(&service, &containers, true).await?;
        }
        Ok(())
    }

    /// A container of a watched service started that has not had its files: copy them in.
    async fn container_event(&mut self, event: &crate::engine::events::ContainerEvent) {
        if event.action != EngineAction::Start
            || event.oneoff
            || self.known.contains(&event.id)
            || !self.rules.iter().any(|r| r.service == event.service)
        {
            return;
        }
        let service = event.service.clone();
        let container = [(event.id.clone(), event.name.clone())];
        if let Err(e) = self.full_sync(&service, &container, false).await {
            self.warn(&e.to_string());
        }
    }

    /// Do what a batch of changed paths asks.
    async fn handle(&mut self, changed: &BTreeSet<PathBuf>) -> Result<()> {
        let work = rules::plan(&self.rules, changed);
        if work.is_empty() {
            return Ok(());
        }
        let rebuild: Vec<String> = work
            .iter()
            .filter(|(_, w)| w.rebuild)
            .map(|(s, _)| s.clone())
            .collect();
        if !rebuild.is_empty() {
            self.rebuild(&rebuild).await?;
        }
        for (service, w) in &work {
            if !w.sync.is_empty() {
                self.sync(service, w).await?;
            }
        }
        let restart: Vec<String> = work
            .iter()
            .filter(|(_, w)| w.restart)
            .map(|(s, _)| s.clone())
            .collect();
        if !restart.is_empty() {
            let list = lifecycle::containers_of(self.docker, &self.project.name, &restart).await?;
            let verb = Verb::Restart { timeout: None };
            // The same restart as `rcompose restart`: the services' hooks run around it.
            let hooks = hooks::Hooks::of(Some(self.project), hooks::Output::Quiet);
            lifecycle::apply_with(self.docker, &list, &verb, None, self.progress, &hooks).await?;
            self.log(&format!(
                "service(s) {} restarted",
                rules::quoted_list(&restart)
            ));
        }
        for (service, w) in &work {
            for &rule in &w.exec {
                self.exec(service, rule).await?;
            }
        }
        Ok(())
    }

    async fn sync(&mut self, service: &str, work: &Work) -> Result<()> {
        self.log(&format!(
            "Syncing service {service:?} after {} changes were detected",
            work.sync.len()
        ));
        let containers = self.running(service).await?;
        let mappings: Vec<&Mapping> = work.sync.iter().collect();
        let changes = sync::changes(&self.rules, &mappings)?;
        let failures = sync::apply_all(self.docker, &containers, &changes).await;
        for e in &failures {
            self.warn(&e.to_string());
        }
        Ok(())
    }

    /// Run a `sync+exec` rule's command in every container of the service.
    async fn exec(&self, service: &str, rule: usize) -> Result<()> {
        let Some(hook) = &self.rules[rule].exec else {
            return Ok(());
        };
        let Some(command) = hook.command.as_ref().filter(|c| !c.is_empty()) else {
            return Ok(());
        };
        let containers = self.running(service).await?;
        let how = crate::ops::hooks::exec_as(hook);
        let runs = containers.iter().map(|(id, name)| {
            let how = &how;
            async move {
                let result = sync::run(self.docker, id, name, command, how, true).await;
                (name, result)
            }
        });
        for (name, result) in join_all(runs).await {
            match result {
                Ok((0, _)) => {}
                Ok((code, _)) => self.progress.container(
                    name,
                    Action::Warning(format!(
                        "exec `{}` of the watch rule exited with {code}",
                        command.join(" ")
                    )),
                ),
                Err(e) => self
                    .progress
                    .container(name, Action::Warning(e.to_string())),
            }
        }
        Ok(())
    }

    /// Rebuild the images of `services`, then recreate the services that use them (with as many
    /// replicas as they have) and copy their files in.
    async fn rebuild(&mut self, services: &[String]) -> Result<()> {
        self.log(&format!(
            "Rebuilding service(s) {} after changes were detected...",
            rules::quoted_list(services)
        ));
        let built = match build::build_services(
            self.docker,
            self.project,
            &self.options.environment,
            services,
            &self.options.build,
            self.progress,
        )
        .await
        {
            Ok(built) => built,
            Err(e) => {
                self.log(&format!("Build failed. Error: {e}"));
                return Ok(());
            }
        };
        if self.options.prune {
            self.prune(&built).await;
        }
        self.log(&format!(
            "service(s) {} successfully built",
            rules::quoted_list(services)
        ));
        let users: Vec<String> = self
            .project
            .services
            .iter()
            .filter(|(name, s)| built.contains_key(&s.image_name(&self.project.name, name)))
            .map(|(name, _)| name.clone())
            .collect();
        let existing = lifecycle::containers_of(self.docker, &self.project.name, &users).await?;
        let mut scale: BTreeMap<String, u32> = BTreeMap::new();
        for c in &existing {
            *scale.entry(c.service.clone()).or_default() += 1;
        }
        let options = up::Options {
            plan: plan::Options {
                recreate: RecreatePolicy::Force,
                services: users.clone(),
                no_deps: true,
                ..plan::Options::default()
            },
            scale,
            parallel: self.options.parallel,
            images: up_images::Options {
                build_mode: BuildMode::Never,
                environment: self.options.environment.clone(),
                ..up_images::Options::default()
            },
            ..up::Options::default()
        };
        let converged = match up::up(
            self.docker,
            self.project,
            self.context,
            &options,
            self.progress,
            self.events,
        )
        .await
        {
            Ok(converged) => converged,
            Err(e) => {
                self.log(&format!(
                    "Failed to recreate services after update. Error: {e}"
                ));
                return Ok(());
            }
        };
        for (service, containers) in &converged.containers {
            self.full_sync(service, containers, false).await?;
        }
        Ok(())
    }

    /// Remove the project's dangling images, but for those just built.
    async fn prune(&self, built: &BTreeMap<String, String>) {
        let mut filters = labels::project_filter(&self.project.name);
        filters.insert("dangling".to_string(), vec!["true".to_string()]);
        let options = ListImagesOptionsBuilder::default()
            .filters(&filters)
            .build();
        let Ok(images) = self.docker.list_images(Some(options)).await else {
            return;
        };
        let keep: HashSet<&String> = built.values().collect();
        for image in images {
            if keep.contains(&image.id) {
                continue;
            }
            let options = RemoveImageOptionsBuilder::default().build();
            // One still used by a container (a stopped one) is kept: the engine refuses.
            let _ = self
                .docker
                .remove_image(&image.id, Some(options), None)
                .await;
        }
    }
}
