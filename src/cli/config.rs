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
    /// Format the output (default: yaml; a table for --variables)
    #[arg(long, value_enum)]
    pub format: Option<Format>,
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
    /// Print the model names, one per line
    #[arg(long)]
    pub models: bool,
    /// Print the variables the compose files use, with their default values
    #[arg(long)]
    pub variables: bool,
    /// Print the environment used for interpolation
    #[arg(long)]
    pub environment: bool,
    /// Don't interpolate environment variables
    #[arg(long)]
    pub no_interpolate: bool,
    /// Don't check the model's consistency (not available yet)
    #[arg(long)]
    pub no_consistency: bool,
    /// Don't read the services' env files into their environment (not available yet)
    #[arg(long)]
    pub no_env_resolution: bool,
    /// Don't normalize the model (not available yet)
    #[arg(long)]
    pub no_normalize: bool,
    /// Don't resolve file paths (not available yet)
    #[arg(long)]
    pub no_path_resolution: bool,
    /// Pin image tags to digests (not available yet)
    #[arg(long)]
    pub resolve_image_digests: bool,
    /// Produce an override file with image digests (not available yet)
    #[arg(long)]
    pub lock_image_digests: bool,
    /// Save to file (default: standard output)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Services to show (a `.yml` file given here is taken as a compose file)
    pub args: Vec<String>,
}

/// The flags whose output rcompose's loader cannot give yet, when given.
fn not_yet(args: &ConfigArgs) -> Option<&'static str> {
    [
        (args.no_env_resolution, "--no-env-resolution"),
        (args.no_normalize, "--no-normalize"),
        (args.no_path_resolution, "--no-path-resolution"),
        (args.resolve_image_digests, "--resolve-image-digests"),
        (args.lock_image_digests, "--lock-image-digests"),
    ]
    .into_iter()
    .find_map(|(given, flag)| given.then_some(flag))
}

pub fn run(mut global: GlobalArgs, args: ConfigArgs) -> Result<i32> {
    if let Some(flag) = not_yet(&args) {
        return Err(Error::new(format!(
            "config {flag} is not available yet in rcompose: its loader always checks, normalizes, resolves paths and env files, and does not contact registries"
        ))
        .with_hint("run `rcompose config` without it"));
    }
    let services = global.take_file_arguments(&args.args);
    let mut opts = global.load_options(&services)?;
    // --variables lists what interpolation would need: it does not interpolate.
    opts.no_interpolate = args.no_interpolate || args.variables;
    opts.no_consistency = args.no_consistency;
    let loaded = load_project(&global, &opts)?;
    let project = &loaded.project;
    if !args.no_consistency {
        project.check_container_names(&services)?;
    }
    // Printing or checking services needs their environment; listing names does not.
    let listing = args.services || args.volumes || args.networks || args.profiles || args.images;
    if !listing {
        // `--hash A,B` needs only the environment of those services (`*`: of all).
        let needed: Vec<String> = match args.hash.as_deref() {
            Some("*") | None => services.clone(),
            Some(list) => list.split(',').map(str::to_string).collect(),
        };
        loaded.require_environment(&needed, true)?;
    }
    if args.quiet {
        return Ok(0);
    }
    for name in &services {
        if !project.services.contains_key(name) {
            return Err(Error::new(format!("no such service: {name}")).with_exit_code(1));
        }
    }
    // As docker compose: a service selection does not filter these renderings; say so.
    let unfiltered = if args.variables {
        Some("--variables")
    } else if args.no_interpolate {
        Some("--no-interpolate")
    } else {
        None
    };
    if let (Some(flag), false) = (unfiltered, services.is_empty()) {
        global.warnings().warn(format!(
            "service filtering is not applied when {flag} is set"
        ));
    }
    let lines =
        |items: Vec<String>| -> String { items.into_iter().map(|s| s + "\n").collect::<String>() };
    let text = if let Some(wanted) = &args.hash {
        hashes(project, wanted)?
    } else if args.environment {
        loaded
            .environment
            .iter()
            .map(|(k, v)| format!("{k}={v}\n"))
            .collect()
    } else if args.variables {
        variables(&loaded.config_files, args.format)?
    } else if args.models {
        lines(
            project
                .models
                .values()
                .filter(|m| !m.model.is_empty())
                .map(|m| m.model.clone())
                .collect(),
        )
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
            && unfiltered.is_none()
            && let Some(map) = value.get_mut("services").and_then(|s| s.as_object_mut())
        {
            map.retain(|k, _| services.contains(k));
        }
        as_printed(&mut value, !args.no_interpolate);
        match args.format.unwrap_or_default() {
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

/// `--variables`: the variables the compose files refer to (sorted), with their default and
/// alternate values, as a table, JSON or YAML as docker compose prints them.
fn variables(files: &[PathBuf], format: Option<Format>) -> Result<String> {
    use crate::project::load::template;
    let mut found: std::collections::BTreeMap<String, template::Variable> = Default::default();
    for file in files {
        let text = std::fs::read_to_string(file)
            .map_err(|e| Error::new(format!("cannot read {}: {e}", file.display())))?;
        for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
            for variable in template::variables(line) {
                let entry =
                    found
                        .entry(variable.name.clone())
                        .or_insert_with(|| template::Variable {
                            name: variable.name.clone(),
                            ..Default::default()
                        });
                entry.required |= variable.required;
                if entry.default.is_empty() {
                    entry.default = variable.default;
                }
                if entry.alternate.is_empty() {
                    entry.alternate = variable.alternate;
                }
            }
        }
    }
    let object = |v: &template::Variable| {
        serde_json::json!({
            "Name": v.name, "DefaultValue": v.default, "PresenceValue": v.alternate,
            "Required": v.required,
        })
    };
    Ok(match format {
        None => {
            let cell = |s: &str| format!("{s:<19} ");
            let mut out = format!(
                "{}{}{}ALTERNATE VALUE\n",
                cell("NAME"),
                cell("REQUIRED"),
                cell("DEFAULT VALUE")
            );
            for v in found.values() {
                out.push_str(&format!(
                    "{}{}{}{}\n",
                    cell(&v.name),
                    cell(&v.required.to_string()),
                    cell(&v.default),
                    v.alternate
                ));
            }
            out
        }
        Some(Format::Json) => {
            let map: serde_json::Map<String, serde_json::Value> = found
                .values()
                .map(|v| (v.name.clone(), object(v)))
                .collect();
            // Four spaces and a blank line after, as docker compose prints it.
            let mut out = Vec::new();
            let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
            let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
            serde::Serialize::serialize(&serde_json::Value::Object(map), &mut serializer)
                .map_err(|e| Error::new(format!("internal error: {e}")))?;
            String::from_utf8_lossy(&out).into_owned() + "\n\n"
        }
        Some(Format::Yaml) => {
            let map: serde_json::Map<String, serde_json::Value> = found
                .values()
                .map(|v| {
                    (
                        v.name.clone(),
                        serde_json::json!({
                            "name": v.name, "defaultvalue": v.default,
                            "presencevalue": v.alternate, "required": v.required,
                        }),
                    )
                })
                .collect();
            // Four spaces per level, as docker compose prints it (the map has two levels of
            // scalars).
            to_yaml(&serde_json::Value::Object(map))
                .lines()
                .map(|line| match line.strip_prefix("  ") {
                    Some(rest) => format!("    {rest}\n"),
                    None => format!("{line}\n"),
                })
                .collect()
        }
    })
}
