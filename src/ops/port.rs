//! `port`: the host address a container port of a service is published on.

use crate::engine::observe::ObservedContainer;
use crate::error::{Error, Result};

/// `HOST:PORT` for `port/protocol` of `container`; IPv4 bindings first.
pub fn published(container: &ObservedContainer, port: u16, protocol: &str) -> Result<String> {
    let mut bindings: Vec<(String, u16)> = container
        .ports
        .iter()
        .filter(|p| p.container_port == port && p.protocol == protocol)
        .filter_map(|p| {
            let host_port = p.host_port?;
            let ip = p.host_ip.clone().unwrap_or_else(|| "0.0.0.0".to_string());
            Some((ip, host_port))
        })
        .collect();
    bindings.sort_by_key(|(ip, _)| ip.contains(':'));
    match bindings.first() {
        Some((ip, host_port)) if ip.contains(':') => Ok(format!("[{ip}]:{host_port}")),
        Some((ip, host_port)) => Ok(format!("{ip}:{host_port}")),
        None => Err(Error::new(format!(
            "no port {port}/{protocol} for container {}",
            container.name
        ))
        .with_hint("publish it with `ports:` in the compose file")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::observe::PublishedPort;

    fn container(ports: Vec<PublishedPort>) -> ObservedContainer {
        ObservedContainer {
            id: "id".into(),
            name: "p-web-1".into(),
            project: "p".into(),
            service: "web".into(),
            number: 1,
            oneoff: false,
            config_hash: None,
            state: crate::engine::observe::State::Running,
            health: None,
            exit_code: None,
            status: String::new(),
            image: String::new(),
            image_id: String::new(),
            command: String::new(),
            created: 0,
            ports,
            labels: Default::default(),
            networks: Vec::new(),
            mounts: Vec::new(),
            local_volumes: 0,
        }
    }

    fn port(ip: &str, host: u16, target: u16) -> PublishedPort {
        PublishedPort {
            host_ip: Some(ip.into()),
            host_port: Some(host),
            container_port: target,
            protocol: "tcp".into(),
        }
    }

    #[test]
    fn ipv4_binding_first() {
        let c = container(vec![port("::", 8080, 80), port("0.0.0.0", 8080, 80)]);
        assert_eq!(
            published(&c, 80, "tcp").ok().as_deref(),
            Some("0.0.0.0:8080")
        );
        let err = published(&c, 81, "tcp").err().map(|e| e.message);
        assert_eq!(err.as_deref(), Some("no port 81/tcp for container p-web-1"));
        assert!(published(&c, 80, "udp").is_err());
    }
}
