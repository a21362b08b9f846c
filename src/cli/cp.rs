//! `rcompose cp`: copy files between a service container and the local filesystem
//! (`SERVICE:SRC DEST` or `SRC SERVICE:DEST`).

use clap::Args;

use super::GlobalArgs;
use super::target::{block_on, engine_and_target};
use crate::error::{Error, Result};
use crate::ops::cp::{self, Location};
use crate::ops::select;

#[derive(Debug, Args)]
pub struct CpArgs {
    /// Index of the container if the service has multiple replicas
    #[arg(long, value_name = "N")]
    pub index: Option<u32>,
    /// Include the one-off (`run`) containers of the service (deprecated in docker compose:
    /// every replica is the default)
    #[arg(long)]
    pub all: bool,
    /// Archive mode (copy all uid/gid information)
    #[arg(short, long)]
    pub archive: bool,
    /// Always follow the symbolic link in SRC_PATH
    #[arg(short = 'L', long)]
    pub follow_link: bool,
    /// SERVICE:SRC_PATH, or a local path (`-`: a tar on standard input)
    pub source: String,
    /// SERVICE:DEST_PATH, or a local path (`-`: a tar on standard output)
    pub destination: String,
}

pub fn run(global: GlobalArgs, args: CpArgs) -> Result<i32> {
    let source = Location::parse(&args.source);
    let destination = Location::parse(&args.destination);
    let service = match (&source, &destination) {
        (Location::Service { service, .. }, Location::Local(_))
        | (Location::Local(_), Location::Service { service, .. }) => service.clone(),
        _ => {
            return Err(Error::new(
                "cp copies between a service container and the local filesystem",
            )
            .with_hint("name the container side as SERVICE:PATH, for example web:/etc/hosts"));
        }
    };
    block_on(async {
        let (engine, target) = engine_and_target(&global, std::slice::from_ref(&service)).await?;
        let chosen = match args.index.filter(|n| *n > 0) {
            Some(index) => vec![
                select::container(
                    &engine.docker,
                    &target.name,
                    &service,
                    Some(index),
                    select::ANY_REPLICA,
                )
                .await?,
            ],
            // Into every replica (and, with --all, the one-offs too); out of the first.
            None => {
                let one_off = if args.all {
                    select::OneOff::Include
                } else {
                    select::OneOff::Exclude
                };
                select::every(&engine.docker, &target.name, &service, one_off).await?
            }
        };
        match (&source, &destination) {
            (Location::Service { path, .. }, Location::Local(local)) => {
                cp::from_container(&engine.docker, &chosen[0], path, local).await?;
            }
            (Location::Local(local), Location::Service { path, .. }) => {
                for container in &chosen {
                    cp::to_container(
                        &engine.docker,
                        container,
                        local,
                        path,
                        args.follow_link,
                        args.archive,
                    )
                    .await?;
                }
            }
            _ => {}
        }
        Ok(0)
    })
}
