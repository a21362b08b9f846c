//! `rcompose attach SERVICE`: connect the terminal to a service container's main process.

use clap::Args;

use super::GlobalArgs;
use super::target::{block_on, engine_and_target};
use crate::error::Result;
use crate::ops::attach_service::{self, Options};

#[derive(Debug, Args)]
pub struct AttachArgs {
    /// Override the key sequence for detaching from a container
    #[arg(long, value_name = "KEYS")]
    pub detach_keys: Option<String>,
    /// Index of the container if the service has multiple replicas
    #[arg(long, value_name = "N")]
    pub index: Option<u32>,
    /// Do not attach standard input
    #[arg(long)]
    pub no_stdin: bool,
    /// Proxy all received signals to the process
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub sig_proxy: bool,
    /// The service
    pub service: String,
}

pub fn run(global: GlobalArgs, args: AttachArgs) -> Result<i32> {
    let options = Options {
        service: args.service.clone(),
        index: args.index,
        stdin: !args.no_stdin,
        sig_proxy: args.sig_proxy,
        detach_keys: args.detach_keys,
    };
    block_on(async {
        let (engine, target) =
            engine_and_target(&global, std::slice::from_ref(&args.service)).await?;
        let code = attach_service::attach(&engine.docker, &target.name, &options).await?;
        Ok(i32::try_from(code).unwrap_or(1))
    })
}
