//! `attach`: connect the terminal to the main process of a running service container — its
//! output, and standard input unless `--no-stdin` — until it stops or the user detaches; the
//! process's exit code when it stopped.

use bollard::Docker;
use bollard::query_parameters::AttachContainerOptionsBuilder;

use crate::engine::containers;
use crate::engine::errors::engine_error;
use crate::engine::observe::State;
use crate::error::Result;
use crate::ops::select;
use crate::ops::session::{self, Session, Tty};

/// Options of `attach`.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub service: String,
    /// `--index`: this replica; else as [`select::RUNNING`] chooses.
    pub index: Option<u32>,
    /// Send standard input to the process.
    pub stdin: bool,
    /// `--sig-proxy`: pass Ctrl-C on to the process (without a TTY).
    pub sig_proxy: bool,
    /// `--detach-keys` (the engine's default when `None`).
    pub detach_keys: Option<String>,
}

/// Attach; the exit code when the process stopped, 0 when the user detached.
pub async fn attach(docker: &Docker, project: &str, options: &Options) -> Result<i64> {
    let container = select::container(
        docker,
        project,
        &options.service,
        options.index,
        select::RUNNING,
    )
    .await?;
    let inspect = containers::inspect(docker, &container.id).await?;
    let has_tty = inspect.config.as_ref().and_then(|c| c.tty).unwrap_or(false);
    let mut attach = AttachContainerOptionsBuilder::default()
        .stream(true)
        .stdin(options.stdin)
        .stdout(true)
        .stderr(true);
    if let Some(keys) = &options.detach_keys {
        attach = attach.detach_keys(keys);
    }
    let attached = docker
        .attach_container(&container.id, Some(attach.build()))
        .await
        .map_err(|e| engine_error(format!("cannot attach to {}", container.name), &e))?;
    let session = Session {
        tty: has_tty.then(|| Tty::Container(container.id.clone())),
        stdin: options.stdin,
    };
    let proxy = async {
        if !options.sig_proxy || has_tty {
            return std::future::pending::<()>().await;
        }
        while tokio::signal::ctrl_c().await.is_ok() {
            let _ = containers::kill(docker, &container.id, &container.name, "SIGINT").await;
        }
        std::future::pending::<()>().await
    };
    tokio::select! {
        () = session::run(docker, &session, attached.output, attached.input) => {}
        () = proxy => {}
    }
    match containers::status(docker, &container.id).await? {
        Some(status) if matches!(status.state, State::Exited | State::Dead) => {
            Ok(status.exit_code.unwrap_or(0))
        }
        _ => Ok(0),
    }
}
