//! Validation of a merged project against the Compose Specification's JSON Schema (which keys
//! and types exist), with errors that point at the offending line. The checks no schema can
//! express are in [`super::checks`].

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
