//! Published ports of a service: the short syntax (`"127.0.0.1:8080:80/udp"`, ranges,
//! IPv6) expanded to one long-syntax entry per container port, as compose v2 does.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::de as d;

/// One published (or only exposed) container port, in long syntax.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct ServicePort {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `ingress` (the default) or `host`.
    #[serde(default = "default_mode")]
    pub mode: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_ip: Option<String>,
    /// The port inside the container.
    #[serde(deserialize_with = "d::lenient")]
    pub target: u16,
    /// The host port: a number, a range `8000-8010` to pick from, or `None` for any free port.
    #[serde(
        default,
        deserialize_with = "d::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub published: Option<String>,
    /// `tcp` (the default), `udp` or `sctp`.
    #[serde(default = "default_protocol")]
    pub protocol: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_protocol: Option<String>,
    #[serde(
        flatten,
        deserialize_with = "d::extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Value>,
}

fn default_mode() -> String {
    "ingress".to_string()
}

fn default_protocol() -> String {
    "tcp".to_string()
}

impl Default for ServicePort {
    fn default() -> Self {
        ServicePort {
            name: None,
            mode: default_mode(),
            host_ip: None,
            target: 0,
            published: None,
            protocol: default_protocol(),
            app_protocol: None,
            extensions: BTreeMap::new(),
        }
    }
}

fn parse_port_number(text: &str, spec: &str) -> Result<u16, String> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("invalid port \"{spec}\": port must be a number"));
    }
    text.parse::<u16>().map_err(|_| {
        format!("invalid port \"{spec}\": port must be between 0 and 65535, not {text}")
    })
}

/// `80` or `8000-8010` → (first, last).
fn parse_port_range(text: &str, spec: &str) -> Result<(u16, u16), String> {
    let (start, end) = match text.split_once('-') {
        Some((a, b)) => (parse_port_number(a, spec)?, parse_port_number(b, spec)?),
        None => {
            let port = parse_port_number(text, spec)?;
            (port, port)
        }
    };
    if end < start {
        return Err(format!(
            "invalid port \"{spec}\": range {text} ends before it starts"
        ));
    }
    Ok((start, end))
}

/// Parse the short syntax `[[IP:]HOST:]CONTAINER[/PROTOCOL]`, where HOST and CONTAINER may
/// be ranges, into one entry per container port.
///
/// Like compose v2: `"9090-9091:8080-8081"` gives two entries published on 9090 and 9091;
/// `"8000-8010:80"` gives one entry published on the range `8000-8010`.
pub fn parse_port_spec(spec: &str) -> Result<Vec<ServicePort>, String> {
    let parts: Vec<&str> = spec.split(':').collect();
    let (ip, host, container) = match parts.as_slice() {
        [container] => ("".to_string(), "", *container),
        [host, container] => ("".to_string(), *host, *container),
        [ip, host, container] => (ip.to_string(), *host, *container),
        [ip @ .., host, container] => (ip.join(":"), *host, *container),
        [] => return Err(format!("invalid port \"{spec}\": no port given")),
    };
    let (container, protocol) = match container.split_once('/') {
        Some((port, proto)) if !proto.is_empty() => (port, proto.to_ascii_lowercase()),
        Some((port, _)) => (port, default_protocol()),
        None => (container, default_protocol()),
    };
    if !matches!(protocol.as_str(), "tcp" | "udp" | "sctp") {
        return Err(format!(
            "invalid port \"{spec}\": protocol must be tcp, udp or sctp, not {protocol}"
        ));
    }
    let host_ip = if ip.is_empty() {
        None
    } else {
        let bare = ip
            .strip_prefix('[')
            .and_then(|s| s.strip_suffix(']'))
            .unwrap_or(&ip);
        if bare.parse::<IpAddr>().is_err() {
            return Err(format!(
                "invalid port \"{spec}\": \"{ip}\" is not an IP address"
            ));
        }
        Some(bare.to_string())
    };
    if container.is_empty() {
        return Err(format!("invalid port \"{spec}\": no container port given"));
    }
    let (start, end) = parse_port_range(container, spec)?;
    let host_range = if host.is_empty() {
        None
    } else {
        Some(parse_port_range(host, spec)?)
    };
    if let Some((host_start, host_end)) = host_range
        && start != end
        && host_end - host_start != end - start
    {
        return Err(format!(
            "invalid port \"{spec}\": host range {host} and container range {container} \
             must have the same length"
        ));
    }
    let ports = (start..=end)
        .map(|target| {
            let offset = target - start;
            let published = host_range.map(|(host_start, host_end)| {
                if start == end && host_start != host_end {
                    format!("{host_start}-{host_end}")
                } else {
                    (host_start + offset).to_string()
                }
            });
            ServicePort {
                host_ip: host_ip.clone(),
                target,
                published,
                protocol: protocol.clone(),
                ..ServicePort::default()
            }
        })
        .collect();
    Ok(ports)
}

/// One entry of `ports:` (short string, number, or long mapping), possibly expanding to many.
struct PortEntry(Vec<ServicePort>);

impl<'de> Deserialize<'de> for PortEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntryVisitor;
        impl<'de> Visitor<'de> for EntryVisitor {
            type Value = PortEntry;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a port such as \"8080:80\" or a mapping with target")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<PortEntry, E> {
                parse_port_spec(v).map(PortEntry).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<PortEntry, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<PortEntry, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<PortEntry, A::Error> {
                d::from_map(map).map(|port| PortEntry(vec![port]))
            }
        }
        deserializer.deserialize_any(EntryVisitor)
    }
}

/// The `ports` list of a service, normalized to long syntax.
pub(crate) fn ports<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ServicePort>, D::Error> {
    let entries = Option::<Vec<PortEntry>>::deserialize(d)?.unwrap_or_default();
    Ok(entries.into_iter().flat_map(|e| e.0).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn port(
        host_ip: Option<&str>,
        published: Option<&str>,
        target: u16,
        proto: &str,
    ) -> ServicePort {
        ServicePort {
            host_ip: host_ip.map(str::to_string),
            published: published.map(str::to_string),
            target,
            protocol: proto.to_string(),
            ..ServicePort::default()
        }
    }

    #[test]
    fn short_syntax() {
        let cases: Vec<(&str, Vec<ServicePort>)> = vec![
            ("80", vec![port(None, None, 80, "tcp")]),
            ("8080:80", vec![port(None, Some("8080"), 80, "tcp")]),
            ("8080:80/udp", vec![port(None, Some("8080"), 80, "udp")]),
            ("8080:80/UDP", vec![port(None, Some("8080"), 80, "udp")]),
            ("8080:80/", vec![port(None, Some("8080"), 80, "tcp")]),
            (
                "127.0.0.1:8080:80/udp",
                vec![port(Some("127.0.0.1"), Some("8080"), 80, "udp")],
            ),
            (
                "127.0.0.1::80",
                vec![port(Some("127.0.0.1"), None, 80, "tcp")],
            ),
            (
                "[::1]:80:80",
                vec![port(Some("::1"), Some("80"), 80, "tcp")],
            ),
            (
                "::1:6000:6000",
                vec![port(Some("::1"), Some("6000"), 6000, "tcp")],
            ),
            (
                "9090-9091:8080-8081",
                vec![
                    port(None, Some("9090"), 8080, "tcp"),
                    port(None, Some("9091"), 8081, "tcp"),
                ],
            ),
            (
                "3000-3002",
                vec![
                    port(None, None, 3000, "tcp"),
                    port(None, None, 3001, "tcp"),
                    port(None, None, 3002, "tcp"),
                ],
            ),
            (
                "8000-8010:80",
                vec![port(None, Some("8000-8010"), 80, "tcp")],
            ),
            (
                "127.0.0.1:5000-5001:6000-6001/sctp",
                vec![
                    port(Some("127.0.0.1"), Some("5000"), 6000, "sctp"),
                    port(Some("127.0.0.1"), Some("5001"), 6001, "sctp"),
                ],
            ),
        ];
        for (spec, want) in cases {
            assert_eq!(parse_port_spec(spec), Ok(want), "{spec}");
        }
    }

    #[test]
    fn short_syntax_errors() {
        let cases = [
            ("80:abc", "invalid port \"80:abc\": port must be a number"),
            ("", "invalid port \"\": no container port given"),
            ("8080:", "invalid port \"8080:\": no container port given"),
            (
                "70000",
                "invalid port \"70000\": port must be between 0 and 65535, not 70000",
            ),
            (
                "80/xyz",
                "invalid port \"80/xyz\": protocol must be tcp, udp or sctp, not xyz",
            ),
            (
                "host:80:80",
                "invalid port \"host:80:80\": \"host\" is not an IP address",
            ),
            (
                "90-91:80-85",
                "invalid port \"90-91:80-85\": host range 90-91 and container range 80-85 \
                 must have the same length",
            ),
            (
                "85-80",
                "invalid port \"85-80\": range 85-80 ends before it starts",
            ),
        ];
        for (spec, want) in cases {
            assert_eq!(parse_port_spec(spec), Err(want.to_string()), "{spec}");
        }
    }

    #[derive(Deserialize)]
    struct Probe {
        #[serde(deserialize_with = "ports")]
        ports: Vec<ServicePort>,
    }

    #[test]
    fn list_mixes_numbers_short_and_long() {
        let probe: Probe = serde_json::from_value(json!({"ports": [
            3000,
            "9090-9091:8080-8081",
            {"target": "443", "published": 8443, "host_ip": "127.0.0.1", "app_protocol": "https",
             "name": "web", "x-note": 1},
            {"target": 53, "protocol": "udp", "mode": "host"},
        ]}))
        .unwrap();
        let mut long = port(Some("127.0.0.1"), Some("8443"), 443, "tcp");
        long.name = Some("web".to_string());
        long.app_protocol = Some("https".to_string());
        long.extensions.insert("x-note".to_string(), json!(1));
        let mut host_mode = port(None, None, 53, "udp");
        host_mode.mode = "host".to_string();
        assert_eq!(
            probe.ports,
            vec![
                port(None, None, 3000, "tcp"),
                port(None, Some("9090"), 8080, "tcp"),
                port(None, Some("9091"), 8081, "tcp"),
                long,
                host_mode,
            ]
        );
    }

    #[test]
    fn serializes_in_compose_shape() {
        let value = serde_json::to_value(port(Some("127.0.0.1"), Some("8080"), 80, "tcp")).unwrap();
        assert_eq!(
            value,
            json!({"mode": "ingress", "host_ip": "127.0.0.1", "target": 80,
                   "published": "8080", "protocol": "tcp"})
        );
        let text = serde_json::to_string(&port(None, Some("8080"), 80, "tcp")).unwrap();
        assert_eq!(
            text,
            r#"{"mode":"ingress","target":80,"published":"8080","protocol":"tcp"}"#
        );
    }
}
