//! `rcompose down`: stop and remove the project's containers and networks (and volumes with
//! `-v`, images with `--rmi`). Works without a compose file, finding the project on the engine.

use clap::{Args, ValueEnum};

use super::GlobalArgs;
use super::target::{block_on, engine, resolve};
use crate::error::{Error, Result};
use crate::graph::ServiceGraph;
use crate::ops::down::{self, RemoveImages, remove_containers};
use crate::ops::hooks::{self, Hooks};
use crate::ops::lifecycle;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Rmi {
    Local,
    All,
}

#[derive(Debug, Args)]
pub struct DownArgs {
    /// Remove named volumes declared in the volumes section and anonymous volumes
    #[arg(short, long)]
    pub volumes: bool,
    /// Remove images used by services: local (built ones) or all
    #[arg(long, value_enum)]
    pub rmi: Option<Rmi>,
    /// Remove containers for services not defined in the compose file
    #[arg(
        long,
        env = "COMPOSE_REMOVE_ORPHANS",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub remove_orphans: bool,
    /// Seconds to wait for containers to stop before killing them
    #[arg(short, long, value_name = "SECONDS")]
    pub timeout: Option<i64>,
    /// Services to take down, with the services that depend on them (the project's networks and
    /// named volumes then stay); a compose file (`.yml`) may be given here too
    pub args: Vec<String>,
}

pub fn run(mut global: GlobalArgs, args: DownArgs) -> Result<i32> {
    let services = global.take_file_arguments(&args.args);
    let options = down::Options {
        volumes: args.volumes,
        remove_orphans: args.remove_orphans,
        images: args.rmi.map(|r| match r {
            Rmi::Local => RemoveImages::Local,
            Rmi::All => RemoveImages::All,
        }),
        timeout: args.timeout,
        parallel: global.parallel_limit(),
    };
    block_on(async {
        let engine = engine().await?;
        let target = resolve(&global, &[], &engine).await?;
        let progress = global.progress("Running");
        if !services.is_empty() {
            target.check_services(&services)?;
            if args.rmi.is_some() {
                return Err(Error::new("down SERVICE... does not take --rmi")
                    .with_hint("remove the images with `rcompose down --rmi` for the whole project, or with `docker rmi`"));
            }
            let limit = global.parallel_limit();
            down_services(&engine.docker, &target, &services, &args, limit, &progress).await?;
            return Ok(0);
        }
        down::down(
            &engine.docker,
            &target.name,
            target.project(),
            &options,
            &progress,
        )
        .await?;
        Ok(0)
    })
}

/// `down SERVICE...`: stop and remove the containers of those services and of the services that
/// depend on them (as docker compose does), dependents first. Networks and named volumes stay:
/// the rest of the project still uses them; `-v` takes the containers' anonymous volumes.
async fn down_services(
    docker: &bollard::Docker,
    target: &super::target::Target,
    services: &[String],
    args: &DownArgs,
    limit: Option<usize>,
    progress: &crate::progress::Progress,
) -> Result<()> {
    let all = lifecycle::containers_of(docker, &target.name, &[]).await?;
    let chosen = ServiceGraph::of_containers(&all).with_dependents(services);
    let orphan = |service: &str| {
        args.remove_orphans
            && target
                .project()
                .is_some_and(|p| !p.services.contains_key(service))
    };
    let doomed: Vec<_> = all
        .into_iter()
        .filter(|c| chosen.contains(&c.service) || orphan(&c.service))
        .collect();
    let hooks = Hooks::of(target.project(), hooks::Output::Quiet);
    remove_containers(
        docker,
        &doomed,
        args.timeout,
        args.volumes,
        limit,
        progress,
        &hooks,
    )
    .await
}
