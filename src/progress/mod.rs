//! Progress of engine operations as a stream of events (a container is being created, a network
//! was removed...) and the renderers that show them. Operations only emit [`Event`]s; how they
//! look is up to the renderer chosen by the command line.

use std::fmt;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// The kind of engine object an event is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Container,
    Network,
    Volume,
    Image,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Container => "Container",
            Kind::Network => "Network",
            Kind::Volume => "Volume",
            Kind::Image => "Image",
        })
    }
}

/// What happened to the object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Creating,
    Created,
    Recreate,
    Recreated,
    Starting,
    Started,
    Running,
    /// Waiting for a dependency condition or `--wait`.
    Waiting,
    Healthy,
    Exited(i64),
    Stopping,
    Stopped,
    Killing,
    Killed,
    Removing,
    Removed,
    Pausing,
    Paused,
    Unpausing,
    Unpaused,
    Restarting,
    Restarted,
    /// Already exists and was kept as it is (networks and volumes).
    Found,
    /// Something worth knowing that does not stop the operation.
    Warning(String),
    Error(String),
}

/// Whether an action is under way, done, or went wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Working,
    Done,
    Warning,
    Failed,
}

impl Action {
    pub fn phase(&self) -> Phase {
        use Action::*;
        match self {
            Creating | Recreate | Starting | Waiting | Stopping | Killing | Removing | Pausing
            | Unpausing | Restarting => Phase::Working,
            Warning(_) => Phase::Warning,
            Error(_) => Phase::Failed,
            Exited(code) if *code != 0 => Phase::Failed,
            _ => Phase::Done,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Action::*;
        let word = match self {
            Creating => "Creating",
            Created => "Created",
            Recreate => "Recreate",
            Recreated => "Recreated",
            Starting => "Starting",
            Started => "Started",
            Running => "Running",
            Waiting => "Waiting",
            Healthy => "Healthy",
            Exited(code) => return write!(f, "Exited ({code})"),
            Stopping => "Stopping",
            Stopped => "Stopped",
            Killing => "Killing",
            Killed => "Killed",
            Removing => "Removing",
            Removed => "Removed",
            Pausing => "Pausing",
            Paused => "Paused",
            Unpausing => "Unpausing",
            Unpaused => "Unpaused",
            Restarting => "Restarting",
            Restarted => "Restarted",
            Found => "Found",
            Warning(text) => return f.write_str(text),
            Error(text) => return write!(f, "Error: {text}"),
        };
        f.write_str(word)
    }
}

/// One progress event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub kind: Kind,
    /// Engine name of the object (`app-web-1`, `app_default`).
    pub name: String,
    pub action: Action,
}

impl fmt::Display for Event {
    /// ` ✔ Container app-web-1  Started`, as docker compose prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mark = match self.action.phase() {
            Phase::Working => " ",
            Phase::Done => "✔",
            Phase::Warning => "!",
            Phase::Failed => "✘",
        };
        write!(f, " {mark} {} {}  {}", self.kind, self.name, self.action)
    }
}

/// Turns events into output.
pub trait Renderer: Send + Sync {
    fn render(&self, event: &Event);
}

/// One line per event on standard error.
pub struct PlainRenderer {
    lock: Mutex<()>,
}

impl Renderer for PlainRenderer {
    fn render(&self, event: &Event) {
        let _guard = self.lock.lock();
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{event}");
    }
}

/// Prints nothing (`--quiet`, `ps`).
pub struct QuietRenderer;

impl Renderer for QuietRenderer {
    fn render(&self, _event: &Event) {}
}

/// Keeps every event in memory (tests, and `--dry-run` style summaries).
#[derive(Default)]
pub struct Recorder {
    pub events: Mutex<Vec<Event>>,
}

impl Renderer for Recorder {
    fn render(&self, event: &Event) {
        if let Ok(mut events) = self.events.lock() {
            events.push(event.clone());
        }
    }
}

/// A cheap, clonable handle operations emit events through.
#[derive(Clone)]
pub struct Progress {
    renderer: Arc<dyn Renderer>,
}

impl Progress {
    pub fn new(renderer: Arc<dyn Renderer>) -> Progress {
        Progress { renderer }
    }

    /// Plain lines on standard error.
    pub fn plain() -> Progress {
        Progress::new(Arc::new(PlainRenderer {
            lock: Mutex::new(()),
        }))
    }

    /// No output.
    pub fn quiet() -> Progress {
        Progress::new(Arc::new(QuietRenderer))
    }

    pub fn emit(&self, kind: Kind, name: &str, action: Action) {
        self.renderer.render(&Event {
            kind,
            name: name.to_string(),
            action,
        });
    }

    pub fn container(&self, name: &str, action: Action) {
        self.emit(Kind::Container, name, action);
    }

    pub fn network(&self, name: &str, action: Action) {
        self.emit(Kind::Network, name, action);
    }

    pub fn volume(&self, name: &str, action: Action) {
        self.emit(Kind::Volume, name, action);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_read_like_docker_compose() {
        let e = Event {
            kind: Kind::Container,
            name: "app-web-1".into(),
            action: Action::Started,
        };
        assert_eq!(e.to_string(), " ✔ Container app-web-1  Started");
        let e = Event {
            kind: Kind::Network,
            name: "app_default".into(),
            action: Action::Creating,
        };
        assert_eq!(e.to_string(), "   Network app_default  Creating");
        let e = Event {
            kind: Kind::Container,
            name: "app-setup-1".into(),
            action: Action::Exited(3),
        };
        assert_eq!(e.to_string(), " ✘ Container app-setup-1  Exited (3)");
    }

    #[test]
    fn recorder_keeps_events() {
        let recorder = Arc::new(Recorder::default());
        let progress = Progress::new(recorder.clone());
        progress.volume("app_data", Action::Created);
        let events = recorder.events.lock().map(|e| e.len()).unwrap_or(0);
        assert_eq!(events, 1);
    }
}
