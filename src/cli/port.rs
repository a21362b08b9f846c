//! `rcompose port`: print the public address of a service's container port.

use clap::Args;

use super::GlobalArgs;
use super::target::{block_on, engine_and_target};
use crate::error::Result;
use crate::ops::{port, select};

#[derive(Debug, Args)]
pub struct PortArgs {
    /// tcp, udp or sctp
    #[arg(long, default_value = "tcp")]
    pub protocol: String,
    /// Index of the container if the service has multiple replicas
    #[arg(long, value_name = "N")]
    pub index: Option<u32>,
    pub service: String,
    /// The container port
    pub private_port: u16,
}

pub fn run(global: GlobalArgs, args: PortArgs) -> Result<i32> {
    block_on(async {
        let (engine, target) =
            engine_and_target(&global, std::slice::from_ref(&args.service)).await?;
        let container = select::container(
            &engine.docker,
            &target.name,
            &args.service,
            args.index,
            select::RUNNING,
        )
        .await?;
        let address = port::published(&container, args.private_port, &args.protocol)?;
        super::write_output(&format!("{address}\n"), None)?;
        Ok(0)
    })
}
