//! The `com.docker.compose.config-hash` label of a service's containers, computed exactly as
//! Docker Compose v5 computes it, so that switching between rcompose and docker compose on a
//! running project recreates nothing.
//!
//! docker compose hashes the service as compose-go's Go types marshal it with `encoding/json`
//! (sha256, hex), leaving out what does not concern one container: `build`, `pull_policy`,
//! `scale`, `deploy.replicas`, `depends_on` and `profiles`. The containers are created from the
//! project with each service's env files read into `environment`, so `env_file` is not hashed
//! either; and a `service:NAME` reference (`network_mode`, `ipc`, `pid`, `volumes_from`) is
//! hashed as the container it resolves to (see [`with_resolved_references`]).
//!
//! rcompose's model serializes to the same JSON as compose-go's for what a service holds (its
//! `config --format json` is compared with the reference's); what differs is presentation, and
//! that is what this module reproduces: compose-go's field order for a service, the fields Go
//! always writes (`command` and `entrypoint` as `null`, a deploy's `resources` and `placement`,
//! a watch rule's `exec`), a few Go encodings (`blkio_config` device entries with Go's field
//! names, `mem_swappiness` as a byte string, floats as float32), Go's string escaping, and no
//! `x-` extensions.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::project::model::{Network, Service, Volume};

/// Keys docker compose leaves out of the hash (compose's `ServiceHash`), and `env_file`, which
/// is read into `environment` before containers are created.
const UNHASHED: &[&str] = &[
    "build",
    "pull_policy",
    "scale",
    "depends_on",
    "profiles",
    "env_file",
];

/// compose-go's order of a service's fields: the declaration order of its `types.ServiceConfig`,
/// which `encoding/json` follows (`config --format json` prints them in another order, but
/// the hash follows this one).
const SERVICE_FIELDS: &[&str] = &[
    "profiles",
    "annotations",
    "attach",
    "build",
    "develop",
    "blkio_config",
    "cap_add",
    "cap_drop",
    "cgroup_parent",
    "cgroup",
    "cpu_count",
    "cpu_percent",
    "cpu_period",
    "cpu_quota",
    "cpu_rt_period",
    "cpu_rt_runtime",
    "cpus",
    "cpuset",
    "cpu_shares",
    "command",
    "configs",
    "container_name",
    "credential_spec",
    "depends_on",
    "deploy",
    "device_cgroup_rules",
    "devices",
    "dns",
    "dns_opt",
    "dns_search",
    "dockerfile",
    "domainname",
    "entrypoint",
    "provider",
    "environment",
    "env_file",
    "expose",
    "extends",
    "external_links",
    "extra_hosts",
    "group_add",
    "gpus",
    "hostname",
    "healthcheck",
    "image",
    "init",
    "ipc",
    "isolation",
    "labels",
    "label_file",
    "links",
    "logging",
    "log_driver",
    "log_opt",
    "mem_limit",
    "mem_reservation",
    "memswap_limit",
    "mem_swappiness",
    "mac_address",
    "models",
    "net",
    "network_mode",
    "networks",
    "oom_kill_disable",
    "oom_score_adj",
    "pid",
    "pids_limit",
    "platform",
    "ports",
    "privileged",
    "pull_policy",
    "read_only",
    "restart",
    "runtime",
    "scale",
    "secrets",
    "security_opt",
    "shm_size",
    "stdin_open",
    "stop_grace_period",
    "stop_signal",
    "storage_opt",
    "sysctls",
    "tmpfs",
    "tty",
    "ulimits",
    "use_api_socket",
    "user",
    "userns_mode",
    "uts",
    "volume_driver",
    "volumes",
    "volumes_from",
    "working_dir",
    "pre_start",
    "post_start",
    "pre_stop",
    "pull_refresh_after",
];

/// Fields that hold a mapping chosen by the user (their keys are data, never extensions).
const MAP_FIELDS: &[&str] = &[
    "annotations",
    "environment",
    "labels",
    "sysctls",
    "storage_opt",
    "options",
    "driver_opts",
    "networks",
    "ulimits",
    "models",
    "log_opt",
];

/// The config hash of `service`, as docker compose writes it into the label.
pub fn service_hash(service: &Service) -> Result<String> {
    Ok(hex::encode(Sha256::digest(go_json(service)?.as_bytes())))
}

/// The bytes docker compose hashes for `service`: compose-go's JSON of the service without the
/// fields the hash leaves out.
pub fn go_json(service: &Service) -> Result<String> {
    let value = serde_json::to_value(service)
        .map_err(|e| Error::new(format!("internal error: cannot hash a service: {e}")))?;
    let Value::Object(fields) = value else {
        return Err(Error::new("internal error: a service is not a mapping"));
    };
    let fields = compose_go_service(fields);
    let mut out = String::new();
    write_value(&mut out, &Value::Object(fields));
    Ok(out)
}

/// compose-go's order of a network's fields (`types.NetworkConfig`).
const NETWORK_FIELDS: &[&str] = &[
    "name",
    "driver",
    "driver_opts",
    "ipam",
    "external",
    "internal",
    "attachable",
    "labels",
    "enable_ipv4",
    "enable_ipv6",
];

/// The config hash docker compose writes on a network it creates (and compares to decide that
/// the network changed): compose-go's JSON of the network under its engine name, `ipam`
/// always written (a Go struct), without extensions.
pub fn network_hash(network: &Network, engine_name: &str) -> Result<String> {
    let mut fields = resource_fields(network, engine_name)?;
    if !fields.contains_key("ipam") {
        fields.insert("ipam".to_string(), Value::Object(Map::new()));
    }
    reorder(&mut fields, NETWORK_FIELDS);
    Ok(hash_fields(fields))
}

/// The config hash docker compose writes on a volume it creates: compose-go's JSON of the
/// volume under its engine name, the driver `local` when none is given.
pub fn volume_hash(volume: &Volume, engine_name: &str) -> Result<String> {
    let mut fields = resource_fields(volume, engine_name)?;
    if !fields.contains_key("driver") {
        fields.insert("driver".to_string(), Value::String("local".to_string()));
    }
    reorder(
        &mut fields,
        &["name", "driver", "driver_opts", "external", "labels"],
    );
    Ok(hash_fields(fields))
}

fn resource_fields(
    resource: &impl serde::Serialize,
    engine_name: &str,
) -> Result<Map<String, Value>> {
    let value = serde_json::to_value(resource)
        .map_err(|e| Error::new(format!("internal error: cannot hash a resource: {e}")))?;
    let Value::Object(mut fields) = value else {
        return Err(Error::new("internal error: a resource is not a mapping"));
    };
    fields.insert("name".to_string(), Value::String(engine_name.to_string()));
    strip_extensions(&mut fields);
    Ok(fields)
}

fn hash_fields(fields: Map<String, Value>) -> String {
    let mut out = String::new();
    write_value(&mut out, &Value::Object(fields));
    hex::encode(Sha256::digest(out.as_bytes()))
}

/// The config hash of `service` with its `service:NAME` references resolved through
/// `container_id` (see [`with_resolved_references`]): what docker compose writes into the label
/// of the containers it creates, and what it compares with the label to decide a recreate.
pub fn resolved_service_hash(
    service: &Service,
    container_id: impl Fn(&str) -> Option<String>,
) -> Result<String> {
    if referenced_services(service).is_empty() {
        return service_hash(service);
    }
    service_hash(&with_resolved_references(service, container_id))
}

/// The services `service` refers to by `service:NAME` (network_mode, ipc, pid) or in
/// `volumes_from`, whose containers' IDs its config hash takes in.
pub fn referenced_services(service: &Service) -> Vec<String> {
    let mut names: Vec<String> = [&service.network_mode, &service.ipc, &service.pid]
        .into_iter()
        .filter_map(|mode| mode.as_deref()?.strip_prefix("service:"))
        .map(str::to_string)
        .collect();
    for entry in &service.volumes_from {
        let first = entry.split(':').next().unwrap_or_default();
        if first != "container" && !first.is_empty() {
            names.push(first.to_string());
        }
    }
    names.sort();
    names.dedup();
    names
}

/// `service` with its `service:NAME` references as docker compose hashes them when it creates
/// the containers: `network_mode`, `ipc` and `pid` as `container:ID`, and each `volumes_from`
/// entry as the bare ID (docker compose drops an `:ro`/`:rw` suffix there, and keeps only the
/// name of a `container:NAME[:MODE]` entry). `container_id` gives the ID of the container a
/// service's reference resolves to (docker compose takes the service's container whose name
/// sorts first); a reference it cannot resolve is left as written, as docker compose leaves it.
pub fn with_resolved_references(
    service: &Service,
    container_id: impl Fn(&str) -> Option<String>,
) -> Service {
    let mut resolved = service.clone();
    for mode in [
        &mut resolved.network_mode,
        &mut resolved.ipc,
        &mut resolved.pid,
    ] {
        if let Some(name) = mode.as_deref().and_then(|m| m.strip_prefix("service:"))
            && let Some(id) = container_id(name)
        {
            *mode = Some(format!("container:{id}"));
        }
    }
    // docker compose stops at the first reference it cannot resolve.
    for entry in &mut resolved.volumes_from {
        let mut parts = entry.split(':');
        let first = parts.next().unwrap_or_default();
        if first == "container" {
            *entry = parts.next().unwrap_or_default().to_string();
            continue;
        }
        match container_id(first) {
            Some(id) => *entry = id,
            None => break,
        }
    }
    resolved
}

/// The service's fields as compose-go writes them, in its order (fields rcompose knows and
/// compose-go does not come last, sorted; see the test that keeps that list empty).
fn compose_go_service(mut fields: Map<String, Value>) -> Map<String, Value> {
    for key in UNHASHED {
        fields.remove(*key);
    }
    strip_extensions(&mut fields);
    if let Some(Value::Object(deploy)) = fields.get_mut("deploy") {
        deploy.remove("replicas");
        for always in ["resources", "placement"] {
            deploy
                .entry(always)
                .or_insert_with(|| Value::Object(Map::new()));
        }
        // Go writes the struct's fields in its order; `placement` comes before `endpoint_mode`.
        reorder(
            deploy,
            &[
                "mode",
                "replicas",
                "labels",
                "update_config",
                "rollback_config",
                "resources",
                "restart_policy",
                "placement",
                "endpoint_mode",
            ],
        );
    }
    if let Some(Value::Object(develop)) = fields.get_mut("develop")
        && let Some(Value::Array(rules)) = develop.get_mut("watch")
    {
        for rule in rules.iter_mut().filter_map(Value::as_object_mut) {
            let exec = rule
                .entry("exec")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(exec) = exec {
                hook(exec);
            }
            reorder(
                rule,
                &[
                    "path",
                    "action",
                    "target",
                    "exec",
                    "ignore",
                    "include",
                    "initial_sync",
                ],
            );
        }
    }
    for hooks in ["post_start", "pre_stop", "pre_start"] {
        if let Some(Value::Array(list)) = fields.get_mut(hooks) {
            for item in list.iter_mut().filter_map(Value::as_object_mut) {
                hook(item);
            }
        }
    }
    if let Some(Value::Object(blkio)) = fields.get_mut("blkio_config") {
        for (key, value) in blkio.iter_mut() {
            if key == "weight" {
                continue;
            }
            if let Value::Array(devices) = value {
                for device in devices.iter_mut().filter_map(Value::as_object_mut) {
                    // compose-go's WeightDevice and ThrottleDevice have no JSON tags.
                    rename(device, "path", "Path");
                    rename(device, "weight", "Weight");
                    rename(device, "rate", "Rate");
                }
            }
        }
    }
    if let Some(swappiness @ Value::Number(_)) = fields.get_mut("mem_swappiness") {
        *swappiness = Value::String(swappiness.to_string());
    }
    if let Some(Value::Array(volumes)) = fields.get_mut("volumes") {
        for volume in volumes.iter_mut().filter_map(Value::as_object_mut) {
            if let Some(Value::Object(bind)) = volume.get_mut("bind")
                && bind.get("create_host_path") == Some(&Value::Bool(true))
            {
                // The default; compose-go writes it only when false.
                bind.remove("create_host_path");
            }
        }
    }
    if let Some(Value::Object(check)) = fields.get_mut("healthcheck")
        && check.get("disable") == Some(&Value::Bool(true))
        && check.get("test") == Some(&serde_json::json!(["NONE"]))
    {
        // rcompose spells `disable: true` out as the test NONE; compose-go keeps the flag only.
        check.remove("test");
    }
    if let Some(Value::Array(hosts)) = fields.get_mut("extra_hosts") {
        // compose-go writes `host=ip` entries sorted as strings.
        hosts.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    }
    // Every field of a service but these is `omitempty` in compose-go: an empty string, a
    // false, a zero, an empty list or mapping is not written (`attach` and `init` are
    // pointers, written when set; `command` and `entrypoint` are always written).
    fields.retain(|key, value| {
        matches!(key.as_str(), "attach" | "init" | "command" | "entrypoint") || !is_empty(value)
    });
    for always in ["command", "entrypoint"] {
        fields.entry(always).or_insert(Value::Null);
    }
    let mut ordered = Map::new();
    for key in SERVICE_FIELDS {
        if let Some(value) = fields.remove(*key) {
            ordered.insert((*key).to_string(), value);
        }
    }
    let mut unknown: Vec<(String, Value)> = fields.into_iter().collect();
    unknown.sort_by(|a, b| a.0.cmp(&b.0));
    ordered.extend(unknown);
    ordered
}

/// What Go's `omitempty` leaves out.
fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
    }
}

/// A hook (and a watch rule's `exec`): compose-go always writes its `command`.
fn hook(fields: &mut Map<String, Value>) {
    fields.entry("command").or_insert(Value::Null);
    reorder(
        fields,
        &[
            "command",
            "user",
            "privileged",
            "working_dir",
            "environment",
        ],
    );
}

fn rename(fields: &mut Map<String, Value>, from: &str, to: &str) {
    if let Some(value) = fields.remove(from) {
        fields.insert(to.to_string(), value);
    }
}

/// Put `fields` in `order` (keys not listed keep their order, after the listed ones).
fn reorder(fields: &mut Map<String, Value>, order: &[&str]) {
    let mut ordered = Map::new();
    for key in order {
        if let Some(value) = fields.remove(*key) {
            ordered.insert((*key).to_string(), value);
        }
    }
    ordered.extend(std::mem::take(fields));
    *fields = ordered;
}

/// Drop `x-` keys of structures at every depth (compose-go does not marshal extensions); the
/// keys of user mappings (labels, environment...) are data and stay.
fn strip_extensions(fields: &mut Map<String, Value>) {
    fields.retain(|key, _| !key.starts_with("x-"));
    for (key, value) in fields.iter_mut() {
        let is_map = MAP_FIELDS.contains(&key.as_str());
        strip_value(value, is_map);
    }
}

fn strip_value(value: &mut Value, is_map: bool) {
    match value {
        Value::Object(map) if is_map => {
            for entry in map.values_mut() {
                strip_value(entry, false);
            }
        }
        Value::Object(map) => strip_extensions(map),
        Value::Array(items) => {
            for item in items {
                strip_value(item, false);
            }
        }
        _ => {}
    }
}

/// JSON as Go's `encoding/json` writes it: compact, HTML-safe escaping, floats as float32.
fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if n.is_i64() || n.is_u64() {
                out.push_str(&n.to_string());
            } else {
                // compose-go's fractional fields (cpus, cpu_percent, max_failure_ratio) are
                // float32: the shortest form that reads back as the same float32.
                let f = n.as_f64().unwrap_or_default() as f32;
                out.push_str(&format!("{f}"));
            }
        }
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, key);
                out.push(':');
                write_value(out, item);
            }
            out.push('}');
        }
    }
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(yaml_json: serde_json::Value) -> Service {
        serde_json::from_value(yaml_json).expect("a service")
    }

    /// Values docker compose v5.6.1 wrote into the labels of the resources it created from
    /// `networks: {back: {internal: true}}` and `volumes: {data: {labels: [x=y]}, other:
    /// {driver: local, driver_opts: {type: tmpfs, device: tmpfs}}}` in project `nh`.
    #[test]
    fn network_and_volume_hashes_are_the_references() {
        let network: Network =
            serde_json::from_value(serde_json::json!({"internal": true})).expect("network");
        assert_eq!(
            network_hash(&network, "nh_back").expect("hash"),
            "c1921ba9fb8eb287ca02f85379a36a0b31c29db84405cdb30b7cc2359ce46392"
        );
        let data: Volume =
            serde_json::from_value(serde_json::json!({"labels": {"x": "y"}, "x-note": 1}))
                .expect("volume");
        assert_eq!(
            volume_hash(&data, "nh_data").expect("hash"),
            "f8b07ff49d1878cf1f5c7a438658bf7b3e7751213e396e02fac4d621fb349537"
        );
        let other: Volume = serde_json::from_value(serde_json::json!({
            "driver": "local",
            "driver_opts": {"type": "tmpfs", "device": "tmpfs"}
        }))
        .expect("volume");
        assert_eq!(
            volume_hash(&other, "nh_other").expect("hash"),
            "95eaa54a758e392e08cf522cd7389d824a00735850beade2d1781311e94da1fc"
        );
    }

    #[test]
    fn strings_are_escaped_as_go_escapes_them() {
        let mut out = String::new();
        write_string(&mut out, "a<b>&\"\\\n\t\u{1}\u{8}\u{c}\u{2028}é");
        assert_eq!(out, r#""a\u003cb\u003e\u0026\"\\\n\t\u0001\b\f\u2028é""#);
    }

    #[test]
    fn floats_are_float32_and_integers_stay_integers() {
        let mut out = String::new();
        write_value(&mut out, &serde_json::json!([50.0, 1.5, 0.1, 3]));
        assert_eq!(out, "[50,1.5,0.1,3]");
    }

    #[test]
    fn fields_come_in_compose_go_order_with_command_and_entrypoint_always() {
        let s = service(serde_json::json!({
            "image": "busybox", "tty": true, "cpus": 1.5, "restart": "always",
            "environment": {"B": "2", "A": "1"}, "x-note": "dropped",
            "depends_on": {"db": {"condition": "service_started", "required": true}},
            "build": {"context": "."}, "scale": 2, "profiles": ["p"], "pull_policy": "always",
        }));
        assert_eq!(
            go_json(&s).unwrap(),
            r#"{"cpus":1.5,"command":null,"entrypoint":null,"environment":{"A":"1","B":"2"},"image":"busybox","restart":"always","tty":true}"#
        );
    }

    #[test]
    fn the_hash_is_sha256_of_those_bytes() {
        let s = service(serde_json::json!({"image": "busybox"}));
        // docker-compose-v5 config --hash '*' on `services: {db: {image: busybox}}` gives
        // the hash of this JSON (a service with no network is not what up hashes: see the
        // engine test comparing labels).
        assert_eq!(
            go_json(&s).unwrap(),
            r#"{"command":null,"entrypoint":null,"image":"busybox"}"#
        );
        assert_eq!(
            service_hash(&s).unwrap(),
            hex::encode(Sha256::digest(
                br#"{"command":null,"entrypoint":null,"image":"busybox"}"#
            ))
        );
    }

    #[test]
    fn references_resolve_to_container_ids_as_compose_hashes_them() {
        let s = service(serde_json::json!({
            "image": "busybox", "network_mode": "service:db", "ipc": "service:gone",
            "volumes_from": ["db:ro", "container:other:rw", "gone", "db"],
        }));
        let resolved =
            with_resolved_references(&s, |name| (name == "db").then(|| "0123abcd".to_string()));
        assert_eq!(resolved.network_mode.as_deref(), Some("container:0123abcd"));
        assert_eq!(resolved.ipc.as_deref(), Some("service:gone"));
        assert_eq!(
            resolved.volumes_from,
            ["0123abcd", "other", "gone", "db"],
            "compose stops resolving volumes_from at the first entry it cannot resolve"
        );
    }
}
