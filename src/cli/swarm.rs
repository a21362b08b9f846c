//! `rcompose swarm up|ps|down`: the project as a Docker Swarm stack, like
//! `docker stack deploy -c FILE NAME`, `docker stack ps NAME` and `docker stack rm NAME`.
//! The stack is named after the project (`-p` or the project directory).

use std::collections::BTreeMap;
use std::time::Duration;

use clap::{Args, Subcommand};

use super::{GlobalArgs, load_project};
use crate::engine::connection::connect;
use crate::error::{Error, Result};
use crate::swarm::convert::{self, ApiVersion};
use crate::swarm::{down, ps, up};

#[derive(Debug, Args)]
pub struct SwarmArgs {
    #[command(subcommand)]
    pub command: SwarmCommand,
}

#[derive(Debug, Subcommand)]
pub enum SwarmCommand {
    /// Deploy or update the project as a swarm stack (like docker stack deploy)
    Up(UpArgs),
    /// List the tasks of the stack (like docker stack ps)
    Ps(PsArgs),
    /// Remove the stack's services, networks, configs and secrets (like docker stack rm)
    Down(DownArgs),
}

#[derive(Debug, Args)]
pub struct UpArgs {
    /// Don't wait for the services' tasks to converge
    #[arg(short, long)]
    pub detach: bool,
    /// Wait for the services' tasks to converge, failing after --timeout (the default)
    #[arg(long, conflicts_with = "detach")]
    pub wait: bool,
    /// Run NUM replicas of SERVICE, overriding deploy.replicas (repeatable)
    #[arg(long, value_name = "SERVICE=NUM", value_parser = parse_scale)]
    pub scale: Vec<(String, u32)>,
    /// Remove services of the stack that the compose file no longer defines
    #[arg(long)]
    pub prune: bool,
    /// Seconds to wait for the tasks to converge
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub timeout: u64,
}

#[derive(Debug, Args)]
pub struct PsArgs {
    /// Don't truncate IDs, image references and errors
    #[arg(long)]
    pub no_trunc: bool,
    /// Only print task IDs
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct DownArgs {
    /// Don't wait for the stack's tasks and networks to be gone
    #[arg(short, long)]
    pub detach: bool,
    /// Seconds to wait for them
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    pub timeout: u64,
}

fn parse_scale(text: &str) -> std::result::Result<(String, u32), String> {
    let (service, number) = text
        .split_once('=')
        .ok_or_else(|| format!("expected SERVICE=NUM, got {text:?}"))?;
    let number = number
        .trim()
        .parse()
        .map_err(|_| format!("expected a whole number of replicas, got {number:?}"))?;
    Ok((service.trim().to_string(), number))
}

pub fn run(global: GlobalArgs, args: SwarmArgs) -> Result<i32> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::new(format!("cannot start the async runtime: {e}")))?;
    match args.command {
        SwarmCommand::Up(up_args) => {
            let loaded = load_project(&global, &global.load_options(&[])?)?;
            loaded.require_environment(&[], false)?;
            let scale: BTreeMap<String, u32> = up_args.scale.into_iter().collect();
            runtime.block_on(async {
                let engine = connect().await?;
                let plan = convert::convert(
                    &loaded.project,
                    &convert::Options {
                        stack: loaded.project.name.clone(),
                        api_version: ApiVersion::parse(&engine.api_version),
                        scale,
                    },
                )?;
                let opts = up::UpOptions {
                    detach: up_args.detach,
                    prune: up_args.prune,
                    timeout: Duration::from_secs(up_args.timeout),
                };
                let progress = global.progress("Deploying");
                let result =
                    up::up(&engine.docker, &plan, &loaded.environment, &opts, &progress).await;
                progress.finish();
                result
            })?;
        }
        SwarmCommand::Ps(ps_args) => {
            let stack = stack_name(&global)?;
            let text = runtime.block_on(async {
                let engine = connect().await?;
                let opts = ps::PsOptions {
                    no_trunc: ps_args.no_trunc,
                    quiet: ps_args.quiet,
                };
                let progress = global.progress("Listing");
                let result = ps::ps(&engine.docker, &stack, opts, &progress).await;
                progress.finish();
                result
            })?;
            super::write_output(&text, None)?;
        }
        SwarmCommand::Down(down_args) => {
            let stack = stack_name(&global)?;
            runtime.block_on(async {
                let engine = connect().await?;
                let opts = down::DownOptions {
                    detach: down_args.detach,
                    timeout: Duration::from_secs(down_args.timeout),
                };
                let progress = global.progress("Removing");
                let result = down::down(&engine.docker, &stack, opts, &progress).await;
                progress.finish();
                result
            })?;
        }
    }
    Ok(0)
}

/// The stack to look at: `-p NAME` as given, else the project's name (which loads it).
fn stack_name(global: &GlobalArgs) -> Result<String> {
    match &global.project_name {
        Some(name) => Ok(name.clone()),
        None => Ok(load_project(global, &global.load_options(&[])?)?
            .project
            .name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_arguments() {
        assert_eq!(parse_scale("web=3"), Ok(("web".to_string(), 3)));
        assert!(parse_scale("web").is_err());
        assert!(parse_scale("web=x").is_err());
    }
}
