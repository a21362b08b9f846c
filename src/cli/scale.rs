//! `rcompose scale SERVICE=N...`: set the number of containers of services — `up -d` with a
//! scale override for those services (and their dependencies unless `--no-deps`).

use clap::Args;

use super::GlobalArgs;
use super::up::{self, UpArgs};
use crate::error::{Error, Result};

#[derive(Debug, Args)]
pub struct ScaleArgs {
    /// Don't start linked services
    #[arg(long)]
    pub no_deps: bool,
    /// SERVICE=NUM pairs
    #[arg(required = true, value_name = "SERVICE=NUM")]
    pub scales: Vec<String>,
}

pub fn run(global: GlobalArgs, args: ScaleArgs) -> Result<i32> {
    let mut services = Vec::new();
    for item in &args.scales {
        let Some((name, _)) = item.split_once('=') else {
            return Err(Error::new(format!("invalid scale {item:?}"))
                .with_hint("use SERVICE=NUM, for example web=3"));
        };
        services.push(name.trim().to_string());
    }
    let mut up_args = UpArgs::detached(services);
    up_args.scale = args.scales;
    up_args.no_deps = args.no_deps;
    up::run(global, up_args)
}
