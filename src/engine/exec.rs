//! Running a command in a running container and waiting for it, its output handed to the
//! caller as it comes: what lifecycle hooks (`post_start`, `pre_stop`) and watch's
//! `sync+exec` rules use. (`rcompose exec`, with a terminal and standard input, has its own
//! session in [`crate::ops::exec`].)

use bollard::Docker;
use bollard::container::LogOutput;
use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
use futures_util::StreamExt;

use super::errors::{engine_error, is_conflict, is_not_found};
use crate::error::Result;

/// How the command runs: as whom, where, with what environment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecAs {
    pub user: Option<String>,
    pub privileged: bool,
    pub working_dir: Option<String>,
    /// `KEY=VALUE`.
    pub env: Vec<String>,
}

/// Which stream a piece of output came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Run `command` in container `id` (`name` for messages) and wait for it; its exit code, or
/// `None` when the engine says the container is not running (or gone). `stdout`: attach the
/// command's standard output too (its standard error always is). Output goes to `output` as it
/// arrives.
pub async fn run(
    docker: &Docker,
    id: &str,
    name: &str,
    command: &[String],
    how: &ExecAs,
    stdout: bool,
    mut output: impl FnMut(Stream, &[u8]),
) -> Result<Option<i64>> {
    let failed = |e: &bollard::errors::Error| {
        engine_error(
            format!("cannot run `{}` in container {name}", command.join(" ")),
            e,
        )
    };
    let config = CreateExecOptions::<String> {
        attach_stdout: Some(stdout),
        attach_stderr: Some(true),
        cmd: Some(command.to_vec()),
        user: how.user.clone(),
        privileged: Some(how.privileged),
        working_dir: how.working_dir.clone(),
        env: (!how.env.is_empty()).then(|| how.env.clone()),
        ..Default::default()
    };
    let created = match docker.create_exec(id, config).await {
        Ok(created) => created,
        Err(e) if is_conflict(&e) || is_not_found(&e) => return Ok(None),
        Err(e) => return Err(failed(&e)),
    };
    let start = StartExecOptions {
        detach: false,
        tty: false,
        output_capacity: None,
    };
    let started = docker
        .start_exec(&created.id, Some(start))
        .await
        .map_err(|e| failed(&e))?;
    if let StartExecResults::Attached {
        output: mut stream, ..
    } = started
    {
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(LogOutput::StdOut { message }) => output(Stream::Stdout, &message),
                Ok(LogOutput::StdErr { message }) => output(Stream::Stderr, &message),
                Ok(_) => {}
                Err(_) => break,
            }
        }
    }
    let inspect = docker
        .inspect_exec(&created.id)
        .await
        .map_err(|e| failed(&e))?;
    Ok(Some(inspect.exit_code.unwrap_or(0)))
}
