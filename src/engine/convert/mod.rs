//! A service of the model turned into what the engine takes to create one of its containers:
//! the create body (config, host config, the first network) plus the other networks to connect
//! before start, and the config hash that tells whether an existing container is up to date.
//!
//! One builder per concern fills its part of the body: `process`, `ports`, `mounts`,
//! `resources`, `health`, `networks`, `labelling`, `security`. `unhandled` is the
//! guard: it names every key of a service, so a key added to the model does not compile until
//! a builder handles it or [`warnings`] names it.

mod health;
mod labelling;
mod mounts;
mod networks;
mod ports;
mod process;
mod resources;
mod security;
mod unhandled;

use std::collections::BTreeMap;

use bollard::models::{ContainerCreateBody, EndpointSettings, HostConfig};

pub use mounts::inherit_anonymous_volumes;
pub use networks::{
    Linked, first_container, legacy_links, network_engine_name, service_network_keys,
    use_network_ids,
};
pub use unhandled::{Warning, warnings};

use super::{ApiVersion, labels};
use crate::error::{Error, Result};
use crate::project::model::{Project, Service};

/// Project-wide facts every container of the project is labelled with, and the variables
/// `environment:` secrets and configs read their content from.
#[derive(Clone, Default)]
pub struct ProjectContext {
    pub working_dir: String,
    pub config_files: Vec<String>,
    pub env_files: Vec<String>,
    /// The project's variables (env files and the process environment).
    pub environment: BTreeMap<String, String>,
    /// Contents of included projects' `environment:` secrets and configs, read in the
    /// include's environment: "secrets.NAME" → content (see the loader's `included_values`).
    pub included_values: BTreeMap<String, String>,
}

impl std::fmt::Debug for ProjectContext {
    /// Without the variables: they may hold secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProjectContext")
            .field("working_dir", &self.working_dir)
            .field("config_files", &self.config_files)
            .field("env_files", &self.env_files)
            .finish_non_exhaustive()
    }
}

/// Everything needed to create one container.
#[derive(Clone)]
pub struct ContainerSpec {
    pub name: String,
    pub body: ContainerCreateBody,
    /// Networks to connect after create and before start (API 1.41 takes only one network in
    /// the create call): engine network name and endpoint settings.
    pub extra_networks: Vec<(String, EndpointSettings)>,
    /// Secrets and configs to write into the container after create and before start.
    pub files: Vec<InjectedFile>,
}

impl std::fmt::Debug for ContainerSpec {
    /// Without the content of injected files: they may be secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let files: Vec<&str> = self.files.iter().map(|i| i.target.as_str()).collect();
        f.debug_struct("ContainerSpec")
            .field("name", &self.name)
            .field("body", &self.body)
            .field("extra_networks", &self.extra_networks)
            .field("files", &files)
            .finish()
    }
}

/// A secret or config written into a container through the engine's archive endpoint:
/// those whose content comes from `environment:` or `content:`, and file-based ones that ask
/// for a `mode`, `uid` or `gid` (a bind mount shows the host file's own).
#[derive(Clone, PartialEq, Eq)]
pub struct InjectedFile {
    /// What it is, for messages: `secret "token"`.
    pub what: String,
    /// Absolute path in the container.
    pub target: String,
    pub source: InjectedSource,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

/// Where an injected file's content comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum InjectedSource {
    /// A host file, read when the container is created.
    File(String),
    /// The content itself (from `content:` or an environment variable).
    Content(String),
}

/// Default mode of injected secrets and configs, as compose.
pub(crate) const INJECTED_MODE: u32 = 0o444;

/// The config hash of `service` (label [`labels::CONFIG_HASH`]), as docker compose computes it.
pub fn config_hash(service: &Service) -> Result<String> {
    super::config_hash::service_hash(service)
}

/// The service being converted, and its name in the project.
#[derive(Clone, Copy)]
struct Target<'a> {
    project: &'a Project,
    name: &'a str,
    service: &'a Service,
}

/// Build the create spec for replica `number` of `name`, for an engine that speaks `api`
/// (what it does not know is left out; [`warnings`] names it). `linked` are the existing
/// containers of the services it `links` to (see [`crate::engine::observe::linked_containers`]).
#[allow(clippy::too_many_arguments)]
pub fn container_spec(
    project: &Project,
    context: &ProjectContext,
    name: &str,
    number: u32,
    config_hash: &str,
    image_id: Option<&str>,
    api: ApiVersion,
    linked: &Linked,
) -> Result<ContainerSpec> {
    let service = project
        .services
        .get(name)
        .ok_or_else(|| Error::new(format!("no such service: {name}")))?;
    let target = Target {
        project,
        name,
        service,
    };
    let container_name = match &service.container_name {
        Some(n) => n.clone(),
        None => labels::container_name(&project.name, name, number),
    };
    let mut body = ContainerCreateBody {
        labels: Some(labelling::container_labels(
            &target,
            context,
            number,
            config_hash,
            image_id,
        )),
        healthcheck: health::config(service, api)?,
        ..Default::default()
    };
    let mut host = HostConfig {
        annotations: (api.knows(ApiVersion::ANNOTATIONS) && !service.annotations.is_empty()).then(
            || {
                service
                    .annotations
                    .iter()
                    .map(|(a, b)| (a.clone(), b.clone()))
                    .collect()
            },
        ),
        ..Default::default()
    };
    process::apply(&target, &mut body, &mut host)?;
    ports::apply(service, &mut body, &mut host);
    let files = mounts::apply(&target, context, &mut host)?;
    resources::apply(service, &mut host);
    security::apply(&target, &mut host);
    let extra_networks = networks::apply(&target, number, linked, &mut body, &mut host);
    body.host_config = Some(host);
    Ok(ContainerSpec {
        name: container_name,
        body,
        extra_networks,
        files,
    })
}
