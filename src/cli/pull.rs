//! `rcompose pull`: pull the images of the services, all at once, with a progress bar per
//! image.

use clap::{Args, ValueEnum};

use super::GlobalArgs;
use super::target::{block_on, engine};
use crate::error::Result;
use crate::ops::pull::{self, PullPolicy};

/// `--policy` / `--pull` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PolicyArg {
    Always,
    Missing,
    Never,
    Build,
}

impl From<PolicyArg> for PullPolicy {
    fn from(policy: PolicyArg) -> PullPolicy {
        match policy {
            PolicyArg::Always => PullPolicy::Always,
            PolicyArg::Missing => PullPolicy::Missing,
            PolicyArg::Never => PullPolicy::Never,
            PolicyArg::Build => PullPolicy::Build,
        }
    }
}

#[derive(Debug, Args)]
pub struct PullArgs {
    /// Pull without printing progress information
    #[arg(short, long)]
    pub quiet: bool,
    /// Pull what it can and ignore images with pull failures
    #[arg(long)]
    pub ignore_pull_failures: bool,
    /// Also pull services declared as dependencies
    #[arg(long)]
    pub include_deps: bool,
    /// Ignore images that can be built
    #[arg(long)]
    pub ignore_buildable: bool,
    /// Apply this pull policy to every service instead of its own
    #[arg(long, value_enum, value_name = "POLICY")]
    pub policy: Option<PolicyArg>,
    /// Services to pull (all when none is given)
    pub services: Vec<String>,
}

pub fn run(mut global: GlobalArgs, args: PullArgs) -> Result<i32> {
    let services = global.take_file_arguments(&args.services);
    let loaded = super::load_project(&global, &global.load_options(&services)?)?;
    let progress = if args.quiet {
        crate::progress::Progress::quiet()
    } else {
        global.progress("Pulling")
    };
    let options = pull::Options {
        services,
        include_deps: args.include_deps,
        ignore_failures: args.ignore_pull_failures,
        ignore_buildable: args.ignore_buildable,
        policy: args.policy.map(PullPolicy::from),
        layers: !args.quiet,
    };
    let result = block_on(async {
        let engine = engine().await?;
        pull::pull(&engine.docker, &loaded.project, &options, &progress).await
    });
    progress.finish();
    result.map(|()| 0)
}
