//! `rcompose watch [SERVICE...]`: build and start the services (unless `--no-up`), then follow
//! their `develop.watch` rules until Ctrl-C, which stops watching and leaves the containers
//! running.

use clap::{ArgAction, Args};
use tokio::signal::unix::{SignalKind, signal};

use super::GlobalArgs;
use super::target::{block_on, context_of, engine};
use crate::engine::events::Subscription;
use crate::error::{Error, Result};
use crate::ops::plan::{self, RecreatePolicy};
use crate::ops::up_images::{self, BuildMode};
use crate::ops::{build, up, watch};

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Do not build & start services before watching
    #[arg(long)]
    pub no_up: bool,
    /// Prune dangling images on rebuild (default true)
    #[arg(
        long,
        value_name = "BOOL",
        num_args = 0..=1,
        require_equals = true,
        default_value_t = true,
        default_missing_value = "true",
        action = ArgAction::Set,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub prune: bool,
    /// Hide build output
    #[arg(long)]
    pub quiet: bool,
    /// Services to watch (all with `develop.watch` rules when none is named)
    pub services: Vec<String>,
}

/// The options of watching that `watch` and `up --watch` share.
pub fn options(
    global: &GlobalArgs,
    loaded: &crate::project::load::Loaded,
    services: &[String],
    quiet: bool,
    prune: bool,
    attached: bool,
) -> watch::Options {
    watch::Options {
        services: services.to_vec(),
        prune,
        build: build::Options {
            output: !quiet,
            ..build::Options::default()
        },
        environment: loaded.environment.clone(),
        parallel: global.parallel_limit(),
        attached,
    }
}

pub fn run(mut global: GlobalArgs, args: WatchArgs) -> Result<i32> {
    let services = global.take_file_arguments(&args.services);
    let opts = global.load_options(&services)?;
    let loaded = super::load_project(&global, &opts)?;
    loaded.require_environment(&services, false)?;
    for name in &services {
        if !loaded.project.services.contains_key(name) {
            return Err(Error::new(format!("no such service: {name}")));
        }
    }
    if watch::watched_services(&loaded.project, &services).is_empty() {
        return Err(Error::new(watch::NOTHING_TO_WATCH)
            .with_hint("add `develop: {watch: [...]}` rules to the services to watch"));
    }
    let options = options(&global, &loaded, &services, args.quiet, args.prune, false);
    let context = context_of(&loaded);
    let progress = global.progress("Running");
    let result = block_on(async {
        let mut interrupts = signal(SignalKind::interrupt())
            .map_err(|e| Error::new(format!("cannot handle Ctrl-C: {e}")))?;
        let engine = engine().await?;
        let docker = &engine.docker;
        let project = &loaded.project;
        let work = async {
            if !args.no_up {
                // As docker compose: the watched services' images are built first.
                watch::build_watched(docker, project, &options, &progress).await?;
                let events = Subscription::start(docker, &project.name);
                let up_options = up::Options {
                    plan: plan::Options {
                        recreate: RecreatePolicy::Diverged,
                        services: services.clone(),
                        ..plan::Options::default()
                    },
                    parallel: global.parallel_limit(),
                    images: up_images::Options {
                        build_mode: BuildMode::Missing,
                        build: options.build.clone(),
                        quiet_pull: args.quiet,
                        environment: loaded.environment.clone(),
                        ..up_images::Options::default()
                    },
                    ..up::Options::default()
                };
                up::up(docker, project, &context, &up_options, &progress, &events).await?;
            }
            progress.finish();
            watch::watch(docker, project, &context, &options, &progress).await
        };
        tokio::select! {
            result = work => result.map(|()| 0),
            // Watching stops; the containers keep running, as with docker compose.
            _ = interrupts.recv() => Ok(130),
        }
    });
    progress.finish();
    result
}
