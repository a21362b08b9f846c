//! Whether a service spec rcompose wants differs from the one the engine holds.
//!
//! The engine stores what it was sent plus defaults it fills in (`Runtime: container`,
//! `UpdateConfig.Monitor: 5s`, ...). A value present only on the engine side therefore counts
//! as a change unless it is empty (`{}`, `[]`, `0`, `false`, `""`) or one of the engine's
//! defaults listed in [`ENGINE_DEFAULTS`]; everything rcompose sends must match exactly. So a
//! key removed from the compose file (a label, a healthcheck) is a change, and a spec that
//! round-tripped through the engine is not. Keys match case-insensitively, as the engine reads
//! them (bollard writes `HealthCheck`, the engine `Healthcheck`).

use serde_json::Value;

/// Values the engine (API 1.41 and later) fills into a service spec when they are not sent,
/// by dotted path (`[]` stands for any list element).
const ENGINE_DEFAULTS: &[(&str, DefaultValue)] = &[
    ("TaskTemplate.Runtime", DefaultValue::Str("container")),
    (
        "TaskTemplate.ContainerSpec.Isolation",
        DefaultValue::Str("default"),
    ),
    (
        "TaskTemplate.RestartPolicy.Condition",
        DefaultValue::Str("any"),
    ),
    (
        "TaskTemplate.RestartPolicy.Delay",
        DefaultValue::Int(5_000_000_000),
    ),
    ("EndpointSpec.Mode", DefaultValue::Str("vip")),
    ("UpdateConfig.Parallelism", DefaultValue::Int(1)),
    ("UpdateConfig.FailureAction", DefaultValue::Str("pause")),
    ("UpdateConfig.Monitor", DefaultValue::Int(5_000_000_000)),
    ("UpdateConfig.Order", DefaultValue::Str("stop-first")),
    ("RollbackConfig.Parallelism", DefaultValue::Int(1)),
    ("RollbackConfig.FailureAction", DefaultValue::Str("pause")),
    ("RollbackConfig.Monitor", DefaultValue::Int(5_000_000_000)),
    ("RollbackConfig.Order", DefaultValue::Str("stop-first")),
];

#[derive(Debug, Clone, Copy)]
enum DefaultValue {
    Str(&'static str),
    Int(i64),
}

impl DefaultValue {
    fn matches(self, value: &Value) -> bool {
        match self {
            DefaultValue::Str(s) => value.as_str() == Some(s),
            DefaultValue::Int(n) => value.as_i64() == Some(n),
        }
    }
}

/// The dotted paths where `wanted` and `current` (both serialized service specs) differ; empty
/// when the engine already runs what is wanted.
pub fn differences(wanted: &Value, current: &Value) -> Vec<String> {
    let mut out = Vec::new();
    compare("", wanted, current, &mut out);
    out
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn compare(path: &str, wanted: &Value, current: &Value, out: &mut Vec<String>) {
    match (wanted, current) {
        (Value::Object(w), Value::Object(c)) => {
            for (key, wv) in w {
                let sub = join(path, key);
                match get(c, key) {
                    Some(cv) => compare(&sub, wv, cv, out),
                    None if is_empty(wv) => {}
                    None => out.push(sub),
                }
            }
            for (key, cv) in c {
                if get(w, key).is_none_or(Value::is_null) && !is_default(&join(path, key), cv) {
                    out.push(join(path, key));
                }
            }
        }
        (Value::Array(w), Value::Array(c)) => {
            if w.len() != c.len() {
                out.push(path.to_string());
                return;
            }
            let sub = format!("{path}[]");
            let before = out.len();
            for (wv, cv) in w.iter().zip(c) {
                compare(&sub, wv, cv, out);
                if out.len() > before {
                    // One entry per list is enough to say why.
                    out.truncate(before);
                    out.push(path.to_string());
                    return;
                }
            }
        }
        (Value::Number(w), Value::Number(c)) => {
            let same = match (w.as_i64(), c.as_i64()) {
                (Some(a), Some(b)) => a == b,
                _ => w.as_f64() == c.as_f64(),
            };
            if !same {
                out.push(path.to_string());
            }
        }
        (Value::Null, c) if is_default(path, c) => {}
        (w, Value::Null) if is_empty(w) => {}
        (w, c) => {
            if w != c {
                out.push(path.to_string());
            }
        }
    }
}

/// The value of `key` in `map`, ignoring ASCII case.
fn get<'a>(map: &'a serde_json::Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.get(key).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// Empty values mean "not set" on both sides.
fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.values().all(is_empty),
    }
}

/// Whether `value`, found only on the engine side at `path`, is what the engine fills in.
fn is_default(path: &str, value: &Value) -> bool {
    if is_empty(value) {
        return true;
    }
    if let Value::Object(map) = value {
        return map.iter().all(|(k, v)| is_default(&join(path, k), v));
    }
    ENGINE_DEFAULTS
        .iter()
        .any(|(p, default)| p.eq_ignore_ascii_case(path) && default.matches(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn engine_defaults_are_not_changes() {
        let wanted = json!({
            "Name": "s_web",
            "TaskTemplate": {"ContainerSpec": {"Image": "busybox", "Env": ["A=1"]},
                             "Networks": [{"Target": "n1", "Aliases": ["web"]}]},
            "Mode": {"Replicated": {"Replicas": 3}},
            "UpdateConfig": {"Order": "start-first"},
            "EndpointSpec": {"Mode": "vip"}
        });
        let current = json!({
            "Name": "s_web",
            "TaskTemplate": {"ContainerSpec": {"Image": "busybox", "Env": ["A=1"],
                                               "Isolation": "default", "DNSConfig": {},
                                               "Privileges": {"CredentialSpec": null,
                                                              "NoNewPrivileges": false}},
                             "Resources": {"Limits": {}, "Reservations": {}},
                             "RestartPolicy": {"Condition": "any", "Delay": 5000000000u64,
                                               "MaxAttempts": 0},
                             "Placement": {},
                             "Networks": [{"Target": "n1", "Aliases": ["web"]}],
                             "ForceUpdate": 0, "Runtime": "container"},
            "Mode": {"Replicated": {"Replicas": 3}},
            "UpdateConfig": {"Parallelism": 1, "FailureAction": "pause", "Monitor": 5000000000u64,
                             "MaxFailureRatio": 0, "Order": "start-first"},
            "RollbackConfig": {"Parallelism": 1, "FailureAction": "pause",
                               "Monitor": 5000000000u64, "MaxFailureRatio": 0,
                               "Order": "stop-first"},
            "EndpointSpec": {"Mode": "vip"}
        });
        assert_eq!(differences(&wanted, &current), Vec::<String>::new());
    }

    #[test]
    fn changed_added_and_removed_values_are_changes() {
        let current = json!({
            "Labels": {"a": "1", "b": "2"},
            "TaskTemplate": {"ContainerSpec": {"Env": ["A=1"],
                                               "Healthcheck": {"Test": ["CMD", "true"]}},
                             "RestartPolicy": {"Condition": "on-failure"}},
            "Mode": {"Replicated": {"Replicas": 3}}
        });
        let wanted = json!({
            "Labels": {"a": "1"},
            "TaskTemplate": {"ContainerSpec": {"Env": ["A=2"], "User": "nobody"}},
            "Mode": {"Replicated": {"Replicas": 2}}
        });
        assert_eq!(
            differences(&wanted, &current),
            [
                "Labels.b",
                "TaskTemplate.ContainerSpec.Env",
                "TaskTemplate.ContainerSpec.User",
                "TaskTemplate.ContainerSpec.Healthcheck",
                "TaskTemplate.RestartPolicy",
                "Mode.Replicated.Replicas",
            ]
        );
    }

    #[test]
    fn lists_compare_in_order_and_length() {
        let a = json!({"Args": ["a", "b"]});
        assert!(differences(&a, &json!({"Args": ["b", "a"]})) == ["Args"]);
        assert!(differences(&a, &json!({"Args": ["a"]})) == ["Args"]);
        assert!(differences(&a, &a).is_empty());
    }

    #[test]
    fn empty_wanted_values_match_absent_ones() {
        let wanted = json!({"Labels": {}, "Args": [], "TTY": false, "Hostname": ""});
        assert!(differences(&wanted, &json!({})).is_empty());
        assert_eq!(differences(&json!({}), &json!({"TTY": true})), ["TTY"]);
    }

    #[test]
    fn keys_match_ignoring_case() {
        let wanted = json!({"ContainerSpec": {"HealthCheck": {"Test": ["CMD", "true"]}}});
        let current = json!({"ContainerSpec": {"Healthcheck": {"Test": ["CMD", "true"]}}});
        assert!(differences(&wanted, &current).is_empty());
        let other = json!({"ContainerSpec": {"Healthcheck": {"Test": ["CMD", "false"]}}});
        assert_eq!(
            differences(&wanted, &other),
            ["ContainerSpec.HealthCheck.Test"]
        );
        assert_eq!(
            differences(&json!({"ContainerSpec": {}}), &other),
            ["ContainerSpec.Healthcheck"]
        );
    }

    #[test]
    fn numbers_compare_by_value() {
        assert!(differences(&json!({"N": 1}), &json!({"N": 1u64})).is_empty());
        assert!(differences(&json!({"R": 0.5}), &json!({"R": 0.5})).is_empty());
        assert_eq!(differences(&json!({"R": 0.5}), &json!({"R": 0.25})), ["R"]);
    }
}
