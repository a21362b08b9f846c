//! `rcompose exec SERVICE COMMAND...`: run a command in a running service container; the
//! command's exit code becomes rcompose's.

use clap::Args;

use super::GlobalArgs;
use super::target::{block_on, engine_and_target};
use crate::error::Result;
use crate::ops::exec::{self, Options};
use crate::terminal;

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Detached mode: run the command in the background
    #[arg(short, long)]
    pub detach: bool,
    /// Give extended privileges to the process
    #[arg(long)]
    pub privileged: bool,
    /// Run the command as this user
    #[arg(short, long, value_name = "USER")]
    pub user: Option<String>,
    /// Disable pseudo-TTY allocation (by default one is allocated when stdin is a terminal)
    #[arg(short = 'T', long = "no-tty", alias = "no-TTY")]
    pub no_tty: bool,
    /// Keep standard input open (default: yes)
    #[arg(short, long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL", hide = true)]
    pub interactive: bool,
    /// Index of the container if the service has multiple replicas
    #[arg(long, value_name = "N")]
    pub index: Option<u32>,
    /// Set environment variables (KEY=VALUE; repeatable)
    #[arg(short, long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Path to the working directory for the command
    #[arg(short, long, value_name = "DIR")]
    pub workdir: Option<String>,
    /// The service
    pub service: String,
    /// The command and its arguments
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

pub fn run(global: GlobalArgs, args: ExecArgs) -> Result<i32> {
    let mut options = Options {
        service: args.service.clone(),
        index: args.index,
        command: args.command,
        tty: !args.no_tty && !args.detach && terminal::stdin_is_terminal(),
        interactive: args.interactive && !args.detach,
        detach: args.detach,
        user: args.user,
        workdir: args.workdir,
        env: Vec::new(),
        privileged: args.privileged,
    };
    block_on(async {
        let (engine, target) =
            engine_and_target(&global, std::slice::from_ref(&args.service)).await?;
        options.env =
            super::run::environment(&args.env, target.loaded.as_ref().map(|l| &l.environment));
        let code = exec::exec(&engine.docker, &target.name, &options).await?;
        Ok(i32::try_from(code).unwrap_or(1))
    })
}
