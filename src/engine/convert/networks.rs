//! `networks`, `network_mode`, `extra_hosts` and `dns*`: the networks a container joins and
//! its endpoint on each, and how `service:NAME` references resolve to containers.

use std::collections::{BTreeMap, HashMap};

use bollard::models::{
    ContainerCreateBody, EndpointIpamConfig, EndpointSettings, HostConfig, NetworkingConfig,
};

use super::Target;
use crate::engine::labels;
use crate::project::model::{Project, Service, ServiceNetwork};

/// The containers of the services a service links to, as they exist when it is created:
/// service name → container names (one-offs left out).
pub type Linked = BTreeMap<String, Vec<String>>;

/// The engine's links for replica `number` (`container:alias`), as compose makes them: for
/// every container of a linked service its link name, `<service>-<number>` and
/// `<project>-<service>-<number>` (`number` is this replica's, as in compose), then
/// `external_links` as given.
pub fn legacy_links(project: &str, service: &Service, number: u32, linked: &Linked) -> Vec<String> {
    let mut links = Vec::new();
    for link in &service.links {
        let (target, alias) = link.split_once(':').unwrap_or((link, link));
        for container in linked.get(target).into_iter().flatten() {
            links.push(format!("{container}:{alias}"));
            links.push(format!("{container}:{target}-{number}"));
            links.push(format!("{container}:{project}-{target}-{number}"));
        }
    }
    for link in &service.external_links {
        let (container, alias) = link.split_once(':').unwrap_or((link, link));
        links.push(format!("{container}:{alias}"));
    }
    links
}

/// The addresses asked for on one network: `ipv4_address`, `ipv6_address`, `link_local_ips`.
fn static_addresses(settings: &ServiceNetwork) -> Option<EndpointIpamConfig> {
    let ipam = EndpointIpamConfig {
        ipv4_address: settings.ipv4_address.clone(),
        ipv6_address: settings.ipv6_address.clone(),
        link_local_ips: (!settings.link_local_ips.is_empty())
            .then(|| settings.link_local_ips.clone()),
    };
    (ipam != EndpointIpamConfig::default()).then_some(ipam)
}

/// The endpoint settings of every network the container joins, first network first: the
/// first goes into the create call, the others are connected before start.
pub(super) fn apply(
    target: &Target<'_>,
    number: u32,
    linked: &Linked,
    body: &mut ContainerCreateBody,
    host: &mut HostConfig,
) -> Vec<(String, EndpointSettings)> {
    let Target {
        project,
        name,
        service,
    } = *target;
    // Links go both on the host config (legacy links on the default bridge) and on every
    // endpoint (aliases on the project's networks), as compose sends them.
    let links = legacy_links(&project.name, service, number, linked);
    host.links = (!links.is_empty()).then(|| links.clone());
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
            let endpoint = EndpointSettings {
                aliases: Some(aliases),
                ipam_config: settings.as_ref().and_then(static_addresses),
                links: (!links.is_empty()).then(|| links.clone()),
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
/// [`crate::engine::resources::ensure_network`]) would make the create fail as ambiguous.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_name_every_container_of_the_linked_service_as_compose_does() {
        let service = Service {
            links: vec!["db:database".to_string(), "cache".to_string()],
            external_links: vec!["outside:ext".to_string(), "plain".to_string()],
            ..Default::default()
        };
        let linked = Linked::from([
            ("db".to_string(), vec!["app-db-1".to_string()]),
            (
                "cache".to_string(),
                vec!["app-cache-1".to_string(), "app-cache-2".to_string()],
            ),
        ]);
        assert_eq!(
            legacy_links("app", &service, 2, &linked),
            [
                "app-db-1:database",
                "app-db-1:db-2",
                "app-db-1:app-db-2",
                "app-cache-1:cache",
                "app-cache-1:cache-2",
                "app-cache-1:app-cache-2",
                "app-cache-2:cache",
                "app-cache-2:cache-2",
                "app-cache-2:app-cache-2",
                "outside:ext",
                "plain:plain",
            ]
        );
        // A linked service without containers (not created: `--no-deps`) gives no link.
        assert_eq!(
            legacy_links("app", &service, 1, &Linked::new()),
            ["outside:ext", "plain:plain"]
        );
    }

    #[test]
    fn static_addresses_are_asked_for_on_the_endpoint() {
        let settings = ServiceNetwork {
            ipv4_address: Some("10.5.0.9".to_string()),
            ipv6_address: Some("fd00::9".to_string()),
            ..Default::default()
        };
        let ipam = static_addresses(&settings).expect("an IPAM config");
        assert_eq!(ipam.ipv4_address.as_deref(), Some("10.5.0.9"));
        assert_eq!(ipam.ipv6_address.as_deref(), Some("fd00::9"));
        assert_eq!(static_addresses(&ServiceNetwork::default()), None);
    }
}
