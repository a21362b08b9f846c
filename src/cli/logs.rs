//! `rcompose logs`: the output of the project's containers, multiplexed with `service-n |`
//! prefixes. Works without a compose file, finding the project on the engine.

use std::time::{SystemTime, UNIX_EPOCH};

use clap::Args;

use super::GlobalArgs;
use super::target::{block_on, engine, resolve};
use crate::engine::logs::Request;
use crate::error::{Error, Result};
use crate::ops::logs::{self, Options, Style};

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Follow log output (also shows containers that start later)
    #[arg(long)]
    pub follow: bool,
    /// Number of lines to show from the end of the logs of each container
    #[arg(short = 'n', long, value_name = "N", default_value = "all")]
    pub tail: String,
    /// Show logs since a timestamp (2024-05-01T10:00:00Z) or relative time (42m)
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Show logs before a timestamp (2024-05-01T10:00:00Z) or relative time (42m)
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Show timestamps
    #[arg(short, long)]
    pub timestamps: bool,
    /// Produce monochrome output
    #[arg(long)]
    pub no_color: bool,
    /// Don't print a prefix in logs
    #[arg(long)]
    pub no_log_prefix: bool,
    /// Index of the container if the service has multiple replicas
    #[arg(long, value_name = "N")]
    pub index: Option<u32>,
    /// Services (all when none is given; a `.yml` file given here is taken as a compose file)
    pub args: Vec<String>,
}

/// Unix seconds now, with their fraction.
fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// Whole Unix seconds for the engine, rounded by `round` (down for `--since`, up for `--until`,
/// so that no line of the asked period is left out).
fn time_option(flag: &str, text: Option<&String>, round: fn(f64) -> f64) -> Result<Option<i64>> {
    text.map(|t| {
        logs::parse_time(t, now())
            .map(|seconds| round(seconds) as i64)
            .map_err(|e| Error::new(format!("--{flag}: {e}")))
    })
    .transpose()
}

pub fn run(mut global: GlobalArgs, args: LogsArgs) -> Result<i32> {
    let services = global.take_file_arguments(&args.args);
    let tail = match args.tail.as_str() {
        "all" | "-1" => None,
        n if n.parse::<u64>().is_ok() => Some(n.to_string()),
        other => {
            return Err(Error::new(format!("invalid --tail {other:?}"))
                .with_hint("give a number of lines, or `all`"));
        }
    };
    let options = Options {
        services: services.clone(),
        index: args.index,
        request: Request {
            follow: args.follow,
            tail,
            since: time_option("since", args.since.as_ref(), f64::floor)?,
            until: time_option("until", args.until.as_ref(), f64::ceil)?,
        },
        style: Style {
            colour: !args.no_color && global.colour(),
            prefix: !args.no_log_prefix,
            timestamps: args.timestamps,
        },
    };
    block_on(async {
        let engine = engine().await?;
        let target = resolve(&global, &services, &engine).await?;
        target.check_services(&services)?;
        logs::logs(&engine.docker, &target.name, &options, &global.warnings()).await?;
        Ok(0)
    })
}
