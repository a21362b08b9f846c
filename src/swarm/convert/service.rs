//! One compose service as a swarm service spec: the task's container spec, its privileges,
//! health check, secret and config references and network attachments.

use super::*;
use deploy::{rollback_config, update_config};

impl ServiceConverter<'_> {
    pub(super) fn convert(mut self, service: &Service) -> Result<Converted> {
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

    /// The container part of the task template.
    pub(super) fn container_spec(
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
        let env = service.environment_entries();
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

    pub(super) fn privileges(
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

    pub(super) fn health(&mut self, check: &HealthCheck) -> HealthConfig {
        let test = if check.is_disabled() {
            Some(vec!["NONE".to_string()])
        } else {
            check.test.clone()
        };
        let start_interval = if self.needs_api(
            "healthcheck.start_interval",
            check.start_interval.is_some(),
            ApiVersion::START_INTERVAL,
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

    pub(super) fn secret_refs(&self, refs: &[ServiceFileRef]) -> Vec<TaskSpecContainerSpecSecrets> {
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

    pub(super) fn config_refs(&self, refs: &[ServiceFileRef]) -> Vec<TaskSpecContainerSpecConfigs> {
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
    pub(super) fn file_object_name(
        &self,
        objects: &BTreeMap<String, FileObject>,
        key: &str,
    ) -> String {
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
    pub(super) fn networks(
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
}
