//! The plain renderer: one line per change of state, for logs and CI. A repeated state is not
//! printed again, and a layer's byte counts never are: only its status changes.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Mutex;

use super::{Action, Event, Kind, Layer, LayerStatus, Renderer, human_size, mark};

/// Writes a line per change of state to a writer (standard error by default).
pub struct PlainRenderer {
    state: Mutex<State>,
}

struct State {
    out: Box<dyn Write + Send>,
    /// The last state printed per resource (and per layer of an image).
    last: HashMap<(Kind, String), String>,
}

impl PlainRenderer {
    pub fn stderr() -> PlainRenderer {
        PlainRenderer::new(Box::new(std::io::stderr()))
    }

    pub fn new(out: Box<dyn Write + Send>) -> PlainRenderer {
        PlainRenderer {
            state: Mutex::new(State {
                out,
                last: HashMap::new(),
            }),
        }
    }
}

/// The plain line for an event.
fn line(event: &Event) -> String {
    match &event.action {
        Action::Warning(text) if event.kind == Kind::Project => format!("WARN {text}"),
        Action::Output(text) => format!("[{}] {text}", event.name),
        Action::Layer(layer) => {
            let mark = mark(event.action.phase());
            format!(
                " {mark} {} {}  {}",
                event.kind,
                event.name,
                layer_text(layer)
            )
        }
        _ => event.to_string(),
    }
}

/// `a58ecd4f0c86 Downloading 772.8kB`: the size only while bytes move.
pub(crate) fn layer_text(layer: &Layer) -> String {
    let sized = matches!(
        layer.status,
        LayerStatus::Downloading | LayerStatus::Extracting | LayerStatus::Pushing
    );
    if sized && layer.total > 0 {
        format!("{} {} {}", layer.id, layer.status, human_size(layer.total))
    } else {
        format!("{} {}", layer.id, layer.status)
    }
}

impl Renderer for PlainRenderer {
    fn render(&self, event: &Event) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let key = match &event.action {
            // Lines of output and the project's warnings are each printed as they come.
            Action::Output(_) => None,
            Action::Warning(_) if event.kind == Kind::Project => None,
            Action::Layer(layer) => Some((event.kind, format!("{}\u{0}{}", event.name, layer.id))),
            _ => Some((event.kind, event.name.clone())),
        };
        if let Some(key) = key {
            let now = match &event.action {
                Action::Layer(layer) => layer.status.to_string(),
                other => other.to_string(),
            };
            if state.last.get(&key) == Some(&now) {
                return;
            }
            state.last.insert(key, now);
        }
        let text = line(event);
        // A closed pipe is not worth failing the operation for.
        let _ = writeln!(state.out, "{text}");
        let _ = state.out.flush();
    }
}
