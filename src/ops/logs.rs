//! `logs`, and the multiplexer that `up` (attached) shares with it: the output of several
//! containers as `web-1  | line`, one colour per container, each line shown once and in order
//! per container — also when a followed container restarts or a new one starts (the engine's
//! `start` events say when), which is followed again from the last timestamp shown.

use std::collections::HashMap;
use std::io::Write;

use bollard::Docker;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};

use crate::engine::containers;
use crate::engine::events::{Action, Subscription};
use crate::engine::labels;
use crate::engine::logs::{self, Line, Message, Request};
use crate::engine::observe::{self, ObservedContainer, State};
use crate::error::{Error, Result};
use crate::progress::Progress;

/// ANSI colours given to containers in turn, as docker compose does.
const COLOURS: &[&str] = &["36", "33", "32", "35", "34", "96", "93", "92", "95", "94"];

/// How lines are shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    /// Colour the `name |` prefix.
    pub colour: bool,
    /// Show the `name |` prefix (`--no-log-prefix` turns it off).
    pub prefix: bool,
    /// Show the engine's timestamp before each line (`-t`).
    pub timestamps: bool,
}

/// One followed container.
struct Followed {
    label: String,
    colour: &'static str,
    /// It has shown a line: its label counts in the prefix width.
    shown: bool,
    /// A reader is running for it.
    active: bool,
    /// It started again while its reader was still running: read it again when that one ends.
    again: bool,
    /// The last timestamp shown, and how many lines carried it.
    last: Option<(String, usize)>,
    /// Lines at the last timestamp still to skip (they were shown by the previous reader).
    skip: usize,
}

/// Several containers' output, merged into one stream of prefixed lines on stdout.
pub struct Multiplexer {
    docker: Docker,
    request: Request,
    style: Style,
    tx: UnboundedSender<Message>,
    rx: UnboundedReceiver<Message>,
    followed: HashMap<String, Followed>,
    /// The width of the labels of the containers that have shown a line: prefixes grow as
    /// containers with longer names start to talk, as docker compose's do.
    width: usize,
    /// Write the containers' standard error to ours (attached `up`); `logs` merges them.
    stderr_apart: bool,
    /// Where warnings go (a reader that fails).
    progress: Progress,
}

impl Multiplexer {
    pub fn new(
        docker: &Docker,
        request: Request,
        style: Style,
        progress: &Progress,
    ) -> Multiplexer {
        let (tx, rx) = mpsc::unbounded_channel();
        Multiplexer {
            docker: docker.clone(),
            request,
            style,
            tx,
            rx,
            followed: HashMap::new(),
            width: 0,
            stderr_apart: false,
            progress: progress.clone(),
        }
    }

    /// Write what the containers print on their standard error to ours.
    pub fn with_stderr_apart(mut self) -> Multiplexer {
        self.stderr_apart = true;
        self
    }

    /// The colour of container `id`'s prefix (`None` when it is not followed).
    pub fn colour_of(&self, id: &str) -> Option<&'static str> {
        self.followed.get(id).map(|f| f.colour)
    }

    /// Show the output of container `id` under `label`. A container already being read is read
    /// again (from the last line shown) once its current reader ends.
    pub fn follow(&mut self, id: &str, label: &str) {
        let colour = COLOURS[self.followed.len() % COLOURS.len()];
        let entry = self.followed.entry(id.to_string());
        let followed = entry.or_insert_with(|| Followed {
            label: label.to_string(),
            colour,
            shown: false,
            active: false,
            again: false,
            last: None,
            skip: 0,
        });
        if followed.active {
            followed.again = true;
            return;
        }
        followed.active = true;
        let request = match &followed.last {
            // Read again from the second of the last line shown; `handle` drops what was shown.
            Some((timestamp, count)) => {
                followed.skip = *count;
                Request {
                    follow: self.request.follow,
                    tail: None,
                    since: crate::time::unix_seconds(timestamp).or(self.request.since),
                    until: self.request.until,
                }
            }
            None => self.request.clone(),
        };
        logs::spawn(&self.docker, id, &request, self.tx.clone());
    }

    /// How many containers are being read.
    pub fn active(&self) -> usize {
        self.followed.values().filter(|f| f.active).count()
    }

    /// Whether container `id` is being read.
    pub fn is_active(&self, id: &str) -> bool {
        self.followed.get(id).is_some_and(|f| f.active)
    }

    /// The next message of a reader.
    pub async fn next(&mut self) -> Option<Message> {
        self.rx.recv().await
    }

    /// Show a line, or note that a reader ended; returns the container whose reader ended.
    pub fn handle(&mut self, message: Message) -> Option<String> {
        match message {
            Message::Line { id, line, stderr } => {
                if let Some(text) = self.accept(&id, &line) {
                    // A closed pipe (`| head`) is not worth an error.
                    if stderr && self.stderr_apart {
                        let _ = writeln!(std::io::stderr().lock(), "{text}");
                    } else {
                        let _ = writeln!(std::io::stdout().lock(), "{text}");
                    }
                }
                None
            }
            Message::Ended { id, error } => {
                if let Some(error) = error {
                    self.progress
                        .warn(format!("cannot read the logs of {id}: {error}"));
                }
                let again = match self.followed.get_mut(&id) {
                    Some(f) => {
                        f.active = false;
                        std::mem::take(&mut f.again)
                    }
                    None => false,
                };
                if again && let Some(label) = self.followed.get(&id).map(|f| f.label.clone()) {
                    self.follow(&id, &label);
                }
                Some(id)
            }
        }
    }

    /// Show every message already received, without waiting.
    pub fn drain(&mut self) {
        while let Ok(message) = self.rx.try_recv() {
            self.handle(message);
        }
    }

    /// The text to print for `line` of `id`, or `None` when it was shown already.
    fn accept(&mut self, id: &str, line: &Line) -> Option<String> {
        let style = self.style;
        let f = self.followed.get_mut(id)?;
        if !f.shown {
            f.shown = true;
            self.width = self.width.max(f.label.chars().count() + 1);
        }
        let width = self.width;
        if !line.timestamp.is_empty() {
            match &mut f.last {
                Some((last, count)) if line.timestamp == *last => {
                    if f.skip > 0 {
                        f.skip -= 1;
                        return None;
                    }
                    *count += 1;
                }
                Some((last, _)) if line.timestamp < *last => return None,
                _ => {
                    f.last = Some((line.timestamp.clone(), 1));
                    f.skip = 0;
                }
            }
        }
        Some(render(style, &f.label, f.colour, width, line))
    }
}

/// `web-1  | text`, coloured and timestamped as `style` says.
pub fn render(style: Style, label: &str, colour: &str, width: usize, line: &Line) -> String {
    let mut text = String::new();
    if style.prefix {
        if style.colour {
            text.push_str(&format!("\x1b[{colour}m{label:<width$} | \x1b[0m"));
        } else {
            text.push_str(&format!("{label:<width$} | "));
        }
    }
    if style.timestamps && !line.timestamp.is_empty() {
        text.push_str(&line.timestamp);
        text.push(' ');
    }
    text.push_str(&line.text);
    text
}

/// Whether any of `ids` is running or about to run again (restarting, paused).
pub async fn any_up(docker: &Docker, ids: impl IntoIterator<Item = &str>) -> Result<bool> {
    for id in ids {
        if let Some(status) = containers::status(docker, id).await?
            && status.state.is_up()
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Options of `logs`.
#[derive(Clone, Debug)]
pub struct Options {
    /// Services to show (all when empty).
    pub services: Vec<String>,
    /// `--index`: only this replica.
    pub index: Option<u32>,
    pub request: Request,
    pub style: Style,
}

impl Options {
    fn selects(&self, service: &str, number: Option<u32>, oneoff: bool) -> bool {
        !oneoff
            && (self.services.is_empty() || self.services.iter().any(|s| s == service))
            && self.index.is_none_or(|i| number == Some(i))
    }
}

/// Show the logs of the project's service containers, stopped ones too. With `follow`, keep
/// showing new lines, and the lines of containers that start later, until every followed
/// container has stopped or the user presses Ctrl-C.
pub async fn logs(
    docker: &Docker,
    project: &str,
    options: &Options,
    progress: &Progress,
) -> Result<()> {
    let follow = options.request.follow;
    // Subscribe before listing, so that a container starting in between is not missed.
    let events = follow.then(|| Subscription::start(docker, project));
    let mut starts = events.as_ref().map(Subscription::receiver);
    let containers: Vec<ObservedContainer> = observe::project_containers(docker, project)
        .await?
        .into_iter()
        .filter(|c| options.selects(&c.service, Some(c.number), c.oneoff))
        .collect();
    let mut mux = Multiplexer::new(docker, options.request.clone(), options.style, progress);
    for c in &containers {
        mux.follow(&c.id, labels::display_name(project, &c.name));
    }
    let mut known: Vec<String> = containers.iter().map(|c| c.id.clone()).collect();
    if known.is_empty() && !follow {
        return match options.index {
            // `--index N` names one container: say that it is not there.
            Some(index) => Err(no_replica(&options.services, index)),
            None => Ok(()),
        };
    }
    loop {
        tokio::select! {
            message = mux.next() => {
                let Some(message) = message else { break };
                if mux.handle(message).is_some()
                    && mux.active() == 0
                    && !(follow && any_up(docker, known.iter().map(String::as_str)).await?)
                {
                    break;
                }
            }
            event = recv(&mut starts) => match event {
                Ok(event) => {
                    if event.action == Action::Start
                        && options.selects(&event.service, event.number, event.oneoff)
                    {
                        if !known.contains(&event.id) {
                            known.push(event.id.clone());
                        }
                        mux.follow(&event.id, labels::display_name(project, &event.name));
                    }
                }
                Err(RecvError::Lagged(_)) => {
                    // Missed events: look at the engine instead.
                    for c in observe::project_containers(docker, project).await? {
                        if options.selects(&c.service, Some(c.number), c.oneoff)
                            && c.state == State::Running
                            && !known.contains(&c.id)
                        {
                            known.push(c.id.clone());
                            mux.follow(&c.id, labels::display_name(project, &c.name));
                        }
                    }
                }
                Err(RecvError::Closed) => starts = None,
            },
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    mux.drain();
    Ok(())
}

/// The error for `--index N` when no selected service has a container number N.
fn no_replica(services: &[String], index: u32) -> Error {
    let what = match services {
        [one] => format!("service \"{one}\" has no container number {index}"),
        [] => format!("no service has a container number {index}"),
        many => format!(
            "none of the services {} has a container number {index}",
            many.join(", ")
        ),
    };
    Error::new(what).with_hint("`rcompose ps -a` lists the containers and their numbers")
}

/// The next event of an optional receiver (never resolves when there is none).
pub async fn recv(
    receiver: &mut Option<tokio::sync::broadcast::Receiver<crate::engine::events::ContainerEvent>>,
) -> std::result::Result<crate::engine::events::ContainerEvent, RecvError> {
    match receiver {
        Some(r) => r.recv().await,
        None => std::future::pending().await,
    }
}

/// A Go-style duration (`90s`, `10m`, `1h30m`, `1.5h`) in seconds.
fn duration_seconds(text: &str) -> Option<f64> {
    let mut total = 0.0;
    let mut rest = text;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let value: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let factor = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += value * factor;
        rest = &rest[unit_len..];
    }
    Some(total)
}

/// The fraction of a second of an RFC 3339 time (`.5` of `2024-05-01T10:00:00.5Z`), 0 when it
/// has none.
fn fraction_of(timestamp: &str) -> f64 {
    let Some((_, time)) = timestamp.split_once(['T', 't', ' ']) else {
        return 0.0;
    };
    let Some((_, after)) = time.split_once('.') else {
        return 0.0;
    };
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    format!("0.{digits}").parse().unwrap_or(0.0)
}

/// `--since` / `--until`: an RFC 3339 date or date-time (UTC when no zone is given), a Unix
/// timestamp, or a duration before `now` (`42m`). Unix seconds with their fraction: the engine
/// takes whole seconds, so `--since` is rounded down and `--until` up, never leaving a line out.
pub fn parse_time(text: &str, now: f64) -> std::result::Result<f64, String> {
    let text = text.trim();
    let bad = || {
        format!(
            "invalid time {text:?}: use a date (2024-05-01T10:00:00Z or 2024-05-01T12:00:00+02:00), a Unix timestamp or a duration such as 42m"
        )
    };
    if let Some(seconds) = duration_seconds(text) {
        return Ok(now - seconds);
    }
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return text.parse().map_err(|_| bad());
    }
    let whole = crate::time::unix_seconds(text).ok_or_else(bad)?;
    Ok(whole as f64 + fraction_of(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(ts: &str, text: &str) -> Line {
        Line {
            timestamp: ts.to_string(),
            text: text.to_string(),
        }
    }

    #[test]
    fn lines_are_prefixed_like_docker_compose() {
        let plain = Style {
            colour: false,
            prefix: true,
            timestamps: false,
        };
        assert_eq!(
            render(
                plain,
                "web-1",
                "36",
                8,
                &line("2024-01-01T00:00:00.000000000Z", "hi")
            ),
            "web-1    | hi"
        );
        let coloured = Style {
            colour: true,
            ..plain
        };
        assert_eq!(
            render(coloured, "db-1", "33", 4, &line("", "x")),
            "\x1b[33mdb-1 | \x1b[0mx"
        );
        let bare = Style {
            colour: false,
            prefix: false,
            timestamps: true,
        };
        assert_eq!(
            render(
                bare,
                "web-1",
                "36",
                5,
                &line("2024-01-01T00:00:00.000000000Z", "hi")
            ),
            "2024-01-01T00:00:00.000000000Z hi"
        );
    }

    #[tokio::test]
    async fn prefixes_grow_as_containers_with_longer_names_talk() {
        let Ok(docker) =
            Docker::connect_with_http("http://127.0.0.1:9", 1, bollard::API_DEFAULT_VERSION)
        else {
            return;
        };
        let style = Style {
            colour: false,
            prefix: true,
            timestamps: false,
        };
        let mut mux = Multiplexer::new(&docker, Request::default(), style, &Progress::quiet());
        for (id, label) in [("a", "a-1"), ("b", "longername-1")] {
            mux.followed.insert(
                id.to_string(),
                Followed {
                    label: label.to_string(),
                    colour: "36",
                    shown: false,
                    active: true,
                    again: false,
                    last: None,
                    skip: 0,
                },
            );
        }
        // Only the containers that have shown a line count, plus one space, as in compose.
        assert_eq!(mux.accept("a", &line("", "x")).as_deref(), Some("a-1  | x"));
        assert_eq!(
            mux.accept("b", &line("", "y")).as_deref(),
            Some("longername-1  | y")
        );
        assert_eq!(
            mux.accept("a", &line("", "z")).as_deref(),
            Some("a-1           | z")
        );
    }

    #[tokio::test]
    async fn lines_shown_before_a_restart_are_not_shown_again() {
        // An engine client is only needed to spawn readers, which this test never does.
        let Ok(docker) =
            Docker::connect_with_http("http://127.0.0.1:9", 1, bollard::API_DEFAULT_VERSION)
        else {
            return;
        };
        let style = Style {
            colour: false,
            prefix: false,
            timestamps: false,
        };
        let mut mux = Multiplexer::new(&docker, Request::default(), style, &Progress::quiet());
        mux.followed.insert(
            "c".to_string(),
            Followed {
                label: "web-1".to_string(),
                colour: "36",
                shown: false,
                active: true,
                again: false,
                last: None,
                skip: 0,
            },
        );
        let t1 = "2024-01-01T00:00:01.000000000Z";
        let t2 = "2024-01-01T00:00:02.000000000Z";
        assert!(mux.accept("c", &line(t1, "a")).is_some());
        assert!(mux.accept("c", &line(t2, "b")).is_some());
        assert!(mux.accept("c", &line(t2, "c")).is_some());
        // A new reader from second 2 repeats b and c, then goes on.
        if let Some(f) = mux.followed.get_mut("c") {
            f.skip = f.last.as_ref().map_or(0, |l| l.1);
        }
        assert_eq!(mux.accept("c", &line(t1, "a")), None);
        assert_eq!(mux.accept("c", &line(t2, "b")), None);
        assert_eq!(mux.accept("c", &line(t2, "c")), None);
        assert_eq!(mux.accept("c", &line(t2, "d")).as_deref(), Some("d"));
        assert_eq!(
            mux.accept("c", &line("2024-01-01T00:00:03.000000000Z", "e"))
                .as_deref(),
            Some("e")
        );
    }

    #[test]
    fn times_are_dates_timestamps_or_durations() {
        let now = 1_700_000_000.25;
        assert_eq!(parse_time("42m", now), Ok(now - 42.0 * 60.0));
        assert_eq!(parse_time("1h30m", now), Ok(now - 5400.0));
        assert_eq!(parse_time("0s", now), Ok(now));
        assert_eq!(parse_time("1699999999", now), Ok(1_699_999_999.0));
        assert_eq!(parse_time("1699999999.5", now), Ok(1_699_999_999.5));
        assert_eq!(parse_time("1970-01-02", now), Ok(86_400.0));
        assert_eq!(parse_time("2023-11-14T22:13:20Z", now), Ok(1_700_000_000.0));
        assert_eq!(
            parse_time("2023-11-14T23:13:20+01:00", now),
            Ok(1_700_000_000.0)
        );
        assert_eq!(
            parse_time("2023-11-14T16:43:20.5-05:30", now),
            Ok(1_700_000_000.5)
        );
        assert_eq!(
            parse_time("2023-11-14T22:13:20.25Z", now),
            Ok(1_700_000_000.25)
        );
        assert!(parse_time("yesterday", now).is_err());
        assert!(parse_time("2024-13-01", now).is_err());
        assert!(parse_time("", now).is_err());
    }
}
