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

/// How far a verb reaches from the services it names (all of them when none is named).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// The named services only: `stop`, `kill`, `pause`, `unpause`, `rm`, `restart --no-deps`.
    Named,
    /// With what they depend on, transitively: `start` starts stopped dependencies first.
    WithDependencies,
    /// With the services that depend on them with `restart: true`, transitively: `restart`.
    /// Only those edges are followed (and waited on), as with docker compose.
    WithRestartDependents,
}

/// What a verb acts on: the chosen services with their dependencies among them (the graph
/// the walk follows), and their containers (one-offs excluded).
#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub graph: ServiceGraph,
    pub containers: Vec<ObservedContainer>,
}

impl Selection {
    /// The containers given, in the graph their labels describe.
    pub fn of_containers(containers: Vec<ObservedContainer>) -> Selection {
        Selection {
            graph: ServiceGraph::of_containers(&containers),
            containers,
        }
    }

    /// The chosen services, in name order.
    pub fn services(&self) -> Vec<String> {
        self.graph.services().map(str::to_string).collect()
    }
}

/// The one rule by which every lifecycle verb picks its services: the scope is the loaded
/// project's graph (a `-f` file names its own services, profiles applied) or, with no compose
/// file, the graph the containers' labels describe; no names means the whole scope; names
/// reach as far as `reach` says. Pure.
pub fn choose(scope: &ServiceGraph, named: &[String], reach: Reach) -> ServiceGraph {
    let graph = match reach {
        Reach::WithRestartDependents => scope.restart_edges(),
        Reach::Named | Reach::WithDependencies => scope.clone(),
    };
    if named.is_empty() {
        return graph;
    }
    let keep: BTreeSet<String> = match reach {
        Reach::Named => named.iter().cloned().collect(),
        Reach::WithDependencies => graph.with_dependencies(named),
        Reach::WithRestartDependents => graph.with_dependents(named),
    };
    graph.only(&keep)
}

/// The selection of `project_name`'s containers for a verb naming `named` (see [`choose`]);
/// `project` is the loaded project, when there is a compose file.
pub async fn select(
    docker: &Docker,
    project_name: &str,
    project: Option<&Project>,
    named: &[String],
    reach: Reach,
) -> Result<Selection> {
    let all = containers_of(docker, project_name, &[]).await?;
    let scope = match project {
        Some(project) => ServiceGraph::from_project(project),
        None => ServiceGraph::of_containers(&all),
    };
    let graph = choose(&scope, named, reach);
    let containers = all
        .into_iter()
        .filter(|c| graph.contains(&c.service))
        .collect();
    Ok(Selection { graph, containers })
}

/// Apply `verb` to `list` (in the graph of their labels), at most `limit` services at a time
/// (no hooks run).
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
    let selection = Selection::of_containers(list.to_vec());
    run(docker, &selection, verb, limit, progress, hooks).await
}

/// Apply `verb` to the selection, walking its graph, at most `limit` services at a time,
/// running the services' lifecycle `hooks` around starts and stops.
pub async fn run(
    docker: &Docker,
    selection: &Selection,
    verb: &Verb,
    limit: Option<usize>,
    progress: &Progress,
    hooks: &Hooks<'_>,
) -> Result<()> {
    let direction = match verb {
        Verb::Start | Verb::Restart { .. } => {
            return bring_up(docker, selection, verb, limit, progress, hooks).await;
        }
        Verb::Unpause => Direction::Forward,
        Verb::Stop { .. } | Verb::Kill { .. } | Verb::Pause => Direction::Reverse,
    };
    let list = &selection.containers;
    walk::walk(&selection.graph, direction, limit, |service| async move {
        let mine = list.iter().filter(|c| c.service == service);
        let results = join_all(mine.map(|c| one(docker, c, verb, progress, hooks))).await;
        results.into_iter().collect::<Result<Vec<()>>>().map(|_| ())
    })
    .await?
    .into_result()
}

/// `start` and `restart`: each service as soon as its dependencies in the selection are up and
/// meet their depends_on condition (healthy, completed) as the engine's events report it — as
/// `up` does.
async fn bring_up(
    docker: &Docker,
    selection: &Selection,
    verb: &Verb,
    limit: Option<usize>,
    progress: &Progress,
    hooks: &Hooks<'_>,
) -> Result<()> {
    let list = &selection.containers;
    let Some(project) = list.first().map(|c| c.project.clone()) else {
        return Ok(());
    };
    let events = Subscription::start(docker, &project);
    let waits = Waits {
        docker,
        events: &events,
        progress,
        deadline: None,
        budget: None,
    };
    let graph = &selection.graph;
    let waits = &waits;
    walk::walk(graph, Direction::Forward, limit, |service| async move {
        for (dep, how) in graph.dependencies(&service) {
            let theirs: Vec<(String, String)> = list
                .iter()
                .filter(|c| c.service == dep)
                .map(|c| (c.id.clone(), c.name.clone()))
                .collect();
            waits.dependency(&theirs, &service, dep, how).await?;
        }
        // pre_start (`start` only): once, when none of the service's containers runs (the
        // lowest number).
        let mine: Vec<&ObservedContainer> = list.iter().filter(|c| c.service == service).collect();
        if matches!(verb, Verb::Start)
            && hooks.has_pre_start(&service)
            && mine.iter().all(|c| c.state != State::Running)
            && let Some(first) = mine.iter().min_by_key(|c| c.number)
        {
            hooks.pre_start(docker, &service, &first.id).await?;
        }
        let mine = mine.into_iter();
        let results = join_all(mine.map(|c| one(docker, c, verb, progress, hooks))).await;
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
            // A stopped container is "Stopped" again, as docker compose reports it.
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
            // docker compose's word after a restart.
            progress.container(name, Action::Started);
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
            // A paused container is the engine's to refuse ("already paused"), as with
            // docker compose; a stopped one has nothing to pause.
            if !c.state.is_up() {
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

    fn graph() -> ServiceGraph {
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
        match Project::from_value(value) {
            Ok(project) => ServiceGraph::from_project(&project),
            Err(e) => panic!("{e:?}"),
        }
    }

    fn names(graph: &ServiceGraph) -> Vec<&str> {
        graph.services().collect()
    }

    #[test]
    fn restart_takes_restart_true_dependents_along_transitively() {
        let scope = graph();
        let chosen = choose(&scope, &["db".to_string()], Reach::WithRestartDependents);
        assert_eq!(names(&chosen), ["api", "db", "web"]);
        // Only the `restart: true` edges are walked (and waited on).
        assert_eq!(chosen.dependencies("api").count(), 1);
        let chosen = choose(&scope, &["web".to_string()], Reach::WithRestartDependents);
        assert_eq!(names(&chosen), ["web"]);
        let all = choose(&scope, &[], Reach::WithRestartDependents);
        assert_eq!(all.dependencies("report").count(), 0);
    }

    #[test]
    fn start_takes_dependencies_and_stop_only_the_named() {
        let scope = graph();
        let named = ["web".to_string()];
        assert_eq!(
            names(&choose(&scope, &named, Reach::WithDependencies)),
            ["api", "db", "web"]
        );
        assert_eq!(names(&choose(&scope, &named, Reach::Named)), ["web"]);
        assert_eq!(
            names(&choose(&scope, &[], Reach::Named)),
            ["api", "db", "report", "tool", "web"]
        );
    }
}
