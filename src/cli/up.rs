//! `rcompose up` and `rcompose create`: converge the project, then attach to its output or
//! return (`-d`).

use std::collections::BTreeMap;
use std::time::Duration;

use clap::Args;
use tokio::signal::unix::{SignalKind, signal};

use super::GlobalArgs;
use super::pull::PolicyArg;
use super::target::{block_on, context_of, engine};
use crate::engine::events::Subscription;
use crate::error::{Error, Result};
use crate::ops::attach::{self, End};
use crate::ops::hooks::{self, Hooks};
use crate::ops::lifecycle::{self, Reach, Verb};
use crate::ops::plan::{self, RecreatePolicy};
use crate::ops::pull::PullPolicy;
use crate::ops::up_images::{self, BuildMode};
use crate::ops::{build, up};

#[derive(Debug, Args)]
pub struct UpArgs {
    /// Detached mode: run containers in the background
    #[arg(short, long)]
    pub detach: bool,
    /// Wait for services to be running|healthy (implies --detach)
    #[arg(long)]
    pub wait: bool,
    /// Maximum duration in seconds to wait for the project to be running|healthy
    #[arg(long, value_name = "SECONDS")]
    pub wait_timeout: Option<u64>,
    /// Don't start linked services
    #[arg(long)]
    pub no_deps: bool,
    /// Recreate containers even if their configuration hasn't changed
    #[arg(long, conflicts_with = "no_recreate")]
    pub force_recreate: bool,
    /// If containers already exist, don't recreate them
    #[arg(long)]
    pub no_recreate: bool,
    /// Remove containers for services not defined in the compose file
    #[arg(
        long,
        env = "COMPOSE_REMOVE_ORPHANS",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub remove_orphans: bool,
    /// Scale SERVICE to NUM instances (overrides `scale` and `deploy.replicas`)
    #[arg(long, value_name = "SERVICE=NUM")]
    pub scale: Vec<String>,
    /// Stop all containers if any container was stopped
    #[arg(long, conflicts_with = "detach")]
    pub abort_on_container_exit: bool,
    /// Return the exit code of the selected service container (implies --abort-on-container-exit)
    #[arg(long, value_name = "SERVICE", conflicts_with = "detach")]
    pub exit_code_from: Option<String>,
    /// Don't start the services after creating them
    #[arg(long)]
    pub no_start: bool,
    /// Seconds to wait for containers to stop when shutting down
    #[arg(short, long, value_name = "SECONDS")]
    pub timeout: Option<i64>,
    /// Stop all containers if any container exited with a non-zero code
    #[arg(long, conflicts_with_all = ["detach", "abort_on_container_exit"])]
    pub abort_on_container_failure: bool,
    /// Attach to the output of these services only (repeatable)
    #[arg(long, value_name = "SERVICE", conflicts_with = "detach")]
    pub attach: Vec<String>,
    /// Don't attach to the output of these services (repeatable)
    #[arg(long, value_name = "SERVICE", conflicts_with = "detach")]
    pub no_attach: Vec<String>,
    /// Attach to the output of the dependencies of the named services too
    #[arg(long, conflicts_with = "detach")]
    pub attach_dependencies: bool,
    /// Recreate the containers of the dependencies too (not available yet)
    #[arg(long, conflicts_with = "no_recreate")]
    pub always_recreate_deps: bool,
    /// Produce monochrome output
    #[arg(long)]
    pub no_color: bool,
    /// Don't print the `service-1 |` prefix in the output
    #[arg(long)]
    pub no_log_prefix: bool,
    /// Show timestamps in the output
    #[arg(long)]
    pub timestamps: bool,
    /// Recreate anonymous volumes instead of taking the data of the previous containers
    #[arg(short = 'V', long)]
    pub renew_anon_volumes: bool,
    /// Assume "yes" to every question: recreate the volumes whose definition changed (their
    /// data is lost; without it they are kept, with a warning)
    #[arg(short, long)]
    pub yes: bool,
    /// Interactive shortcuts while attached (not available in rcompose)
    #[arg(long, env = "COMPOSE_MENU", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = clap::builder::BoolishValueParser::new(), value_name = "BOOL")]
    pub menu: Option<bool>,
    /// Watch source code and rebuild/refresh containers when files are updated
    #[arg(short, long, conflicts_with_all = ["detach", "wait", "no_start"])]
    pub watch: bool,
    #[command(flatten)]
    pub images: ImageArgs,
    /// Services to start (a `.yml` file given here is taken as a compose file)
    pub args: Vec<String>,
}

/// How `up` and `create` get the images they need.
#[derive(Debug, Args, Default)]
pub struct ImageArgs {
    /// Build images before starting containers
    #[arg(long, conflicts_with = "no_build")]
    pub build: bool,
    /// Don't build an image, even if it's missing
    #[arg(long)]
    pub no_build: bool,
    /// Pull images before running: always, missing, never, build (overrides pull_policy)
    #[arg(long, value_enum, value_name = "POLICY")]
    pub pull: Option<PolicyArg>,
    /// Pull without printing layer progress
    #[arg(long)]
    pub quiet_pull: bool,
    /// Suppress the build output
    #[arg(long)]
    pub quiet_build: bool,
}

impl ImageArgs {
    fn options(&self, loaded: &crate::project::load::Loaded) -> up_images::Options {
        up_images::Options {
            build_mode: if self.build {
                BuildMode::Always
            } else if self.no_build {
                BuildMode::Never
            } else {
                BuildMode::Missing
            },
            pull: self.pull.map(PullPolicy::from),
            quiet_pull: self.quiet_pull,
            build: build::Options {
                output: !self.quiet_build,
                ..build::Options::default()
            },
            environment: loaded.environment.clone(),
        }
    }
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Recreate containers even if their configuration hasn't changed
    #[arg(long, conflicts_with = "no_recreate")]
    pub force_recreate: bool,
    /// If containers already exist, don't recreate them
    #[arg(long)]
    pub no_recreate: bool,
    /// Remove containers for services not defined in the compose file
    #[arg(
        long,
        env = "COMPOSE_REMOVE_ORPHANS",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub remove_orphans: bool,
    /// Scale SERVICE to NUM instances
    #[arg(long, value_name = "SERVICE=NUM")]
    pub scale: Vec<String>,
    /// Assume "yes" to every question: recreate the volumes whose definition changed (their
    /// data is lost; without it they are kept, with a warning)
    #[arg(short, long)]
    pub yes: bool,
    #[command(flatten)]
    pub images: ImageArgs,
    /// Services to create
    pub args: Vec<String>,
}

impl UpArgs {
    /// `up -d` of `services`, every other option at its default.
    pub fn detached(services: Vec<String>) -> UpArgs {
        UpArgs {
            detach: true,
            wait: false,
            wait_timeout: None,
            no_deps: false,
            force_recreate: false,
            no_recreate: false,
            remove_orphans: false,
            scale: Vec::new(),
            abort_on_container_exit: false,
            exit_code_from: None,
            no_start: false,
            timeout: None,
            abort_on_container_failure: false,
            attach: Vec::new(),
            no_attach: Vec::new(),
            attach_dependencies: false,
            always_recreate_deps: false,
            no_color: false,
            no_log_prefix: false,
            timestamps: false,
            renew_anon_volumes: false,
            yes: false,
            menu: None,
            watch: false,
            images: ImageArgs::default(),
            args: services,
        }
    }
}

fn parse_scale(items: &[String]) -> Result<BTreeMap<String, u32>> {
    items
        .iter()
        .map(|item| {
            let bad = || {
                Error::new(format!("invalid --scale {item:?}"))
                    .with_hint("use --scale SERVICE=NUM, for example --scale web=3")
            };
            let (name, n) = item.split_once('=').ok_or_else(bad)?;
            let n: u32 = n.trim().parse().map_err(|_| bad())?;
            Ok((name.trim().to_string(), n))
        })
        .collect()
}

pub fn run_create(global: GlobalArgs, args: CreateArgs) -> Result<i32> {
    let up_args = UpArgs {
        force_recreate: args.force_recreate,
        no_recreate: args.no_recreate,
        remove_orphans: args.remove_orphans,
        scale: args.scale,
        no_start: true,
        yes: args.yes,
        images: args.images,
        ..UpArgs::detached(args.args)
    };
    run(global, up_args)
}

/// The services whose output an attached `up` shows, as docker compose picks them: `--attach`
/// when given; else the named services (with their dependencies under
/// `--attach-dependencies`), or all; less `--no-attach` and services with `attach: false`.
fn attached_services(
    project: &crate::project::model::Project,
    named: &[String],
    started: &[String],
    args: &UpArgs,
) -> Vec<String> {
    let chosen: Vec<String> = if !args.attach.is_empty() {
        args.attach.clone()
    } else if !named.is_empty() && !args.attach_dependencies {
        named.to_vec()
    } else {
        started
            .iter()
            .filter(|s| {
                project
                    .services
                    .get(*s)
                    .is_none_or(|service| service.attach != Some(false))
            })
            .cloned()
            .collect()
    };
    chosen
        .into_iter()
        .filter(|s| !args.no_attach.contains(s))
        .collect()
}

pub fn run(mut global: GlobalArgs, args: UpArgs) -> Result<i32> {
    if args.menu == Some(true) {
        return Err(Error::new(
            "--menu (interactive shortcuts while attached) is not available in rcompose",
        )
        .with_hint("leave out --menu (and unset COMPOSE_MENU)"));
    }
    if args.always_recreate_deps {
        return Err(Error::new(
            "--always-recreate-deps is not done yet: the plan of up is being reworked to recreate dependencies on their own policy",
        )
        .with_hint("use --force-recreate with the services and their dependencies named"));
    }
    let services = global.take_file_arguments(&args.args);
    let opts = global.load_options(&services)?;
    let loaded = super::load_project(&global, &opts)?;
    loaded.require_environment(&services, args.no_deps)?;
    // As docker compose: `up` of a project without an active service is a mistake (`create`
    // and `--all-resources` make its networks and volumes).
    if !args.no_start && !global.all_resources && loaded.project.services.is_empty() {
        return Err(Error::new("no service selected").with_hint(
            "add a service, enable its profile (--profile), or pass --all-resources to create only the networks and volumes",
        ));
    }
    if args.watch && crate::ops::watch::watched_services(&loaded.project, &services).is_empty() {
        return Err(Error::new(crate::ops::watch::NOTHING_TO_WATCH)
            .with_hint("add `develop: {watch: [...]}` rules to the services to watch"));
    }
    let scale = parse_scale(&args.scale)?;
    for name in scale
        .keys()
        .chain(args.exit_code_from.iter())
        .chain(args.attach.iter())
        .chain(args.no_attach.iter())
    {
        if !loaded.project.services.contains_key(name) {
            return Err(Error::new(format!("no such service: {name}")));
        }
    }
    for (name, &n) in &scale {
        if n > 1
            && let Some(fixed) = loaded
                .project
                .services
                .get(name)
                .and_then(|s| s.container_name.as_deref())
        {
            return Err(Error::new(format!(
                "--scale {name}={n}: service \"{name}\" sets container_name ({fixed}), so it can have only one container"
            ))
            .with_hint(format!(
                "remove container_name from service \"{name}\" (replicas are then named <project>-{name}-<number>) or scale it to 1"
            )));
        }
    }
    let options = up::Options {
        plan: plan::Options {
            recreate: if args.force_recreate {
                RecreatePolicy::Force
            } else if args.no_recreate {
                RecreatePolicy::Never
            } else {
                RecreatePolicy::Diverged
            },
            no_start: args.no_start,
            remove_orphans: args.remove_orphans || loaded.flag("COMPOSE_REMOVE_ORPHANS"),
            ignore_orphans: loaded.flag("COMPOSE_IGNORE_ORPHANS"),
            services: services.clone(),
            no_deps: args.no_deps,
        },
        scale,
        parallel: global.parallel_limit(),
        wait: args.wait,
        wait_timeout: args.wait_timeout.map(Duration::from_secs),
        dry_run: global.dry_run,
        images: args.images.options(&loaded),
        renew_anon_volumes: args.renew_anon_volumes,
        recreate_volumes: args.yes,
        hook_output: hooks::Output::Quiet,
        all_resources: global.all_resources,
    };
    let detach = args.detach || args.wait || args.no_start || global.dry_run;
    let abort = if args.abort_on_container_exit || args.exit_code_from.is_some() {
        attach::Abort::OnExit
    } else if args.abort_on_container_failure {
        attach::Abort::OnFailure
    } else {
        attach::Abort::Never
    };
    let style = crate::ops::logs::Style {
        colour: !args.no_color && global.colour(),
        prefix: !args.no_log_prefix,
        timestamps: args.timestamps,
    };
    // Attached, hooks' output shows among the logs, as with docker compose.
    let hook_output = if detach {
        hooks::Output::Quiet
    } else {
        hooks::Output::Attached(style)
    };
    let options = up::Options {
        hook_output,
        ..options
    };
    let hooks = Hooks::of(Some(&loaded.project), hook_output);
    let context = context_of(&loaded);
    let progress = global.progress("Running");
    let result = block_on(async {
        // Ctrl-C from here on is ours: during the rollout it stops the rollout (the engine is
        // left in a state the next `up` converges from), and attached it stops the project.
        let mut interrupts = signal(SignalKind::interrupt())
            .map_err(|e| Error::new(format!("cannot handle Ctrl-C: {e}")))?;
        let engine = engine().await?;
        let events = Subscription::start(&engine.docker, &loaded.project.name);
        // Attached, the exits of the rollout are told too (`exited with code 1 (restarting)`).
        let exits = events.receiver();
        let rollout = up::up(
            &engine.docker,
            &loaded.project,
            &context,
            &options,
            &progress,
            &events,
        );
        let converged = tokio::select! {
            converged = rollout => converged?,
            _ = interrupts.recv() => {
                progress.finish();
                // The answer to the user's Ctrl+C, not a warning: shown in every --progress
                // mode, as docker compose shows "Gracefully stopping...".
                eprintln!("interrupted: the rollout stopped; run `rcompose up` again to finish it");
                if !detach {
                    eprintln!("Gracefully stopping... (press Ctrl+C again to force)");
                    // The services `up` was asked for (all when none), not their dependencies.
                    let chosen = lifecycle::select(&engine.docker, &loaded.project.name, Some(&loaded.project), &services, Reach::Named).await?;
                    let stop_verb = Verb::Stop { timeout: args.timeout };
                    tokio::select! {
                        result = lifecycle::run(&engine.docker, &chosen, &stop_verb, global.parallel_limit(), &progress, &hooks) => result?,
                        _ = interrupts.recv() => {}
                    }
                }
                return Ok(130);
            }
        };
        progress.finish();
        if global.dry_run {
            super::write_output(&converged.plan.to_string(), None)?;
            return Ok(0i32);
        }
        if detach {
            return Ok(0);
        }
        let started: Vec<String> = converged.containers.keys().cloned().collect();
        let shown = attached_services(&loaded.project, &services, &started, &args);
        let mut attached = converged.containers.clone();
        attached.retain(|service, _| shown.contains(service));
        let attaching = attach::attach(
            &engine.docker,
            &loaded.project.name,
            &attached,
            exits,
            attach::Until {
                abort,
                watched: &services,
            },
            style,
            &progress,
        );
        // `--watch`: the watch rules are followed while attached (see ops::watch).
        let end = if args.watch {
            let options = super::watch::options(
                &global,
                &loaded,
                &services,
                args.images.quiet_build,
                true,
                true,
            );
            let watching = crate::ops::watch::watch(
                &engine.docker,
                &loaded.project,
                &context,
                &options,
                &progress,
            );
            tokio::select! {
                end = attaching => end?,
                result = watching => { result?; End::Interrupted }
            }
        } else {
            attaching.await?
        };
        let code: i64 = match &end {
            End::AllStopped => 0,
            End::Exited { service, code } => match &args.exit_code_from {
                Some(wanted) if wanted != service => 0,
                _ => *code,
            },
            End::Interrupted => 130,
        };
        match &end {
            End::AllStopped => return Ok(0),
            // docker compose's words, on standard output after the logs.
            End::Exited { .. } => println!("Aborting on container exit..."),
            // The answer to Ctrl+C, in every --progress mode as with docker compose.
            End::Interrupted => {
                eprintln!("Gracefully stopping... (press Ctrl+C again to force)")
            }
        }
        // The services `up` was asked for (all when none), not their dependencies.
        let chosen = lifecycle::select(
            &engine.docker,
            &loaded.project.name,
            Some(&loaded.project),
            &services,
            Reach::Named,
        )
        .await?;
        let stop_verb = Verb::Stop {
            timeout: args.timeout,
        };
        let stop = lifecycle::run(
            &engine.docker,
            &chosen,
            &stop_verb,
            global.parallel_limit(),
            &progress,
            &hooks,
        );
        tokio::select! {
            result = stop => result?,
            _ = tokio::signal::ctrl_c() => {
                lifecycle::run(&engine.docker, &chosen, &Verb::Kill { signal: "SIGKILL".to_string() }, global.parallel_limit(), &progress, &Hooks::none()).await?;
            }
        }
        // exit-code-from a service that was not the first to exit: ask the engine.
        if let Some(wanted) = &args.exit_code_from {
            let list = lifecycle::containers_of(
                &engine.docker,
                &loaded.project.name,
                std::slice::from_ref(wanted),
            )
            .await?;
            if let Some(c) = list.first() {
                return Ok(i32::try_from(c.exit_code.unwrap_or(code)).unwrap_or(1));
            }
        }
        Ok(i32::try_from(code).unwrap_or(1))
    });
    progress.finish();
    result
}
