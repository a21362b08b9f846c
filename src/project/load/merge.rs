//! Merging compose trees, as 13-merge.md says: mappings merge key by key, sequences append,
//! a few keys are replaced instead (command, entrypoint, healthcheck test), ports, volumes,
//! secrets and configs merge by their unique key, and `!reset` / `!override` tags win over all.
//! The same rules serve `-f a -f b` and `extends`.

use super::yaml::{Key, Node, Tag, Value};

/// Service keys written either as a list (`KEY=VALUE`, `name`) or a mapping; both sides are turned
/// into mappings before merging so that entries merge by key.
const LIST_OR_MAPPING: &[&str] = &[
    "environment",
    "labels",
    "annotations",
    "sysctls",
    "depends_on",
    "networks",
    "extra_hosts",
];

/// Service keys whose value is replaced, never appended.
const REPLACED: &[&str] = &["command", "entrypoint"];

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
    let in_service = path.len() == 2 && path[0] == "services";
    match (&mut base.value, over.value) {
        (Value::Map(base_entries), Value::Map(over_entries)) => {
            for (key, mut value) in over_entries {
                let mut child_path: Vec<&str> = path.to_vec();
                child_path.push(if path.len() == 1 && path[0] == "services" {
                    "*"
                } else {
                    key.name.as_str()
                });
                if in_service && LIST_OR_MAPPING.contains(&key.name.as_str()) {
                    to_mapping(&mut value, &key.name);
                }
                match base_entries.iter_mut().find(|(k, _)| k.name == key.name) {
                    Some((_, existing)) => {
                        if in_service && LIST_OR_MAPPING.contains(&key.name.as_str()) {
                            to_mapping(existing, &key.name);
                        }
                        if matches!(value.tag, Some(Tag::Reset | Tag::Override))
                            || (in_service && REPLACED.contains(&key.name.as_str()))
                        {
                            *existing = value;
                        } else if child_path == ["services", "*", "healthcheck"] {
                            merge_healthcheck(existing, value);
                        } else if in_service && UNIQUE_BY.iter().any(|(k, _)| *k == key.name) {
                            merge_unique(existing, value, &key.name);
                        } else {
                            merge_at(existing, value, &child_path);
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

fn merge_healthcheck(base: &mut Node, over: Node) {
    // The test command is replaced, the other keys merge.
    if let (Value::Map(base_entries), Value::Map(over_entries)) = (&mut base.value, &over.value) {
        for (key, value) in over_entries {
            match base_entries.iter_mut().find(|(k, _)| k.name == key.name) {
                Some((_, existing)) => *existing = value.clone(),
                None => base_entries.push((key.clone(), value.clone())),
            }
        }
        base_entries.retain(|(_, v)| v.tag != Some(Tag::Reset));
    } else {
        *base = over;
    }
}

/// The keys that identify an entry of ports, volumes, secrets and configs.
type Identify = fn(&Node) -> Option<String>;

const UNIQUE_BY: &[(&str, Identify)] = &[
    ("volumes", volume_target),
    ("secrets", secret_target),
    ("configs", config_target),
    ("ports", port_key),
];

fn merge_unique(base: &mut Node, over: Node, key: &str) {
    let Some((_, identify)) = UNIQUE_BY.iter().find(|(k, _)| *k == key) else {
        return;
    };
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
            "depends_on" | "networks" => (text, Value::Null),
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
            serde_json::json!({"a": null, "b": {"condition": "service_healthy"}})
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
    fn new_services_are_added() {
        let v = merged(
            "services:\n  a:\n    image: x\n",
            "services:\n  b:\n    image: y\n",
        );
        assert_eq!(v["services"]["a"]["image"], "x");
        assert_eq!(v["services"]["b"]["image"], "y");
    }
}
