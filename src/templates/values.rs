//! The variables of a template: their values (defaults, then `--set`) and the checks that
//! turn them into data.

use super::*;

/// The value of every variable of a template: its default, or the last `--set` of it.
pub(super) struct Values {
    values: Vec<(&'static str, String)>,
}

impl Values {
    pub(super) fn resolve(info: &TemplateInfo, sets: &[(String, String)]) -> Result<Values> {
        let mut values: Vec<(&'static str, String)> = info
            .variables
            .iter()
            .map(|v| (v.name, v.default.to_string()))
            .collect();
        for (key, value) in sets {
            let slot = values
                .iter_mut()
                .find(|(name, _)| name == key)
                .ok_or_else(|| {
                    Error::new(format!(
                        "unknown variable {key:?} for template {:?}",
                        info.name
                    ))
                    .with_hint(format!(
                        "valid variables: {}",
                        names(info.variables.iter().map(|v| v.name))
                    ))
                })?;
            slot.1.clone_from(value);
        }
        Ok(Values { values })
    }

    pub(super) fn get(&self, name: &str) -> Result<&str> {
        self.values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| Error::new(format!("variable {name:?} is not declared (this is a bug)")))
    }
}

pub(super) fn invalid(variable: &str, value: &str, expected: &str) -> Error {
    Error::new(format!(
        "invalid value {value:?} for {variable}: expected {expected}"
    ))
}

pub(super) fn parse_bool(values: &Values, variable: &str) -> Result<bool> {
    let value = values.get(variable)?;
    match value.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Ok(true),
        "false" | "no" | "off" | "0" => Ok(false),
        _ => Err(invalid(variable, value, "true or false")),
    }
}

pub(super) fn parse_nodes(values: &Values, variable: &str) -> Result<u32> {
    let value = values.get(variable)?;
    match value.parse::<u32>() {
        Ok(n) if (1..=ELASTIC_MAX_NODES).contains(&n) => Ok(n),
        _ => Err(invalid(
            variable,
            value,
            &format!("a whole number from 1 to {ELASTIC_MAX_NODES}"),
        )),
    }
}

pub(super) fn parse_port(values: &Values, variable: &str) -> Result<u16> {
    let value = values.get(variable)?;
    match value.parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(invalid(variable, value, "a port number from 1 to 65535")),
    }
}

/// A compose byte value: a whole amount and an optional unit b, k, kb, m, mb, g or gb.
pub(super) fn parse_byte_value<'a>(values: &'a Values, variable: &str) -> Result<&'a str> {
    let value = values.get(variable)?;
    let digits = value.bytes().take_while(u8::is_ascii_digit).count();
    let (amount, unit) = value.split_at(digits);
    let unit_ok = matches!(
        unit.to_ascii_lowercase().as_str(),
        "" | "b" | "k" | "kb" | "m" | "mb" | "g" | "gb"
    );
    if !amount.is_empty() && amount.bytes().any(|b| b != b'0') && unit_ok {
        Ok(value)
    } else {
        Err(invalid(
            variable,
            value,
            "a byte value such as 512m, 1g or 2gb (units b, k, kb, m, mb, g, gb)",
        ))
    }
}

/// An image tag: letters, digits, `_`, `.` and `-`, not starting with `.` or `-`.
pub(super) fn parse_image_tag<'a>(values: &'a Values, variable: &str) -> Result<&'a str> {
    let value = values.get(variable)?;
    let ok = (1..=128).contains(&value.len())
        && !value.starts_with(['.', '-'])
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if ok {
        Ok(value)
    } else {
        Err(invalid(
            variable,
            value,
            &format!("an image tag such as {ELASTIC_STACK_VERSION}"),
        ))
    }
}

/// Passwords end up in `.env` and in a shell script inside JSON: keep them plain.
pub(super) fn check_password(what: &str, password: &str) -> Result<()> {
    let ok = password.len() >= 6
        && password
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if ok {
        Ok(())
    } else {
        Err(Error::new(format!(
            "invalid {what}: expected at least 6 characters, letters, digits, '_', '.' or '-'"
        )))
    }
}
