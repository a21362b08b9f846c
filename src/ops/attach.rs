//! Attached `up`: the output of the project's containers multiplexed as `name | line` with a
//! colour per container, until they all stop, one exits (`--abort-on-container-exit`), or the
//! user presses Ctrl-C (first: stop gracefully; second: kill).

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};

use bollard::Docker;
use bollard::query_parameters::LogsOptionsBuilder;
use futures_util::StreamExt;
use tokio::sync::mpsc;

use crate::engine::containers;
use crate::engine::events::{Action as EventAction, Subscription};
use crate::engine::observe::State;
use crate::error::Result;

const COLOURS: &[&str] = &["36", "33", "32", "35", "34", "96", "93", "92", "95", "94"];

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

/// Follow the output of `containers` (service → (id, name)) until the end condition.
pub async fn attach(
    docker: &Docker,
    containers: &BTreeMap<String, Vec<(String, String)>>,
    events: &Subscription,
    abort_on_exit: bool,
) -> Result<End> {
    let colour = std::io::stdout().is_terminal();
    let width = containers
        .values()
        .flatten()
        .map(|(_, n)| n.chars().count())
        .max()
        .unwrap_or(0);
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    let mut followers = Vec::new();
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    for (i, (service, id, name)) in containers
        .iter()
        .flat_map(|(s, list)| list.iter().map(move |(id, n)| (s, id, n)))
        .enumerate()
    {
        ids.insert(id.clone(), service.clone());
        let prefix = if colour {
            format!(
                "\x1b[{}m{name:<width$} |\x1b[0m ",
                COLOURS[i % COLOURS.len()]
            )
        } else {
            format!("{name:<width$} | ")
        };
        let tx = tx.clone();
        let docker = docker.clone();
        let id = id.clone();
        let name = name.clone();
        followers.push(tokio::spawn(async move {
            let options = LogsOptionsBuilder::default()
                .follow(true)
                .stdout(true)
                .stderr(true)
                .build();
            let mut stream = docker.logs(&id, Some(options));
            let mut pending = String::new();
            while let Some(Ok(chunk)) = stream.next().await {
                pending.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
                while let Some(i) = pending.find('\n') {
                    let line: String = pending.drain(..=i).collect();
                    let _ = tx.send(format!("{prefix}{}", line.trim_end_matches(['\n', '\r'])));
                }
            }
            if !pending.is_empty() {
                let _ = tx.send(format!("{prefix}{pending}"));
            }
            // The output ended: the container stopped. Say how, as compose does.
            if let Ok(Some(status)) = containers::status(&docker, &id).await
                && matches!(status.state, State::Exited | State::Dead)
                && let Some(code) = status.exit_code
            {
                let oom = if status.oom_killed {
                    " (out of memory)"
                } else {
                    ""
                };
                let _ = tx.send(format!("{name} exited with code {code}{oom}"));
            }
        }));
    }
    drop(tx);
    let mut exits = events.receiver();
    loop {
        tokio::select! {
            line = rx.recv() => match line {
                Some(line) => {
                    let mut out = std::io::stdout().lock();
                    let _ = writeln!(out, "{line}");
                }
                None => return Ok(End::AllStopped),
            },
            event = exits.recv(), if abort_on_exit => {
                if let Ok(event) = event
                    && let EventAction::Die(code) = event.action
                    && let Some(service) = ids.get(&event.id)
                {
                    // Let the last lines of the exiting container through first.
                    while let Ok(line) = rx.try_recv() {
                        let mut out = std::io::stdout().lock();
                        let _ = writeln!(out, "{line}");
                    }
                    return Ok(End::Exited { service: service.clone(), code: code.unwrap_or(-1) });
                }
            }
            _ = tokio::signal::ctrl_c() => return Ok(End::Interrupted),
        }
    }
}
