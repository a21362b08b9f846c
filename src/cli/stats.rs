//! `rcompose stats`: live resource usage of the project's containers (`--no-stream`: once).

use std::io::IsTerminal;

use clap::{Args, ValueEnum};

use super::GlobalArgs;
use super::target::{block_on, engine_and_target};
use crate::error::Result;
use crate::ops::lifecycle::containers_of;
use crate::ops::stats;

#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub enum Format {
    #[default]
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Disable streaming stats and only pull the first result
    #[arg(long)]
    pub no_stream: bool,
    /// Show all containers (default: the running ones)
    #[arg(short, long)]
    pub all: bool,
    /// Do not truncate output
    #[arg(long)]
    pub no_trunc: bool,
    /// Format the output
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Services (all when none is given)
    pub services: Vec<String>,
}

pub fn run(global: GlobalArgs, args: StatsArgs) -> Result<i32> {
    block_on(async {
        let (engine, target) = engine_and_target(&global, &args.services).await?;
        let redraw = !args.no_stream && std::io::stdout().is_terminal();
        loop {
            let list = containers_of(&engine.docker, &target.name, &args.services).await?;
            // Each sample takes the engine about a second: it paces the refresh.
            let samples = tokio::select! {
                samples = stats::collect_all(&engine.docker, &list, args.all) => samples?,
                _ = tokio::signal::ctrl_c() => return Ok(0),
            };
            let mut text = match args.format {
                Format::Table => stats::table(&samples, args.no_trunc),
                Format::Json => stats::json_lines(&samples),
            };
            if redraw {
                text = format!("\x1b[2J\x1b[H{text}");
            }
            super::write_output(&text, None)?;
            if args.no_stream || samples.is_empty() {
                return Ok(0);
            }
        }
    })
}
