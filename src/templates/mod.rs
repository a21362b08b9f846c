//! Project templates for `rcompose new`: a compose file and its `.env`, rendered from
//! handlebars sources embedded in the binary (see `templates/`).
//!
//! Each template declares its variables here (name, default, help). Values given with
//! `--set key=value` are checked and turned into the data the template sees; anything
//! computed (node lists, seed hosts) is computed in Rust so the templates stay plain.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use handlebars::Handlebars;
use rand::distr::{Alphanumeric, SampleString};
use serde_json::{Value, json};

use crate::error::{Error, Result};

mod elastic;
#[cfg(test)]
mod tests;
mod values;

use elastic::elastic_data;
use values::{Values, check_password};

/// One value a template can be given with `--set name=value`.
#[derive(Debug)]
pub struct Variable {
    pub name: &'static str,
    pub default: &'static str,
    pub help: &'static str,
}

/// What `rcompose new --list` shows about a template.
#[derive(Debug)]
pub struct TemplateInfo {
    pub name: &'static str,
    pub description: &'static str,
    pub variables: &'static [Variable],
}

/// The rendered files: `compose.yml` and `.env`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub compose: String,
    pub env: String,
}

/// The Elastic Stack version used by default; `stacks/.env` uses the same one.
pub const ELASTIC_STACK_VERSION: &str = "8.15.3";

/// The largest cluster the elastic template makes (node names are es01..es99).
const ELASTIC_MAX_NODES: u32 = 99;

/// Length of generated passwords (letters and digits).
const PASSWORD_LEN: usize = 20;

static TEMPLATES: &[TemplateInfo] = &[TemplateInfo {
    name: "elastic",
    description: "Elasticsearch cluster (TLS, passwords) with Kibana, after Elastic's compose example",
    variables: &[
        Variable {
            name: "nodes",
            default: "3",
            help: "number of Elasticsearch nodes, 1 to 99 (1 runs a single-node cluster)",
        },
        Variable {
            name: "version",
            default: ELASTIC_STACK_VERSION,
            help: "Elastic Stack version (the image tag of Elasticsearch and Kibana)",
        },
        Variable {
            name: "memory",
            default: "1g",
            help: "memory limit of each container, a byte value such as 512m or 2g",
        },
        Variable {
            name: "kibana",
            default: "true",
            help: "add Kibana, published on 127.0.0.1:5601 (true or false)",
        },
        Variable {
            name: "security",
            default: "true",
            help: "TLS and passwords, set up by a one-shot `setup` service (true or false)",
        },
        Variable {
            name: "port",
            default: "9200",
            help: "host port of Elasticsearch (es01), published on 127.0.0.1",
        },
    ],
}];

/// The templates built into rcompose.
pub fn list() -> &'static [TemplateInfo] {
    TEMPLATES
}

/// The handlebars sources of a template and how its data is made from the checked values.
struct Sources {
    compose: &'static str,
    env: &'static str,
    data: fn(&Values, &Passwords) -> Result<Value>,
}

fn sources(template: &str) -> Option<Sources> {
    match template {
        "elastic" => Some(Sources {
            compose: include_str!("../../templates/elastic/compose.yml.hbs"),
            env: include_str!("../../templates/elastic/env.hbs"),
            data: elastic_data,
        }),
        _ => None,
    }
}

struct Passwords<'a> {
    elastic: &'a str,
    kibana: &'a str,
}

/// Render a template with freshly generated random passwords.
///
/// `sets` are `--set key=value` pairs in the order given; a later one wins.
pub fn render(template: &str, sets: &[(String, String)]) -> Result<Rendered> {
    let mut rng = rand::rng();
    let elastic = Alphanumeric.sample_string(&mut rng, PASSWORD_LEN);
    let kibana = Alphanumeric.sample_string(&mut rng, PASSWORD_LEN);
    render_with_passwords(template, sets, &elastic, &kibana)
}

/// Render a template with the given passwords (deterministic, for tests).
pub fn render_with_passwords(
    template: &str,
    sets: &[(String, String)],
    elastic_password: &str,
    kibana_password: &str,
) -> Result<Rendered> {
    let info = find(template)?;
    let sources = sources(template).ok_or_else(|| {
        Error::new(format!(
            "template {template:?} has no sources (this is a bug)"
        ))
    })?;
    let values = Values::resolve(info, sets)?;
    check_password("elastic password", elastic_password)?;
    check_password("kibana password", kibana_password)?;
    let passwords = Passwords {
        elastic: elastic_password,
        kibana: kibana_password,
    };
    let data = (sources.data)(&values, &passwords)?;

    let mut registry = Handlebars::new();
    registry.set_strict_mode(true);
    registry.register_escape_fn(handlebars::no_escape);
    let render_one = |file: &str, source: &str| {
        registry.render_template(source, &data).map_err(|e| {
            Error::new(format!(
                "template {template:?}, {file}: {e} (this is a bug)"
            ))
        })
    };
    Ok(Rendered {
        compose: render_one("compose.yml", sources.compose)?,
        env: render_one(".env", sources.env)?,
    })
}

/// Write `compose.yml` and `.env` into `dir` (created if missing). Existing files are
/// never overwritten. Returns the paths written.
pub fn write(rendered: &Rendered, dir: &Path) -> Result<Vec<PathBuf>> {
    // (file, contents, private: holds passwords)
    let files = [
        (dir.join("compose.yml"), &rendered.compose, false),
        (dir.join(".env"), &rendered.env, true),
    ];
    for (path, _, _) in &files {
        // symlink_metadata: a dangling symlink is in the way too.
        if fs::symlink_metadata(path).is_ok() {
            return Err(already_exists(path));
        }
    }
    fs::create_dir_all(dir)
        .map_err(|e| Error::new(format!("cannot create directory {}: {e}", dir.display())))?;

    let mut written = Vec::new();
    for (path, contents, private) in &files {
        if let Err(e) = write_new(path, contents, *private) {
            // Leave nothing half-made behind.
            for done in &written {
                let _ = fs::remove_file(done);
            }
            return Err(e);
        }
        written.push(path.clone());
    }
    Ok(written)
}

fn write_new(path: &Path, contents: &str, private: bool) -> Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            already_exists(path)
        } else {
            Error::new(format!("cannot create {}: {e}", path.display()))
        }
    })?;
    file.write_all(contents.as_bytes())
        .map_err(|e| Error::new(format!("cannot write {}: {e}", path.display())))
}

fn already_exists(path: &Path) -> Error {
    Error::new(format!("{} already exists", path.display())).with_hint(
        "templates never overwrite files: choose another directory or move the file away",
    )
}

/// Parse one `--set key=value` argument.
pub fn parse_set(arg: &str) -> Result<(String, String)> {
    match arg.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            Ok((key.trim().to_string(), value.trim().to_string()))
        }
        _ => Err(
            Error::new(format!("invalid --set {arg:?}: expected key=value"))
                .with_hint("for example: --set nodes=5"),
        ),
    }
}

fn find(template: &str) -> Result<&'static TemplateInfo> {
    TEMPLATES
        .iter()
        .find(|t| t.name == template)
        .ok_or_else(|| {
            Error::new(format!("unknown template {template:?}")).with_hint(format!(
                "known templates: {}",
                names(TEMPLATES.iter().map(|t| t.name))
            ))
        })
}

fn names<'a>(names: impl Iterator<Item = &'a str>) -> String {
    names.collect::<Vec<_>>().join(", ")
}
