//! Operations on a project, one file each: the convergence [`plan`], and the operations that
//! execute it or act on the project's containers and images.

pub mod attach;
pub mod attach_service;
pub mod build;
pub mod commit;
pub mod cp;
pub mod down;
pub mod events;
pub mod exec;
pub mod graph;
pub mod hooks;
pub mod images;
pub mod lifecycle;
pub mod logs;
pub mod ls;
pub mod plan;
pub mod port;
pub mod ps;
pub mod pull;
pub mod push;
pub mod reconcile;
pub mod run;
pub mod select;
pub mod session;
pub mod stats;
pub mod table;
pub mod top;
pub mod up;
pub mod up_images;
pub mod volumes;
pub mod wait;
pub mod walk;
pub mod watch;

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::project::model::Project;

/// The warning about orphan containers (of services no longer in the compose file) as docker
/// compose words it, unless there are none or `COMPOSE_IGNORE_ORPHANS` says not to.
pub fn orphans_warning(names: &[&str]) -> Option<String> {
    let ignored = std::env::var("COMPOSE_IGNORE_ORPHANS")
        .is_ok_and(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes"));
    if names.is_empty() || ignored {
        return None;
    }
    Some(format!(
        "Found orphan containers ([{}]) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.",
        names.join(" ")
    ))
}

/// The orphans of project `project` ([`plan::is_orphan`]: containers of services it no longer
/// declares and exited one-offs): stopped and removed when `remove` (`--remove-orphans`), else
/// warned about. Left alone when `ignore` (`COMPOSE_IGNORE_ORPHANS`).
pub async fn handle_orphans(
    docker: &bollard::Docker,
    project: &Project,
    remove: bool,
    ignore: bool,
    progress: &crate::progress::Progress,
) -> Result<()> {
    use crate::engine::observe;
    if ignore {
        return Ok(());
    }
    let orphans: Vec<_> = observe::project_containers(docker, &project.name)
        .await?
        .into_iter()
        .filter(|c| plan::is_orphan(c, |s| project.services.contains_key(s)))
        .collect();
    let orphans: Vec<(&str, &str)> = orphans
        .iter()
        .map(|c| (c.id.as_str(), c.name.as_str()))
        .collect();
    settle_orphans(docker, &orphans, remove, progress).await
}

/// Orphan containers (`(id, name)`): stopped and removed when `remove`, else warned about in
/// compose's words ([`orphans_warning`]).
pub async fn settle_orphans(
    docker: &bollard::Docker,
    orphans: &[(&str, &str)],
    remove: bool,
    progress: &crate::progress::Progress,
) -> Result<()> {
    use crate::engine::containers;
    use crate::progress::Action;
    if !remove {
        let names: Vec<&str> = orphans.iter().map(|(_, name)| *name).collect();
        if let Some(warning) = orphans_warning(&names) {
            progress.warn(warning);
        }
        return Ok(());
    }
    for (id, name) in orphans {
        progress.container(name, Action::Removing);
        containers::stop(docker, id, name, None).await?;
        containers::remove(docker, id, name, false, false).await?;
        progress.container(name, Action::Removed);
    }
    Ok(())
}

/// The services an image operation (pull, push, build) acts on: those named (all when none
/// is), with their dependencies when `with_deps`. Sorted; an unknown name is an error.
pub fn select_services(
    project: &Project,
    names: &[String],
    with_deps: bool,
) -> Result<Vec<String>> {
    for name in names {
        if !project.services.contains_key(name) {
            return Err(Error::new(format!("no such service: {name}")));
        }
    }
    if names.is_empty() {
        return Ok(project.services.keys().cloned().collect());
    }
    if !with_deps {
        let mut selected = names.to_vec();
        selected.sort();
        selected.dedup();
        return Ok(selected);
    }
    let deps: BTreeMap<String, Vec<String>> = project
        .services
        .iter()
        .map(|(name, s)| (name.clone(), s.dependency_names()))
        .collect();
    Ok(crate::graph::with_dependencies(&deps, names)
        .into_iter()
        .filter(|s| project.services.contains_key(s))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn project() -> Project {
        let value = json!({
            "name": "app",
            "services": {
                "db": {"image": "db"},
                "api": {"image": "api", "depends_on": {"db": {"condition": "service_started"}}},
                "web": {"build": {"context": "/src"}, "links": ["api"]},
                "tool": {"image": "tool"}
            }
        });
        match Project::from_value(value) {
            Ok(project) => project,
            Err(e) => panic!("{e:?}"),
        }
    }

    #[test]
    fn services_are_selected_with_their_dependencies_on_request() {
        let p = project();
        let all = select_services(&p, &[], false).unwrap();
        assert_eq!(all, ["api", "db", "tool", "web"]);
        let named = select_services(&p, &["web".into()], false).unwrap();
        assert_eq!(named, ["web"]);
        let with_deps = select_services(&p, &["web".into()], true).unwrap();
        assert_eq!(with_deps, ["api", "db", "web"]);
        let unknown = select_services(&p, &["nope".into()], true).unwrap_err();
        assert_eq!(unknown.message, "no such service: nope");
    }
}
