//! Connecting to the Docker Engine: the endpoint chosen as the docker CLI chooses it
//! ([`super::endpoint`]: `--context`, `DOCKER_HOST`, `DOCKER_CONTEXT`, the CLI's current
//! context), over a unix socket, TCP (with TLS), or SSH ([`super::ssh`]); then one ping and the
//! API version negotiated, so that nothing newer than the engine offers is ever used.

use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use bollard::{API_DEFAULT_VERSION, Docker};

pub use super::endpoint::{ContextSource, DEFAULT_HOST, Settings, Tls};
use super::ssh::SshAddress;
use crate::error::{Error, Result};

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

/// The docker context named by `--context`, for every later [`connect`] of this process.
static CONTEXT_FLAG: OnceLock<String> = OnceLock::new();

/// Use docker context `name` (the `--context` flag) for the connections of this process.
pub fn use_context(name: &str) {
    let _ = CONTEXT_FLAG.set(name.to_string());
}

/// Connect to the daemon chosen by `--context` and the environment (see
/// [`Settings::resolve`]).
pub async fn connect() -> Result<Engine> {
    let settings = Settings::resolve(CONTEXT_FLAG.get().map(String::as_str))?;
    connect_to(&settings).await
}

/// Connect to the daemon described by `settings`: one ping, one version request.
pub async fn connect_to(settings: &Settings) -> Result<Engine> {
    let docker = client_for(settings)?;
    let setup = async move {
        docker.ping().await?;
        docker.negotiate_version().await
    };
    let docker = match tokio::time::timeout(CONNECT_TIMEOUT, setup).await {
        Ok(Ok(docker)) => docker,
        Ok(Err(e)) => return Err(unreachable(settings, &reason(&e))),
        Err(_) => {
            let secs = CONNECT_TIMEOUT.as_secs();
            return Err(unreachable(settings, &format!("no answer within {secs} s")));
        }
    };
    let api_version = docker.client_version().to_string();
    Ok(Engine {
        docker,
        api_version,
        host: settings.host.clone(),
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
            return Err(bad_host(settings, "the socket path is empty"));
        }
        if !Path::new(path).exists() {
            return Err(unreachable(settings, "no such socket file"));
        }
        return Docker::connect_with_unix(path, REQUEST_TIMEOUT_SECS, API_DEFAULT_VERSION)
            .map_err(|e| unreachable(settings, &reason(&e)));
    }
    if let Some(rest) = host.strip_prefix("tcp://") {
        let tls = settings.tls.as_ref();
        let addr = tcp_address(rest, if tls.is_some() { 2376 } else { 2375 })
            .ok_or_else(|| bad_host(settings, "expected tcp://HOST[:PORT]"))?;
        return match tls {
            None => Docker::connect_with_http(&addr, REQUEST_TIMEOUT_SECS, API_DEFAULT_VERSION)
                .map_err(|e| unreachable(settings, &reason(&e))),
            Some(tls) => tls_client(settings, &addr, tls),
        };
    }
    if host.starts_with("ssh://") {
        let address = SshAddress::parse(host).map_err(|what| bad_host(settings, &what))?;
        return super::ssh::client(&address, REQUEST_TIMEOUT_SECS, API_DEFAULT_VERSION)
            .map_err(|e| unreachable(settings, &reason(&e)));
    }
    let scheme = host.split_once("://").map_or(host, |(scheme, _)| scheme);
    Err(Error::new(format!(
        "unsupported {} {host:?} (scheme {scheme:?})",
        host_origin(settings)
    ))
    .with_hint(HOST_FORMS))
}

/// The forms of address rcompose understands.
const HOST_FORMS: &str =
    "use unix:///path/to/docker.sock, tcp://HOST:PORT or ssh://[USER@]HOST[:PORT]";

/// Where the host was read: the variable or the context.
fn host_origin(settings: &Settings) -> String {
    match &settings.context {
        Some((name, _)) => format!("host of docker context {name:?}"),
        None => "DOCKER_HOST".to_string(),
    }
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

fn tls_client(settings: &Settings, addr: &str, tls: &Tls) -> Result<Docker> {
    let host = settings.describe();
    let (ca, cert, key, hint) = match tls {
        Tls::CertPath(dir) => {
            let files = [
                dir.join("ca.pem"),
                dir.join("cert.pem"),
                dir.join("key.pem"),
            ];
            for file in &files {
                if !file.is_file() {
                    return Err(Error::new(format!(
                        "cannot use TLS for {host}: {} not found",
                        file.display()
                    ))
                    .with_hint(
                        "set DOCKER_CERT_PATH to the directory holding ca.pem, cert.pem and \
                         key.pem",
                    ));
                }
            }
            let [ca, cert, key] = files;
            let hint = "check the certificates in DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem)";
            (ca, cert, key, hint.to_string())
        }
        Tls::Context { dir, skip_verify } => {
            let name = settings
                .context
                .as_ref()
                .map_or("", |(name, _)| name.as_str());
            if *skip_verify {
                return Err(Error::new(format!(
                    "cannot use {host}: the context skips TLS verification \
                     (SkipTLSVerify), which rcompose does not do"
                ))
                .with_hint(format!(
                    "give the context the engine's CA instead: `docker context update {name} \
                     --docker host={},ca=PATH,cert=PATH,key=PATH`",
                    settings.host
                )));
            }
            // Without the context's CA, the system's roots alone vouch for the server.
            let ca = Some(dir.join("ca.pem"))
                .filter(|ca| ca.is_file())
                .unwrap_or_else(|| "/dev/null".into());
            let hint = format!(
                "check the context's TLS material in {} (`docker context inspect {name}`)",
                dir.display()
            );
            (ca, dir.join("cert.pem"), dir.join("key.pem"), hint)
        }
    };
    Docker::connect_with_ssl(
        addr,
        &key,
        &cert,
        &ca,
        REQUEST_TIMEOUT_SECS,
        API_DEFAULT_VERSION,
    )
    .map_err(|e| Error::new(format!("cannot use TLS for {host}: {}", reason(&e))).with_hint(hint))
}

fn unreachable(settings: &Settings, reason: &str) -> Error {
    let error = Error::new(format!(
        "cannot connect to the Docker daemon at {}: {reason}",
        settings.describe()
    ));
    let hint = if let Ok(address) = SshAddress::parse(&settings.host) {
        format!(
            "check that `{}` starts without asking anything (a key from ssh-agent or \
             ~/.ssh/config, a known host key) and that docker 18.09 or newer is on the remote \
             PATH",
            address.command_line()
        )
    } else if let Some((name, source)) = &settings.context {
        format!(
            "is the docker daemon of context {name:?} (chosen by {source}) running? check it \
             with `docker context inspect {name}`"
        )
    } else {
        UNREACHABLE_HINT.to_string()
    };
    error.with_hint(hint)
}

fn bad_host(settings: &Settings, what: &str) -> Error {
    Error::new(format!(
        "invalid {} {:?}: {what}",
        host_origin(settings),
        settings.host
    ))
    .with_hint(HOST_FORMS)
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
    use std::path::PathBuf;

    fn settings(host: &str, tls: Option<Tls>) -> Settings {
        Settings {
            host: host.to_string(),
            tls,
            context: None,
        }
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
        let err = client_for(&settings("npipe:////./pipe/docker_engine", None)).err();
        assert_eq!(
            err.map(|e| e.message).as_deref(),
            Some("unsupported DOCKER_HOST \"npipe:////./pipe/docker_engine\" (scheme \"npipe\")")
        );
        let mut s = settings("fd://", None);
        s.context = Some(("odd".to_string(), ContextSource::Flag));
        let err = client_for(&s).err().map(|e| e.message);
        assert_eq!(
            err.as_deref(),
            Some("unsupported host of docker context \"odd\" \"fd://\" (scheme \"fd\")")
        );
    }

    #[test]
    fn bad_ssh_addresses_are_named() {
        let err = client_for(&settings("ssh://me:secret@box", None)).err();
        let err = err.map(|e| e.message).unwrap_or_default();
        assert!(
            err.starts_with("invalid DOCKER_HOST \"ssh://me:secret@box\": a password"),
            "{err}"
        );
    }

    #[test]
    fn missing_tls_files_are_named() {
        let tls = Some(Tls::CertPath(PathBuf::from("/nonexistent-certs")));
        let err = client_for(&settings("tcp://127.0.0.1:2376", tls)).err();
        assert_eq!(
            err.map(|e| e.message).as_deref(),
            Some("cannot use TLS for tcp://127.0.0.1:2376: /nonexistent-certs/ca.pem not found")
        );
    }

    #[test]
    fn contexts_that_skip_tls_verification_are_refused() {
        let mut s = settings(
            "tcp://box:2376",
            Some(Tls::Context {
                dir: PathBuf::from("/nonexistent"),
                skip_verify: true,
            }),
        );
        s.context = Some(("lax".to_string(), ContextSource::Environment));
        let err = client_for(&s).err().unwrap();
        assert_eq!(
            err.message,
            "cannot use tcp://box:2376 (docker context \"lax\"): the context skips TLS \
             verification (SkipTLSVerify), which rcompose does not do"
        );
        assert!(err.hint.unwrap().contains("docker context update lax"));
    }

    #[test]
    fn reasons_are_short_and_lower_case() {
        let io = std::io::Error::from_raw_os_error(111);
        assert_eq!(reason(&io), "connection refused");
    }

    #[tokio::test]
    async fn refused_tcp_connection_is_one_line() {
        // Port 9 (discard) is essentially never served by a local HTTP daemon.
        let s = settings("tcp://127.0.0.1:9", None);
        let err = connect_to(&s).await.err().map(|e| e.message);
        let msg = err.unwrap_or_default();
        assert!(
            msg.starts_with("cannot connect to the Docker daemon at tcp://127.0.0.1:9: "),
            "{msg}"
        );
        assert!(!msg.contains('\n'), "{msg}");
    }

    #[tokio::test]
    async fn a_failing_ssh_says_what_ssh_said() {
        // Port 1 on the loopback interface refuses connections; ssh says so on its stderr.
        let s = settings("ssh://nobody@127.0.0.1:1", None);
        let err = connect_to(&s).await.err().unwrap();
        assert_eq!(
            err.message,
            "cannot connect to the Docker daemon at ssh://nobody@127.0.0.1:1: ssh: connect to \
             host 127.0.0.1 port 1: Connection refused"
        );
        assert_eq!(
            err.hint.as_deref(),
            Some(
                "check that `ssh -l nobody -p 1 -o ConnectTimeout=30 -T -- 127.0.0.1 'docker \
                 system dial-stdio'` starts without asking anything (a key from ssh-agent or \
                 ~/.ssh/config, a known host key) and that docker 18.09 or newer is on the \
                 remote PATH"
            )
        );
    }
}
