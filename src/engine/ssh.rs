//! Engines behind `ssh://[user@]host[:port][/socket]`, reached as the docker CLI reaches them:
//! every connection is the system `ssh` client running `docker system dial-stdio` on the remote
//! host (`docker --host=unix://SOCKET system dial-stdio` when the address names a socket), and
//! HTTP is spoken over its standard input and output. Keys, agents and `~/.ssh/config` work as
//! they do for `ssh` itself.
//!
//! Connections are pooled (one `ssh` process each, kept while idle). At most [`MAX_STARTING`]
//! are being set up at once, so that a burst of parallel requests does not trip sshd's
//! `MaxStartups` (10 unauthenticated connections by default), which drops connections at random.
//! When `ssh` fails, what it wrote on its standard error becomes the reason of the errors of its
//! connection's requests.

use std::future::Future;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::pin::Pin;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bollard::{BollardRequest, ClientVersion, Docker};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot, watch};

/// How many connections may be setting up (authenticating) at once.
pub const MAX_STARTING: usize = 6;

/// After this long a connection no longer counts as setting up, answered or not.
const STARTING_AT_MOST: Duration = Duration::from_secs(10);

/// How long a failed request waits for `ssh` to say why on its standard error.
const STDERR_GRACE: Duration = Duration::from_secs(2);

/// How long `ssh` may take to end by itself once its connection is closed.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// Idle connections (and their `ssh` processes) are closed after this long.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// An `ssh://` address, split as `ssh` wants it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshAddress {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<String>,
    /// The engine's socket on the remote host, when the address names one.
    pub socket: Option<String>,
}

impl SshAddress {
    /// Parse `ssh://[user@]host[:port][/socket]`; the error says what is wrong.
    pub fn parse(address: &str) -> Result<SshAddress, String> {
        let rest = address
            .strip_prefix("ssh://")
            .ok_or_else(|| "expected ssh://[USER@]HOST[:PORT]".to_string())?;
        if let Some((_, query)) = rest.split_once('?') {
            return Err(format!("query parameters are not allowed: {query:?}"));
        }
        if let Some((_, fragment)) = rest.split_once('#') {
            return Err(format!("fragments are not allowed: {fragment:?}"));
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let (user, host_port) = match authority.rsplit_once('@') {
            Some((user, host_port)) => (Some(user), host_port),
            None => (None, authority),
        };
        if let Some(user) = user {
            if user.contains(':') {
                return Err(
                    "a password in the address is not supported; use a key (ssh-agent or \
                     ~/.ssh/config)"
                        .to_string(),
                );
            }
            if user.is_empty() {
                return Err("the user name before @ is empty".to_string());
            }
        }
        let (host, port) = match host_port.strip_prefix('[') {
            Some(v6) => {
                let (host, after) = v6
                    .split_once(']')
                    .ok_or_else(|| "the IPv6 address lacks its closing ]".to_string())?;
                match after {
                    "" => (host, None),
                    after => match after.strip_prefix(':') {
                        Some(port) => (host, Some(port)),
                        None => return Err(format!("unexpected {after:?} after the host")),
                    },
                }
            }
            None => match host_port.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (host_port, None),
            },
        };
        if host.is_empty() {
            return Err("the host name is empty".to_string());
        }
        let port = port.filter(|p| !p.is_empty());
        if let Some(port) = port
            && !port.chars().all(|c| c.is_ascii_digit())
        {
            return Err(format!("the port {port:?} is not a number"));
        }
        let socket = (!path.trim_matches('/').is_empty()).then(|| path.to_string());
        Ok(SshAddress {
            user: user.map(str::to_string),
            host: host.to_string(),
            port: port.map(str::to_string),
            socket,
        })
    }

    /// The arguments of `ssh` (after the program name), as the docker CLI passes them.
    pub fn ssh_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(user) = &self.user {
            args.extend(["-l".to_string(), user.clone()]);
        }
        if let Some(port) = &self.port {
            args.extend(["-p".to_string(), port.clone()]);
        }
        args.extend(["-o", "ConnectTimeout=30", "-T", "--"].map(String::from));
        args.push(self.host.clone());
        args.push(self.remote_command());
        args
    }

    /// The command run on the remote host (one string: ssh hands it to the remote shell).
    fn remote_command(&self) -> String {
        let mut words = vec!["docker".to_string()];
        if let Some(socket) = &self.socket {
            words.push(format!("--host=unix://{socket}"));
        }
        words.extend(["system", "dial-stdio"].map(String::from));
        shell_join(&words)
    }

    /// The command line a user can run to try the connection by hand.
    pub fn command_line(&self) -> String {
        format!("ssh {}", shell_join(&self.ssh_args()))
    }
}

/// Words as a POSIX shell reads them back: quoted only when they need it.
fn shell_join(words: &[String]) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c);
    words
        .iter()
        .map(|word| {
            if !word.is_empty() && word.chars().all(plain) {
                word.clone()
            } else {
                format!("'{}'", word.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A client for the engine at `address` (an `ssh://` URL already parsed).
pub fn client(
    address: &SshAddress,
    timeout_secs: u64,
    version: &ClientVersion,
) -> Result<Docker, bollard::errors::Error> {
    let connector = Connector {
        args: Arc::new(address.ssh_args()),
        starting: Arc::new(Semaphore::new(MAX_STARTING)),
    };
    let client = Client::builder(TokioExecutor::new())
        .pool_timer(TokioTimer::new())
        .pool_idle_timeout(IDLE_TIMEOUT)
        .build(connector);
    let transport = move |request: BollardRequest| {
        let client = client.clone();
        async move {
            match client.request(request).await {
                Ok(response) => Ok(response),
                Err(err) => Err(explain(err).await),
            }
        }
    };
    Docker::connect_with_custom_transport(transport, Some("http://docker"), timeout_secs, version)
}

/// The error of a failed request: what the connection's `ssh` said on its standard error when
/// it failed (waiting a moment for it to exit), else the HTTP client's error.
async fn explain(err: hyper_util::client::legacy::Error) -> bollard::errors::Error {
    let stderr = err.connect_info().and_then(|info| {
        let mut extras = http::Extensions::new();
        info.get_extras(&mut extras);
        extras.get::<SshStderr>().cloned()
    });
    let Some(SshStderr(stderr)) = stderr else {
        return err.into();
    };
    let mut said = stderr.subscribe();
    if said.borrow_and_update().is_none() {
        let _ = tokio::time::timeout(STDERR_GRACE, said.changed()).await;
    }
    let text = said.borrow().clone();
    match text {
        Some(text) => bollard::errors::Error::IOError {
            err: io::Error::other(text),
        },
        None => err.into(),
    }
}

/// What one `ssh` process said on its standard error, once it has failed.
#[derive(Clone)]
struct SshStderr(Arc<watch::Sender<Option<String>>>);

/// Makes connections: one `ssh` process each.
#[derive(Clone)]
struct Connector {
    args: Arc<Vec<String>>,
    starting: Arc<Semaphore>,
}

impl tower_service::Service<http::Uri> for Connector {
    type Response = TokioIo<SshStream>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<Self::Response>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: http::Uri) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let permit = this
                .starting
                .clone()
                .acquire_owned()
                .await
                .map_err(io::Error::other)?;
            let mut command = Command::new("ssh");
            command
                .args(this.args.iter())
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .kill_on_drop(true);
            // A session of its own, as the docker CLI gives it: no controlling terminal (a
            // password prompt fails instead of hanging behind rcompose's output), and Ctrl-C
            // meant for rcompose does not cut the connection rcompose cleans up through.
            // SAFETY: setsid is async-signal-safe and touches no memory of the parent.
            unsafe {
                command.pre_exec(|| {
                    if libc::setsid() == -1 {
                        return Err(io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
            let mut child = command.spawn().map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("cannot run ssh: {e} (is the OpenSSH client installed?)"),
                )
            })?;
            let (Some(stdin), Some(stdout), Some(stderr)) =
                (child.stdin.take(), child.stdout.take(), child.stderr.take())
            else {
                return Err(io::Error::other("ssh started without its pipes"));
            };
            let starting = Arc::new(Mutex::new(Some(permit)));
            let (closed_tx, closed_rx) = oneshot::channel();
            let said = SshStderr(Arc::new(watch::channel(None).0));
            tokio::spawn(supervise(
                child,
                stderr,
                closed_rx,
                said.clone(),
                starting.clone(),
            ));
            Ok(TokioIo::new(SshStream {
                stdin: Some(stdin),
                stdout,
                starting,
                said,
                _closed: closed_tx,
            }))
        })
    }
}

/// Watch one `ssh` process: end it when its connection is dropped, and record what it said
/// when it failed on its own. Also ends its "setting up" period after a while.
async fn supervise(
    mut child: Child,
    mut stderr: ChildStderr,
    closed: oneshot::Receiver<()>,
    said: SshStderr,
    starting: Arc<Mutex<Option<OwnedSemaphorePermit>>>,
) {
    let release = async {
        tokio::time::sleep(STARTING_AT_MOST).await;
        if let Ok(mut permit) = starting.lock() {
            permit.take();
        }
        std::future::pending::<()>().await
    };
    let mut text = Vec::new();
    {
        let read = stderr.read_to_end(&mut text);
        tokio::pin!(read, release);
        tokio::select! {
            // ssh closed its standard error: it is exiting.
            _ = &mut read => {}
            // The connection is done with, or failed and was dropped. Its standard input is
            // closed, so a working ssh ends shortly; a failing one may still be writing why (it
            // can close its standard output first). Give it a moment, then end it.
            _ = closed => {
                if tokio::time::timeout(CLOSE_GRACE, &mut read).await.is_err() {
                    let _ = child.start_kill();
                }
            }
            () = &mut release => {}
        }
    }
    let status = child.wait().await;
    let killed_by_us = status
        .as_ref()
        .is_ok_and(|s| s.signal() == Some(libc::SIGKILL));
    let failed = status.as_ref().map_or(true, |s| !s.success());
    let text = String::from_utf8_lossy(&text);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("Warning: Permanently added"))
        .collect();
    if failed && !killed_by_us && !lines.is_empty() {
        said.0.send_replace(Some(lines.join("; ")));
    }
}

/// One connection: the standard input and output of an `ssh` process.
struct SshStream {
    stdin: Option<ChildStdin>,
    stdout: ChildStdout,
    /// Held while the connection sets up, until the first answer.
    starting: Arc<Mutex<Option<OwnedSemaphorePermit>>>,
    /// What its `ssh` says when it fails, for the errors of this connection's requests.
    said: SshStderr,
    /// Dropped with the connection, which tells [`supervise`] to end `ssh`.
    _closed: oneshot::Sender<()>,
}

impl AsyncRead for SshStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.stdout).poll_read(cx, buf);
        if poll.is_ready()
            && let Ok(mut permit) = self.starting.lock()
        {
            // The first answer (or the end): the connection is set up.
            permit.take();
        }
        poll
    }
}

impl AsyncWrite for SshStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.stdin.as_mut() {
            Some(stdin) => Pin::new(stdin).poll_write(cx, buf),
            None => Poll::Ready(Err(io::ErrorKind::BrokenPipe.into())),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.stdin.as_mut() {
            Some(stdin) => Pin::new(stdin).poll_flush(cx),
            None => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(stdin) = self.stdin.as_mut()
            && Pin::new(stdin).poll_flush(cx).is_pending()
        {
            return Poll::Pending;
        }
        // Closing ssh's standard input closes the write side of the connection.
        self.stdin = None;
        Poll::Ready(Ok(()))
    }
}

impl Connection for SshStream {
    fn connected(&self) -> Connected {
        Connected::new().extra(self.said.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(address: &str) -> Result<SshAddress, String> {
        SshAddress::parse(address)
    }

    #[test]
    fn addresses_are_split_as_ssh_wants_them() {
        assert_eq!(
            parse("ssh://me@box:2222"),
            Ok(SshAddress {
                user: Some("me".into()),
                host: "box".into(),
                port: Some("2222".into()),
                socket: None,
            })
        );
        let plain = parse("ssh://box").unwrap();
        assert_eq!((plain.user, plain.port, plain.socket), (None, None, None));
        let v6 = parse("ssh://me@[fd00::1]:22/").unwrap();
        assert_eq!(
            (v6.host.as_str(), v6.port.as_deref()),
            ("fd00::1", Some("22"))
        );
        assert_eq!(v6.socket, None);
        let socket = parse("ssh://box/run/user/1000/docker.sock").unwrap();
        assert_eq!(socket.socket.as_deref(), Some("/run/user/1000/docker.sock"));
    }

    #[test]
    fn bad_addresses_say_what_is_wrong() {
        assert!(parse("ssh://me:pw@box").unwrap_err().contains("password"));
        assert_eq!(parse("ssh://").unwrap_err(), "the host name is empty");
        assert_eq!(parse("ssh://me@").unwrap_err(), "the host name is empty");
        assert_eq!(
            parse("ssh://box:ssh").unwrap_err(),
            "the port \"ssh\" is not a number"
        );
        assert!(parse("ssh://box?x=1").unwrap_err().starts_with("query"));
        assert!(parse("ssh://box#x").unwrap_err().starts_with("fragments"));
    }

    #[test]
    fn ssh_runs_dial_stdio_as_the_docker_cli_does() {
        assert_eq!(
            parse("ssh://me@box:2222").unwrap().command_line(),
            "ssh -l me -p 2222 -o ConnectTimeout=30 -T -- box 'docker system dial-stdio'"
        );
        assert_eq!(
            parse("ssh://box/var/run/other docker.sock")
                .unwrap()
                .ssh_args(),
            [
                "-o",
                "ConnectTimeout=30",
                "-T",
                "--",
                "box",
                "docker '--host=unix:///var/run/other docker.sock' system dial-stdio"
            ]
        );
    }
}
