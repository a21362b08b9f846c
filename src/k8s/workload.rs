//! One service as a workload: the pod (its container, init containers, volumes and pod-wide
//! settings) inside a Deployment, a StatefulSet or a DaemonSet.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{
    DaemonSet, DaemonSetSpec, Deployment, DeploymentSpec, StatefulSet, StatefulSetSpec,
};
use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{
    Container, HostAlias, PodDNSConfig, PodDNSConfigOption, PodSecurityContext, PodSpec,
    PodTemplateSpec, Sysctl,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};

use super::container::{self, escape_dollars};
use super::names::{self, ANNOTATION_PREFIX};
use super::network::container_ports;
use super::storage::PodStorage;
use super::{Converter, Warnings, unsupported};
use crate::error::Result;
use crate::project::model::{DependencyCondition, Project, Service};

/// Which kind of workload runs a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkloadKind {
    Deployment,
    StatefulSet,
    DaemonSet,
    Job,
}

/// Whether a service runs once to completion rather than for as long as the project runs:
/// a `replicated-job` or `global-job`, a service another waits for with
/// `service_completed_successfully`, or one with `restart: "no"` or `on-failure` set
/// explicitly and no ports to serve on. Such a service is a Job: a workload would restart
/// it forever after it finished.
pub fn is_one_shot(project: &Project, compose_name: &str, service: &Service) -> bool {
    let mode = service.deploy.as_ref().and_then(|d| d.mode.as_deref());
    if mode.is_some_and(|m| m.ends_with("-job")) {
        return true;
    }
    if mode == Some("global") {
        return false;
    }
    let awaited = project.services.values().any(|other| {
        other
            .depends_on
            .get(compose_name)
            .is_some_and(|d| d.condition == DependencyCondition::ServiceCompletedSuccessfully)
    });
    let stops_when_done = service
        .restart
        .as_deref()
        .is_some_and(|r| r == "no" || r.starts_with("on-failure"));
    awaited || (stops_when_done && service.ports.is_empty() && service.expose.is_empty())
}

/// A Job for a one-shot service; else a Deployment, unless the service mounts a claim
/// (StatefulSet: one pod is stopped before its replacement starts, which a ReadWriteOnce
/// claim needs) or runs on every node (`deploy.mode: global`, a DaemonSet).
pub fn workload_kind(service: &Service, uses_claims: bool, one_shot: bool) -> WorkloadKind {
    let mode = service.deploy.as_ref().and_then(|d| d.mode.as_deref());
    if one_shot {
        WorkloadKind::Job
    } else if mode == Some("global") {
        WorkloadKind::DaemonSet
    } else if uses_claims {
        WorkloadKind::StatefulSet
    } else {
        WorkloadKind::Deployment
    }
}

/// How a Job retries its pod: the pod's restart policy and the Job's backoff limit, from
/// `deploy.restart_policy` when set, else from `restart`.
fn job_retries(
    service: &Service,
    compose_name: &str,
    warnings: &mut Warnings,
) -> (&'static str, Option<i32>) {
    let attempts = |n: u64| Some(i32::try_from(n).unwrap_or(i32::MAX));
    if let Some(policy) = service
        .deploy
        .as_ref()
        .and_then(|d| d.restart_policy.as_ref())
    {
        let limit = policy.max_attempts.and_then(attempts);
        return match policy.condition.as_deref() {
            Some("none") => ("Never", Some(0)),
            Some("any") => {
                warnings.service(
                    compose_name,
                    "deploy.restart_policy.condition",
                    "\"any\": a Job's pod is restarted on failure only, not after it succeeds",
                );
                ("OnFailure", limit)
            }
            _ => ("OnFailure", limit),
        };
    }
    match service.restart.as_deref() {
        None | Some("no") => ("Never", Some(0)),
        Some(restart) => match restart.strip_prefix("on-failure") {
            Some(count) => match count.strip_prefix(':').and_then(|n| n.parse::<u64>().ok()) {
                Some(n) => ("OnFailure", attempts(n)),
                None => {
                    warnings.service(
                        compose_name,
                        "restart",
                        "\"on-failure\" retries without end under compose; the Job gives up \
                         after Kubernetes' default backoff limit (6)",
                    );
                    ("OnFailure", None)
                }
            },
            None => {
                warnings.service(
                    compose_name,
                    "restart",
                    format!(
                        "\"{restart}\": the service runs to completion as a Job, whose pod is \
                         restarted on failure only"
                    ),
                );
                ("OnFailure", None)
            }
        },
    }
}

/// `extra_hosts` as host aliases, one per IP.
fn host_aliases(
    service: &Service,
    compose_name: &str,
    warnings: &mut Warnings,
) -> Option<Vec<HostAlias>> {
    let mut by_ip: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (host, ips) in &service.extra_hosts {
        for ip in ips {
            if ip == "host-gateway" {
                warnings.service(
                    compose_name,
                    "extra_hosts",
                    format!("{host}=host-gateway has no Kubernetes equivalent; left out"),
                );
                continue;
            }
            by_ip.entry(ip.clone()).or_default().push(host.clone());
        }
    }
    let aliases: Vec<HostAlias> = by_ip
        .into_iter()
        .map(|(ip, hostnames)| HostAlias {
            ip,
            hostnames: Some(hostnames),
        })
        .collect();
    (!aliases.is_empty()).then_some(aliases)
}

/// `dns`, `dns_search` and `dns_opt` (`ndots:2` → name and value).
fn dns_config(service: &Service) -> Option<PodDNSConfig> {
    if service.dns.is_empty() && service.dns_search.is_empty() && service.dns_opt.is_empty() {
        return None;
    }
    let list = |items: &[String]| (!items.is_empty()).then(|| items.to_vec());
    let options: Vec<PodDNSConfigOption> = service
        .dns_opt
        .iter()
        .map(|o| match o.split_once(':') {
            Some((name, value)) => PodDNSConfigOption {
                name: Some(name.to_string()),
                value: Some(value.to_string()),
            },
            None => PodDNSConfigOption {
                name: Some(o.clone()),
                value: None,
            },
        })
        .collect();
    Some(PodDNSConfig {
        nameservers: list(&service.dns),
        searches: list(&service.dns_search),
        options: (!options.is_empty()).then_some(options),
    })
}

/// `sysctls` and numeric `group_add` entries.
fn pod_security_context(
    service: &Service,
    compose_name: &str,
    warnings: &mut Warnings,
) -> Option<PodSecurityContext> {
    let mut groups = Vec::new();
    for group in &service.group_add {
        match group.parse::<i64>() {
            Ok(gid) => groups.push(gid),
            Err(_) => warnings.service(
                compose_name,
                "group_add",
                format!("Kubernetes takes numeric group IDs only; \"{group}\" is left out"),
            ),
        }
    }
    let sysctls: Vec<Sysctl> = service
        .sysctls
        .iter()
        .map(|(name, value)| Sysctl {
            name: name.clone(),
            value: value.clone(),
        })
        .collect();
    if groups.is_empty() && sysctls.is_empty() {
        return None;
    }
    Some(PodSecurityContext {
        supplemental_groups: (!groups.is_empty()).then_some(groups),
        sysctls: (!sysctls.is_empty()).then_some(sysctls),
        ..PodSecurityContext::default()
    })
}

/// `platform` (`linux/arm64/v8`) as node selector labels for the OS and architecture.
fn node_selector(service: &Service) -> Option<BTreeMap<String, String>> {
    let platform = service.platform.as_deref()?;
    let mut parts = platform.split('/');
    let mut selector = BTreeMap::new();
    if let Some(os) = parts.next().filter(|s| !s.is_empty()) {
        selector.insert("kubernetes.io/os".to_string(), os.to_string());
    }
    if let Some(arch) = parts.next().filter(|s| !s.is_empty()) {
        selector.insert("kubernetes.io/arch".to_string(), arch.to_string());
    }
    (!selector.is_empty()).then_some(selector)
}

/// Host namespaces: `network_mode`, `ipc` and `pid` set to `host`; other modes that join
/// another container have no Kubernetes equivalent.
fn host_namespaces(
    spec: &mut PodSpec,
    service: &Service,
    compose_name: &str,
    warnings: &mut Warnings,
) {
    if let Some(mode) = service.network_mode.as_deref() {
        match mode {
            "host" => spec.host_network = Some(true),
            "bridge" | "default" => {}
            other => warnings.service(
                compose_name,
                "network_mode",
                format!("\"{other}\" has no Kubernetes equivalent; the pod network is used"),
            ),
        }
    }
    if let Some(mode) = service.ipc.as_deref() {
        match mode {
            "host" => spec.host_ipc = Some(true),
            "" | "private" | "shareable" | "none" => {}
            other => warnings.service(
                compose_name,
                "ipc",
                format!("\"{other}\" has no Kubernetes equivalent; left out"),
            ),
        }
    }
    if let Some(mode) = service.pid.as_deref() {
        match mode {
            "host" => spec.host_pid = Some(true),
            other => warnings.service(
                compose_name,
                "pid",
                format!("\"{other}\" has no Kubernetes equivalent; left out"),
            ),
        }
    }
}

/// Warnings for keys that are carried over only in part.
fn partial_warnings(
    service: &Service,
    compose_name: &str,
    image: &str,
    one_shot: bool,
    warnings: &mut Warnings,
) {
    if service.build.is_some() {
        let message = if service.image.as_deref().is_some_and(|i| !i.is_empty()) {
            format!("Kubernetes runs images only; the pods run {image}")
        } else {
            format!(
                "Kubernetes runs images only: build and push {image} where the cluster can pull it"
            )
        };
        warnings.service(compose_name, "build", message);
    }
    if let Some(restart) = service.restart.as_deref()
        && !one_shot
        && (restart == "no" || restart.starts_with("on-failure"))
    {
        warnings.service(
            compose_name,
            "restart",
            format!("\"{restart}\": the pods of a workload are always restarted"),
        );
    }
    for link in &service.links {
        if let Some((target, alias)) = link.split_once(':')
            && target != alias
        {
            warnings.service(
                compose_name,
                "links",
                format!("the alias \"{alias}\" of {target} has no Kubernetes equivalent; use the name {target}"),
            );
        }
    }
    for (network, settings) in &service.networks {
        let Some(settings) = settings else { continue };
        let Ok(serde_json::Value::Object(keys)) = serde_json::to_value(settings) else {
            continue;
        };
        for key in keys.keys() {
            warnings.service(
                compose_name,
                &format!("networks.{network}.{key}"),
                "no Kubernetes equivalent; left out",
            );
        }
    }
    if let Some(hostname) = service.hostname.as_deref()
        && names::dns_label(hostname).as_deref() != Some(hostname)
    {
        warnings.service(
            compose_name,
            "hostname",
            format!("\"{hostname}\" is not a DNS label, as a pod's host name must be; left out"),
        );
    }
    if service.deploy.as_ref().and_then(|d| d.mode.as_deref()) == Some("global-job") {
        warnings.service(
            compose_name,
            "deploy.mode",
            "\"global-job\": Kubernetes has no Job that runs once per node; it runs as one \
             Job with one pod",
        );
    }
}

impl Converter<'_> {
    /// The Service, ConfigMaps made for the service, and its workload.
    pub(super) fn convert_service(&mut self, compose_name: &str, service: &Service) -> Result<()> {
        let k8s_name = self
            .service_names
            .get(compose_name)
            .cloned()
            .unwrap_or_else(|| compose_name.to_string());
        let project = self.project.name.clone();
        let image = service.image_name(&project, compose_name);
        let one_shot = is_one_shot(self.project, compose_name, service);
        unsupported::check_service(service, compose_name, one_shot, &mut self.warnings);
        partial_warnings(service, compose_name, &image, one_shot, &mut self.warnings);

        let ports = self.push_service(compose_name, &k8s_name, service)?;
        let storage = self.pod_storage(compose_name, &k8s_name, service)?;
        let dependencies = self.dependencies(compose_name, service);
        let environment = self.container_env(compose_name, service)?;
        let warnings = &mut self.warnings;

        let (command, args) = container::command_and_args(service, compose_name, warnings);
        let probe = service
            .healthcheck
            .as_ref()
            .and_then(|check| container::probe(check, compose_name, warnings));
        let main = Container {
            name: k8s_name.clone(),
            image: Some(image.clone()),
            image_pull_policy: container::pull_policy(service, compose_name, warnings),
            command,
            args,
            env: environment.env,
            env_from: environment.env_from,
            ports: container_ports(&ports),
            resources: container::resources(service, compose_name, warnings),
            liveness_probe: probe.clone(),
            readiness_probe: probe,
            security_context: container::security_context(service, compose_name, warnings),
            lifecycle: container::lifecycle(service, compose_name, warnings),
            stdin: service.stdin_open.then_some(true),
            tty: service.tty.then_some(true),
            volume_mounts: (!storage.mounts.is_empty()).then(|| storage.mounts.clone()),
            working_dir: service.working_dir.clone(),
            ..Container::default()
        };

        let mut init_containers = dependencies.init_containers;
        init_containers.extend(pre_start_containers(
            service,
            &image,
            &main,
            compose_name,
            warnings,
        ));

        let PodStorage { volumes, .. } = &storage;
        let mut pod = PodSpec {
            containers: vec![main],
            init_containers: (!init_containers.is_empty()).then_some(init_containers),
            volumes: (!volumes.is_empty()).then(|| volumes.clone()),
            // Compose sets no `<SERVICE>_PORT`-style variables; Kubernetes would by default.
            enable_service_links: Some(false),
            hostname: service
                .hostname
                .clone()
                .filter(|h| names::dns_label(h).as_deref() == Some(h.as_str())),
            host_aliases: host_aliases(service, compose_name, warnings),
            dns_config: dns_config(service),
            security_context: pod_security_context(service, compose_name, warnings),
            node_selector: node_selector(service),
            termination_grace_period_seconds: service.stop_grace_period.map(container::whole_secs),
            ..PodSpec::default()
        };
        host_namespaces(&mut pod, service, compose_name, warnings);

        let mut pod_annotations = service.labels.clone();
        pod_annotations.extend(service.annotations.clone());
        let selector = names::selector_labels(&project, &k8s_name);
        let template = PodTemplateSpec {
            metadata: Some(ObjectMeta {
                labels: Some(selector.clone()),
                annotations: (!pod_annotations.is_empty()).then_some(pod_annotations),
                ..ObjectMeta::default()
            }),
            spec: Some(pod),
        };
        let mut annotations: BTreeMap<String, String> = service
            .deploy
            .as_ref()
            .map(|d| d.labels.clone())
            .unwrap_or_default();
        annotations.extend(dependencies.annotations);
        if let Some(build) = service.build.as_ref().filter(|_| service.image.is_none()) {
            annotations.insert(
                format!("{ANNOTATION_PREFIX}build-context"),
                self.display_path(&build.context),
            );
        }
        let metadata = self.metadata(
            &k8s_name,
            names::service_labels(&project, &k8s_name),
            annotations,
        );
        let selector = LabelSelector {
            match_labels: Some(selector),
            ..LabelSelector::default()
        };
        let replicas = Some(i32::try_from(service.replicas()).unwrap_or(i32::MAX));
        match workload_kind(service, storage.uses_claims, one_shot) {
            WorkloadKind::Deployment => self.push(&Deployment {
                metadata,
                spec: Some(DeploymentSpec {
                    replicas,
                    selector,
                    template,
                    ..DeploymentSpec::default()
                }),
                ..Deployment::default()
            }),
            WorkloadKind::StatefulSet => self.push(&StatefulSet {
                metadata,
                spec: Some(StatefulSetSpec {
                    replicas,
                    selector,
                    template,
                    service_name: Some(k8s_name.clone()),
                    // Compose starts all replicas at once.
                    pod_management_policy: Some("Parallel".to_string()),
                    ..StatefulSetSpec::default()
                }),
                ..StatefulSet::default()
            }),
            WorkloadKind::DaemonSet => self.push(&DaemonSet {
                metadata,
                spec: Some(DaemonSetSpec {
                    selector,
                    template,
                    ..DaemonSetSpec::default()
                }),
                ..DaemonSet::default()
            }),
            WorkloadKind::Job => {
                let (restart_policy, backoff_limit) =
                    job_retries(service, compose_name, &mut self.warnings);
                let mut template = template;
                if let Some(pod) = template.spec.as_mut() {
                    pod.restart_policy = Some(restart_policy.to_string());
                }
                // Compose runs every replica at once, and each must complete. A Job makes
                // its own selector from a label of its own.
                let replicas = replicas.filter(|n| *n != 1);
                self.push(&Job {
                    metadata,
                    spec: Some(JobSpec {
                        backoff_limit,
                        completions: replicas,
                        parallelism: replicas,
                        template,
                        ..JobSpec::default()
                    }),
                    ..Job::default()
                })
            }
        }
    }
}

/// `pre_start` hooks as init containers, run after the waits for dependencies.
fn pre_start_containers(
    service: &Service,
    image: &str,
    main: &Container,
    compose_name: &str,
    warnings: &mut Warnings,
) -> Vec<Container> {
    let mut containers = Vec::new();
    for (i, hook) in service.pre_start.iter().enumerate() {
        let Some(command) = hook.command.clone().filter(|c| !c.is_empty()) else {
            warnings.service(
                compose_name,
                "pre_start",
                "a hook without a command is left out",
            );
            continue;
        };
        if hook.per_replica {
            // Init containers run in every pod: that is what per_replica asks for.
        } else if service.replicas() > 1 {
            warnings.service(
                compose_name,
                "pre_start",
                "init containers run once per pod, not once per service",
            );
        }
        let mut security = main.security_context.clone().unwrap_or_default();
        if hook.privileged {
            security.privileged = Some(true);
        }
        if let Some(user) = hook.user.as_deref() {
            container::set_user(&mut security, user, compose_name, "pre_start", warnings);
        }
        let mut env = main.env.clone().unwrap_or_default();
        for (name, value) in &hook.environment {
            env.retain(|v| &v.name != name);
            env.push(k8s_openapi::api::core::v1::EnvVar {
                name: name.clone(),
                value: value.as_deref().map(escape_dollars),
                ..Default::default()
            });
        }
        env.sort_by(|a, b| a.name.cmp(&b.name));
        containers.push(Container {
            name: format!("pre-start-{}", i + 1),
            image: Some(hook.image.clone().unwrap_or_else(|| image.to_string())),
            command: Some(command.iter().map(|c| escape_dollars(c)).collect()),
            env: (!env.is_empty()).then_some(env),
            env_from: main.env_from.clone(),
            volume_mounts: main.volume_mounts.clone(),
            working_dir: hook
                .working_dir
                .clone()
                .or_else(|| main.working_dir.clone()),
            security_context: (security != Default::default()).then_some(security),
            ..Container::default()
        });
    }
    containers
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn service(value: serde_json::Value) -> Service {
        serde_json::from_value(value).expect("a valid service")
    }

    #[test]
    fn workload_kinds() {
        assert_eq!(
            workload_kind(&Service::default(), false, false),
            WorkloadKind::Deployment
        );
        assert_eq!(
            workload_kind(&Service::default(), true, false),
            WorkloadKind::StatefulSet
        );
        let global = service(json!({"deploy": {"mode": "global"}}));
        assert_eq!(workload_kind(&global, true, false), WorkloadKind::DaemonSet);
        assert_eq!(workload_kind(&global, true, true), WorkloadKind::Job);
    }

    #[test]
    fn one_shot_services() {
        let project = Project::from_value(json!({
            "name": "p",
            "services": {
                "migrate": {"image": "m"},
                "seed": {"image": "s", "restart": "no"},
                "retry": {"image": "r", "restart": "on-failure:3"},
                "web": {"image": "w", "restart": "no", "ports": ["80"],
                        "depends_on": {"migrate": {"condition": "service_completed_successfully"}}},
                "worker": {"image": "k"},
                "always": {"image": "a", "restart": "always"},
                "batch": {"image": "b", "deploy": {"mode": "replicated-job"}}
            }
        }))
        .expect("a project");
        let one_shot = |name: &str| is_one_shot(&project, name, &project.services[name]);
        assert!(
            one_shot("migrate"),
            "awaited with service_completed_successfully"
        );
        assert!(one_shot("seed"), "restart: no and no ports");
        assert!(one_shot("retry"), "on-failure and no ports");
        assert!(one_shot("batch"), "a job mode");
        assert!(!one_shot("web"), "it serves on a port");
        assert!(
            !one_shot("worker"),
            "restart not set: compose's default says nothing"
        );
        assert!(!one_shot("always"));

        let mut w = Warnings::default();
        let retries = |s: &Service, w: &mut Warnings| job_retries(s, "a", w);
        assert_eq!(
            retries(&project.services["seed"], &mut w),
            ("Never", Some(0))
        );
        assert_eq!(
            retries(&project.services["retry"], &mut w),
            ("OnFailure", Some(3))
        );
        assert_eq!(
            retries(&project.services["migrate"], &mut w),
            ("Never", Some(0))
        );
        assert!(w.is_empty());
        assert_eq!(
            retries(&project.services["always"], &mut w),
            ("OnFailure", None)
        );
        let policy = service(json!({"restart": "no",
            "deploy": {"restart_policy": {"condition": "on-failure", "max_attempts": 2}}}));
        assert_eq!(retries(&policy, &mut w), ("OnFailure", Some(2)));
        assert_eq!(w.len(), 1, "restart: always on a Job");
    }

    #[test]
    fn pod_settings() {
        let mut w = Warnings::default();
        let s = service(json!({
            "extra_hosts": ["a=10.0.0.1", "b=10.0.0.1", "gw=host-gateway"],
            "dns": ["1.1.1.1"], "dns_opt": ["ndots:2", "use-vc"],
            "group_add": ["100", "mail"], "sysctls": {"net.core.somaxconn": "1024"},
            "platform": "linux/arm64/v8"
        }));
        let aliases = host_aliases(&s, "a", &mut w).expect("aliases");
        assert_eq!(aliases.len(), 1);
        assert_eq!(
            aliases[0].hostnames,
            Some(vec!["a".to_string(), "b".to_string()])
        );
        let dns = dns_config(&s).expect("dns");
        assert_eq!(dns.nameservers, Some(vec!["1.1.1.1".to_string()]));
        let options = dns.options.expect("options");
        assert_eq!(options[0].value.as_deref(), Some("2"));
        assert_eq!(options[1].value, None);
        let security = pod_security_context(&s, "a", &mut w).expect("context");
        assert_eq!(security.supplemental_groups, Some(vec![100]));
        assert_eq!(security.sysctls.map(|s| s.len()), Some(1));
        let selector = node_selector(&s).expect("selector");
        assert_eq!(selector["kubernetes.io/arch"], "arm64");
        assert_eq!(selector["kubernetes.io/os"], "linux");
        assert_eq!(w.len(), 2, "host-gateway and mail");
    }
}
