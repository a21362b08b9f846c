//! `rcompose cp`: copy files between a service container and the local filesystem
//! (`SERVICE:SRC DEST` or `SRC SERVICE:DEST`).

use clap::Args;

use super::GlobalArgs;
use super::target::{block_on, engine, resolve};
use crate::error::{Error, Result};
use crate::ops::cp::{self, Location};
use crate::ops::lifecycle::containers_of;

#[derive(Debug, Args)]
pub struct CpArgs {
    /// Index of the container if the service has multiple replicas
    #[arg(long, value_name = "N")]
    pub index: Option<u32>,
    /// Copy to all the containers of the service
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
        let engine = engine().await?;
        let target = resolve(&global, &[], &engine).await?;
        target.check_services(std::slice::from_ref(&service))?;
        let list =
            containers_of(&engine.docker, &target.name, std::slice::from_ref(&service)).await?;
        let index = args.index.unwrap_or(1);
        let chosen: Vec<_> = list
            .iter()
            .filter(|c| args.all || c.number == index)
            .collect();
        if chosen.is_empty() {
            return Err(Error::new(format!(
                "service \"{service}\" has no container number {index}"
            ))
            .with_hint("create it with `rcompose up -d`"));
        }
        match (&source, &destination) {
            (Location::Service { path, .. }, Location::Local(local)) => {
                cp::from_container(&engine.docker, chosen[0], path, local).await?;
            }
            (Location::Local(local), Location::Service { path, .. }) => {
                for container in chosen {
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
