//! `rcompose port`: print the public address of a service's container port.

use clap::Args;

use super::GlobalArgs;
use super::target::{block_on, engine, resolve};
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
        let engine = engine().await?;
        let target = resolve(&global, &[], &engine).await?;
        target.check_services(std::slice::from_ref(&args.service))?;
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
