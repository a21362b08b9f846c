//! Connecting to the Docker Engine: reads `DOCKER_HOST`, `DOCKER_TLS_VERIFY` and
//! `DOCKER_CERT_PATH` like the docker CLI does, pings the daemon and negotiates the API version
//! so that nothing newer than the engine offers is ever used.

use std::path::{Path, PathBuf};
use std::time::Duration;

use bollard::{API_DEFAULT_VERSION, Docker};

use crate::error::{Error, Result};

/// Where the daemon listens when `DOCKER_HOST` is not set.
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// Per-request timeout handed to bollard, in seconds.
const REQUEST_TIMEOUT_SECS: u64 = 120;

/// How long connection setup (ping + version) may take before we give up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

const UNREACHABLE_HINT: &str =
    "is the docker daemon running? check DOCKER_HOST and permissions on the socket";

/// A connected engine client.
#[derive(Clone, Debug)]
pub struct Engine {
    pub docker: Docker,
    /// The negotiated API version, such as `1.41`.
    pub api_version: String,
    /// The daemon address as the user would write it in `DOCKER_HOST`.
    pub host: String,
}

/// How to reach the daemon, as read from the environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// `unix:///path` or `tcp://host:port`.
    pub host: String,
    /// Directory holding `ca.pem`, `cert.pem` and `key.pem` when TLS is on.
    pub tls_cert_path: Option<PathBuf>,
}

impl Settings {
    /// Read the settings from the process environment.
    pub fn from_env() -> Settings {
        Settings::from_vars(|name| std::env::var(name).ok())
    }

    /// Read the settings through `var`, which looks up an environment variable.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Settings {
        let set = |name: &str| var(name).filter(|v| !v.is_empty());
        let host = set("DOCKER_HOST").unwrap_or_else(|| DEFAULT_HOST.to_string());
        let tls_verify = set("DOCKER_TLS_VERIFY")
            .is_some_and(|v| !matches!(v.to_ascii_lowercase().as_str(), "0" | "false"));
        let tls_cert_path = if tls_verify {
            let dir = set("DOCKER_CERT_PATH")
                .map(PathBuf::from)
                .or_else(|| set("HOME").map(|home| Path::new(&home).join(".docker")))
                .unwrap_or_else(|| PathBuf::from(".docker"));
            Some(dir)
        } else {
            None
        };
        Settings {
            host,
            tls_cert_path,
        }
    }
}

/// Connect to the daemon named by the environment (see [`Settings::from_env`]).
pub async fn connect() -> Result<Engine> {
    connect_to(&Settings::from_env()).await
}

/// Connect to the daemon described by `settings`: one ping, one version request.
pub async fn connect_to(settings: &Settings) -> Result<Engine> {
    let host = settings.host.as_str();
    let docker = client_for(settings)?;
    let setup = async move {
        docker.ping().await?;
        docker.negotiate_version().await
    };
    let docker = match tokio::time::timeout(CONNECT_TIMEOUT, setup).await {
        Ok(Ok(docker)) => docker,
        Ok(Err(e)) => return Err(unreachable(host, &reason(&e))),
        Err(_) => {
            let secs = CONNECT_TIMEOUT.as_secs();
            return Err(unreachable(host, &format!("no answer within {secs} s")));
        }
    };
    let api_version = docker.client_version().to_string();
    Ok(Engine {
        docker,
        api_version,
        host: host.to_string(),
    })
}

/// What the daemon says about itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerVersion {
    /// Docker Engine version, such as `20.10.24`.
    pub version: String,
    /// The newest API version the daemon offers.
    pub api_version: String,
    pub os: String,
    pub arch: String,
}

impl Engine {
    /// Ask the daemon for its version.
    pub async fn server_version(&self) -> Result<ServerVersion> {
        let v = self.docker.version().await.map_err(|e| {
            Error::new(format!(
                "cannot read the version of the Docker daemon at {}: {}",
                self.host,
                reason(&e)
            ))
        })?;
        Ok(ServerVersion {
            version: v.version.unwrap_or_default(),
            api_version: v.api_version.unwrap_or_default(),
            os: v.os.unwrap_or_default(),
            arch: v.arch.unwrap_or_default(),
        })
    }
}

/// Build the bollard client for `settings` (this does not talk to the daemon yet).
fn client_for(settings: &Settings) -> Result<Docker> {
    let host = settings.host.as_str();
    if let Some(path) = host.strip_prefix("unix://") {
        if path.is_empty() {
            return Err(bad_host(host, "the socket path is empty"));
        }
        if !Path::new(path).exists() {
            return Err(unreachable(host, "no such socket file"));
        }
        return Docker::connect_with_unix(path, REQUEST_TIMEOUT_SECS, API_DEFAULT_VERSION)
            .map_err(|e| unreachable(host, &reason(&e)));
    }
    if let Some(rest) = host.strip_prefix("tcp://") {
        let tls = settings.tls_cert_path.as_deref();
        let addr = tcp_address(rest, if tls.is_some() { 2376 } else { 2375 })
            .ok_or_else(|| bad_host(host, "expected tcp://HOST[:PORT]"))?;
        return match tls {
            None => Docker::connect_with_http(&addr, REQUEST_TIMEOUT_SECS, API_DEFAULT_VERSION)
                .map_err(|e| unreachable(host, &reason(&e))),
            Some(dir) => tls_client(host, &addr, dir),
        };
    }
    let scheme = host.split_once("://").map_or(host, |(scheme, _)| scheme);
    Err(Error::new(format!(
        "unsupported DOCKER_HOST {host:?} (scheme {scheme:?})"
    ))
    .with_hint("use unix:///path/to/docker.sock or tcp://HOST:PORT"))
}

/// `HOST[:PORT][/]` to `HOST:PORT`, adding `default_port` when none is given.
fn tcp_address(rest: &str, default_port: u16) -> Option<String> {
    let rest = rest.trim_end_matches('/');
    if rest.is_empty() || rest.contains('/') {
        return None;
    }
    // A port is present after the last ':' unless that ':' is inside an IPv6 literal.
    let has_port = match rest.rfind(':') {
        Some(i) => !rest[i..].contains(']'),
        None => false,
    };
    if has_port {
        Some(rest.to_string())
    } else {
        Some(format!("{rest}:{default_port}"))
    }
}

fn tls_client(host: &str, addr: &str, dir: &Path) -> Result<Docker> {
    let ca = dir.join("ca.pem");
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    for file in [&ca, &cert, &key] {
        if !file.is_file() {
            return Err(Error::new(format!(
                "cannot use TLS for {host}: {} not found",
                file.display()
            ))
            .with_hint(
                "set DOCKER_CERT_PATH to the directory holding ca.pem, cert.pem and key.pem",
            ));
        }
    }
    Docker::connect_with_ssl(
        addr,
        &key,
        &cert,
        &ca,
        REQUEST_TIMEOUT_SECS,
        API_DEFAULT_VERSION,
    )
    .map_err(|e| {
        Error::new(format!("cannot use TLS for {host}: {}", reason(&e)))
            .with_hint("check the certificates in DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem)")
    })
}

fn unreachable(host: &str, reason: &str) -> Error {
    Error::new(format!(
        "cannot connect to the Docker daemon at {host}: {reason}"
    ))
    .with_hint(UNREACHABLE_HINT)
}

fn bad_host(host: &str, what: &str) -> Error {
    Error::new(format!("invalid DOCKER_HOST {host:?}: {what}"))
        .with_hint("use unix:///path/to/docker.sock or tcp://HOST:PORT")
}

/// A short, one-line reason: the innermost cause (usually the OS error), without its error
/// number, starting in lower case.
fn reason(err: &(dyn std::error::Error + 'static)) -> String {
    let mut inner = err;
    while let Some(source) = inner.source() {
        inner = source;
    }
    let mut text = inner.to_string().replace('\n', " ");
    if let Some(i) = text.rfind(" (os error ")
        && text.ends_with(')')
    {
        text.truncate(i);
    }
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => "unknown error".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Settings {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_vars(|name| vars.get(name).cloned())
    }

    #[test]
    fn default_host_is_the_unix_socket() {
        let s = settings(&[]);
        assert_eq!(s.host, DEFAULT_HOST);
        assert_eq!(s.tls_cert_path, None);
        assert_eq!(settings(&[("DOCKER_HOST", "")]).host, DEFAULT_HOST);
    }

    #[test]
    fn tls_settings_follow_the_docker_cli() {
        let s = settings(&[
            ("DOCKER_HOST", "tcp://box:2376"),
            ("DOCKER_TLS_VERIFY", "1"),
            ("DOCKER_CERT_PATH", "/certs"),
        ]);
        assert_eq!(s.host, "tcp://box:2376");
        assert_eq!(s.tls_cert_path, Some(PathBuf::from("/certs")));
        let s = settings(&[("DOCKER_TLS_VERIFY", "1"), ("HOME", "/home/u")]);
        assert_eq!(s.tls_cert_path, Some(PathBuf::from("/home/u/.docker")));
        assert_eq!(settings(&[("DOCKER_TLS_VERIFY", "0")]).tls_cert_path, None);
    }

    #[test]
    fn tcp_addresses_get_a_default_port() {
        assert_eq!(tcp_address("box", 2375).as_deref(), Some("box:2375"));
        assert_eq!(tcp_address("box:1234/", 2375).as_deref(), Some("box:1234"));
        assert_eq!(tcp_address("[::1]", 2376).as_deref(), Some("[::1]:2376"));
        assert_eq!(tcp_address("[::1]:99", 2376).as_deref(), Some("[::1]:99"));
        assert_eq!(tcp_address("", 2375), None);
        assert_eq!(tcp_address("box/x", 2375), None);
    }

    #[test]
    fn unsupported_schemes_are_rejected() {
        let s = Settings {
            host: "ssh://me@box".to_string(),
            tls_cert_path: None,
        };
        let err = client_for(&s).err().map(|e| e.message);
        assert_eq!(
            err.as_deref(),
            Some("unsupported DOCKER_HOST \"ssh://me@box\" (scheme \"ssh\")")
        );
    }

    #[test]
    fn missing_tls_files_are_named() {
        let s = Settings {
            host: "tcp://127.0.0.1:2376".to_string(),
            tls_cert_path: Some(PathBuf::from("/nonexistent-certs")),
        };
        let err = client_for(&s).err().map(|e| e.message);
        assert_eq!(
            err.as_deref(),
            Some("cannot use TLS for tcp://127.0.0.1:2376: /nonexistent-certs/ca.pem not found")
        );
    }

    #[test]
    fn reasons_are_short_and_lower_case() {
        let io = std::io::Error::from_raw_os_error(111);
        assert_eq!(reason(&io), "connection refused");
    }

    #[tokio::test]
    async fn refused_tcp_connection_is_one_line() {
        // Port 9 (discard) is essentially never served by a local HTTP daemon.
        let s = Settings {
            host: "tcp://127.0.0.1:9".to_string(),
            tls_cert_path: None,
        };
        let err = connect_to(&s).await.err().map(|e| e.message);
        let msg = err.unwrap_or_default();
        assert!(
            msg.starts_with("cannot connect to the Docker daemon at tcp://127.0.0.1:9: "),
            "{msg}"
        );
        assert!(!msg.contains('\n'), "{msg}");
    }
}
