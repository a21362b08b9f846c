//! `rcompose new`: write a compose file and its `.env` from a built-in template.

use std::path::PathBuf;

use clap::Args;

use crate::error::{Error, Result};
use crate::templates;

#[derive(Debug, Args)]
pub struct NewArgs {
    /// Template to render (see --list)
    #[arg(required_unless_present = "list")]
    pub template: Option<String>,
    /// Set a template variable (repeatable), e.g. --set nodes=5
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// Directory to write compose.yml and .env into
    #[arg(short = 'o', long = "output", value_name = "DIR", default_value = ".")]
    pub output: PathBuf,
    /// List the templates with their variables and defaults
    #[arg(long)]
    pub list: bool,
}

pub fn run(args: NewArgs) -> Result<i32> {
    if args.list {
        let mut out = String::new();
        for t in templates::list() {
            out.push_str(&format!("{}  {}\n", t.name, t.description));
            for v in t.variables {
                out.push_str(&format!(
                    "    {:<10} default {:<10} {}\n",
                    v.name, v.default, v.help
                ));
            }
        }
        print!("{out}");
        return Ok(0);
    }
    let template = args
        .template
        .ok_or_else(|| Error::new("name a template, or use --list to see them"))?;
    let sets = args
        .sets
        .iter()
        .map(|s| templates::parse_set(s))
        .collect::<Result<Vec<_>>>()?;
    let rendered = templates::render(&template, &sets)?;
    let written = templates::write(&rendered, &args.output)?;
    for path in written {
        println!("wrote {}", path.display());
    }
    Ok(0)
}
