//! What runs in the container and how: image, command, entrypoint, environment, user,
//! terminal, stop signal and grace period, restart policy and logging.

use bollard::models::{
    ContainerCreateBody, HostConfig, HostConfigLogConfig, RestartPolicy, RestartPolicyNameEnum,
};

use super::Target;
use crate::error::{Error, Result};
use crate::project::model::Service;

/// Fill the process part of the create body and the restart policy and logging of `host`.
pub(super) fn apply(
    target: &Target<'_>,
    body: &mut ContainerCreateBody,
    host: &mut HostConfig,
) -> Result<()> {
    let Target {
        project,
        name,
        service,
    } = *target;
    let env = service.environment_entries();
    body.image = Some(service.image_name(&project.name, name));
    body.cmd = service.command.clone();
    body.entrypoint = service.entrypoint.clone().map(|e| {
        // An empty list clears the image's entrypoint; the engine wants `[""]` for that.
        if e.is_empty() { vec![String::new()] } else { e }
    });
    body.env = (!env.is_empty()).then_some(env);
    body.hostname = service.hostname.clone();
    body.domainname = service.domainname.clone();
    body.user = service.user.clone();
    body.working_dir = service.working_dir.clone();
    body.tty = service.tty.then_some(true);
    body.open_stdin = service.stdin_open.then_some(true);
    body.attach_stdin = Some(false);
    body.attach_stdout = Some(true);
    body.attach_stderr = Some(true);
    body.stop_signal = service.stop_signal.clone();
    body.stop_timeout = service.stop_grace_period.map(|d| d.0 / 1_000_000_000);

    host.restart_policy = restart_policy(service)?;
    host.init = service.init;
    host.runtime = service.runtime.clone();
    host.log_config = service.logging.as_ref().map(|l| HostConfigLogConfig {
        typ: l.driver.clone(),
        config: (!l.options.is_empty()).then(|| {
            l.options
                .iter()
                .map(|(a, b)| (a.clone(), b.clone()))
                .collect()
        }),
    });
    Ok(())
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
