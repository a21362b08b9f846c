//! Swarm's guard: every service key swarm has no counterpart for is reported once, by name.

use super::*;

impl ServiceConverter<'_> {
    /// Warn about every key of `service` Swarm has no counterpart for.
    ///
    /// Destructured without `..` on purpose: a key added to the model does not compile until
    /// it is either converted (bound to `_` here, with where) or reported.
    pub(super) fn report_unsupported(&mut self, service: &Service) {
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
}
