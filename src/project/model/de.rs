//! Deserialization helpers shared by the model: lenient scalars (numbers and booleans may
//! arrive as strings after interpolation), the spec's "string or list" and "list or dict"
//! shapes, commands, maps whose null values mean defaults, and `x-*` extensions.
//!
//! Every helper reads through the deserializer it is given (never through an intermediate
//! `Value`), so `serde_path_to_error` still knows where a failing value sits.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// A scalar as YAML typed it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
}

/// A float as text, as docker compose turns a YAML number into a string (Go's `%v`): the
/// shortest digits that read back the same, in decimal form unless the exponent is below -4
/// or 6 and above (`1.0` → `1`, `2.50` → `2.5`, `1000000.0` → `1e+06`, `0.00001` → `1e-05`).
pub fn float_text(f: f64) -> String {
    if !f.is_finite() {
        return match f {
            f if f.is_nan() => "NaN".to_string(),
            f if f > 0.0 => "+Inf".to_string(),
            _ => "-Inf".to_string(),
        };
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    // Rust's `{:e}` gives the shortest round-trip digits: `1.234567e6`, `-1.5e-3`.
    let scientific = format!("{f:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if negative { "-" } else { "" };
    if !(-4..6).contains(&exponent) {
        let (first, rest) = digits.split_at(1);
        let point = if rest.is_empty() { "" } else { "." };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        return format!("{sign}{first}{point}{rest}e{exp_sign}{:02}", exponent.abs());
    }
    let point = exponent + 1; // digits before the decimal point
    let text = if point <= 0 {
        format!("0.{}{digits}", "0".repeat((-point) as usize))
    } else if point as usize >= digits.len() {
        format!("{digits}{}", "0".repeat(point as usize - digits.len()))
    } else {
        let (int, frac) = digits.split_at(point as usize);
        format!("{int}.{frac}")
    };
    format!("{sign}{text}")
}

impl Scalar {
    /// The value as text; `None` for null. Booleans become `true`/`false`.
    pub(crate) fn into_text(self) -> Option<String> {
        match self {
            Scalar::Null => None,
            Scalar::Bool(b) => Some(b.to_string()),
            Scalar::Int(i) => Some(i.to_string()),
            Scalar::UInt(u) => Some(u.to_string()),
            Scalar::Float(f) => Some(float_text(f)),
            Scalar::Str(s) => Some(s),
        }
    }

    /// How to show the value in a message: strings quoted, others bare.
    fn shown(&self) -> String {
        match self {
            Scalar::Str(s) => format!("\"{s}\""),
            Scalar::Null => "null".to_string(),
            other => other.clone().into_text().unwrap_or_default(),
        }
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, number or boolean")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar::UInt(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::Str(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar::Str(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Scalar, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

/// A type that can be read from a scalar which may be a string standing for it.
pub(crate) trait Lenient: Sized {
    fn from_scalar(s: Scalar) -> Result<Self, String>;
}

impl Lenient for bool {
    fn from_scalar(s: Scalar) -> Result<Self, String> {
        match &s {
            Scalar::Bool(b) => Ok(*b),
            Scalar::Str(text) => match text.trim().to_ascii_lowercase().as_str() {
                "true" | "y" | "yes" | "on" => Ok(true),
                "false" | "n" | "no" | "off" => Ok(false),
                _ => Err(format!("invalid boolean {}: use true or false", s.shown())),
            },
            _ => Err(format!("invalid boolean {}: use true or false", s.shown())),
        }
    }
}

impl Lenient for i64 {
    fn from_scalar(s: Scalar) -> Result<Self, String> {
        let bad = || format!("invalid number {}: expected a whole number", s.shown());
        match &s {
            Scalar::Int(i) => Ok(*i),
            Scalar::UInt(u) => i64::try_from(*u).map_err(|_| bad()),
            Scalar::Float(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Ok(*f as i64),
            Scalar::Str(text) => text.trim().parse::<i64>().map_err(|_| bad()),
            _ => Err(bad()),
        }
    }
}

macro_rules! lenient_unsigned {
    ($($t:ty),*) => {$(
        impl Lenient for $t {
            fn from_scalar(s: Scalar) -> Result<Self, String> {
                let shown = s.shown();
                let n = i64::from_scalar(s)?;
                <$t>::try_from(n).map_err(|_| {
                    format!("invalid number {shown}: must be between 0 and {}", <$t>::MAX)
                })
            }
        }
    )*};
}
lenient_unsigned!(u16, u32, u64);

impl Lenient for f64 {
    fn from_scalar(s: Scalar) -> Result<Self, String> {
        let bad = || format!("invalid number {}: expected a number", s.shown());
        match &s {
            Scalar::Int(i) => Ok(*i as f64),
            Scalar::UInt(u) => Ok(*u as f64),
            Scalar::Float(f) => Ok(*f),
            Scalar::Str(text) => match text.trim().parse::<f64>() {
                Ok(f) if f.is_finite() => Ok(f),
                _ => Err(bad()),
            },
            _ => Err(bad()),
        }
    }
}

impl Lenient for String {
    fn from_scalar(s: Scalar) -> Result<Self, String> {
        s.into_text()
            .ok_or_else(|| "expected a value, found null".to_string())
    }
}

/// A required lenient scalar.
pub(crate) fn lenient<'de, D: Deserializer<'de>, T: Lenient>(d: D) -> Result<T, D::Error> {
    T::from_scalar(Scalar::deserialize(d)?).map_err(de::Error::custom)
}

/// An optional lenient scalar; null means absent.
pub(crate) fn opt<'de, D: Deserializer<'de>, T: Lenient>(d: D) -> Result<Option<T>, D::Error> {
    match Scalar::deserialize(d)? {
        Scalar::Null => Ok(None),
        s => T::from_scalar(s).map(Some).map_err(de::Error::custom),
    }
}

/// A boolean that defaults to false; null means false.
pub(crate) fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(opt(d)?.unwrap_or(false))
}

/// An optional string; numbers and booleans are turned into text, an empty string is absent.
pub(crate) fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Scalar::deserialize(d)?
        .into_text()
        .filter(|s| !s.is_empty()))
}

pub(crate) fn is_false(b: &bool) -> bool {
    !*b
}

pub(crate) fn is_true(b: &bool) -> bool {
    *b
}

pub(crate) fn yes() -> bool {
    true
}

/// A string or a list of strings (numbers allowed) → list. Null → empty.
pub(crate) fn string_or_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    struct ListVisitor;
    impl<'de> Visitor<'de> for ListVisitor {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string or a list of strings")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<String>, E> {
            Ok(vec![v.to_string()])
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Vec<String>, E> {
            Ok(vec![v.to_string()])
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Vec<String>, E> {
            Ok(vec![v.to_string()])
        }
        fn visit_unit<E: de::Error>(self) -> Result<Vec<String>, E> {
            Ok(Vec::new())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
            let mut out = Vec::new();
            while let Some(item) = seq.next_element::<Text>()? {
                out.push(item.0);
            }
            Ok(out)
        }
    }
    d.deserialize_any(ListVisitor)
}

/// A non-null scalar as text.
struct Text(String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        lenient(d).map(Text)
    }
}

/// One `KEY=value` (or bare `KEY`) entry of a list-form mapping.
struct KeyValue(String, Option<String>);

impl<'de> Deserialize<'de> for KeyValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Text(entry) = Text::deserialize(d)?;
        let (key, value) = match entry.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(v.to_string())),
            None => (entry.clone(), None),
        };
        if key.is_empty() {
            return Err(de::Error::custom(format!(
                "invalid entry \"{entry}\": use NAME=value"
            )));
        }
        Ok(KeyValue(key, value))
    }
}

/// "List or dict" shape: `["A=b", "C"]` or `{A: b, C: null, N: 1}`.
struct KeyValueMap;

impl<'de> Visitor<'de> for KeyValueMap {
    type Value = BTreeMap<String, Option<String>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a mapping or a list of NAME=value strings")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(BTreeMap::new())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = BTreeMap::new();
        while let Some((key, value)) = map.next_entry::<String, Scalar>()? {
            out.insert(key, value.into_text());
        }
        Ok(out)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = BTreeMap::new();
        while let Some(KeyValue(key, value)) = seq.next_element()? {
            out.insert(key, value);
        }
        Ok(out)
    }
}

/// Environment-style mapping: a name without a value is `None` ("take it from the
/// environment"); numbers and booleans become strings.
pub(crate) fn env_map<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, Option<String>>, D::Error> {
    d.deserialize_any(KeyValueMap)
}

/// Label-style mapping: a name without a value maps to the empty string.
pub(crate) fn label_map<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, String>, D::Error> {
    Ok(d.deserialize_any(KeyValueMap)?
        .into_iter()
        .map(|(k, v)| (k, v.unwrap_or_default()))
        .collect())
}

/// A command: a string is split like a shell would (`sh -c 'a b'` → 3 words), a list is
/// kept, null is absent. An empty string or list is an explicitly empty command.
pub(crate) fn command<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    struct CommandVisitor;
    impl<'de> Visitor<'de> for CommandVisitor {
        type Value = Option<Vec<String>>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a command string or a list of arguments")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(CommandVisitor)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            split_command(v).map(Some).map_err(E::custom)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            let mut seq = seq;
            let mut out = Vec::new();
            while let Some(Text(arg)) = seq.next_element()? {
                out.push(arg);
            }
            Ok(Some(out))
        }
    }
    d.deserialize_any(CommandVisitor)
}

/// Split a command string into words the way compose does (POSIX shell quoting).
pub fn split_command(command: &str) -> Result<Vec<String>, String> {
    shell_words::split(command)
        .map_err(|_| format!("invalid command \"{command}\": a quote is not closed"))
}

/// Any value where null stands for its default (`cap_add:` with nothing after it).
pub(crate) fn or_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A mapping whose null values stand for the default value (`volumes: {data: }`).
pub(crate) fn nullable_map<'de, D, T>(d: D) -> Result<BTreeMap<String, T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    let map = Option::<BTreeMap<String, Option<T>>>::deserialize(d)?.unwrap_or_default();
    Ok(map
        .into_iter()
        .map(|(k, v)| (k, v.unwrap_or_default()))
        .collect())
}

/// A list of names or a mapping of names to optional settings (service `networks`,
/// `models`): list entries and null values become `None`.
pub(crate) fn names_or_map<'de, D, T>(d: D) -> Result<BTreeMap<String, Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct NamesVisitor<T>(PhantomData<T>);
    impl<'de, T: Deserialize<'de>> Visitor<'de> for NamesVisitor<T> {
        type Value = BTreeMap<String, Option<T>>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of names or a mapping")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(BTreeMap::new())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some(Text(name)) = seq.next_element()? {
                out.insert(name, None);
            }
            Ok(out)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some((name, value)) = map.next_entry::<String, Option<T>>()? {
                out.insert(name, value);
            }
            Ok(out)
        }
    }
    d.deserialize_any(NamesVisitor(PhantomData))
}

/// The `x-*` keys of a mapping; other unknown keys are dropped (the schema has already
/// rejected them, and keys from newer spec versions must not break loading).
pub(crate) fn extensions<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, Value>, D::Error> {
    let mut all = BTreeMap::<String, Value>::deserialize(d)?;
    all.retain(|k, _| k.starts_with("x-"));
    Ok(all)
}

/// Deserialize a value from a map the visitor is holding (long syntax of a short/long field).
pub(crate) fn from_map<'de, A: MapAccess<'de>, T: Deserialize<'de>>(map: A) -> Result<T, A::Error> {
    T::deserialize(de::value::MapAccessDeserializer::new(map))
}

/// Strings that stand for one of a fixed set of values, with a user-facing error listing
/// them. Serializes as the string.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($what:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in the order the spec lists them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value as written in a compose file.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $( $text => Ok($name::$variant), )+
                    _ => {
                        let names: Vec<&str> = $name::ALL.iter().map(|v| v.as_str()).collect();
                        let (last, rest) = names.split_last().unwrap_or((&"", &[]));
                        Err(format!(
                            "invalid {} \"{}\": use {} or {}",
                            $what,
                            s,
                            rest.join(", "),
                            last
                        ))
                    }
                }
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(::serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use string_enum;

#[cfg(test)]
mod float_tests {
    use super::float_text;

    #[test]
    fn floats_read_as_go_prints_them() {
        for (f, text) in [
            (1.0, "1"),
            (2.5, "2.5"),
            (1000.0, "1000"),
            (123456.0, "123456"),
            (1_000_000.0, "1e+06"),
            (1_234_567.0, "1.234567e+06"),
            (0.00001, "1e-05"),
            (-0.0015, "-0.0015"),
            (1e21, "1e+21"),
            (std::f64::consts::PI, "3.141592653589793"),
            (0.1, "0.1"),
        ] {
            assert_eq!(float_text(f), text, "{f}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Deserialize, Debug, PartialEq)]
    struct Probe {
        #[serde(default, deserialize_with = "env_map")]
        env: BTreeMap<String, Option<String>>,
        #[serde(default, deserialize_with = "label_map")]
        labels: BTreeMap<String, String>,
        #[serde(default, deserialize_with = "command")]
        command: Option<Vec<String>>,
        #[serde(default, deserialize_with = "string_or_list")]
        dns: Vec<String>,
        #[serde(default, deserialize_with = "opt")]
        count: Option<i64>,
        #[serde(default, deserialize_with = "opt")]
        cpus: Option<f64>,
        #[serde(default, deserialize_with = "flag")]
        tty: bool,
    }

    fn probe(v: Value) -> Result<Probe, String> {
        serde_json::from_value(v).map_err(|e| e.to_string())
    }

    fn map(pairs: &[(&str, Option<&str>)]) -> BTreeMap<String, Option<String>> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
            .collect()
    }

    #[test]
    fn environment_forms() {
        let cases = [
            (
                json!(["A=b", "C", "D=", "E=x=y"]),
                map(&[
                    ("A", Some("b")),
                    ("C", None),
                    ("D", Some("")),
                    ("E", Some("x=y")),
                ]),
            ),
            (
                json!({"A": "b", "C": null, "N": 1, "B": true, "F": 1.5}),
                map(&[
                    ("A", Some("b")),
                    ("B", Some("true")),
                    ("C", None),
                    ("F", Some("1.5")),
                    ("N", Some("1")),
                ]),
            ),
            (json!(null), map(&[])),
            (json!([]), map(&[])),
        ];
        for (input, want) in cases {
            assert_eq!(probe(json!({ "env": input })).unwrap().env, want);
        }
        let err = probe(json!({"env": ["=x"]})).unwrap_err();
        assert_eq!(err, "invalid entry \"=x\": use NAME=value");
    }

    #[test]
    fn labels_fill_missing_values_with_empty() {
        let p = probe(json!({"labels": ["a=1", "b"]})).unwrap();
        assert_eq!(p.labels.get("a").map(String::as_str), Some("1"));
        assert_eq!(p.labels.get("b").map(String::as_str), Some(""));
        let p = probe(json!({"labels": {"a": null, "n": 2}})).unwrap();
        assert_eq!(p.labels.get("a").map(String::as_str), Some(""));
        assert_eq!(p.labels.get("n").map(String::as_str), Some("2"));
    }

    #[test]
    fn command_forms() {
        let words = |w: &[&str]| Some(w.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        let cases = [
            (json!("echo hello"), words(&["echo", "hello"])),
            (
                json!("sh -c 'echo \"a b\"; ls'"),
                words(&["sh", "-c", "echo \"a b\"; ls"]),
            ),
            (json!(r#"echo "x y" z\ w"#), words(&["echo", "x y", "z w"])),
            (json!(["a b", "c"]), words(&["a b", "c"])),
            (json!([]), words(&[])),
            (json!(""), words(&[])),
            (json!(null), None),
        ];
        for (input, want) in cases {
            assert_eq!(
                probe(json!({ "command": input.clone() })).unwrap().command,
                want,
                "{input}"
            );
        }
        assert_eq!(probe(json!({})).unwrap().command, None);
        assert_eq!(
            probe(json!({"command": "echo 'oops"})).unwrap_err(),
            "invalid command \"echo 'oops\": a quote is not closed"
        );
    }

    #[test]
    fn string_or_list_forms() {
        assert_eq!(probe(json!({"dns": "8.8.8.8"})).unwrap().dns, ["8.8.8.8"]);
        assert_eq!(
            probe(json!({"dns": ["1.1.1.1", "8.8.8.8"]})).unwrap().dns,
            ["1.1.1.1", "8.8.8.8"]
        );
        assert!(probe(json!({"dns": null})).unwrap().dns.is_empty());
    }

    #[test]
    fn lenient_numbers_and_booleans() {
        let p = probe(json!({"count": "3", "cpus": "0.5", "tty": "true"})).unwrap();
        assert_eq!((p.count, p.cpus, p.tty), (Some(3), Some(0.5), true));
        let p = probe(json!({"count": 3, "cpus": 2, "tty": "no"})).unwrap();
        assert_eq!((p.count, p.cpus, p.tty), (Some(3), Some(2.0), false));
        let p = probe(json!({"count": null, "tty": null})).unwrap();
        assert_eq!((p.count, p.tty), (None, false));
        assert_eq!(
            probe(json!({"count": "x"})).unwrap_err(),
            "invalid number \"x\": expected a whole number"
        );
        assert_eq!(
            probe(json!({"cpus": "lots"})).unwrap_err(),
            "invalid number \"lots\": expected a number"
        );
        assert_eq!(
            probe(json!({"tty": "maybe"})).unwrap_err(),
            "invalid boolean \"maybe\": use true or false"
        );
        assert_eq!(
            u16::from_scalar(Scalar::Int(70000)),
            Err("invalid number 70000: must be between 0 and 65535".to_string())
        );
    }
}
