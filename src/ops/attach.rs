//! Attached `up`: the output of the project's containers through the `logs` multiplexer
//! (`web-1  | line`, a colour per container) until they all stop, one exits
//! (`--abort-on-container-exit`), or the user presses Ctrl-C (first: stop gracefully; second:
//! kill).

use std::collections::BTreeMap;
use std::io::IsTerminal;

use bollard::Docker;

use crate::engine::events::{Action as EventAction, Subscription};
use crate::engine::labels;
use crate::engine::logs::Request;
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

/// Follow the output of `containers` (service → (id, name)) of `project` until the end
/// condition.
pub async fn attach(
    docker: &Docker,
    project: &str,
    containers: &BTreeMap<String, Vec<(String, String)>>,
    events: &Subscription,
    abort_on_exit: bool,
) -> Result<End> {
    let style = Style {
        colour: std::io::stdout().is_terminal(),
        prefix: true,
        timestamps: false,
    };
    let request = Request {
        follow: true,
        ..Request::default()
    };
    let mut mux = Multiplexer::new(docker, request, style);
    let mut services: BTreeMap<String, String> = BTreeMap::new();
    for (service, list) in containers {
        for (id, name) in list {
            services.insert(id.clone(), service.clone());
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
                if mux.handle(message).is_some()
                    && mux.active() == 0
                    && !logs::any_up(docker, services.keys().map(String::as_str)).await?
                {
                    return Ok(End::AllStopped);
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
                    EventAction::Die(code) if abort_on_exit => {
                        // Let the last lines of the exiting container through first: its
                        // reader ends once the engine has sent them all.
                        while mux.is_active(&event.id) {
                            match mux.next().await {
                                Some(message) => { mux.handle(message); }
                                None => break,
                            }
                        }
                        mux.drain();
                        return Ok(End::Exited { service: service.clone(), code: code.unwrap_or(-1) });
                    }
                    _ => {}
                }
            }
            _ = tokio::signal::ctrl_c() => return Ok(End::Interrupted),
        }
    }
}
