//! `rcompose completion SHELL` (shell completion scripts) and the hidden `rcompose man` (the
//! man page in roff), both generated from the clap definitions.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::Cli;
use crate::error::{Error, Result};

#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// bash, zsh, fish, elvish or powershell
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn completion(args: CompletionArgs) -> Result<i32> {
    let mut command = Cli::command();
    let mut out: Vec<u8> = Vec::new();
    clap_complete::generate(args.shell, &mut command, "rcompose", &mut out);
    super::write_output(&String::from_utf8_lossy(&out), None)?;
    Ok(0)
}

pub fn man() -> Result<i32> {
    let mut out: Vec<u8> = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut out)
        .map_err(|e| Error::new(format!("cannot render the man page: {e}")))?;
    super::write_output(&String::from_utf8_lossy(&out), None)?;
    Ok(0)
}
