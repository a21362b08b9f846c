//! `start`, `stop`, `restart`, `kill`, `rm`, `pause`, `unpause` on the project's existing
//! containers: dependencies first when starting, dependents first when stopping, parallel
//! within a wave.

use std::collections::BTreeSet;

use bollard::Docker;
use bollard::query_parameters::RestartContainerOptionsBuilder;
use futures_util::future::join_all;

use crate::engine::observe::{self, ObservedContainer, State};
use crate::engine::{containers, errors};
use crate::error::Result;
use crate::ops::down::{label_graph, remove_containers, stop_waves};
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
        // Restarting goes in dependency order too, so that a dependent (`restart: true`)
        // comes back after what it depends on.
        Verb::Start | Verb::Unpause | Verb::Restart { .. } => start_waves(list),
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
