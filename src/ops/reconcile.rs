//! The project's networks and volumes brought in line with the file before containers are made
//! ([`ensure_resources`], for `up` and `run`): created when missing, external ones looked up.
//!
//! Networks and volumes whose definition changed since they were made (their config hash, as
//! docker compose computes it, differs from the one they carry), handled as docker compose
//! handles them: a network is recreated and the containers attached to it are reconnected,
//! keeping their identity; a volume, which holds data, only when the user said yes
//! (`up -y`), after removing the containers that use it (the plan then creates them again).
//! Without that yes the volume is kept as it is, with a warning that says how to recreate it.

use std::collections::HashMap;

use bollard::Docker;
use bollard::query_parameters::ListContainersOptionsBuilder;
use futures_util::future::join_all;

use crate::engine::config_hash;
use crate::engine::containers::{self, NetworkIds};
use crate::engine::convert;
use crate::engine::errors::engine_error;
use crate::engine::resources::{self, Ensured, NetworkSpec, VolumeSpec};
use crate::error::Result;
use crate::progress::{Action, Progress};
use crate::project::model::Project;

/// The spec of the project's volume `key`.
pub fn volume_spec(project: &Project, key: &str) -> Option<VolumeSpec> {
    let volume = project.volumes.get(key)?;
    let name = volume.engine_name(&project.name, key);
    Some(VolumeSpec {
        key: key.to_string(),
        external: volume.external,
        driver: volume.driver.clone(),
        driver_opts: volume.driver_opts.clone().into_iter().collect(),
        labels: volume.labels.clone().into_iter().collect(),
        config_hash: config_hash::volume_hash(volume, &name).ok(),
        name,
    })
}

/// Before planning: recreate the project's volumes whose definition changed when `recreate`
/// (`-y`), removing the containers that use them first; otherwise warn that they are kept.
pub async fn volumes(
    docker: &Docker,
    project: &Project,
    recreate: bool,
    progress: &Progress,
) -> Result<()> {
    for key in project.volumes.keys() {
        let Some(spec) = volume_spec(project, key) else {
            continue;
        };
        if spec.external || !diverged_volume(docker, &project.name, &spec).await? {
            continue;
        }
        if !recreate {
            progress.volume(
                &spec.name,
                Action::Warning(
                    "exists but does not match its definition in the compose file: kept as it is (recreating it loses its data; `up -y` recreates it)"
                        .to_string(),
                ),
            );
            continue;
        }
        recreate_volume(docker, &project.name, &spec, progress).await?;
    }
    Ok(())
}

async fn diverged_volume(docker: &Docker, project: &str, spec: &VolumeSpec) -> Result<bool> {
    match docker.inspect_volume(&spec.name).await {
        Ok(volume) => {
            Ok(
                resources::existing(&volume.labels, project, spec.external, &spec.config_hash)
                    == Ensured::Diverged,
            )
        }
        Err(_) => Ok(false),
    }
}

/// Remove the containers using volume `spec`, the volume, and create it again.
async fn recreate_volume(
    docker: &Docker,
    project: &str,
    spec: &VolumeSpec,
    progress: &Progress,
) -> Result<()> {
    let filters = HashMap::from([("volume".to_string(), vec![spec.name.clone()])]);
    let options = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    let users = docker
        .list_containers(Some(options))
        .await
        .map_err(|e| engine_error(format!("cannot list the containers of {}", spec.name), &e))?;
    let removals = users.iter().filter_map(|c| {
        let id = c.id.clone()?;
        let name = c
            .names
            .as_ref()
            .and_then(|n| n.first())
            .map(|n| n.trim_start_matches('/').to_string())
            .unwrap_or_else(|| id.clone());
        Some(async move {
            progress.container(&name, Action::Stopping);
            containers::stop(docker, &id, &name, None).await?;
            progress.container(&name, Action::Stopped);
            progress.container(&name, Action::Removing);
            containers::remove(docker, &id, &name, false, false).await?;
            progress.container(&name, Action::Removed);
            Ok::<(), crate::error::Error>(())
        })
    });
    for result in join_all(removals).await {
        result?;
    }
    progress.volume(&spec.name, Action::Removing);
    resources::remove_volume(docker, &spec.name).await?;
    progress.volume(&spec.name, Action::Removed);
    progress.volume(&spec.name, Action::Creating);
    resources::ensure_volume(docker, project, spec).await?;
    progress.volume(&spec.name, Action::Created);
    Ok(())
}

/// Make sure network `spec` exists as defined: created when missing, recreated when its
/// definition changed (its containers stopped, moved over and started again).
pub async fn network(
    docker: &Docker,
    project: &str,
    spec: &NetworkSpec,
    progress: &Progress,
) -> Result<Ensured> {
    let ensured = resources::ensure_network(docker, project, spec).await?;
    if ensured != Ensured::Diverged {
        return Ok(ensured);
    }
    let attached = resources::attached_containers(docker, &spec.name).await?;
    let running: Vec<_> = attached.iter().filter(|c| c.running).collect();
    let stops = running.iter().map(|c| async move {
        progress.container(&c.name, Action::Stopping);
        containers::stop(docker, &c.id, &c.name, None).await?;
        progress.container(&c.name, Action::Stopped);
        Ok::<(), crate::error::Error>(())
    });
    for result in join_all(stops).await {
        result?;
    }
    let old = resources::network_id(docker, &spec.name).await?;
    for container in &attached {
        resources::disconnect(docker, &old, container).await?;
    }
    progress.network(&spec.name, Action::Removing);
    resources::remove_network(docker, &old).await?;
    progress.network(&spec.name, Action::Removed);
    progress.network(&spec.name, Action::Creating);
    resources::ensure_network(docker, project, spec).await?;
    progress.network(&spec.name, Action::Created);
    let new = resources::network_id(docker, &spec.name).await?;
    for container in &attached {
        resources::connect(docker, &new, container).await?;
    }
    let starts = running.iter().map(|c| async move {
        progress.container(&c.name, Action::Starting);
        containers::start(docker, &c.id, &c.name).await?;
        progress.container(&c.name, Action::Started);
        Ok::<(), crate::error::Error>(())
    });
    for result in join_all(starts).await {
        result?;
    }
    Ok(Ensured::Created)
}

/// Create the networks `services` join (with `all_networks`, every network the project
/// declares: `--all-resources`) and the project's volumes, when missing; the IDs of the
/// networks.
pub async fn ensure_resources(
    docker: &Docker,
    project: &Project,
    services: &[&str],
    all_networks: bool,
    progress: &Progress,
) -> Result<NetworkIds> {
    let mut network_ids = NetworkIds::new();
    let mut keys: Vec<String> = Vec::new();
    let declared = project.networks.keys().filter(|_| all_networks).cloned();
    for key in services
        .iter()
        .filter_map(|service| project.services.get(*service))
        .flat_map(convert::service_network_keys)
        .chain(declared)
    {
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    for key in keys {
        let spec = match project.networks.get(&key) {
            Some(n) => NetworkSpec {
                key: key.clone(),
                name: n.engine_name(&project.name, &key),
                external: n.external,
                driver: n.driver.clone(),
                driver_opts: n.driver_opts.clone().into_iter().collect(),
                internal: n.internal,
                attachable: n.attachable,
                enable_ipv4: n.enable_ipv4,
                enable_ipv6: n.enable_ipv6,
                ipam: n.ipam.clone(),
                labels: n.labels.clone().into_iter().collect(),
                config_hash: config_hash::network_hash(n, &n.engine_name(&project.name, &key)).ok(),
            },
            None => NetworkSpec {
                key: key.clone(),
                name: convert::network_engine_name(project, &key),
                ..Default::default()
            },
        };
        match network(docker, &project.name, &spec, progress).await? {
            Ensured::Created => progress.network(&spec.name, Action::Created),
            Ensured::Existed | Ensured::Diverged => {}
            Ensured::Foreign => progress.network(
                &spec.name,
                Action::Warning(
                    "exists but was not created for this project: using it as it is".to_string(),
                ),
            ),
        }
        let id = resources::network_id(docker, &spec.name).await?;
        network_ids.insert(spec.name, id);
    }
    for key in project.volumes.keys() {
        let Some(spec) = volume_spec(project, key) else {
            continue;
        };
        match resources::ensure_volume(docker, &project.name, &spec).await? {
            Ensured::Created => progress.volume(&spec.name, Action::Created),
            // Kept as it is: `reconcile::volumes` warned, or recreated it when told to.
            Ensured::Existed | Ensured::Diverged => {}
            Ensured::Foreign => progress.volume(
                &spec.name,
                Action::Warning(
                    "exists but was not created for this project: using it as it is".to_string(),
                ),
            ),
        }
    }
    Ok(network_ids)
}
