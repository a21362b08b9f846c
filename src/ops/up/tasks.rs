//! `up`'s work as the walk sees it: per service, a creation step and a converge step, and
//! what each waits for.

use std::collections::BTreeMap;

use crate::ops::plan::Plan;
use crate::ops::walk::Prerequisite;
use crate::project::model::Project;

/// What `up` does for a service, in two steps the walk orders: create its new containers
/// (ahead: as soon as the services they refer to at creation have converged), then converge
/// it (once created and once its own dependencies have converged, wait for their conditions,
/// then start, recreate, restart or remove).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Task {
    Create(String),
    Converge(String),
}

impl Task {
    pub(super) fn service(&self) -> &str {
        match self {
            Task::Create(s) | Task::Converge(s) => s,
        }
    }
}

impl std::fmt::Display for Task {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.service())
    }
}

/// The tasks of `plan` and what each waits for. A creation needs the services it refers to
/// (`service:X` modes, volumes_from, links) converged; converging needs the creation and the
/// service's dependencies converged (an optional one's failure does not stop it).
pub(super) fn tasks(project: &Project, plan: &Plan) -> BTreeMap<Task, Vec<Prerequisite<Task>>> {
    let mut tasks = BTreeMap::new();
    for service in plan.services() {
        let name = &service.service;
        let at_creation: Vec<Prerequisite<Task>> = project
            .services
            .get(name)
            .map(|s| s.creation_dependency_names())
            .unwrap_or_default()
            .into_iter()
            .filter(|dep| plan.graph.contains(dep))
            .map(|dep| (Task::Converge(dep), true))
            .collect();
        tasks.insert(Task::Create(name.clone()), at_creation);
        let mut before_start = vec![(Task::Create(name.clone()), true)];
        before_start.extend(
            service
                .wait_for
                .iter()
                .map(|(dep, how)| (Task::Converge(dep.clone()), how.required)),
        );
        tasks.insert(Task::Converge(name.clone()), before_start);
    }
    tasks
}
