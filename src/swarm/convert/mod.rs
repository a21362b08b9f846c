//! The compose project as Swarm objects: overlay networks, configs, secrets and services,
//! named and labelled as `docker stack deploy` names and labels them.
//!
//! Pure: nothing here talks to the engine or reads files. References between objects are by
//! engine *name*; [`super::up`] swaps in the IDs once the objects exist. Every service key is
//! either converted or reported once as a [`Warning`]: `unsupported` destructures [`Service`]
//! without `..`, so a key added to the model does not compile until it is handled here.
//!
//! `service` makes the task's container spec, `mounts` its mounts, `deploy` what
//! `deploy:` says (mode, resources, placement, restart, update, endpoint).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::PathBuf;

use bollard::models::{
    Driver, EndpointPortConfig, EndpointPortConfigPublishModeEnum, EndpointSpec,
    EndpointSpecModeEnum, GenericResourcesInner, GenericResourcesInnerDiscreteResourceSpec,
    HealthConfig, Ipam, IpamConfig, Limit, Mount, MountBindOptions, MountTmpfsOptions, MountType,
    MountVolumeOptions, MountVolumeOptionsDriverConfig, NetworkAttachmentConfig,
    NetworkCreateRequest, Platform, ResourceObject, ResourcesUlimits, ServiceSpec, ServiceSpecMode,
    ServiceSpecModeReplicated, ServiceSpecModeReplicatedJob, ServiceSpecRollbackConfig,
    ServiceSpecUpdateConfig, TaskSpec, TaskSpecContainerSpec, TaskSpecContainerSpecConfigs,
    TaskSpecContainerSpecDnsConfig, TaskSpecContainerSpecFile, TaskSpecContainerSpecFile1,
    TaskSpecContainerSpecPrivileges, TaskSpecContainerSpecPrivilegesCredentialSpec,
    TaskSpecContainerSpecSecrets, TaskSpecLogDriver, TaskSpecPlacement,
    TaskSpecPlacementPreferences, TaskSpecPlacementSpread, TaskSpecResources,
    TaskSpecRestartPolicy, TaskSpecRestartPolicyConditionEnum,
};

pub use crate::engine::ApiVersion;
use crate::engine::labels;
use crate::error::{Error, Result};
use crate::project::model::{
    DeployConfig, FileObject, HealthCheck, MountType as ComposeMount, Project, Resource, Service,
    ServiceFileRef, ServicePort, ServiceVolume, UpdateConfig,
};

mod deploy;
mod mounts;
mod service;
#[cfg(test)]
mod tests;
mod unsupported;

/// Default mode of config and secret files in the container (`0444`), as docker stack uses.
const DEFAULT_FILE_MODE: u32 = 0o444;
/// Where the engine puts secrets whose target is a bare name.
const SECRETS_DIR: &str = "/run/secrets/";

/// What [`convert`] needs besides the project.
#[derive(Debug, Clone)]
pub struct Options {
    /// The stack name (the project name unless given).
    pub stack: String,
    /// The engine's API version: fields newer than it are reported, not sent.
    pub api_version: ApiVersion,
    /// `--scale SERVICE=N` overrides.
    pub scale: BTreeMap<String, u32>,
}

/// A compose key a service (or the project) uses that Swarm cannot honour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// `None` for top-level keys.
    pub service: Option<String>,
    /// The compose key, dotted (`deploy.resources.reservations.devices`).
    pub key: String,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.service {
            Some(service) => write!(f, "service {service:?}: {}: {}", self.key, self.message),
            None => write!(f, "{}: {}", self.key, self.message),
        }
    }
}

/// A network the stack's services join.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkPlan {
    /// The key under top-level `networks:` (`default` for the implicit one).
    pub key: String,
    /// The engine name.
    pub name: String,
    /// How to create it; `None` for an external network, which must exist.
    pub create: Option<NetworkCreateRequest>,
}

/// Where the content of a config or secret comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileSource {
    /// An existing engine object (`external: true`), found by name.
    External,
    /// A host file (an absolute path after loading).
    File(PathBuf),
    /// Inline `content:`.
    Content(String),
    /// The value of an environment variable (`environment:`).
    Environment(String),
}

/// A swarm config or secret the stack's services use.
#[derive(Debug, Clone, PartialEq)]
pub struct FilePlan {
    /// The key under top-level `configs:` / `secrets:`.
    pub key: String,
    /// The engine name.
    pub name: String,
    pub source: FileSource,
    pub labels: HashMap<String, String>,
    /// Secrets only: a secret store driver.
    pub driver: Option<Driver>,
    pub templating: Option<Driver>,
}

/// A service to create or update.
#[derive(Debug, Clone, PartialEq)]
pub struct ServicePlan {
    /// The key under `services:`.
    pub key: String,
    /// The spec, referring to networks, configs and secrets by engine name.
    pub spec: ServiceSpec,
}

impl ServicePlan {
    /// The engine name of the service (`<stack>_<key>`).
    pub fn name(&self) -> &str {
        self.spec.name.as_deref().unwrap_or(&self.key)
    }
}

/// Everything `swarm up` creates or updates, in the order it does so.
#[derive(Debug, Clone, PartialEq)]
pub struct StackPlan {
    pub stack: String,
    pub networks: Vec<NetworkPlan>,
    pub configs: Vec<FilePlan>,
    pub secrets: Vec<FilePlan>,
    pub services: Vec<ServicePlan>,
    pub warnings: Vec<Warning>,
}

/// Convert `project` into the objects of stack `opts.stack`.
pub fn convert(project: &Project, opts: &Options) -> Result<StackPlan> {
    for name in opts.scale.keys() {
        if !project.services.contains_key(name) {
            return Err(Error::new(format!("--scale: no such service: {name}"))
                .with_hint("name a service of the compose file"));
        }
    }
    let mut warnings = Warnings::default();
    let mut used_networks = BTreeSet::new();
    let mut used_configs = BTreeSet::new();
    let mut used_secrets = BTreeSet::new();
    let mut services = Vec::new();
    for (key, service) in &project.services {
        let converted = ServiceConverter {
            project,
            opts,
            key,
            warnings: &mut warnings,
        }
        .convert(service)
        .map_err(|e| e.context(format!("service {key:?}")))?;
        used_networks.extend(converted.networks);
        used_configs.extend(service.configs.iter().map(|r| r.source.clone()));
        used_secrets.extend(service.secrets.iter().map(|r| r.source.clone()));
        services.push(ServicePlan {
            key: key.clone(),
            spec: converted.spec,
        });
    }
    let stack = opts.stack.as_str();
    let networks = used_networks
        .iter()
        .map(|key| network_plan(project, stack, key, &mut warnings))
        .collect::<Result<Vec<_>>>()?;
    let configs = used_configs
        .iter()
        .map(|key| {
            file_plan(
                project.configs.get(key),
                "config",
                stack,
                key,
                &mut warnings,
            )
        })
        .collect::<Result<Vec<_>>>()?;
    let secrets = used_secrets
        .iter()
        .map(|key| {
            file_plan(
                project.secrets.get(key),
                "secret",
                stack,
                key,
                &mut warnings,
            )
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(StackPlan {
        stack: stack.to_string(),
        networks,
        configs,
        secrets,
        services,
        warnings: warnings.list,
    })
}

/// Warnings, at most one per (service, key).
#[derive(Default)]
struct Warnings {
    list: Vec<Warning>,
}

impl Warnings {
    fn add(&mut self, service: Option<&str>, key: &str, message: impl Into<String>) {
        let service = service.map(str::to_string);
        if self
            .list
            .iter()
            .any(|w| w.service == service && w.key == key)
        {
            return;
        }
        self.list.push(Warning {
            service,
            key: key.to_string(),
            message: message.into(),
        });
    }
}

/// The stack labels plus `own`: `com.docker.stack.namespace=<stack>` wins over a user label
/// of the same name, as with docker stack.
fn with_stack_label(stack: &str, own: &BTreeMap<String, String>) -> HashMap<String, String> {
    let mut labels: HashMap<String, String> =
        own.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    labels.insert(labels::STACK_NAMESPACE.to_string(), stack.to_string());
    labels
}

fn network_plan(
    project: &Project,
    stack: &str,
    key: &str,
    warnings: &mut Warnings,
) -> Result<NetworkPlan> {
    let declared = project.networks.get(key);
    if declared.is_none() && key != "default" {
        return Err(Error::new(format!(
            "network {key:?} is used by a service but not declared under networks"
        ))
        .with_hint("declare it under the top-level networks key"));
    }
    let network = declared.cloned().unwrap_or_default();
    let name = network.engine_name(stack, key);
    if network.external {
        return Ok(NetworkPlan {
            key: key.to_string(),
            name,
            create: None,
        });
    }
    let warn = |warnings: &mut Warnings, field: &str, message: &str| {
        warnings.add(None, &format!("networks.{key}.{field}"), message);
    };
    if network.enable_ipv4.is_some() {
        warn(
            warnings,
            "enable_ipv4",
            "not supported for swarm networks; ignored",
        );
    }
    let ipam = network.ipam.as_ref().map(|ipam| Ipam {
        driver: ipam.driver.clone(),
        config: Some(
            ipam.config
                .iter()
                .map(|pool| IpamConfig {
                    subnet: pool.subnet.clone(),
                    ip_range: pool.ip_range.clone(),
                    gateway: pool.gateway.clone(),
                    auxiliary_addresses: (!pool.aux_addresses.is_empty()).then(|| {
                        pool.aux_addresses
                            .iter()
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect()
                    }),
                })
                .collect(),
        ),
        options: (!ipam.options.is_empty()).then(|| {
            ipam.options
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        }),
    });
    let create = NetworkCreateRequest {
        name: name.clone(),
        driver: Some(
            network
                .driver
                .clone()
                .unwrap_or_else(|| "overlay".to_string()),
        ),
        scope: Some("swarm".to_string()),
        internal: network.internal.then_some(true),
        attachable: network.attachable.then_some(true),
        ipam,
        enable_ipv6: network.enable_ipv6,
        options: (!network.driver_opts.is_empty()).then(|| {
            network
                .driver_opts
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        }),
        labels: Some(with_stack_label(stack, &network.labels)),
        ..NetworkCreateRequest::default()
    };
    Ok(NetworkPlan {
        key: key.to_string(),
        name,
        create: Some(create),
    })
}

fn file_plan(
    object: Option<&FileObject>,
    kind: &str,
    stack: &str,
    key: &str,
    warnings: &mut Warnings,
) -> Result<FilePlan> {
    let Some(object) = object else {
        return Err(Error::new(format!(
            "{kind} {key:?} is used by a service but not declared under {kind}s"
        ))
        .with_hint(format!("declare it under the top-level {kind}s key")));
    };
    let (name, source) = if object.external {
        (
            object.name.clone().unwrap_or_else(|| key.to_string()),
            FileSource::External,
        )
    } else {
        let name = object
            .name
            .clone()
            .unwrap_or_else(|| labels::stack_object_name(stack, key));
        let source = match (&object.file, &object.content, &object.environment) {
            (Some(file), _, _) => FileSource::File(PathBuf::from(file)),
            (None, Some(content), _) => FileSource::Content(content.clone()),
            (None, None, Some(var)) => FileSource::Environment(var.clone()),
            (None, None, None) => {
                return Err(Error::new(format!(
                    "{kind} {key:?} has no file, content or environment"
                ))
                .with_hint(format!(
                    "give {kind}s.{key} a file, content or environment, or mark it external"
                )));
            }
        };
        (name, source)
    };
    let driver = object.driver.as_ref().map(|driver| Driver {
        name: driver.clone(),
        options: (!object.driver_opts.is_empty()).then(|| {
            object
                .driver_opts
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        }),
    });
    if kind == "config" && driver.is_some() {
        warnings.add(
            None,
            &format!("configs.{key}.driver"),
            "swarm configs have no driver; ignored",
        );
    }
    Ok(FilePlan {
        key: key.to_string(),
        name,
        source,
        labels: with_stack_label(stack, &object.labels),
        driver: if kind == "secret" { driver } else { None },
        templating: object.template_driver.as_ref().map(|name| Driver {
            name: name.clone(),
            options: None,
        }),
    })
}

/// A converted service and the network keys it joins.
struct Converted {
    spec: ServiceSpec,
    networks: Vec<String>,
}

struct ServiceConverter<'a> {
    project: &'a Project,
    opts: &'a Options,
    key: &'a str,
    warnings: &'a mut Warnings,
}

impl ServiceConverter<'_> {
    fn warn(&mut self, key: &str, message: impl Into<String>) {
        self.warnings.add(Some(self.key), key, message);
    }

    /// Report `key` as unsupported when `set`.
    fn unsupported(&mut self, key: &str, set: bool) {
        if set {
            self.warn(key, "not supported by swarm services; ignored");
        }
    }

    /// Report `key` as unsupported before API `min` when `set`; tell whether it is supported.
    fn needs_api(&mut self, key: &str, set: bool, min: ApiVersion) -> bool {
        let supported = self.opts.api_version >= min;
        if set && !supported {
            let message = self.opts.api_version.too_old_for(min);
            self.warn(key, message);
        }
        supported
    }
}
