//! `exec`: run a command in a running service container — attached (with a TTY when asked),
//! or detached — and hand back the command's exit code.

use bollard::Docker;
use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};

use crate::engine::errors::engine_error;
use crate::error::Result;
use crate::ops::select;
use crate::ops::session::{self, Session, Tty};

/// Options of `exec`.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub service: String,
    /// `--index`: this replica; else as [`select::RUNNING`] chooses.
    pub index: Option<u32>,
    pub command: Vec<String>,
    /// Give the command a pseudo-terminal.
    pub tty: bool,
    /// Send standard input to the command.
    pub interactive: bool,
    pub detach: bool,
    pub user: Option<String>,
    pub workdir: Option<String>,
    /// `KEY=VALUE` pairs.
    pub env: Vec<String>,
    pub privileged: bool,
}

/// Run the command; its exit code (0 when detached).
pub async fn exec(docker: &Docker, project: &str, options: &Options) -> Result<i64> {
    let container = select::container(
        docker,
        project,
        &options.service,
        options.index,
        select::RUNNING,
    )
    .await?;
    let attach = !options.detach;
    let config = CreateExecOptions::<String> {
        attach_stdin: Some(attach && options.interactive),
        attach_stdout: Some(attach),
        attach_stderr: Some(attach),
        tty: Some(options.tty),
        env: (!options.env.is_empty()).then(|| options.env.clone()),
        cmd: Some(options.command.clone()),
        privileged: Some(options.privileged),
        user: options.user.clone(),
        working_dir: options.workdir.clone(),
        detach_keys: None,
    };
    let created = docker
        .create_exec(&container.id, config)
        .await
        .map_err(|e| engine_error(format!("cannot exec in {}", container.name), &e))?;
    let start = StartExecOptions {
        detach: options.detach,
        tty: options.tty,
        output_capacity: None,
    };
    let started = docker
        .start_exec(&created.id, Some(start))
        .await
        .map_err(|e| engine_error(format!("cannot exec in {}", container.name), &e))?;
    match started {
        StartExecResults::Detached => Ok(0),
        StartExecResults::Attached { output, input } => {
            let session = Session {
                tty: options.tty.then(|| Tty::Exec(created.id.clone())),
                stdin: options.interactive,
            };
            session::run(docker, &session, output, input).await;
            let inspect = docker.inspect_exec(&created.id).await.map_err(|e| {
                engine_error(
                    format!("cannot read the exit code in {}", container.name),
                    &e,
                )
            })?;
            Ok(inspect.exit_code.unwrap_or(0))
        }
    }
}
