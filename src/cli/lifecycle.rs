//! `rcompose start|stop|restart|kill|rm|pause|unpause`: act on the project's existing
//! containers. start, stop and restart work without a compose file too.

use clap::Args;

use super::GlobalArgs;
use super::target::{Target, block_on, engine, resolve};
use std::time::Duration;

use crate::engine::connection::Engine;
use crate::engine::events::Subscription;
use crate::engine::observe;
use crate::error::Result;
use crate::ops::hooks::{self, Hooks};
use crate::ops::lifecycle::{self, Reach, Selection, Verb};
use crate::ops::wait::Waits;

#[derive(Debug, Args)]
pub struct ServicesArgs {
    /// Services (all when none is given)
    pub services: Vec<String>,
}

#[derive(Debug, Args)]
pub struct StartArgs {
    /// Wait for the services to be running (healthy, for those with a healthcheck)
    #[arg(long)]
    pub wait: bool,
    /// Maximum duration in seconds to wait for the services to be running|healthy
    #[arg(long, value_name = "SECONDS", requires = "wait")]
    pub wait_timeout: Option<u64>,
    /// Services (all when none is given)
    pub services: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RestartArgs {
    /// Seconds to wait for a container to stop before killing it
    #[arg(short, long, value_name = "SECONDS")]
    pub timeout: Option<i64>,
    /// Don't restart the services that depend on them (`restart: true`)
    #[arg(long)]
    pub no_deps: bool,
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
    /// Kill the containers of services the compose file no longer declares too
    #[arg(long, env = "COMPOSE_REMOVE_ORPHANS", value_parser = clap::builder::BoolishValueParser::new())]
    pub remove_orphans: bool,
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

/// The project and what `verb` acts on: `services` (a named service behind a profile
/// counts as enabled) reached as `reach` says, within the loaded project's services or,
/// without a compose file, the containers' (see [`lifecycle::choose`]).
async fn selection(
    global: &GlobalArgs,
    engine: &Engine,
    services: &[String],
    reach: Reach,
) -> Result<(Target, Selection)> {
    let target = resolve(global, services, engine).await?;
    target.check_services(services)?;
    let selection = lifecycle::select(
        &engine.docker,
        &target.name,
        target.project(),
        services,
        reach,
    )
    .await?;
    Ok((target, selection))
}

async fn apply(global: &GlobalArgs, services: &[String], reach: Reach, verb: Verb) -> Result<i32> {
    let engine = engine().await?;
    let (target, selection) = selection(global, &engine, services, reach).await?;
    let limit = global.parallel_limit();
    let hooks = Hooks::of(target.project(), hooks::Output::Quiet);
    lifecycle::run(
        &engine.docker,
        &selection,
        &verb,
        limit,
        &global.progress("Running"),
        &hooks,
    )
    .await?;
    Ok(0)
}

pub fn start(global: GlobalArgs, args: StartArgs) -> Result<i32> {
    let reach = Reach::WithDependencies;
    if !args.wait {
        return block_on(apply(&global, &args.services, reach, Verb::Start));
    }
    block_on(async {
        let engine = engine().await?;
        let (target, selection) = selection(&global, &engine, &args.services, reach).await?;
        // Listening before anything starts, so no state change is missed.
        let events = Subscription::start(&engine.docker, &target.name);
        let progress = global.progress("Running");
        let limit = global.parallel_limit();
        let hooks = Hooks::of(target.project(), hooks::Output::Quiet);
        lifecycle::run(
            &engine.docker,
            &selection,
            &Verb::Start,
            limit,
            &progress,
            &hooks,
        )
        .await?;
        let list =
            lifecycle::containers_of(&engine.docker, &target.name, &selection.services()).await?;
        let deadline = args
            .wait_timeout
            .map(|s| tokio::time::Instant::now() + Duration::from_secs(s));
        let waits = Waits {
            docker: &engine.docker,
            events: &events,
            progress: &progress,
            deadline,
            budget: args.wait_timeout.map(Duration::from_secs),
        };
        waits.running_or_healthy(&list).await?;
        Ok(0)
    })
}

pub fn stop(global: GlobalArgs, args: StopArgs) -> Result<i32> {
    block_on(apply(
        &global,
        &args.services,
        Reach::Named,
        Verb::Stop {
            timeout: args.timeout,
        },
    ))
}

pub fn restart(global: GlobalArgs, args: RestartArgs) -> Result<i32> {
    // Dependents with `restart: true` come along, as with docker compose.
    let reach = if args.no_deps {
        Reach::Named
    } else {
        Reach::WithRestartDependents
    };
    let verb = Verb::Restart {
        timeout: args.timeout,
    };
    block_on(apply(&global, &args.services, reach, verb))
}

pub fn kill(global: GlobalArgs, args: KillArgs) -> Result<i32> {
    block_on(async {
        let engine = engine().await?;
        let target = resolve(&global, &args.services, &engine).await?;
        target.check_services(&args.services)?;
        let mut list = if args.remove_orphans {
            // With the orphans (and one-off containers), as docker compose kills them.
            observe::project_containers(&engine.docker, &target.name)
                .await?
                .into_iter()
                .filter(|c| args.services.is_empty() || args.services.contains(&c.service))
                .collect()
        } else {
            lifecycle::containers_of(&engine.docker, &target.name, &args.services).await?
        };
        if !args.remove_orphans
            && let Some(project) = target.project()
        {
            list.retain(|c| project.services.contains_key(&c.service));
        }
        if !list.iter().any(|c| c.state.is_up()) {
            // docker compose's words; nothing to do is not an error.
            eprintln!("no container to kill");
            return Ok(0);
        }
        let verb = Verb::Kill {
            signal: args.signal,
        };
        let limit = global.parallel_limit();
        lifecycle::apply(
            &engine.docker,
            &list,
            &verb,
            limit,
            &global.progress("Running"),
        )
        .await?;
        Ok(0)
    })
}

pub fn pause(global: GlobalArgs, args: ServicesArgs) -> Result<i32> {
    block_on(apply(&global, &args.services, Reach::Named, Verb::Pause))
}

pub fn unpause(global: GlobalArgs, args: ServicesArgs) -> Result<i32> {
    block_on(apply(&global, &args.services, Reach::Named, Verb::Unpause))
}

pub fn rm(global: GlobalArgs, args: RmArgs) -> Result<i32> {
    block_on(async {
        let engine = engine().await?;
        let (_, selection) = selection(&global, &engine, &args.services, Reach::Named).await?;
        let list = selection.containers;
        let removed = lifecycle::rm(
            &engine.docker,
            &list,
            args.stop,
            args.volumes,
            global.parallel_limit(),
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
