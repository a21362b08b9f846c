//! Validation of a merged project: the Compose Specification's JSON Schema (which keys and types
//! exist) and the semantic checks no schema can express (references, cycles, names).

use std::collections::BTreeMap;

use serde_json::Value;

use super::schema::{self, Failure};
use super::yaml::{SourceMap, escape_pointer};
use crate::error::{Error, Mark, Result};

/// A JSON pointer as compose prints paths: `services.web.ports.0`.
pub fn dotted(pointer: &str) -> String {
    pointer
        .trim_start_matches('/')
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect::<Vec<_>>()
        .join(".")
}

fn locate(positions: &SourceMap, pointer: &str) -> Option<Mark> {
    positions.find(pointer).cloned()
}

fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a sequence",
        Value::Object(_) => "a mapping",
    }
}

fn type_names(expected: &[String]) -> String {
    let names: Vec<&str> = expected
        .iter()
        .map(|n| match n.as_str() {
            "object" => "mapping",
            "array" => "sequence",
            other => other,
        })
        .collect();
    match names.len() {
        0 => String::new(),
        1 => names[0].to_string(),
        _ => format!(
            "{} or {}",
            names[..names.len() - 1].join(", "),
            names[names.len() - 1]
        ),
    }
}

fn short(v: &Value) -> String {
    let text = match v {
        Value::String(s) => format!("\"{s}\""),
        other => other.to_string(),
    };
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(60).collect::<String>())
    } else {
        text
    }
}

/// Check the project against the compose JSON schema. Reports the first problem.
pub fn schema(value: &Value, positions: &SourceMap) -> Result<()> {
    let violation = schema::check(value).map_err(|e| {
        Error::new(format!(
            "internal error: the bundled compose schema is invalid: {e}"
        ))
    })?;
    let Some(violation) = violation else {
        return Ok(());
    };
    let pointer = violation.pointer;
    let path = dotted(&pointer);
    let at = if path.is_empty() {
        "top level".to_string()
    } else {
        path.clone()
    };
    let instance = lookup(value, &pointer).unwrap_or(&Value::Null);
    let value_mark = positions.find_value(&pointer).cloned();
    let (message, mark, hint) = match violation.failure {
        Failure::AdditionalProperty { key } => {
            let key_pointer = format!("{pointer}/{}", escape_pointer(&key));
            let mark = locate(positions, &key_pointer);
            if matches!(
                path.as_str(),
                "services" | "networks" | "volumes" | "configs" | "secrets"
            ) {
                let kind = path.trim_end_matches('s');
                (
                    format!("invalid {kind} name \"{key}\""),
                    mark,
                    Some("names may use only letters, digits, '.', '_' and '-'".to_string()),
                )
            } else {
                (
                    format!("{at}: additional property \"{key}\" is not allowed"),
                    mark,
                    Some(
                        "check the spelling of the key; custom keys must start with \"x-\""
                            .to_string(),
                    ),
                )
            }
        }
        Failure::Type { expected } => (
            format!(
                "{at} must be {}, but it is {}",
                with_article(&type_names(&expected)),
                kind_name(instance)
            ),
            value_mark,
            None,
        ),
        Failure::Required { key } => (
            format!("{at}: missing required key \"{key}\""),
            locate(positions, &pointer),
            None,
        ),
        Failure::Enum { allowed } => {
            let allowed: Vec<String> = allowed.iter().map(short).collect();
            (
                format!(
                    "{at}: invalid value {}, expected one of {}",
                    short(instance),
                    allowed.join(", ")
                ),
                value_mark,
                None,
            )
        }
        Failure::NoForm => (
            format!(
                "{at}: {} ({}) does not match any of the forms this key allows",
                short(instance),
                kind_name(instance)
            ),
            value_mark,
            Some("see the Compose Specification for the forms of this key".to_string()),
        ),
        Failure::Pattern { pattern } => (
            format!(
                "{at}: invalid value {}, it must match {pattern}",
                short(instance)
            ),
            value_mark,
            None,
        ),
        Failure::Range { minimum, maximum } => {
            let bound = match (minimum, maximum) {
                (Some(lo), Some(hi)) => format!("from {lo} to {hi}"),
                (Some(lo), None) => format!("at least {lo}"),
                (None, Some(hi)) => format!("at most {hi}"),
                (None, None) => String::new(),
            };
            (
                format!(
                    "{at}: {} is out of range, it must be {bound}",
                    short(instance)
                ),
                value_mark,
                None,
            )
        }
        Failure::Duplicate => (
            format!("{at}: the list holds the same item twice"),
            value_mark,
            Some("remove the duplicate".to_string()),
        ),
    };
    let mut err = Error::new(message);
    if let Some(mark) = mark {
        err = err.with_mark(mark);
    }
    if let Some(hint) = hint {
        err = err.with_hint(hint);
    }
    Err(err)
}

/// The value at a JSON pointer.
fn lookup<'v>(value: &'v Value, pointer: &str) -> Option<&'v Value> {
    value.pointer(pointer)
}

fn with_article(types: &str) -> String {
    match types.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => format!("an {types}"),
        _ => format!("a {types}"),
    }
}

const RESTART_POLICIES: &str = "\"no\", always, on-failure, on-failure:N, unless-stopped";

/// Semantic checks on the validated JSON: references between services and resources, cycles,
/// restart policies, image or build.
pub fn semantics(value: &Value, positions: &SourceMap) -> Result<()> {
    let empty = serde_json::Map::new();
    let services = value
        .get("services")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let declared = |kind: &str| -> Vec<String> {
        value
            .get(kind)
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    let volumes = declared("volumes");
    let networks = declared("networks");
    let configs = declared("configs");
    let secrets = declared("secrets");
    let at = |pointer: String| positions.find_value(&pointer).cloned();
    let fail = |pointer: String, message: String, hint: &str| -> Error {
        let mut e = Error::new(message).with_hint(hint);
        if let Some(m) = at(pointer) {
            e = e.with_mark(m);
        }
        e
    };

    let mut graph: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, service) in services {
        let base = format!("/services/{}", escape_pointer(name));
        if service.get("image").is_none() && service.get("build").is_none() {
            let mut e = Error::new(format!(
                "service \"{name}\" has neither an image nor a build context"
            ))
            .with_hint("add `image:` or `build:` to the service");
            if let Some(mark) = positions.find(&base) {
                e = e.with_mark(mark.clone());
            }
            return Err(e);
        }
        let mut deps = Vec::new();
        if let Some(depends_on) = service.get("depends_on") {
            let entries: Vec<(String, String, bool)> = match depends_on {
                Value::Array(items) => items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, v)| {
                        v.as_str()
                            .map(|s| (s.to_string(), format!("{base}/depends_on/{i}"), true))
                    })
                    .collect(),
                Value::Object(map) => map
                    .iter()
                    .map(|(k, v)| {
                        let required = v
                            .get("required")
                            .map(|r| !matches!(r, Value::Bool(false)) && r != "false")
                            .unwrap_or(true);
                        (
                            k.clone(),
                            format!("{base}/depends_on/{}", escape_pointer(k)),
                            required,
                        )
                    })
                    .collect(),
                _ => Vec::new(),
            };
            for (dep, pointer, required) in entries {
                if !services.contains_key(&dep) {
                    if !required {
                        continue;
                    }
                    return Err(fail(
                        pointer,
                        format!("service \"{name}\" depends on undefined service \"{dep}\""),
                        "define that service, fix the name, or mark the dependency `required: false`",
                    ));
                }
                deps.push(dep);
            }
        }
        for key in ["network_mode", "pid", "ipc"] {
            if let Some(target) = service
                .get(key)
                .and_then(Value::as_str)
                .and_then(|v| v.strip_prefix("service:"))
            {
                if !services.contains_key(target) {
                    return Err(fail(
                        format!("{base}/{key}"),
                        format!(
                            "service \"{name}\": {key} refers to undefined service \"{target}\""
                        ),
                        "fix the service name",
                    ));
                }
                deps.push(target.to_string());
            }
        }
        graph.insert(name.clone(), deps);

        if let Some(restart) = service.get("restart").and_then(Value::as_str) {
            let valid = matches!(restart, "no" | "always" | "unless-stopped" | "on-failure")
                || restart
                    .strip_prefix("on-failure:")
                    .is_some_and(|n| n.parse::<u32>().is_ok());
            if !valid {
                return Err(fail(
                    format!("{base}/restart"),
                    format!("service \"{name}\": invalid restart policy \"{restart}\""),
                    &format!("use one of {RESTART_POLICIES}"),
                ));
            }
        }

        // Named volumes used by the service must be declared at the top level.
        if let Some(Value::Array(items)) = service.get("volumes") {
            for (i, item) in items.iter().enumerate() {
                let source = match item {
                    Value::String(s) => {
                        let parts: Vec<&str> = s.split(':').collect();
                        (parts.len() > 1).then(|| parts[0].to_string())
                    }
                    Value::Object(m) => {
                        let is_volume = m.get("type").and_then(Value::as_str) == Some("volume");
                        m.get("source")
                            .and_then(Value::as_str)
                            .filter(|_| is_volume)
                            .map(str::to_string)
                    }
                    _ => None,
                };
                if let Some(source) = source {
                    let is_path = source.starts_with(['/', '.', '~']) || source.contains('/');
                    if !is_path && !source.is_empty() && !volumes.contains(&source) {
                        return Err(fail(
                            format!("{base}/volumes/{i}"),
                            format!(
                                "service \"{name}\" uses volume \"{source}\", which is not declared"
                            ),
                            &format!(
                                "declare it under the top-level `volumes:` key (`volumes: {{{source}: {{}}}}`), or use a path such as ./{source} for a bind mount"
                            ),
                        ));
                    }
                }
            }
        }
        let references: [(&str, &Vec<String>, &str); 3] = [
            ("networks", &networks, "network"),
            ("configs", &configs, "config"),
            ("secrets", &secrets, "secret"),
        ];
        for (key, known, kind) in references {
            let used: Vec<(String, String)> = match service.get(key) {
                Some(Value::Array(items)) => items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, v)| {
                        let n = match v {
                            Value::String(s) => Some(s.clone()),
                            Value::Object(m) => {
                                m.get("source").and_then(Value::as_str).map(str::to_string)
                            }
                            _ => None,
                        };
                        n.map(|n| (n, format!("{base}/{key}/{i}")))
                    })
                    .collect(),
                Some(Value::Object(map)) => map
                    .keys()
                    .map(|k| (k.clone(), format!("{base}/{key}/{}", escape_pointer(k))))
                    .collect(),
                _ => Vec::new(),
            };
            for (used_name, pointer) in used {
                if key == "networks" && used_name == "default" {
                    continue;
                }
                if !known.contains(&used_name) {
                    return Err(fail(
                        pointer,
                        format!(
                            "service \"{name}\" uses {kind} \"{used_name}\", which is not declared"
                        ),
                        &format!("declare it under the top-level `{key}:` key"),
                    ));
                }
            }
        }
    }

    if let Err(cycle) = crate::graph::waves(&graph) {
        let first = cycle.path.first().cloned().unwrap_or_default();
        return Err(fail(
            format!("/services/{}/depends_on", escape_pointer(&first)),
            format!("dependency cycle between services: {cycle}"),
            "remove one of the dependencies to break the cycle",
        ));
    }
    Ok(())
}
