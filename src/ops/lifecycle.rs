//! `start`, `stop`, `restart`, `kill`, `rm`, `pause`, `unpause` on the project's existing
//! containers, one walk of their services ([`crate::ops::walk`], the graph read from their
//! labels): when starting, each service once its dependencies hold their depends_on
//! conditions; when stopping, each service as soon as its dependents are down.

use std::collections::BTreeSet;

use bollard::Docker;
use futures_util::future::join_all;

use crate::engine::containers;
use crate::engine::events::Subscription;
use crate::engine::observe::{self, ObservedContainer, State};
use crate::error::Result;
use crate::graph::ServiceGraph;
use crate::ops::down::remove_containers;
use crate::ops::hooks::Hooks;
use crate::ops::wait::Waits;
use crate::ops::walk::{self, Direction};
use crate::progress::{Action, Progress};
use crate::project::model::Project;

/// What to do to each container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verb {
    Start,
    Stop { timeout: Option<i64> },
    Restart { timeout: Option<i64> },
    Kill { signal: String },
    Pause,
    Unpause,
}

/// The project's service containers, limited to `services` (all when empty).
pub async fn containers_of(
    docker: &Docker,
    project: &str,
    services: &[String],
) -> Result<Vec<ObservedContainer>> {
    let all = observe::project_containers(docker, project).await?;
    Ok(all
        .into_iter()
        .filter(|c| !c.oneoff && (services.is_empty() || services.contains(&c.service)))
        .collect())
}

/// `services` and, transitively, the services that depend on one of them with `restart: true`:
/// what `restart SERVICE` restarts, as with docker compose. Sorted.
pub fn with_restart_dependents(project: &Project, services: &[String]) -> Vec<String> {
    let mut chosen: BTreeSet<String> = services.iter().cloned().collect();
    loop {
        let more: Vec<String> = project
            .services
            .iter()
            .filter(|(name, _)| !chosen.contains(*name))
            .filter(|(_, s)| {
                s.depends_on
                    .iter()
                    .any(|(dep, how)| how.restart && chosen.contains(dep))
            })
            .map(|(name, _)| name.clone())
            .collect();
        if more.is_empty() {
            return chosen.into_iter().collect();
        }
        chosen.extend(more);
    }
}

/// Apply `verb` to `list`, at most `limit` services at a time (no hooks run).
pub async fn apply(
    docker: &Docker,
    list: &[ObservedContainer],
    verb: &Verb,
    limit: Option<usize>,
    progress: &Progress,
) -> Result<()> {
    apply_with(docker, list, verb, limit, progress, &Hooks::none()).await
}

/// [`apply`], running the services' lifecycle `hooks` around starts and stops.
pub async fn apply_with(
    docker: &Docker,
    list: &[ObservedContainer],
    verb: &Verb,
    limit: Option<usize>,
    progress: &Progress,
    hooks: &Hooks<'_>,
) -> Result<()> {
    let direction = match verb {
        Verb::Start => return start(docker, list, limit, progress, hooks).await,
        // Restarting goes in dependency order too, so that a dependent (`restart: true`)
        // comes back after what it depends on.
        Verb::Unpause | Verb::Restart { .. } => Direction::Forward,
        Verb::Stop { .. } | Verb::Kill { .. } | Verb::Pause => Direction::Reverse,
    };
    let graph = ServiceGraph::of_containers(list);
    walk::walk(&graph, direction, limit, |service| async move {
        let mine = list.iter().filter(|c| c.service == service);
        let results = join_all(mine.map(|c| one(docker, c, verb, progress, hooks))).await;
        results.into_iter().collect::<Result<Vec<()>>>().map(|_| ())
    })
    .await?
    .into_result()
}

/// `start`: each service as soon as its dependencies among `list` are started and meet their
/// depends_on condition (healthy, completed) as the engine's events report it — as `up` does.
async fn start(
    docker: &Docker,
    list: &[ObservedContainer],
    limit: Option<usize>,
    progress: &Progress,
    hooks: &Hooks<'_>,
) -> Result<()> {
    let Some(project) = list.first().map(|c| c.project.clone()) else {
        return Ok(());
    };
    let events = Subscription::start(docker, &project);
    let waits = Waits {
        docker,
        events: &events,
        progress,
        deadline: None,
    };
    let graph = ServiceGraph::of_containers(list);
    let (graph, waits) = (&graph, &waits);
    walk::walk(graph, Direction::Forward, limit, |service| async move {
        for (dep, how) in graph.dependencies(&service) {
            let theirs: Vec<(String, String)> = list
                .iter()
                .filter(|c| c.service == dep)
                .map(|c| (c.id.clone(), c.name.clone()))
                .collect();
            waits.dependency(&theirs, &service, dep, how).await?;
        }
        // pre_start: once, when none of the service's containers runs (the lowest number).
        let mine: Vec<&ObservedContainer> = list.iter().filter(|c| c.service == service).collect();
        if hooks.has_pre_start(&service)
            && mine.iter().all(|c| c.state != State::Running)
            && let Some(first) = mine.iter().min_by_key(|c| c.number)
        {
            hooks.pre_start(docker, &service, &first.id).await?;
        }
        let mine = mine.into_iter();
        let results = join_all(mine.map(|c| one(docker, c, &Verb::Start, progress, hooks))).await;
        results.into_iter().collect::<Result<Vec<()>>>().map(|_| ())
    })
    .await?
    .into_result()
}

async fn one(
    docker: &Docker,
    c: &ObservedContainer,
    verb: &Verb,
    progress: &Progress,
    hooks: &Hooks<'_>,
) -> Result<()> {
    let name = c.name.as_str();
    match verb {
        Verb::Start => {
            if c.state == State::Running {
                return Ok(());
            }
            progress.container(name, Action::Starting);
            containers::start(docker, &c.id, name).await?;
            hooks.post_start(docker, &c.service, &c.id, name).await?;
            progress.container(name, Action::Started);
        }
        Verb::Stop { timeout } => {
            // A container that is not running is "stopped" too, as docker compose tells it.
            progress.container(name, Action::Stopping);
            if c.state.is_up() {
                hooks.pre_stop(docker, &c.service, &c.id, name).await?;
                containers::stop(docker, &c.id, name, *timeout).await?;
            }
            progress.container(name, Action::Stopped);
        }
        Verb::Restart { timeout } => {
            if c.state.is_up() {
                hooks.pre_stop(docker, &c.service, &c.id, name).await?;
            }
            progress.container(name, Action::Restarting);
            containers::restart(docker, &c.id, name, *timeout).await?;
            hooks.post_start(docker, &c.service, &c.id, name).await?;
            progress.container(name, Action::Restarted);
        }
        Verb::Kill { signal } => {
            if !c.state.is_up() {
                return Ok(());
            }
            progress.container(name, Action::Killing);
            containers::kill(docker, &c.id, name, signal).await?;
            progress.container(name, Action::Killed);
        }
        Verb::Pause => {
            if c.state != State::Running {
                return Ok(());
            }
            progress.container(name, Action::Pausing);
            containers::pause(docker, &c.id, name).await?;
            progress.container(name, Action::Paused);
        }
        Verb::Unpause => {
            if c.state != State::Paused {
                return Ok(());
            }
            progress.container(name, Action::Unpausing);
            containers::unpause(docker, &c.id, name).await?;
            progress.container(name, Action::Unpaused);
        }
    }
    Ok(())
}

/// `rm`: remove stopped containers (`stop` first stops running ones); returns how many went.
/// Without `stop`, running containers stay, as with docker compose.
pub async fn rm(
    docker: &Docker,
    list: &[ObservedContainer],
    stop: bool,
    volumes: bool,
    limit: Option<usize>,
    progress: &Progress,
) -> Result<usize> {
    // Like docker compose, running containers are left alone without --stop.
    let doomed: Vec<ObservedContainer> = list
        .iter()
        .filter(|c| stop || !c.state.is_up())
        .cloned()
        .collect();
    remove_containers(
        docker,
        &doomed,
        None,
        volumes,
        limit,
        progress,
        &Hooks::none(),
    )
    .await?;
    Ok(doomed.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn restart_takes_restart_true_dependents_along_transitively() {
        let value = json!({
            "name": "app",
            "services": {
                "db": {"image": "db"},
                "api": {"image": "api", "depends_on": {"db": {"condition": "service_started", "restart": true}}},
                "web": {"image": "web", "depends_on": {"api": {"condition": "service_started", "restart": true}}},
                "report": {"image": "report", "depends_on": {"db": {"condition": "service_started"}}},
                "tool": {"image": "tool"}
            }
        });
        let project = match Project::from_value(value) {
            Ok(project) => project,
            Err(e) => panic!("{e:?}"),
        };
        assert_eq!(
            with_restart_dependents(&project, &["db".to_string()]),
            ["api", "db", "web"]
        );
        assert_eq!(
            with_restart_dependents(&project, &["web".to_string()]),
            ["web"]
        );
    }
}
