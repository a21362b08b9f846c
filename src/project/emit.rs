//! Writing a JSON value as canonical YAML: block style, two-space indent, keys in the order
//! given, strings quoted only when YAML would read them as something else.

use serde_json::Value;

pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_map(&mut out, map, 0),
        Value::Array(items) if !items.is_empty() => write_seq(&mut out, items, 0),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
    out
}

fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

fn write_map(out: &mut String, map: &serde_json::Map<String, Value>, level: usize) {
    for (key, value) in map {
        indent(out, level);
        out.push_str(&string(key));
        out.push(':');
        write_value_after_key(out, value, level);
    }
}

fn write_value_after_key(out: &mut String, value: &Value, level: usize) {
    match value {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            write_map(out, m, level + 1);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            write_seq(out, items, level + 1);
        }
        Value::String(s) if s.contains('\n') => {
            block(out, s, level + 1);
        }
        other => {
            out.push(' ');
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

fn write_seq(out: &mut String, items: &[Value], level: usize) {
    for item in items {
        indent(out, level);
        out.push('-');
        match item {
            Value::Object(m) if !m.is_empty() => {
                // The first key goes on the dash line, the rest indented under it.
                let mut first = true;
                for (key, value) in m {
                    if first {
                        out.push(' ');
                        first = false;
                    } else {
                        indent(out, level + 1);
                    }
                    out.push_str(&string(key));
                    out.push(':');
                    write_value_after_key(out, value, level + 1);
                }
            }
            Value::Array(inner) if !inner.is_empty() => {
                out.push('\n');
                write_seq(out, inner, level + 1);
            }
            Value::String(s) if s.contains('\n') => block(out, s, level + 1),
            other => {
                out.push(' ');
                out.push_str(&scalar(other));
                out.push('\n');
            }
        }
    }
}

/// A literal block scalar for multi-line strings, when it round-trips exactly.
fn block(out: &mut String, s: &str, level: usize) {
    let safe = !s.starts_with([' ', '\t', '\n'])
        && !s.contains('\r')
        && !s.contains("\t")
        && s.lines().all(|l| !l.ends_with(' '));
    if !safe {
        out.push(' ');
        out.push_str(&quoted(s));
        out.push('\n');
        return;
    }
    let chomp = if s.ends_with("\n\n") {
        "+"
    } else if s.ends_with('\n') {
        ""
    } else {
        "-"
    };
    out.push_str(" |");
    out.push_str(chomp);
    out.push('\n');
    for line in s.trim_end_matches('\n').split('\n') {
        if !line.is_empty() {
            indent(out, level);
            out.push_str(line);
        }
        out.push('\n');
    }
    if chomp == "+" {
        for _ in 0..s.len() - s.trim_end_matches('\n').len() - 1 {
            out.push('\n');
        }
    }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string(s),
        Value::Array(_) => "[]".to_string(),
        Value::Object(_) => "{}".to_string(),
    }
}

fn string(s: &str) -> String {
    if needs_quotes(s) {
        quoted(s)
    } else {
        s.to_string()
    }
}

fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

fn needs_quotes(s: &str) -> bool {
    if s.is_empty() || s.trim() != s {
        return true;
    }
    // Would YAML read it as something other than this string?
    if !matches!(
        super::load::yaml::resolve_plain(s),
        super::load::yaml::Value::Str(_)
    ) {
        return true;
    }
    if matches!(
        s.to_ascii_lowercase().as_str(),
        "y" | "n" | "yes" | "no" | "on" | "off"
    ) {
        return true;
    }
    let first = s.chars().next().unwrap_or(' ');
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) {
        // `-x` and `:x` are plain-safe only when followed by a non-space; keep it simple.
        return true;
    }
    s.contains(": ") || s.contains(" #") || s.ends_with(':') || s.chars().any(|c| c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::load::yaml::{Positions, parse};
    use serde_json::json;
    use std::sync::Arc;

    fn round_trip(v: &Value) -> Value {
        let text = to_yaml(v);
        parse(&text, &Arc::from("out.yml"))
            .unwrap_or_else(|e| panic!("{e}\n{text}"))
            .to_json(&mut Positions::default())
    }

    #[test]
    fn emits_block_yaml() {
        let v = json!({"name": "p", "services": {"web": {"image": "nginx", "ports": [{"target": 80, "published": "8080"}], "command": ["a", "b c"]}}});
        assert_eq!(
            to_yaml(&v),
            "name: p\nservices:\n  web:\n    image: nginx\n    ports:\n      - target: 80\n        published: \"8080\"\n    command:\n      - a\n      - b c\n"
        );
    }

    #[test]
    fn strings_that_look_like_other_types_are_quoted_and_round_trip() {
        let v = json!({
            "a": "1073741824", "b": "true", "c": "", "d": "null", "e": "yes", "f": "-1",
            "g": "x: y", "h": "# no", "i": "multi\nline\n", "j": "tail\n\n", "k": "no newline\nend",
            "l": " lead", "m": "*alias", "n": "1.5", "o": "a\tb", "p": {}, "q": [], "r": null
        });
        assert_eq!(round_trip(&v), v);
    }
}
