//! The json renderer: one JSON object per event, one per line, for tools that follow an
//! operation. `id` names the resource as the tty view does (`Container app-web-1`); a layer's
//! object names its image in `parent_id` and carries byte counts.

use std::io::Write;
use std::sync::Mutex;

use serde_json::{Map, Value, json};

use super::{Action, Event, Renderer, phase_word};

/// Writes one JSON object per event to a writer (standard error by default).
pub struct JsonRenderer {
    out: Mutex<Box<dyn Write + Send>>,
}

impl JsonRenderer {
    pub fn stderr() -> JsonRenderer {
        JsonRenderer::new(Box::new(std::io::stderr()))
    }

    pub fn new(out: Box<dyn Write + Send>) -> JsonRenderer {
        JsonRenderer {
            out: Mutex::new(out),
        }
    }
}

/// The JSON object of one event.
pub fn object(event: &Event) -> Value {
    // A warning about the project as a whole names no object.
    let id = if event.name.is_empty() {
        event.kind.to_string()
    } else {
        format!("{} {}", event.kind, event.name)
    };
    let status = phase_word(event.action.phase());
    let mut object = Map::new();
    match &event.action {
        Action::Layer(layer) => {
            object.insert("id".into(), json!(layer.id));
            object.insert("parent_id".into(), json!(id));
            object.insert("status".into(), json!(status));
            object.insert("text".into(), json!(layer.status.to_string()));
            if let Some(percent) = (layer.current.min(layer.total) * 100).checked_div(layer.total) {
                object.insert("current".into(), json!(layer.current));
                object.insert("total".into(), json!(layer.total));
                object.insert("percent".into(), json!(percent));
            }
        }
        Action::Output(line) => {
            object.insert("id".into(), json!(id));
            object.insert("status".into(), json!(status));
            object.insert("text".into(), json!("Building"));
            object.insert("output".into(), json!(line));
        }
        other => {
            object.insert("id".into(), json!(id));
            object.insert("status".into(), json!(status));
            object.insert("text".into(), json!(other.to_string()));
        }
    }
    Value::Object(object)
}

impl Renderer for JsonRenderer {
    fn render(&self, event: &Event) {
        let Ok(mut out) = self.out.lock() else {
            return;
        };
        let _ = writeln!(out, "{}", object(event));
        let _ = out.flush();
    }
}
