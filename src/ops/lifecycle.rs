//! `start`, `stop`, `restart`, `kill`, `rm`, `pause`, `unpause` on the project's existing
//! containers: when starting, each service once its dependencies hold their depends_on
//! conditions; dependents first when stopping, parallel within a wave.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use bollard::Docker;
use bollard::query_parameters::RestartContainerOptionsBuilder;
use futures_util::future::join_all;
use tokio::sync::watch;

use crate::engine::events::Subscription;
use crate::engine::observe::{self, ObservedContainer, State};
use crate::engine::{containers, errors, labels};
use crate::error::{Error, Result};
use crate::ops::down::{label_graph, remove_containers, stop_waves};
use crate::ops::plan::{Condition, Dependency};
use crate::ops::up::{Waits, wait_dependency};
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

/// The containers grouped in start order: dependencies before dependents.
fn start_waves(list: &[ObservedContainer]) -> Vec<Vec<&ObservedContainer>> {
    let graph = label_graph(list);
    let waves =
        crate::graph::waves(&graph).unwrap_or_else(|_| vec![graph.keys().cloned().collect()]);
    waves
        .iter()
        .map(|wave| {
            list.iter()
                .filter(|c| wave.contains(&c.service))
                .collect::<Vec<_>>()
        })
        .filter(|w| !w.is_empty())
        .collect()
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

/// Apply `verb` to `list`.
pub async fn apply(
    docker: &Docker,
    list: &[ObservedContainer],
    verb: &Verb,
    progress: &Progress,
) -> Result<()> {
    let waves = match verb {
        Verb::Start => return start(docker, list, progress).await,
        // Restarting goes in dependency order too, so that a dependent (`restart: true`)
        // comes back after what it depends on.
        Verb::Unpause | Verb::Restart { .. } => start_waves(list),
        _ => stop_waves(list),
    };
    for wave in waves {
        let results = join_all(wave.into_iter().map(|c| one(docker, c, verb, progress))).await;
        for r in results {
            r?;
        }
    }
    Ok(())
}

/// The dependencies a container's depends_on label names (`db:service_healthy:false,...`).
pub fn label_dependencies(c: &ObservedContainer) -> Vec<Dependency> {
    c.label(labels::DEPENDS_ON)
        .unwrap_or("")
        .split(',')
        .filter_map(|item| {
            let mut fields = item.split(':');
            let service = fields.next().filter(|s| !s.is_empty())?;
            let condition = match fields.next() {
                Some("service_healthy") => Condition::Healthy,
                Some("service_completed_successfully") => Condition::CompletedSuccessfully,
                _ => Condition::Started,
            };
            Some(Dependency {
                service: service.to_string(),
                condition,
                required: true,
                restart: fields.next() == Some("true"),
            })
        })
        .collect()
}

/// `start`: each service as soon as its dependencies among `list` are started and meet their
/// depends_on condition (healthy, completed) as the engine's events report it — as `up` does.
async fn start(docker: &Docker, list: &[ObservedContainer], progress: &Progress) -> Result<()> {
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
    let mut services: BTreeMap<&str, Vec<Dependency>> = BTreeMap::new();
    for c in list {
        let deps = services.entry(c.service.as_str()).or_default();
        for dep in label_dependencies(c) {
            if !deps.iter().any(|d| d.service == dep.service) {
                deps.push(dep);
            }
        }
    }
    let names: BTreeMap<String, Vec<String>> = services
        .iter()
        .map(|(s, deps)| {
            (
                s.to_string(),
                deps.iter().map(|d| d.service.clone()).collect(),
            )
        })
        .collect();
    let ordered = crate::graph::waves(&names).is_ok();
    let started: HashMap<&str, watch::Sender<Option<bool>>> = services
        .keys()
        .map(|s| (*s, watch::channel(None).0))
        .collect();
    let tasks = services.iter().map(|(service, deps)| {
        let (started, waits) = (&started, &waits);
        async move {
            let result = async {
                for dep in deps.iter().filter(|_| ordered) {
                    let Some(sender) = started.get(dep.service.as_str()) else {
                        continue;
                    };
                    let mut receiver = sender.subscribe();
                    let done = receiver.wait_for(Option::is_some).await.map(|r| *r);
                    if !matches!(done, Ok(Some(true))) {
                        return Err(Error::new(format!(
                            "service \"{service}\" was not started: its dependency \"{}\" failed",
                            dep.service
                        )));
                    }
                    let theirs: Vec<(String, String)> = list
                        .iter()
                        .filter(|c| c.service == dep.service)
                        .map(|c| (c.id.clone(), c.name.clone()))
                        .collect();
                    wait_dependency(waits, &theirs, service, dep).await?;
                }
                let mine = list.iter().filter(|c| c.service == *service);
                let results = join_all(mine.map(|c| one(docker, c, &Verb::Start, progress))).await;
                results.into_iter().collect::<Result<Vec<()>>>().map(|_| ())
            }
            .await;
            if let Some(sender) = started.get(service) {
                sender.send_replace(Some(result.is_ok()));
            }
            result
        }
    });
    let mut first = None;
    for result in join_all(tasks).await {
        if let Err(e) = result {
            // The dependency's own failure says more than its dependents giving up.
            if first.is_none() || !e.message.contains("was not started: its dependency") {
                first = Some(e);
            }
        }
    }
    first.map_or(Ok(()), Err)
}

async fn one(
    docker: &Docker,
    c: &ObservedContainer,
    verb: &Verb,
    progress: &Progress,
) -> Result<()> {
    let name = c.name.as_str();
    match verb {
        Verb::Start => {
            if c.state == State::Running {
                return Ok(());
            }
            progress.container(name, Action::Starting);
            containers::start(docker, &c.id, name).await?;
            progress.container(name, Action::Started);
        }
        Verb::Stop { timeout } => {
            if !c.state.is_up() {
                return Ok(());
            }
            progress.container(name, Action::Stopping);
            containers::stop(docker, &c.id, name, *timeout).await?;
            progress.container(name, Action::Stopped);
        }
        Verb::Restart { timeout } => {
            progress.container(name, Action::Restarting);
            let mut options = RestartContainerOptionsBuilder::default();
            if let Some(t) = timeout {
                options = options.t(i32::try_from(*t).unwrap_or(i32::MAX));
            }
            docker
                .restart_container(&c.id, Some(options.build()))
                .await
                .map_err(|e| {
                    errors::engine_error(format!("cannot restart container {name}"), &e)
                })?;
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
    progress: &Progress,
) -> Result<usize> {
    // Like docker compose, running containers are left alone without --stop.
    let doomed: Vec<ObservedContainer> = list
        .iter()
        .filter(|c| stop || !c.state.is_up())
        .cloned()
        .collect();
    remove_containers(docker, &doomed, None, volumes, progress).await?;
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
