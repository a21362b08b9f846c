//! How services find each other: the ports a service declares (`ports`, `expose`), the
//! Service named after it, and the init containers that wait for its dependencies.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Container, ContainerPort, Service as KubeService, ServicePort, ServiceSpec,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::names::{self, ANNOTATION_PREFIX};
use super::workload::is_one_shot;
use super::{Converter, Warnings};
use crate::error::Result;
use crate::project::model::{DependencyCondition, Service};

/// The image of the init containers that wait for dependencies.
pub const WAIT_IMAGE: &str = "busybox:1.36";

/// One port other pods reach a service on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredPort {
    /// The container port (what compose services connect to on the service's name).
    pub port: u16,
    /// `TCP`, `UDP` or `SCTP`.
    pub protocol: &'static str,
    pub name: String,
    pub app_protocol: Option<String>,
}

fn protocol(text: &str) -> Option<&'static str> {
    match text.to_ascii_lowercase().as_str() {
        "" | "tcp" => Some("TCP"),
        "udp" => Some("UDP"),
        "sctp" => Some("SCTP"),
        _ => None,
    }
}

/// A port name: the compose one when Kubernetes takes it (a DNS label of at most 15
/// characters with a letter), else `<protocol>-<port>`.
fn port_name(given: Option<&str>, protocol: &str, port: u16) -> String {
    if let Some(name) = given
        && name.len() <= 15
        && names::dns_label(name).as_deref() == Some(name)
    {
        return name.to_string();
    }
    format!("{}-{port}", protocol.to_ascii_lowercase())
}

/// `expose` entries: `3000`, `8000-8010`, `3000/udp`.
fn parse_expose(entry: &str) -> Option<(u16, u16, &'static str)> {
    let (ports, proto) = entry.split_once('/').unwrap_or((entry, "tcp"));
    let proto = protocol(proto)?;
    let (start, end) = match ports.split_once('-') {
        Some((a, b)) => (a.trim().parse().ok()?, b.trim().parse().ok()?),
        None => {
            let p = ports.trim().parse().ok()?;
            (p, p)
        }
    };
    (start <= end).then_some((start, end, proto))
}

/// The ports of `ports` and `expose`, in that order, each container port and protocol once;
/// and the published host side of each, as `[host_ip:]published->port/protocol`.
pub fn declared_ports(
    service: &Service,
    compose_name: &str,
    warnings: &mut Warnings,
) -> (Vec<DeclaredPort>, Vec<String>) {
    let mut ports: Vec<DeclaredPort> = Vec::new();
    let mut published = Vec::new();
    let add = |ports: &mut Vec<DeclaredPort>, port: DeclaredPort| {
        if !ports
            .iter()
            .any(|p| p.port == port.port && p.protocol == port.protocol)
        {
            ports.push(port);
        }
    };
    for entry in &service.ports {
        let Some(proto) = protocol(&entry.protocol) else {
            warnings.service(
                compose_name,
                "ports",
                format!(
                    "protocol \"{}\" is not TCP, UDP or SCTP; left out",
                    entry.protocol
                ),
            );
            continue;
        };
        if entry.target == 0 {
            warnings.service(compose_name, "ports", "container port 0 is left out");
            continue;
        }
        if let Some(host) = entry.published.as_deref() {
            let ip = entry
                .host_ip
                .as_deref()
                .map(|ip| {
                    if ip.contains(':') {
                        format!("[{ip}]:")
                    } else {
                        format!("{ip}:")
                    }
                })
                .unwrap_or_default();
            published.push(format!(
                "{ip}{host}->{}/{}",
                entry.target,
                proto.to_ascii_lowercase()
            ));
        }
        add(
            &mut ports,
            DeclaredPort {
                port: entry.target,
                protocol: proto,
                name: port_name(entry.name.as_deref(), proto, entry.target),
                app_protocol: entry.app_protocol.clone(),
            },
        );
    }
    for entry in &service.expose {
        let Some((start, end, proto)) = parse_expose(entry) else {
            warnings.service(
                compose_name,
                "expose",
                format!("\"{entry}\" is not a port, a range or PORT/PROTOCOL; left out"),
            );
            continue;
        };
        for port in start.max(1)..=end {
            add(
                &mut ports,
                DeclaredPort {
                    port,
                    protocol: proto,
                    name: port_name(None, proto, port),
                    app_protocol: None,
                },
            );
        }
    }
    (ports, published)
}

/// The container ports of a service.
pub fn container_ports(ports: &[DeclaredPort]) -> Option<Vec<ContainerPort>> {
    let list: Vec<ContainerPort> = ports
        .iter()
        .map(|p| ContainerPort {
            container_port: i32::from(p.port),
            name: Some(p.name.clone()),
            protocol: Some(p.protocol.to_string()),
            ..ContainerPort::default()
        })
        .collect();
    (!list.is_empty()).then_some(list)
}

/// The Service named after a compose service: ClusterIP with its declared ports, or
/// headless when it declares none, so that its name resolves to its pods (running ones, as
/// under compose, not only ready ones).
pub fn service_object(
    metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    selector: BTreeMap<String, String>,
    ports: &[DeclaredPort],
) -> KubeService {
    let service_ports: Vec<ServicePort> = ports
        .iter()
        .map(|p| ServicePort {
            name: Some(p.name.clone()),
            port: i32::from(p.port),
            protocol: Some(p.protocol.to_string()),
            target_port: Some(IntOrString::Int(i32::from(p.port))),
            app_protocol: p.app_protocol.clone(),
            ..ServicePort::default()
        })
        .collect();
    let headless = service_ports.is_empty();
    KubeService {
        metadata,
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".to_string()),
            cluster_ip: headless.then(|| "None".to_string()),
            // As compose's DNS does, resolve the name to pods that run, healthy or not.
            publish_not_ready_addresses: headless.then_some(true),
            ports: (!headless).then_some(service_ports),
            selector: Some(selector),
            ..ServiceSpec::default()
        }),
        ..KubeService::default()
    }
}

/// What the `depends_on` of a service became.
#[derive(Debug, Default)]
pub struct Dependencies {
    /// Init containers that wait for a dependency's Service.
    pub init_containers: Vec<Container>,
    /// Annotations on the workload: every dependency, and those that could not be enforced.
    pub annotations: BTreeMap<String, String>,
}

impl Converter<'_> {
    /// Init containers that wait for each dependency: until it answers on its first TCP
    /// port, or, when it declares no port, until its name resolves.
    pub(super) fn dependencies(&mut self, compose_name: &str, service: &Service) -> Dependencies {
        let mut result = Dependencies::default();
        let mut all = Vec::new();
        let mut unenforced = Vec::new();
        for (dependency, spec) in &service.depends_on {
            all.push(format!("{dependency}:{}", spec.condition));
            let (Some(target), Some(k8s_name)) = (
                self.project.services.get(dependency),
                self.service_names.get(dependency),
            ) else {
                continue;
            };
            let why = if spec.condition == DependencyCondition::ServiceCompletedSuccessfully {
                Some(format!(
                    "cannot be enforced: {dependency} runs as Job \"{k8s_name}\", which a pod \
                     cannot wait for without access to the Kubernetes API. Apply it first and \
                     wait with `kubectl wait --for=condition=complete job/{k8s_name}`"
                ))
            } else {
                let mut quiet = Warnings::default();
                let (ports, _) = declared_ports(target, dependency, &mut quiet);
                let one_shot = is_one_shot(self.project, dependency, target);
                match ports.iter().find(|p| p.protocol == "TCP") {
                    Some(port) => {
                        result.init_containers.push(wait_for(k8s_name, port.port));
                        None
                    }
                    // Its Service is headless and lists running pods: its name resolves
                    // once one runs. Not so for a Job, whose pods stop running when done.
                    None if ports.is_empty() && !one_shot => {
                        result.init_containers.push(wait_for_name(k8s_name));
                        (spec.condition == DependencyCondition::ServiceHealthy).then(|| {
                            "enforced in part: it declares no TCP port, so the pod waits until \
                             its name resolves (a pod of it runs), not until it is healthy"
                                .to_string()
                        })
                    }
                    None if one_shot => Some(format!(
                        "cannot be enforced: {dependency} runs as a Job and declares no TCP port \
                         to wait for"
                    )),
                    None => Some("cannot be enforced: it declares no TCP port to wait for".into()),
                }
            };
            if let Some(why) = why {
                self.warnings.service(
                    compose_name,
                    &format!("depends_on.{dependency}"),
                    format!("{} {why}", spec.condition),
                );
                unenforced.push(format!("{dependency}:{} ({why})", spec.condition));
            }
        }
        if !all.is_empty() {
            result
                .annotations
                .insert(format!("{ANNOTATION_PREFIX}depends-on"), all.join(","));
        }
        if !unenforced.is_empty() {
            result.annotations.insert(
                format!("{ANNOTATION_PREFIX}depends-on-unenforced"),
                unenforced.join("; "),
            );
        }
        result
    }

    /// Check `ports` and `expose`, and make the service's Service; returns its ports.
    pub(super) fn push_service(
        &mut self,
        compose_name: &str,
        k8s_name: &str,
        service: &Service,
    ) -> Result<Vec<DeclaredPort>> {
        let (ports, published) = declared_ports(service, compose_name, &mut self.warnings);
        let mut annotations = BTreeMap::new();
        if !published.is_empty() {
            annotations.insert(
                format!("{ANNOTATION_PREFIX}published-ports"),
                published.join(","),
            );
        }
        let metadata = self.metadata(
            k8s_name,
            names::service_labels(&self.project.name, k8s_name),
            annotations,
        );
        let object = service_object(
            metadata,
            names::selector_labels(&self.project.name, k8s_name),
            &ports,
        );
        self.push(&object)?;
        Ok(ports)
    }
}

/// An init container that waits until `service` accepts connections on `port`.
pub fn wait_for(service: &str, port: u16) -> Container {
    let name = names::dns_label(&format!("wait-for-{service}")).unwrap_or_else(|| "wait".into());
    Container {
        name,
        image: Some(WAIT_IMAGE.to_string()),
        command: Some(vec![
            "sh".to_string(),
            "-c".to_string(),
            format!(
                "until nc -z -w 2 {service} {port}; do echo waiting for {service}:{port}; sleep 2; done"
            ),
        ]),
        ..Container::default()
    }
}

/// An init container that waits until the name of `service` (a headless Service) resolves,
/// that is until one of its pods runs.
pub fn wait_for_name(service: &str) -> Container {
    let name = names::dns_label(&format!("wait-for-{service}")).unwrap_or_else(|| "wait".into());
    Container {
        name,
        image: Some(WAIT_IMAGE.to_string()),
        command: Some(vec![
            "sh".to_string(),
            "-c".to_string(),
            format!(
                "until nslookup {service} >/dev/null 2>&1; do echo waiting for {service}; sleep 2; done"
            ),
        ]),
        ..Container::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn service(value: serde_json::Value) -> Service {
        serde_json::from_value(value).expect("a valid service")
    }

    #[test]
    fn ports_and_expose_become_container_ports_once() {
        let mut w = Warnings::default();
        let s = service(json!({
            "ports": ["127.0.0.1:8080:80", "8081:80", "5000:5000/udp", "[::1]:9000:9000",
                      {"target": 443, "name": "https", "app_protocol": "https"}],
            "expose": ["80", "3000-3001", "53/udp"]
        }));
        let (ports, published) = declared_ports(&s, "web", &mut w);
        let summary: Vec<(u16, &str, &str)> = ports
            .iter()
            .map(|p| (p.port, p.protocol, p.name.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                (80, "TCP", "tcp-80"),
                (5000, "UDP", "udp-5000"),
                (9000, "TCP", "tcp-9000"),
                (443, "TCP", "https"),
                (3000, "TCP", "tcp-3000"),
                (3001, "TCP", "tcp-3001"),
                (53, "UDP", "udp-53"),
            ]
        );
        assert_eq!(ports[3].app_protocol.as_deref(), Some("https"));
        assert_eq!(
            published,
            [
                "127.0.0.1:8080->80/tcp",
                "8081->80/tcp",
                "5000->5000/udp",
                "[::1]:9000->9000/tcp"
            ]
        );
        assert!(w.is_empty());
    }

    #[test]
    fn a_service_without_ports_is_headless() {
        let object = service_object(Default::default(), BTreeMap::new(), &[]);
        let spec = object.spec.expect("a spec");
        assert_eq!(spec.cluster_ip.as_deref(), Some("None"));
        assert_eq!(spec.ports, None);
        let port = DeclaredPort {
            port: 80,
            protocol: "TCP",
            name: "tcp-80".into(),
            app_protocol: None,
        };
        let object = service_object(Default::default(), BTreeMap::new(), &[port]);
        let spec = object.spec.expect("a spec");
        assert_eq!(spec.cluster_ip, None);
        assert_eq!(spec.ports.map(|p| p[0].port), Some(80));
    }

    #[test]
    fn bad_expose_entries_warn() {
        let mut w = Warnings::default();
        let s = service(json!({"expose": ["x", "90-80", "1/icmp"]}));
        assert!(declared_ports(&s, "a", &mut w).0.is_empty());
        assert_eq!(w.len(), 3);
    }

    #[test]
    fn waiting_uses_netcat_on_the_service_name() {
        let c = wait_for("db", 5432);
        assert_eq!(c.name, "wait-for-db");
        assert_eq!(
            c.command.expect("a command")[2],
            "until nc -z -w 2 db 5432; do echo waiting for db:5432; sleep 2; done"
        );
    }
}
