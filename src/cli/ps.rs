//! `rcompose ps`: the project's containers. Works without a compose file, finding the project
//! on the engine.

use clap::Args;

use super::GlobalArgs;
use super::target::{block_on, engine, resolve};
use crate::engine::observe;
use crate::error::{Error, Result};
use crate::ops::ps;

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
    /// Filter by status (created, running, paused, restarting, removing, exited, dead;
    /// repeatable; implies --all)
    #[arg(long, value_name = "STATUS")]
    pub status: Vec<String>,
    /// Filter by a property: status=STATUS
    #[arg(long, value_name = "KEY=VALUE")]
    pub filter: Option<String>,
    /// Don't truncate output
    #[arg(long)]
    pub no_trunc: bool,
    /// Include orphaned services (not declared by the project): `--orphans=false` leaves them out
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub orphans: bool,
    /// Format the output: table, json, a Go template (`{{.Name}}\t{{.Status}}`) or `table
    /// TEMPLATE` (default: the docker CLI's `psFormat` from its config.json, else table)
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Services to show (a `.yml` file given here is taken as a compose file)
    pub args: Vec<String>,
}

/// The states asked for by `--status` and `--filter status=...`, checked.
fn statuses(args: &PsArgs) -> Result<Vec<String>> {
    let mut statuses = args.status.clone();
    if let Some(filter) = &args.filter {
        match filter.split_once('=') {
            Some(("status", value)) => statuses.push(value.to_string()),
            Some((key, _)) => {
                return Err(
                    Error::new(format!("ps --filter {filter:?}: unknown filter {key:?}"))
                        .with_hint(
                            "the only filter is status=STATUS, for example --filter status=running",
                        ),
                );
            }
            None => {
                return Err(
                    Error::new(format!("ps --filter {filter:?} is not KEY=VALUE")).with_hint(
                        "use --filter status=STATUS, for example --filter status=running",
                    ),
                );
            }
        }
    }
    for status in &statuses {
        if !ps::STATUSES.contains(&status.as_str()) {
            return Err(Error::new(format!("ps: unknown status {status:?}"))
                .with_hint(format!("use one of: {}", ps::STATUSES.join(", "))));
        }
    }
    Ok(statuses)
}

pub fn run(mut global: GlobalArgs, args: PsArgs) -> Result<i32> {
    let services = global.take_file_arguments(&args.args);
    let statuses = statuses(&args)?;
    let format = match &args.format {
        Some(format) => format.clone(),
        None => match crate::docker_cli::config() {
            Ok(config) => config.ps_format.unwrap_or_else(|| "table".to_string()),
            Err(e) => {
                // As the docker CLI does, a broken config.json is a warning.
                global.warnings().warn(e.to_string());
                "table".to_string()
            }
        },
    };
    block_on(async {
        let engine = engine().await?;
        let target = resolve(&global, &services, &engine).await?;
        target.check_services(&services)?;
        let all = observe::project_containers(&engine.docker, &target.name).await?;
        let mut list = ps::select(all, &services, args.all, &statuses);
        if !args.orphans
            && let Some(project) = target.project()
        {
            list.retain(|c| project.services.contains_key(&c.service));
        }
        observe::note_out_of_memory(&engine.docker, &mut list).await;
        let text = if args.quiet {
            list.iter().map(|c| format!("{}\n", c.id)).collect()
        } else if args.services {
            let mut names: Vec<&str> = Vec::new();
            for c in &list {
                if !names.contains(&c.service.as_str()) {
                    names.push(c.service.as_str());
                }
            }
            names.iter().map(|n| format!("{n}\n")).collect()
        } else {
            match format.as_str() {
                "table" => ps::table_of(&list, args.no_trunc),
                "json" => ps::json_lines(&list),
                template => ps::templated(&list, template, args.no_trunc)
                    .map_err(|e| Error::new(format!("ps --format: {e}")))?,
            }
        };
        super::write_output(&text, None)?;
        Ok(0)
    })
}
