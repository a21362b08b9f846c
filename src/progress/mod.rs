//! Progress of engine operations as a stream of events (a container is being created, a layer
//! of an image is downloading...) and the renderers that show them. Operations only emit
//! [`Event`]s; how they look is up to the renderer chosen by `--progress`: a live tty view
//! ([`tty`]), a line per change of state ([`plain`]), one JSON object per event ([`json`]), or
//! nothing.

pub mod board;
pub mod json;
pub mod plain;
pub mod tty;

use std::fmt;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};

/// The kind of engine object an event is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// A service as a whole: what holds for all its containers (warnings about its keys).
    Service,
    Container,
    Network,
    Volume,
    Image,
    /// Swarm configs and secrets.
    Config,
    Secret,
    /// A swarm stack as a whole (warnings about top-level keys, nodes that are down).
    Stack,
    /// The project or the command as a whole: warnings about no one object (orphans, the
    /// loader's warnings), shown as docker compose logs them: `WARN text`.
    Project,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Service => "Service",
            Kind::Container => "Container",
            Kind::Network => "Network",
            Kind::Volume => "Volume",
            Kind::Image => "Image",
            Kind::Config => "Config",
            Kind::Secret => "Secret",
            Kind::Stack => "Stack",
            Kind::Project => "Project",
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
    /// A swarm service is updated; what changed (`image, env`).
    Updating(String),
    Updated,
    /// A swarm service whose spec is unchanged (its tasks keep running).
    UpToDate,
    /// How far a swarm service's tasks have got (`1/3 running`): still going, or there.
    Converging(String),
    Converged(String),
    /// Already exists and was kept as it is (networks and volumes).
    Found,
    Pulling,
    Pulled,
    Building,
    Built,
    Pushing,
    Pushed,
    Committing,
    /// Committed as this image ID.
    Committed(String),
    Exporting,
    Exported,
    /// Nothing to do, and why (`pull` of a service that is only built).
    Skipped(String),
    /// Progress of one layer of the image being pulled or pushed.
    Layer(Layer),
    /// A line of output (a build step), not a change of state.
    Output(String),
    /// Something worth knowing that does not stop the operation.
    Warning(String),
    Error(String),
}

/// Where a layer of an image is, as the engine reports it while pulling or pushing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LayerStatus {
    Waiting,
    PullingFsLayer,
    Downloading,
    VerifyingChecksum,
    DownloadComplete,
    Extracting,
    PullComplete,
    AlreadyExists,
    Preparing,
    Pushing,
    Pushed,
    /// Any other status text, kept as the engine wrote it.
    Other(String),
}

impl LayerStatus {
    /// The status for the engine's text (`Pulling fs layer`, `Downloading`...).
    pub fn parse(text: &str) -> LayerStatus {
        match text {
            "Waiting" => LayerStatus::Waiting,
            "Pulling fs layer" => LayerStatus::PullingFsLayer,
            "Downloading" => LayerStatus::Downloading,
            "Verifying Checksum" => LayerStatus::VerifyingChecksum,
            "Download complete" => LayerStatus::DownloadComplete,
            "Extracting" => LayerStatus::Extracting,
            "Pull complete" => LayerStatus::PullComplete,
            "Already exists" => LayerStatus::AlreadyExists,
            "Preparing" => LayerStatus::Preparing,
            "Pushing" => LayerStatus::Pushing,
            "Pushed" => LayerStatus::Pushed,
            other if other.eq_ignore_ascii_case("layer already exists") => {
                LayerStatus::AlreadyExists
            }
            other => LayerStatus::Other(other.to_string()),
        }
    }

    /// The layer needs nothing more.
    pub fn is_complete(&self) -> bool {
        matches!(
            self,
            LayerStatus::PullComplete | LayerStatus::AlreadyExists | LayerStatus::Pushed
        )
    }
}

impl fmt::Display for LayerStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LayerStatus::Waiting => "Waiting",
            LayerStatus::PullingFsLayer => "Pulling fs layer",
            LayerStatus::Downloading => "Downloading",
            LayerStatus::VerifyingChecksum => "Verifying Checksum",
            LayerStatus::DownloadComplete => "Download complete",
            LayerStatus::Extracting => "Extracting",
            LayerStatus::PullComplete => "Pull complete",
            LayerStatus::AlreadyExists => "Already exists",
            LayerStatus::Preparing => "Preparing",
            LayerStatus::Pushing => "Pushing",
            LayerStatus::Pushed => "Pushed",
            LayerStatus::Other(text) => text,
        })
    }
}

/// One layer's progress: `current` of `total` bytes in its present status (0 when unknown).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layer {
    pub id: String,
    pub status: LayerStatus,
    pub current: u64,
    pub total: u64,
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
            | Unpausing | Restarting | Pulling | Building | Pushing | Committing | Exporting
            | Updating(_) | Converging(_) | Output(_) => Phase::Working,
            Layer(layer) if layer.status.is_complete() => Phase::Done,
            Layer(_) => Phase::Working,
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
            Updating(what) if what.is_empty() => "Updating",
            Updating(what) => return write!(f, "Updating ({what} changed)"),
            Updated => "Updated",
            UpToDate => "Up to date",
            Converging(text) | Converged(text) => return f.write_str(text),
            Found => "Found",
            Pulling => "Pulling",
            Pulled => "Pulled",
            Building => "Building",
            Built => "Built",
            Pushing => "Pushing",
            Pushed => "Pushed",
            Committing => "Committing",
            Committed(id) => return write!(f, "Committed as {id}"),
            Exporting => "Exporting",
            Exported => "Exported",
            Skipped(reason) if reason.is_empty() => "Skipped",
            // As docker compose prints a skip: the status, then its text.
            Skipped(reason) => return write!(f, "Skipped {reason}"),
            Layer(layer) => return write!(f, "{} {}", layer.id, layer.status),
            Output(line) => return f.write_str(line),
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
        let mark = mark(self.action.phase());
        write!(f, " {mark} {} {}  {}", self.kind, self.name, self.action)
    }
}

/// The phase of an event as one word for machines: `working`, `done`, `warning` or `error`.
pub fn phase_word(phase: Phase) -> &'static str {
    match phase {
        Phase::Working => "working",
        Phase::Done => "done",
        Phase::Warning => "warning",
        Phase::Failed => "error",
    }
}

/// The mark docker compose shows before a line in a given phase.
pub fn mark(phase: Phase) -> &'static str {
    match phase {
        Phase::Working => " ",
        Phase::Done => "✔",
        Phase::Warning => "!",
        Phase::Failed => "✘",
    }
}

/// Turns events into output.
pub trait Renderer: Send + Sync {
    fn render(&self, event: &Event);

    /// The operation is over: leave the final state on screen. Called once, before anything
    /// else is printed (logs of `up` without `-d`, an error).
    fn finish(&self) {}
}

/// Prints nothing (`--progress quiet`, `pull -q`).
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

/// How progress is shown (`--progress`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// `tty` when standard error is a terminal, else `plain`.
    #[default]
    Auto,
    /// A live view: one line per resource, spinners and progress bars.
    Tty,
    /// A line per change of state, for logs and CI.
    Plain,
    /// One JSON object per event.
    Json,
    /// Nothing.
    Quiet,
}

impl Mode {
    /// `Auto` resolved for this process: `Tty` only when standard error is a terminal (a
    /// requested `Tty` falls back to `Plain` when it is not, since nothing could be drawn).
    pub fn resolve(self) -> Mode {
        match self {
            Mode::Auto | Mode::Tty if std::io::stderr().is_terminal() => Mode::Tty,
            Mode::Auto | Mode::Tty => Mode::Plain,
            other => other,
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

    /// The renderer for `mode`, writing to standard error. `title` heads the tty view
    /// (`Running`, `Pulling`, `Building`).
    pub fn for_mode(mode: Mode, title: &str) -> Progress {
        match mode.resolve() {
            Mode::Tty => Progress::new(Arc::new(tty::TtyRenderer::stderr(title))),
            Mode::Json => Progress::new(Arc::new(json::JsonRenderer::stderr())),
            Mode::Quiet => Progress::quiet(),
            Mode::Plain | Mode::Auto => Progress::plain(),
        }
    }

    /// Plain lines on standard error.
    pub fn plain() -> Progress {
        Progress::new(Arc::new(plain::PlainRenderer::stderr()))
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

    pub fn service(&self, name: &str, action: Action) {
        self.emit(Kind::Service, name, action);
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

    pub fn stack(&self, name: &str, action: Action) {
        self.emit(Kind::Stack, name, action);
    }

    pub fn image(&self, name: &str, action: Action) {
        self.emit(Kind::Image, name, action);
    }

    /// A warning about the project or the command as a whole (no one object): `WARN text` in
    /// the plain and tty views, an object in json, nothing when quiet.
    pub fn warn(&self, text: impl Into<String>) {
        self.emit(Kind::Project, "", Action::Warning(text.into()));
    }

    /// End the live view (if any), leaving the final state on screen.
    pub fn finish(&self) {
        self.renderer.finish();
    }
}

/// A size as docker prints it: decimal units, four significant digits (`772.8kB`, `2.013MB`).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    let digits = if value >= 1.0 {
        value.log10().floor() as usize + 1
    } else {
        1
    };
    let decimals = 4usize.saturating_sub(digits);
    let mut text = format!("{value:.decimals$}");
    if text.contains('.') {
        text = text.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    format!("{text}{}", UNITS[unit])
}

/// A clonable in-memory writer, for renderers under test.
#[derive(Clone, Default)]
pub struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl SharedBuffer {
    /// Everything written so far, as text.
    pub fn text(&self) -> String {
        self.0
            .lock()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }
}

impl std::io::Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut b) = self.0.lock() {
            b.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
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

    #[test]
    fn a_project_warning_is_a_warning_event_of_no_object() {
        let recorder = Arc::new(Recorder::default());
        Progress::new(recorder.clone()).warn("no services to build");
        let events = recorder
            .events
            .lock()
            .map(|e| e.clone())
            .unwrap_or_default();
        assert_eq!(
            events,
            [Event {
                kind: Kind::Project,
                name: String::new(),
                action: Action::Warning("no services to build".into()),
            }]
        );
        assert_eq!(events[0].action.phase(), Phase::Warning);
    }
}
