//! The docker CLI's own settings, which rcompose honours as docker compose does: the docker
//! CLI's global options given on rcompose's command line (`-H`, `--tlsverify`, `--config`...,
//! passed by `docker` when rcompose runs as its `compose` plugin) standing in for the variables
//! they name (`DOCKER_HOST`, `DOCKER_TLS_VERIFY`, `DOCKER_CONFIG`...), and the CLI's
//! `config.json` (`psFormat`).

use std::path::PathBuf;
use std::sync::OnceLock;

use crate::error::{Error, Result};

/// Variables set from the command line; they win over the process environment.
static COMMAND_LINE: OnceLock<Vec<(&'static str, String)>> = OnceLock::new();

/// Record the variables the command line's docker options stand for. Called once, before
/// anything reads them; a second call is ignored.
pub fn set_from_command_line(vars: Vec<(&'static str, String)>) {
    let _ = COMMAND_LINE.set(vars);
}

/// A docker setting: from the command line when given there, else the environment variable.
pub fn var(name: &str) -> Option<String> {
    COMMAND_LINE
        .get()
        .and_then(|vars| vars.iter().rev().find(|(n, _)| *n == name))
        .map(|(_, v)| v.clone())
        .or_else(|| std::env::var(name).ok())
}

/// The docker CLI's configuration directory: `--config`, `DOCKER_CONFIG`, else `~/.docker`.
pub fn config_dir() -> Option<PathBuf> {
    if let Some(dir) = var("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    var("HOME")
        .filter(|h| !h.is_empty())
        .map(|home| PathBuf::from(home).join(".docker"))
}

/// The parts of the docker CLI's `config.json` rcompose uses.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Config {
    /// `psFormat`: the default `--format` of `ps`.
    pub ps_format: Option<String>,
}

/// Read `config.json` from the docker CLI's configuration directory; a missing file is an
/// empty configuration, an unreadable or malformed one an error naming it.
pub fn config() -> Result<Config> {
    let Some(dir) = config_dir() else {
        return Ok(Config::default());
    };
    let path = dir.join("config.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
        Err(e) => return Err(Error::new(format!("cannot read {}: {e}", path.display()))),
    };
    parse_config(&text).map_err(|e| {
        Error::new(format!("{}: {e}", path.display()))
            .with_hint("fix the file (it is the docker CLI's configuration), or set DOCKER_CONFIG to another directory")
    })
}

fn parse_config(text: &str) -> std::result::Result<Config, String> {
    if text.trim().is_empty() {
        return Ok(Config::default());
    }
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let ps_format = match value.get("psFormat") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s.clone()).filter(|s| !s.is_empty()),
        Some(other) => return Err(format!("psFormat should be a string, not {other}")),
    };
    Ok(Config { ps_format })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ps_format_is_read_and_other_keys_ignored() {
        let config =
            parse_config(r#"{"auths": {}, "psFormat": "table {{.Name}}\t{{.Status}}"}"#).unwrap();
        assert_eq!(
            config.ps_format.as_deref(),
            Some("table {{.Name}}\t{{.Status}}")
        );
        assert_eq!(parse_config("{}").unwrap(), Config::default());
        assert_eq!(parse_config("").unwrap(), Config::default());
    }

    #[test]
    fn a_malformed_config_says_what_is_wrong() {
        assert!(parse_config("{").unwrap_err().contains("not valid JSON"));
        assert!(
            parse_config(r#"{"psFormat": 3}"#)
                .unwrap_err()
                .contains("psFormat should be a string")
        );
    }
}
