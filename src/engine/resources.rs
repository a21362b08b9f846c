//! Project networks and volumes on the engine: created when missing (labelled so docker compose
//! recognises them, with the config hash it computes), external ones only looked up, a
//! network whose definition changed recreated with its containers reconnected, and removal
//! for `down`.

use std::collections::HashMap;

use bollard::Docker;
use bollard::models::{
    EndpointSettings, Ipam, IpamConfig, NetworkConnectRequest, NetworkCreateRequest,
    NetworkDisconnectRequest, VolumeCreateRequest,
};
use bollard::query_parameters::{
    InspectNetworkOptions, ListNetworksOptionsBuilder, ListVolumesOptionsBuilder,
    RemoveVolumeOptionsBuilder,
};

use super::errors::{engine_error, is_not_found, message_of};
use super::labels;
use crate::error::{Error, Result};
use crate::project::model;

/// A network as the project wants it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NetworkSpec {
    /// Key under top-level `networks:`.
    pub key: String,
    /// Engine name (`<project>_<key>` unless `name:` says otherwise).
    pub name: String,
    pub external: bool,
    pub driver: Option<String>,
    pub driver_opts: HashMap<String, String>,
    pub internal: bool,
    pub attachable: bool,
    pub enable_ipv4: Option<bool>,
    pub enable_ipv6: Option<bool>,
    pub ipam: Option<model::Ipam>,
    pub labels: HashMap<String, String>,
    /// Label [`labels::CONFIG_HASH`], as docker compose computes it
    /// ([`crate::engine::config_hash::network_hash`]).
    pub config_hash: Option<String>,
}

/// A volume as the project wants it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VolumeSpec {
    /// Key under top-level `volumes:`.
    pub key: String,
    /// Engine name (`<project>_<key>` unless `name:` says otherwise).
    pub name: String,
    pub external: bool,
    pub driver: Option<String>,
    pub driver_opts: HashMap<String, String>,
    pub labels: HashMap<String, String>,
    /// Label [`labels::CONFIG_HASH`] ([`crate::engine::config_hash::volume_hash`]).
    pub config_hash: Option<String>,
}

/// What [`ensure_network`] / [`ensure_volume`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ensured {
    Created,
    Existed,
    /// It is the project's, but made from another definition (its config hash differs; one
    /// without a hash, made by an older tool, is taken as it is, as docker compose takes it).
    Diverged,
    /// It exists but was not made for this project (no or another project label): used as is.
    Foreign,
}

/// The labels compose puts on a network or volume of `project` with key `key`.
fn resource_labels(
    project: &str,
    kind_label: &str,
    key: &str,
    user: &HashMap<String, String>,
    config_hash: Option<&str>,
) -> HashMap<String, String> {
    let mut all = user.clone();
    if let Some(hash) = config_hash {
        all.insert(labels::CONFIG_HASH.to_string(), hash.to_string());
    }
    all.insert(labels::PROJECT.to_string(), project.to_string());
    all.insert(kind_label.to_string(), key.to_string());
    all.insert(
        labels::VERSION.to_string(),
        labels::COMPOSE_VERSION.to_string(),
    );
    all
}

/// What an existing network or volume with `labels` is to `project`.
pub fn existing(
    labels: &HashMap<String, String>,
    project: &str,
    external: bool,
    wanted_hash: &Option<String>,
) -> Ensured {
    if external {
        return Ensured::Existed;
    }
    if labels.get(labels::PROJECT).is_none_or(|p| p != project) {
        return Ensured::Foreign;
    }
    match (labels.get(labels::CONFIG_HASH), wanted_hash) {
        (Some(have), Some(want)) if have != want => Ensured::Diverged,
        _ => Ensured::Existed,
    }
}

/// Make sure network `spec` exists.
pub async fn ensure_network(docker: &Docker, project: &str, spec: &NetworkSpec) -> Result<Ensured> {
    // Another `up` of this machine does not look the name up until this one has created it.
    let _lock = super::name_lock::lock("network", &spec.name).await;
    match docker
        .inspect_network(&spec.name, None::<InspectNetworkOptions>)
        .await
    {
        Ok(network) => {
            let labels = network.labels.unwrap_or_default();
            return Ok(existing(&labels, project, spec.external, &spec.config_hash));
        }
        Err(e) if is_not_found(&e) => {}
        Err(e) => {
            return Err(engine_error(
                format!("cannot inspect network {}", spec.name),
                &e,
            ));
        }
    }
    if spec.external {
        return Err(Error::new(format!(
            "network {} declared as external, but could not be found",
            spec.name
        ))
        .with_hint(format!(
            "create it with `docker network create {}`",
            spec.name
        )));
    }
    let ipam = spec.ipam.as_ref().map(|ipam| Ipam {
        driver: ipam.driver.clone(),
        config: Some(
            ipam.config
                .iter()
                .map(|pool| IpamConfig {
                    subnet: pool.subnet.clone(),
                    ip_range: pool.ip_range.clone(),
                    gateway: pool.gateway.clone(),
                    auxiliary_addresses: (!pool.aux_addresses.is_empty())
                        .then(|| pool.aux_addresses.clone().into_iter().collect()),
                })
                .collect(),
        ),
        options: (!ipam.options.is_empty()).then(|| ipam.options.clone().into_iter().collect()),
    });
    let request = NetworkCreateRequest {
        name: spec.name.clone(),
        driver: spec.driver.clone(),
        internal: spec.internal.then_some(true),
        attachable: spec.attachable.then_some(true),
        // Engines before API 1.47 do not know enable_ipv4 and go by their default (on).
        enable_ipv4: spec.enable_ipv4,
        enable_ipv6: spec.enable_ipv6,
        ipam,
        options: (!spec.driver_opts.is_empty()).then(|| spec.driver_opts.clone()),
        labels: Some(resource_labels(
            project,
            labels::NETWORK,
            &spec.key,
            &spec.labels,
            spec.config_hash.as_deref(),
        )),
        ..Default::default()
    };
    let created = match docker.create_network(request).await {
        Ok(created) => created.id,
        // Created meanwhile by a parallel `up` of the same project.
        Err(e) if message_of(&e).contains("already exists") => return Ok(Ensured::Existed),
        Err(e) => {
            return Err(engine_error(
                format!("cannot create network {}", spec.name),
                &e,
            ));
        }
    };
    // The engine allows two networks with one name, and a parallel `up` of the same project
    // may have created one at the same moment. The oldest is the project's network (both
    // `up`s agree on which one that is); a younger one created here goes again.
    let winner = network_id(docker, &spec.name).await?;
    if winner != created {
        let _ = docker.remove_network(&created).await;
        return Ok(Ensured::Existed);
    }
    Ok(Ensured::Created)
}

/// Remove the networks named exactly `name` except the oldest (the one every `up` of the project
/// agrees on, see [`ensure_network`]). A network in use is left alone: the engine refuses.
pub async fn remove_younger_duplicates(docker: &Docker, name: &str) {
    let Ok(keep) = network_id(docker, name).await else {
        return;
    };
    let filters = HashMap::from([("name".to_string(), vec![name.to_string()])]);
    let options = ListNetworksOptionsBuilder::default()
        .filters(&filters)
        .build();
    let Ok(networks) = docker.list_networks(Some(options)).await else {
        return;
    };
    for network in networks {
        if network.name.as_deref() == Some(name)
            && let Some(id) = network.id
            && id != keep
        {
            let _ = docker.remove_network(&id).await;
        }
    }
}

/// The ID of the network named exactly `name`. When the engine has several with that name,
/// the oldest (see [`ensure_network`]).
pub async fn network_id(docker: &Docker, name: &str) -> Result<String> {
    let filters = HashMap::from([("name".to_string(), vec![name.to_string()])]);
    let options = ListNetworksOptionsBuilder::default()
        .filters(&filters)
        .build();
    let networks = docker
        .list_networks(Some(options))
        .await
        .map_err(|e| engine_error("cannot list networks", &e))?;
    // The name filter matches substrings: keep exact names only.
    networks
        .into_iter()
        .filter(|n| n.name.as_deref() == Some(name))
        .filter_map(|n| {
            let created = n.created.as_deref().map(sortable_time).unwrap_or_default();
            n.id.map(|id| (created, id))
        })
        .min()
        .map(|(_, id)| id)
        .ok_or_else(|| Error::new(format!("network {name} not found")))
}

/// An RFC 3339 time from the engine (`2024-05-01T10:00:00.12Z`) as text that sorts in time
/// order: the fraction of a second padded to nanoseconds (the engine drops trailing zeros).
fn sortable_time(time: &str) -> String {
    let zone_at = time
        .rfind(['Z', '+', '-'])
        .filter(|&i| i > time.find('T').unwrap_or(0))
        .unwrap_or(time.len());
    let (clock, zone) = time.split_at(zone_at);
    let (whole, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    format!("{whole}.{fraction:0<9}{zone}")
}

/// Make sure volume `spec` exists.
pub async fn ensure_volume(docker: &Docker, project: &str, spec: &VolumeSpec) -> Result<Ensured> {
    match docker.inspect_volume(&spec.name).await {
        Ok(volume) => {
            return Ok(existing(
                &volume.labels,
                project,
                spec.external,
                &spec.config_hash,
            ));
        }
        Err(e) if is_not_found(&e) => {}
        Err(e) => {
            return Err(engine_error(
                format!("cannot inspect volume {}", spec.name),
                &e,
            ));
        }
    }
    if spec.external {
        return Err(Error::new(format!(
            "volume {} is declared as external, but could not be found",
            spec.name
        ))
        .with_hint(format!(
            "create it with `docker volume create {}`",
            spec.name
        )));
    }
    let request = VolumeCreateRequest {
        name: Some(spec.name.clone()),
        driver: spec.driver.clone(),
        driver_opts: (!spec.driver_opts.is_empty()).then(|| spec.driver_opts.clone()),
        labels: Some(resource_labels(
            project,
            labels::VOLUME,
            &spec.key,
            &spec.labels,
            spec.config_hash.as_deref(),
        )),
        ..Default::default()
    };
    docker
        .create_volume(request)
        .await
        .map(|_| Ensured::Created)
        .map_err(|e| engine_error(format!("cannot create volume {}", spec.name), &e))
}

/// A container attached to a network: what it takes to attach it again as it was.
#[derive(Clone, Debug)]
pub struct Attached {
    pub id: String,
    pub name: String,
    pub running: bool,
    /// Its endpoint on the network (aliases, static addresses, links), without what the engine
    /// assigned (IDs, addresses it chose).
    pub endpoint: EndpointSettings,
}

/// The containers attached to network `name` (the project's: the oldest of that name).
pub async fn attached_containers(docker: &Docker, name: &str) -> Result<Vec<Attached>> {
    let id = network_id(docker, name).await?;
    let network = docker
        .inspect_network(&id, None::<InspectNetworkOptions>)
        .await
        .map_err(|e| engine_error(format!("cannot inspect network {name}"), &e))?;
    let mut attached = Vec::new();
    for container_id in network.containers.unwrap_or_default().into_keys() {
        let inspect = match docker.inspect_container(&container_id, None).await {
            Ok(inspect) => inspect,
            Err(e) if is_not_found(&e) => continue,
            Err(e) => {
                return Err(engine_error(
                    format!("cannot inspect container {container_id}"),
                    &e,
                ));
            }
        };
        let endpoint = inspect
            .network_settings
            .and_then(|n| n.networks)
            .and_then(|mut n| n.remove(name))
            .unwrap_or_default();
        attached.push(Attached {
            id: container_id,
            name: inspect
                .name
                .unwrap_or_default()
                .trim_start_matches('/')
                .to_string(),
            running: inspect.state.and_then(|s| s.running).unwrap_or(false),
            endpoint: EndpointSettings {
                ipam_config: endpoint.ipam_config,
                links: endpoint.links,
                aliases: endpoint.aliases,
                driver_opts: endpoint.driver_opts,
                ..Default::default()
            },
        });
    }
    attached.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(attached)
}

/// Detach container `container` from network `network`.
pub async fn disconnect(docker: &Docker, network: &str, container: &Attached) -> Result<()> {
    let request = NetworkDisconnectRequest {
        container: container.id.clone(),
        force: Some(true),
    };
    match docker.disconnect_network(network, request).await {
        Ok(()) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => Err(engine_error(
            format!(
                "cannot disconnect {} from network {network}",
                container.name
            ),
            &e,
        )),
    }
}

/// Attach container `container` to network `network` (an ID) as it was attached before.
pub async fn connect(docker: &Docker, network: &str, container: &Attached) -> Result<()> {
    let request = NetworkConnectRequest {
        container: container.id.clone(),
        endpoint_config: Some(container.endpoint.clone()),
    };
    docker.connect_network(network, request).await.map_err(|e| {
        engine_error(
            format!("cannot connect {} to network {network}", container.name),
            &e,
        )
    })
}

/// Names of the networks labelled with `project`.
pub async fn project_networks(docker: &Docker, project: &str) -> Result<Vec<String>> {
    let options = ListNetworksOptionsBuilder::default()
        .filters(&labels::project_filter(project))
        .build();
    let networks = docker
        .list_networks(Some(options))
        .await
        .map_err(|e| engine_error("cannot list networks", &e))?;
    let mut names: Vec<String> = networks.into_iter().filter_map(|n| n.name).collect();
    names.sort();
    Ok(names)
}

/// Names of the volumes labelled with `project`.
pub async fn project_volumes(docker: &Docker, project: &str) -> Result<Vec<String>> {
    let options = ListVolumesOptionsBuilder::default()
        .filters(&labels::project_filter(project))
        .build();
    let response = docker
        .list_volumes(Some(options))
        .await
        .map_err(|e| engine_error("cannot list volumes", &e))?;
    let mut names: Vec<String> = response
        .volumes
        .unwrap_or_default()
        .into_iter()
        .map(|v| v.name)
        .collect();
    names.sort();
    Ok(names)
}

/// Remove a network; `Ok(false)` when it was already gone.
///
/// The engine answers "has active endpoints" for a moment after the last container left (and
/// while a container it removes by itself, `run --rm`, is on its way out): ask again for a
/// few seconds before giving up.
pub async fn remove_network(docker: &Docker, name: &str) -> Result<bool> {
    const ATTEMPTS: usize = 60;
    const PAUSE: std::time::Duration = std::time::Duration::from_millis(50);
    let mut attempt = 0;
    loop {
        attempt += 1;
        match docker.remove_network(name).await {
            Ok(()) => return Ok(true),
            Err(e) if is_not_found(&e) => return Ok(false),
            Err(e) if attempt < ATTEMPTS && message_of(&e).contains("active endpoints") => {
                tokio::time::sleep(PAUSE).await;
            }
            Err(e) => {
                return Err(engine_error(format!("cannot remove network {name}"), &e)
                    .with_hint(format!(
                        "`docker network inspect {name}` shows what still uses it; remove that, then run `down` again"
                    )));
            }
        }
    }
}

/// Remove a volume; `Ok(false)` when it was already gone.
pub async fn remove_volume(docker: &Docker, name: &str) -> Result<bool> {
    let options = RemoveVolumeOptionsBuilder::default().force(false).build();
    match docker.remove_volume(name, Some(options)).await {
        Ok(()) => Ok(true),
        Err(e) if is_not_found(&e) => Ok(false),
        Err(e) => Err(engine_error(format!("cannot remove volume {name}"), &e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_times_sort_in_time_order() {
        let a = sortable_time("2024-05-01T10:00:05.1Z");
        let b = sortable_time("2024-05-01T10:00:05.12Z");
        let c = sortable_time("2024-05-01T10:00:05Z");
        assert!(c < a && a < b, "{c} {a} {b}");
        assert_eq!(
            sortable_time("2024-05-01T10:00:05.5+02:00"),
            "2024-05-01T10:00:05.500000000+02:00"
        );
    }

    #[test]
    fn resources_carry_the_compose_labels() {
        let user = HashMap::from([("team".to_string(), "search".to_string())]);
        let all = resource_labels("app", labels::VOLUME, "data", &user, Some("abc"));
        assert_eq!(all[labels::CONFIG_HASH], "abc");
        assert_eq!(all[labels::PROJECT], "app");
        assert_eq!(all[labels::VOLUME], "data");
        assert_eq!(all[labels::VERSION], labels::COMPOSE_VERSION);
        assert_eq!(all["team"], "search");
    }
}
