//! Swarm stacks: the same compose project deployed as Docker Swarm services, with the
//! semantics of `docker stack deploy -c FILE NAME`, `docker stack ps NAME` and
//! `docker stack rm NAME`.
//!
//! The flow follows the rest of rcompose:
//! - [`convert`] turns the loaded [`Project`](crate::project::model::Project) into a
//!   [`convert::StackPlan`]: engine specs for networks, configs, secrets and services, plus one
//!   warning per compose key (per service) that Swarm cannot honour. Pure; unit-tested.
//! - [`diff`] compares a wanted service spec with the one the engine holds, so that `up` only
//!   updates services whose spec changed. Pure; unit-tested.
//! - [`up`], [`ps`] and [`down`] talk to the engine through bollard; [`wait`] watches tasks
//!   converge; [`nodes`] says which nodes the manager sees down, whose tasks count nowhere.
//!
//! Every object of a stack carries the label `com.docker.stack.namespace=<stack>`
//! ([`crate::engine::labels::STACK_NAMESPACE`]), so `docker stack ps/rm` see rcompose stacks and
//! the other way round.

pub mod convert;
pub mod diff;
pub mod down;
pub mod nodes;
pub mod ps;
pub mod up;
pub mod wait;

use crate::error::Error;

/// An engine error as a user error, saying what was being done.
pub(crate) fn engine_error(doing: impl std::fmt::Display, err: bollard::errors::Error) -> Error {
    let message = match &err {
        bollard::errors::Error::DockerResponseServerError { message, .. } => message.clone(),
        other => other.to_string(),
    };
    Error::new(format!("{doing}: {message}"))
}

/// Whether the engine answered 404 (no such object).
pub(crate) fn is_not_found(err: &bollard::errors::Error) -> bool {
    matches!(
        err,
        bollard::errors::Error::DockerResponseServerError {
            status_code: 404,
            ..
        }
    )
}

/// The error for an engine that is not a swarm manager.
pub(crate) fn not_a_manager(err: bollard::errors::Error) -> Error {
    let message = match &err {
        bollard::errors::Error::DockerResponseServerError { message, .. } => message.clone(),
        other => other.to_string(),
    };
    if message.contains("not a swarm manager") || message.contains("swarm mode") {
        Error::new(format!("the engine is not a swarm manager: {message}")).with_hint(
            "run `docker swarm init` to make this engine a single-node swarm, or point rcompose \
             at a manager (DOCKER_HOST=ssh://MANAGER, or --context)",
        )
    } else {
        Error::new(format!("cannot talk to the swarm: {message}"))
    }
}
