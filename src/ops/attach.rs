//! Attached `up`: the output of the project's containers through the `logs` multiplexer
//! (`web-1  | line`, a colour per container) until they all stop, one exits
//! (`--abort-on-container-exit`), or the user presses Ctrl-C (first: stop gracefully; second:
//! kill).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;

use bollard::Docker;
use tokio::sync::broadcast;

use crate::engine::containers;
use crate::engine::events::{Action as EventAction, ContainerEvent};
use crate::engine::labels;
use crate::engine::logs::Request;
use crate::engine::observe::State;
use crate::error::Result;
use crate::ops::logs::{self, Multiplexer, Style};
use crate::progress::Progress;

/// Why attaching ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum End {
    /// Every attached container stopped on its own.
    AllStopped,
    /// A container exited (`--abort-on-container-exit`): its service and exit code.
    Exited { service: String, code: i64 },
    /// The user pressed Ctrl-C.
    Interrupted,
}

/// When attaching ends before every container has stopped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Abort {
    /// Never: wait for all of them (or Ctrl-C).
    #[default]
    Never,
    /// When one exits (`--abort-on-container-exit`).
    OnExit,
    /// When one exits with a non-zero code (`--abort-on-container-failure`).
    OnFailure,
}

impl Abort {
    fn on(self, code: i64) -> bool {
        match self {
            Abort::Never => false,
            Abort::OnExit => true,
            Abort::OnFailure => code != 0,
        }
    }
}

/// When an attachment ends, besides Ctrl-C.
#[derive(Clone, Copy, Debug)]
pub struct Until<'a> {
    pub abort: Abort,
    /// The services whose containers, once all stopped, end the attachment (`up foo
    /// --attach-dependencies` returns when foo is done, its dependencies still running, as
    /// with docker compose); every attached one when none of them is attached.
    pub watched: &'a [String],
}

/// Follow the output of `containers` (service → (id, name)) of `project` until the end
/// condition. `exits`: the project's container events, received from before the rollout
/// started its containers.
pub async fn attach(
    docker: &Docker,
    project: &str,
    containers: &BTreeMap<String, Vec<(String, String)>>,
    mut exits: broadcast::Receiver<ContainerEvent>,
    until: Until<'_>,
    style: Style,
    progress: &Progress,
) -> Result<End> {
    let Until { abort, watched } = until;
    let request = Request {
        follow: true,
        ..Request::default()
    };
    let mut mux = Multiplexer::new(docker, request, style, progress).with_stderr_apart();
    let mut services: BTreeMap<String, String> = BTreeMap::new();
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for (service, list) in containers {
        for (id, name) in list {
            services.insert(id.clone(), service.clone());
            names.insert(id.clone(), labels::display_name(project, name).to_string());
        }
    }
    if services.is_empty() {
        return Ok(End::AllStopped);
    }
    let mut ends: Vec<String> = services
        .iter()
        .filter(|(_, service)| watched.contains(*service))
        .map(|(id, _)| id.clone())
        .collect();
    if ends.is_empty() {
        ends = services.keys().cloned().collect();
    }
    let mut attaching: Vec<&str> = names.values().map(String::as_str).collect();
    attaching.sort_unstable();
    status_line(&format!("Attaching to {}", attaching.join(", ")), None);
    for (id, label) in &names {
        mux.follow(id, label);
    }
    let mut told = Told::default();
    let report = |mux: &Multiplexer, id: &str| -> Option<(String, Option<&'static str>)> {
        let name = names.get(id)?;
        Some((name.clone(), mux.colour_of(id).filter(|_| style.colour)))
    };
    loop {
        tokio::select! {
            message = mux.next() => {
                let Some(message) = message else { return Ok(End::AllStopped) };
                if let Some(id) = mux.handle(message) {
                    let code = match report(&mux, &id) {
                        Some((name, colour)) => {
                            told.exit(docker, &id, &name, colour, None).await
                        }
                        None => None,
                    };
                    // An exit the event stream did not bring (it came before attaching began):
                    // the end of the container's output tells it as well.
                    if let Some(code) = code
                        && abort.on(code)
                        && let Some(service) = services.get(&id)
                    {
                        mux.drain();
                        return Ok(End::Exited { service: service.clone(), code });
                    }
                    if ends.iter().all(|id| !mux.is_active(id))
                        && !logs::any_up(docker, ends.iter().map(String::as_str)).await?
                    {
                        return Ok(End::AllStopped);
                    }
                }
            },
            event = exits.recv() => {
                let Ok(event) = event else { continue };
                let Some(service) = services.get(&event.id) else { continue };
                match event.action {
                    // Restarted by its restart policy: read it again.
                    EventAction::Start => {
                        mux.follow(&event.id, labels::display_name(project, &event.name));
                    }
                    EventAction::Die(code) if abort.on(code.unwrap_or(-1)) => {
                        // Let the last lines of the exiting container through first: its
                        // reader ends once the engine has sent them all.
                        while mux.is_active(&event.id) {
                            match mux.next().await {
                                Some(message) => { mux.handle(message); }
                                None => break,
                            }
                        }
                        mux.drain();
                        if let Some((name, colour)) = report(&mux, &event.id) {
                            let _ = told.exit(docker, &event.id, &name, colour, Some(code)).await;
                        }
                        return Ok(End::Exited { service: service.clone(), code: code.unwrap_or(-1) });
                    }
                    EventAction::Die(code) => {
                        if let Some((name, colour)) = report(&mux, &event.id) {
                            let _ = told.exit(docker, &event.id, &name, colour, Some(code)).await;
                        }
                    }
                    _ => {}
                }
            }
            _ = tokio::signal::ctrl_c() => return Ok(End::Interrupted),
        }
    }
}

/// The exits told so far. An exit is seen twice, by the end of the container's output and by
/// the engine's `die` event, in either order, either possibly before the engine has recorded
/// whether the restart policy brings the container back, and the events possibly long after
/// they happened (those of the rollout are read once attached). The engine's restart count
/// settles it: the k-th exit since the container was started by hand was followed by a
/// restart when the count has reached k. Each exit is told once.
#[derive(Default)]
struct Told {
    /// `die` events read per container.
    dies: HashMap<String, i64>,
    /// Containers whose final exit has been told.
    finished: HashSet<String>,
}

impl Told {
    /// Say how container `id` exited, as compose does (`web-1 exited with code 3`, with
    /// `(restarting)` when its restart policy brought it back, and whether it ran out of
    /// memory); its exit code once it has stopped for good. `die`: the exit code of a `die`
    /// event (`None` at the end of the container's output).
    async fn exit(
        &mut self,
        docker: &Docker,
        id: &str,
        name: &str,
        colour: Option<&str>,
        die: Option<Option<i64>>,
    ) -> Option<i64> {
        let status = containers::status(docker, id).await.ok()??;
        let oom = if status.oom_killed {
            " (out of memory)"
        } else {
            ""
        };
        let stopped = matches!(status.state, State::Exited | State::Dead);
        let dies = self.dies.entry(id.to_string()).or_default();
        if let Some(code) = die {
            *dies += 1;
            if *dies <= status.restart_count || !stopped {
                let code = code.or(status.exit_code).unwrap_or(-1);
                status_line(
                    &format!("{name} exited with code {code}{oom} (restarting)"),
                    colour,
                );
                return None;
            }
        } else if !stopped || *dies < status.restart_count {
            // Its output ended for an exit whose event is still to be read.
            return None;
        }
        let code = status.exit_code.or(die.flatten())?;
        if stopped && self.finished.insert(id.to_string()) {
            status_line(&format!("{name} exited with code {code}{oom}"), colour);
        }
        Some(code)
    }
}

/// A line of attached `up`'s own between the containers' output, coloured as the container it
/// is about; on a terminal it first clears what the progress view may have left on the line.
fn status_line(text: &str, colour: Option<&str>) {
    let clear = if crate::terminal::stdout_is_terminal() {
        "\r\x1b[K"
    } else {
        ""
    };
    let line = match colour {
        Some(colour) => format!("{clear}\x1b[{colour}m{text}\x1b[0m"),
        None => format!("{clear}{text}"),
    };
    // A closed pipe (`| head`) is not worth an error.
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}
