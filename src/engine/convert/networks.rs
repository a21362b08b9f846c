//! `networks`, `network_mode`, `extra_hosts` and `dns*`: the networks a container joins and
//! its endpoint on each, and how `service:NAME` references resolve to containers.

use std::collections::HashMap;

use bollard::models::{
    ContainerCreateBody, EndpointIpamConfig, EndpointSettings, HostConfig, NetworkingConfig,
};

use super::Target;
use crate::engine::labels;
use crate::project::model::{Project, Service};

/// The endpoint settings of every network the container joins, first network first: the
/// first goes into the create call, the others are connected before start.
pub(super) fn apply(
    target: &Target<'_>,
    body: &mut ContainerCreateBody,
    host: &mut HostConfig,
) -> Vec<(String, EndpointSettings)> {
    let Target {
        project,
        name,
        service,
    } = *target;
    let mut endpoints: Vec<(String, EndpointSettings)> = service_network_keys(service)
        .iter()
        .map(|key| {
            let settings = service.networks.get(key).cloned().flatten();
            let mut aliases = vec![name.to_string()];
            if let Some(s) = &settings {
                for alias in &s.aliases {
                    if !aliases.contains(alias) {
                        aliases.push(alias.clone());
                    }
                }
            }
            let ipam = settings
                .as_ref()
                .filter(|s| !s.link_local_ips.is_empty())
                .map(|s| EndpointIpamConfig {
                    link_local_ips: Some(s.link_local_ips.clone()),
                    ..Default::default()
                });
            let endpoint = EndpointSettings {
                aliases: Some(aliases),
                ipam_config: ipam,
                driver_opts: settings
                    .as_ref()
                    .filter(|s| !s.driver_opts.is_empty())
                    .map(|s| {
                        s.driver_opts
                            .iter()
                            .map(|(a, b)| (a.clone(), b.clone()))
                            .collect()
                    }),
                ..Default::default()
            };
            (network_engine_name(project, key), endpoint)
        })
        .collect();
    host.network_mode = match &service.network_mode {
        Some(mode) => Some(resolve_mode(project, mode)),
        None => endpoints.first().map(|(n, _)| n.clone()),
    };
    if !endpoints.is_empty() {
        let (network, endpoint) = endpoints.remove(0);
        body.networking_config = Some(NetworkingConfig {
            endpoints_config: Some(HashMap::from([(network, endpoint)])),
        });
    }
    let extra_hosts: Vec<String> = service
        .extra_hosts
        .iter()
        .flat_map(|(host, ips)| ips.iter().map(move |ip| format!("{host}:{ip}")))
        .collect();
    host.extra_hosts = (!extra_hosts.is_empty()).then_some(extra_hosts);
    let list = |items: &Vec<String>| (!items.is_empty()).then(|| items.clone());
    host.dns = list(&service.dns);
    host.dns_options = list(&service.dns_opt);
    host.dns_search = list(&service.dns_search);
    endpoints
}

/// Engine name of the container of replica 1 of `service` (for `service:X` references).
pub fn first_container(project: &Project, service: &str) -> String {
    match project
        .services
        .get(service)
        .and_then(|s| s.container_name.clone())
    {
        Some(name) => name,
        None => labels::container_name(&project.name, service, 1),
    }
}

/// `service:X` → `container:<X's first container>`; other modes unchanged.
pub(super) fn resolve_mode(project: &Project, mode: &str) -> String {
    match mode.strip_prefix("service:") {
        Some(service) => format!("container:{}", first_container(project, service)),
        None => mode.to_string(),
    }
}

/// The engine name of a project network key.
pub fn network_engine_name(project: &Project, key: &str) -> String {
    match project.networks.get(key) {
        Some(network) => network.engine_name(&project.name, key),
        None => labels::network_name(&project.name, key),
    }
}

/// The networks a service joins, by project key: its `networks:`, else `default`.
/// Empty when `network_mode` is set.
pub fn service_network_keys(service: &Service) -> Vec<String> {
    if service.network_mode.is_some() {
        return Vec::new();
    }
    if service.networks.is_empty() {
        return vec!["default".to_string()];
    }
    let mut keys: Vec<(i64, String)> = service
        .networks
        .iter()
        .map(|(k, n)| {
            let priority = n.as_ref().and_then(|n| n.priority).unwrap_or(0);
            (-priority, k.clone())
        })
        .collect();
    keys.sort();
    keys.into_iter().map(|(_, k)| k).collect()
}

/// Refer to the project's networks by ID (`ids`: engine name → ID) in a create body: the
/// engine allows two networks with one name, and a name shared for a moment (see
/// [`super::resources::ensure_network`]) would make the create fail as ambiguous.
pub fn use_network_ids(body: &mut ContainerCreateBody, ids: &HashMap<String, String>) {
    if let Some(host) = body.host_config.as_mut()
        && let Some(id) = host.network_mode.as_ref().and_then(|m| ids.get(m))
    {
        host.network_mode = Some(id.clone());
    }
    if let Some(endpoints) = body
        .networking_config
        .as_mut()
        .and_then(|n| n.endpoints_config.as_mut())
    {
        *endpoints = std::mem::take(endpoints)
            .into_iter()
            .map(|(name, endpoint)| (ids.get(&name).cloned().unwrap_or(name), endpoint))
            .collect();
    }
}
