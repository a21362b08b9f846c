//! The Compose Specification's JSON Schema (bundled as `compose-spec.json`), checked by a small
//! interpreter of the JSON Schema subset that file uses.
//!
//! A general validator compiles the whole 75 KB schema (and its regular expressions) on every
//! run, which costs more than loading a compose file. Walking the schema along the instance
//! touches only the parts a file uses, and reports failures in the terms users need: the
//! pointer of the offending value and what was expected.

use std::sync::OnceLock;

use serde_json::{Map, Value};

// The bundled schema, minus its descriptions (see build.rs).
const SCHEMA: &str = include_str!(concat!(env!("OUT_DIR"), "/compose-spec.min.json"));

/// Why a value does not match the schema.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// The value has the wrong type; `expected` lists JSON Schema type names.
    Type { expected: Vec<String> },
    /// A mapping key the schema does not allow.
    AdditionalProperty { key: String },
    /// A key the schema requires is missing.
    Required { key: String },
    /// A value outside the allowed set.
    Enum { allowed: Vec<Value> },
    /// None of the alternative forms match, and none matched deeper than the value itself.
    NoForm,
    /// A string that does not match the required pattern.
    Pattern { pattern: String },
    /// A number below `minimum` or above `maximum`.
    Range {
        minimum: Option<f64>,
        maximum: Option<f64>,
    },
    /// The same item twice in a list that must hold unique items.
    Duplicate,
}

/// A failure and the JSON pointer of the value it is about.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    pub pointer: String,
    pub failure: Failure,
}

fn schema() -> Result<&'static Value, String> {
    static SCHEMA_VALUE: OnceLock<Result<Value, String>> = OnceLock::new();
    SCHEMA_VALUE
        .get_or_init(|| serde_json::from_str(SCHEMA).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(Clone::clone)
}

/// Check `instance` against the compose schema; the first violation, if any.
pub fn check(instance: &Value) -> Result<Option<Violation>, String> {
    let root = schema()?;
    let mut pointer = String::new();
    Ok(Walker { root }.validate(root, instance, &mut pointer).err())
}

struct Walker<'s> {
    root: &'s Value,
}

fn depth(pointer: &str) -> usize {
    pointer.matches('/').count()
}

impl<'s> Walker<'s> {
    fn resolve(&self, reference: &str) -> Option<&'s Value> {
        let path = reference.strip_prefix('#')?;
        let mut node = self.root;
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            node = node.get(segment.replace("~1", "/").replace("~0", "~"))?;
        }
        Some(node)
    }

    fn validate(
        &self,
        schema: &'s Value,
        value: &Value,
        pointer: &mut String,
    ) -> Result<(), Violation> {
        let Some(schema) = schema.as_object() else {
            // `true`/`{}` accept everything; `false` nothing.
            return match schema {
                Value::Bool(false) => Err(self.fail(pointer, Failure::NoForm)),
                _ => Ok(()),
            };
        };
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str)
            && let Some(target) = self.resolve(reference)
        {
            self.validate(target, value, pointer)?;
        }
        if let Some(types) = schema.get("type") {
            let expected: Vec<String> = match types {
                Value::String(t) => vec![t.clone()],
                Value::Array(ts) => ts
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect(),
                _ => Vec::new(),
            };
            if !expected.is_empty() && !expected.iter().any(|t| has_type(value, t)) {
                return Err(self.fail(pointer, Failure::Type { expected }));
            }
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
            && !allowed.contains(value)
        {
            return Err(self.fail(
                pointer,
                Failure::Enum {
                    allowed: allowed.clone(),
                },
            ));
        }
        if let Some(branches) = schema.get("oneOf").and_then(Value::as_array) {
            self.one_of(branches, value, pointer)?;
        }
        match value {
            Value::Object(map) => self.object(schema, map, pointer)?,
            Value::Array(items) => self.array(schema, items, pointer)?,
            Value::String(s) => {
                if let Some(pattern) = schema.get("pattern").and_then(Value::as_str)
                    && !matches_pattern(pattern, s)
                {
                    return Err(self.fail(
                        pointer,
                        Failure::Pattern {
                            pattern: pattern.to_string(),
                        },
                    ));
                }
            }
            Value::Number(n) => {
                let minimum = schema.get("minimum").and_then(Value::as_f64);
                let maximum = schema.get("maximum").and_then(Value::as_f64);
                if let Some(x) = n.as_f64()
                    && (minimum.is_some_and(|m| x < m) || maximum.is_some_and(|m| x > m))
                {
                    return Err(self.fail(pointer, Failure::Range { minimum, maximum }));
                }
            }
            Value::Null | Value::Bool(_) => {}
        }
        Ok(())
    }

    fn fail(&self, pointer: &str, failure: Failure) -> Violation {
        Violation {
            pointer: pointer.to_string(),
            failure,
        }
    }

    /// Exactly one branch must match. When none does, the most useful report is the branch
    /// that got deepest into the value (a wrong enum inside a mapping, say).
    fn one_of(
        &self,
        branches: &'s [Value],
        value: &Value,
        pointer: &mut String,
    ) -> Result<(), Violation> {
        let mut best: Option<Violation> = None;
        let mut matched = 0;
        let len = pointer.len();
        for branch in branches {
            let outcome = self.validate(branch, value, pointer);
            // A failed branch returns early and may leave its own path behind.
            pointer.truncate(len);
            match outcome {
                Ok(()) => matched += 1,
                Err(v) => {
                    // Deeper is more specific; at equal depth, a branch of the right type
                    // (failing on a missing key, say) says more than a type mismatch.
                    let rank = |v: &Violation| {
                        (
                            depth(&v.pointer),
                            !matches!(v.failure, Failure::Type { .. }),
                        )
                    };
                    if best.as_ref().is_none_or(|b| rank(&v) > rank(b)) {
                        best = Some(v);
                    }
                }
            }
        }
        if matched > 0 {
            return Ok(());
        }
        match best {
            Some(v)
                if depth(&v.pointer) > depth(pointer)
                    || !matches!(v.failure, Failure::Type { .. }) =>
            {
                Err(v)
            }
            _ => Err(self.fail(pointer, Failure::NoForm)),
        }
    }

    fn object(
        &self,
        schema: &'s Map<String, Value>,
        map: &Map<String, Value>,
        pointer: &mut String,
    ) -> Result<(), Violation> {
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            for key in required.iter().filter_map(Value::as_str) {
                if !map.contains_key(key) {
                    return Err(self.fail(
                        pointer,
                        Failure::Required {
                            key: key.to_string(),
                        },
                    ));
                }
            }
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        let patterns = schema.get("patternProperties").and_then(Value::as_object);
        let additional = schema.get("additionalProperties");
        for (key, item) in map {
            let len = pointer.len();
            pointer.push('/');
            pointer.push_str(&super::yaml::escape_pointer(key));
            let mut known = false;
            if let Some(sub) = properties.and_then(|p| p.get(key)) {
                known = true;
                self.validate(sub, item, pointer)?;
            }
            if let Some(patterns) = patterns {
                for (pattern, sub) in patterns {
                    if matches_pattern(pattern, key) {
                        known = true;
                        self.validate(sub, item, pointer)?;
                    }
                }
            }
            if !known {
                match additional {
                    Some(Value::Bool(false)) => {
                        pointer.truncate(len);
                        return Err(
                            self.fail(pointer, Failure::AdditionalProperty { key: key.clone() })
                        );
                    }
                    Some(sub @ Value::Object(_)) => self.validate(sub, item, pointer)?,
                    _ => {}
                }
            }
            pointer.truncate(len);
        }
        Ok(())
    }

    fn array(
        &self,
        schema: &'s Map<String, Value>,
        items: &[Value],
        pointer: &mut String,
    ) -> Result<(), Violation> {
        if let Some(item_schema) = schema.get("items") {
            for (i, item) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&i.to_string());
                self.validate(item_schema, item, pointer)?;
                pointer.truncate(len);
            }
        }
        if schema.get("uniqueItems") == Some(&Value::Bool(true)) {
            for (i, item) in items.iter().enumerate() {
                if items[..i].contains(item) {
                    return Err(self.fail(&format!("{pointer}/{i}"), Failure::Duplicate));
                }
            }
        }
        Ok(())
    }
}

fn has_type(value: &Value, name: &str) -> bool {
    match name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "number" => value.is_number(),
        "integer" => match value {
            Value::Number(n) => {
                n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
            }
            _ => false,
        },
        _ => true,
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

/// The patterns the compose schema uses, each as code. (JSON Schema patterns are unanchored
/// searches unless they say `^`/`$`.) An unknown pattern matches: the schema test below fails
/// when the bundled schema gains one, so it gets implemented.
fn matches_pattern(pattern: &str, s: &str) -> bool {
    match pattern {
        "^x-" => s.starts_with("x-"),
        "^.+$" | ".+" => !s.is_empty(),
        "^[a-zA-Z0-9._-]+$" => !s.is_empty() && s.chars().all(is_name_char),
        "^[a-z]+$" => !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase()),
        "[a-zA-Z0-9][a-zA-Z0-9_.-]+" => {
            let chars: Vec<char> = s.chars().collect();
            chars
                .windows(2)
                .any(|w| w[0].is_ascii_alphanumeric() && is_name_char(w[1]))
        }
        "always|never|build|if_not_present|missing|refresh|daily|weekly|every_([0-9]+[wdhms])+" => {
            [
                "always",
                "never",
                "build",
                "if_not_present",
                "missing",
                "refresh",
                "daily",
                "weekly",
            ]
            .iter()
            .any(|w| s.contains(w))
                || s.match_indices("every_").any(|(i, _)| {
                    let rest = &s[i + "every_".len()..];
                    let digits = rest.chars().take_while(char::is_ascii_digit).count();
                    digits > 0 && rest[digits..].starts_with(['w', 'd', 'h', 'm', 's'])
                })
        }
        _ => true,
    }
}

/// Every pattern in the bundled schema, for the test that each is implemented.
#[cfg(test)]
fn schema_patterns() -> Vec<String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, sub) in m {
                    if k == "patternProperties"
                        && let Some(p) = sub.as_object()
                    {
                        out.extend(p.keys().cloned());
                    }
                    if k == "pattern"
                        && let Some(p) = sub.as_str()
                    {
                        out.push(p.to_string());
                    }
                    walk(sub, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(root) = schema() {
        walk(root, &mut out);
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn violation(v: Value) -> Option<Violation> {
        check(&v).expect("schema parses")
    }

    #[test]
    fn every_schema_pattern_is_implemented() {
        let known = [
            "^x-",
            "^.+$",
            ".+",
            "^[a-zA-Z0-9._-]+$",
            "^[a-z]+$",
            "[a-zA-Z0-9][a-zA-Z0-9_.-]+",
            "always|never|build|if_not_present|missing|refresh|daily|weekly|every_([0-9]+[wdhms])+",
        ];
        for p in schema_patterns() {
            assert!(
                known.contains(&p.as_str()),
                "unimplemented schema pattern {p}"
            );
        }
    }

    #[test]
    fn valid_projects_pass() {
        assert_eq!(
            violation(json!({
                "name": "p",
                "services": {"web": {"image": "nginx", "ports": ["80:80", 81, {"target": 82}],
                    "depends_on": {"db": {"condition": "service_healthy"}}, "x-custom": 1,
                    "deploy": {"replicas": "3"}, "pull_policy": "always"}},
                "volumes": {"data": null},
                "x-anything": {"a": 1}
            })),
            None
        );
    }

    #[test]
    fn failures_name_the_value_and_the_reason() {
        let v = violation(json!({"services": {"web": {"image": "x", "imagee": "y"}}})).unwrap();
        assert_eq!(v.pointer, "/services/web");
        assert_eq!(
            v.failure,
            Failure::AdditionalProperty {
                key: "imagee".into()
            }
        );

        let v = violation(json!({"services": {"web": {"image": {"a": 1}}}})).unwrap();
        assert_eq!(v.pointer, "/services/web/image");
        assert!(matches!(v.failure, Failure::Type { .. }));

        let v = violation(json!({"services": {"web": {"image": "x",
            "depends_on": {"db": {"condition": "service_ready"}}}}}))
        .unwrap();
        assert_eq!(v.pointer, "/services/web/depends_on/db/condition");
        assert!(matches!(v.failure, Failure::Enum { .. }), "{v:?}");

        let v = violation(json!({"services": {"my web": {"image": "x"}}})).unwrap();
        assert_eq!(
            v.failure,
            Failure::AdditionalProperty {
                key: "my web".into()
            }
        );

        let v = violation(json!({"services": {"web": {"image": "x", "ports": [[1]]}}})).unwrap();
        assert_eq!(v.pointer, "/services/web/ports/0");
        assert_eq!(v.failure, Failure::NoForm);

        let v = violation(json!({"services": {"web": {"image": "x", "pull_policy": "sometimes"}}}))
            .unwrap();
        assert!(matches!(v.failure, Failure::Pattern { .. }));

        let v = violation(json!({"services": {"web": {"image": "x", "extends": {"file": "f"}}}}))
            .unwrap();
        assert_eq!(
            v.failure,
            Failure::Required {
                key: "service".into()
            }
        );
    }
}
