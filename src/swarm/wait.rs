//! Waking up while swarm tasks converge.
//!
//! Elsewhere rcompose waits on engine events alone. Swarm is different: the Engine API (1.41 on
//! docker 20.10) emits no events for task state changes, only for the containers a task runs on
//! *this* node, and nothing at all for tasks pending on or scheduled to other nodes. So a
//! [`Wakeups`] wakes its caller on every container event of the stack on this node (the common,
//! fast path) and, failing that, after a short back-off (100 ms doubling to 2 s), until a
//! deadline. The caller re-reads the task list each time. This bounded polling is used only for
//! swarm task convergence.

use std::pin::Pin;
use std::time::Duration;

use bollard::Docker;
use bollard::query_parameters::EventsOptions;
use futures_util::{Stream, StreamExt};
use tokio::time::Instant;

use crate::engine::labels;

const FIRST_DELAY: Duration = Duration::from_millis(100);
const MAX_DELAY: Duration = Duration::from_secs(2);

type EventStream = Pin<
    Box<dyn Stream<Item = Result<bollard::models::EventMessage, bollard::errors::Error>> + Send>,
>;

/// Wake-ups for a caller that re-checks swarm state: container events of the stack, or a
/// back-off, whichever comes first.
pub struct Wakeups {
    events: Option<EventStream>,
    delay: Duration,
    deadline: Instant,
}

impl Wakeups {
    /// Wake-ups for stack `stack`, giving up `timeout` from now.
    pub fn new(docker: &Docker, stack: &str, timeout: Duration) -> Wakeups {
        let mut filters = labels::stack_filter(stack);
        filters.insert("type".to_string(), vec!["container".to_string()]);
        // Moments a task's state can change; not the exec events every health check makes.
        filters.insert(
            "event".to_string(),
            ["start", "die", "destroy", "health_status"]
                .map(String::from)
                .to_vec(),
        );
        let options = EventsOptions {
            filters: Some(filters),
            ..EventsOptions::default()
        };
        Wakeups {
            events: Some(Box::pin(docker.events(Some(options)))),
            delay: FIRST_DELAY,
            deadline: Instant::now() + timeout,
        }
    }

    /// Wait for the next reason to look again. `false` once the deadline has passed.
    pub async fn next(&mut self) -> bool {
        let now = Instant::now();
        if now >= self.deadline {
            return false;
        }
        let sleep = tokio::time::sleep(self.delay.min(self.deadline - now));
        match &mut self.events {
            Some(events) => {
                tokio::select! {
                    event = events.next() => match event {
                        // Something happened to a task container: look again soon after it.
                        Some(Ok(_)) => self.delay = FIRST_DELAY,
                        // No (more) events: fall back to the back-off alone.
                        Some(Err(_)) | None => self.events = None,
                    },
                    () = sleep => self.delay = (self.delay * 2).min(MAX_DELAY),
                }
            }
            None => {
                sleep.await;
                self.delay = (self.delay * 2).min(MAX_DELAY);
            }
        }
        true
    }
}
