//! `rcompose volumes`, `rcompose export` and `rcompose commit`: the project's volumes, and a
//! service container as a tar archive or as an image.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::GlobalArgs;
use super::target::{block_on, engine_and_target};
use crate::error::{Error, Result};
use crate::ops::commit::{self, CommitOptions};
use crate::ops::select;
use crate::ops::volumes;

#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub enum Format {
    #[default]
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct VolumesArgs {
    /// Format the output
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Only display volume names
    #[arg(short, long)]
    pub quiet: bool,
    /// Services whose volumes to list (all when none is given)
    pub services: Vec<String>,
}

pub fn volumes(global: GlobalArgs, args: VolumesArgs) -> Result<i32> {
    block_on(async {
        let (engine, target) = engine_and_target(&global, &args.services).await?;
        // The volumes the named services mount, by their key under the top-level `volumes:`.
        let keys: Option<Vec<String>> = match target.project() {
            Some(project) if !args.services.is_empty() => Some(
                args.services
                    .iter()
                    .filter_map(|s| project.services.get(s))
                    .flat_map(|s| s.volumes.iter())
                    .filter_map(|v| v.source.clone())
                    .filter(|source| project.volumes.contains_key(source))
                    .collect(),
            ),
            _ => None,
        };
        let list = volumes::list(&engine.docker, &target.name, keys.as_deref()).await?;
        let text = if args.quiet {
            list.iter().map(|v| format!("{}\n", v.name)).collect()
        } else {
            match args.format {
                Format::Table => volumes::table(&list),
                Format::Json => volumes::json_lines(&list),
            }
        };
        super::write_output(&text, None)?;
        Ok(0)
    })
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Write to a file, instead of standard output
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Index of the container if the service has several replicas
    #[arg(long, value_name = "N")]
    pub index: Option<u32>,
    /// The service
    pub service: String,
}

pub fn export(global: GlobalArgs, args: ExportArgs) -> Result<i32> {
    if args.output.is_none() && std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        return Err(
            Error::new("refusing to write a tar archive to the terminal")
                .with_hint("give a file with -o, or redirect the output"),
        );
    }
    let progress = global.progress("Exporting");
    let result = block_on(async {
        let (engine, target) =
            engine_and_target(&global, std::slice::from_ref(&args.service)).await?;
        let c = select::container(
            &engine.docker,
            &target.name,
            &args.service,
            args.index,
            select::RUNNING,
        )
        .await?;
        match &args.output {
            Some(path) => {
                let mut file = std::fs::File::create(path)
                    .map_err(|e| Error::new(format!("cannot create {}: {e}", path.display())))?;
                commit::export(&engine.docker, &c, &mut file, &progress).await
            }
            None => {
                let mut out = std::io::stdout().lock();
                commit::export(&engine.docker, &c, &mut out, &progress).await
            }
        }
    });
    progress.finish();
    result.map(|()| 0)
}

#[derive(Debug, Args)]
pub struct CommitArgs {
    /// Author (e.g. "John Hannibal Smith <hannibal@a-team.com>")
    #[arg(short, long)]
    pub author: Option<String>,
    /// Apply a Dockerfile instruction to the created image (repeatable; `-c` after `commit`)
    #[arg(long, value_name = "INSTRUCTION")]
    pub change: Vec<String>,
    /// Commit message
    #[arg(short, long)]
    pub message: Option<String>,
    /// Pause the container during the commit (default: yes; `--pause=false`; `-p` after `commit`)
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    pub pause: bool,
    /// Index of the container if the service has several replicas
    #[arg(long, value_name = "N")]
    pub index: Option<u32>,
    /// The service
    pub service: String,
    /// The image to make: REPOSITORY[:TAG]
    pub reference: Option<String>,
}

pub fn commit(global: GlobalArgs, args: CommitArgs) -> Result<i32> {
    let progress = global.progress("Committing");
    let result = block_on(async {
        let (engine, target) =
            engine_and_target(&global, std::slice::from_ref(&args.service)).await?;
        let c = select::container(
            &engine.docker,
            &target.name,
            &args.service,
            args.index,
            select::RUNNING,
        )
        .await?;
        let options = CommitOptions {
            reference: args.reference.clone(),
            author: args.author.clone(),
            message: args.message.clone(),
            changes: args.change.clone(),
            pause: args.pause,
        };
        commit::commit(&engine.docker, &c, &options, &progress).await
    });
    progress.finish();
    result.map(|_| 0)
}
