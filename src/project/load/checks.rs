//! The semantic checks no schema can express, one function per rule: references between
//! services and resources, cycles, names, and values whose form the schema leaves open.
//!
//! Each check reports the first problem it finds, with the position of the offending value
//! and what to do about it. The set follows what Docker Compose v5 rejects (so that a file
//! rcompose accepts also runs there), plus `restart` values, which it accepts and the engine
//! later refuses.
//!
//! Over 700 lines only because each rule has its unit test below (about 240 lines).

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
    /// Services defined but disabled by a profile (no longer in `services`).
    disabled: &'a [String],
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

    /// An error about a reference to `target`, which is not among the services: when a
    /// profile only disabled it, the hint says how to enable it.
    fn undefined_service(&self, pointer: &str, message: String, hint: &str, target: &str) -> Error {
        let e = self.fail(pointer, message, hint);
        if self.disabled.iter().any(|d| d == target) {
            return e.with_hint(format!(
                "service \"{target}\" exists but is not enabled: activate its profile with --profile or COMPOSE_PROFILES"
            ));
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

/// Run every check on the validated, profile-filtered project; `disabled` names the services
/// a profile took out. Without `consistency` (`config --no-consistency`) the per-service
/// rules are skipped, as docker compose skips its consistency checks; a dependency cycle is
/// still an error.
pub fn check(
    value: &Value,
    positions: &SourceMap,
    disabled: &[String],
    consistency: bool,
) -> Result<()> {
    let empty = Map::new();
    let services = value
        .get("services")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let project = Project {
        services,
        root: value,
        positions,
        disabled,
    };
    for (name, service) in services.iter().filter(|_| consistency) {
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
            return Err(p.undefined_service(
                &pointer,
                format!(
                    "service \"{}\" depends on undefined service \"{dep}\"",
                    s.name
                ),
                "define that service, fix the name, or mark the dependency `required: false`",
                &dep,
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
            return Err(p.undefined_service(
                &s.pointer(key),
                format!(
                    "service \"{}\": {key} refers to undefined service \"{target}\"",
                    s.name
                ),
                "fix the service name",
                target,
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
            return Err(p.undefined_service(
                &s.pointer(&format!("links/{i}")),
                format!(
                    "service \"{}\" links to undefined service \"{target}\"",
                    s.name
                ),
                "fix the service name, or use `external_links` for a container outside the project",
                target,
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
    let Some(cycle) = crate::graph::cycle(&graph) else {
        return Ok(());
    };
    let first = cycle.path.first().cloned().unwrap_or_default();
    Err(p.fail(
        &format!("/services/{}/depends_on", escape_pointer(&first)),
        format!("dependency cycle between services: {cycle}"),
        "remove one of the dependencies to break the cycle",
    ))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::project::load::yaml;

    /// The checks' verdict on compose text, with `disabled` services taken out by profiles.
    fn verdict(source: &str, disabled: &[&str]) -> Result<()> {
        verdict_with(source, disabled, true)
    }

    fn verdict_with(source: &str, disabled: &[&str], consistency: bool) -> Result<()> {
        let tree = yaml::parse(source, &Arc::from("compose.yml")).expect("valid YAML");
        let json = tree.to_json_plain();
        let positions = SourceMap::new(tree);
        let disabled: Vec<String> = disabled.iter().map(|s| s.to_string()).collect();
        check(&json, &positions, &disabled, consistency)
    }

    /// The error of a check, its message and hint, and the line it points at.
    fn failure(source: &str, disabled: &[&str]) -> (String, String, u32) {
        let e = verdict(source, disabled).expect_err("a check fails");
        let line = e.mark.as_ref().map_or(0, |m| m.line);
        (e.message, e.hint.unwrap_or_default(), line)
    }

    #[test]
    fn a_sound_project_passes() {
        let ok = "services:\n  db: {image: db}\n  web:\n    image: web\n    depends_on: [db]\n    links: [\"db:database\"]\n    network_mode: \"service:db\"\n    restart: on-failure:3\n";
        assert_eq!(verdict(ok, &[]), Ok(()));
    }

    #[test]
    fn image_or_build_is_required() {
        let (message, _, line) = failure("services:\n  web: {}\n", &[]);
        assert_eq!(
            message,
            "service \"web\" has neither an image nor a build context"
        );
        assert_eq!(line, 2);
    }

    #[test]
    fn depends_on_names_a_service_unless_optional() {
        let source = "services:\n  web:\n    image: web\n    depends_on: [db]\n";
        let (message, hint, line) = failure(source, &[]);
        assert_eq!(
            message,
            "service \"web\" depends on undefined service \"db\""
        );
        assert!(hint.contains("required: false"), "{hint}");
        assert_eq!(line, 4);
        let optional = "services:\n  web:\n    image: web\n    depends_on: {db: {condition: service_started, required: false}}\n";
        assert_eq!(verdict(optional, &[]), Ok(()));
    }

    #[test]
    fn a_reference_to_a_service_a_profile_disabled_says_so() {
        for source in [
            "services:\n  web:\n    image: web\n    depends_on: [db]\n",
            "services:\n  web:\n    image: web\n    links: [db]\n",
            "services:\n  web:\n    image: web\n    network_mode: \"service:db\"\n",
        ] {
            let (_, hint, _) = failure(source, &["db"]);
            assert_eq!(
                hint,
                "service \"db\" exists but is not enabled: activate its profile with --profile or COMPOSE_PROFILES",
                "{source}"
            );
            let (_, hint, _) = failure(source, &["other"]);
            assert!(!hint.contains("not enabled"), "{source}: {hint}");
        }
    }

    #[test]
    fn service_modes_name_a_service() {
        for key in ["network_mode", "pid", "ipc"] {
            let source = format!("services:\n  web:\n    image: web\n    {key}: \"service:vpn\"\n");
            let (message, _, line) = failure(&source, &[]);
            assert_eq!(
                message,
                format!("service \"web\": {key} refers to undefined service \"vpn\"")
            );
            assert_eq!(line, 4);
        }
    }

    #[test]
    fn links_name_a_service() {
        let (message, _, _) = failure(
            "services:\n  web:\n    image: web\n    links: [\"db:database\"]\n",
            &[],
        );
        assert_eq!(message, "service \"web\" links to undefined service \"db\"");
    }

    #[test]
    fn network_mode_excludes_networks() {
        let (message, _, _) = failure(
            "services:\n  web:\n    image: web\n    network_mode: host\n    networks: [default]\n",
            &[],
        );
        assert!(
            message.contains("declares both `network_mode` and `networks`"),
            "{message}"
        );
    }

    #[test]
    fn container_name_allows_one_replica() {
        let source = "services:\n  web:\n    image: web\n    container_name: w\n    scale: 2\n";
        let (message, _, _) = failure(source, &[]);
        assert!(message.contains("asks for 2 replicas"), "{message}");
        let one =
            "services:\n  web:\n    image: web\n    container_name: w\n    deploy: {replicas: 1}\n";
        assert_eq!(verdict(one, &[]), Ok(()));
    }

    #[test]
    fn restart_policy_is_one_the_engine_knows() {
        for good in [
            "\"no\"",
            "always",
            "unless-stopped",
            "on-failure",
            "on-failure:5",
        ] {
            let source = format!("services:\n  web:\n    image: web\n    restart: {good}\n");
            assert_eq!(verdict(&source, &[]), Ok(()), "{good}");
        }
        for bad in ["sometimes", "on-failure:x"] {
            let source = format!("services:\n  web:\n    image: web\n    restart: {bad}\n");
            let (message, hint, line) = failure(&source, &[]);
            assert_eq!(
                message,
                format!("service \"web\": invalid restart policy \"{bad}\"")
            );
            assert_eq!(hint, format!("use one of {RESTART_POLICIES}"));
            assert_eq!(line, 4);
        }
    }

    #[test]
    fn volume_mounts_need_a_source_or_a_declared_volume() {
        let bind =
            "services:\n  web:\n    image: web\n    volumes: [{type: bind, target: /data}]\n";
        let (message, _, _) = failure(bind, &[]);
        assert_eq!(
            message,
            "service \"web\": a bind mount needs a `source` (the host path)"
        );
        let named = "services:\n  web:\n    image: web\n    volumes: [\"data:/data\"]\n";
        let (message, hint, _) = failure(named, &[]);
        assert_eq!(
            message,
            "service \"web\" uses volume \"data\", which is not declared"
        );
        assert!(hint.contains("./data"), "{hint}");
        for fine in ["./data:/data", "/srv:/data", "/anonymous"] {
            let source = format!("services:\n  web:\n    image: web\n    volumes: [\"{fine}\"]\n");
            assert_eq!(verdict(&source, &[]), Ok(()), "{fine}");
        }
    }

    #[test]
    fn networks_configs_secrets_and_models_are_declared() {
        for (key, kind) in [
            ("networks", "network"),
            ("configs", "config"),
            ("secrets", "secret"),
            ("models", "model"),
        ] {
            let source = format!("services:\n  web:\n    image: web\n    {key}: [x]\n");
            let (message, _, _) = failure(&source, &[]);
            assert_eq!(
                message,
                format!("service \"web\" uses {kind} \"x\", which is not declared")
            );
            let declared = format!("{source}{key}:\n  x: {{}}\n");
            assert_eq!(verdict(&declared, &[]), Ok(()), "{key}");
        }
        let default = "services:\n  web:\n    image: web\n    networks: [default]\n";
        assert_eq!(verdict(default, &[]), Ok(()));
    }

    #[test]
    fn healthcheck_test_starts_with_a_known_word() {
        let source =
            "services:\n  web:\n    image: web\n    healthcheck: {test: [\"curl\", \"x\"]}\n";
        let (message, _, _) = failure(source, &[]);
        assert!(
            message.contains("healthcheck.test must start with"),
            "{message}"
        );
        let ok =
            "services:\n  web:\n    image: web\n    healthcheck: {test: [\"CMD\", \"true\"]}\n";
        assert_eq!(verdict(ok, &[]), Ok(()));
    }

    #[test]
    fn platform_is_among_the_build_platforms() {
        let source = "services:\n  web:\n    image: web\n    platform: linux/arm64\n    build: {context: ., platforms: [linux/amd64]}\n";
        let (message, _, line) = failure(source, &[]);
        assert_eq!(
            message,
            "service \"web\": platform \"linux/arm64\" is not one of build.platforms"
        );
        assert_eq!(line, 4);
        let ok = source.replace("[linux/amd64]", "[linux/amd64, linux/arm64]");
        assert_eq!(verdict(&ok, &[]), Ok(()));
    }

    #[test]
    fn two_services_may_share_a_container_name() {
        // Each runs alone; an `up` of both fails at the engine, as with docker compose.
        let source =
            "services:\n  a: {image: a, container_name: x}\n  b: {image: b, container_name: x}\n";
        assert_eq!(verdict(source, &[]), Ok(()));
    }

    #[test]
    fn without_consistency_only_a_cycle_fails() {
        let incomplete = "services:\n  a:\n    networks: [undeclared]\n";
        assert!(verdict(incomplete, &[]).is_err());
        assert_eq!(verdict_with(incomplete, &[], false), Ok(()));
        let cycle =
            "services:\n  a: {image: a, depends_on: [b]}\n  b: {image: b, depends_on: [a]}\n";
        assert!(verdict_with(cycle, &[], false).is_err());
    }

    #[test]
    fn implicit_dependencies_close_a_cycle() {
        let source = "services:\n  a:\n    image: a\n    depends_on: [b]\n  b:\n    image: b\n    volumes_from: [\"c:ro\"]\n  c:\n    image: c\n    network_mode: \"service:a\"\n";
        let (message, hint, line) = failure(source, &[]);
        assert_eq!(
            message,
            "dependency cycle between services: a -> b -> c -> a"
        );
        assert_eq!(hint, "remove one of the dependencies to break the cycle");
        assert_eq!(line, 4);
    }
}
