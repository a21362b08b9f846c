//! The container of a service: command and arguments, environment, resources, probes from
//! the healthcheck, security settings and lifecycle hooks.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Capabilities, ExecAction, Lifecycle, LifecycleHandler, Probe, ResourceRequirements,
    SeccompProfile, SecurityContext,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::Warnings;
use crate::project::model::{Bytes, Duration, HealthCheck, Service, ServiceHook};

/// Docker's healthcheck defaults, written out because Kubernetes' differ (its timeout is 1s).
const DEFAULT_INTERVAL_SECS: i32 = 30;
const DEFAULT_TIMEOUT_SECS: i32 = 30;
const DEFAULT_RETRIES: i32 = 3;

/// The shell Docker runs `CMD-SHELL` healthchecks with.
const SHELL: [&str; 2] = ["/bin/sh", "-c"];

/// Keep `$(NAME)` and `$$` literal in a command, argument or environment value: Kubernetes
/// expands `$(NAME)` there, while compose has already done its own interpolation.
pub fn escape_dollars(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '$' && matches!(chars.peek(), Some('$') | Some('(')) {
            out.push('$');
        }
    }
    out
}

fn escaped(items: &[String]) -> Vec<String> {
    items.iter().map(|s| escape_dollars(s)).collect()
}

/// Kubernetes `command` (compose `entrypoint`) and `args` (compose `command`).
pub fn command_and_args(
    service: &Service,
    name: &str,
    warnings: &mut Warnings,
) -> (Option<Vec<String>>, Option<Vec<String>>) {
    let command = service.command.as_deref();
    match service.entrypoint.as_deref() {
        // `entrypoint: []` clears the image's entrypoint: the command is run by itself.
        Some([]) => match command {
            Some(c) if !c.is_empty() => (Some(escaped(c)), None),
            _ => {
                warnings.service(
                    name,
                    "entrypoint",
                    "an empty entrypoint without a command cannot clear the image's \
                     ENTRYPOINT in Kubernetes; the image's is used",
                );
                (None, None)
            }
        },
        Some(entrypoint) => (Some(escaped(entrypoint)), command.map(escaped)),
        None => match command {
            Some([]) => {
                warnings.service(
                    name,
                    "command",
                    "an empty command cannot clear the image's CMD in Kubernetes; the image's \
                     is used",
                );
                (None, None)
            }
            Some(c) => (None, Some(escaped(c))),
            None => (None, None),
        },
    }
}

/// A memory size as a quantity: `1Gi`, `512Mi`, `64Ki` when exact, else bytes.
pub fn memory_quantity(bytes: i64) -> Quantity {
    const UNITS: [(i64, &str); 4] = [
        (1 << 40, "Ti"),
        (1 << 30, "Gi"),
        (1 << 20, "Mi"),
        (1 << 10, "Ki"),
    ];
    for (size, suffix) in UNITS {
        if bytes >= size && bytes % size == 0 {
            return Quantity(format!("{}{suffix}", bytes / size));
        }
    }
    Quantity(bytes.to_string())
}

/// A number of CPUs as a quantity: whole CPUs (`2`) or millicores (`500m`).
pub fn cpu_quantity(cpus: f64) -> Quantity {
    let millis = ((cpus * 1000.0).round() as i64).max(1);
    if millis % 1000 == 0 {
        Quantity((millis / 1000).to_string())
    } else {
        Quantity(format!("{millis}m"))
    }
}

/// Requests and limits from `deploy.resources` and the service-level `cpus`, `mem_limit` and
/// `mem_reservation` (which `deploy.resources` overrides).
pub fn resources(
    service: &Service,
    name: &str,
    warnings: &mut Warnings,
) -> Option<ResourceRequirements> {
    let deploy = service.deploy.as_ref().and_then(|d| d.resources.as_ref());
    let limits = deploy.and_then(|r| r.limits.as_ref());
    let reservations = deploy.and_then(|r| r.reservations.as_ref());
    for (key, resource) in [("limits", limits), ("reservations", reservations)] {
        let Some(resource) = resource else { continue };
        if resource.pids.is_some() {
            warnings.service(
                name,
                &format!("deploy.resources.{key}.pids"),
                "Kubernetes limits process IDs per node, not per container; left out",
            );
        }
        if !resource.devices.is_empty() {
            warnings.service(
                name,
                &format!("deploy.resources.{key}.devices"),
                "device requests need a device plugin's extended resource \
                 (such as nvidia.com/gpu) in Kubernetes; left out",
            );
        }
        if !resource.generic_resources.is_empty() {
            warnings.service(
                name,
                &format!("deploy.resources.{key}.generic_resources"),
                "no Kubernetes equivalent; left out",
            );
        }
    }
    let positive_cpus = |c: Option<f64>| c.filter(|c| *c > 0.0);
    let positive_bytes = |b: Option<Bytes>| b.filter(|b| b.get() > 0);
    let limit_cpus = positive_cpus(limits.and_then(|l| l.cpus)).or(positive_cpus(service.cpus));
    let limit_memory =
        positive_bytes(limits.and_then(|l| l.memory)).or(positive_bytes(service.mem_limit));
    let request_cpus = positive_cpus(reservations.and_then(|r| r.cpus));
    let request_memory = positive_bytes(reservations.and_then(|r| r.memory))
        .or(positive_bytes(service.mem_reservation));

    let quantities = |cpus: Option<f64>, memory: Option<Bytes>| {
        let mut map = BTreeMap::new();
        if let Some(cpus) = cpus {
            map.insert("cpu".to_string(), cpu_quantity(cpus));
        }
        if let Some(memory) = memory {
            map.insert("memory".to_string(), memory_quantity(memory.get()));
        }
        (!map.is_empty()).then_some(map)
    };
    let limits = quantities(limit_cpus, limit_memory);
    let requests = quantities(request_cpus, request_memory);
    if limits.is_none() && requests.is_none() {
        return None;
    }
    Some(ResourceRequirements {
        limits,
        requests,
        ..ResourceRequirements::default()
    })
}

/// Whole seconds, rounded up; negative spans are zero.
pub fn whole_secs(duration: Duration) -> i64 {
    let nanos = duration.as_nanos().max(0);
    nanos / 1_000_000_000 + i64::from(nanos % 1_000_000_000 != 0)
}

/// Whole seconds, rounded up, at least 1 (the smallest period and timeout Kubernetes takes).
fn ceil_secs(duration: Duration) -> i32 {
    i32::try_from(whole_secs(duration).max(1)).unwrap_or(i32::MAX)
}

/// A probe that runs the healthcheck's test with Docker's timing. `None` when the check is
/// disabled or has no test of its own (the image's is used, which Kubernetes ignores).
pub fn probe(check: &HealthCheck, name: &str, warnings: &mut Warnings) -> Option<Probe> {
    if check.is_disabled() {
        return None;
    }
    let command: Vec<String> = match check.test.as_deref() {
        None | Some([]) => {
            warnings.service(
                name,
                "healthcheck",
                "without a test the image's HEALTHCHECK is used, which Kubernetes ignores; \
                 no probe",
            );
            return None;
        }
        Some([kind, rest @ ..]) if kind == "CMD" && !rest.is_empty() => rest.to_vec(),
        Some([kind, script]) if kind == "CMD-SHELL" => {
            let mut command: Vec<String> = SHELL.iter().map(|s| s.to_string()).collect();
            command.push(script.clone());
            command
        }
        Some(other) => {
            warnings.service(
                name,
                "healthcheck.test",
                format!(
                    "{:?} is not [\"CMD\", ...] or [\"CMD-SHELL\", \"...\"]; no probe",
                    other
                ),
            );
            return None;
        }
    };
    if check.start_interval.is_some() {
        warnings.service(
            name,
            "healthcheck.start_interval",
            "no Kubernetes equivalent; the probe runs at its interval from the start",
        );
    }
    let retries = check
        .retries
        .filter(|r| *r > 0)
        .map_or(DEFAULT_RETRIES, |r| i32::try_from(r).unwrap_or(i32::MAX));
    let initial_delay = check
        .start_period
        .filter(|d| d.as_nanos() > 0)
        .map(ceil_secs);
    Some(Probe {
        exec: Some(ExecAction {
            command: Some(command),
        }),
        period_seconds: Some(check.interval.map_or(DEFAULT_INTERVAL_SECS, ceil_secs)),
        timeout_seconds: Some(check.timeout.map_or(DEFAULT_TIMEOUT_SECS, ceil_secs)),
        failure_threshold: Some(retries),
        initial_delay_seconds: initial_delay,
        ..Probe::default()
    })
}

/// `uid[:gid]` when both are numbers.
pub fn numeric_user(user: &str) -> Option<(i64, Option<i64>)> {
    let (uid, gid) = match user.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (user, None),
    };
    let uid = uid.parse::<i64>().ok()?;
    let gid = match gid {
        Some(g) => Some(g.parse::<i64>().ok()?),
        None => None,
    };
    Some((uid, gid))
}

/// Run as `user` when it is numeric (`uid[:gid]`); warn about `key` otherwise.
pub fn set_user(
    context: &mut SecurityContext,
    user: &str,
    name: &str,
    key: &str,
    warnings: &mut Warnings,
) {
    match numeric_user(user) {
        Some((uid, gid)) => {
            context.run_as_user = Some(uid);
            context.run_as_group = gid;
        }
        None => warnings.service(
            name,
            key,
            format!(
                "Kubernetes takes numeric IDs only; user \"{user}\" is left out (the image's \
                 user is used)"
            ),
        ),
    }
}

/// A capability as Kubernetes names it (without `CAP_`).
fn capability(name: &str) -> String {
    let upper = name.to_ascii_uppercase();
    upper
        .strip_prefix("CAP_")
        .map_or(upper.clone(), str::to_string)
}

/// The container's security context: `privileged`, `cap_add`/`cap_drop`, `read_only`,
/// a numeric `user`, and the `security_opt` entries Kubernetes has fields for.
pub fn security_context(
    service: &Service,
    name: &str,
    warnings: &mut Warnings,
) -> Option<SecurityContext> {
    let mut context = SecurityContext::default();
    if service.privileged {
        context.privileged = Some(true);
    }
    if service.read_only {
        context.read_only_root_filesystem = Some(true);
    }
    if !service.cap_add.is_empty() || !service.cap_drop.is_empty() {
        let list = |caps: &[String]| {
            (!caps.is_empty()).then(|| caps.iter().map(|c| capability(c)).collect())
        };
        context.capabilities = Some(Capabilities {
            add: list(&service.cap_add),
            drop: list(&service.cap_drop),
        });
    }
    if let Some(user) = service.user.as_deref() {
        set_user(&mut context, user, name, "user", warnings);
    }
    for option in &service.security_opt {
        let normalized = option.replace('=', ":");
        match normalized.as_str() {
            "no-new-privileges" | "no-new-privileges:true" => {
                context.allow_privilege_escalation = Some(false);
            }
            "no-new-privileges:false" => {}
            "seccomp:unconfined" => {
                context.seccomp_profile = Some(SeccompProfile {
                    type_: "Unconfined".to_string(),
                    ..SeccompProfile::default()
                });
            }
            _ => warnings.service(
                name,
                "security_opt",
                format!("\"{option}\" has no Kubernetes equivalent; left out"),
            ),
        }
    }
    (context != SecurityContext::default()).then_some(context)
}

/// `post_start` and `pre_stop` as exec lifecycle handlers (Kubernetes takes one of each).
pub fn lifecycle(service: &Service, name: &str, warnings: &mut Warnings) -> Option<Lifecycle> {
    let mut handler = |key: &str, hooks: &[ServiceHook]| -> Option<LifecycleHandler> {
        let (first, rest) = hooks.split_first()?;
        if !rest.is_empty() {
            warnings.service(
                name,
                key,
                "Kubernetes runs one hook of each kind; only the first is kept",
            );
        }
        if first.user.is_some()
            || first.privileged
            || first.working_dir.is_some()
            || !first.environment.is_empty()
        {
            warnings.service(
                name,
                key,
                "Kubernetes runs hooks as the container runs; user, privileged, working_dir \
                 and environment of the hook are left out",
            );
        }
        let Some(command) = first.command.clone().filter(|c| !c.is_empty()) else {
            warnings.service(name, key, "a hook without a command is left out");
            return None;
        };
        Some(LifecycleHandler {
            exec: Some(ExecAction {
                command: Some(command),
            }),
            ..LifecycleHandler::default()
        })
    };
    let post_start = handler("post_start", &service.post_start);
    let pre_stop = handler("pre_stop", &service.pre_stop);
    if post_start.is_none() && pre_stop.is_none() {
        return None;
    }
    Some(Lifecycle {
        post_start,
        pre_stop,
        ..Lifecycle::default()
    })
}

/// The image pull policy for compose's `pull_policy`.
pub fn pull_policy(service: &Service, name: &str, warnings: &mut Warnings) -> Option<String> {
    let policy = service.pull_policy.as_deref()?;
    match policy {
        "always" => Some("Always".to_string()),
        "never" => Some("Never".to_string()),
        "missing" | "if_not_present" => Some("IfNotPresent".to_string()),
        other => {
            warnings.service(
                name,
                "pull_policy",
                format!("\"{other}\" has no Kubernetes equivalent; the cluster's default is used"),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn service(value: serde_json::Value) -> Service {
        serde_json::from_value(value).expect("a valid service")
    }

    fn check(value: serde_json::Value) -> HealthCheck {
        service(json!({ "healthcheck": value }))
            .healthcheck
            .expect("a healthcheck")
    }

    #[test]
    fn quantities() {
        assert_eq!(memory_quantity(1 << 30).0, "1Gi");
        assert_eq!(memory_quantity(512 << 20).0, "512Mi");
        assert_eq!(memory_quantity(1536 << 20).0, "1536Mi");
        assert_eq!(memory_quantity(64 << 10).0, "64Ki");
        assert_eq!(memory_quantity(1000).0, "1000");
        assert_eq!(cpu_quantity(0.5).0, "500m");
        assert_eq!(cpu_quantity(2.0).0, "2");
        assert_eq!(cpu_quantity(1.25).0, "1250m");
        assert_eq!(cpu_quantity(0.0001).0, "1m");
    }

    #[test]
    fn shell_healthcheck_becomes_an_exec_probe_with_docker_timing() {
        let mut warnings = Warnings::default();
        let probe = probe(
            &check(
                json!({"test": "curl -f localhost", "interval": "10s", "timeout": "500ms",
                          "retries": 120, "start_period": "1m30s"}),
            ),
            "web",
            &mut warnings,
        )
        .expect("a probe");
        let command = probe.exec.and_then(|e| e.command).expect("a command");
        assert_eq!(command, ["/bin/sh", "-c", "curl -f localhost"]);
        assert_eq!(probe.period_seconds, Some(10));
        assert_eq!(probe.timeout_seconds, Some(1));
        assert_eq!(probe.failure_threshold, Some(120));
        assert_eq!(probe.initial_delay_seconds, Some(90));
        assert!(warnings.is_empty());
    }

    #[test]
    fn exec_healthcheck_keeps_its_arguments_and_docker_defaults() {
        let mut warnings = Warnings::default();
        let probe = probe(
            &check(json!({"test": ["CMD", "pg_isready", "-U", "postgres"]})),
            "db",
            &mut warnings,
        )
        .expect("a probe");
        assert_eq!(
            probe.exec.and_then(|e| e.command).expect("a command"),
            ["pg_isready", "-U", "postgres"]
        );
        assert_eq!(probe.period_seconds, Some(30));
        assert_eq!(probe.timeout_seconds, Some(30));
        assert_eq!(probe.failure_threshold, Some(3));
        assert_eq!(probe.initial_delay_seconds, None);
    }

    #[test]
    fn disabled_or_testless_healthchecks_give_no_probe() {
        let mut warnings = Warnings::default();
        assert_eq!(
            probe(&check(json!({"disable": true})), "a", &mut warnings),
            None
        );
        assert_eq!(
            probe(&check(json!({"test": ["NONE"]})), "a", &mut warnings),
            None
        );
        assert!(warnings.is_empty());
        assert_eq!(
            probe(&check(json!({"interval": "5s"})), "a", &mut warnings),
            None
        );
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn resources_from_deploy_and_service_keys() {
        let mut warnings = Warnings::default();
        let s = service(json!({
            "mem_limit": "1g", "cpus": 1.5,
            "deploy": {"resources": {"limits": {"memory": "512m"},
                                      "reservations": {"cpus": "0.25", "memory": "128m"}}}
        }));
        let r = resources(&s, "web", &mut warnings).expect("resources");
        let limits = r.limits.expect("limits");
        assert_eq!(limits["memory"].0, "512Mi");
        assert_eq!(limits["cpu"].0, "1500m");
        let requests = r.requests.expect("requests");
        assert_eq!(requests["cpu"].0, "250m");
        assert_eq!(requests["memory"].0, "128Mi");
        assert!(warnings.is_empty());

        let s = service(json!({"mem_reservation": "64m", "cpus": 0}));
        let r = resources(&s, "web", &mut warnings).expect("resources");
        assert_eq!(r.limits, None);
        assert_eq!(r.requests.expect("requests")["memory"].0, "64Mi");
        assert_eq!(resources(&Service::default(), "web", &mut warnings), None);
    }

    #[test]
    fn entrypoint_is_command_and_command_is_args() {
        let mut w = Warnings::default();
        let s = service(json!({"entrypoint": ["/entry.sh"], "command": "run --port 80"}));
        assert_eq!(
            command_and_args(&s, "a", &mut w),
            (
                Some(vec!["/entry.sh".to_string()]),
                Some(vec![
                    "run".to_string(),
                    "--port".to_string(),
                    "80".to_string()
                ])
            )
        );
        let s = service(json!({"entrypoint": [], "command": ["sh", "-c", "echo $(date) $$"]}));
        assert_eq!(
            command_and_args(&s, "a", &mut w),
            (
                Some(vec![
                    "sh".to_string(),
                    "-c".to_string(),
                    "echo $$(date) $$$".to_string()
                ]),
                None
            )
        );
        assert!(w.is_empty());
    }

    #[test]
    fn dollar_escaping() {
        assert_eq!(escape_dollars("$(HOME)"), "$$(HOME)");
        assert_eq!(escape_dollars("a$$b"), "a$$$b");
        assert_eq!(escape_dollars("$HOME ${X} $"), "$HOME ${X} $");
    }

    #[test]
    fn security_settings() {
        let mut w = Warnings::default();
        let s = service(json!({
            "privileged": true, "read_only": true, "user": "1000:100",
            "cap_add": ["CAP_NET_ADMIN"], "cap_drop": ["ALL"],
            "security_opt": ["no-new-privileges:true", "label=disable"]
        }));
        let c = security_context(&s, "a", &mut w).expect("a context");
        assert_eq!(c.privileged, Some(true));
        assert_eq!(c.read_only_root_filesystem, Some(true));
        assert_eq!((c.run_as_user, c.run_as_group), (Some(1000), Some(100)));
        let caps = c.capabilities.expect("capabilities");
        assert_eq!(caps.add, Some(vec!["NET_ADMIN".to_string()]));
        assert_eq!(caps.drop, Some(vec!["ALL".to_string()]));
        assert_eq!(c.allow_privilege_escalation, Some(false));
        assert_eq!(w.len(), 1, "label=disable has no equivalent");
        assert_eq!(numeric_user("postgres"), None);
        assert_eq!(numeric_user("0"), Some((0, None)));
    }
}
