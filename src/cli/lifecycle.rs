//! `rcompose start|stop|restart|kill|rm|pause|unpause`: act on the project's existing
//! containers. start, stop and restart work without a compose file too.

use clap::Args;

use super::GlobalArgs;
use super::target::{block_on, engine, resolve};
use crate::error::Result;
use crate::ops::lifecycle::{self, Verb};

#[derive(Debug, Args)]
pub struct ServicesArgs {
    /// Services (all when none is given)
    pub services: Vec<String>,
}

#[derive(Debug, Args)]
pub struct StopArgs {
    /// Seconds to wait for a container to stop before killing it
    #[arg(short, long, value_name = "SECONDS")]
    pub timeout: Option<i64>,
    /// Services (all when none is given)
    pub services: Vec<String>,
}

#[derive(Debug, Args)]
pub struct KillArgs {
    /// Signal to send
    #[arg(short, long, default_value = "SIGKILL")]
    pub signal: String,
    /// Services (all when none is given)
    pub services: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// Don't ask for confirmation (rcompose never asks; `rm -f` is accepted too)
    #[arg(long)]
    pub force: bool,
    /// Stop the containers first, if needed
    #[arg(short, long)]
    pub stop: bool,
    /// Remove anonymous volumes attached to the containers
    #[arg(short, long)]
    pub volumes: bool,
    /// Services (all when none is given)
    pub services: Vec<String>,
}

async fn apply(global: &GlobalArgs, services: &[String], verb: Verb) -> Result<i32> {
    let engine = engine().await?;
    let target = resolve(global, &[], &engine).await?;
    target.check_services(services)?;
    let list = lifecycle::containers_of(&engine.docker, &target.name, services).await?;
    lifecycle::apply(&engine.docker, &list, &verb, &global.progress("Running")).await?;
    Ok(0)
}

pub fn start(global: GlobalArgs, args: ServicesArgs) -> Result<i32> {
    block_on(apply(&global, &args.services, Verb::Start))
}

pub fn stop(global: GlobalArgs, args: StopArgs) -> Result<i32> {
    block_on(apply(
        &global,
        &args.services,
        Verb::Stop {
            timeout: args.timeout,
        },
    ))
}

pub fn restart(global: GlobalArgs, args: StopArgs) -> Result<i32> {
    block_on(async {
        let engine = engine().await?;
        let target = resolve(&global, &[], &engine).await?;
        target.check_services(&args.services)?;
        // Dependents with `restart: true` come along, as with docker compose.
        let services = match target.project() {
            Some(project) if !args.services.is_empty() => {
                lifecycle::with_restart_dependents(project, &args.services)
            }
            _ => args.services.clone(),
        };
        let list = lifecycle::containers_of(&engine.docker, &target.name, &services).await?;
        let verb = Verb::Restart {
            timeout: args.timeout,
        };
        lifecycle::apply(&engine.docker, &list, &verb, &global.progress("Running")).await?;
        Ok(0)
    })
}

pub fn kill(global: GlobalArgs, args: KillArgs) -> Result<i32> {
    block_on(async {
        let engine = engine().await?;
        let target = resolve(&global, &[], &engine).await?;
        target.check_services(&args.services)?;
        let list = lifecycle::containers_of(&engine.docker, &target.name, &args.services).await?;
        if !list.iter().any(|c| c.state.is_up()) {
            // docker compose's words; nothing to do is not an error.
            eprintln!("no container to kill");
            return Ok(0);
        }
        let verb = Verb::Kill {
            signal: args.signal,
        };
        lifecycle::apply(&engine.docker, &list, &verb, &global.progress("Running")).await?;
        Ok(0)
    })
}

pub fn pause(global: GlobalArgs, args: ServicesArgs) -> Result<i32> {
    block_on(apply(&global, &args.services, Verb::Pause))
}

pub fn unpause(global: GlobalArgs, args: ServicesArgs) -> Result<i32> {
    block_on(apply(&global, &args.services, Verb::Unpause))
}

pub fn rm(global: GlobalArgs, args: RmArgs) -> Result<i32> {
    block_on(async {
        let engine = engine().await?;
        let target = resolve(&global, &[], &engine).await?;
        target.check_services(&args.services)?;
        let list = lifecycle::containers_of(&engine.docker, &target.name, &args.services).await?;
        let removed = lifecycle::rm(
            &engine.docker,
            &list,
            args.stop,
            args.volumes,
            &global.progress("Running"),
        )
        .await?;
        if removed == 0 {
            let running: Vec<&str> = list
                .iter()
                .filter(|c| c.state.is_up())
                .map(|c| c.name.as_str())
                .collect();
            if running.is_empty() {
                eprintln!("No stopped containers");
            } else {
                eprintln!(
                    "No stopped containers (running: {}; `rm --stop` stops and removes them)",
                    running.join(", ")
                );
            }
        }
        Ok(0)
    })
}
