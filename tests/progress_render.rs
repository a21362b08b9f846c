//! Progress renderers fed recorded event streams, without an engine: plain and json output
//! compared with snapshots, and the tty view drawn into an in-memory terminal (progress bars
//! of a pull, finished lines collapsing so the view never outgrows the terminal).
//!
//! Snapshots live in tests/snapshots/; `RCOMPOSE_UPDATE_SNAPSHOTS=1 cargo test --test
//! progress_render` rewrites them.

use std::path::PathBuf;
use std::sync::Arc;

use bollard::models::CreateImageInfo;
use indicatif::{InMemoryTerm, ProgressDrawTarget, TermLike};
use rcompose::engine::images;
use rcompose::progress::json::JsonRenderer;
use rcompose::progress::plain::PlainRenderer;
use rcompose::progress::tty::TtyRenderer;
use rcompose::progress::{Action, Event, Kind, Progress, Renderer, SharedBuffer};

/// Sends every event to several renderers.
struct Tee(Vec<Arc<dyn Renderer>>);

impl Renderer for Tee {
    fn render(&self, event: &Event) {
        for r in &self.0 {
            r.render(event);
        }
    }
    fn finish(&self) {
        for r in &self.0 {
            r.finish();
        }
    }
}

fn plain() -> (Arc<PlainRenderer>, SharedBuffer) {
    let buffer = SharedBuffer::default();
    (
        Arc::new(PlainRenderer::new(Box::new(buffer.clone()))),
        buffer,
    )
}

fn json() -> (Arc<JsonRenderer>, SharedBuffer) {
    let buffer = SharedBuffer::default();
    (
        Arc::new(JsonRenderer::new(Box::new(buffer.clone()))),
        buffer,
    )
}

/// A tty view drawn into an in-memory terminal of `rows` x `cols`.
fn tty(title: &str, rows: u16, cols: u16) -> (Arc<TtyRenderer>, InMemoryTerm) {
    let term = InMemoryTerm::new(rows, cols);
    let target = ProgressDrawTarget::term_like(Box::new(term.clone()));
    let size = {
        let term = term.clone();
        Box::new(move || (usize::from(term.height()), usize::from(term.width())))
    };
    (Arc::new(TtyRenderer::new(title, target, size, false)), term)
}

fn snapshot(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("RCOMPOSE_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read snapshot {}: {e}", path.display()));
    assert_eq!(
        actual,
        expected,
        "output differs from {} (RCOMPOSE_UPDATE_SNAPSHOTS=1 rewrites it)",
        path.display()
    );
}

/// The recorded engine messages of a pull, as bollard hands them over.
fn recorded(fixture: &str) -> Vec<Result<CreateImageInfo, bollard::errors::Error>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(fixture);
    let text = std::fs::read_to_string(&path).unwrap();
    text.lines()
        .map(|line| Ok(serde_json::from_str::<CreateImageInfo>(line).unwrap()))
        .collect()
}

fn replay(fixture: &str, image: &str, progress: &Progress) -> rcompose::Result<()> {
    let stream = futures_util::stream::iter(recorded(fixture));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(images::report_pull(stream, image, progress, true))
}

/// The screen of an in-memory terminal, without trailing blank lines, every spinner frame
/// shown as `⠿` (which frame a spinner is at depends on how often its line was updated).
fn screen(term: &InMemoryTerm) -> Vec<String> {
    let contents = term.contents();
    let mut lines: Vec<String> = contents
        .lines()
        .map(|l| {
            l.trim_end()
                .chars()
                .map(|c| {
                    if "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏".contains(c) {
                        '⠿'
                    } else {
                        c
                    }
                })
                .collect()
        })
        .collect();
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
}

fn up_events(progress: &Progress) {
    progress.network("app_default", Action::Created);
    for name in ["app-db-1", "app-web-1"] {
        progress.container(name, Action::Creating);
        progress.container(name, Action::Created);
    }
    progress.container("app-db-1", Action::Starting);
    progress.container("app-db-1", Action::Started);
    progress.container("app-db-1", Action::Waiting);
    progress.container("app-db-1", Action::Healthy);
    progress.container("app-db-1", Action::Healthy);
    progress.container("app-web-1", Action::Starting);
    progress.container("app-web-1", Action::Started);
    progress.container("app-setup-1", Action::Exited(1));
    progress.volume(
        "app_data",
        Action::Warning("exists but was not created for this project".into()),
    );
}

#[test]
fn up_events_as_plain_lines_and_json_objects() {
    let (p, plain_out) = plain();
    let (j, json_out) = json();
    let progress = Progress::new(Arc::new(Tee(vec![p, j])));
    up_events(&progress);
    assert_eq!(
        plain_out.text(),
        " ✔ Network app_default  Created
   Container app-db-1  Creating
 ✔ Container app-db-1  Created
   Container app-web-1  Creating
 ✔ Container app-web-1  Created
   Container app-db-1  Starting
 ✔ Container app-db-1  Started
   Container app-db-1  Waiting
 ✔ Container app-db-1  Healthy
   Container app-web-1  Starting
 ✔ Container app-web-1  Started
 ✘ Container app-setup-1  Exited (1)
 ! Volume app_data  exists but was not created for this project
",
        "a repeated state (Healthy twice) prints one line"
    );
    let json_text = json_out.text();
    let lines: Vec<&str> = json_text.lines().collect();
    assert_eq!(lines.len(), 14, "one object per event, repeats included");
    assert_eq!(
        lines[..3],
        [
            r#"{"id":"Network app_default","status":"done","text":"Created"}"#,
            r#"{"id":"Container app-db-1","status":"working","text":"Creating"}"#,
            r#"{"id":"Container app-db-1","status":"done","text":"Created"}"#,
        ]
    );
    assert_eq!(
        lines[12..],
        [
            r#"{"id":"Container app-setup-1","status":"error","text":"Exited (1)"}"#,
            r#"{"id":"Volume app_data","status":"warning","text":"exists but was not created for this project"}"#,
        ]
    );
}

#[test]
fn a_recorded_pull_as_plain_lines_and_json_objects() {
    let (p, plain_out) = plain();
    let (j, json_out) = json();
    let progress = Progress::new(Arc::new(Tee(vec![p, j])));
    replay("pull-demo.jsonl", "demo:1.0", &progress).unwrap();
    snapshot("pull-demo.plain.txt", &plain_out.text());
    snapshot("pull-demo.json.txt", &json_out.text());
}

#[test]
fn a_failed_pull_is_one_line_naming_image_and_registry() {
    let (p, plain_out) = plain();
    let progress = Progress::new(p);
    let err = replay("pull-denied.jsonl", "demo:2.0", &progress).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot pull demo:2.0 from registry docker.io: manifest for demo:2.0 not found: manifest unknown: manifest unknown"
    );
    assert_eq!(
        plain_out.text(),
        "   Image demo:2.0  Pulling
 ✘ Image demo:2.0  Error: manifest for demo:2.0 not found: manifest unknown: manifest unknown
"
    );
}

#[test]
fn a_pull_draws_one_bar_per_image_from_its_layers() {
    let (view, term) = tty("Pulling", 10, 80);
    let progress = Progress::new(view.clone());
    let messages = recorded("pull-demo.jsonl");
    progress.image("demo:1.0", Action::Pulling);
    progress.image("other:2", Action::Pulling);
    // Up to the middle of the first big layer's download.
    for info in messages.iter().take(7).flatten() {
        let layer = images::layer_of(
            info.id.as_deref(),
            info.status.as_deref(),
            info.progress_detail.as_ref(),
        );
        if let Some(layer) = layer {
            progress.image("demo:1.0", Action::Layer(layer));
        }
    }
    // 396288 of 772788 bytes downloaded, nothing extracted; the other layers' sizes are not
    // known yet (or they already exist).
    assert_eq!(
        view.bar_states(),
        vec![(
            "Image demo:1.0  Pulling 1/3 layers".to_string(),
            396288,
            2 * 772788
        )]
    );
    assert_eq!(
        screen(&term),
        vec![
            "[+] Pulling 0/2",
            " ⠿ Image demo:1.0  Pulling 1/3 layers [=====>              ]  26%",
            " ⠿ Image other:2   Pulling",
        ]
    );
    // The rest of the pull: every layer complete, the bar gone, the line settled.
    for info in messages.iter().skip(7).flatten() {
        let layer = images::layer_of(
            info.id.as_deref(),
            info.status.as_deref(),
            info.progress_detail.as_ref(),
        );
        if let Some(layer) = layer {
            progress.image("demo:1.0", Action::Layer(layer));
        }
    }
    let board = view.board();
    let line = board.line(Kind::Image, "demo:1.0").unwrap();
    assert_eq!(
        line.progress(),
        Some((2 * 772788 + 2 * 2048, 2 * 772788 + 2 * 2048))
    );
    assert_eq!(line.status(), "Pulling 3/3 layers");
    progress.image("demo:1.0", Action::Pulled);
    progress.image("other:2", Action::Error("connection refused".into()));
    assert!(view.bar_states().is_empty());
    assert_eq!(
        screen(&term),
        vec![
            "[+] Pulling 2/2",
            " ✔ Image demo:1.0  Pulled",
            " ✘ Image other:2   Error: connection refused",
        ]
    );
    progress.finish();
    assert_eq!(
        screen(&term),
        vec![
            "[+] Pulling 2/2",
            " ✔ Image demo:1.0  Pulled",
            " ✘ Image other:2   Error: connection refused",
        ],
        "the final state is printed once, in place of the live view"
    );
}

#[test]
fn the_tty_view_never_outgrows_the_terminal() {
    let (view, term) = tty("Running", 10, 80);
    let progress = Progress::new(view.clone());
    let names: Vec<String> = (1..=15).map(|i| format!("app-s{i:02}-1")).collect();
    let check = |when: &str| {
        let lines = screen(&term);
        assert!(
            lines.len() <= 9,
            "{when}: {} lines\n{}",
            lines.len(),
            lines.join("\n")
        );
        assert!(
            lines.first().is_some_and(|l| l.starts_with("[+] Running")),
            "{when}: the header scrolled away\n{}",
            lines.join("\n")
        );
    };
    progress.network("app_default", Action::Created);
    for name in &names {
        progress.container(name, Action::Creating);
        check(name);
    }
    for name in &names {
        progress.container(name, Action::Created);
        progress.container(name, Action::Starting);
        check(name);
        progress.container(name, Action::Started);
        check(name);
    }
    assert_eq!(
        screen(&term),
        vec![
            "[+] Running 16/16",
            " ✔ … 9 more: 1 Created, 8 Started",
            " ✔ Container app-s09-1  Started",
            " ✔ Container app-s10-1  Started",
            " ✔ Container app-s11-1  Started",
            " ✔ Container app-s12-1  Started",
            " ✔ Container app-s13-1  Started",
            " ✔ Container app-s14-1  Started",
            " ✔ Container app-s15-1  Started",
        ]
    );
    progress.finish();
    // The final state has every line once; the terminal scrolls to show its end.
    let lines = screen(&term);
    assert_eq!(
        lines.last().map(String::as_str),
        Some(" ✔ Container app-s15-1  Started")
    );
}

#[test]
fn a_project_warning_reads_as_compose_logs_it_and_holds_in_json() {
    let (plain_view, plain_out) = plain();
    let (json_view, json_out) = json();
    let (tty_view, term) = tty("Running", 10, 80);
    let progress = Progress::new(Arc::new(Tee(vec![plain_view, json_view, tty_view.clone()])));
    progress.container("app-web-1", Action::Started);
    progress.warn("no services to build");
    progress.warn("no services to build");
    assert_eq!(
        plain_out.text(),
        " ✔ Container app-web-1  Started\nWARN no services to build\nWARN no services to build\n",
        "each warning is a line of its own, never folded into a repeated state"
    );
    let objects: Vec<serde_json::Value> = json_out
        .text()
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object a line"))
        .collect();
    assert_eq!(
        objects[1],
        serde_json::json!({"id": "Project", "status": "warning", "text": "no services to build"})
    );
    let lines = screen(&term);
    assert!(
        lines.iter().any(|l| l == "WARN no services to build"),
        "{}",
        lines.join("\n")
    );
    assert!(
        !lines.iter().any(|l| l.contains("Project")),
        "a warning is not a row of the view\n{}",
        lines.join("\n")
    );
    drop(tty_view);
}
