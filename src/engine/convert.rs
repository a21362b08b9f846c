//! A service of the model turned into what the engine takes to create one of its containers:
//! the create body (config, host config, the first network) plus the other networks to connect
//! before start, and the config hash that tells whether an existing container is up to date.

use std::collections::{BTreeMap, HashMap};

use bollard::models::{
    ContainerCreateBody, DeviceMapping, EndpointIpamConfig, EndpointSettings, HealthConfig,
    HostConfig, HostConfigLogConfig, Mount, MountTmpfsOptions, MountType as EngineMountType,
    MountVolumeOptions, NetworkingConfig, PortBinding, ResourcesUlimits, RestartPolicy,
    RestartPolicyNameEnum,
};

use super::labels;
use crate::error::{Error, Result};
use crate::project::model::{MountType, Project, Service};

/// Project-wide facts every container of the project is labelled with, and the variables
/// `environment:` secrets and configs read their content from.
#[derive(Clone, Default)]
pub struct ProjectContext {
    pub working_dir: String,
    pub config_files: Vec<String>,
    pub env_files: Vec<String>,
    /// The project's variables (env files and the process environment).
    pub environment: BTreeMap<String, String>,
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
const INJECTED_MODE: u32 = 0o444;

/// The config hash of `service` (label [`labels::CONFIG_HASH`]), as docker compose computes it.
pub fn config_hash(service: &Service) -> Result<String> {
    super::config_hash::service_hash(service)
}

/// Engine name of the container of replica 1 of `service` (for `service:X` references).
pub fn first_container(project: &Project, service: &str) -> String {
    match project
        .services
        .get(service)
        .and_then(|s| s.container_name.clone())
    {
        Some(name) => name,
        None => labels::container_name(&project.name, service, 1),
    }
}

/// `service:X` → `container:<X's first container>`; other modes unchanged.
fn resolve_mode(project: &Project, mode: &str) -> String {
    match mode.strip_prefix("service:") {
        Some(service) => format!("container:{}", first_container(project, service)),
        None => mode.to_string(),
    }
}

/// The engine name of a project network key.
pub fn network_engine_name(project: &Project, key: &str) -> String {
    match project.networks.get(key) {
        Some(network) => network.engine_name(&project.name, key),
        None => labels::network_name(&project.name, key),
    }
}

/// The networks a service joins, by project key: its `networks:`, else `default`.
/// Empty when `network_mode` is set.
pub fn service_network_keys(service: &Service) -> Vec<String> {
    if service.network_mode.is_some() {
        return Vec::new();
    }
    if service.networks.is_empty() {
        return vec!["default".to_string()];
    }
    let mut keys: Vec<(i64, String)> = service
        .networks
        .iter()
        .map(|(k, n)| {
            let priority = n.as_ref().and_then(|n| n.priority).unwrap_or(0);
            (-priority, k.clone())
        })
        .collect();
    keys.sort();
    keys.into_iter().map(|(_, k)| k).collect()
}

fn nanos(d: crate::project::model::Duration) -> i64 {
    d.0
}

/// Build the create spec for replica `number` of `name`.
pub fn container_spec(
    project: &Project,
    context: &ProjectContext,
    name: &str,
    number: u32,
    config_hash: &str,
    image_id: Option<&str>,
) -> Result<ContainerSpec> {
    let service = project
        .services
        .get(name)
        .ok_or_else(|| Error::new(format!("no such service: {name}")))?;
    let container_name = match &service.container_name {
        Some(n) => n.clone(),
        None => labels::container_name(&project.name, name, number),
    };

    let mut container_labels: HashMap<String, String> = service
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (k, v) in [
        (labels::PROJECT, project.name.clone()),
        (labels::SERVICE, name.to_string()),
        (labels::CONTAINER_NUMBER, number.to_string()),
        (labels::ONEOFF, labels::ONEOFF_FALSE.to_string()),
        (labels::CONFIG_HASH, config_hash.to_string()),
        (labels::WORKING_DIR, context.working_dir.clone()),
        (labels::CONFIG_FILES, context.config_files.join(",")),
        (labels::ENVIRONMENT_FILE, context.env_files.join(",")),
        (
            labels::DEPENDS_ON,
            labels::depends_on_value(&service.depends_on),
        ),
        (
            labels::IMAGE,
            image_id
                .map(str::to_string)
                .unwrap_or_else(|| service.image_name(&project.name, name)),
        ),
        (labels::VERSION, labels::COMPOSE_VERSION.to_string()),
    ] {
        container_labels.insert(k.to_string(), v);
    }

    let env: Vec<String> = service
        .environment
        .iter()
        .map(|(k, v)| match v {
            Some(v) => format!("{k}={v}"),
            // A bare name unsets what the image sets, as docker compose passes it.
            None => k.clone(),
        })
        .collect();

    // Ports.
    let mut exposed: Vec<String> = Vec::new();
    let mut bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    for port in &service.ports {
        let key = format!("{}/{}", port.target, port.protocol);
        if !exposed.contains(&key) {
            exposed.push(key.clone());
        }
        bindings
            .entry(key)
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_with(Vec::new)
            .push(PortBinding {
                host_ip: port.host_ip.clone(),
                host_port: Some(port.published.clone().unwrap_or_default()),
            });
    }
    for expose in &service.expose {
        let key = if expose.contains('/') {
            expose.clone()
        } else {
            format!("{expose}/tcp")
        };
        if !exposed.contains(&key) {
            exposed.push(key);
        }
    }

    // Volumes: binds as `Binds` (the engine creates missing host directories, as compose does
    // for the short syntax), named/anonymous volumes and tmpfs as mounts.
    let mut binds: Vec<String> = Vec::new();
    let mut mounts: Vec<Mount> = Vec::new();
    for volume in &service.volumes {
        match volume.type_ {
            MountType::Bind => {
                let source = volume.source.clone().unwrap_or_default();
                let mut options: Vec<String> = Vec::new();
                if volume.read_only {
                    options.push("ro".to_string());
                }
                if let Some(bind) = &volume.bind {
                    if let Some(p) = &bind.propagation {
                        options.push(p.clone());
                    }
                    if let Some(s) = &bind.selinux {
                        options.push(s.clone());
                    }
                }
                let mut spec = format!("{source}:{}", volume.target);
                if !options.is_empty() {
                    spec.push(':');
                    spec.push_str(&options.join(","));
                }
                binds.push(spec);
            }
            MountType::Volume => {
                let source = volume
                    .source
                    .as_ref()
                    .map(|key| match project.volumes.get(key) {
                        Some(v) => v.engine_name(&project.name, key),
                        None => key.clone(),
                    });
                let options = volume.volume.as_ref().map(|v| MountVolumeOptions {
                    no_copy: v.nocopy.then_some(true),
                    labels: (!v.labels.is_empty()).then(|| {
                        v.labels
                            .iter()
                            .map(|(a, b)| (a.clone(), b.clone()))
                            .collect()
                    }),
                    ..Default::default()
                });
                // SELinux relabeling exists only in the bind form (`name:/target:Z`), which
                // is what docker compose sends for a relabeled named volume.
                let relabel = volume.bind.as_ref().and_then(|b| b.selinux.clone());
                if let (Some(label), Some(source)) = (relabel, &source) {
                    let mode = if volume.read_only { "ro" } else { "rw" };
                    binds.push(format!("{source}:{}:{mode},{label}", volume.target));
                    continue;
                }
                mounts.push(Mount {
                    target: Some(volume.target.clone()),
                    source,
                    typ: Some(EngineMountType::VOLUME),
                    read_only: volume.read_only.then_some(true),
                    volume_options: options,
                    ..Default::default()
                });
            }
            MountType::Tmpfs => {
                let options = volume.tmpfs.as_ref().map(|t| MountTmpfsOptions {
                    size_bytes: t.size.map(|s| s.0),
                    mode: t.mode.map(i64::from),
                    ..Default::default()
                });
                mounts.push(Mount {
                    target: Some(volume.target.clone()),
                    typ: Some(EngineMountType::TMPFS),
                    read_only: volume.read_only.then_some(true),
                    tmpfs_options: options,
                    ..Default::default()
                });
            }
            other => {
                return Err(Error::new(format!(
                    "service \"{name}\": volumes of type {other:?} are not supported by this engine"
                )));
            }
        }
    }

    let files = secret_and_config_files(project, context, name, service, &mut mounts)?;

    let tmpfs: HashMap<String, String> = service
        .tmpfs
        .iter()
        .map(|entry| match entry.split_once(':') {
            Some((path, options)) => (path.to_string(), options.to_string()),
            None => (entry.clone(), String::new()),
        })
        .collect();

    // Resources: the service keys win over deploy.resources, as in compose.
    let limits = service
        .deploy
        .as_ref()
        .and_then(|d| d.resources.as_ref())
        .and_then(|r| r.limits.as_ref());
    let reservations = service
        .deploy
        .as_ref()
        .and_then(|d| d.resources.as_ref())
        .and_then(|r| r.reservations.as_ref());
    let memory = service
        .mem_limit
        .map(|b| b.0)
        .or_else(|| limits.and_then(|l| l.memory).map(|b| b.0));
    let memory_reservation = service
        .mem_reservation
        .map(|b| b.0)
        .or_else(|| reservations.and_then(|r| r.memory).map(|b| b.0));
    let cpus = service.cpus.or_else(|| limits.and_then(|l| l.cpus));
    let pids_limit = service.pids_limit.or_else(|| limits.and_then(|l| l.pids));

    let restart_policy = restart_policy(service)?;

    let healthcheck = service.healthcheck.as_ref().map(|h| {
        if h.is_disabled() {
            HealthConfig {
                test: Some(vec!["NONE".to_string()]),
                ..Default::default()
            }
        } else {
            HealthConfig {
                test: h.test.clone(),
                interval: h.interval.map(nanos),
                timeout: h.timeout.map(nanos),
                retries: h.retries.map(|r| i64::try_from(r).unwrap_or(i64::MAX)),
                start_period: h.start_period.map(nanos),
                // Needs API 1.44: set by `up` when the engine speaks it, else warned about.
                start_interval: None,
            }
        }
    });

    let ulimits: Vec<ResourcesUlimits> = service
        .ulimits
        .iter()
        .map(|(k, u)| ResourcesUlimits {
            name: Some(k.clone()),
            soft: Some(u.soft),
            hard: Some(u.hard),
        })
        .collect();

    let extra_hosts: Vec<String> = service
        .extra_hosts
        .iter()
        .flat_map(|(host, ips)| ips.iter().map(move |ip| format!("{host}:{ip}")))
        .collect();

    let devices: Vec<DeviceMapping> = service
        .devices
        .iter()
        .map(|d| DeviceMapping {
            path_on_host: Some(d.source.clone()),
            path_in_container: Some(d.target.clone()),
            cgroup_permissions: Some(if d.permissions.is_empty() {
                "rwm".to_string()
            } else {
                d.permissions.clone()
            }),
        })
        .collect();

    // Networks.
    let network_keys = service_network_keys(service);
    let mut endpoints: Vec<(String, EndpointSettings)> = network_keys
        .iter()
        .map(|key| {
            let settings = service.networks.get(key).cloned().flatten();
            let mut aliases = vec![name.to_string()];
            if let Some(s) = &settings {
                for alias in &s.aliases {
                    if !aliases.contains(alias) {
                        aliases.push(alias.clone());
                    }
                }
            }
            let ipam = settings
                .as_ref()
                .filter(|s| !s.link_local_ips.is_empty())
                .map(|s| EndpointIpamConfig {
                    link_local_ips: Some(s.link_local_ips.clone()),
                    ..Default::default()
                });
            let endpoint = EndpointSettings {
                aliases: Some(aliases),
                ipam_config: ipam,
                driver_opts: settings
                    .as_ref()
                    .filter(|s| !s.driver_opts.is_empty())
                    .map(|s| {
                        s.driver_opts
                            .iter()
                            .map(|(a, b)| (a.clone(), b.clone()))
                            .collect()
                    }),
                ..Default::default()
            };
            (network_engine_name(project, key), endpoint)
        })
        .collect();
    let network_mode = match &service.network_mode {
        Some(mode) => Some(resolve_mode(project, mode)),
        None => endpoints.first().map(|(n, _)| n.clone()),
    };
    let first_network = if endpoints.is_empty() {
        None
    } else {
        Some(endpoints.remove(0))
    };

    let host_config = HostConfig {
        binds: (!binds.is_empty()).then_some(binds),
        mounts: (!mounts.is_empty()).then_some(mounts),
        port_bindings: (!bindings.is_empty()).then_some(bindings),
        restart_policy,
        memory,
        memory_reservation,
        memory_swap: service.memswap_limit.map(|b| b.0),
        memory_swappiness: service.mem_swappiness,
        nano_cpus: cpus.map(|c| (c * 1e9).round() as i64),
        cpu_shares: service.cpu_shares,
        cpu_period: service.cpu_period,
        cpu_quota: service.cpu_quota,
        cpu_realtime_period: service.cpu_rt_period,
        cpu_realtime_runtime: service.cpu_rt_runtime,
        cpuset_cpus: service.cpuset.clone(),
        pids_limit,
        ulimits: (!ulimits.is_empty()).then_some(ulimits),
        cap_add: (!service.cap_add.is_empty()).then(|| service.cap_add.clone()),
        cap_drop: (!service.cap_drop.is_empty()).then(|| service.cap_drop.clone()),
        privileged: service.privileged.then_some(true),
        sysctls: (!service.sysctls.is_empty()).then(|| {
            service
                .sysctls
                .iter()
                .map(|(a, b)| (a.clone(), b.clone()))
                .collect()
        }),
        shm_size: service.shm_size.map(|b| b.0),
        tmpfs: (!tmpfs.is_empty()).then_some(tmpfs),
        init: service.init,
        extra_hosts: (!extra_hosts.is_empty()).then_some(extra_hosts),
        dns: (!service.dns.is_empty()).then(|| service.dns.clone()),
        dns_options: (!service.dns_opt.is_empty()).then(|| service.dns_opt.clone()),
        dns_search: (!service.dns_search.is_empty()).then(|| service.dns_search.clone()),
        network_mode,
        pid_mode: service.pid.as_deref().map(|m| resolve_mode(project, m)),
        ipc_mode: service.ipc.as_deref().map(|m| resolve_mode(project, m)),
        uts_mode: service.uts.clone(),
        userns_mode: service.userns_mode.clone(),
        cgroup_parent: service.cgroup_parent.clone(),
        devices: (!devices.is_empty()).then_some(devices),
        device_cgroup_rules: (!service.device_cgroup_rules.is_empty())
            .then(|| service.device_cgroup_rules.clone()),
        log_config: service.logging.as_ref().map(|l| HostConfigLogConfig {
            typ: l.driver.clone(),
            config: (!l.options.is_empty()).then(|| {
                l.options
                    .iter()
                    .map(|(a, b)| (a.clone(), b.clone()))
                    .collect()
            }),
        }),
        readonly_rootfs: service.read_only.then_some(true),
        security_opt: (!service.security_opt.is_empty()).then(|| service.security_opt.clone()),
        group_add: (!service.group_add.is_empty()).then(|| service.group_add.clone()),
        oom_kill_disable: service.oom_kill_disable.then_some(true),
        oom_score_adj: service.oom_score_adj,
        runtime: service.runtime.clone(),
        storage_opt: (!service.storage_opt.is_empty()).then(|| {
            service
                .storage_opt
                .iter()
                .map(|(a, b)| (a.clone(), b.clone()))
                .collect()
        }),
        volumes_from: (!service.volumes_from.is_empty()).then(|| {
            service
                .volumes_from
                .iter()
                .map(|v| match v.strip_prefix("container:") {
                    Some(rest) => rest.to_string(),
                    None => {
                        let (svc, mode) = v.split_once(':').unwrap_or((v.as_str(), ""));
                        let target = first_container(project, svc);
                        if mode.is_empty() {
                            target
                        } else {
                            format!("{target}:{mode}")
                        }
                    }
                })
                .collect()
        }),
        ..Default::default()
    };

    let body = ContainerCreateBody {
        image: Some(service.image_name(&project.name, name)),
        cmd: service.command.clone(),
        entrypoint: service.entrypoint.clone().map(|e| {
            // An empty list clears the image's entrypoint; the engine wants `[""]` for that.
            if e.is_empty() { vec![String::new()] } else { e }
        }),
        env: (!env.is_empty()).then_some(env),
        exposed_ports: (!exposed.is_empty()).then_some(exposed),
        labels: Some(container_labels),
        hostname: service.hostname.clone(),
        domainname: service.domainname.clone(),
        user: service.user.clone(),
        working_dir: service.working_dir.clone(),
        tty: service.tty.then_some(true),
        open_stdin: service.stdin_open.then_some(true),
        attach_stdin: Some(false),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        stop_signal: service.stop_signal.clone(),
        stop_timeout: service.stop_grace_period.map(|d| d.0 / 1_000_000_000),
        healthcheck,
        host_config: Some(host_config),
        networking_config: first_network.map(|(network, endpoint)| NetworkingConfig {
            endpoints_config: Some(HashMap::from([(network, endpoint)])),
        }),
        ..Default::default()
    };
    Ok(ContainerSpec {
        name: container_name,
        body,
        extra_networks: endpoints,
        files,
    })
}

/// Secrets and configs of a service: read-only bind mounts of their files (added to
/// `mounts`), and the files to write into the container for the others.
fn secret_and_config_files(
    project: &Project,
    context: &ProjectContext,
    name: &str,
    service: &Service,
    mounts: &mut Vec<Mount>,
) -> Result<Vec<InjectedFile>> {
    let mut files = Vec::new();
    let kinds = [
        (
            "secret",
            &service.secrets,
            &project.secrets,
            "/run/secrets/",
        ),
        ("config", &service.configs, &project.configs, "/"),
    ];
    for (kind, refs, declared, base) in kinds {
        for r in refs {
            let what = format!("{kind} \"{}\"", r.source);
            let fail =
                |message: String| Error::new(format!("service \"{name}\": {what}: {message}"));
            let object = declared
                .get(&r.source)
                .ok_or_else(|| fail("not declared at the top level".to_string()))?;
            let target = match r.target.as_deref() {
                Some(t) if t.starts_with('/') => t.to_string(),
                Some(t) => format!("{base}{t}"),
                None => format!("{base}{}", r.source),
            };
            let id = |value: &Option<String>, key: &str| -> Result<Option<u32>> {
                value
                    .as_deref()
                    .map(|v| {
                        v.trim().parse::<u32>().map_err(|_| {
                            fail(format!("{key} \"{v}\" is not a numeric ID"))
                                .with_hint(format!("give the {key} as a number, such as 1000"))
                        })
                    })
                    .transpose()
            };
            let uid = id(&r.uid, "uid")?;
            let gid = id(&r.gid, "gid")?;
            let mode = r.mode.map(|m| m.0);
            let source = if object.external {
                return Err(fail(
                    "external secrets and configs exist only in Docker Swarm".to_string(),
                )
                .with_hint("use `file:` or `environment:` to run without Swarm"));
            } else if let Some(variable) = &object.environment {
                let value = context.environment.get(variable).ok_or_else(|| {
                    fail(format!(
                        "takes its content from the environment variable {variable}, which is not set"
                    ))
                    .with_hint(format!("set {variable} in the environment or in the .env file"))
                })?;
                InjectedSource::Content(value.clone())
            } else if let Some(content) = &object.content {
                InjectedSource::Content(content.clone())
            } else if let Some(file) = &object.file {
                if uid.is_none() && gid.is_none() && mode.is_none() {
                    mounts.push(Mount {
                        target: Some(target),
                        source: Some(file.clone()),
                        typ: Some(EngineMountType::BIND),
                        read_only: Some(true),
                        ..Default::default()
                    });
                    continue;
                }
                InjectedSource::File(file.clone())
            } else {
                return Err(fail(
                    "has no source: give it `file:`, `environment:` or `content:`".to_string(),
                ));
            };
            files.push(InjectedFile {
                what,
                target,
                source,
                mode: mode.unwrap_or(INJECTED_MODE),
                uid: uid.unwrap_or(0),
                gid: gid.unwrap_or(0),
            });
        }
    }
    Ok(files)
}

/// Refer to the project's networks by ID (`ids`: engine name → ID) in a create body: the
/// engine allows two networks with one name, and a name shared for a moment (see
/// [`super::resources::ensure_network`]) would make the create fail as ambiguous.
pub fn use_network_ids(body: &mut ContainerCreateBody, ids: &HashMap<String, String>) {
    if let Some(host) = body.host_config.as_mut()
        && let Some(id) = host.network_mode.as_ref().and_then(|m| ids.get(m))
    {
        host.network_mode = Some(id.clone());
    }
    if let Some(endpoints) = body
        .networking_config
        .as_mut()
        .and_then(|n| n.endpoints_config.as_mut())
    {
        *endpoints = std::mem::take(endpoints)
            .into_iter()
            .map(|(name, endpoint)| (ids.get(&name).cloned().unwrap_or(name), endpoint))
            .collect();
    }
}

/// Give a replacement container the anonymous volumes of the container it replaces, as
/// compose does, so that their data survives a recreate. `old_volumes` are the old
/// container's volume mounts (engine volume name, path in the container); `named` are the
/// engine names of the project's named volumes, which are mounted by name anyway. A path the
/// new configuration mounts otherwise (a named volume, a bind, a tmpfs) keeps that mount.
pub fn inherit_anonymous_volumes(
    body: &mut ContainerCreateBody,
    old_volumes: &[(String, String)],
    named: &[String],
) {
    let Some(host) = body.host_config.as_mut() else {
        return;
    };
    let mut taken: Vec<String> = host
        .binds
        .iter()
        .flatten()
        .filter_map(|b| b.split(':').nth(1).map(str::to_string))
        .collect();
    taken.extend(host.tmpfs.iter().flat_map(|t| t.keys().cloned()));
    let mounts = host.mounts.get_or_insert_with(Vec::new);
    for (volume, path) in old_volumes {
        if named.contains(volume) || taken.contains(path) {
            continue;
        }
        let same_path = mounts
            .iter_mut()
            .find(|m| m.target.as_deref() == Some(path.as_str()));
        match same_path {
            // An anonymous volume in the new configuration too: the old one serves.
            Some(m) if m.typ == Some(EngineMountType::VOLUME) && m.source.is_none() => {
                m.source = Some(volume.clone());
            }
            Some(_) => {}
            None => mounts.push(Mount {
                target: Some(path.clone()),
                source: Some(volume.clone()),
                typ: Some(EngineMountType::VOLUME),
                ..Default::default()
            }),
        }
    }
    if mounts.is_empty() {
        host.mounts = None;
    }
}

/// The engine restart policy: `restart:`, else `deploy.restart_policy`.
fn restart_policy(service: &Service) -> Result<Option<RestartPolicy>> {
    if let Some(restart) = &service.restart {
        let (name, count) = match restart.split_once(':') {
            Some((name, count)) => (name, Some(count)),
            None => (restart.as_str(), None),
        };
        let policy = match name {
            "no" | "" => RestartPolicyNameEnum::NO,
            "always" => RestartPolicyNameEnum::ALWAYS,
            "unless-stopped" => RestartPolicyNameEnum::UNLESS_STOPPED,
            "on-failure" => RestartPolicyNameEnum::ON_FAILURE,
            other => {
                return Err(Error::new(format!("invalid restart policy \"{other}\""))
                    .with_hint("use no, always, on-failure[:N] or unless-stopped"));
            }
        };
        let maximum_retry_count = match count {
            Some(n) => Some(n.parse::<i64>().map_err(|_| {
                Error::new(format!(
                    "invalid restart policy \"{restart}\": {n} is not a number"
                ))
            })?),
            None => None,
        };
        return Ok(Some(RestartPolicy {
            name: Some(policy),
            maximum_retry_count,
        }));
    }
    let Some(policy) = service
        .deploy
        .as_ref()
        .and_then(|d| d.restart_policy.as_ref())
    else {
        return Ok(None);
    };
    let name = match policy.condition.as_deref() {
        Some("none") => RestartPolicyNameEnum::NO,
        Some("on-failure") => RestartPolicyNameEnum::ON_FAILURE,
        _ => RestartPolicyNameEnum::ALWAYS,
    };
    Ok(Some(RestartPolicy {
        name: Some(name),
        maximum_retry_count: policy
            .max_attempts
            .map(|n| i64::try_from(n).unwrap_or(i64::MAX)),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(binds: &[&str], mounts: Vec<Mount>) -> ContainerCreateBody {
        ContainerCreateBody {
            host_config: Some(HostConfig {
                binds: (!binds.is_empty()).then(|| binds.iter().map(|b| b.to_string()).collect()),
                mounts: Some(mounts),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn volume(source: Option<&str>, target: &str) -> Mount {
        Mount {
            target: Some(target.to_string()),
            source: source.map(str::to_string),
            typ: Some(EngineMountType::VOLUME),
            ..Default::default()
        }
    }

    #[test]
    fn a_replacement_keeps_the_anonymous_volumes_only() {
        let mut b = body(
            &["/host:/etc/app:ro"],
            vec![volume(None, "/cache"), volume(Some("p_data"), "/data")],
        );
        let old = [
            ("anon1".to_string(), "/cache".to_string()),
            ("p_data".to_string(), "/data".to_string()),
            ("anon2".to_string(), "/var/lib/image-volume".to_string()),
            ("anon3".to_string(), "/etc/app".to_string()),
        ];
        inherit_anonymous_volumes(&mut b, &old, &["p_data".to_string()]);
        let mounts = b.host_config.and_then(|h| h.mounts).unwrap_or_default();
        let found: Vec<(Option<&str>, Option<&str>)> = mounts
            .iter()
            .map(|m| (m.source.as_deref(), m.target.as_deref()))
            .collect();
        assert_eq!(
            found,
            [
                (Some("anon1"), Some("/cache")),
                (Some("p_data"), Some("/data")),
                (Some("anon2"), Some("/var/lib/image-volume")),
            ]
        );
    }
}
