//! `ports` and `expose`: the exposed ports of the container and their host bindings.

use std::collections::HashMap;

use bollard::models::{ContainerCreateBody, HostConfig, PortBinding};

use crate::project::model::Service;

/// Fill `ExposedPorts` and `PortBindings`.
pub(super) fn apply(service: &Service, body: &mut ContainerCreateBody, host: &mut HostConfig) {
    let mut exposed: Vec<String> = Vec::new();
    let mut bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    for port in &service.ports {
        let key = format!("{}/{}", port.target, port.protocol);
        if !exposed.contains(&key) {
            exposed.push(key.clone());
        }
        bindings
            .entry(key)
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_with(Vec::new)
            .push(PortBinding {
                host_ip: port.host_ip.clone(),
                host_port: Some(port.published.clone().unwrap_or_default()),
            });
    }
    for expose in &service.expose {
        let key = if expose.contains('/') {
            expose.clone()
        } else {
            format!("{expose}/tcp")
        };
        if !exposed.contains(&key) {
            exposed.push(key);
        }
    }
    body.exposed_ports = (!exposed.is_empty()).then_some(exposed);
    host.port_bindings = (!bindings.is_empty()).then_some(bindings);
}
