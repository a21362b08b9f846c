//! Which engine to talk to, chosen as the docker CLI chooses it: the `--context` flag, else
//! `DOCKER_HOST` (with `DOCKER_TLS_VERIFY` and `DOCKER_CERT_PATH`), else `DOCKER_CONTEXT`, else
//! the `currentContext` of the CLI's `config.json`, else the local socket.
//!
//! A docker context is read from the CLI's context store (under `DOCKER_CONFIG`, by default
//! `~/.docker`): `contexts/meta/<sha256 of the name>/meta.json` holds its docker endpoint, and
//! `contexts/tls/<sha256 of the name>/docker/` its TLS material (`ca.pem`, `cert.pem`,
//! `key.pem`, each optional). The context named `default` is the `DOCKER_HOST` configuration.
//! (Build contexts are another thing: see [`super::context`].)

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Where the daemon listens when nothing else is said.
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// The context that stands for the `DOCKER_HOST` configuration.
pub const DEFAULT_CONTEXT: &str = "default";

/// How to reach the daemon.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// `unix:///path`, `tcp://host:port` or `ssh://[user@]host[:port][/socket]`.
    pub host: String,
    /// TLS for a `tcp://` host.
    pub tls: Option<Tls>,
    /// The docker context these settings come from, with how it was chosen; `None` for the
    /// `DOCKER_HOST` configuration.
    pub context: Option<(String, ContextSource)>,
}

/// Where the TLS material of a `tcp://` host is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tls {
    /// `DOCKER_TLS_VERIFY`: `ca.pem`, `cert.pem` and `key.pem` in this directory
    /// (`DOCKER_CERT_PATH`, by default `~/.docker`), all three required.
    CertPath(PathBuf),
    /// A context's TLS material: the files of this directory that exist. Without `ca.pem` the
    /// server is checked against the system's roots; without `cert.pem`/`key.pem` no client
    /// certificate is sent.
    Context {
        dir: PathBuf,
        /// The context asks not to verify the server's certificate.
        skip_verify: bool,
    },
}

/// How a docker context was chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContextSource {
    /// `--context` / `-c`.
    Flag,
    /// `DOCKER_CONTEXT`.
    Environment,
    /// `currentContext` in this config file (what `docker context use` sets).
    ConfigFile(PathBuf),
}

impl fmt::Display for ContextSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContextSource::Flag => f.write_str("--context"),
            ContextSource::Environment => f.write_str("DOCKER_CONTEXT"),
            ContextSource::ConfigFile(path) => write!(f, "currentContext in {}", path.display()),
        }
    }
}

impl Settings {
    /// The settings for the process: `context` is the `--context` flag, variables come from the
    /// environment.
    pub fn resolve(context: Option<&str>) -> Result<Settings> {
        Settings::resolve_with(context, crate::docker_cli::var)
    }

    /// Like [`Settings::resolve`], reading variables through `var`.
    pub fn resolve_with(
        context: Option<&str>,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Settings> {
        let set = |name: &str| var(name).filter(|v| !v.is_empty());
        let chosen = match context.filter(|c| !c.is_empty()) {
            Some(name) => Some((name.to_string(), ContextSource::Flag)),
            // DOCKER_HOST wins over DOCKER_CONTEXT and the current context, as in the docker CLI.
            None if set("DOCKER_HOST").is_some() => None,
            None => match set("DOCKER_CONTEXT") {
                Some(name) => Some((name, ContextSource::Environment)),
                None => {
                    let config = config_dir(&set).join("config.json");
                    current_context(&config)?.map(|name| (name, ContextSource::ConfigFile(config)))
                }
            },
        };
        match chosen {
            Some((name, _)) if name == DEFAULT_CONTEXT => Ok(Settings::from_vars(&set)),
            Some((name, source)) => from_store(&config_dir(&set), name, source),
            None => Ok(Settings::from_vars(&set)),
        }
    }

    /// The `DOCKER_HOST` configuration (the `default` context).
    fn from_vars(set: &impl Fn(&str) -> Option<String>) -> Settings {
        let host = set("DOCKER_HOST").unwrap_or_else(|| DEFAULT_HOST.to_string());
        let tls_verify = set("DOCKER_TLS_VERIFY")
            .is_some_and(|v| !matches!(v.to_ascii_lowercase().as_str(), "0" | "false"));
        let tls = tls_verify.then(|| {
            Tls::CertPath(
                set("DOCKER_CERT_PATH")
                    .map(PathBuf::from)
                    .or_else(|| set("HOME").map(|home| Path::new(&home).join(".docker")))
                    .unwrap_or_else(|| PathBuf::from(".docker")),
            )
        });
        Settings {
            host,
            tls,
            context: None,
        }
    }

    /// The host as the user should read it in messages: with the context it comes from.
    pub fn describe(&self) -> String {
        match &self.context {
            Some((name, _)) => format!("{} (docker context {name:?})", self.host),
            None => self.host.clone(),
        }
    }
}

/// The docker CLI's configuration directory: `DOCKER_CONFIG`, else `~/.docker`.
fn config_dir(set: &impl Fn(&str) -> Option<String>) -> PathBuf {
    match set("DOCKER_CONFIG") {
        Some(dir) => PathBuf::from(dir),
        None => set("HOME")
            .map(|home| Path::new(&home).join(".docker"))
            .unwrap_or_else(|| PathBuf::from(".docker")),
    }
}

/// `currentContext` of the CLI config file, if the file exists and sets it.
fn current_context(config: &Path) -> Result<Option<String>> {
    let text = match std::fs::read_to_string(config) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Error::new(format!("cannot read {}: {e}", config.display())));
        }
    };
    let value: Value = serde_json::from_str(&text).map_err(|e| {
        Error::new(format!(
            "cannot read the docker CLI configuration {}: {e}",
            config.display()
        ))
        .with_hint("fix the file, or choose the engine with DOCKER_HOST or --context")
    })?;
    Ok(value
        .get("currentContext")
        .and_then(Value::as_str)
        .filter(|name| !name.is_empty())
        .map(str::to_string))
}

/// The directory name the context store gives a context: the SHA-256 of its name, in hex.
pub fn store_id(name: &str) -> String {
    hex::encode(Sha256::digest(name.as_bytes()))
}

/// The settings of context `name` from the store under `config_dir`.
fn from_store(config_dir: &Path, name: String, source: ContextSource) -> Result<Settings> {
    let store = config_dir.join("contexts");
    let id = store_id(&name);
    let meta_path = store.join("meta").join(&id).join("meta.json");
    let text = match std::fs::read_to_string(&meta_path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::new(format!(
                "docker context {name:?} (from {source}) not found in {}",
                store.display()
            ))
            .with_hint(format!(
                "list the contexts with `docker context ls`, create this one with \
                 `docker context create {name} --docker host=ssh://USER@HOST`, or choose \
                 another"
            )));
        }
        Err(e) => {
            return Err(Error::new(format!(
                "cannot read docker context {name:?}: {}: {e}",
                meta_path.display()
            )));
        }
    };
    let meta: Value = serde_json::from_str(&text).map_err(|e| {
        Error::new(format!(
            "cannot read docker context {name:?}: {}: {e}",
            meta_path.display()
        ))
        .with_hint(format!(
            "recreate it with `docker context create {name} ...`"
        ))
    })?;
    let endpoint = field(&meta, "Endpoints")
        .and_then(|endpoints| field(endpoints, "docker"))
        .ok_or_else(|| {
            Error::new(format!(
                "docker context {name:?} has no docker endpoint ({})",
                meta_path.display()
            ))
            .with_hint(format!(
                "set one with `docker context update {name} --docker host=...`"
            ))
        })?;
    let host = field(endpoint, "Host")
        .and_then(Value::as_str)
        .filter(|h| !h.is_empty())
        .unwrap_or(DEFAULT_HOST)
        .to_string();
    let skip_verify = field(endpoint, "SkipTLSVerify")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let tls_dir = store.join("tls").join(&id).join("docker");
    let has_material = ["ca.pem", "cert.pem", "key.pem"]
        .iter()
        .any(|file| tls_dir.join(file).is_file());
    // As in the docker CLI, TLS material only matters for TCP hosts.
    let tls =
        (host.starts_with("tcp://") && (has_material || skip_verify)).then_some(Tls::Context {
            dir: tls_dir,
            skip_verify,
        });
    Ok(Settings {
        host,
        tls,
        context: Some((name, source)),
    })
}

/// `key` of a JSON object, matched without regard to case as Go's JSON decoder matches it.
fn field<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    let object = value.as_object()?;
    object.get(key).or_else(|| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// A scratch docker config directory with contexts, removed on drop.
    struct Store {
        dir: PathBuf,
    }

    impl Store {
        fn new(name: &str) -> Store {
            let dir = std::env::temp_dir()
                .join(format!("rcompose-endpoint-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Store { dir }
        }

        fn context(&self, name: &str, meta: &str) -> &Store {
            let dir = self.dir.join("contexts/meta").join(store_id(name));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("meta.json"), meta).unwrap();
            self
        }

        fn tls_file(&self, name: &str, file: &str) -> PathBuf {
            let dir = self
                .dir
                .join("contexts/tls")
                .join(store_id(name))
                .join("docker");
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(file), "pem").unwrap();
            dir
        }

        fn config(&self, json: &str) -> &Store {
            std::fs::write(self.dir.join("config.json"), json).unwrap();
            self
        }

        fn resolve(&self, flag: Option<&str>, vars: &[(&str, &str)]) -> Result<Settings> {
            let mut vars: HashMap<String, String> = vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            vars.insert("DOCKER_CONFIG".into(), self.dir.display().to_string());
            Settings::resolve_with(flag, |name| vars.get(name).cloned())
        }
    }

    impl Drop for Store {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    fn env(vars: &[(&str, &str)]) -> Settings {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::resolve_with(None, |name| vars.get(name).cloned()).unwrap()
    }

    const PROD: &str = r#"{"Name":"prod","Metadata":{},"Endpoints":{"docker":{"Host":"ssh://me@prod","SkipTLSVerify":false}}}"#;
    const STAGE: &str = r#"{"Name":"stage","Metadata":{},"Endpoints":{"docker":{"Host":"unix:///stage.sock","SkipTLSVerify":false}}}"#;

    #[test]
    fn store_ids_are_the_sha256_of_the_name() {
        // As `docker context create rctx` names its directory.
        assert_eq!(
            store_id("rctx"),
            "ae8f9a43945b83b5b86b769d6a51b994686a733b1a4a4f8165b28118ee8d4309"
        );
    }

    #[test]
    fn default_host_is_the_unix_socket() {
        let s = env(&[("HOME", "/nonexistent-home")]);
        assert_eq!(s.host, DEFAULT_HOST);
        assert_eq!(s.tls, None);
        assert_eq!(s.context, None);
        assert_eq!(env(&[("DOCKER_HOST", "")]).host, DEFAULT_HOST);
    }

    #[test]
    fn tls_settings_follow_the_docker_cli() {
        let s = env(&[
            ("DOCKER_HOST", "tcp://box:2376"),
            ("DOCKER_TLS_VERIFY", "1"),
            ("DOCKER_CERT_PATH", "/certs"),
        ]);
        assert_eq!(s.host, "tcp://box:2376");
        assert_eq!(s.tls, Some(Tls::CertPath(PathBuf::from("/certs"))));
        let s = env(&[
            ("DOCKER_HOST", "tcp://box:2376"),
            ("DOCKER_TLS_VERIFY", "1"),
            ("HOME", "/home/u"),
        ]);
        assert_eq!(s.tls, Some(Tls::CertPath(PathBuf::from("/home/u/.docker"))));
        let s = env(&[("DOCKER_HOST", "tcp://box"), ("DOCKER_TLS_VERIFY", "0")]);
        assert_eq!(s.tls, None);
    }

    #[test]
    fn the_choice_follows_the_docker_cli_order() {
        let store = Store::new("order");
        store
            .context("prod", PROD)
            .context("stage", STAGE)
            .config(r#"{"auths": {}, "currentContext": "stage"}"#);
        let host = |flag: Option<&str>, vars: &[(&str, &str)]| {
            store.resolve(flag, vars).map(|s| s.host).unwrap()
        };
        // The current context of config.json.
        assert_eq!(host(None, &[]), "unix:///stage.sock");
        // DOCKER_CONTEXT over config.json.
        assert_eq!(host(None, &[("DOCKER_CONTEXT", "prod")]), "ssh://me@prod");
        // DOCKER_HOST over both.
        let both = [("DOCKER_CONTEXT", "prod"), ("DOCKER_HOST", "tcp://h:1")];
        assert_eq!(host(None, &both), "tcp://h:1");
        // --context over everything.
        assert_eq!(
            host(Some("prod"), &[("DOCKER_HOST", "tcp://h:1")]),
            "ssh://me@prod"
        );
        // `default` is the DOCKER_HOST configuration.
        assert_eq!(
            host(Some("default"), &[("DOCKER_HOST", "tcp://h:1")]),
            "tcp://h:1"
        );
        assert_eq!(host(Some("default"), &[]), DEFAULT_HOST);
        let s = store.resolve(Some("prod"), &[]).unwrap();
        assert_eq!(s.context, Some(("prod".to_string(), ContextSource::Flag)));
        assert_eq!(s.describe(), "ssh://me@prod (docker context \"prod\")");
    }

    #[test]
    fn a_missing_context_names_where_it_was_asked_for() {
        let store = Store::new("missing");
        store.config(r#"{"currentContext": "gone"}"#);
        let err = store.resolve(None, &[]).unwrap_err();
        let config = store.dir.join("config.json");
        assert_eq!(
            err.message,
            format!(
                "docker context \"gone\" (from currentContext in {}) not found in {}",
                config.display(),
                store.dir.join("contexts").display()
            )
        );
        assert!(err.hint.unwrap().contains("docker context ls"));
        let err = store
            .resolve(None, &[("DOCKER_CONTEXT", "nope")])
            .unwrap_err();
        assert!(
            err.message
                .starts_with("docker context \"nope\" (from DOCKER_CONTEXT) not found"),
            "{}",
            err.message
        );
    }

    #[test]
    fn a_broken_config_file_is_an_error_naming_it() {
        let store = Store::new("broken");
        store.config("{ not json");
        let err = store.resolve(None, &[]).unwrap_err();
        assert!(
            err.message.starts_with(&format!(
                "cannot read the docker CLI configuration {}: ",
                store.dir.join("config.json").display()
            )),
            "{}",
            err.message
        );
        // Not read at all when DOCKER_HOST decides.
        let s = store
            .resolve(None, &[("DOCKER_HOST", "tcp://h:1")])
            .unwrap();
        assert_eq!(s.host, "tcp://h:1");
    }

    #[test]
    fn context_tls_material_is_used_for_tcp_hosts() {
        let store = Store::new("tls");
        store.context(
            "secure",
            r#"{"name":"secure","endpoints":{"docker":{"host":"tcp://box:2376"}}}"#,
        );
        // Without material: plain TCP, as the docker CLI does.
        assert_eq!(store.resolve(Some("secure"), &[]).unwrap().tls, None);
        let dir = store.tls_file("secure", "ca.pem");
        assert_eq!(
            store.resolve(Some("secure"), &[]).unwrap().tls,
            Some(Tls::Context {
                dir,
                skip_verify: false
            })
        );
        // ssh and unix hosts ignore it.
        store.context("remote", PROD);
        store.tls_file("remote", "ca.pem");
        assert_eq!(store.resolve(Some("remote"), &[]).unwrap().tls, None);
    }

    #[test]
    fn a_context_without_a_docker_endpoint_says_so() {
        let store = Store::new("noendpoint");
        store.context("k8s", r#"{"Name":"k8s","Endpoints":{}}"#);
        let err = store.resolve(Some("k8s"), &[]).unwrap_err();
        assert!(
            err.message
                .starts_with("docker context \"k8s\" has no docker endpoint"),
            "{}",
            err.message
        );
    }
}
