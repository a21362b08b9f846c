//! `rcompose ps`: the project's containers. Works without a compose file, finding the project
//! on the engine.

use clap::{Args, ValueEnum};

use super::GlobalArgs;
use super::target::{block_on, engine, resolve};
use crate::engine::observe;
use crate::error::Result;
use crate::ops::ps;

#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub enum Format {
    #[default]
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct PsArgs {
    /// Show all stopped containers too
    #[arg(short, long)]
    pub all: bool,
    /// Only display IDs
    #[arg(short, long)]
    pub quiet: bool,
    /// Display services
    #[arg(long)]
    pub services: bool,
    /// Filter by status (created, running, paused, restarting, exited, dead; repeatable)
    #[arg(long, value_name = "STATUS")]
    pub status: Vec<String>,
    /// Format the output
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Services to show (a `.yml` file given here is taken as a compose file)
    pub args: Vec<String>,
}

pub fn run(mut global: GlobalArgs, args: PsArgs) -> Result<i32> {
    let services = global.take_file_arguments(&args.args);
    block_on(async {
        let engine = engine().await?;
        let target = resolve(&global, &services, &engine).await?;
        let all = observe::project_containers(&engine.docker, &target.name).await?;
        let mut list = ps::select(all, &services, args.all, &args.status);
        observe::note_out_of_memory(&engine.docker, &mut list).await;
        let text = if args.quiet {
            list.iter().map(|c| format!("{}\n", c.id)).collect()
        } else if args.services {
            let mut names: Vec<&str> = list.iter().map(|c| c.service.as_str()).collect();
            names.dedup();
            names.iter().map(|n| format!("{n}\n")).collect()
        } else {
            match args.format {
                Format::Table => ps::table(&list),
                Format::Json => ps::json_lines(&list),
            }
        };
        super::write_output(&text, None)?;
        Ok(0)
    })
}
