//! `deploy:` as swarm sees it: mode and replicas, resources and placement, restart, update
//! and rollback policies, and the published ports of the endpoint.

use super::*;

impl ServiceConverter<'_> {
    pub(super) fn mode(
        &mut self,
        service: &Service,
        deploy: &DeployConfig,
    ) -> Result<ServiceSpecMode> {
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

    pub(super) fn resources_and_placement(
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

    pub(super) fn limit(&mut self, resource: &Resource) -> Limit {
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

    pub(super) fn reservation(&mut self, resource: &Resource) -> ResourceObject {
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
    pub(super) fn restart_policy(
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

    pub(super) fn endpoint(
        &mut self,
        deploy: &DeployConfig,
        ports: &[ServicePort],
    ) -> Result<EndpointSpec> {
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
    pub(super) fn published_port(&mut self, text: &str) -> Result<i64> {
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

/// `text` as one of the words a setting allows, or an error naming `key` and those words.
fn choice<T: std::str::FromStr>(text: Option<&str>, key: &str, allowed: &str) -> Result<Option<T>> {
    text.map(|text| {
        text.parse().map_err(|_| {
            Error::new(format!("invalid {key} {text:?}")).with_hint(format!("use {allowed}"))
        })
    })
    .transpose()
}

const ORDERS: &str = "stop-first or start-first";

pub(super) fn update_config(config: &UpdateConfig, key: &str) -> Result<ServiceSpecUpdateConfig> {
    let failure_action = config.failure_action.as_deref();
    Ok(ServiceSpecUpdateConfig {
        parallelism: config
            .parallelism
            .map(|n| i64::try_from(n).unwrap_or(i64::MAX)),
        delay: config.delay.map(|d| d.as_nanos()),
        failure_action: choice(
            failure_action,
            &format!("{key}.failure_action"),
            "continue, rollback or pause",
        )?,
        monitor: config.monitor.map(|d| d.as_nanos()),
        max_failure_ratio: config.max_failure_ratio,
        order: choice(config.order.as_deref(), &format!("{key}.order"), ORDERS)?,
    })
}

/// The rollback settings: the update settings' fields, with failure actions of their own.
pub(super) fn rollback_config(config: &UpdateConfig) -> Result<ServiceSpecRollbackConfig> {
    let key = "deploy.rollback_config";
    let update = update_config(
        &UpdateConfig {
            failure_action: None,
            order: None,
            ..config.clone()
        },
        key,
    )?;
    Ok(ServiceSpecRollbackConfig {
        parallelism: update.parallelism,
        delay: update.delay,
        failure_action: choice(
            config.failure_action.as_deref(),
            &format!("{key}.failure_action"),
            "continue or pause",
        )?,
        monitor: update.monitor,
        max_failure_ratio: update.max_failure_ratio,
        order: choice(config.order.as_deref(), &format!("{key}.order"), ORDERS)?,
    })
}
