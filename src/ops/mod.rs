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

/// Warn about orphan containers (of services no longer in the compose file) as docker compose
/// words it, unless `COMPOSE_IGNORE_ORPHANS` says not to.
pub fn warn_orphans(names: &[&str]) {
    let ignored = std::env::var("COMPOSE_IGNORE_ORPHANS")
        .is_ok_and(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes"));
    if names.is_empty() || ignored {
        return;
    }
    eprintln!(
        "WARN Found orphan containers ([{}]) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.",
        names.join(" ")
    );
}

/// Stop and remove the containers of project `project` whose service it no longer declares
/// (`--remove-orphans`); one-off containers of declared services stay.
pub async fn remove_orphans(
    docker: &bollard::Docker,
    project: &Project,
    progress: &crate::progress::Progress,
) -> Result<()> {
    use crate::engine::{containers, observe};
    use crate::progress::Action;
    for orphan in observe::project_containers(docker, &project.name)
        .await?
        .into_iter()
        .filter(|c| !project.services.contains_key(&c.service))
    {
        progress.container(&orphan.name, Action::Removing);
        containers::stop(docker, &orphan.id, &orphan.name, None).await?;
        containers::remove(docker, &orphan.id, &orphan.name, false, false).await?;
        progress.container(&orphan.name, Action::Removed);
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
