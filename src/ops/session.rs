//! An interactive session with a process in a container (`exec`, `run`, `attach`): the user's
//! standard input goes to the process, its output comes back, with the terminal in raw mode
//! and the process's TTY resized with the window when it has one.

use std::io::{Read, Write};
use std::pin::Pin;

use bollard::Docker;
use bollard::container::LogOutput;
use bollard::query_parameters::{ResizeContainerTTYOptions, ResizeExecOptions};
use futures_util::{Stream, StreamExt};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use crate::terminal::{self, RawMode};

/// The process's output, as bollard hands it over.
pub type Output = Pin<Box<dyn Stream<Item = Result<LogOutput, bollard::errors::Error>> + Send>>;
/// The process's input.
pub type Input = Pin<Box<dyn AsyncWrite + Send>>;

/// What to resize when the window changes.
#[derive(Clone, Debug)]
pub enum Tty {
    Exec(String),
    Container(String),
}

/// How to run a session.
pub struct Session {
    /// The process has a TTY (put the local terminal in raw mode and follow its size).
    pub tty: Option<Tty>,
    /// Send standard input to the process.
    pub stdin: bool,
}

async fn resize(docker: &Docker, tty: &Tty) {
    let Some((rows, cols)) = terminal::size() else {
        return;
    };
    let (h, w) = (i32::from(rows), i32::from(cols));
    // Best effort: a process that already ended cannot be resized, and that is fine.
    let _ = match tty {
        Tty::Exec(id) => docker.resize_exec(id, ResizeExecOptions { h, w }).await,
        Tty::Container(id) => {
            docker
                .resize_container_tty(id, ResizeContainerTTYOptions { h, w })
                .await
        }
    };
}

/// Standard input, read on a thread of its own (a blocking read must not hold the runtime
/// when the session ends), in chunks; the channel closes at end of input.
fn stdin_chunks() -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel::<Vec<u8>>(16);
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin();
        let mut buffer = [0u8; 4096];
        loop {
            match stdin.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx.blocking_send(buffer[..n].to_vec()).is_err() {
                        break;
                    }
                }
            }
        }
    });
    rx
}

/// Run the session until the process's output ends.
pub async fn run(docker: &Docker, session: &Session, mut output: Output, mut input: Input) {
    let _raw = match session.tty {
        Some(_) if session.stdin => RawMode::enable(),
        _ => None,
    };
    if let Some(tty) = &session.tty {
        resize(docker, tty).await;
    }
    let forward = async {
        if !session.stdin {
            return std::future::pending::<()>().await;
        }
        let mut chunks = stdin_chunks();
        while let Some(chunk) = chunks.recv().await {
            if input.write_all(&chunk).await.is_err() || input.flush().await.is_err() {
                break;
            }
        }
        // End of input: close the process's standard input, keep reading its output.
        let _ = input.shutdown().await;
        std::future::pending::<()>().await
    };
    let window = async {
        let Some(tty) = &session.tty else {
            return std::future::pending::<()>().await;
        };
        let Ok(mut changes) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change())
        else {
            return std::future::pending::<()>().await;
        };
        while changes.recv().await.is_some() {
            resize(docker, tty).await;
        }
        std::future::pending::<()>().await
    };
    let copy = async {
        while let Some(Ok(chunk)) = output.next().await {
            let ok = match chunk {
                LogOutput::StdErr { message } => {
                    let mut err = std::io::stderr().lock();
                    err.write_all(&message).and_then(|()| err.flush())
                }
                other => {
                    let mut out = std::io::stdout().lock();
                    out.write_all(&other.into_bytes())
                        .and_then(|()| out.flush())
                }
            };
            if ok.is_err() {
                break;
            }
        }
    };
    tokio::select! {
        () = copy => {}
        () = forward => {}
        () = window => {}
    }
}
