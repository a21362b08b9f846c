//! Attached `up`: the output of the project's containers through the `logs` multiplexer
//! (`web-1  | line`, a colour per container) until they all stop, one exits
//! (`--abort-on-container-exit`), or the user presses Ctrl-C (first: stop gracefully; second:
//! kill).

use std::collections::BTreeMap;
use std::io::Write;

use bollard::Docker;

use crate::engine::containers;
use crate::engine::events::{Action as EventAction, Subscription};
use crate::engine::labels;
use crate::engine::logs::Request;
use crate::engine::observe::State;
use crate::error::Result;
use crate::ops::logs::{self, Multiplexer, Style};

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

/// Follow the output of `containers` (service → (id, name)) of `project` until the end
/// condition.
pub async fn attach(
    docker: &Docker,
    project: &str,
    containers: &BTreeMap<String, Vec<(String, String)>>,
    events: &Subscription,
    abort: Abort,
    style: Style,
) -> Result<End> {
    let request = Request {
        follow: true,
        ..Request::default()
    };
    let mut mux = Multiplexer::new(docker, request, style);
    let mut services: BTreeMap<String, String> = BTreeMap::new();
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for (service, list) in containers {
        for (id, name) in list {
            services.insert(id.clone(), service.clone());
            names.insert(id.clone(), name.clone());
            mux.follow(id, labels::display_name(project, name));
        }
    }
    if services.is_empty() {
        return Ok(End::AllStopped);
    }
    let mut exits = events.receiver();
    loop {
        tokio::select! {
            message = mux.next() => {
                let Some(message) = message else { return Ok(End::AllStopped) };
                if let Some(id) = mux.handle(message) {
                    let code = match names.get(&id) {
                        Some(name) => report_exit(docker, &id, name).await,
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
                    if mux.active() == 0
                        && !logs::any_up(docker, services.keys().map(String::as_str)).await?
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
                        let _ = report_exit(docker, &event.id, &event.name).await;
                        return Ok(End::Exited { service: service.clone(), code: code.unwrap_or(-1) });
                    }
                    _ => {}
                }
            }
            _ = tokio::signal::ctrl_c() => return Ok(End::Interrupted),
        }
    }
}

/// The output of container `id` ended: when it has exited, say how, as compose does
/// (`app-web-1 exited with code 3`), and whether it ran out of memory; its exit code.
async fn report_exit(docker: &Docker, id: &str, name: &str) -> Option<i64> {
    if let Ok(Some(status)) = containers::status(docker, id).await
        && matches!(status.state, State::Exited | State::Dead)
        && let Some(code) = status.exit_code
    {
        let oom = if status.oom_killed {
            " (out of memory)"
        } else {
            ""
        };
        let mut out = std::io::stdout().lock();
        // A closed pipe (`| head`) is not worth an error.
        let _ = writeln!(out, "{name} exited with code {code}{oom}");
        return Some(code);
    }
    None
}
