//! `rcompose events`: the project's container events as they happen, until Ctrl-C.

use clap::Args;

use super::GlobalArgs;
use super::target::{block_on, engine, resolve};
use crate::error::Result;
use crate::ops::events;

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Output events as a stream of JSON objects
    #[arg(long)]
    pub json: bool,
    /// Services (all when none is given)
    pub services: Vec<String>,
}

pub fn run(global: GlobalArgs, args: EventsArgs) -> Result<i32> {
    block_on(async {
        let engine = engine().await?;
        let target = resolve(&global, &[], &engine).await?;
        target.check_services(&args.services)?;
        events::events(&engine.docker, &target.name, &args.services, args.json).await?;
        Ok(0)
    })
}
