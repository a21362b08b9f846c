//! `wait`: block until the first of the selected service containers stops, and hand back its
//! exit code — from the engine's `die` events, not by polling.

use bollard::Docker;
use futures_util::future::select_all;

use crate::engine::events::{Outcome, Subscription};
use crate::engine::observe::ObservedContainer;
use crate::error::{Error, Result};

/// The first of `containers` to stop: its name and exit code.
pub async fn first_exit(
    docker: &Docker,
    project: &str,
    containers: &[ObservedContainer],
) -> Result<(String, i64)> {
    if containers.is_empty() {
        return Err(Error::new("no containers to wait for")
            .with_hint("start the project first (rcompose up -d)"));
    }
    let events = Subscription::start(docker, project);
    let waits = containers.iter().map(|c| {
        let events = &events;
        Box::pin(async move {
            let outcome = events.wait_completed(&c.id, None).await?;
            let code = match outcome {
                Outcome::Exited(code) => code,
                // Removed while waiting: it stopped, with no code to tell.
                _ => -1,
            };
            Ok::<_, Error>((c.name.clone(), code))
        })
    });
    let (first, _, _) = select_all(waits).await;
    first
}
