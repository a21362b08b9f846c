//! `rcompose images`: the images the project's containers run.

use clap::{Args, ValueEnum};

use super::GlobalArgs;
use super::target::{block_on, engine_and_target};
use crate::error::Result;
use crate::ops::images;
use crate::ops::lifecycle::containers_of;

#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub enum Format {
    #[default]
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct ImagesArgs {
    /// Only display IDs
    #[arg(short, long)]
    pub quiet: bool,
    /// Format the output
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Services (all when none is given)
    pub services: Vec<String>,
}

pub fn run(global: GlobalArgs, args: ImagesArgs) -> Result<i32> {
    block_on(async {
        let (engine, target) = engine_and_target(&global, &args.services).await?;
        let list = containers_of(&engine.docker, &target.name, &args.services).await?;
        let rows = images::images(&engine.docker, &list).await?;
        let text = if args.quiet {
            let mut ids: Vec<String> = rows.iter().map(|r| format!("{}\n", r.id)).collect();
            ids.dedup();
            ids.concat()
        } else {
            match args.format {
                Format::Table => images::table(&rows),
                Format::Json => images::json(&rows),
            }
        };
        super::write_output(&text, None)?;
        Ok(0)
    })
}
