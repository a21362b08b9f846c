//! The semantic checks no schema can express, one function per rule: references between
//! services and resources, cycles, names, and values whose form the schema leaves open.
//!
//! Each check reports the first problem it finds, with the position of the offending value
//! and what to do about it. The set follows what Docker Compose v5 rejects (so that a file
//! rcompose accepts also runs there), plus `restart` values, which it accepts and the engine
//! later refuses.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::yaml::{SourceMap, escape_pointer};
use crate::error::{Error, Result};

const RESTART_POLICIES: &str = "\"no\", always, on-failure, on-failure:N, unless-stopped";

/// The merged project as the checks see it.
struct Project<'a> {
    services: &'a Map<String, Value>,
    root: &'a Value,
    positions: &'a SourceMap,
}

/// One service and the JSON pointer of its definition.
struct Service<'a> {
    name: &'a str,
    value: &'a Value,
    base: String,
}

impl Service<'_> {
    fn get(&self, key: &str) -> Option<&Value> {
        self.value.get(key).filter(|v| !v.is_null())
    }

    fn pointer(&self, rest: &str) -> String {
        format!("{}/{rest}", self.base)
    }
}

impl Project<'_> {
    fn declared(&self, kind: &str) -> Names<'_> {
        Names(self.root.get(kind).and_then(Value::as_object))
    }

    /// An error at the value under `pointer` (or at its key when the value has no position).
    fn fail(&self, pointer: &str, message: String, hint: &str) -> Error {
        let mut e = Error::new(message).with_hint(hint);
        if let Some(mark) = self
            .positions
            .find_value(pointer)
            .or_else(|| self.positions.find(pointer))
        {
            e = e.with_mark(mark.clone());
        }
        e
    }
}

/// The keys of a top-level section (`volumes`, `networks`...), possibly absent.
struct Names<'a>(Option<&'a Map<String, Value>>);

impl Names<'_> {
    fn contains(&self, name: &str) -> bool {
        self.0.is_some_and(|m| m.contains_key(name))
    }
}

type ServiceCheck = fn(&Project, &Service) -> Result<()>;

/// The per-service rules, in the order their errors are reported.
const SERVICE_CHECKS: &[ServiceCheck] = &[
    image_or_build,
    depends_on_targets,
    service_references,
    links_targets,
    network_mode_or_networks,
    container_name_and_replicas,
    restart_policy,
    volume_mounts,
    declared_resources,
    declared_models,
    healthcheck_test,
    platform_in_build_platforms,
];

/// Run every check on the validated, profile-filtered project.
pub fn check(value: &Value, positions: &SourceMap) -> Result<()> {
    let empty = Map::new();
    let services = value
        .get("services")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let project = Project {
        services,
        root: value,
        positions,
    };
    for (name, service) in services {
        let service = Service {
            name,
            value: service,
            base: format!("/services/{}", escape_pointer(name)),
        };
        for check in SERVICE_CHECKS {
            check(&project, &service)?;
        }
    }
    // Two services may share a container_name: each runs alone, and an `up` of both fails
    // at the engine's name conflict, as with docker compose (not a load error for every verb).
    no_dependency_cycle(&project)
}

fn image_or_build(p: &Project, s: &Service) -> Result<()> {
    // A service run by a provider plugin has no container of its own.
    if s.get("image").is_some() || s.get("build").is_some() || s.get("provider").is_some() {
        return Ok(());
    }
    let mut e = Error::new(format!(
        "service \"{}\" has neither an image nor a build context",
        s.name
    ))
    .with_hint("add `image:` or `build:` to the service");
    if let Some(mark) = p.positions.find(&s.base) {
        e = e.with_mark(mark.clone());
    }
    Err(e)
}

/// `depends_on` entries: (service, pointer, required).
fn depends_on_entries(s: &Service) -> Vec<(String, String, bool)> {
    match s.get("depends_on") {
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(i, v)| {
                v.as_str()
                    .map(|d| (d.to_string(), s.pointer(&format!("depends_on/{i}")), true))
            })
            .collect(),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| {
                let required = v
                    .get("required")
                    .map(|r| !matches!(r, Value::Bool(false)) && r != "false")
                    .unwrap_or(true);
                (
                    k.clone(),
                    s.pointer(&format!("depends_on/{}", escape_pointer(k))),
                    required,
                )
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn depends_on_targets(p: &Project, s: &Service) -> Result<()> {
    for (dep, pointer, required) in depends_on_entries(s) {
        if required && !p.services.contains_key(&dep) {
            return Err(p.fail(
                &pointer,
                format!(
                    "service \"{}\" depends on undefined service \"{dep}\"",
                    s.name
                ),
                "define that service, fix the name, or mark the dependency `required: false`",
            ));
        }
    }
    Ok(())
}

/// `service:X` in network_mode, pid and ipc must name a service.
fn service_references(p: &Project, s: &Service) -> Result<()> {
    for key in ["network_mode", "pid", "ipc"] {
        let Some(target) = s
            .get(key)
            .and_then(Value::as_str)
            .and_then(|v| v.strip_prefix("service:"))
        else {
            continue;
        };
        if !p.services.contains_key(target) {
            return Err(p.fail(
                &s.pointer(key),
                format!(
                    "service \"{}\": {key} refers to undefined service \"{target}\"",
                    s.name
                ),
                "fix the service name",
            ));
        }
    }
    Ok(())
}

/// `links: [SERVICE[:ALIAS]]` must name a service of the project (`external_links` are for
/// containers outside it).
fn links_targets(p: &Project, s: &Service) -> Result<()> {
    let Some(Value::Array(links)) = s.get("links") else {
        return Ok(());
    };
    for (i, link) in links.iter().enumerate() {
        let Some(text) = link.as_str() else { continue };
        let target = text.split_once(':').map_or(text, |(t, _)| t);
        if !p.services.contains_key(target) {
            return Err(p.fail(
                &s.pointer(&format!("links/{i}")),
                format!(
                    "service \"{}\" links to undefined service \"{target}\"",
                    s.name
                ),
                "fix the service name, or use `external_links` for a container outside the project",
            ));
        }
    }
    Ok(())
}

fn network_mode_or_networks(p: &Project, s: &Service) -> Result<()> {
    if s.get("network_mode").is_some() && s.get("networks").is_some() {
        return Err(p.fail(
            &s.pointer("networks"),
            format!(
                "service \"{}\" declares both `network_mode` and `networks`, which exclude each other",
                s.name
            ),
            "keep one of them: `network_mode` shares another network stack, `networks` joins project networks",
        ));
    }
    Ok(())
}

fn container_name_and_replicas(p: &Project, s: &Service) -> Result<()> {
    if s.get("container_name").is_none() {
        return Ok(());
    }
    let count = |v: Option<&Value>| -> Option<u64> {
        match v? {
            Value::Number(n) => n.as_u64(),
            Value::String(t) => t.trim().parse().ok(),
            _ => None,
        }
    };
    let replicas =
        count(s.get("deploy").and_then(|d| d.get("replicas"))).or_else(|| count(s.get("scale")));
    if let Some(n) = replicas.filter(|&n| n > 1) {
        return Err(p.fail(
            &s.pointer("container_name"),
            format!(
                "service \"{}\" sets container_name, so it can have only one container, but asks for {n} replicas",
                s.name
            ),
            "remove container_name (replicas are then named <project>-<service>-<number>) or ask for one replica",
        ));
    }
    Ok(())
}

fn restart_policy(p: &Project, s: &Service) -> Result<()> {
    let Some(restart) = s.get("restart").and_then(Value::as_str) else {
        return Ok(());
    };
    let valid = matches!(restart, "no" | "always" | "unless-stopped" | "on-failure")
        || restart
            .strip_prefix("on-failure:")
            .is_some_and(|n| n.parse::<u32>().is_ok());
    if valid {
        return Ok(());
    }
    Err(p.fail(
        &s.pointer("restart"),
        format!(
            "service \"{}\": invalid restart policy \"{restart}\"",
            s.name
        ),
        &format!("use one of {RESTART_POLICIES}"),
    ))
}

/// Named volumes must be declared at the top level; a bind mount needs a source.
fn volume_mounts(p: &Project, s: &Service) -> Result<()> {
    let Some(Value::Array(items)) = s.get("volumes") else {
        return Ok(());
    };
    let volumes = p.declared("volumes");
    for (i, item) in items.iter().enumerate() {
        let pointer = s.pointer(&format!("volumes/{i}"));
        let source = match item {
            Value::String(text) => {
                let parts: Vec<&str> = text.split(':').collect();
                (parts.len() > 1).then(|| parts[0].to_string())
            }
            Value::Object(m) => {
                let kind = m.get("type").and_then(Value::as_str);
                let source = m.get("source").and_then(Value::as_str).unwrap_or("");
                if kind == Some("bind") && source.is_empty() {
                    return Err(p.fail(
                        &pointer,
                        format!(
                            "service \"{}\": a bind mount needs a `source` (the host path)",
                            s.name
                        ),
                        "add `source:` with the host path, or use `type: volume` for an anonymous volume",
                    ));
                }
                (kind == Some("volume") && !source.is_empty()).then(|| source.to_string())
            }
            _ => None,
        };
        let Some(source) = source else { continue };
        let is_path = source.starts_with(['/', '.', '~']) || source.contains('/');
        if !is_path && !source.is_empty() && !volumes.contains(&source) {
            return Err(p.fail(
                &pointer,
                format!(
                    "service \"{}\" uses volume \"{source}\", which is not declared",
                    s.name
                ),
                &format!(
                    "declare it under the top-level `volumes:` key (`volumes: {{{source}: {{}}}}`), or use a path such as ./{source} for a bind mount"
                ),
            ));
        }
    }
    Ok(())
}

/// Names used under a service key (a list of names or of `{source: name}`, or a mapping keyed
/// by name), with the pointer of each.
fn used_names(s: &Service, key: &str) -> Vec<(String, String)> {
    match s.get(key) {
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(i, v)| {
                let n = match v {
                    Value::String(t) => Some(t.clone()),
                    Value::Object(m) => m.get("source").and_then(Value::as_str).map(str::to_string),
                    _ => None,
                };
                n.map(|n| (n, s.pointer(&format!("{key}/{i}"))))
            })
            .collect(),
        Some(Value::Object(map)) => map
            .keys()
            .map(|k| {
                (
                    k.clone(),
                    s.pointer(&format!("{key}/{}", escape_pointer(k))),
                )
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Networks, configs and secrets a service uses must be declared at the top level.
fn declared_resources(p: &Project, s: &Service) -> Result<()> {
    for (key, kind) in [
        ("networks", "network"),
        ("configs", "config"),
        ("secrets", "secret"),
    ] {
        let known = p.declared(key);
        for (used, pointer) in used_names(s, key) {
            if key == "networks" && used == "default" {
                continue;
            }
            if !known.contains(&used) {
                return Err(p.fail(
                    &pointer,
                    format!(
                        "service \"{}\" uses {kind} \"{used}\", which is not declared",
                        s.name
                    ),
                    &format!("declare it under the top-level `{key}:` key"),
                ));
            }
        }
    }
    Ok(())
}

fn declared_models(p: &Project, s: &Service) -> Result<()> {
    let known = p.declared("models");
    for (used, pointer) in used_names(s, "models") {
        if !known.contains(&used) {
            return Err(p.fail(
                &pointer,
                format!(
                    "service \"{}\" uses model \"{used}\", which is not declared",
                    s.name
                ),
                "declare it under the top-level `models:` key",
            ));
        }
    }
    Ok(())
}

/// The list form of `healthcheck.test` starts with what the engine understands.
fn healthcheck_test(p: &Project, s: &Service) -> Result<()> {
    let Some(Value::Array(test)) = s.get("healthcheck").and_then(|h| h.get("test")) else {
        return Ok(());
    };
    let Some(first) = test.first() else {
        return Ok(());
    };
    if matches!(first.as_str(), Some("CMD" | "CMD-SHELL" | "NONE")) {
        return Ok(());
    }
    Err(p.fail(
        &s.pointer("healthcheck/test/0"),
        format!(
            "service \"{}\": healthcheck.test must start with \"CMD\", \"CMD-SHELL\" or \"NONE\"",
            s.name
        ),
        "write [\"CMD\", \"program\", \"arg\"...] to run a program, [\"CMD-SHELL\", \"command line\"] or a plain string to run it with the shell",
    ))
}

/// A service's `platform` must be one of the platforms its image is built for.
fn platform_in_build_platforms(p: &Project, s: &Service) -> Result<()> {
    let Some(platform) = s.get("platform").and_then(Value::as_str) else {
        return Ok(());
    };
    let Some(Value::Array(platforms)) = s.get("build").and_then(|b| b.get("platforms")) else {
        return Ok(());
    };
    if platform.is_empty() || platforms.is_empty() || platforms.iter().any(|x| x == platform) {
        return Ok(());
    }
    Err(p.fail(
        &s.pointer("platform"),
        format!(
            "service \"{}\": platform \"{platform}\" is not one of build.platforms",
            s.name
        ),
        "add it to build.platforms, or change the service's platform",
    ))
}

/// The services a service needs before it starts: depends_on (required or not, when defined),
/// `service:` modes, links and volumes_from.
fn dependencies(p: &Project, s: &Service) -> Vec<String> {
    let mut deps: Vec<String> = depends_on_entries(s)
        .into_iter()
        .map(|(d, _, _)| d)
        .collect();
    for key in ["network_mode", "pid", "ipc"] {
        if let Some(target) = s
            .get(key)
            .and_then(Value::as_str)
            .and_then(|v| v.strip_prefix("service:"))
        {
            deps.push(target.to_string());
        }
    }
    if let Some(Value::Array(links)) = s.get("links") {
        for link in links.iter().filter_map(Value::as_str) {
            deps.push(link.split_once(':').map_or(link, |(t, _)| t).to_string());
        }
    }
    if let Some(Value::Array(list)) = s.get("volumes_from") {
        for entry in list.iter().filter_map(Value::as_str) {
            if entry.starts_with("container:") {
                continue;
            }
            deps.push(entry.split_once(':').map_or(entry, |(t, _)| t).to_string());
        }
    }
    deps.retain(|d| p.services.contains_key(d));
    deps
}

fn no_dependency_cycle(p: &Project) -> Result<()> {
    let graph: BTreeMap<String, Vec<String>> = p
        .services
        .iter()
        .map(|(name, value)| {
            let s = Service {
                name,
                value,
                base: String::new(),
            };
            (name.clone(), dependencies(p, &s))
        })
        .collect();
    let Err(cycle) = crate::graph::waves(&graph) else {
        return Ok(());
    };
    let first = cycle.path.first().cloned().unwrap_or_default();
    Err(p.fail(
        &format!("/services/{}/depends_on", escape_pointer(&first)),
        format!("dependency cycle between services: {cycle}"),
        "remove one of the dependencies to break the cycle",
    ))
}
