//! `rcompose top`: the processes running in the project's containers.

use clap::Args;

use super::GlobalArgs;
use super::target::{block_on, engine_and_target};
use crate::error::Result;
use crate::ops::lifecycle::containers_of;
use crate::ops::top;

#[derive(Debug, Args)]
pub struct TopArgs {
    /// Services (all when none is given)
    pub services: Vec<String>,
}

pub fn run(global: GlobalArgs, args: TopArgs) -> Result<i32> {
    block_on(async {
        let (engine, target) = engine_and_target(&global, &args.services).await?;
        let list = containers_of(&engine.docker, &target.name, &args.services).await?;
        let text = top::top(&engine.docker, &list).await?;
        super::write_output(&text, None)?;
        Ok(0)
    })
}
