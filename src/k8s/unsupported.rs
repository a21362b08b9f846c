//! Compose settings that Kubernetes has no place for: one warning per key that is set.
//!
//! The check works on the service as it serializes, so every key the model gains later is
//! warned about until the conversion learns to carry it.

use super::Warnings;
use crate::project::model::{Project, Service};

/// Service keys the conversion carries over, wholly or with warnings of its own.
const CONVERTED: &[&str] = &[
    "annotations",
    "build",
    "cap_add",
    "cap_drop",
    "command",
    "configs",
    "cpus",
    "depends_on",
    "deploy",
    "dns",
    "dns_opt",
    "dns_search",
    "entrypoint",
    "env_file",
    "environment",
    "expose",
    "extra_hosts",
    "group_add",
    "healthcheck",
    "hostname",
    "image",
    "ipc",
    "labels",
    "links",
    "mem_limit",
    "mem_reservation",
    "network_mode",
    "networks",
    "pid",
    "platform",
    "ports",
    "post_start",
    "pre_start",
    "pre_stop",
    "privileged",
    "pull_policy",
    "read_only",
    "restart",
    "scale",
    "secrets",
    "security_opt",
    "shm_size",
    "stdin_open",
    "stop_grace_period",
    "sysctls",
    "tmpfs",
    "tty",
    "user",
    "volumes",
    "working_dir",
];

/// Service keys the loader has already applied, or that only matter to a local `up`.
const CONSUMED: &[&str] = &["attach", "extends", "label_file", "profiles"];

/// Why some keys are left out, where a reason helps more than "no equivalent".
fn reason(key: &str) -> &'static str {
    match key {
        "container_name" => "pods get generated names; other pods reach the service by its name",
        "ulimits" => "Kubernetes sets no per-container ulimits (the node's runtime defaults apply)",
        "logging" => "the cluster collects container output itself",
        "init" => "Kubernetes runs no init process (shareProcessNamespace is the nearest)",
        "devices" | "gpus" => "devices need a device plugin's extended resource in Kubernetes",
        "volumes_from" => "pods cannot mount another pod's volumes; mount the same claim instead",
        "develop" => "file watching is a local development feature",
        "stop_signal" => "Kubernetes stops containers with SIGTERM",
        "mem_swappiness" | "memswap_limit" => "swap is configured per node in Kubernetes",
        "runtime" => "choose a RuntimeClass in the cluster instead",
        _ => "no Kubernetes equivalent",
    }
}

/// Warn about each key of `service` that is neither converted nor consumed.
/// `job`: the service runs as a Job, which takes `deploy.restart_policy`.
pub fn check_service(service: &Service, compose_name: &str, job: bool, warnings: &mut Warnings) {
    let Ok(serde_json::Value::Object(keys)) = serde_json::to_value(service) else {
        return;
    };
    for key in keys.keys() {
        if key.starts_with("x-")
            || CONVERTED.contains(&key.as_str())
            || CONSUMED.contains(&key.as_str())
        {
            continue;
        }
        warnings.service(compose_name, key, format!("{}; left out", reason(key)));
    }
    if let Some(deploy) = &service.deploy {
        let Ok(serde_json::Value::Object(keys)) = serde_json::to_value(deploy) else {
            return;
        };
        for key in keys.keys() {
            if matches!(key.as_str(), "replicas" | "resources" | "mode" | "labels")
                || (job && key == "restart_policy")
                || key.starts_with("x-")
            {
                continue;
            }
            warnings.service(
                compose_name,
                &format!("deploy.{key}"),
                "no Kubernetes equivalent; left out",
            );
        }
    }
}

/// Warn about top-level keys that have no Kubernetes equivalent.
pub fn check_project(project: &Project, warnings: &mut Warnings) {
    for key in project.networks.keys().filter(|k| *k != "default") {
        warnings.project(
            &format!("networks.{key}"),
            "Kubernetes has one pod network where every pod reaches every other; the \
             separation between networks is not kept (NetworkPolicies can restore it)",
        );
    }
    for key in project.models.keys() {
        warnings.project(
            &format!("models.{key}"),
            "no Kubernetes equivalent; left out",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn one_warning_per_left_out_key() {
        let service: Service = serde_json::from_value(json!({
            "image": "a", "container_name": "x", "ulimits": {"nofile": 10},
            "profiles": ["p"], "x-thing": 1, "cpu_shares": 512,
            "deploy": {"replicas": 2, "placement": {"constraints": ["node.role==manager"]}}
        }))
        .expect("a service");
        let mut warnings = Warnings::default();
        check_service(&service, "web", false, &mut warnings);
        let list = warnings.into_vec();
        assert_eq!(list.len(), 4, "{list:#?}");
        assert!(list[0].starts_with("service \"web\": container_name: pods get generated names"));
        assert!(list[1].starts_with("service \"web\": cpu_shares: no Kubernetes equivalent"));
        assert!(list[2].starts_with("service \"web\": ulimits: "));
        assert!(list[3].starts_with("service \"web\": deploy.placement: "));
    }
}
