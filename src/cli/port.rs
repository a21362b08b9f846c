//! `rcompose port`: print the public address of a service's container port.

use clap::Args;

use super::GlobalArgs;
use super::target::{block_on, engine, resolve};
use crate::error::{Error, Result};
use crate::ops::lifecycle::containers_of;
use crate::ops::port;

#[derive(Debug, Args)]
pub struct PortArgs {
    /// tcp, udp or sctp
    #[arg(long, default_value = "tcp")]
    pub protocol: String,
    /// Index of the container if the service has multiple replicas
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub index: u32,
    pub service: String,
    /// The container port
    pub private_port: u16,
}

pub fn run(global: GlobalArgs, args: PortArgs) -> Result<i32> {
    block_on(async {
        let engine = engine().await?;
        let target = resolve(&global, &[], &engine).await?;
        target.check_services(std::slice::from_ref(&args.service))?;
        let list = containers_of(
            &engine.docker,
            &target.name,
            std::slice::from_ref(&args.service),
        )
        .await?;
        let container = list
            .iter()
            .find(|c| c.number == args.index)
            .ok_or_else(|| {
                Error::new(format!(
                    "service \"{}\" has no container number {}",
                    args.service, args.index
                ))
            })?;
        let address = port::published(container, args.private_port, &args.protocol)?;
        super::write_output(&format!("{address}\n"), None)?;
        Ok(0)
    })
}
