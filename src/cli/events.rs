//! `rcompose events`: the project's container events as they happen, until Ctrl-C.

use clap::Args;

use super::GlobalArgs;
use super::target::{block_on, engine_and_target};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};
use crate::ops::events;

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Output events as a stream of JSON objects
    #[arg(long)]
    pub json: bool,
    /// Show the events since this time (a date, a Unix timestamp, or a duration ago: 10m)
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Stream the events until this time (then stop)
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Services (all when none is given)
    pub services: Vec<String>,
}

/// `--since`/`--until` text as a time.
fn time(flag: &str, text: Option<&str>) -> Result<Option<SystemTime>> {
    let Some(text) = text else { return Ok(None) };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default();
    let seconds = crate::ops::logs::parse_time(text, now)
        .map_err(|e| Error::new(format!("events {flag}: {e}")))?;
    Ok(UNIX_EPOCH.checked_add(Duration::from_secs_f64(seconds.max(0.0))))
}

pub fn run(global: GlobalArgs, args: EventsArgs) -> Result<i32> {
    let since = time("--since", args.since.as_deref())?;
    let until = time("--until", args.until.as_deref())?;
    block_on(async {
        let (engine, target) = engine_and_target(&global, &args.services).await?;
        events::events(
            &engine.docker,
            &target.name,
            &args.services,
            args.json,
            since,
            until,
            &global.warnings(),
        )
        .await?;
        Ok(0)
    })
}
