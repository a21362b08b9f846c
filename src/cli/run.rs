//! `rcompose run SERVICE [COMMAND...]`: a one-off container of a service, after its
//! dependencies; the container's exit code becomes rcompose's.

use std::collections::BTreeMap;

use clap::Args;

use super::GlobalArgs;
use super::pull::PolicyArg;
use super::target::{block_on, context_of, engine};
use crate::error::{Error, Result};
use crate::ops::build;
use crate::ops::pull::PullPolicy;
use crate::ops::run::{self, Options, Ran};
use crate::ops::up_images::{self, BuildMode};
use crate::progress::Progress;
use crate::project::load::dotenv;
use crate::terminal;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Run the container in the background and print its name
    #[arg(short, long)]
    pub detach: bool,
    /// Remove the container when it exits
    #[arg(long)]
    pub rm: bool,
    /// Disable pseudo-TTY allocation (by default one is allocated when stdin is a terminal)
    #[arg(short = 'T', long = "no-tty", alias = "no-TTY")]
    pub no_tty: bool,
    /// Keep standard input open even if not attached (default: yes; `--interactive=false`)
    #[arg(short, long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub interactive: bool,
    /// Set environment variables from a file (dotenv format; `-e` wins; repeatable)
    #[arg(long = "env-from-file", value_name = "FILE")]
    pub env_from_file: Vec<std::path::PathBuf>,
    /// Add Linux capabilities (repeatable)
    #[arg(long = "cap-add", value_name = "CAP")]
    pub cap_add: Vec<String>,
    /// Drop Linux capabilities (repeatable)
    #[arg(long = "cap-drop", value_name = "CAP")]
    pub cap_drop: Vec<String>,
    /// Build the image before starting the container
    #[arg(long)]
    pub build: bool,
    /// Pull the image before running: always, missing, never, build (default: the service's pull_policy)
    #[arg(long, value_enum, value_name = "POLICY")]
    pub pull: Option<PolicyArg>,
    /// Don't print anything to standard output but the command's own output
    #[arg(short, long)]
    pub quiet: bool,
    /// Suppress the output of the build
    #[arg(long)]
    pub quiet_build: bool,
    /// Pull without printing progress information
    #[arg(long)]
    pub quiet_pull: bool,
    /// Remove containers for services not defined in the compose file
    #[arg(long, env = "COMPOSE_REMOVE_ORPHANS", value_parser = clap::builder::BoolishValueParser::new())]
    pub remove_orphans: bool,
    /// Set environment variables (KEY=VALUE, or KEY to take it from here; repeatable)
    #[arg(short, long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Bind mount a volume (repeatable)
    #[arg(short, long = "volume", alias = "volumes", value_name = "SPEC")]
    pub volumes: Vec<String>,
    /// Publish a container's port to the host (`-p` after `run`; repeatable)
    #[arg(long = "publish", value_name = "PORTS")]
    pub publish: Vec<String>,
    /// Run with the service's ports published
    #[arg(short = 'P', long)]
    pub service_ports: bool,
    /// Don't start linked services
    #[arg(long)]
    pub no_deps: bool,
    /// Override the entrypoint of the image
    #[arg(long, value_name = "CMD")]
    pub entrypoint: Option<String>,
    /// Assign a name to the container
    #[arg(long)]
    pub name: Option<String>,
    /// Run as this user
    #[arg(short, long, value_name = "USER")]
    pub user: Option<String>,
    /// Working directory inside the container
    #[arg(short, long, value_name = "DIR")]
    pub workdir: Option<String>,
    /// Add or override a label (KEY=VALUE; repeatable)
    #[arg(short, long = "label", value_name = "KEY=VALUE")]
    pub labels: Vec<String>,
    /// Use the service's network aliases in the networks it joins
    #[arg(long)]
    pub use_aliases: bool,
    /// The service
    pub service: String,
    /// The command and its arguments (default: the service's command)
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

/// `-e KEY=VALUE` as given; `-e KEY` takes KEY's value from the project's environment (the
/// shell's, `.env`, `--env-file`, `COMPOSE_ENV_FILES`), or from the shell's without a project,
/// and is dropped when unset, as docker compose does.
pub fn environment(pairs: &[String], project: Option<&BTreeMap<String, String>>) -> Vec<String> {
    pairs
        .iter()
        .filter_map(|pair| {
            if pair.contains('=') {
                return Some(pair.clone());
            }
            let value = match project {
                Some(environment) => environment.get(pair).cloned(),
                None => std::env::var(pair).ok(),
            };
            value.map(|value| format!("{pair}={value}"))
        })
        .collect()
}

/// `--env-from-file` files read into `KEY=VALUE` pairs after the `-e` ones (which win), each
/// file's `${VAR}` resolved from the `-e` values, as docker compose does.
fn environment_from_files(env: Vec<String>, files: &[std::path::PathBuf]) -> Result<Vec<String>> {
    let mut pairs = env;
    for file in files {
        let given: Vec<(String, String)> = pairs
            .iter()
            .filter_map(|p| {
                p.split_once('=')
                    .map(|(k, v)| (k.to_string(), v.to_string()))
            })
            .collect();
        let lookup = |name: &str| {
            given
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        for (key, value) in dotenv::parse_file(file, &lookup)? {
            if !given.iter().any(|(k, _)| *k == key) {
                pairs.push(format!("{key}={value}"));
            }
        }
    }
    Ok(pairs)
}

pub fn run(global: GlobalArgs, args: RunArgs) -> Result<i32> {
    let opts = global.load_options(std::slice::from_ref(&args.service))?;
    let loaded = super::load_project(&global, &opts)?;
    if !loaded.project.services.contains_key(&args.service) {
        return Err(Error::new(format!("no such service: {}", args.service)));
    }
    loaded.require_environment(std::slice::from_ref(&args.service), args.no_deps)?;
    let entrypoint = args
        .entrypoint
        .as_deref()
        .map(|e| {
            shell_words::split(e)
                .map_err(|err| Error::new(format!("invalid --entrypoint {e:?}: {err}")))
        })
        .transpose()?;
    let options = Options {
        service: args.service,
        command: args.command,
        entrypoint,
        name: args.name,
        detach: args.detach,
        remove: args.rm,
        tty: !args.no_tty && !args.detach && terminal::stdin_is_terminal(),
        // `run -d` keeps the container's standard input open, as docker compose does.
        interactive: args.interactive,
        env: environment_from_files(
            environment(&args.env, Some(&loaded.environment)),
            &args.env_from_file,
        )?,
        volumes: args.volumes,
        publish: args.publish,
        service_ports: args.service_ports,
        no_deps: args.no_deps,
        user: args.user,
        workdir: args.workdir,
        labels: args.labels,
        use_aliases: args.use_aliases,
        cap_add: args.cap_add,
        cap_drop: args.cap_drop,
        images: up_images::Options {
            build_mode: if args.build {
                BuildMode::Always
            } else {
                BuildMode::Missing
            },
            pull: args.pull.map(PullPolicy::from),
            quiet_pull: args.quiet_pull || args.quiet,
            build: build::Options {
                output: !(args.quiet_build || args.quiet),
                ..build::Options::default()
            },
            environment: loaded.environment.clone(),
        },
        remove_orphans: args.remove_orphans || loaded.flag("COMPOSE_REMOVE_ORPHANS"),
        ignore_orphans: loaded.flag("COMPOSE_IGNORE_ORPHANS"),
    };
    let progress = if args.quiet {
        Progress::quiet()
    } else {
        Progress::plain()
    };
    let context = context_of(&loaded);
    block_on(async {
        let engine = engine().await?;
        let ran = run::run(
            &engine.docker,
            &loaded.project,
            &context,
            &options,
            &progress,
        )
        .await?;
        match ran {
            Ran::Detached(name) => {
                super::write_output(&format!("{name}\n"), None)?;
                Ok(0)
            }
            Ran::Exited(code) => Ok(i32::try_from(code).unwrap_or(1)),
        }
    })
}
