//! `rcompose version`: rcompose's version, and the engine's version and API.

use clap::{Args, ValueEnum};
use serde_json::json;

use super::target::{block_on, engine};
use crate::error::Result;

#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub enum Format {
    #[default]
    Pretty,
    Json,
}

#[derive(Debug, Args)]
pub struct VersionArgs {
    /// Show only rcompose's version number
    #[arg(long)]
    pub short: bool,
    /// Format the output
    #[arg(long, value_enum, default_value_t = Format::Pretty)]
    pub format: Format,
}

const VERSION: &str = env!("CARGO_PKG_VERSION");

pub fn run(args: VersionArgs) -> Result<i32> {
    if args.short {
        super::write_output(&format!("{VERSION}\n"), None)?;
        return Ok(0);
    }
    if let Format::Pretty = args.format {
        super::write_output(&format!("rcompose version {VERSION}\n"), None)?;
    }
    let server = block_on(async {
        let engine = engine().await?;
        let server = engine.server_version().await?;
        Ok((engine.api_version.clone(), server))
    });
    match (args.format, server) {
        (Format::Pretty, Ok((negotiated, server))) => {
            super::write_output(
                &format!(
                    "Docker Engine version {} ({}/{}, API {}, used {negotiated})\n",
                    server.version, server.os, server.arch, server.api_version
                ),
                None,
            )?;
            Ok(0)
        }
        (Format::Json, Ok((negotiated, server))) => {
            let value = json!({
                "version": VERSION,
                "engine": {
                    "version": server.version,
                    "api_version": server.api_version,
                    "negotiated_api_version": negotiated,
                    "os": server.os,
                    "arch": server.arch,
                },
            });
            super::write_output(&format!("{value}\n"), None)?;
            Ok(0)
        }
        (Format::Json, Err(e)) => {
            let value = json!({"version": VERSION, "engine": null});
            super::write_output(&format!("{value}\n"), None)?;
            Err(e)
        }
        (Format::Pretty, Err(e)) => Err(e),
    }
}
