//! The compose project as Swarm objects: overlay networks, configs, secrets and services,
//! named and labelled as `docker stack deploy` names and labels them.
//!
//! Pure: nothing here talks to the engine or reads files. References between objects are by
//! engine *name*; [`super::up`] swaps in the IDs once the objects exist. Every service key is
//! either converted or reported once as a [`Warning`]: [`convert`] destructures [`Service`]
//! without `..`, so a key added to the model does not compile until it is handled here.

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

    fn convert(mut self, service: &Service) -> Result<Converted> {
        let stack = self.opts.stack.as_str();
        let image_ref = service.image_name(&self.project.name, self.key);
        if service.build.is_some() {
            let message = if service.image.is_some() {
                "swarm does not build images; the image must already exist on every node \
                 (build and push it first)"
                    .to_string()
            } else {
                format!(
                    "swarm does not build images; using {image_ref:?}, which must already exist \
                     on every node (build and push it first, or set image)"
                )
            };
            self.warn("build", message);
        }
        self.report_unsupported(service);
        let container_spec = self.container_spec(service, &image_ref)?;
        let (network_keys, attachments) = self.networks(&service.networks);

        let deploy = service.deploy.clone().unwrap_or_default();
        let mode = self.mode(service, &deploy)?;
        let (resources, placement) =
            self.resources_and_placement(&deploy, service.platform.as_deref())?;
        let restart_policy = self.restart_policy(&deploy, service.restart.as_deref())?;
        let log_driver = match &service.logging {
            Some(logging) if logging.driver.is_some() => Some(TaskSpecLogDriver {
                name: logging.driver.clone(),
                options: (!logging.options.is_empty()).then(|| {
                    logging
                        .options
                        .iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect()
                }),
            }),
            Some(logging) if !logging.options.is_empty() => {
                self.warn(
                    "logging.options",
                    "options without a driver are not passed to swarm services; set \
                     logging.driver",
                );
                None
            }
            _ => None,
        };
        let task_template = TaskSpec {
            container_spec: Some(container_spec),
            resources,
            restart_policy,
            placement,
            networks: Some(attachments),
            log_driver,
            ..TaskSpec::default()
        };

        let mut service_labels = with_stack_label(stack, &deploy.labels);
        service_labels.insert(labels::STACK_IMAGE.to_string(), image_ref);
        let spec = ServiceSpec {
            name: Some(labels::stack_object_name(stack, self.key)),
            labels: Some(service_labels),
            task_template: Some(task_template),
            mode: Some(mode),
            update_config: deploy
                .update_config
                .as_ref()
                .map(|u| update_config(u, "deploy.update_config"))
                .transpose()?,
            rollback_config: deploy
                .rollback_config
                .as_ref()
                .map(rollback_config)
                .transpose()?,
            networks: None,
            endpoint_spec: Some(self.endpoint(&deploy, &service.ports)?),
        };
        Ok(Converted {
            spec,
            networks: network_keys,
        })
    }

    /// Warn about every key of `service` Swarm has no counterpart for.
    ///
    /// Destructured without `..` on purpose: a key added to the model does not compile until
    /// it is either converted (bound to `_` here, with where) or reported.
    fn report_unsupported(&mut self, service: &Service) {
        let Service {
            annotations,
            attach,
            blkio_config,
            build: _, // reported by `convert`, which picks the image
            cap_add: _,
            cap_drop: _, // container_spec (API 1.41)
            cgroup,
            cgroup_parent,
            command: _,
            configs: _,
            container_name,
            cpu_count,
            cpu_percent,
            cpu_period,
            cpu_quota,
            cpu_rt_period,
            cpu_rt_runtime,
            cpu_shares,
            cpus,
            cpuset,
            credential_spec: _, // container_spec → privileges
            depends_on,
            deploy: _, // convert
            develop,
            device_cgroup_rules,
            devices,
            dns: _,
            dns_opt: _,
            dns_search: _,
            domainname,
            entrypoint: _,
            env_file: _, // folded into `environment` by the loader
            environment: _,
            expose,
            extends: _, // resolved by the loader
            external_links,
            extra_hosts: _,
            gpus,
            group_add: _,
            healthcheck: _,
            hostname: _,
            image: _,
            init: _,
            ipc,
            isolation: _,
            label_file: _, // folded into `labels` by the loader
            labels: _,
            links,
            logging: _, // convert
            mac_address,
            mem_limit,
            mem_reservation,
            mem_swappiness,
            memswap_limit,
            models,
            network_mode,
            networks: _, // convert → networks
            oom_kill_disable,
            oom_score_adj: _, // container_spec (API 1.46)
            pid,
            pids_limit,
            platform: _, // convert → placement
            ports: _,    // convert → endpoint
            post_start,
            pre_start,
            pre_stop,
            privileged,
            profiles: _, // applied by the loader
            provider,
            pull_policy,
            pull_refresh_after,
            read_only: _,
            restart: _, // convert → restart_policy
            runtime,
            scale: _, // read through `Service::replicas`
            secrets: _,
            security_opt: _, // container_spec → privileges
            shm_size,
            stdin_open: _,
            stop_grace_period: _,
            stop_signal: _,
            storage_opt,
            sysctls: _,
            tmpfs,
            tty: _,
            ulimits: _,
            use_api_socket,
            user: _,
            userns_mode,
            uts,
            volumes: _,
            volumes_from,
            working_dir: _,
            extensions: _, // x-* keys are for tools, not for the engine
        } = service;

        self.unsupported("annotations", !annotations.is_empty());
        if attach.is_some() {
            self.warn(
                "attach",
                "swarm up does not attach to service output; ignored",
            );
        }
        self.unsupported("blkio_config", blkio_config.is_some());
        self.unsupported("cgroup", cgroup.is_some());
        self.unsupported("cgroup_parent", cgroup_parent.is_some());
        if container_name.is_some() {
            self.warn(
                "container_name",
                "swarm names task containers itself (<service>.<slot>.<task id>); ignored",
            );
        }
        for (key, set) in [
            ("cpu_count", cpu_count.is_some()),
            ("cpu_percent", cpu_percent.is_some()),
            ("cpu_period", cpu_period.is_some()),
            ("cpu_quota", cpu_quota.is_some()),
            ("cpu_rt_period", cpu_rt_period.is_some()),
            ("cpu_rt_runtime", cpu_rt_runtime.is_some()),
            ("cpu_shares", cpu_shares.is_some()),
            ("cpuset", cpuset.is_some()),
            ("mem_swappiness", mem_swappiness.is_some()),
            ("memswap_limit", memswap_limit.is_some()),
            ("oom_kill_disable", *oom_kill_disable),
            ("shm_size", shm_size.is_some()),
            ("storage_opt", !storage_opt.is_empty()),
        ] {
            self.unsupported(key, set);
        }
        for (key, set, instead) in [
            ("cpus", cpus.is_some(), "deploy.resources.limits.cpus"),
            (
                "mem_limit",
                mem_limit.is_some(),
                "deploy.resources.limits.memory",
            ),
            (
                "mem_reservation",
                mem_reservation.is_some(),
                "deploy.resources.reservations.memory",
            ),
            (
                "pids_limit",
                pids_limit.is_some(),
                "deploy.resources.limits.pids",
            ),
        ] {
            if set {
                self.warn(key, format!("ignored by swarm services; use {instead}"));
            }
        }
        // One warning per dependency, naming what compose would have waited for.
        for (dependency, spec) in depends_on {
            self.warn(
                &format!("depends_on.{dependency}"),
                format!(
                    "swarm starts services in no particular order and has no dependency \
                     conditions; {} is not waited for",
                    spec.condition
                ),
            );
        }
        self.unsupported("develop", develop.is_some());
        self.unsupported("device_cgroup_rules", !device_cgroup_rules.is_empty());
        self.unsupported("devices", !devices.is_empty());
        self.unsupported("domainname", domainname.is_some());
        if !expose.is_empty() {
            self.warn(
                "expose",
                "has no effect: services reach each other on any port over their networks",
            );
        }
        self.unsupported("external_links", !external_links.is_empty());
        self.unsupported("gpus", !gpus.is_empty());
        self.unsupported("ipc", ipc.is_some());
        if !links.is_empty() {
            self.warn(
                "links",
                "not supported; services find each other by service name on shared networks",
            );
        }
        self.unsupported("mac_address", mac_address.is_some());
        self.unsupported("models", !models.is_empty());
        if network_mode.is_some() {
            self.warn(
                "network_mode",
                "not supported by swarm services; join networks instead (an external network \
                 named host gives host networking); ignored",
            );
        }
        self.unsupported("pid", pid.is_some());
        self.unsupported("post_start", !post_start.is_empty());
        self.unsupported("pre_start", !pre_start.is_empty());
        self.unsupported("pre_stop", !pre_stop.is_empty());
        self.unsupported("privileged", *privileged);
        self.unsupported("provider", provider.is_some());
        if pull_policy.is_some() || pull_refresh_after.is_some() {
            let key = if pull_policy.is_some() {
                "pull_policy"
            } else {
                "pull_refresh_after"
            };
            self.warn(
                key,
                "each node pulls the image itself when it starts a task; ignored",
            );
        }
        self.unsupported("runtime", runtime.is_some());
        if !tmpfs.is_empty() {
            self.warn(
                "tmpfs",
                "not supported by swarm services; use a volume of type tmpfs; ignored",
            );
        }
        self.unsupported("use_api_socket", *use_api_socket);
        self.unsupported("userns_mode", userns_mode.is_some());
        self.unsupported("uts", uts.is_some());
        self.unsupported("volumes_from", !volumes_from.is_empty());
    }

    /// The container part of the task template.
    fn container_spec(
        &mut self,
        service: &Service,
        image_ref: &str,
    ) -> Result<TaskSpecContainerSpec> {
        let v141 = ApiVersion(1, 41);
        let cap_add = &service.cap_add;
        let cap_add = if self.needs_api("cap_add", !cap_add.is_empty(), v141) && !cap_add.is_empty()
        {
            Some(cap_add.clone())
        } else {
            None
        };
        let cap_drop = &service.cap_drop;
        let cap_drop =
            if self.needs_api("cap_drop", !cap_drop.is_empty(), v141) && !cap_drop.is_empty() {
                Some(cap_drop.clone())
            } else {
                None
            };
        let ulimits = &service.ulimits;
        let ulimits = if self.needs_api("ulimits", !ulimits.is_empty(), v141) && !ulimits.is_empty()
        {
            Some(
                ulimits
                    .iter()
                    .map(|(name, limit)| ResourcesUlimits {
                        name: Some(name.clone()),
                        soft: Some(limit.soft),
                        hard: Some(limit.hard),
                    })
                    .collect(),
            )
        } else {
            None
        };
        let sysctls = &service.sysctls;
        let sysctls = if self.needs_api("sysctls", !sysctls.is_empty(), ApiVersion(1, 40))
            && !sysctls.is_empty()
        {
            Some(
                sysctls
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            )
        } else {
            None
        };
        let oom_score_adj = if self.needs_api(
            "oom_score_adj",
            service.oom_score_adj.is_some(),
            ApiVersion(1, 46),
        ) {
            service.oom_score_adj
        } else {
            None
        };
        let privileges = self.privileges(&service.security_opt, service.credential_spec.as_ref());
        let env: Vec<String> = service
            .environment
            .iter()
            .map(|(k, v)| match v {
                Some(v) => format!("{k}={v}"),
                None => k.clone(),
            })
            .collect();
        let hosts: Vec<String> = service
            .extra_hosts
            .iter()
            .flat_map(|(host, ips)| ips.iter().map(move |ip| format!("{ip} {host}")))
            .collect();
        let (dns, dns_search, dns_opt) = (&service.dns, &service.dns_search, &service.dns_opt);
        let dns_config =
            (!dns.is_empty() || !dns_search.is_empty() || !dns_opt.is_empty()).then(|| {
                TaskSpecContainerSpecDnsConfig {
                    nameservers: (!dns.is_empty()).then(|| dns.clone()),
                    search: (!dns_search.is_empty()).then(|| dns_search.clone()),
                    options: (!dns_opt.is_empty()).then(|| dns_opt.clone()),
                }
            });
        let isolation = match &service.isolation {
            Some(text) => Some(text.parse().map_err(|_| {
                Error::new(format!(
                    "invalid isolation {text:?}: use default, process or hyperv"
                ))
            })?),
            None => None,
        };
        let health_check = service.healthcheck.as_ref().map(|h| self.health(h));
        let mounts = self.mounts(&service.volumes);
        let secrets = self.secret_refs(&service.secrets);
        let configs = self.config_refs(&service.configs);
        Ok(TaskSpecContainerSpec {
            image: Some(image_ref.to_string()),
            labels: Some(with_stack_label(&self.opts.stack, &service.labels)),
            command: service.entrypoint.clone(),
            args: service.command.clone(),
            hostname: service.hostname.clone(),
            env: (!env.is_empty()).then_some(env),
            dir: service.working_dir.clone(),
            user: service.user.clone(),
            groups: (!service.group_add.is_empty()).then(|| service.group_add.clone()),
            privileges,
            tty: service.tty.then_some(true),
            open_stdin: service.stdin_open.then_some(true),
            read_only: service.read_only.then_some(true),
            mounts: (!mounts.is_empty()).then_some(mounts),
            stop_signal: service.stop_signal.clone(),
            stop_grace_period: service.stop_grace_period.map(|d| d.as_nanos()),
            health_check,
            hosts: (!hosts.is_empty()).then_some(hosts),
            dns_config,
            secrets: (!secrets.is_empty()).then_some(secrets),
            oom_score_adj,
            configs: (!configs.is_empty()).then_some(configs),
            isolation,
            init: service.init,
            sysctls,
            capability_add: cap_add,
            capability_drop: cap_drop,
            ulimits,
        })
    }

    fn privileges(
        &mut self,
        security_opt: &[String],
        credential_spec: Option<&crate::project::model::CredentialSpec>,
    ) -> Option<TaskSpecContainerSpecPrivileges> {
        let mut no_new_privileges = None;
        for opt in security_opt {
            let normalized = opt.replace('=', ":");
            match normalized.as_str() {
                "no-new-privileges" | "no-new-privileges:true" => no_new_privileges = Some(true),
                "no-new-privileges:false" => no_new_privileges = Some(false),
                _ => self.warn(
                    "security_opt",
                    format!(
                        "only no-new-privileges is passed to swarm services; {opt:?} is ignored"
                    ),
                ),
            }
        }
        let credential_spec = credential_spec.and_then(|spec| {
            if spec.config.is_some() {
                self.warn(
                    "credential_spec.config",
                    "credential specs from configs are not supported by swarm up; use file or \
                     registry",
                );
            }
            (spec.file.is_some() || spec.registry.is_some()).then(|| {
                TaskSpecContainerSpecPrivilegesCredentialSpec {
                    config: None,
                    file: spec.file.clone(),
                    registry: spec.registry.clone(),
                }
            })
        });
        (no_new_privileges.is_some() || credential_spec.is_some()).then(|| {
            TaskSpecContainerSpecPrivileges {
                credential_spec,
                no_new_privileges,
                ..TaskSpecContainerSpecPrivileges::default()
            }
        })
    }

    fn health(&mut self, check: &HealthCheck) -> HealthConfig {
        let test = if check.is_disabled() {
            Some(vec!["NONE".to_string()])
        } else {
            check.test.clone()
        };
        let start_interval = if self.needs_api(
            "healthcheck.start_interval",
            check.start_interval.is_some(),
            ApiVersion(1, 44),
        ) {
            check.start_interval.map(|d| d.as_nanos())
        } else {
            None
        };
        HealthConfig {
            test,
            interval: check.interval.map(|d| d.as_nanos()),
            timeout: check.timeout.map(|d| d.as_nanos()),
            retries: check.retries.map(|r| i64::try_from(r).unwrap_or(i64::MAX)),
            start_period: check.start_period.map(|d| d.as_nanos()),
            start_interval,
        }
    }

    fn mounts(&mut self, volumes: &[ServiceVolume]) -> Vec<Mount> {
        let stack = self.opts.stack.clone();
        let mut mounts = Vec::new();
        for volume in volumes {
            let typ = match volume.type_ {
                ComposeMount::Volume => MountType::VOLUME,
                ComposeMount::Bind => MountType::BIND,
                ComposeMount::Tmpfs => MountType::TMPFS,
                ComposeMount::Npipe => MountType::NPIPE,
                ComposeMount::Cluster | ComposeMount::Image => {
                    self.warn(
                        "volumes",
                        format!(
                            "mounts of type {} are not supported by swarm up; {} is not mounted",
                            volume.type_, volume.target
                        ),
                    );
                    continue;
                }
            };
            let mut mount = Mount {
                target: Some(volume.target.clone()),
                typ: Some(typ),
                read_only: volume.read_only.then_some(true),
                consistency: volume.consistency.clone(),
                ..Mount::default()
            };
            match volume.type_ {
                ComposeMount::Volume => {
                    let options = volume.volume.as_ref();
                    let nocopy = options.is_some_and(|o| o.nocopy);
                    if options.is_some_and(|o| o.subpath.is_some()) {
                        self.needs_api("volumes.volume.subpath", true, ApiVersion(1, 45));
                    }
                    let subpath = if self.opts.api_version >= ApiVersion(1, 45) {
                        options.and_then(|o| o.subpath.clone())
                    } else {
                        None
                    };
                    match volume.source.as_deref() {
                        Some(source) => {
                            let declared = self.project.volumes.get(source);
                            let external = declared.is_some_and(|v| v.external);
                            let name = match declared {
                                Some(v) => v.engine_name(&stack, source),
                                None => labels::volume_name(&stack, source),
                            };
                            mount.source = Some(name);
                            let mut volume_labels =
                                declared.map(|v| v.labels.clone()).unwrap_or_default();
                            if let Some(o) = options {
                                volume_labels.extend(o.labels.clone());
                            }
                            let driver_config = declared
                                .filter(|v| v.driver.is_some() || !v.driver_opts.is_empty())
                                .map(|v| MountVolumeOptionsDriverConfig {
                                    name: v.driver.clone(),
                                    options: (!v.driver_opts.is_empty()).then(|| {
                                        v.driver_opts
                                            .iter()
                                            .map(|(k, v)| (k.clone(), v.clone()))
                                            .collect()
                                    }),
                                });
                            mount.volume_options = Some(MountVolumeOptions {
                                no_copy: nocopy.then_some(true),
                                labels: (!external)
                                    .then(|| with_stack_label(&stack, &volume_labels)),
                                driver_config: if external { None } else { driver_config },
                                subpath,
                            });
                        }
                        None => {
                            if nocopy || subpath.is_some() {
                                mount.volume_options = Some(MountVolumeOptions {
                                    no_copy: nocopy.then_some(true),
                                    subpath,
                                    ..MountVolumeOptions::default()
                                });
                            }
                        }
                    }
                }
                ComposeMount::Bind | ComposeMount::Npipe => {
                    mount.source = volume.source.clone();
                    if let Some(bind) = &volume.bind {
                        if bind.selinux.is_some() {
                            self.warn(
                                "volumes.bind.selinux",
                                "SELinux relabeling (z, Z) is not supported by swarm mounts; \
                                 ignored",
                            );
                        }
                        if bind.recursive.is_some() {
                            self.warn(
                                "volumes.bind.recursive",
                                "not supported by swarm up; ignored",
                            );
                        }
                        let propagation = bind.propagation.as_deref().and_then(|p| {
                            let parsed = p.parse().ok();
                            if parsed.is_none() {
                                self.warn(
                                    "volumes.bind.propagation",
                                    format!("unknown propagation {p:?}; ignored"),
                                );
                            }
                            parsed
                        });
                        if propagation.is_some() {
                            mount.bind_options = Some(MountBindOptions {
                                propagation,
                                ..MountBindOptions::default()
                            });
                        }
                    }
                }
                ComposeMount::Tmpfs => {
                    if let Some(tmpfs) = &volume.tmpfs {
                        mount.tmpfs_options = Some(MountTmpfsOptions {
                            size_bytes: tmpfs.size.map(|s| s.0),
                            mode: tmpfs.mode.map(i64::from),
                            options: None,
                        });
                    }
                }
                ComposeMount::Cluster | ComposeMount::Image => {}
            }
            mounts.push(mount);
        }
        mounts
    }

    fn secret_refs(&self, refs: &[ServiceFileRef]) -> Vec<TaskSpecContainerSpecSecrets> {
        refs.iter()
            .map(|r| {
                let target = r.target.clone().unwrap_or_else(|| r.source.clone());
                // A bare name lands in /run/secrets, which is how docker stack writes it.
                let target = match target.strip_prefix(SECRETS_DIR) {
                    Some(rest) if !rest.is_empty() => rest.to_string(),
                    _ => target,
                };
                TaskSpecContainerSpecSecrets {
                    file: Some(TaskSpecContainerSpecFile {
                        name: Some(target),
                        uid: Some(r.uid.clone().unwrap_or_else(|| "0".to_string())),
                        gid: Some(r.gid.clone().unwrap_or_else(|| "0".to_string())),
                        mode: Some(r.mode.map_or(DEFAULT_FILE_MODE, |m| m.0)),
                    }),
                    secret_id: None,
                    secret_name: Some(self.file_object_name(&self.project.secrets, &r.source)),
                }
            })
            .collect()
    }

    fn config_refs(&self, refs: &[ServiceFileRef]) -> Vec<TaskSpecContainerSpecConfigs> {
        refs.iter()
            .map(|r| TaskSpecContainerSpecConfigs {
                file: Some(TaskSpecContainerSpecFile1 {
                    name: Some(r.target.clone().unwrap_or_else(|| format!("/{}", r.source))),
                    uid: Some(r.uid.clone().unwrap_or_else(|| "0".to_string())),
                    gid: Some(r.gid.clone().unwrap_or_else(|| "0".to_string())),
                    mode: Some(r.mode.map_or(DEFAULT_FILE_MODE, |m| m.0)),
                }),
                runtime: None,
                config_id: None,
                config_name: Some(self.file_object_name(&self.project.configs, &r.source)),
            })
            .collect()
    }

    /// The engine name of the config or secret `key` (the same rule as [`file_plan`]).
    fn file_object_name(&self, objects: &BTreeMap<String, FileObject>, key: &str) -> String {
        match objects.get(key) {
            Some(object) => match &object.name {
                Some(name) => name.clone(),
                None if object.external => key.to_string(),
                None => labels::stack_object_name(&self.opts.stack, key),
            },
            None => labels::stack_object_name(&self.opts.stack, key),
        }
    }

    /// Network keys the service joins and its attachments (targets are engine names).
    fn networks(
        &mut self,
        networks: &BTreeMap<String, Option<crate::project::model::ServiceNetwork>>,
    ) -> (Vec<String>, Vec<NetworkAttachmentConfig>) {
        let stack = self.opts.stack.clone();
        let joined: Vec<(String, Option<crate::project::model::ServiceNetwork>)> =
            if networks.is_empty() {
                vec![("default".to_string(), None)]
            } else {
                networks
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            };
        let mut keys = Vec::new();
        let mut attachments = Vec::new();
        for (key, settings) in joined {
            let name = match self.project.networks.get(&key) {
                Some(network) => network.engine_name(&stack, &key),
                None => labels::network_name(&stack, &key),
            };
            let mut aliases = vec![self.key.to_string()];
            let mut driver_opts = None;
            if let Some(settings) = settings {
                for alias in &settings.aliases {
                    if !aliases.contains(alias) {
                        aliases.push(alias.clone());
                    }
                }
                if !settings.driver_opts.is_empty() {
                    driver_opts = Some(
                        settings
                            .driver_opts
                            .iter()
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect(),
                    );
                }
                for (field, set) in [
                    ("ipv4_address", settings.ipv4_address.is_some()),
                    ("ipv6_address", settings.ipv6_address.is_some()),
                    ("link_local_ips", !settings.link_local_ips.is_empty()),
                    ("mac_address", settings.mac_address.is_some()),
                    ("priority", settings.priority.is_some()),
                    ("gw_priority", settings.gw_priority.is_some()),
                    ("interface_name", settings.interface_name.is_some()),
                ] {
                    self.unsupported(&format!("networks.{key}.{field}"), set);
                }
            }
            keys.push(key);
            attachments.push(NetworkAttachmentConfig {
                target: Some(name),
                aliases: Some(aliases),
                driver_opts,
            });
        }
        (keys, attachments)
    }

    fn mode(&mut self, service: &Service, deploy: &DeployConfig) -> Result<ServiceSpecMode> {
        let scaled = self.opts.scale.get(self.key).copied();
        let explicit = scaled.or(service.scale).or(deploy.replicas);
        let replicas = i64::from(scaled.unwrap_or_else(|| service.replicas()));
        let mode = deploy.mode.as_deref().unwrap_or("replicated");
        let global_with_replicas = |mode: &str| {
            Error::new(format!(
                "deploy.mode {mode} runs one task per node and cannot have replicas or a scale"
            ))
            .with_hint("remove deploy.replicas, scale and --scale for this service")
        };
        match mode {
            "replicated" => Ok(ServiceSpecMode {
                replicated: Some(ServiceSpecModeReplicated {
                    replicas: Some(replicas),
                }),
                ..ServiceSpecMode::default()
            }),
            "global" if explicit.is_none() => Ok(ServiceSpecMode {
                global: Some(HashMap::new()),
                ..ServiceSpecMode::default()
            }),
            "replicated-job" => {
                if self.needs_api("deploy.mode", true, ApiVersion(1, 41)) {
                    Ok(ServiceSpecMode {
                        replicated_job: Some(ServiceSpecModeReplicatedJob {
                            max_concurrent: Some(replicas),
                            total_completions: Some(replicas),
                        }),
                        ..ServiceSpecMode::default()
                    })
                } else {
                    Err(Error::new(
                        "deploy.mode replicated-job needs Engine API 1.41",
                    ))
                }
            }
            "global-job" if explicit.is_none() => {
                if self.needs_api("deploy.mode", true, ApiVersion(1, 41)) {
                    Ok(ServiceSpecMode {
                        global_job: Some(HashMap::new()),
                        ..ServiceSpecMode::default()
                    })
                } else {
                    Err(Error::new("deploy.mode global-job needs Engine API 1.41"))
                }
            }
            "global" | "global-job" => Err(global_with_replicas(mode)),
            other => Err(Error::new(format!("invalid deploy.mode {other:?}"))
                .with_hint("use replicated, global, replicated-job or global-job")),
        }
    }

    fn resources_and_placement(
        &mut self,
        deploy: &DeployConfig,
        platform: Option<&str>,
    ) -> Result<(Option<TaskSpecResources>, Option<TaskSpecPlacement>)> {
        let resources = match &deploy.resources {
            Some(resources) => {
                let limits = resources.limits.as_ref().map(|l| self.limit(l));
                let reservations = resources.reservations.as_ref().map(|r| self.reservation(r));
                Some(TaskSpecResources {
                    limits,
                    reservations,
                    ..TaskSpecResources::default()
                })
            }
            None => None,
        };
        let platforms = match platform {
            Some(text) => {
                let mut parts = text.split('/');
                let os = parts.next().filter(|s| !s.is_empty());
                let architecture = parts.next().filter(|s| !s.is_empty());
                match (os, architecture) {
                    (Some(os), Some(architecture)) => Some(vec![Platform {
                        architecture: Some(architecture.to_string()),
                        os: Some(os.to_string()),
                    }]),
                    _ => {
                        return Err(Error::new(format!(
                            "invalid platform {text:?}: use OS/ARCH such as linux/amd64"
                        )));
                    }
                }
            }
            None => None,
        };
        let placement = match (&deploy.placement, platforms) {
            (None, None) => None,
            (placement, platforms) => {
                let placement = placement.clone().unwrap_or_default();
                if placement.preferences.iter().any(|p| p.spread.is_none()) {
                    self.warn(
                        "deploy.placement.preferences",
                        "swarm knows spread preferences only; the others are ignored",
                    );
                }
                let preferences: Vec<TaskSpecPlacementPreferences> = placement
                    .preferences
                    .iter()
                    .filter_map(|p| {
                        p.spread
                            .as_ref()
                            .map(|spread| TaskSpecPlacementPreferences {
                                spread: Some(TaskSpecPlacementSpread {
                                    spread_descriptor: Some(spread.clone()),
                                }),
                            })
                    })
                    .collect();
                let max_replicas = if self.needs_api(
                    "deploy.placement.max_replicas_per_node",
                    placement.max_replicas_per_node.is_some(),
                    ApiVersion(1, 40),
                ) {
                    placement
                        .max_replicas_per_node
                        .map(|n| i64::try_from(n).unwrap_or(i64::MAX))
                } else {
                    None
                };
                Some(TaskSpecPlacement {
                    constraints: (!placement.constraints.is_empty())
                        .then(|| placement.constraints.clone()),
                    preferences: (!preferences.is_empty()).then_some(preferences),
                    max_replicas,
                    platforms,
                })
            }
        };
        Ok((resources, placement))
    }

    fn limit(&mut self, resource: &Resource) -> Limit {
        let pids = if self.needs_api(
            "deploy.resources.limits.pids",
            resource.pids.is_some(),
            ApiVersion(1, 41),
        ) {
            resource.pids
        } else {
            None
        };
        self.unsupported(
            "deploy.resources.limits.devices",
            !resource.devices.is_empty(),
        );
        self.unsupported(
            "deploy.resources.limits.generic_resources",
            !resource.generic_resources.is_empty(),
        );
        Limit {
            nano_cpus: resource.cpus.map(nano_cpus),
            memory_bytes: resource.memory.map(|m| m.0),
            pids,
        }
    }

    fn reservation(&mut self, resource: &Resource) -> ResourceObject {
        self.unsupported(
            "deploy.resources.reservations.devices",
            !resource.devices.is_empty(),
        );
        self.unsupported(
            "deploy.resources.reservations.pids",
            resource.pids.is_some(),
        );
        let generic: Vec<GenericResourcesInner> = resource
            .generic_resources
            .iter()
            .filter_map(|g| g.discrete_resource_spec.as_ref())
            .map(|spec| GenericResourcesInner {
                discrete_resource_spec: Some(GenericResourcesInnerDiscreteResourceSpec {
                    kind: Some(spec.kind.clone()),
                    value: Some(spec.value),
                }),
                named_resource_spec: None,
            })
            .collect();
        ResourceObject {
            nano_cpus: resource.cpus.map(nano_cpus),
            memory_bytes: resource.memory.map(|m| m.0),
            generic_resources: (!generic.is_empty()).then_some(generic),
        }
    }

    /// `deploy.restart_policy`, else the service's `restart` translated as docker stack does.
    fn restart_policy(
        &mut self,
        deploy: &DeployConfig,
        restart: Option<&str>,
    ) -> Result<Option<TaskSpecRestartPolicy>> {
        if let Some(policy) = &deploy.restart_policy {
            if restart.is_some() {
                self.warn(
                    "restart",
                    "deploy.restart_policy takes precedence for swarm services; ignored",
                );
            }
            let condition = match policy.condition.as_deref() {
                Some(text) => Some(parse_restart_condition(text)?),
                None => None,
            };
            return Ok(Some(TaskSpecRestartPolicy {
                condition,
                delay: policy.delay.map(|d| d.as_nanos()),
                max_attempts: policy
                    .max_attempts
                    .map(|n| i64::try_from(n).unwrap_or(i64::MAX)),
                window: policy.window.map(|d| d.as_nanos()),
            }));
        }
        let Some(restart) = restart else {
            return Ok(None);
        };
        let (condition, max_attempts) = match restart.split_once(':') {
            Some(("on-failure", n)) => {
                let n: i64 = n.trim().parse().map_err(|_| {
                    Error::new(format!(
                        "invalid restart {restart:?}: the retry count must be a number"
                    ))
                })?;
                (TaskSpecRestartPolicyConditionEnum::ON_FAILURE, Some(n))
            }
            _ => match restart {
                "no" => (TaskSpecRestartPolicyConditionEnum::NONE, None),
                "always" | "unless-stopped" => (TaskSpecRestartPolicyConditionEnum::ANY, None),
                "on-failure" => (TaskSpecRestartPolicyConditionEnum::ON_FAILURE, None),
                other => {
                    return Err(Error::new(format!("invalid restart {other:?}"))
                        .with_hint("use no, always, on-failure[:N] or unless-stopped"));
                }
            },
        };
        Ok(Some(TaskSpecRestartPolicy {
            condition: Some(condition),
            max_attempts,
            ..TaskSpecRestartPolicy::default()
        }))
    }

    fn endpoint(&mut self, deploy: &DeployConfig, ports: &[ServicePort]) -> Result<EndpointSpec> {
        let mode = match deploy.endpoint_mode.as_deref() {
            None | Some("vip") => EndpointSpecModeEnum::VIP,
            Some("dnsrr") => EndpointSpecModeEnum::DNSRR,
            Some(other) => {
                return Err(
                    Error::new(format!("invalid deploy.endpoint_mode {other:?}"))
                        .with_hint("use vip or dnsrr"),
                );
            }
        };
        let mut configs = Vec::new();
        for port in ports {
            if port.host_ip.is_some() {
                self.warn(
                    "ports.host_ip",
                    "swarm publishes on every address of the node; host_ip is ignored",
                );
            }
            if port.app_protocol.is_some() {
                self.unsupported("ports.app_protocol", true);
            }
            let published = match port.published.as_deref() {
                None | Some("") => None,
                Some(text) => Some(self.published_port(text)?),
            };
            let publish_mode = match port.mode.as_str() {
                "ingress" => EndpointPortConfigPublishModeEnum::INGRESS,
                "host" => EndpointPortConfigPublishModeEnum::HOST,
                other => {
                    return Err(Error::new(format!("invalid port mode {other:?}"))
                        .with_hint("use ingress or host"));
                }
            };
            configs.push(EndpointPortConfig {
                name: port.name.clone(),
                protocol: Some(port.protocol.parse().map_err(|_| {
                    Error::new(format!(
                        "invalid port protocol {:?}: use tcp, udp or sctp",
                        port.protocol
                    ))
                })?),
                target_port: Some(i64::from(port.target)),
                published_port: published,
                publish_mode: Some(publish_mode),
            });
        }
        Ok(EndpointSpec {
            mode: Some(mode),
            ports: (!configs.is_empty()).then_some(configs),
        })
    }

    /// A published port; a range publishes its first port, with a warning.
    fn published_port(&mut self, text: &str) -> Result<i64> {
        let bad = || {
            Error::new(format!("invalid published port {text:?}"))
                .with_hint("use a port number between 1 and 65535")
        };
        let first = match text.split_once('-') {
            Some((first, _)) => {
                self.warn(
                    "ports.published",
                    format!(
                        "swarm publishes one port per entry, not a range; publishing {first} \
                         for {text}"
                    ),
                );
                first
            }
            None => text,
        };
        first
            .trim()
            .parse::<u16>()
            .map(i64::from)
            .map_err(|_| bad())
    }
}

fn nano_cpus(cpus: f64) -> i64 {
    (cpus * 1e9).round() as i64
}

fn parse_restart_condition(text: &str) -> Result<TaskSpecRestartPolicyConditionEnum> {
    match text {
        "none" | "no" => Ok(TaskSpecRestartPolicyConditionEnum::NONE),
        "on-failure" => Ok(TaskSpecRestartPolicyConditionEnum::ON_FAILURE),
        "any" => Ok(TaskSpecRestartPolicyConditionEnum::ANY),
        other => Err(
            Error::new(format!("invalid deploy.restart_policy.condition {other:?}"))
                .with_hint("use none, on-failure or any"),
        ),
    }
}

fn update_config(config: &UpdateConfig, key: &str) -> Result<ServiceSpecUpdateConfig> {
    let failure_action = match config.failure_action.as_deref() {
        Some(text) => Some(text.parse().map_err(|_| {
            Error::new(format!("invalid {key}.failure_action {text:?}"))
                .with_hint("use continue, rollback or pause")
        })?),
        None => None,
    };
    let order = match config.order.as_deref() {
        Some(text) => Some(text.parse().map_err(|_| {
            Error::new(format!("invalid {key}.order {text:?}"))
                .with_hint("use stop-first or start-first")
        })?),
        None => None,
    };
    Ok(ServiceSpecUpdateConfig {
        parallelism: config
            .parallelism
            .map(|n| i64::try_from(n).unwrap_or(i64::MAX)),
        delay: config.delay.map(|d| d.as_nanos()),
        failure_action,
        monitor: config.monitor.map(|d| d.as_nanos()),
        max_failure_ratio: config.max_failure_ratio,
        order,
    })
}

fn rollback_config(config: &UpdateConfig) -> Result<ServiceSpecRollbackConfig> {
    let key = "deploy.rollback_config";
    let failure_action = match config.failure_action.as_deref() {
        Some(text) => Some(text.parse().map_err(|_| {
            Error::new(format!("invalid {key}.failure_action {text:?}"))
                .with_hint("use continue or pause")
        })?),
        None => None,
    };
    let order = match config.order.as_deref() {
        Some(text) => Some(text.parse().map_err(|_| {
            Error::new(format!("invalid {key}.order {text:?}"))
                .with_hint("use stop-first or start-first")
        })?),
        None => None,
    };
    Ok(ServiceSpecRollbackConfig {
        parallelism: config
            .parallelism
            .map(|n| i64::try_from(n).unwrap_or(i64::MAX)),
        delay: config.delay.map(|d| d.as_nanos()),
        failure_action,
        monitor: config.monitor.map(|d| d.as_nanos()),
        max_failure_ratio: config.max_failure_ratio,
        order,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn project(value: serde_json::Value) -> Project {
        Project::from_value(value).unwrap()
    }

    fn options(stack: &str) -> Options {
        Options {
            stack: stack.to_string(),
            api_version: ApiVersion(1, 41),
            scale: BTreeMap::new(),
        }
    }

    fn plan(value: serde_json::Value) -> StackPlan {
        convert(&project(value), &options("shop")).unwrap()
    }

    fn service<'a>(plan: &'a StackPlan, key: &str) -> &'a ServiceSpec {
        &plan.services.iter().find(|s| s.key == key).unwrap().spec
    }

    fn container(spec: &ServiceSpec) -> &TaskSpecContainerSpec {
        spec.task_template
            .as_ref()
            .unwrap()
            .container_spec
            .as_ref()
            .unwrap()
    }

    fn warned(plan: &StackPlan) -> Vec<String> {
        plan.warnings
            .iter()
            .map(|w| format!("{}:{}", w.service.as_deref().unwrap_or("-"), w.key))
            .collect()
    }

    #[test]
    fn a_full_service() {
        let plan = plan(
            serde_json::from_str(
                r#"{
            "name": "shop",
            "services": {"web": {
                "image": "busybox",
                "command": ["httpd", "-f"],
                "entrypoint": ["/bin/sh", "-c"],
                "environment": {"B": "2", "A": "1", "UNSET": null},
                "labels": {"c": "container"},
                "hostname": "w", "user": "1000", "working_dir": "/srv",
                "extra_hosts": ["db=10.0.0.2"], "dns": ["8.8.8.8"],
                "stop_grace_period": "3s", "stop_signal": "SIGINT",
                "init": true, "read_only": true, "tty": true,
                "cap_add": ["NET_ADMIN"], "ulimits": {"nofile": 1024},
                "sysctls": {"net.core.somaxconn": "1024"},
                "healthcheck": {"test": "wget -q localhost", "interval": "5s", "retries": 3},
                "ports": ["8080:80", {"target": 9000, "published": "9001", "mode": "host",
                                      "protocol": "udp"}],
                "volumes": ["data:/data:ro", "/srv/static:/static", {"type": "tmpfs",
                            "target": "/t", "tmpfs": {"size": "1m"}}],
                "networks": {"front": {"aliases": ["www"]}, "default": null},
                "configs": [{"source": "conf", "target": "/etc/app.conf", "mode": "0440"},
                            "plain"],
                "secrets": ["token"],
                "logging": {"driver": "json-file", "options": {"max-size": "1m"}},
                "deploy": {
                    "replicas": 3, "labels": {"s": "service"}, "endpoint_mode": "vip",
                    "resources": {"limits": {"cpus": "0.5", "memory": "64M", "pids": 100},
                                  "reservations": {"cpus": "0.25", "memory": "16M"}},
                    "restart_policy": {"condition": "on-failure", "delay": "2s",
                                       "max_attempts": 5, "window": "1m"},
                    "update_config": {"parallelism": 2, "delay": "1s", "order": "start-first",
                                      "failure_action": "rollback", "monitor": "10s",
                                      "max_failure_ratio": 0.2},
                    "rollback_config": {"parallelism": 1, "failure_action": "continue"},
                    "placement": {"constraints": ["node.role==manager"],
                                  "preferences": [{"spread": "node.labels.zone"}],
                                  "max_replicas_per_node": 2}
                }
            }},
            "networks": {"front": {"driver_opts": {"encrypted": "true"}, "attachable": true,
                                   "labels": {"n": "1"}}},
            "volumes": {"data": {"labels": {"v": "1"}}},
            "configs": {"conf": {"file": "/src/app.conf"}, "plain": {"content": "x=1"}},
            "secrets": {"token": {"environment": "TOKEN", "labels": {"k": "v"}}}
        }"#,
            )
            .unwrap(),
        );
        assert_eq!(warned(&plan), Vec::<String>::new());
        let spec = service(&plan, "web");
        assert_eq!(spec.name.as_deref(), Some("shop_web"));
        let labels = spec.labels.as_ref().unwrap();
        assert_eq!(labels["com.docker.stack.namespace"], "shop");
        assert_eq!(labels["com.docker.stack.image"], "busybox");
        assert_eq!(labels["s"], "service");
        let c = container(spec);
        assert_eq!(c.image.as_deref(), Some("busybox"));
        assert_eq!(c.labels.as_ref().unwrap()["c"], "container");
        assert_eq!(
            c.labels.as_ref().unwrap()["com.docker.stack.namespace"],
            "shop"
        );
        assert_eq!(c.command, Some(vec!["/bin/sh".into(), "-c".into()]));
        assert_eq!(c.args, Some(vec!["httpd".into(), "-f".into()]));
        assert_eq!(
            c.env,
            Some(vec!["A=1".into(), "B=2".into(), "UNSET".into()])
        );
        assert_eq!(c.hosts, Some(vec!["10.0.0.2 db".into()]));
        assert_eq!(c.stop_grace_period, Some(3_000_000_000));
        assert_eq!(c.init, Some(true));
        assert_eq!(c.capability_add, Some(vec!["NET_ADMIN".into()]));
        assert_eq!(c.ulimits.as_ref().unwrap()[0].hard, Some(1024));
        let health = c.health_check.as_ref().unwrap();
        assert_eq!(
            health.test,
            Some(vec!["CMD-SHELL".into(), "wget -q localhost".into()])
        );
        assert_eq!(health.interval, Some(5_000_000_000));
        assert_eq!(health.retries, Some(3));

        let mounts = c.mounts.as_ref().unwrap();
        assert_eq!(mounts[0].source.as_deref(), Some("shop_data"));
        assert_eq!(mounts[0].read_only, Some(true));
        let volume_labels = mounts[0]
            .volume_options
            .as_ref()
            .unwrap()
            .labels
            .as_ref()
            .unwrap();
        assert_eq!(volume_labels["v"], "1");
        assert_eq!(volume_labels["com.docker.stack.namespace"], "shop");
        assert_eq!(mounts[1].typ, Some(MountType::BIND));
        assert_eq!(mounts[2].typ, Some(MountType::TMPFS));
        assert_eq!(
            mounts[2].tmpfs_options.as_ref().unwrap().size_bytes,
            Some(1 << 20)
        );

        let configs = c.configs.as_ref().unwrap();
        let file = configs[0].file.as_ref().unwrap();
        assert_eq!(file.name.as_deref(), Some("/etc/app.conf"));
        assert_eq!(file.mode, Some(0o440));
        assert_eq!(configs[0].config_name.as_deref(), Some("shop_conf"));
        assert_eq!(
            configs[1].file.as_ref().unwrap().name.as_deref(),
            Some("/plain")
        );
        let secret = &c.secrets.as_ref().unwrap()[0];
        assert_eq!(secret.secret_name.as_deref(), Some("shop_token"));
        let file = secret.file.as_ref().unwrap();
        assert_eq!(file.name.as_deref(), Some("token"));
        assert_eq!((file.uid.as_deref(), file.mode), (Some("0"), Some(0o444)));

        let task = spec.task_template.as_ref().unwrap();
        let limits = task.resources.as_ref().unwrap().limits.as_ref().unwrap();
        assert_eq!(limits.nano_cpus, Some(500_000_000));
        assert_eq!(limits.memory_bytes, Some(64 << 20));
        assert_eq!(limits.pids, Some(100));
        let reservations = task
            .resources
            .as_ref()
            .unwrap()
            .reservations
            .as_ref()
            .unwrap();
        assert_eq!(reservations.nano_cpus, Some(250_000_000));
        let restart = task.restart_policy.as_ref().unwrap();
        assert_eq!(
            restart.condition,
            Some(TaskSpecRestartPolicyConditionEnum::ON_FAILURE)
        );
        assert_eq!(restart.max_attempts, Some(5));
        assert_eq!(restart.window, Some(60_000_000_000));
        let placement = task.placement.as_ref().unwrap();
        assert_eq!(
            placement.constraints,
            Some(vec!["node.role==manager".into()])
        );
        assert_eq!(placement.max_replicas, Some(2));
        assert_eq!(
            placement.preferences.as_ref().unwrap()[0]
                .spread
                .as_ref()
                .unwrap()
                .spread_descriptor
                .as_deref(),
            Some("node.labels.zone")
        );
        let networks = task.networks.as_ref().unwrap();
        let targets: Vec<_> = networks.iter().map(|n| n.target.clone().unwrap()).collect();
        assert_eq!(targets, ["shop_default", "shop_front"]);
        assert_eq!(
            networks[1].aliases,
            Some(vec!["web".to_string(), "www".to_string()])
        );
        assert_eq!(
            task.log_driver.as_ref().unwrap().name.as_deref(),
            Some("json-file")
        );

        assert_eq!(
            spec.mode
                .as_ref()
                .unwrap()
                .replicated
                .as_ref()
                .unwrap()
                .replicas,
            Some(3)
        );
        let update = spec.update_config.as_ref().unwrap();
        assert_eq!(update.parallelism, Some(2));
        assert_eq!(update.max_failure_ratio, Some(0.2));
        assert_eq!(
            serde_json::to_value(update).unwrap()["FailureAction"],
            json!("rollback")
        );
        assert_eq!(
            serde_json::to_value(spec.rollback_config.as_ref().unwrap()).unwrap()["FailureAction"],
            json!("continue")
        );
        let endpoint = serde_json::to_value(spec.endpoint_spec.as_ref().unwrap()).unwrap();
        assert_eq!(
            endpoint,
            json!({"Mode": "vip", "Ports": [
                {"Protocol": "tcp", "TargetPort": 80, "PublishedPort": 8080,
                 "PublishMode": "ingress"},
                {"Protocol": "udp", "TargetPort": 9000, "PublishedPort": 9001,
                 "PublishMode": "host"}]})
        );

        let networks: Vec<(&str, &str, bool)> = plan
            .networks
            .iter()
            .map(|n| (n.key.as_str(), n.name.as_str(), n.create.is_some()))
            .collect();
        assert_eq!(
            networks,
            [
                ("default", "shop_default", true),
                ("front", "shop_front", true)
            ]
        );
        let front = plan.networks[1].create.as_ref().unwrap();
        assert_eq!(front.driver.as_deref(), Some("overlay"));
        assert_eq!(front.attachable, Some(true));
        assert_eq!(front.labels.as_ref().unwrap()["n"], "1");
        assert_eq!(
            front.labels.as_ref().unwrap()["com.docker.stack.namespace"],
            "shop"
        );
        let default = plan.networks[0].create.as_ref().unwrap();
        assert_eq!(default.attachable, None);

        let configs: Vec<(&str, &FileSource)> = plan
            .configs
            .iter()
            .map(|c| (c.name.as_str(), &c.source))
            .collect();
        assert_eq!(
            configs,
            [
                ("shop_conf", &FileSource::File("/src/app.conf".into())),
                ("shop_plain", &FileSource::Content("x=1".into())),
            ]
        );
        assert_eq!(plan.secrets[0].name, "shop_token");
        assert_eq!(
            plan.secrets[0].source,
            FileSource::Environment("TOKEN".into())
        );
        assert_eq!(plan.secrets[0].labels["k"], "v");
        assert_eq!(plan.secrets[0].labels["com.docker.stack.namespace"], "shop");
    }

    #[test]
    fn what_swarm_cannot_do_is_warned_once_per_key() {
        let plan = plan(json!({
            "name": "shop",
            "services": {
                "web": {
                    "image": "busybox", "build": ".", "container_name": "web",
                    "privileged": true, "network_mode": "host", "devices": ["/dev/fuse"],
                    "depends_on": {"db": {"condition": "service_healthy"}},
                    "cpus": 1.5, "mem_limit": "1g", "links": ["db"], "expose": [80],
                    "oom_score_adj": 10, "security_opt": ["label=disable", "seccomp=x"],
                    "healthcheck": {"test": "true", "start_interval": "1s"},
                    "ports": [{"target": 80, "host_ip": "127.0.0.1", "published": "80-81"}],
                    "volumes": [{"type": "bind", "source": "/a", "target": "/a",
                                 "bind": {"selinux": "z"}},
                                {"type": "bind", "source": "/b", "target": "/b",
                                 "bind": {"selinux": "Z"}}],
                    "deploy": {"resources": {"reservations": {"devices": [
                        {"capabilities": ["gpu"]}]}}}
                },
                "db": {"image": "postgres", "tmpfs": ["/run"], "pid": "host"}
            }
        }));
        assert_eq!(
            warned(&plan),
            [
                "db:pid",
                "db:tmpfs",
                "web:build",
                "web:container_name",
                "web:cpus",
                "web:mem_limit",
                "web:depends_on.db",
                "web:devices",
                "web:expose",
                "web:links",
                "web:network_mode",
                "web:privileged",
                "web:oom_score_adj",
                "web:security_opt",
                "web:healthcheck.start_interval",
                "web:volumes.bind.selinux",
                "web:deploy.resources.reservations.devices",
                "web:ports.host_ip",
                "web:ports.published",
            ]
        );
        let text = plan.warnings[4].to_string();
        assert_eq!(
            text,
            "service \"web\": cpus: ignored by swarm services; use deploy.resources.limits.cpus"
        );
        let oom = plan
            .warnings
            .iter()
            .find(|w| w.key == "oom_score_adj")
            .unwrap();
        assert_eq!(
            oom.message,
            "needs Engine API 1.46 or later (this engine speaks 1.41); ignored"
        );
        let web = container(service(&plan, "web"));
        assert_eq!(web.oom_score_adj, None);
        let ports = service(&plan, "web")
            .endpoint_spec
            .as_ref()
            .unwrap()
            .ports
            .clone();
        assert_eq!(ports.unwrap()[0].published_port, Some(80));

        let mut newer = options("shop");
        newer.api_version = ApiVersion(1, 46);
        let again = convert(
            &project(json!({"services": {"web": {"image": "b", "oom_score_adj": 10}}})),
            &newer,
        )
        .unwrap();
        assert!(again.warnings.is_empty());
        assert_eq!(container(&again.services[0].spec).oom_score_adj, Some(10));
    }

    #[test]
    fn every_dependency_and_every_dropped_preference_is_warned() {
        let plan = plan(json!({
            "name": "shop",
            "services": {
                "api": {"image": "a", "depends_on": {
                    "db": {"condition": "service_healthy"},
                    "migrate": {"condition": "service_completed_successfully"}},
                    "deploy": {"placement": {"preferences": [
                        {"spread": "node.labels.zone"}, {"x-other": "rack"}]}}},
                "db": {"image": "postgres"},
                "migrate": {"image": "a"}
            }
        }));
        let list: Vec<String> = plan.warnings.iter().map(ToString::to_string).collect();
        assert_eq!(
            list,
            [
                "service \"api\": depends_on.db: swarm starts services in no particular order \
                 and has no dependency conditions; service_healthy is not waited for",
                "service \"api\": depends_on.migrate: swarm starts services in no particular \
                 order and has no dependency conditions; service_completed_successfully is not \
                 waited for",
                "service \"api\": deploy.placement.preferences: swarm knows spread preferences \
                 only; the others are ignored",
            ]
        );
        let placement = service(&plan, "api")
            .task_template
            .as_ref()
            .and_then(|t| t.placement.as_ref())
            .and_then(|p| p.preferences.as_ref())
            .map(Vec::len);
        assert_eq!(placement, Some(1));
    }

    #[test]
    fn a_built_service_runs_the_image_compose_would_build() {
        let plan = plan(json!({"name": "shop", "services": {"api": {"build": "."}}}));
        assert_eq!(
            container(service(&plan, "api")).image.as_deref(),
            Some("shop-api")
        );
        assert!(plan.warnings[0].message.contains("\"shop-api\""));
    }

    #[test]
    fn replicas_come_from_scale_flags_then_the_file() {
        let value = json!({"services": {
            "web": {"image": "b", "deploy": {"replicas": 3}},
            "one": {"image": "b"},
            "all": {"image": "b", "deploy": {"mode": "global"}},
            "job": {"image": "b", "deploy": {"mode": "replicated-job", "replicas": 2}}
        }});
        let replicas = |plan: &StackPlan, key: &str| {
            service(plan, key)
                .mode
                .as_ref()
                .and_then(|m| m.replicated.as_ref())
                .and_then(|r| r.replicas)
        };
        let mut opts = options("s");
        let plan = convert(&project(value.clone()), &opts).unwrap();
        assert_eq!(replicas(&plan, "web"), Some(3));
        assert_eq!(replicas(&plan, "one"), Some(1));
        assert!(
            service(&plan, "all")
                .mode
                .as_ref()
                .unwrap()
                .global
                .is_some()
        );
        let job = service(&plan, "job")
            .mode
            .clone()
            .unwrap()
            .replicated_job
            .unwrap();
        assert_eq!(job.total_completions, Some(2));

        opts.scale.insert("web".into(), 5);
        let plan = convert(&project(value.clone()), &opts).unwrap();
        assert_eq!(replicas(&plan, "web"), Some(5));

        opts.scale = BTreeMap::from([("all".to_string(), 2)]);
        let err = convert(&project(value.clone()), &opts).unwrap_err();
        assert!(
            err.message
                .starts_with("service \"all\": deploy.mode global"),
            "{err}"
        );

        opts.scale = BTreeMap::from([("nope".to_string(), 2)]);
        let err = convert(&project(value), &opts).unwrap_err();
        assert_eq!(err.message, "--scale: no such service: nope");
    }

    #[test]
    fn restart_translates_when_there_is_no_restart_policy() {
        let policy = |restart: &str| {
            let plan = plan(json!({"services": {"w": {"image": "b", "restart": restart}}}));
            let p = service(&plan, "w")
                .task_template
                .clone()
                .unwrap()
                .restart_policy
                .unwrap();
            (p.condition, p.max_attempts)
        };
        use TaskSpecRestartPolicyConditionEnum as C;
        assert_eq!(policy("no"), (Some(C::NONE), None));
        assert_eq!(policy("always"), (Some(C::ANY), None));
        assert_eq!(policy("unless-stopped"), (Some(C::ANY), None));
        assert_eq!(policy("on-failure:3"), (Some(C::ON_FAILURE), Some(3)));
    }

    #[test]
    fn external_and_named_objects_keep_their_names() {
        let plan = plan(json!({
            "name": "shop",
            "services": {"web": {"image": "b", "networks": ["outside", "named"],
                                 "secrets": ["ext"], "configs": ["own"],
                                 "volumes": ["shared:/s"]}},
            "networks": {"outside": {"external": true}, "named": {"name": "my-net"}},
            "volumes": {"shared": {"external": true, "name": "shared-data"}},
            "secrets": {"ext": {"external": true, "name": "real-secret"}},
            "configs": {"own": {"name": "conf-v2", "content": "x"}}
        }));
        let networks: Vec<(&str, bool)> = plan
            .networks
            .iter()
            .map(|n| (n.name.as_str(), n.create.is_some()))
            .collect();
        assert_eq!(networks, [("my-net", true), ("outside", false)]);
        assert_eq!(plan.secrets[0].name, "real-secret");
        assert_eq!(plan.secrets[0].source, FileSource::External);
        assert_eq!(plan.configs[0].name, "conf-v2");
        let c = container(service(&plan, "web"));
        assert_eq!(
            c.secrets.as_ref().unwrap()[0].secret_name.as_deref(),
            Some("real-secret")
        );
        assert_eq!(
            c.configs.as_ref().unwrap()[0].config_name.as_deref(),
            Some("conf-v2")
        );
        let mount = &c.mounts.as_ref().unwrap()[0];
        assert_eq!(mount.source.as_deref(), Some("shared-data"));
        assert_eq!(mount.volume_options.as_ref().unwrap().labels, None);
    }

    #[test]
    fn invalid_values_are_user_errors() {
        let cases = [
            (
                json!({"services": {"w": {"image": "b", "deploy": {"mode": "sometimes"}}}}),
                "service \"w\": invalid deploy.mode \"sometimes\"",
            ),
            (
                json!({"services": {"w": {"image": "b",
                                          "deploy": {"rollback_config": {"failure_action": "rollback"}}}}}),
                "service \"w\": invalid deploy.rollback_config.failure_action \"rollback\"",
            ),
            (
                json!({"services": {"w": {"image": "b", "deploy": {"endpoint_mode": "x"}}}}),
                "service \"w\": invalid deploy.endpoint_mode \"x\"",
            ),
            (
                json!({"services": {"w": {"image": "b", "secrets": ["s"]}},
                       "secrets": {"s": {}}}),
                "secret \"s\" has no file, content or environment",
            ),
        ];
        for (value, message) in cases {
            let err = convert(&project(value), &options("s")).unwrap_err();
            assert_eq!(err.message, message);
        }
    }
}
