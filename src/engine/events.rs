//! Listening to the engine's event stream for one project, so that waiting for a container to
//! run, turn healthy or exit reacts to the engine's own `start`, `die` and `health_status` events
//! instead of polling. Every wait subscribes first, then confirms with one inspect, so an event
//! that happened before the wait began is not missed; later events settle the wait themselves
//! where they can (healthy, unhealthy, started, removed), else one inspect tells.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bollard::Docker;
use bollard::models::EventMessage;
use bollard::query_parameters::EventsOptionsBuilder;
use futures_util::StreamExt;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use super::containers::{self, Status};
use super::labels;
use super::observe::{Health, State};
use crate::error::{Error, Result};

/// How many events a slow listener may fall behind before it re-inspects.
const CHANNEL_CAPACITY: usize = 1024;

/// How long after it starts waiting docker compose first looks at a dependency (its poll
/// interval): see [`Subscription::no_healthcheck`].
const FIRST_LOOK: Duration = Duration::from_millis(500);

/// What a container event says happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Create,
    Start,
    /// The main process ended (exit code from the event's attributes).
    Die(Option<i64>),
    Health(Health),
    Destroy,
    Other(String),
}

/// A container event of the project.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerEvent {
    pub id: String,
    /// Container name, without the leading `/`.
    pub name: String,
    pub service: String,
    /// Replica number (`container-number` label), when set.
    pub number: Option<u32>,
    /// A one-off (`run`) container.
    pub oneoff: bool,
    pub action: Action,
    /// The engine's word for the action (`start`, `health_status: healthy`, `exec_start: sh`).
    pub raw_action: String,
    /// When it happened, in nanoseconds since the Unix epoch (0 when the engine did not say).
    pub time_nano: i64,
    /// The event's attributes: the container's labels, `name`, `image`, `exitCode`...
    pub attributes: HashMap<String, String>,
}

impl ContainerEvent {
    /// Parse an engine event; `None` for events that are not about containers.
    pub fn from_message(message: EventMessage) -> Option<ContainerEvent> {
        let actor = message.actor?;
        let id = actor.id?;
        let attributes = actor.attributes.unwrap_or_default();
        let raw = message.action?;
        let action = parse_action(&raw, &attributes);
        let time_nano = message
            .time_nano
            .or_else(|| message.time.map(|t| t.saturating_mul(1_000_000_000)))
            .unwrap_or(0);
        Some(ContainerEvent {
            id,
            name: attributes.get("name").cloned().unwrap_or_default(),
            service: attributes.get(labels::SERVICE).cloned().unwrap_or_default(),
            number: attributes
                .get(labels::CONTAINER_NUMBER)
                .and_then(|n| n.parse().ok()),
            oneoff: attributes
                .get(labels::ONEOFF)
                .is_some_and(|v| v.eq_ignore_ascii_case(labels::ONEOFF_TRUE)),
            action,
            raw_action: raw,
            time_nano,
            attributes,
        })
    }
}

fn parse_action(raw: &str, attributes: &HashMap<String, String>) -> Action {
    match raw {
        "create" => Action::Create,
        "start" => Action::Start,
        "die" => Action::Die(attributes.get("exitCode").and_then(|c| c.parse().ok())),
        "destroy" => Action::Destroy,
        other => match other.strip_prefix("health_status:").map(str::trim) {
            Some("healthy") => Action::Health(Health::Healthy),
            Some("unhealthy") => Action::Health(Health::Unhealthy),
            Some("starting") => Action::Health(Health::Starting),
            _ => Action::Other(other.to_string()),
        },
    }
}

/// What a wait ended on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Running,
    Healthy,
    /// The container is not running any more, with this exit code.
    Exited(i64),
    Unhealthy,
    /// Waiting for health on a container without a healthcheck.
    NoHealthcheck,
    /// The container was removed while waiting.
    Gone,
    TimedOut,
}

/// What to wait for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Condition {
    Running,
    Healthy,
    Completed,
}

/// A live subscription to the container events of one project.
pub struct Subscription {
    docker: Docker,
    /// Kept to hand out new receivers; it falls behind harmlessly and is never read.
    template: broadcast::Receiver<ContainerEvent>,
    task: JoinHandle<()>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Subscription {
    /// Subscribe to the container events of `project`. Call this before starting anything
    /// whose events matter. The engine is asked for events since a moment before this call,
    /// so events are not lost while the stream is being set up.
    pub fn start(docker: &Docker, project: &str) -> Subscription {
        let since = SystemTime::now().checked_sub(Duration::from_secs(1));
        Subscription::start_at(docker, project, since)
    }

    /// Subscribe to the container events of `project` that happen from `since` on (the
    /// engine's own clock; `None`: from the moment the stream is set up).
    pub fn start_at(docker: &Docker, project: &str, since: Option<SystemTime>) -> Subscription {
        Subscription::start_between(docker, project, since, None)
    }

    /// [`Subscription::start_at`], up to `until` (the engine then ends the stream).
    pub fn start_between(
        docker: &Docker,
        project: &str,
        since: Option<SystemTime>,
        until: Option<SystemTime>,
    ) -> Subscription {
        let stamp = |t: SystemTime| {
            t.duration_since(UNIX_EPOCH)
                .ok()
                .map(|d| format!("{}.{:09}", d.as_secs(), d.subsec_nanos()))
        };
        let until = until.and_then(stamp);
        let since = since
            .unwrap_or_else(SystemTime::now)
            .duration_since(UNIX_EPOCH)
            .ok()
            .map(|d| format!("{}.{:09}", d.as_secs(), d.subsec_nanos()))
            .unwrap_or_else(|| "0".to_string());
        let filters = HashMap::from([
            ("type".to_string(), vec!["container".to_string()]),
            (
                "label".to_string(),
                vec![format!("{}={project}", labels::PROJECT)],
            ),
        ]);
        let mut options = EventsOptionsBuilder::default()
            .since(&since)
            .filters(&filters);
        if let Some(until) = &until {
            options = options.until(until);
        }
        let options = options.build();
        let (sender, template) = broadcast::channel(CHANNEL_CAPACITY);
        let stream_docker = docker.clone();
        let task = tokio::spawn(async move {
            let mut stream = stream_docker.events(Some(options));
            while let Some(item) = stream.next().await {
                let Ok(message) = item else { break };
                if let Some(event) = ContainerEvent::from_message(message) {
                    // No receivers is fine: nobody is waiting right now.
                    let _ = sender.send(event);
                }
            }
            // Dropping the sender tells every receiver the stream ended.
        });
        Subscription {
            docker: docker.clone(),
            template,
            task,
        }
    }

    /// A receiver of every event from now on.
    pub fn receiver(&self) -> broadcast::Receiver<ContainerEvent> {
        self.template.resubscribe()
    }

    /// Wait until container `id` runs (or has already run and exited).
    pub async fn wait_running(&self, id: &str, timeout: Option<Duration>) -> Result<Outcome> {
        self.wait(id, Condition::Running, timeout).await
    }

    /// Wait until container `id` is healthy, unhealthy, or stops.
    pub async fn wait_healthy(&self, id: &str, timeout: Option<Duration>) -> Result<Outcome> {
        self.wait(id, Condition::Healthy, timeout).await
    }

    /// Wait until container `id` has exited; the outcome carries its exit code.
    pub async fn wait_completed(&self, id: &str, timeout: Option<Duration>) -> Result<Outcome> {
        self.wait(id, Condition::Completed, timeout).await
    }

    /// Wait until `condition` is decided for container `id`, or `timeout` passes.
    pub async fn wait(
        &self,
        id: &str,
        condition: Condition,
        timeout: Option<Duration>,
    ) -> Result<Outcome> {
        let waiting = self.wait_forever(id, condition);
        match timeout {
            None => waiting.await,
            Some(limit) => match tokio::time::timeout(limit, waiting).await {
                Ok(outcome) => outcome,
                Err(_) => Ok(Outcome::TimedOut),
            },
        }
    }

    async fn wait_forever(&self, id: &str, condition: Condition) -> Result<Outcome> {
        // Subscribe before looking, so that nothing happening after the look is missed.
        let mut events = self.receiver();
        if let Some(outcome) = self.check(id, condition).await? {
            if outcome == Outcome::NoHealthcheck {
                return self.no_healthcheck(id, condition, &mut events).await;
            }
            return Ok(outcome);
        }
        loop {
            match events.recv().await {
                Ok(event) if id_matches(&event.id, id) && is_relevant(&event.action, condition) => {
                    // Most events settle the wait by themselves: no inspect on the way from a
                    // passing health probe to the start of a dependent.
                    if let Some(outcome) = decide_event(condition, &event.action) {
                        return Ok(outcome);
                    }
                }
                Ok(_) => continue,
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => {
                    return Err(Error::new(
                        "lost the engine's event stream while waiting for a container",
                    )
                    .with_hint("is the docker daemon still running?"));
                }
            }
            if let Some(outcome) = self.check(id, condition).await? {
                return Ok(outcome);
            }
        }
    }

    /// One inspect: the outcome if `condition` is decided, `None` to keep waiting.
    /// A running container without a healthcheck, waited on for health: docker compose first
    /// looks [`FIRST_LOOK`] after it starts waiting, so a container that exits at once is
    /// reported as exited, not as lacking a healthcheck. Told the same: an exit within that
    /// time is the outcome.
    async fn no_healthcheck(
        &self,
        id: &str,
        condition: Condition,
        events: &mut broadcast::Receiver<ContainerEvent>,
    ) -> Result<Outcome> {
        let exit = async {
            loop {
                match events.recv().await {
                    Ok(event)
                        if id_matches(&event.id, id)
                            && matches!(event.action, Action::Die(_) | Action::Destroy) =>
                    {
                        return;
                    }
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => std::future::pending().await,
                }
            }
        };
        if tokio::time::timeout(FIRST_LOOK, exit).await.is_ok()
            && let Some(outcome) = self.check(id, condition).await?
        {
            return Ok(outcome);
        }
        Ok(Outcome::NoHealthcheck)
    }

    async fn check(&self, id: &str, condition: Condition) -> Result<Option<Outcome>> {
        let status = containers::status(&self.docker, id).await?;
        Ok(decide(condition, status.as_ref()))
    }
}

fn id_matches(event_id: &str, id: &str) -> bool {
    event_id == id || (id.len() >= 12 && event_id.starts_with(id))
}

fn is_relevant(action: &Action, condition: Condition) -> bool {
    match action {
        Action::Start | Action::Die(_) | Action::Destroy => true,
        Action::Health(_) => condition == Condition::Healthy,
        Action::Create | Action::Other(_) => false,
    }
}

/// Whether an event settles `condition` without looking at the container: `None` when only
/// an inspect can tell (a start while waiting for health; a death, which a restart policy may
/// follow with a restart).
pub fn decide_event(condition: Condition, action: &Action) -> Option<Outcome> {
    match (condition, action) {
        (_, Action::Destroy) => Some(Outcome::Gone),
        (Condition::Running, Action::Start) => Some(Outcome::Running),
        (Condition::Healthy, Action::Health(Health::Healthy)) => Some(Outcome::Healthy),
        (Condition::Healthy, Action::Health(Health::Unhealthy)) => Some(Outcome::Unhealthy),
        _ => None,
    }
}

/// Whether `status` settles `condition` (pure, so the rules are unit-tested).
pub fn decide(condition: Condition, status: Option<&Status>) -> Option<Outcome> {
    let Some(status) = status else {
        return Some(Outcome::Gone);
    };
    let exited = matches!(status.state, State::Exited | State::Dead);
    let code = status.exit_code.unwrap_or(-1);
    match condition {
        Condition::Running => match status.state {
            State::Running | State::Paused | State::Restarting => Some(Outcome::Running),
            _ if exited => Some(Outcome::Exited(code)),
            _ => None,
        },
        Condition::Healthy => match status.health {
            _ if exited => Some(Outcome::Exited(code)),
            Some(Health::Healthy) => Some(Outcome::Healthy),
            Some(Health::Unhealthy) => Some(Outcome::Unhealthy),
            Some(Health::Starting) => None,
            None if status.state == State::Running => Some(Outcome::NoHealthcheck),
            None => None,
        },
        Condition::Completed => exited.then_some(Outcome::Exited(code)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::EventActor;

    fn status(state: State, health: Option<Health>, exit_code: Option<i64>) -> Status {
        Status {
            state,
            exit_code,
            health,
            error: None,
            oom_killed: false,
            restart_count: 0,
        }
    }

    #[test]
    fn health_events_are_parsed() {
        let message = EventMessage {
            action: Some("health_status: healthy".to_string()),
            actor: Some(EventActor {
                id: Some("abc".to_string()),
                attributes: Some(HashMap::from([
                    ("name".to_string(), "p-web-1".to_string()),
                    (labels::SERVICE.to_string(), "web".to_string()),
                ])),
            }),
            ..Default::default()
        };
        let event = ContainerEvent::from_message(message);
        assert_eq!(
            event,
            Some(ContainerEvent {
                id: "abc".to_string(),
                name: "p-web-1".to_string(),
                service: "web".to_string(),
                number: None,
                oneoff: false,
                action: Action::Health(Health::Healthy),
                raw_action: "health_status: healthy".to_string(),
                time_nano: 0,
                attributes: HashMap::from([
                    ("name".to_string(), "p-web-1".to_string()),
                    (labels::SERVICE.to_string(), "web".to_string()),
                ]),
            })
        );
        let die = parse_action("die", &HashMap::from([("exitCode".into(), "3".into())]));
        assert_eq!(die, Action::Die(Some(3)));
    }

    #[test]
    fn events_settle_waits_when_they_can() {
        use Condition::*;
        let healthy = Action::Health(Health::Healthy);
        let sick = Action::Health(Health::Unhealthy);
        let starting = Action::Health(Health::Starting);
        assert_eq!(decide_event(Healthy, &healthy), Some(Outcome::Healthy));
        assert_eq!(decide_event(Healthy, &sick), Some(Outcome::Unhealthy));
        assert_eq!(decide_event(Healthy, &starting), None);
        assert_eq!(decide_event(Healthy, &Action::Start), None);
        assert_eq!(
            decide_event(Running, &Action::Start),
            Some(Outcome::Running)
        );
        assert_eq!(decide_event(Completed, &Action::Start), None);
        assert_eq!(decide_event(Completed, &Action::Die(Some(0))), None);
        assert_eq!(decide_event(Healthy, &Action::Die(None)), None);
        assert_eq!(decide_event(Running, &Action::Destroy), Some(Outcome::Gone));
    }

    #[test]
    fn waits_are_decided_by_the_inspected_state() {
        use Condition::*;
        let created = status(State::Created, None, None);
        let running = status(State::Running, None, None);
        let starting = status(State::Running, Some(Health::Starting), None);
        let healthy = status(State::Running, Some(Health::Healthy), None);
        let sick = status(State::Running, Some(Health::Unhealthy), None);
        let failed = status(State::Exited, Some(Health::Unhealthy), Some(3));
        assert_eq!(decide(Running, Some(&created)), None);
        assert_eq!(decide(Running, Some(&running)), Some(Outcome::Running));
        assert_eq!(decide(Running, Some(&failed)), Some(Outcome::Exited(3)));
        assert_eq!(decide(Healthy, Some(&starting)), None);
        assert_eq!(decide(Healthy, Some(&healthy)), Some(Outcome::Healthy));
        assert_eq!(decide(Healthy, Some(&sick)), Some(Outcome::Unhealthy));
        assert_eq!(
            decide(Healthy, Some(&running)),
            Some(Outcome::NoHealthcheck)
        );
        assert_eq!(decide(Healthy, Some(&failed)), Some(Outcome::Exited(3)));
        assert_eq!(decide(Completed, Some(&running)), None);
        assert_eq!(decide(Completed, Some(&failed)), Some(Outcome::Exited(3)));
        assert_eq!(decide(Completed, None), Some(Outcome::Gone));
    }
}
