//! `swarm down`: remove a stack's services, then its networks, configs and secrets, all found
//! by the label `com.docker.stack.namespace` and removed by ID, as `docker stack rm` does.
//! Volumes stay, as with docker stack.
//!
//! Swarm removes networks once the tasks on them are gone, so unless detached, `down` waits
//! until the stack's networks and task containers have disappeared.

use std::time::Duration;

use bollard::Docker;
use bollard::query_parameters::{
    ListConfigsOptions, ListContainersOptions, ListNetworksOptions, ListSecretsOptions,
    ListServicesOptions,
};

use super::wait::Wakeups;
use super::{engine_error, is_not_found, not_a_manager};
use crate::engine::labels;
use crate::error::{Error, Result};
use crate::progress::{Action, Kind, Progress};

/// How `swarm down` behaves.
#[derive(Debug, Clone, Copy)]
pub struct DownOptions {
    /// Return once removal is requested, without waiting for tasks and networks to go.
    pub detach: bool,
    /// How long to wait for them.
    pub timeout: Duration,
}

/// Remove stack `stack`. Removing a stack that does not exist is not an error.
pub async fn down(
    docker: &Docker,
    stack: &str,
    opts: DownOptions,
    progress: &Progress,
) -> Result<()> {
    let filters = labels::stack_filter(stack);
    let services = docker
        .list_services(Some(ListServicesOptions {
            filters: Some(filters.clone()),
            ..ListServicesOptions::default()
        }))
        .await
        .map_err(not_a_manager)?;
    let networks = docker
        .list_networks(Some(ListNetworksOptions {
            filters: Some(filters.clone()),
        }))
        .await
        .map_err(|e| engine_error("cannot list networks", e))?;
    let configs = docker
        .list_configs(Some(ListConfigsOptions {
            filters: Some(filters.clone()),
        }))
        .await
        .map_err(not_a_manager)?;
    let secrets = docker
        .list_secrets(Some(ListSecretsOptions {
            filters: Some(filters.clone()),
        }))
        .await
        .map_err(not_a_manager)?;
    if services.is_empty() && networks.is_empty() && configs.is_empty() && secrets.is_empty() {
        progress.stack(stack, Action::Warning("Nothing found in stack".to_string()));
        return Ok(());
    }

    let mut failures = Vec::new();
    let mut note =
        |result: std::result::Result<(), bollard::errors::Error>, kind: Kind, name: &str| {
            match result {
                Ok(()) => progress.emit(kind, name, Action::Removed),
                // Gone already (another `down`, or swarm finished first): that is what we want.
                Err(e) if is_not_found(&e) => progress.emit(kind, name, Action::Removed),
                Err(e) => {
                    let what = format!("{} {name}", kind.to_string().to_lowercase());
                    let message = engine_error(format!("cannot remove {what}"), e).message;
                    progress.emit(kind, name, Action::Error(message.clone()));
                    failures.push(message);
                }
            }
        };
    for service in &services {
        let (Some(id), name) = (
            &service.id,
            spec_name(service.spec.as_ref().map(|s| &s.name)),
        ) else {
            continue;
        };
        progress.emit(Kind::Service, &name, Action::Removing);
        note(docker.delete_service(id).await, Kind::Service, &name);
    }
    for network in &networks {
        let Some(id) = &network.id else { continue };
        let name = network.name.clone().unwrap_or_else(|| id.clone());
        progress.emit(Kind::Network, &name, Action::Removing);
        note(docker.remove_network(id).await, Kind::Network, &name);
    }
    for config in &configs {
        let Some(id) = &config.id else { continue };
        let name = spec_name(config.spec.as_ref().map(|s| &s.name));
        progress.emit(Kind::Config, &name, Action::Removing);
        note(docker.delete_config(id).await, Kind::Config, &name);
    }
    for secret in &secrets {
        let Some(id) = &secret.id else { continue };
        let name = spec_name(secret.spec.as_ref().map(|s| &s.name));
        progress.emit(Kind::Secret, &name, Action::Removing);
        note(docker.delete_secret(id).await, Kind::Secret, &name);
    }
    if !failures.is_empty() {
        return Err(Error::new(failures.join("; ")));
    }
    if opts.detach {
        return Ok(());
    }
    wait_until_gone(docker, stack, opts.timeout).await
}

fn spec_name(name: Option<&Option<String>>) -> String {
    name.cloned().flatten().unwrap_or_default()
}

/// Wait until no network and no task container of `stack` is left.
async fn wait_until_gone(docker: &Docker, stack: &str, timeout: Duration) -> Result<()> {
    let mut wakeups = Wakeups::new(docker, stack, timeout);
    loop {
        let networks = docker
            .list_networks(Some(ListNetworksOptions {
                filters: Some(labels::stack_filter(stack)),
            }))
            .await
            .map_err(|e| engine_error("cannot list networks", e))?;
        let containers = docker
            .list_containers(Some(ListContainersOptions {
                all: true,
                filters: Some(labels::stack_filter(stack)),
                ..ListContainersOptions::default()
            }))
            .await
            .map_err(|e| engine_error("cannot list containers", e))?;
        if networks.is_empty() && containers.is_empty() {
            return Ok(());
        }
        if !wakeups.next().await {
            return Err(Error::new(format!(
                "stack {stack} was removed, but {} network(s) and {} task container(s) were \
                 still there after {} s",
                networks.len(),
                containers.len(),
                timeout.as_secs()
            ))
            .with_hint(
                "swarm finishes removing them in the background; check `docker network ls`",
            ));
        }
    }
}
