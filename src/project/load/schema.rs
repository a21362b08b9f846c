//! The Compose Specification's JSON Schema (bundled as `compose-spec.json`), checked by a small
//! interpreter of the JSON Schema subset that file uses.
//!
//! A general validator compiles the whole 75 KB schema (and its regular expressions) on every
//! run, which costs more than loading a compose file. Walking the schema along the instance
//! touches only the parts a file uses, and reports failures in the terms users need: the
//! pointer of the offending value and what was expected.

use serde_json::{Map, Value};

/// A JSON value fixed at build time: the bundled schema, minus its descriptions, as statics
/// (build.rs writes them; object keys sorted).
#[derive(Debug, PartialEq)]
pub enum Schema {
    Null,
    Bool(bool),
    Num(f64),
    Str(&'static str),
    Arr(&'static [Schema]),
    Obj(&'static [(&'static str, Schema)]),
}

include!(concat!(env!("OUT_DIR"), "/compose-spec.rs"));

type Object = &'static [(&'static str, Schema)];

impl Schema {
    fn get(&'static self, key: &str) -> Option<&'static Schema> {
        lookup(self.as_object()?, key)
    }

    fn as_object(&'static self) -> Option<Object> {
        match self {
            Schema::Obj(entries) => Some(entries),
            _ => None,
        }
    }

    fn as_array(&'static self) -> Option<&'static [Schema]> {
        match self {
            Schema::Arr(items) => Some(items),
            _ => None,
        }
    }

    fn as_str(&'static self) -> Option<&'static str> {
        match self {
            Schema::Str(text) => Some(text),
            _ => None,
        }
    }

    fn as_f64(&self) -> Option<f64> {
        match self {
            Schema::Num(x) => Some(*x),
            _ => None,
        }
    }

    /// Whether `value` is this value (for `enum`).
    fn equals(&self, value: &Value) -> bool {
        match (self, value) {
            (Schema::Null, Value::Null) => true,
            (Schema::Bool(a), Value::Bool(b)) => a == b,
            (Schema::Num(a), Value::Number(b)) => b.as_f64() == Some(*a),
            (Schema::Str(a), Value::String(b)) => a == b,
            (Schema::Arr(a), Value::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.equals(y))
            }
            (Schema::Obj(a), Value::Object(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|(k, x)| b.get(*k).is_some_and(|y| x.equals(y)))
            }
            _ => false,
        }
    }

    /// As a JSON value (for messages).
    fn to_value(&self) -> Value {
        match self {
            Schema::Null => Value::Null,
            Schema::Bool(b) => Value::Bool(*b),
            Schema::Num(x) => serde_json::Number::from_f64(*x).map_or(Value::Null, Value::Number),
            Schema::Str(text) => Value::String(text.to_string()),
            Schema::Arr(items) => Value::Array(items.iter().map(Schema::to_value).collect()),
            Schema::Obj(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_value()))
                    .collect(),
            ),
        }
    }
}

fn lookup(entries: Object, key: &str) -> Option<&'static Schema> {
    entries
        .binary_search_by(|(k, _)| (*k).cmp(key))
        .ok()
        .map(|i| &entries[i].1)
}

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

fn schema() -> Result<&'static Schema, String> {
    Ok(&SCHEMA)
}

/// Check `instance` against the compose schema; the first violation, if any.
pub fn check(instance: &Value) -> Result<Option<Violation>, String> {
    let root = schema()?;
    let mut pointer = String::new();
    Ok(Walker { root }.validate(root, instance, &mut pointer).err())
}

struct Walker {
    root: &'static Schema,
}

fn depth(pointer: &str) -> usize {
    pointer.matches('/').count()
}

impl Walker {
    fn resolve(&self, reference: &str) -> Option<&'static Schema> {
        let path = reference.strip_prefix('#')?;
        let mut node = self.root;
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            node = if segment.contains('~') {
                node.get(&segment.replace("~1", "/").replace("~0", "~"))?
            } else {
                node.get(segment)?
            };
        }
        Some(node)
    }

    fn validate(
        &self,
        node: &'static Schema,
        value: &Value,
        pointer: &mut String,
    ) -> Result<(), Violation> {
        let Some(schema) = node.as_object() else {
            // `true`/`{}` accept everything; `false` nothing.
            return match node {
                Schema::Bool(false) => Err(self.fail(pointer, Failure::NoForm)),
                _ => Ok(()),
            };
        };
        let get = |key: &str| lookup(schema, key);
        if let Some(reference) = get("$ref").and_then(Schema::as_str)
            && let Some(target) = self.resolve(reference)
        {
            self.validate(target, value, pointer)?;
        }
        if let Some(types) = get("type") {
            let names: &[Schema] = match types {
                Schema::Arr(ts) => ts,
                single => std::slice::from_ref(single),
            };
            let mut expected = names.iter().filter_map(Schema::as_str).peekable();
            if expected.peek().is_some() && !expected.clone().any(|t| has_type(value, t)) {
                let expected = expected.map(str::to_string).collect();
                return Err(self.fail(pointer, Failure::Type { expected }));
            }
        }
        if let Some(allowed) = get("enum").and_then(Schema::as_array)
            && !allowed.iter().any(|a| a.equals(value))
        {
            return Err(self.fail(
                pointer,
                Failure::Enum {
                    allowed: allowed.iter().map(Schema::to_value).collect(),
                },
            ));
        }
        if let Some(branches) = get("oneOf").and_then(Schema::as_array) {
            self.one_of(branches, value, pointer)?;
        }
        match value {
            Value::Object(map) => self.object(schema, map, pointer)?,
            Value::Array(items) => self.array(schema, items, pointer)?,
            Value::String(s) => {
                if let Some(pattern) = get("pattern").and_then(Schema::as_str)
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
                let minimum = get("minimum").and_then(Schema::as_f64);
                let maximum = get("maximum").and_then(Schema::as_f64);
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
        branches: &'static [Schema],
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
        schema: Object,
        map: &Map<String, Value>,
        pointer: &mut String,
    ) -> Result<(), Violation> {
        let get = |key: &str| lookup(schema, key);
        if let Some(required) = get("required").and_then(Schema::as_array) {
            for key in required.iter().filter_map(Schema::as_str) {
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
        let properties = get("properties").and_then(Schema::as_object);
        let patterns = get("patternProperties").and_then(Schema::as_object);
        let additional = get("additionalProperties");
        for (key, item) in map {
            let len = pointer.len();
            pointer.push('/');
            pointer.push_str(&super::yaml::escape_pointer(key));
            let mut known = false;
            if let Some(sub) = properties.and_then(|p| lookup(p, key)) {
                known = true;
                self.validate(sub, item, pointer)?;
            }
            if let Some(patterns) = patterns {
                for (pattern, sub) in patterns.iter() {
                    if matches_pattern(pattern, key) {
                        known = true;
                        self.validate(sub, item, pointer)?;
                    }
                }
            }
            if !known {
                match additional {
                    Some(Schema::Bool(false)) => {
                        pointer.truncate(len);
                        return Err(
                            self.fail(pointer, Failure::AdditionalProperty { key: key.clone() })
                        );
                    }
                    Some(sub @ Schema::Obj(_)) => self.validate(sub, item, pointer)?,
                    _ => {}
                }
            }
            pointer.truncate(len);
        }
        Ok(())
    }

    fn array(
        &self,
        schema: Object,
        items: &[Value],
        pointer: &mut String,
    ) -> Result<(), Violation> {
        let get = |key: &str| lookup(schema, key);
        if let Some(item_schema) = get("items") {
            for (i, item) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&i.to_string());
                self.validate(item_schema, item, pointer)?;
                pointer.truncate(len);
            }
        }
        if get("uniqueItems") == Some(&Schema::Bool(true)) {
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
    fn walk(v: &'static Schema, out: &mut Vec<String>) {
        match v {
            Schema::Obj(m) => {
                for (k, sub) in m.iter() {
                    if *k == "patternProperties"
                        && let Some(p) = sub.as_object()
                    {
                        out.extend(p.iter().map(|(k, _)| k.to_string()));
                    }
                    if *k == "pattern"
                        && let Some(p) = sub.as_str()
                    {
                        out.push(p.to_string());
                    }
                    walk(sub, out);
                }
            }
            Schema::Arr(items) => items.iter().for_each(|i| walk(i, out)),
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
