//! Merging compose trees, as 13-merge.md says: mappings merge key by key, sequences append,
//! a few keys are replaced instead (command, entrypoint, healthcheck test), ports, volumes,
//! secrets and configs merge by their unique key, and `!reset` / `!override` tags win over all.
//! The same rules serve `-f a -f b` and `extends`.

use super::yaml::{Key, Node, Tag, Value};

/// Keys written either as a list (`KEY=VALUE`, `name`) or a mapping: both sides are turned
/// into mappings before merging, so that entries merge by key whatever form each file uses.
const LIST_OR_MAPPING: &[&str] = &[
    "services.*.environment",
    "services.*.labels",
    "services.*.annotations",
    "services.*.sysctls",
    "services.*.depends_on",
    "services.*.networks",
    "services.*.models",
    "services.*.build.args",
    "services.*.build.labels",
    "services.*.build.additional_contexts",
    "services.*.deploy.labels",
    "services.*.volumes.*.volume.labels",
    "networks.*.labels",
    "volumes.*.labels",
];

/// Keys written as one string or a list of them: a string is a list of one, so that a
/// string in one file and a list in another append.
const STRING_OR_LIST: &[&str] = &[
    "services.*.dns",
    "services.*.dns_opt",
    "services.*.dns_search",
    "services.*.tmpfs",
    "services.*.env_file",
    "services.*.label_file",
];

/// Keys whose value is replaced, never merged.
const REPLACED: &[&str] = &[
    "services.*.command",
    "services.*.entrypoint",
    "services.*.healthcheck.test",
    "services.*.ulimits.*",
];

/// Whether a path (`["services", "web", "build", "labels"]`) matches a pattern
/// (`services.*.build.labels`, `*` standing for one name).
fn matches(path: &[&str], pattern: &str) -> bool {
    let parts: Vec<&str> = pattern.split('.').collect();
    parts.len() == path.len() && parts.iter().zip(path).all(|(p, s)| *p == "*" || p == s)
}

fn matches_any(path: &[&str], patterns: &[&str]) -> bool {
    patterns.iter().any(|p| matches(path, p))
}

/// Merge `over` into `base` for a whole compose file tree.
pub fn merge_files(base: &mut Node, over: Node) {
    merge_at(base, over, &[]);
}

/// Merge a service definition `over` into `base` (for `extends` and for file merges).
pub fn merge_service(base: &mut Node, over: Node) {
    merge_at(base, over, &["services", "*"]);
}

fn merge_at(base: &mut Node, over: Node, path: &[&str]) {
    if over.tag == Some(Tag::Override) || over.tag == Some(Tag::Reset) {
        *base = over;
        return;
    }
    match (&mut base.value, over.value) {
        (Value::Map(base_entries), Value::Map(over_entries)) => {
            for (key, mut value) in over_entries {
                let mut child_path: Vec<&str> = path.to_vec();
                child_path.push(key.name.as_str());
                let child_path = child_path.as_slice();
                let list_or_mapping = matches_any(child_path, LIST_OR_MAPPING);
                let string_or_list = matches_any(child_path, STRING_OR_LIST);
                if list_or_mapping {
                    to_mapping(&mut value, &key.name);
                }
                if string_or_list {
                    to_list(&mut value);
                }
                match base_entries.iter_mut().find(|(k, _)| k.name == key.name) {
                    Some((_, existing)) => {
                        if list_or_mapping {
                            to_mapping(existing, &key.name);
                        }
                        if string_or_list {
                            to_list(existing);
                        }
                        if matches!(value.tag, Some(Tag::Reset | Tag::Override))
                            || matches_any(child_path, REPLACED)
                        {
                            *existing = value;
                        } else if matches(child_path, "services.*.logging") {
                            merge_logging(existing, value, child_path);
                        } else if matches(child_path, "services.*.extra_hosts")
                            || matches(child_path, "services.*.build.extra_hosts")
                        {
                            merge_extra_hosts(existing, value);
                        } else if let Some(identify) = unique_by(child_path) {
                            merge_unique(existing, value, identify);
                        } else {
                            merge_at(existing, value, child_path);
                        }
                    }
                    None => base_entries.push((key, value)),
                }
            }
            // `!reset` entries are removed after merging: they reset to "not set".
            base_entries.retain(|(_, v)| v.tag != Some(Tag::Reset));
        }
        (Value::Seq(base_items), Value::Seq(over_items)) => {
            for item in over_items {
                let duplicate_scalar = !matches!(item.value, Value::Map(_) | Value::Seq(_))
                    && base_items.iter().any(|b| b.value == item.value);
                if !duplicate_scalar {
                    base_items.push(item);
                }
            }
        }
        (_, value) => {
            base.value = value;
            base.mark = over.mark;
            base.tag = over.tag;
        }
    }
}

/// Logging options merge only when both files use the same driver (or one names none);
/// another driver replaces the whole logging configuration, its options included.
fn merge_logging(base: &mut Node, over: Node, path: &[&str]) {
    let driver = |n: &Node| n.get("driver").and_then(Node::scalar_text);
    match (driver(base), driver(&over)) {
        (Some(a), Some(b)) if a != b => *base = over,
        _ => merge_at(base, over, path),
    }
}

/// `extra_hosts` entries append as `host=ip` lines, an exact repeat dropped: two files may map
/// one host to several addresses.
fn merge_extra_hosts(base: &mut Node, over: Node) {
    fn lines(node: &Node) -> Vec<Node> {
        let line = |host: &str, ip: &Node| -> Option<Node> {
            let ip = ip.scalar_text()?;
            Some(Node::new(
                Value::Str(format!("{host}={ip}")),
                ip_mark(ip_node(ip, node)),
            ))
        };
        match &node.value {
            Value::Map(entries) => entries
                .iter()
                .flat_map(|(k, v)| match &v.value {
                    Value::Seq(ips) => ips.iter().filter_map(|ip| line(&k.name, ip)).collect(),
                    _ => line(&k.name, v).into_iter().collect::<Vec<_>>(),
                })
                .collect(),
            Value::Seq(items) => items
                .iter()
                .map(|item| match item.scalar_text() {
                    Some(text) => match text.split_once(['=', ':']) {
                        Some((host, ip)) => {
                            Node::new(Value::Str(format!("{host}={ip}")), item.mark.clone())
                        }
                        None => item.clone(),
                    },
                    None => item.clone(),
                })
                .collect(),
            _ => vec![node.clone()],
        }
    }
    fn ip_node(_: String, node: &Node) -> &Node {
        node
    }
    fn ip_mark(node: &Node) -> crate::error::Mark {
        node.mark.clone()
    }
    let mut merged = lines(base);
    for line in lines(&over) {
        if !merged.iter().any(|m| m.value == line.value) {
            merged.push(line);
        }
    }
    base.value = Value::Seq(merged);
    base.mark = over.mark;
}

/// The keys that identify an entry of ports, volumes, secrets, configs and devices.
type Identify = fn(&Node) -> Option<String>;

fn unique_by(path: &[&str]) -> Option<Identify> {
    let key = match path {
        ["services", _, key] => *key,
        _ => return None,
    };
    Some(match key {
        "volumes" => volume_target,
        "secrets" => secret_target,
        "configs" => config_target,
        "ports" => port_key,
        "devices" => device_target,
        _ => return None,
    })
}

fn merge_unique(base: &mut Node, over: Node, identify: Identify) {
    match (&mut base.value, over.value) {
        (Value::Seq(base_items), Value::Seq(over_items)) => {
            for item in over_items {
                let id = identify(&item);
                match id.and_then(|id| {
                    base_items
                        .iter()
                        .position(|b| identify(b).as_deref() == Some(id.as_str()))
                }) {
                    Some(at) => base_items[at] = item,
                    None => base_items.push(item),
                }
            }
        }
        (_, value) => base.value = value,
    }
}

/// A device mapping is identified by its path in the container (`HOST:CONTAINER[:PERMS]`, or
/// the host path when it is the same).
fn device_target(node: &Node) -> Option<String> {
    match &node.value {
        Value::Map(_) => node.get("target").and_then(Node::scalar_text),
        _ => node.scalar_text().map(|s| {
            let parts: Vec<&str> = s.split(':').collect();
            parts.get(1).unwrap_or(&parts[0]).to_string()
        }),
    }
}

fn volume_target(node: &Node) -> Option<String> {
    match &node.value {
        Value::Str(s) => {
            let parts: Vec<&str> = s.split(':').collect();
            Some(match parts.len() {
                1 => parts[0].to_string(),
                _ => parts[1].to_string(),
            })
        }
        Value::Map(_) => node.get("target").and_then(Node::scalar_text),
        _ => None,
    }
}

fn secret_target(node: &Node) -> Option<String> {
    target_or_source(node, "/run/secrets/")
}

fn config_target(node: &Node) -> Option<String> {
    target_or_source(node, "/")
}

fn target_or_source(node: &Node, prefix: &str) -> Option<String> {
    match &node.value {
        Value::Str(s) => Some(format!("{prefix}{s}")),
        Value::Map(_) => match node.get("target").and_then(Node::scalar_text) {
            Some(t) if t.starts_with('/') => Some(t),
            Some(t) => Some(format!("{prefix}{t}")),
            None => node
                .get("source")
                .and_then(Node::scalar_text)
                .map(|s| format!("{prefix}{s}")),
        },
        _ => None,
    }
}

fn port_key(node: &Node) -> Option<String> {
    match &node.value {
        Value::Map(_) => {
            let field = |k: &str| node.get(k).and_then(Node::scalar_text).unwrap_or_default();
            let protocol = match field("protocol") {
                p if p.is_empty() => "tcp".to_string(),
                p => p,
            };
            Some(format!(
                "{}:{}:{}/{}",
                field("host_ip"),
                field("published"),
                field("target"),
                protocol
            ))
        }
        _ => node.scalar_text().map(|s| {
            if s.contains('/') {
                s
            } else {
                format!("{s}/tcp")
            }
        }),
    }
}

/// Turn the list form of a list-or-mapping key into its mapping form, in place.
pub fn to_mapping(node: &mut Node, key: &str) {
    let Value::Seq(items) = &node.value else {
        return;
    };
    let mut entries: Vec<(Key, Node)> = Vec::with_capacity(items.len());
    for item in items {
        let Some(text) = item.scalar_text() else {
            return; // not a list of scalars: leave it for the validator to report
        };
        let (name, value) = match key {
            // A listed dependency is a started one, required.
            "depends_on" => {
                let mark = item.mark.clone();
                let field = |name: &str, value: Value| {
                    (
                        Key {
                            name: name.to_string(),
                            mark: mark.clone(),
                        },
                        Node::new(value, mark.clone()),
                    )
                };
                (
                    text,
                    Value::Map(vec![
                        field("condition", Value::Str("service_started".into())),
                        field("required", Value::Bool(true)),
                    ]),
                )
            }
            "networks" | "models" => (text, Value::Null),
            "extra_hosts" => match text.split_once(['=', ':']) {
                // `host:ip` and `host=ip`; IPv6 addresses keep their colons.
                Some((host, ip)) => (host.to_string(), Value::Str(ip.to_string())),
                None => (text, Value::Null),
            },
            _ => match text.split_once('=') {
                Some((k, v)) => (k.to_string(), Value::Str(v.to_string())),
                None => (text, Value::Null),
            },
        };
        let value_node = Node::new(value, item.mark.clone());
        match entries.iter_mut().find(|(k, _)| k.name == name) {
            Some(slot) => slot.1 = value_node,
            None => entries.push((
                Key {
                    name,
                    mark: item.mark.clone(),
                },
                value_node,
            )),
        }
    }
    node.value = Value::Map(entries);
}

/// A single string as a list of one, in place.
fn to_list(node: &mut Node) {
    if matches!(node.value, Value::Str(_)) {
        let item = Node::new(node.value.clone(), node.mark.clone());
        node.value = Value::Seq(vec![item]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::load::yaml::{Positions, parse};
    use std::sync::Arc;

    fn tree(src: &str) -> Node {
        parse(src, &Arc::from("t.yml")).unwrap_or_else(|e| panic!("{e}"))
    }

    fn merged(a: &str, b: &str) -> serde_json::Value {
        let mut base = tree(a);
        merge_files(&mut base, tree(b));
        base.to_json(&mut Positions::default())
    }

    #[test]
    fn mappings_merge_and_scalars_override() {
        let v = merged(
            "services:\n  foo:\n    image: a\n    user: x\n",
            "services:\n  foo:\n    image: b\n    hostname: h\n",
        );
        assert_eq!(v["services"]["foo"]["image"], "b");
        assert_eq!(v["services"]["foo"]["user"], "x");
        assert_eq!(v["services"]["foo"]["hostname"], "h");
    }

    #[test]
    fn sequences_append() {
        let v = merged(
            "services:\n  foo:\n    dns: [1.1.1.1]\n",
            "services:\n  foo:\n    dns: [8.8.8.8, 1.1.1.1]\n",
        );
        assert_eq!(
            v["services"]["foo"]["dns"],
            serde_json::json!(["1.1.1.1", "8.8.8.8"])
        );
    }

    #[test]
    fn commands_are_replaced() {
        let v = merged(
            "services:\n  foo:\n    command: [echo, foo]\n    entrypoint: [a]\n",
            "services:\n  foo:\n    command: [echo, bar]\n    entrypoint: b\n",
        );
        assert_eq!(
            v["services"]["foo"]["command"],
            serde_json::json!(["echo", "bar"])
        );
        assert_eq!(v["services"]["foo"]["entrypoint"], "b");
    }

    #[test]
    fn healthcheck_test_is_replaced_and_other_keys_merge() {
        let v = merged(
            "services:\n  foo:\n    healthcheck:\n      test: [CMD, a, b]\n      interval: 5s\n",
            "services:\n  foo:\n    healthcheck:\n      test: [CMD, c]\n",
        );
        assert_eq!(
            v["services"]["foo"]["healthcheck"]["test"],
            serde_json::json!(["CMD", "c"])
        );
        assert_eq!(v["services"]["foo"]["healthcheck"]["interval"], "5s");
    }

    #[test]
    fn volumes_merge_by_target() {
        let v = merged(
            "services:\n  foo:\n    volumes: ['foo:/work', 'x:/x']\n",
            "services:\n  foo:\n    volumes: ['bar:/work', {type: volume, source: y, target: /y}]\n",
        );
        assert_eq!(
            v["services"]["foo"]["volumes"],
            serde_json::json!(["bar:/work", "x:/x", {"type": "volume", "source": "y", "target": "/y"}])
        );
    }

    #[test]
    fn ports_merge_by_identity() {
        let v = merged(
            "services:\n  foo:\n    ports: ['8080:80', '53:53/udp']\n",
            "services:\n  foo:\n    ports: ['8080:80', '9090:90']\n",
        );
        assert_eq!(
            v["services"]["foo"]["ports"],
            serde_json::json!(["8080:80", "53:53/udp", "9090:90"])
        );
    }

    #[test]
    fn environment_list_and_mapping_merge_by_key() {
        let v = merged(
            "services:\n  foo:\n    environment: [A=1, B=2, C]\n",
            "services:\n  foo:\n    environment:\n      B: '3'\n      D: '4'\n",
        );
        assert_eq!(
            v["services"]["foo"]["environment"],
            serde_json::json!({"A": "1", "B": "3", "C": null, "D": "4"})
        );
    }

    #[test]
    fn depends_on_list_merges_with_mapping() {
        let v = merged(
            "services:\n  foo:\n    depends_on: [a]\n",
            "services:\n  foo:\n    depends_on:\n      b:\n        condition: service_healthy\n",
        );
        assert_eq!(
            v["services"]["foo"]["depends_on"],
            serde_json::json!({
                "a": {"condition": "service_started", "required": true},
                "b": {"condition": "service_healthy"}
            })
        );
    }

    #[test]
    fn reset_removes_and_override_replaces() {
        let v = merged(
            "services:\n  app:\n    image: myapp\n    ports: ['8080:80']\n    environment:\n      FOO: BAR\n      KEEP: x\n    dns: [a]\n",
            "services:\n  app:\n    ports: !reset []\n    environment:\n      FOO: !reset null\n    dns: !override [b]\n",
        );
        let app = &v["services"]["app"];
        assert!(app.get("ports").is_none(), "{app}");
        assert_eq!(app["environment"], serde_json::json!({"KEEP": "x"}));
        assert_eq!(app["dns"], serde_json::json!(["b"]));
    }

    #[test]
    fn a_string_after_a_list_appends() {
        let v = merged(
            "services:\n  foo:\n    dns: [8.8.8.8]\n    tmpfs: /foo\n",
            "services:\n  foo:\n    dns: 9.9.9.9\n    tmpfs: [/bar]\n",
        );
        assert_eq!(
            v["services"]["foo"]["dns"],
            serde_json::json!(["8.8.8.8", "9.9.9.9"])
        );
        assert_eq!(
            v["services"]["foo"]["tmpfs"],
            serde_json::json!(["/foo", "/bar"])
        );
    }

    #[test]
    fn nested_labels_merge_across_forms() {
        let v = merged(
            "services:\n  foo:\n    build:\n      labels: {FOO: BAR}\n    deploy:\n      labels: [A=1]\n",
            "services:\n  foo:\n    build:\n      labels: [QIX=ZOT]\n    deploy:\n      labels: {B: '2'}\n",
        );
        let foo = &v["services"]["foo"];
        assert_eq!(
            foo["build"]["labels"],
            serde_json::json!({"FOO": "BAR", "QIX": "ZOT"})
        );
        assert_eq!(
            foo["deploy"]["labels"],
            serde_json::json!({"A": "1", "B": "2"})
        );
    }

    #[test]
    fn another_logging_driver_drops_the_old_options() {
        let v = merged(
            "services:\n  foo:\n    logging: {driver: local, options: {max-size: 10m}}\n",
            "services:\n  foo:\n    logging: {driver: syslog, options: {syslog-address: x}}\n",
        );
        assert_eq!(
            v["services"]["foo"]["logging"],
            serde_json::json!({"driver": "syslog", "options": {"syslog-address": "x"}})
        );
        let same = merged(
            "services:\n  foo:\n    logging: {driver: local, options: {max-size: 10m}}\n",
            "services:\n  foo:\n    logging: {options: {max-file: '3'}}\n",
        );
        assert_eq!(
            same["services"]["foo"]["logging"]["options"],
            serde_json::json!({"max-size": "10m", "max-file": "3"})
        );
    }

    #[test]
    fn extra_hosts_keep_every_address_of_a_host() {
        let v = merged(
            "services:\n  foo:\n    extra_hosts: [example.com=1.2.3.4]\n",
            "services:\n  foo:\n    extra_hosts: {localhost: 127.0.0.1, example.com: [1.2.3.4, 4.3.2.1]}\n",
        );
        assert_eq!(
            v["services"]["foo"]["extra_hosts"],
            serde_json::json!([
                "example.com=1.2.3.4",
                "localhost=127.0.0.1",
                "example.com=4.3.2.1"
            ])
        );
    }

    #[test]
    fn devices_merge_by_container_path() {
        let v = merged(
            "services:\n  foo:\n    devices: ['/dev/sda:/dev/sda', '/dev/sdb']\n",
            "services:\n  foo:\n    devices: ['/dev/nvme0n1:/dev/sda']\n",
        );
        assert_eq!(
            v["services"]["foo"]["devices"],
            serde_json::json!(["/dev/nvme0n1:/dev/sda", "/dev/sdb"])
        );
    }

    #[test]
    fn new_services_are_added() {
        let v = merged(
            "services:\n  a:\n    image: x\n",
            "services:\n  b:\n    image: y\n",
        );
        assert_eq!(v["services"]["a"]["image"], "x");
        assert_eq!(v["services"]["b"]["image"], "y");
    }
}
