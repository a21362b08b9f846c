//! `rcompose build`: build the images of the services that have a `build:` section, with the
//! engine's classic builder, streaming the build output.

use std::collections::BTreeMap;

use clap::Args;

use super::GlobalArgs;
use super::target::{block_on, engine};
use crate::error::Result;
use crate::ops::build;

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Set a build-time variable (KEY=VALUE, or KEY to take it from the environment)
    #[arg(long = "build-arg", value_name = "KEY[=VALUE]")]
    pub build_args: Vec<String>,
    /// Do not use the cache when building
    #[arg(long)]
    pub no_cache: bool,
    /// Always attempt to pull newer versions of the base images
    #[arg(long)]
    pub pull: bool,
    /// Push the images once built
    #[arg(long)]
    pub push: bool,
    /// Don't print the build output
    #[arg(short, long)]
    pub quiet: bool,
    /// Also build the services' dependencies
    #[arg(long)]
    pub with_dependencies: bool,
    /// Services to build (all when none is given)
    pub services: Vec<String>,
}

/// `KEY=VALUE` → (KEY, Some(VALUE)); `KEY` → (KEY, None).
pub fn parse_build_args(items: &[String]) -> BTreeMap<String, Option<String>> {
    items
        .iter()
        .map(|item| match item.split_once('=') {
            Some((key, value)) => (key.to_string(), Some(value.to_string())),
            None => (item.clone(), None),
        })
        .collect()
}

pub fn run(mut global: GlobalArgs, args: BuildArgs) -> Result<i32> {
    let services = global.take_file_arguments(&args.services);
    let loaded = super::load_project(&global.load_options(&services)?)?;
    let progress = if args.quiet {
        crate::progress::Progress::quiet()
    } else {
        global.progress("Building")
    };
    let options = build::Options {
        services,
        with_deps: args.with_dependencies,
        args: parse_build_args(&args.build_args),
        no_cache: args.no_cache,
        pull: args.pull,
        output: !args.quiet,
        push: args.push,
    };
    let result = block_on(async {
        let engine = engine().await?;
        build::build(
            &engine.docker,
            &loaded.project,
            &loaded.environment,
            &options,
            &progress,
        )
        .await
    });
    progress.finish();
    result.map(|_| 0)
}
