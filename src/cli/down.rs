//! `rcompose down`: stop and remove the project's containers and networks (and volumes with
//! `-v`, images with `--rmi`). Works without a compose file, finding the project on the engine.

use clap::{Args, ValueEnum};

use super::GlobalArgs;
use super::target::{block_on, engine, resolve};
use crate::error::Result;
use crate::ops::down::{self, RemoveImages};

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
    #[arg(long)]
    pub remove_orphans: bool,
    /// Seconds to wait for containers to stop before killing them
    #[arg(short, long, value_name = "SECONDS")]
    pub timeout: Option<i64>,
    /// A compose file (`.yml`) may be given here
    pub args: Vec<String>,
}

pub fn run(mut global: GlobalArgs, args: DownArgs) -> Result<i32> {
    let _ = global.take_file_arguments(&args.args);
    let options = down::Options {
        volumes: args.volumes,
        remove_orphans: args.remove_orphans,
        images: args.rmi.map(|r| match r {
            Rmi::Local => RemoveImages::Local,
            Rmi::All => RemoveImages::All,
        }),
        timeout: args.timeout,
    };
    block_on(async {
        let engine = engine().await?;
        let target = resolve(&global, &[], &engine).await?;
        down::down(
            &engine.docker,
            &target.name,
            target.project(),
            &options,
            &global.progress("Running"),
        )
        .await?;
        Ok(0)
    })
}
