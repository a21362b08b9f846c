//! `rcompose wait`: block until the first container of the given services stops; its exit code
//! becomes rcompose's.

use clap::Args;

use super::GlobalArgs;
use super::target::{block_on, engine_and_target};
use crate::error::Result;
use crate::ops::down;
use crate::ops::lifecycle::containers_of;
use crate::ops::wait;
use crate::progress::Progress;

#[derive(Debug, Args)]
pub struct WaitArgs {
    /// Stop and remove the project when the first container stops
    #[arg(long)]
    pub down_project: bool,
    /// Services to wait for
    #[arg(required = true)]
    pub services: Vec<String>,
}

pub fn run(global: GlobalArgs, args: WaitArgs) -> Result<i32> {
    block_on(async {
        let (engine, target) = engine_and_target(&global, &args.services).await?;
        let list = containers_of(&engine.docker, &target.name, &args.services).await?;
        let (_, code) = wait::first_exit(&engine.docker, &target.name, &list).await?;
        if args.down_project {
            down::down(
                &engine.docker,
                &target.name,
                target.project(),
                &down::Options::default(),
                &Progress::plain(),
            )
            .await?;
        }
        Ok(i32::try_from(code).unwrap_or(1))
    })
}
