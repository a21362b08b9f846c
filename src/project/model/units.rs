//! Quantities with units in compose files: durations (`1m30s`) and byte sizes (`512m`).
//!
//! Both accept what compose accepts and print what `docker compose config` prints:
//! durations as Go's `time.Duration` string (`1m30s`, `1h0m0s`, `500ms`), sizes as the
//! number of bytes in a string (`"1073741824"`).

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

const NANOS_PER_MICRO: u64 = 1_000;
const NANOS_PER_MILLI: u64 = 1_000_000;
const NANOS_PER_SEC: u64 = 1_000_000_000;

/// A span of time in nanoseconds, as Go's `time.Duration` (may be negative).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(pub i64);

impl Duration {
    pub const ZERO: Duration = Duration(0);

    pub const fn from_nanos(nanos: i64) -> Self {
        Duration(nanos)
    }

    pub const fn from_secs(secs: i64) -> Self {
        Duration(secs.saturating_mul(NANOS_PER_SEC as i64))
    }

    pub const fn from_millis(millis: i64) -> Self {
        Duration(millis.saturating_mul(NANOS_PER_MILLI as i64))
    }

    pub const fn as_nanos(self) -> i64 {
        self.0
    }

    /// Whole microseconds (the unit of `cpu_rt_period` and friends).
    pub const fn as_micros(self) -> i64 {
        self.0 / NANOS_PER_MICRO as i64
    }

    /// Whole seconds, rounded towards zero.
    pub const fn as_secs(self) -> i64 {
        self.0 / NANOS_PER_SEC as i64
    }

    /// The same span as a std duration; negative spans become zero.
    pub fn as_std(self) -> std::time::Duration {
        std::time::Duration::from_nanos(u64::try_from(self.0).unwrap_or(0))
    }

    /// Parse a compose duration: `10s`, `1m30s`, `1.5h`, `500ms`, `2us`, `1d`, `0`.
    pub fn parse(text: &str) -> Result<Self, String> {
        parse_duration(text.trim()).ok_or_else(|| {
            format!("invalid duration \"{text}\": use a number with a unit such as 10s, 1m30s")
        })
    }
}

impl From<std::time::Duration> for Duration {
    fn from(d: std::time::Duration) -> Self {
        Duration(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
    }
}

impl FromStr for Duration {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Duration::parse(s)
    }
}

/// Units a duration may use (Go's, plus `d` and `w` which compose also accepts).
fn duration_unit(unit: &str) -> Option<u64> {
    Some(match unit {
        "ns" => 1,
        "us" | "\u{00b5}s" | "\u{03bc}s" => NANOS_PER_MICRO,
        "ms" => NANOS_PER_MILLI,
        "s" => NANOS_PER_SEC,
        "m" => 60 * NANOS_PER_SEC,
        "h" => 3_600 * NANOS_PER_SEC,
        "d" => 86_400 * NANOS_PER_SEC,
        "w" => 7 * 86_400 * NANOS_PER_SEC,
        _ => return None,
    })
}

fn parse_duration(text: &str) -> Option<Duration> {
    let (negative, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if rest == "0" {
        return Some(Duration(0));
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let int_part = &rest[..int_len];
        rest = &rest[int_len..];
        let mut frac_part = "";
        if let Some(after_dot) = rest.strip_prefix('.') {
            let frac_len = after_dot.bytes().take_while(u8::is_ascii_digit).count();
            frac_part = &after_dot[..frac_len];
            rest = &after_dot[frac_len..];
        }
        if int_part.is_empty() && frac_part.is_empty() {
            return None;
        }
        let unit_len = rest
            .char_indices()
            .find(|(_, c)| *c == '.' || c.is_ascii_digit())
            .map_or(rest.len(), |(i, _)| i);
        let unit = duration_unit(&rest[..unit_len])? as u128;
        rest = &rest[unit_len..];

        let whole: u128 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().ok()?
        };
        total = total.checked_add(whole.checked_mul(unit)?)?;
        // Digits past the 18th cannot change the result by a whole nanosecond.
        let frac_part = &frac_part[..frac_part.len().min(18)];
        if !frac_part.is_empty() {
            let digits: u128 = frac_part.parse().ok()?;
            let scale = 10u128.pow(frac_part.len() as u32);
            total = total.checked_add(digits * unit / scale)?;
        }
        if total > i64::MAX as u128 {
            return None;
        }
    }
    let nanos = i64::try_from(total).ok()?;
    Some(Duration(if negative { -nanos } else { nanos }))
}

/// `frac` as `.ddd` with `digits` digits, trailing zeros dropped; empty when zero.
fn fraction(frac: u64, digits: u32) -> String {
    if frac == 0 {
        return String::new();
    }
    let text = format!("{frac:0width$}", width = digits as usize);
    format!(".{}", text.trim_end_matches('0'))
}

impl fmt::Display for Duration {
    /// Formats like Go's `time.Duration.String()`: `1h0m0s`, `1m30s`, `1.5s`, `500ms`, `2µs`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nanos = self.0.unsigned_abs();
        let sign = if self.0 < 0 { "-" } else { "" };
        if nanos == 0 {
            return f.write_str("0s");
        }
        if nanos < NANOS_PER_SEC {
            let (per_unit, digits, unit) = if nanos < NANOS_PER_MICRO {
                (1, 0, "ns")
            } else if nanos < NANOS_PER_MILLI {
                (NANOS_PER_MICRO, 3, "\u{00b5}s")
            } else {
                (NANOS_PER_MILLI, 6, "ms")
            };
            let whole = nanos / per_unit;
            let frac = fraction(nanos % per_unit, digits);
            return write!(f, "{sign}{whole}{frac}{unit}");
        }
        let frac = fraction(nanos % NANOS_PER_SEC, 9);
        let secs = nanos / NANOS_PER_SEC;
        let (hours, minutes, seconds) = (secs / 3600, (secs / 60) % 60, secs % 60);
        if hours > 0 {
            write!(f, "{sign}{hours}h{minutes}m{seconds}{frac}s")
        } else if minutes > 0 {
            write!(f, "{sign}{minutes}m{seconds}{frac}s")
        } else {
            write!(f, "{sign}{seconds}{frac}s")
        }
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DurationVisitor;
        impl Visitor<'_> for DurationVisitor {
            type Value = Duration;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration such as 10s or 1m30s")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
                Duration::parse(v).map_err(E::custom)
            }
            // A bare number has no unit; compose accepts only 0.
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Duration, E> {
                Duration::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Duration, E> {
                Duration::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Duration, E> {
                Duration::parse(&v.to_string()).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(DurationVisitor)
    }
}

/// A size in bytes. Negative only for "unlimited" (`memswap_limit: -1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Bytes(pub i64);

impl Bytes {
    pub const fn get(self) -> i64 {
        self.0
    }

    /// Parse a compose size: `1073741824`, `512m`, `1g`, `1gb`, `2048k`, `1.5GiB`, `-1`.
    /// Units are binary multiples and case-insensitive.
    pub fn parse(text: &str) -> Result<Self, String> {
        parse_bytes(text.trim()).map(Bytes).ok_or_else(|| {
            format!("invalid size \"{text}\": use bytes or a number with b, k, m, g suffix")
        })
    }
}

impl FromStr for Bytes {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Bytes::parse(s)
    }
}

fn parse_bytes(text: &str) -> Option<i64> {
    if let Ok(n) = text.parse::<i64>() {
        return Some(n);
    }
    let number_len = text
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b'.')
        .count();
    let (number, unit) = text.split_at(number_len);
    if !number.as_bytes().first()?.is_ascii_digit() || number.ends_with('.') {
        return None;
    }
    let unit = unit.strip_prefix(' ').unwrap_or(unit).to_ascii_lowercase();
    let unit = unit.strip_suffix('b').unwrap_or(&unit);
    let unit = unit.strip_suffix('i').unwrap_or(unit);
    let multiplier: u64 = match unit {
        "" => 1,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        "t" => 1 << 40,
        "p" => 1 << 50,
        _ => return None,
    };
    let value = match number.split_once('.') {
        None => (number.parse::<u64>().ok()?).checked_mul(multiplier)?,
        Some((_, frac)) if frac.contains('.') => return None,
        Some(_) => {
            let v = number.parse::<f64>().ok()? * multiplier as f64;
            if !v.is_finite() || v >= i64::MAX as f64 {
                return None;
            }
            v as u64
        }
    };
    i64::try_from(value).ok()
}

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BytesVisitor;
        impl Visitor<'_> for BytesVisitor {
            type Value = Bytes;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a size such as 512m or 1g")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Bytes, E> {
                Bytes::parse(v).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Bytes, E> {
                Ok(Bytes(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Bytes, E> {
                i64::try_from(v)
                    .map(Bytes)
                    .map_err(|_| E::custom(format!("invalid size \"{v}\": too large")))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Bytes, E> {
                if v.fract() == 0.0 && v.abs() < i64::MAX as f64 {
                    Ok(Bytes(v as i64))
                } else {
                    Err(E::custom(format!(
                        "invalid size \"{v}\": use a whole number of bytes or a unit such as 512m"
                    )))
                }
            }
        }
        deserializer.deserialize_any(BytesVisitor)
    }
}

/// Permission bits of a file mounted from a config or secret (`mode: 0440`).
///
/// A string is read as octal (`"0440"`), a number as it is; printed as an octal string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FileMode(pub u32);

impl fmt::Display for FileMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0{:o}", self.0)
    }
}

impl Serialize for FileMode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for FileMode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        octal_or_number(deserializer).map(FileMode)
    }
}

/// Permission bits: a number as it is, a string as octal (`"1777"`, `"0o755"`).
pub(crate) fn octal_or_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    struct ModeVisitor;
    impl Visitor<'_> for ModeVisitor {
        type Value = u32;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a file mode such as 0440")
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<u32, E> {
            u32::try_from(v).map_err(|_| E::custom(format!("invalid file mode {v}")))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<u32, E> {
            u32::try_from(v).map_err(|_| E::custom(format!("invalid file mode {v}")))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<u32, E> {
            let digits = v.trim();
            let digits = digits
                .strip_prefix("0o")
                .or_else(|| digits.strip_prefix("0O"))
                .unwrap_or(digits);
            u32::from_str_radix(digits, 8).map_err(|_| {
                E::custom(format!(
                    "invalid file mode \"{v}\": use octal permission bits such as 0440"
                ))
            })
        }
    }
    deserializer.deserialize_any(ModeVisitor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        let cases: &[(&str, i64)] = &[
            ("0", 0),
            ("10s", 10 * NANOS_PER_SEC as i64),
            ("1m30s", 90 * NANOS_PER_SEC as i64),
            ("1h", 3600 * NANOS_PER_SEC as i64),
            ("500ms", 500 * NANOS_PER_MILLI as i64),
            ("2us", 2_000),
            ("2µs", 2_000),
            ("2μs", 2_000),
            ("7ns", 7),
            ("1.5s", 1_500_000_000),
            (".5s", 500_000_000),
            ("1.5h", 5400 * NANOS_PER_SEC as i64),
            ("1h2m3s4ms", 3_723_004_000_000),
            ("1d", 86_400 * NANOS_PER_SEC as i64),
            ("1w", 7 * 86_400 * NANOS_PER_SEC as i64),
            ("-3s", -3 * NANOS_PER_SEC as i64),
            (" 10s ", 10 * NANOS_PER_SEC as i64),
        ];
        for (text, nanos) in cases {
            assert_eq!(Duration::parse(text), Ok(Duration(*nanos)), "{text}");
        }
    }

    #[test]
    fn durations_reject_bad_input() {
        for text in [
            "", "1x", "10", "s", "1.s.", ".s", "1m30", "abc", "-", "1e3s",
        ] {
            let err = Duration::parse(text).unwrap_err();
            assert_eq!(
                err,
                format!("invalid duration \"{text}\": use a number with a unit such as 10s, 1m30s")
            );
        }
        assert!(Duration::parse("99999999999h").is_err(), "overflow");
    }

    #[test]
    fn durations_print_like_go() {
        let cases: &[(i64, &str)] = &[
            (0, "0s"),
            (1, "1ns"),
            (2_000, "2µs"),
            (1_500, "1.5µs"),
            (500 * NANOS_PER_MILLI as i64, "500ms"),
            (1_500_000_000, "1.5s"),
            (10 * NANOS_PER_SEC as i64, "10s"),
            (90 * NANOS_PER_SEC as i64, "1m30s"),
            (3600 * NANOS_PER_SEC as i64, "1h0m0s"),
            (5400 * NANOS_PER_SEC as i64, "1h30m0s"),
            (3_723_004_000_000, "1h2m3.004s"),
            (-90 * NANOS_PER_SEC as i64, "-1m30s"),
        ];
        for (nanos, text) in cases {
            assert_eq!(Duration(*nanos).to_string(), *text);
            assert_eq!(
                Duration::parse(text),
                Ok(Duration(*nanos)),
                "reparse {text}"
            );
        }
    }

    #[test]
    fn durations_from_json() {
        let d: Duration = serde_json::from_value(serde_json::json!("1m30s")).unwrap();
        assert_eq!(d, Duration::from_secs(90));
        let d: Duration = serde_json::from_value(serde_json::json!(0)).unwrap();
        assert_eq!(d, Duration::ZERO);
        let err = serde_json::from_value::<Duration>(serde_json::json!(10)).unwrap_err();
        assert!(err.to_string().contains("invalid duration \"10\""), "{err}");
        assert_eq!(
            serde_json::to_value(Duration::from_secs(90)).unwrap(),
            serde_json::json!("1m30s")
        );
    }

    #[test]
    fn sizes_parse() {
        let cases: &[(&str, i64)] = &[
            ("1073741824", 1 << 30),
            ("0", 0),
            ("-1", -1),
            ("2b", 2),
            ("2048k", 2048 << 10),
            ("1024kb", 1024 << 10),
            ("512m", 512 << 20),
            ("300M", 300 << 20),
            ("1g", 1 << 30),
            ("1gb", 1 << 30),
            ("1GB", 1 << 30),
            ("1GiB", 1 << 30),
            ("1t", 1 << 40),
            ("1.5g", 3 << 29),
            ("64 m", 64 << 20),
        ];
        for (text, n) in cases {
            assert_eq!(Bytes::parse(text), Ok(Bytes(*n)), "{text}");
        }
    }

    #[test]
    fn sizes_reject_bad_input() {
        for text in [
            "12q", "", "g", "1.g", "1..5g", "1.2.3m", "m1", "-1g", "1 gbb", "1x",
        ] {
            assert_eq!(
                Bytes::parse(text),
                Err(format!(
                    "invalid size \"{text}\": use bytes or a number with b, k, m, g suffix"
                )),
                "{text}"
            );
        }
    }

    #[test]
    fn sizes_from_and_to_json() {
        let b: Bytes = serde_json::from_value(serde_json::json!("1g")).unwrap();
        assert_eq!(b, Bytes(1 << 30));
        let b: Bytes = serde_json::from_value(serde_json::json!(1024)).unwrap();
        assert_eq!(b, Bytes(1024));
        let b: Bytes = serde_json::from_value(serde_json::json!(-1)).unwrap();
        assert_eq!(b, Bytes(-1));
        assert_eq!(
            serde_json::to_value(Bytes(1 << 30)).unwrap(),
            serde_json::json!("1073741824")
        );
        assert!(serde_json::from_value::<Bytes>(serde_json::json!(true)).is_err());
    }

    #[test]
    fn file_modes() {
        let m: FileMode = serde_json::from_value(serde_json::json!("0440")).unwrap();
        assert_eq!(m, FileMode(0o440));
        let m: FileMode = serde_json::from_value(serde_json::json!(288)).unwrap();
        assert_eq!(m, FileMode(0o440));
        assert_eq!(serde_json::to_value(m).unwrap(), serde_json::json!("0440"));
        assert!(serde_json::from_value::<FileMode>(serde_json::json!("0999")).is_err());
    }
}
