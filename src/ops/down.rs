//! `down`: stop and remove the project's containers in reverse dependency order (each service
//! as soon as its dependents are gone), then its networks, and with `-v` its volumes, with
//! `--rmi` its images.

use std::collections::BTreeSet;

use bollard::Docker;
use futures_util::future::join_all;

use crate::engine::observe::{self, ObservedContainer};
use crate::engine::{containers, images, resources};
use crate::error::Result;
use crate::graph::ServiceGraph;
use crate::ops::hooks::{self, Hooks};
use crate::ops::walk::{self, Direction};
use crate::progress::{Action, Kind, Progress};
use crate::project::model::Project;

/// Which images `--rmi` removes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RemoveImages {
    /// Images without a custom tag (those named after the project, built by compose).
    Local,
    All,
}

#[derive(Clone, Debug, Default)]
pub struct Options {
    pub volumes: bool,
    pub remove_orphans: bool,
    pub images: Option<RemoveImages>,
    /// Seconds to wait for a stop before killing.
    pub timeout: Option<i64>,
    /// `--parallel`: how many services go at once (`None`: no bound).
    pub parallel: Option<usize>,
}

/// Stop (if running) and remove `list`, walking its services in reverse: the containers of
/// each service as soon as those of the services depending on it are gone. A service whose
/// dependent could not be removed stays.
pub async fn remove_containers(
    docker: &Docker,
    list: &[ObservedContainer],
    timeout: Option<i64>,
    volumes: bool,
    limit: Option<usize>,
    progress: &Progress,
    hooks: &Hooks<'_>,
) -> Result<()> {
    let graph = ServiceGraph::of_containers(list);
    walk::walk(&graph, Direction::Reverse, limit, |service| async move {
        let mine = list.iter().filter(|c| c.service == service);
        let removed =
            join_all(mine.map(|c| remove_one(docker, c, timeout, volumes, progress, hooks))).await;
        removed.into_iter().collect::<Result<Vec<()>>>().map(|_| ())
    })
    .await?
    .into_result()
}

/// Stop container `c` if it runs, then remove it.
async fn remove_one(
    docker: &Docker,
    c: &ObservedContainer,
    timeout: Option<i64>,
    volumes: bool,
    progress: &Progress,
    hooks: &Hooks<'_>,
) -> Result<()> {
    if c.state.is_up() {
        progress.container(&c.name, Action::Stopping);
        hooks.pre_stop(docker, &c.service, &c.id, &c.name).await?;
        containers::stop(docker, &c.id, &c.name, timeout).await?;
        progress.container(&c.name, Action::Stopped);
    }
    progress.container(&c.name, Action::Removing);
    containers::remove(docker, &c.id, &c.name, true, volumes).await?;
    progress.container(&c.name, Action::Removed);
    Ok(())
}

/// Take the project `name` down. `project` is the loaded model when a compose file was found.
pub async fn down(
    docker: &Docker,
    name: &str,
    project: Option<&Project>,
    options: &Options,
    progress: &Progress,
) -> Result<()> {
    let all = observe::project_containers(docker, name).await?;
    let (ours, orphans): (Vec<ObservedContainer>, Vec<ObservedContainer>) = match project {
        Some(p) => all
            .into_iter()
            .partition(|c| p.services.contains_key(&c.service) && !c.oneoff),
        None => (all, Vec::new()),
    };
    if !orphans.is_empty() && !options.remove_orphans {
        let names: Vec<&str> = orphans
            .iter()
            .filter(|c| !c.oneoff)
            .map(|c| c.name.as_str())
            .collect();
        if let Some(warning) = super::orphans_warning(&names) {
            progress.warn(warning);
        }
    }
    let mut doomed = ours;
    if options.remove_orphans {
        doomed.extend(orphans);
    } else {
        // One-off containers of the project's own services go too, as with compose.
        doomed.extend(
            orphans.into_iter().filter(|c| {
                c.oneoff && project.is_some_and(|p| p.services.contains_key(&c.service))
            }),
        );
    }
    let used_images: BTreeSet<String> = doomed.iter().map(|c| c.image.clone()).collect();
    // Anonymous volumes go with `-v` only, like named ones: without it they stay (dangling),
    // as with docker compose.
    // The containers of failed `pre_start` hooks, kept for inspection, go first (silently).
    hooks::remove_pre_start_containers(docker, name, None).await?;
    remove_containers(
        docker,
        &doomed,
        options.timeout,
        options.volumes,
        options.parallel,
        progress,
        &Hooks::of(project, hooks::Output::Quiet),
    )
    .await?;

    // Networks, then volumes, each kind all at once. Networks: those labelled for the project
    // (external ones never are), unless containers this `down` did not take (created
    // meanwhile) still use them. Those it took may still be on their way out (a `run --rm`
    // container the engine removes itself): network removal waits for them.
    let taken: BTreeSet<&str> = doomed.iter().map(|c| c.id.as_str()).collect();
    let remaining: Vec<String> = observe::project_containers(docker, name)
        .await?
        .into_iter()
        .filter(|c| !taken.contains(c.id.as_str()))
        .map(|c| c.name)
        .collect();
    if !remaining.is_empty() {
        progress.warn(format!(
            "the project's networks are kept: containers created while it went down use them ({})",
            remaining.join(", ")
        ));
    }
    if remaining.is_empty() {
        let networks = resources::project_networks(docker, name).await?;
        let removals = networks.iter().map(|network| async move {
            progress.network(network, Action::Removing);
            if resources::remove_network(docker, network).await? {
                progress.network(network, Action::Removed);
            }
            Ok(())
        });
        join_all(removals)
            .await
            .into_iter()
            .collect::<Result<Vec<()>>>()?;
    }
    if options.volumes {
        let volumes = resources::project_volumes(docker, name).await?;
        let external = |volume: &str| {
            project.is_some_and(|p| {
                p.volumes
                    .iter()
                    .any(|(k, v)| v.external && v.engine_name(name, k) == volume)
            })
        };
        let removals = volumes
            .iter()
            .filter(|v| !external(v))
            .map(|volume| async move {
                progress.volume(volume, Action::Removing);
                if resources::remove_volume(docker, volume).await? {
                    progress.volume(volume, Action::Removed);
                }
                Ok(())
            });
        join_all(removals)
            .await
            .into_iter()
            .collect::<Result<Vec<()>>>()?;
    }
    if let Some(which) = options.images {
        let mut candidates: BTreeSet<String> = BTreeSet::new();
        match project {
            Some(p) => {
                for (svc, s) in &p.services {
                    if which == RemoveImages::All || s.image.is_none() {
                        candidates.insert(s.image_name(name, svc));
                    }
                }
            }
            None => {
                // No compose file: the images labelled for the project, and for `local` only
                // those named after it (`<project>-<service>`, no custom tag).
                let prefix = format!("{name}-");
                let legacy = format!("{name}_");
                for image in images::project_images(docker, name).await? {
                    if which == RemoveImages::All
                        || image.starts_with(&prefix)
                        || image.starts_with(&legacy)
                    {
                        candidates.insert(image);
                    }
                }
                if which == RemoveImages::All {
                    candidates.extend(used_images);
                }
            }
        }
        for image in candidates {
            progress.emit(Kind::Image, &image, Action::Removing);
            match images::remove(docker, &image).await {
                Ok(true) => progress.emit(Kind::Image, &image, Action::Removed),
                Ok(false) => {}
                Err(e) => progress.emit(Kind::Image, &image, Action::Warning(e.message)),
            }
        }
    }
    Ok(())
}
