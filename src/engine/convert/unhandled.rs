//! The engine back end's guard: every key of a service is either turned into the container
//! spec (bound to `_` below, with the builder or the step that handles it) or warned about by
//! name. [`warnings`] destructures [`Service`] without `..` on purpose: a key added to the
//! model does not compile until the engine back end handles it or warns about it.

use std::fmt;

use crate::engine::ApiVersion;
use crate::project::model::Service;

/// A key of a service the engine back end does not honour (or not on this engine).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The compose key, dotted (`healthcheck.start_interval`).
    pub key: String,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

/// What `up` and `run` will not do for `service` on an engine that speaks `api`.
pub fn warnings(service: &Service, api: ApiVersion) -> Vec<Warning> {
    let Service {
        annotations,
        attach: _,       // cli/up.rs: which services to attach to
        blkio_config: _, // resources
        build: _,        // ops/up_images.rs
        cap_add: _,
        cap_drop: _,       // security
        cgroup: _,         // security
        cgroup_parent: _,  // resources
        command: _,        // process
        configs: _,        // mounts (secret and config files)
        container_name: _, // container_spec
        cpu_count: _,
        cpu_percent: _,
        cpu_period: _,
        cpu_quota: _,
        cpu_rt_period: _,
        cpu_rt_runtime: _,
        cpu_shares: _,
        cpus: _,
        cpuset: _, // resources
        credential_spec,
        depends_on: _, // intents (order and conditions), labelling (the depends_on label)
        deploy: _, // resources (deploy.resources), process (deploy.restart_policy), intents (replicas)
        develop: _, // watch
        device_cgroup_rules: _,
        devices: _, // resources
        dns: _,
        dns_opt: _,
        dns_search: _,     // networks
        domainname: _,     // process
        entrypoint: _,     // process
        env_file: _,       // folded into `environment` by the loader
        environment: _,    // process
        expose: _,         // ports
        extends: _,        // resolved by the loader
        external_links: _, // networks (links)
        extra_hosts: _,    // networks
        gpus,
        group_add: _, // security
        healthcheck,
        hostname: _, // process
        image: _,    // process
        init: _,     // process
        ipc: _,      // security
        isolation,
        label_file: _, // folded into `labels` by the loader
        labels: _,     // labelling
        links: _,      // intents (start order)
        logging: _,    // process
        mac_address,
        mem_limit: _,
        mem_reservation: _,
        mem_swappiness: _,
        memswap_limit: _, // resources
        models,
        network_mode: _,
        networks: _, // networks
        oom_kill_disable: _,
        oom_score_adj: _, // resources
        pid: _,           // security
        pids_limit: _,    // resources
        platform,
        ports: _,      // ports
        post_start: _, // ops/hooks.rs
        pre_start: _,  // ops/hooks.rs
        pre_stop: _,   // ops/hooks.rs
        privileged: _, // security
        profiles: _,   // applied by the loader
        provider,
        pull_policy: _,
        pull_refresh_after: _, // ops/up_images.rs
        read_only: _,          // security
        restart: _,            // process
        runtime: _,            // process
        scale: _,              // intents, through `Service::replicas`
        secrets: _,            // mounts (secret and config files)
        security_opt: _,       // security
        shm_size: _,           // resources
        stdin_open: _,         // process
        stop_grace_period: _,
        stop_signal: _, // process
        storage_opt: _, // resources
        sysctls: _,     // security
        tmpfs: _,       // mounts
        tty: _,         // process
        ulimits: _,     // resources
        use_api_socket,
        user: _,        // process
        userns_mode: _, // security
        uts: _,         // security
        volumes: _,
        volumes_from: _, // mounts
        working_dir: _,  // process
        extensions: _,   // x-* keys are for tools, not for the engine
    } = service;

    let mut warnings = Vec::new();
    let mut warn = |key: &str, set: bool, message: &str| {
        if set {
            warnings.push(Warning {
                key: key.to_string(),
                message: message.to_string(),
            });
        }
    };
    let too_old = |min: ApiVersion| (!api.knows(min)).then(|| api.too_old_for(min));
    if let Some(message) = too_old(ApiVersion::ANNOTATIONS) {
        warn("annotations", !annotations.is_empty(), &message);
    }
    if let Some(message) = too_old(ApiVersion::START_INTERVAL) {
        let set = healthcheck
            .as_ref()
            .is_some_and(|h| h.start_interval.is_some());
        warn("healthcheck.start_interval", set, &message);
    }
    warn(
        "credential_spec",
        credential_spec.is_some(),
        "applies to Windows containers only; ignored",
    );
    warn(
        "gpus",
        !gpus.is_empty(),
        "GPU device requests are not sent by rcompose yet; ignored",
    );
    warn(
        "isolation",
        isolation.is_some(),
        "applies to Windows containers only; ignored",
    );
    warn(
        "mac_address",
        mac_address.is_some(),
        "not passed to the engine by rcompose yet; ignored",
    );
    warn(
        "models",
        !models.is_empty(),
        "models are not supported by rcompose; ignored",
    );
    warn(
        "platform",
        platform.is_some(),
        "not passed to the engine by rcompose yet: the engine's own platform is used",
    );
    warn(
        "provider",
        provider.is_some(),
        "provider services are not supported by rcompose; ignored",
    );
    warn(
        "use_api_socket",
        *use_api_socket,
        "not supported by rcompose yet: the engine's socket is not mounted; ignored",
    );
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::model::ServiceHook;

    fn keys(service: &Service, api: ApiVersion) -> Vec<String> {
        warnings(service, api).into_iter().map(|w| w.key).collect()
    }

    #[test]
    fn hooks_are_run_so_not_warned_about() {
        let hook = ServiceHook {
            command: Some(vec!["true".to_string()]),
            ..Default::default()
        };
        let service = Service {
            post_start: vec![hook.clone()],
            pre_stop: vec![hook.clone()],
            pre_start: vec![hook],
            ..Default::default()
        };
        assert!(warnings(&service, ApiVersion(1, 41)).is_empty());
    }

    #[test]
    fn a_plain_service_has_nothing_to_warn_about() {
        assert!(keys(&Service::default(), ApiVersion(1, 41)).is_empty());
    }

    #[test]
    fn keys_newer_than_the_engine_are_named_with_the_version_they_need() {
        let service: Service = serde_json::from_value(serde_json::json!({
            "image": "busybox",
            "annotations": {"a": "b"},
            "healthcheck": {"test": ["CMD", "true"], "start_interval": "2s"},
        }))
        .expect("a service");
        assert_eq!(
            keys(&service, ApiVersion(1, 41)),
            ["annotations", "healthcheck.start_interval"]
        );
        assert!(keys(&service, ApiVersion(1, 44)).is_empty());
        let old = warnings(&service, ApiVersion(1, 43));
        assert_eq!(
            old.iter().map(ToString::to_string).collect::<Vec<_>>(),
            [
                "healthcheck.start_interval: needs Engine API 1.44 or later (this engine speaks 1.43); ignored"
            ]
        );
    }
}
