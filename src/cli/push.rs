//! `rcompose push`: push the images of the services that are built and named.

use clap::Args;

use super::GlobalArgs;
use super::target::{block_on, engine};
use crate::error::Result;
use crate::ops::push;

#[derive(Debug, Args)]
pub struct PushArgs {
    /// Push without printing progress information
    #[arg(short, long)]
    pub quiet: bool,
    /// Push what it can and ignore images with push failures
    #[arg(long)]
    pub ignore_push_failures: bool,
    /// Also push images of services declared as dependencies
    #[arg(long)]
    pub include_deps: bool,
    /// Services to push (all when none is given)
    pub services: Vec<String>,
}

pub fn run(mut global: GlobalArgs, args: PushArgs) -> Result<i32> {
    let services = global.take_file_arguments(&args.services);
    let loaded = super::load_project(&global, &global.load_options(&services)?)?;
    let progress = if args.quiet {
        crate::progress::Progress::quiet()
    } else {
        global.progress("Pushing")
    };
    let options = push::Options {
        services,
        include_deps: args.include_deps,
        ignore_failures: args.ignore_push_failures,
        layers: !args.quiet,
    };
    let result = block_on(async {
        let engine = engine().await?;
        push::push(&engine.docker, &loaded.project, &options, &progress).await
    });
    progress.finish();
    result.map(|()| 0)
}
