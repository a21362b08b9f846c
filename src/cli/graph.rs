//! `rcompose graph`: the dependency graph of the services as Graphviz DOT or Mermaid.

use clap::{Args, ValueEnum};

use super::GlobalArgs;
use crate::error::Result;
use crate::ops::graph;

#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub enum Format {
    #[default]
    Dot,
    Mermaid,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Dot)]
    pub format: Format,
    /// Write to this file instead of standard output
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
    /// A compose file (`.yml`) may be given here
    pub args: Vec<String>,
}

pub fn run(mut global: GlobalArgs, args: GraphArgs) -> Result<i32> {
    let services = global.take_file_arguments(&args.args);
    let opts = global.load_options(&services)?;
    let loaded = super::load_project(&global, &opts)?;
    let graph = graph::graph(&loaded.project)?;
    let text = match args.format {
        Format::Dot => graph::dot(&graph),
        Format::Mermaid => graph::mermaid(&graph),
    };
    super::write_output(&text, args.output.as_ref())?;
    Ok(0)
}
