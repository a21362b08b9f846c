//! Normalising a merged, validated project as docker compose does before it is typed: the
//! implicit dependencies, defaults that depend on other keys, resource names, and dropping
//! the resources no active service uses.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value as Json, json};

/// Per service: `pull_policy: if_not_present` is `missing`; `links`, `service:` namespaces
/// and `volumes_from` are dependencies written into `depends_on` (the one graph every later
/// step reads; `restart: true` except for volumes_from, as docker compose writes them);
/// build args without a value take the variable's value or are dropped; an empty `platform`
/// or `build.dockerfile` is unset; a `pre_start` step without an image runs the service's;
/// a watch rule's `x-initialSync` is its `initial_sync`.
pub fn services(json: &mut Json, vars: &BTreeMap<String, String>) {
    let Some(services) = json.get_mut("services").and_then(Json::as_object_mut) else {
        return;
    };
    for service in services.values_mut() {
        let Some(map) = service.as_object_mut() else {
            continue;
        };
        if map.get("pull_policy").and_then(Json::as_str) == Some("if_not_present") {
            map.insert("pull_policy".into(), json!("missing"));
        }
        implicit_dependencies(map);
        if map.get("platform").and_then(Json::as_str) == Some("") {
            map.remove("platform");
        }
        if let Some(build) = map.get_mut("build").and_then(Json::as_object_mut) {
            // An empty name (`dockerfile: ${UNSET}`) is the default, which is then printed.
            if build.get("dockerfile").and_then(Json::as_str) == Some("") {
                build.remove("dockerfile");
            }
            resolve_build_args(build, vars);
        }
        inherit_pre_start_image(map);
        legacy_initial_sync(map);
    }
}

/// `x-initialSync` on a watch rule, from before `initial_sync` was in the specification.
fn legacy_initial_sync(service: &mut Map<String, Json>) {
    let Some(Json::Array(rules)) = service.get_mut("develop").and_then(|d| d.get_mut("watch"))
    else {
        return;
    };
    for rule in rules.iter_mut().filter_map(Json::as_object_mut) {
        if let Some(value) = rule.remove("x-initialSync") {
            rule.entry("initial_sync").or_insert(value);
        }
    }
}

/// `depends_on` as a mapping, completed with the implicit dependencies.
fn implicit_dependencies(service: &mut Map<String, Json>) {
    let mut deps: Map<String, Json> = match service.get("depends_on") {
        Some(Json::Object(m)) => m.clone(),
        Some(Json::Array(items)) => items
            .iter()
            .filter_map(Json::as_str)
            .map(|d| {
                (
                    d.to_string(),
                    json!({"condition": "service_started", "required": true}),
                )
            })
            .collect(),
        _ => Map::new(),
    };
    let mut implied: Vec<(String, bool)> = Vec::new();
    if let Some(Json::Array(links)) = service.get("links") {
        for link in links.iter().filter_map(Json::as_str) {
            implied.push((
                link.split_once(':').map_or(link, |(s, _)| s).to_string(),
                true,
            ));
        }
    }
    for key in ["network_mode", "ipc", "pid", "uts", "cgroup"] {
        if let Some(target) = service
            .get(key)
            .and_then(Json::as_str)
            .and_then(|v| v.strip_prefix("service:"))
        {
            implied.push((target.to_string(), true));
        }
    }
    if let Some(Json::Array(list)) = service.get("volumes_from") {
        for entry in list.iter().filter_map(Json::as_str) {
            if !entry.starts_with("container:") {
                implied.push((entry.split(':').next().unwrap_or(entry).to_string(), false));
            }
        }
    }
    for (target, restart) in implied {
        deps.entry(target).or_insert_with(
            || json!({"condition": "service_started", "restart": restart, "required": true}),
        );
    }
    if !deps.is_empty() {
        service.insert("depends_on".into(), Json::Object(deps));
    }
}

/// Build args written without a value (`args: [VERSION]`) take the variable's value, or are
/// left out when it is not set.
fn resolve_build_args(build: &mut Map<String, Json>, vars: &BTreeMap<String, String>) {
    let Some(args) = build.get_mut("args") else {
        return;
    };
    match args {
        Json::Object(map) => {
            let unset: Vec<String> = map
                .iter()
                .filter(|(_, v)| v.is_null())
                .map(|(k, _)| k.clone())
                .collect();
            for key in unset {
                match vars.get(&key) {
                    Some(value) => {
                        map.insert(key, json!(value));
                    }
                    None => {
                        map.remove(&key);
                    }
                }
            }
        }
        Json::Array(items) => {
            items.retain_mut(|item| {
                let Some(text) = item.as_str() else {
                    return true;
                };
                if text.contains('=') {
                    return true;
                }
                match vars.get(text) {
                    Some(value) => {
                        *item = json!(format!("{text}={value}"));
                        true
                    }
                    None => false,
                }
            });
        }
        _ => {}
    }
}

fn inherit_pre_start_image(service: &mut Map<String, Json>) {
    let Some(image) = service
        .get("image")
        .and_then(Json::as_str)
        .filter(|i| !i.is_empty())
        .map(str::to_string)
    else {
        return;
    };
    let Some(Json::Array(steps)) = service.get_mut("pre_start") else {
        return;
    };
    for step in steps.iter_mut().filter_map(Json::as_object_mut) {
        step.entry("image").or_insert_with(|| json!(image));
    }
}

/// Resource names as compose gives them: `<project>_<key>` unless `name:` is set; external
/// resources keep their key (or the name the old `external: {name: x}` form gave). Services on
/// no network join `default`, which is then declared.
pub fn resources(json: &mut Json, project: &str) {
    let mut uses_default = false;
    if let Some(services) = json.get_mut("services").and_then(Json::as_object_mut) {
        for service in services.values_mut() {
            let Some(map) = service.as_object_mut() else {
                continue;
            };
            // A provider's service has no container to attach.
            if map.contains_key("network_mode") || map.contains_key("provider") {
                continue;
            }
            match map.get("networks") {
                Some(Json::Array(list)) if list.is_empty() => {
                    map.insert("networks".into(), serde_json::json!({"default": null}));
                    uses_default = true;
                }
                Some(Json::Object(m)) if m.is_empty() => {
                    map.insert("networks".into(), serde_json::json!({"default": null}));
                    uses_default = true;
                }
                None => {
                    let mut nets = serde_json::Map::new();
                    nets.insert("default".into(), Json::Null);
                    map.insert("networks".into(), Json::Object(nets));
                    uses_default = true;
                }
                Some(Json::Array(list)) => {
                    uses_default |= list.iter().any(|n| n == "default");
                }
                Some(Json::Object(m)) => uses_default |= m.contains_key("default"),
                Some(_) => {}
            }
        }
    }
    let Some(root) = json.as_object_mut() else {
        return;
    };
    if uses_default {
        let networks = root
            .entry("networks")
            .or_insert_with(|| Json::Object(serde_json::Map::new()));
        if let Some(map) = networks.as_object_mut() {
            map.entry("default").or_insert(Json::Null);
        }
    }
    for kind in ["networks", "volumes", "configs", "secrets"] {
        let Some(map) = root.get_mut(kind).and_then(Json::as_object_mut) else {
            continue;
        };
        for (key, def) in map.iter_mut() {
            if def.is_null() {
                *def = Json::Object(serde_json::Map::new());
            }
            let Some(def) = def.as_object_mut() else {
                continue;
            };
            let external = def.get("external");
            let legacy_name = external
                .and_then(|e| e.get("name"))
                .and_then(Json::as_str)
                .map(str::to_string);
            let is_external = match external {
                Some(Json::Bool(b)) => *b,
                Some(Json::String(s)) => s == "true",
                Some(Json::Object(_)) => true,
                _ => false,
            };
            if let Some(n) = legacy_name {
                def.insert("name".into(), Json::String(n));
                def.insert("external".into(), Json::Bool(true));
            }
            if !def.contains_key("name") {
                let name = if is_external {
                    key.clone()
                } else {
                    format!("{project}_{key}")
                };
                def.insert("name".into(), Json::String(name));
            }
        }
    }
}

/// Drop the networks, volumes, secrets, configs and models that no active service uses, as
/// docker compose does: `up` does not create them and `config` does not print them.
pub fn drop_unused_resources(json: &mut Json) {
    let mut used: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    if let Some(services) = json.get("services").and_then(Json::as_object) {
        for service in services.values() {
            for (kind, key) in [
                ("networks", "networks"),
                ("secrets", "secrets"),
                ("configs", "configs"),
                ("models", "models"),
            ] {
                used.entry(kind)
                    .or_default()
                    .extend(names_used(service.get(key)));
            }
            let build_secrets = service.get("build").and_then(|b| b.get("secrets"));
            used.entry("secrets")
                .or_default()
                .extend(names_used(build_secrets));
            if let Some(Json::Array(mounts)) = service.get("volumes") {
                let volumes = used.entry("volumes").or_default();
                for mount in mounts {
                    match mount {
                        Json::Object(m)
                            if m.get("type").and_then(Json::as_str) == Some("volume") =>
                        {
                            if let Some(source) = m.get("source").and_then(Json::as_str) {
                                volumes.insert(source.to_string());
                            }
                        }
                        // Short syntax (validated, not yet typed): `name:/target[:mode]`.
                        Json::String(spec) => {
                            if let Some((source, _)) = spec.split_once(':') {
                                volumes.insert(source.to_string());
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    let Some(root) = json.as_object_mut() else {
        return;
    };
    for kind in ["networks", "volumes", "secrets", "configs", "models"] {
        let Some(map) = root.get_mut(kind).and_then(Json::as_object_mut) else {
            continue;
        };
        let keep = used.get(kind);
        map.retain(|name, _| keep.is_some_and(|k| k.contains(name)));
        if map.is_empty() {
            root.remove(kind);
        }
    }
}

/// The names a service lists under a key: a list of names or of `{source: name}`, or a
/// mapping keyed by name.
fn names_used(value: Option<&Json>) -> Vec<String> {
    match value {
        Some(Json::Array(items)) => items
            .iter()
            .filter_map(|v| match v {
                Json::String(s) => Some(s.clone()),
                Json::Object(m) => m.get("source").and_then(Json::as_str).map(str::to_string),
                _ => None,
            })
            .collect(),
        Some(Json::Object(map)) => map.keys().cloned().collect(),
        _ => Vec::new(),
    }
}
