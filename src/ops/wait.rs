//! Waiting on containers, from the engine's events (not by polling): the `wait` verb (the
//! first of the selected service containers to stop, and its exit code), and the waits of
//! `up`, `start` and `run` — a dependency's depends_on condition, `--wait`. What the engine
//! reported becomes reached-or-why-not in one function, [`verdict`]; each caller words the
//! why-not for its context.

use std::time::Duration;

use bollard::Docker;
use futures_util::future::{join_all, select_all};

use crate::engine::containers;
use crate::engine::events::{Condition, Outcome, Subscription};
use crate::engine::observe::ObservedContainer;
use crate::error::{Error, Result};
use crate::progress::{Action, Progress};
use crate::project::model::{DependencyCondition, Project, ServiceDependency};

/// How many log lines of a failed dependency to show.
const FAILED_LOG_LINES: usize = 10;

/// Why a container did not reach what it was waited for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Missed {
    Unhealthy,
    NoHealthcheck,
    /// It exited with this code (for a completion: a code other than 0).
    Exited(i64),
    TimedOut,
    Gone,
    /// It is running while it was waited for to complete, say.
    Other(Outcome),
}

/// Whether a wait for `goal` that ended on `outcome` reached it, and if not, why. A container
/// that is healthy is running, too.
pub fn verdict(goal: Condition, outcome: Outcome) -> Result<(), Missed> {
    match (goal, outcome) {
        (Condition::Running, Outcome::Running | Outcome::Healthy)
        | (Condition::Healthy, Outcome::Healthy)
        | (Condition::Completed, Outcome::Exited(0)) => Ok(()),
        (_, Outcome::Unhealthy) => Err(Missed::Unhealthy),
        (_, Outcome::NoHealthcheck) => Err(Missed::NoHealthcheck),
        (_, Outcome::Exited(code)) => Err(Missed::Exited(code)),
        (_, Outcome::TimedOut) => Err(Missed::TimedOut),
        (_, Outcome::Gone) => Err(Missed::Gone),
        (_, other) => Err(Missed::Other(other)),
    }
}

/// What waits need: the engine, its events, where progress goes, and the end of the
/// `--wait-timeout` budget.
pub struct Waits<'a> {
    pub docker: &'a Docker,
    pub events: &'a Subscription,
    pub progress: &'a Progress,
    pub deadline: Option<tokio::time::Instant>,
    /// The whole `--wait-timeout` budget the deadline was set from, for the message when it
    /// runs out.
    pub budget: Option<Duration>,
}

/// A duration as Go prints it (`3s`, `1m30s`, `1h0m0s`), which docker compose's messages use.
pub fn go_duration(d: Duration) -> String {
    let secs = d.as_secs();
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h}h{m}m{s}s")
    } else if m > 0 {
        format!("{m}m{s}s")
    } else {
        format!("{s}s")
    }
}

impl Waits<'_> {
    /// What is left of the budget (`None`: wait as long as it takes).
    fn remaining(&self) -> Option<Duration> {
        self.deadline
            .map(|d| d.saturating_duration_since(tokio::time::Instant::now()))
    }

    /// Wait for container `id` to reach `goal`, within the budget; the engine's last word on
    /// it when it is reached or never will be.
    async fn until(&self, id: &str, goal: Condition) -> Result<Outcome> {
        let timeout = self.remaining();
        match goal {
            Condition::Running => self.events.wait_running(id, timeout).await,
            Condition::Healthy => self.events.wait_healthy(id, timeout).await,
            Condition::Completed => self.events.wait_completed(id, timeout).await,
        }
    }

    /// Show an exit the wait ended on.
    fn show_exit(&self, name: &str, outcome: &Outcome) {
        if let Outcome::Exited(code) = outcome {
            self.progress.container(name, Action::Exited(*code));
        }
    }

    /// Wait until the containers of dependency `dep` of `service` (`containers`: (id, name))
    /// meet its condition (`how`), within the budget; an error with the dependency's last log
    /// lines when one fails (an optional dependency only warns).
    pub async fn dependency(
        &self,
        containers: &[(String, String)],
        service: &str,
        dep: &str,
        how: &ServiceDependency,
    ) -> Result<()> {
        let goal = match how.condition {
            DependencyCondition::ServiceStarted => return Ok(()),
            DependencyCondition::ServiceHealthy => Condition::Healthy,
            DependencyCondition::ServiceCompletedSuccessfully => Condition::Completed,
        };
        for (id, name) in containers {
            self.progress.container(name, Action::Waiting);
            let outcome = self.until(id, goal).await?;
            self.show_exit(name, &outcome);
            let missed = match verdict(goal, outcome) {
                Ok(()) => {
                    if goal == Condition::Healthy {
                        self.progress.container(name, Action::Healthy);
                    }
                    continue;
                }
                Err(missed) => missed,
            };
            let reason = match (goal, missed) {
                (_, Missed::Unhealthy) => format!("container {name} is unhealthy"),
                (_, Missed::NoHealthcheck) => {
                    format!("container {name} has no healthcheck configured")
                }
                (Condition::Completed, Missed::Exited(code)) => {
                    let reason = exit_reason(self.docker, id, name, code).await;
                    format!(
                        "service \"{dep}\" didn't complete successfully: exit {code} ({reason})"
                    )
                }
                (_, Missed::Exited(code)) => exit_reason(self.docker, id, name, code).await,
                (_, Missed::TimedOut) => {
                    let what = if goal == Condition::Healthy {
                        "healthy"
                    } else {
                        "complete"
                    };
                    format!(
                        "container {name} (service \"{dep}\") did not become {what} within the --wait-timeout"
                    )
                }
                (_, Missed::Gone) => format!("container {name}: Gone"),
                (_, Missed::Other(other)) => format!("container {name}: {other:?}"),
            };
            if !how.required {
                self.progress.container(
                    name,
                    Action::Warning(format!(
                        "optional dependency \"{dep}\" failed to start: {reason} (needed by {service}, started anyway)"
                    )),
                );
                continue;
            }
            let logs = containers::last_log_lines(self.docker, id, FAILED_LOG_LINES).await;
            let mut err = Error::new(format!(
                "dependency failed to start: {reason} (needed by service \"{service}\", which was not started)"
            ))
            .with_exit_code(1);
            if !logs.is_empty() {
                let shown: Vec<String> = logs.iter().map(|l| format!("    {l}")).collect();
                err = err.with_hint(format!("last log lines of {name}:\n{}", shown.join("\n")));
            }
            return Err(err);
        }
        Ok(())
    }

    /// `up --wait`: every container running (healthy where it has a healthcheck); the
    /// containers of `one_shots` (services others need to complete) must have exited 0.
    /// `containers`: (service, id, name).
    pub async fn ready(
        &self,
        project: &Project,
        containers: &[(String, String, String)],
        one_shots: &[&str],
    ) -> Result<()> {
        let checks = containers.iter().map(|(service, id, name)| async move {
            let one_shot = one_shots.contains(&service.as_str());
            let has_health = project
                .services
                .get(service)
                .and_then(|s| s.healthcheck.as_ref())
                .is_some_and(|h| !h.is_disabled());
            let goal = if one_shot {
                Condition::Completed
            } else if has_health {
                self.progress.container(name, Action::Waiting);
                Condition::Healthy
            } else {
                Condition::Running
            };
            let outcome = self.until(id, goal).await?;
            self.show_exit(name, &outcome);
            match (verdict(goal, outcome), goal) {
                (Ok(()), Condition::Healthy) => {
                    self.progress.container(name, Action::Healthy);
                    Ok(())
                }
                (Ok(()), Condition::Running) => {
                    self.progress.container(name, Action::Running);
                    Ok(())
                }
                (Ok(()), Condition::Completed) => Ok(()),
                (Err(Missed::Exited(code)), _) => {
                    let reason = exit_reason(self.docker, id, name, code).await;
                    Err(Error::new(format!("service \"{service}\": {reason}")))
                }
                (Err(Missed::Unhealthy), _) => Err(Error::new(format!(
                    "service \"{service}\": container {name} is unhealthy"
                ))),
                (Err(Missed::TimedOut), _) => {
                    let what = if has_health { "healthy" } else { "running" };
                    let err = match self.budget {
                        // As docker compose words it for `up --wait --wait-timeout`.
                        Some(budget) => Error::new(format!(
                            "application not healthy after {}",
                            go_duration(budget)
                        )),
                        None => Error::new(format!("timeout waiting for container {name}")),
                    };
                    Err(err.with_hint(format!(
                        "container {name} (service \"{service}\") was not {what} in time"
                    )))
                }
                (Err(_), _) => Err(Error::new(format!("container {name} is gone"))),
            }
        });
        for result in join_all(checks).await {
            result?;
        }
        Ok(())
    }

    /// `start --wait`: every container in `list` running, and healthy when it has a
    /// healthcheck, within the budget; an error naming the first that is not.
    pub async fn running_or_healthy(&self, list: &[ObservedContainer]) -> Result<()> {
        for c in list {
            self.progress.container(&c.name, Action::Waiting);
            let mut goal = Condition::Healthy;
            let mut outcome = self.until(&c.id, goal).await?;
            if outcome == Outcome::NoHealthcheck {
                goal = Condition::Running;
                outcome = self.until(&c.id, goal).await?;
            }
            self.show_exit(&c.name, &outcome);
            let missed = match verdict(goal, outcome) {
                Ok(()) if goal == Condition::Healthy => {
                    self.progress.container(&c.name, Action::Healthy);
                    continue;
                }
                Ok(()) => {
                    self.progress.container(&c.name, Action::Running);
                    continue;
                }
                Err(missed) => missed,
            };
            return Err(Error::new(match missed {
                Missed::TimedOut => format!(
                    "container {} (service \"{}\") was not running|healthy within the --wait-timeout",
                    c.name, c.service
                ),
                Missed::Unhealthy => format!("container {} is unhealthy", c.name),
                Missed::Exited(code) => {
                    format!("container {} exited ({code}) instead of running", c.name)
                }
                Missed::NoHealthcheck => format!("container {}: NoHealthcheck", c.name),
                Missed::Gone => format!("container {}: Gone", c.name),
                Missed::Other(other) => format!("container {}: {other:?}", c.name),
            }));
        }
        Ok(())
    }
}

/// Why container `name` exited with `code`; "out of memory" when the kernel killed it for
/// exceeding its memory limit (the engine's OOMKilled).
pub async fn exit_reason(docker: &Docker, id: &str, name: &str, code: i64) -> String {
    let Ok(inspect) = containers::inspect(docker, id).await else {
        return format!("container {name} exited ({code})");
    };
    let oom = inspect
        .state
        .as_ref()
        .and_then(|s| s.oom_killed)
        .unwrap_or(false);
    if !oom {
        return format!("container {name} exited ({code})");
    }
    let limit = inspect
        .host_config
        .as_ref()
        .and_then(|h| h.memory)
        .filter(|&m| m > 0)
        .map(|m| format!(" of {}", human_bytes(m)))
        .unwrap_or_default();
    format!(
        "container {name} exited ({code}): out of memory (OOMKilled: the kernel killed it for exceeding its memory limit{limit})"
    )
}

/// `8 MiB`, `1.5 GiB`: a byte count as people read memory limits.
fn human_bytes(bytes: i64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if value.fract() == 0.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_go_prints_them() {
        assert_eq!(go_duration(Duration::from_secs(3)), "3s");
        assert_eq!(go_duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(go_duration(Duration::from_secs(3600)), "1h0m0s");
    }

    #[test]
    fn verdicts() {
        use Condition::*;
        let cases: &[(Condition, Outcome, Result<(), Missed>)] = &[
            (Running, Outcome::Running, Ok(())),
            (Running, Outcome::Healthy, Ok(())),
            (Running, Outcome::Exited(0), Err(Missed::Exited(0))),
            (Healthy, Outcome::Healthy, Ok(())),
            (Healthy, Outcome::Unhealthy, Err(Missed::Unhealthy)),
            (Healthy, Outcome::NoHealthcheck, Err(Missed::NoHealthcheck)),
            (Healthy, Outcome::Exited(1), Err(Missed::Exited(1))),
            (Healthy, Outcome::TimedOut, Err(Missed::TimedOut)),
            (Completed, Outcome::Exited(0), Ok(())),
            (Completed, Outcome::Exited(3), Err(Missed::Exited(3))),
            (Completed, Outcome::Gone, Err(Missed::Gone)),
            (
                Completed,
                Outcome::Running,
                Err(Missed::Other(Outcome::Running)),
            ),
        ];
        for (goal, outcome, expected) in cases {
            assert_eq!(
                &verdict(*goal, outcome.clone()),
                expected,
                "{goal:?} {outcome:?}"
            );
        }
    }

    #[test]
    fn memory_limits_read_as_people_write_them() {
        assert_eq!(human_bytes(8 * 1024 * 1024), "8 MiB");
        assert_eq!(human_bytes(1536 * 1024 * 1024), "1.5 GiB");
        assert_eq!(human_bytes(512), "512 B");
    }
}
