//! `rcompose config`: the fully resolved project, as `docker compose config` prints it.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{GlobalArgs, load_project, write_output};
use crate::error::{Error, Result};
use crate::project::emit::to_yaml;

#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub enum Format {
    #[default]
    Yaml,
    Json,
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Format the output
    #[arg(long, value_enum, default_value_t = Format::Yaml)]
    pub format: Format,
    /// Only validate the configuration, don't print anything
    #[arg(short, long)]
    pub quiet: bool,
    /// Print the service names, one per line
    #[arg(long)]
    pub services: bool,
    /// Print the volume names, one per line
    #[arg(long)]
    pub volumes: bool,
    /// Print the network names, one per line
    #[arg(long)]
    pub networks: bool,
    /// Print the profile names, one per line
    #[arg(long)]
    pub profiles: bool,
    /// Print the image names, one per line
    #[arg(long)]
    pub images: bool,
    /// Print the config hash of services, one `SERVICE HASH` per line: `*` for all, or a
    /// comma-separated list
    #[arg(long, value_name = "SERVICES")]
    pub hash: Option<String>,
    /// Don't interpolate environment variables
    #[arg(long)]
    pub no_interpolate: bool,
    /// Save to file (default: standard output)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Services to show (a `.yml` file given here is taken as a compose file)
    pub args: Vec<String>,
}

pub fn run(mut global: GlobalArgs, args: ConfigArgs) -> Result<i32> {
    let services = global.take_file_arguments(&args.args);
    let mut opts = global.load_options(&services)?;
    opts.no_interpolate = args.no_interpolate;
    let loaded = load_project(&opts)?;
    let project = &loaded.project;
    // Printing or checking services needs their environment; listing names does not.
    let listing = args.services || args.volumes || args.networks || args.profiles || args.images;
    if !listing {
        loaded.require_environment(&services, true)?;
    }
    if args.quiet {
        return Ok(0);
    }
    for name in &services {
        if !project.services.contains_key(name) {
            return Err(Error::new(format!("no such service: {name}")).with_exit_code(1));
        }
    }
    let lines =
        |items: Vec<String>| -> String { items.into_iter().map(|s| s + "\n").collect::<String>() };
    let text = if let Some(wanted) = &args.hash {
        hashes(project, wanted)?
    } else if args.services {
        lines(project.services.keys().cloned().collect())
    } else if args.volumes {
        lines(project.volumes.keys().cloned().collect())
    } else if args.networks {
        lines(project.networks.keys().cloned().collect())
    } else if args.profiles {
        lines(loaded.all_profiles.iter().cloned().collect())
    } else if args.images {
        lines(
            project
                .services
                .iter()
                .map(|(name, s)| s.image_name(&project.name, name))
                .collect(),
        )
    } else {
        // Not interpolated, values may not have their final form yet: the tree as merged.
        let mut value = if args.no_interpolate {
            loaded.json.clone()
        } else {
            serde_json::to_value(project).map_err(|e| {
                Error::new(format!("internal error: cannot render the project: {e}"))
            })?
        };
        if !services.is_empty()
            && let Some(map) = value.get_mut("services").and_then(|s| s.as_object_mut())
        {
            map.retain(|k, _| services.contains(k));
        }
        as_printed(&mut value, !args.no_interpolate);
        match args.format {
            Format::Yaml => to_yaml(&value),
            Format::Json => {
                let mut s = serde_json::to_string_pretty(&value).map_err(|e| {
                    Error::new(format!("internal error: cannot render the project: {e}"))
                })?;
                s.push('\n');
                s
            }
        }
    };
    write_output(&text, args.output.as_ref())?;
    Ok(0)
}

/// The project as docker compose prints it: env files are already folded into `environment`
/// (so they are not listed again; label files stay listed, as docker compose lists them), and,
/// once interpolated, every `$` is written `$$`, so that the output loads back to the same
/// project.
fn as_printed(value: &mut serde_json::Value, interpolated: bool) {
    use serde_json::Value;
    fn escape(value: &mut Value) {
        match value {
            Value::String(s) if s.contains('$') => *s = s.replace('$', "$$"),
            Value::Array(items) => items.iter_mut().for_each(escape),
            Value::Object(map) => map.values_mut().for_each(escape),
            _ => {}
        }
    }
    if !interpolated {
        return;
    }
    if let Some(services) = value.get_mut("services").and_then(Value::as_object_mut) {
        for service in services.values_mut().filter_map(Value::as_object_mut) {
            service.remove("env_file");
        }
    }
    escape(value);
}

/// `SERVICE HASH` lines for `--hash` (`*`: every service), sorted by service name.
fn hashes(project: &crate::project::model::Project, wanted: &str) -> Result<String> {
    let names: Vec<&String> = if wanted == "*" {
        project.services.keys().collect()
    } else {
        let mut names = Vec::new();
        for name in wanted.split(',') {
            let (name, _) = project
                .services
                .get_key_value(name)
                .ok_or_else(|| Error::new(format!("no such service: {name}")))?;
            if !names.contains(&name) {
                names.push(name);
            }
        }
        names.sort();
        names
    };
    let mut out = String::new();
    for name in names {
        let hash = crate::engine::config_hash::service_hash(&project.services[name])?;
        out.push_str(&format!("{name} {hash}\n"));
    }
    Ok(out)
}
