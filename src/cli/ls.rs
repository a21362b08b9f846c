//! `rcompose ls`: the compose projects on the engine.

use clap::{Args, ValueEnum};

use super::target::{block_on, engine};
use crate::engine::observe;
use crate::error::{Error, Result};
use crate::ops::ls;

#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub enum Format {
    #[default]
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct LsArgs {
    /// Show all stopped projects too
    #[arg(short, long)]
    pub all: bool,
    /// Only display project names
    #[arg(short, long)]
    pub quiet: bool,
    /// Filter output based on conditions provided (name=TEXT)
    #[arg(long, value_name = "FILTER")]
    pub filter: Option<String>,
    /// Format the output
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub fn run(args: LsArgs) -> Result<i32> {
    let name = match &args.filter {
        None => None,
        Some(filter) => match filter.split_once('=') {
            Some(("name", value)) => Some(value.to_string()),
            _ => {
                return Err(Error::new(format!("invalid --filter {filter:?}"))
                    .with_hint("the only filter is name=TEXT"));
            }
        },
    };
    block_on(async {
        let engine = engine().await?;
        let projects = observe::projects(&engine.docker).await?;
        let list = ls::select(projects, args.all, name.as_deref());
        let text = if args.quiet {
            list.iter().map(|p| format!("{}\n", p.name)).collect()
        } else {
            match args.format {
                Format::Table => ls::table(&list),
                Format::Json => ls::json(&list),
            }
        };
        super::write_output(&text, None)?;
        Ok(0)
    })
}
