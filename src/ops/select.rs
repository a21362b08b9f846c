//! Which container a verb that names one service acts on (`exec`, `attach`, `port`, `commit`,
//! `export`, `cp --index`, `logs --index`), with docker compose's rules: without `--index`,
//! the lowest-numbered replica, and a one-off (`run`) container only when no replica
//! qualifies; with `--index N`, replica N (one-offs have no number).

use bollard::Docker;

use crate::engine::observe::{self, ObservedContainer};
use crate::error::{Error, Result};

/// Whether one-off containers may be chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OneOff {
    Include,
    Exclude,
}

/// What the verb needs of the container.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    pub one_off: OneOff,
    /// Only containers that are up (running, paused or restarting), as `docker ps` lists them.
    pub running: bool,
}

/// `exec`, `attach`, `port`, `commit`, `export`: a running container, one-offs included.
pub const RUNNING: Rule = Rule {
    one_off: OneOff::Include,
    running: true,
};

/// `cp --index`, `logs --index`: a replica in any state.
pub const ANY_REPLICA: Rule = Rule {
    one_off: OneOff::Exclude,
    running: false,
};

/// The container of `service` that `rule` and `index` designate in the project.
pub async fn container(
    docker: &Docker,
    project: &str,
    service: &str,
    index: Option<u32>,
    rule: Rule,
) -> Result<ObservedContainer> {
    let all = observe::project_containers(docker, project).await?;
    choose(all, service, index, rule)
}

/// Every container of `service`, replicas by number first (`cp` into a scaled service).
pub async fn every(
    docker: &Docker,
    project: &str,
    service: &str,
    one_off: OneOff,
) -> Result<Vec<ObservedContainer>> {
    let all = observe::project_containers(docker, project).await?;
    let list = ordered(all, service, one_off);
    if list.is_empty() {
        return Err(
            Error::new(format!("no container found for service \"{service}\""))
                .with_hint(format!("create it with `rcompose up -d {service}`")),
        );
    }
    Ok(list)
}

/// The containers of `service` that `one_off` admits: replicas by number, then one-offs,
/// the newest first.
fn ordered(
    containers: Vec<ObservedContainer>,
    service: &str,
    one_off: OneOff,
) -> Vec<ObservedContainer> {
    let mut list: Vec<ObservedContainer> = containers
        .into_iter()
        .filter(|c| c.service == service)
        .filter(|c| one_off == OneOff::Include || !c.oneoff)
        .collect();
    list.sort_by(|a, b| {
        (a.oneoff, a.number, -a.created, &a.name).cmp(&(b.oneoff, b.number, -b.created, &b.name))
    });
    list
}

/// The choice itself, over the project's containers (pure).
pub fn choose(
    containers: Vec<ObservedContainer>,
    service: &str,
    index: Option<u32>,
    rule: Rule,
) -> Result<ObservedContainer> {
    // `--index 0` is docker compose's "no index".
    let index = index.filter(|n| *n > 0);
    let of_service = ordered(containers, service, rule.one_off);
    let stopped = of_service.iter().find(|c| !c.state.is_up()).cloned();
    let mut candidates = of_service
        .into_iter()
        .filter(|c| !rule.running || c.state.is_up())
        .filter(|c| index.is_none_or(|n| !c.oneoff && c.number == n));
    if let Some(first) = candidates.next() {
        return Ok(first);
    }
    let error = match (index, rule.running) {
        (Some(n), true) => Error::new(format!(
            "service \"{service}\" is not running container #{n}"
        )),
        (Some(n), false) => {
            Error::new(format!("service \"{service}\" has no container number {n}"))
                .with_hint("`rcompose ps -a` lists the containers and their numbers")
        }
        (None, true) => Error::new(format!("service \"{service}\" is not running")),
        (None, false) => Error::new(format!("no container found for service \"{service}\"")),
    };
    Err(match (rule.running, stopped) {
        (true, Some(c)) => error.with_hint(format!(
            "container {} is {}: start it with `rcompose start {service}`",
            c.name,
            c.state_text()
        )),
        (true, None) => error.with_hint(format!("start it with `rcompose up -d {service}`")),
        (false, _) => error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::observe::State;

    fn container(
        name: &str,
        number: u32,
        oneoff: bool,
        state: State,
        created: i64,
    ) -> ObservedContainer {
        ObservedContainer {
            id: format!("id-{name}"),
            name: name.to_string(),
            project: "p".to_string(),
            service: "web".to_string(),
            number,
            oneoff,
            config_hash: None,
            state,
            health: None,
            exit_code: None,
            status: String::new(),
            image: String::new(),
            image_id: String::new(),
            command: String::new(),
            created,
            ports: vec![],
            labels: Default::default(),
            networks: vec![],
            mounts: vec![],
            local_volumes: 0,
        }
    }

    #[test]
    fn lowest_running_replica_first_then_the_newest_one_off() {
        let list = vec![
            container("run-old", 0, true, State::Running, 1),
            container("web-2", 2, false, State::Running, 5),
            container("run-new", 0, true, State::Running, 9),
            container("web-1", 1, false, State::Exited, 3),
        ];
        let chosen = choose(list.clone(), "web", None, RUNNING).unwrap();
        assert_eq!(chosen.name, "web-2");
        let only_one_offs: Vec<_> = list.iter().filter(|c| c.oneoff).cloned().collect();
        assert_eq!(
            choose(only_one_offs, "web", None, RUNNING).unwrap().name,
            "run-new"
        );
        // --index never designates a one-off.
        let error = choose(list.clone(), "web", Some(1), RUNNING).unwrap_err();
        assert_eq!(error.message, "service \"web\" is not running container #1");
        assert_eq!(
            choose(list.clone(), "web", Some(1), ANY_REPLICA)
                .unwrap()
                .name,
            "web-1"
        );
        let error = choose(list, "web", Some(3), ANY_REPLICA).unwrap_err();
        assert_eq!(error.message, "service \"web\" has no container number 3");
    }

    #[test]
    fn nothing_running_says_so() {
        let list = vec![container("web-1", 1, false, State::Exited, 3)];
        let error = choose(list, "web", None, RUNNING).unwrap_err();
        assert_eq!(error.message, "service \"web\" is not running");
        let error = choose(vec![], "web", None, ANY_REPLICA).unwrap_err();
        assert_eq!(error.message, "no container found for service \"web\"");
    }
}
