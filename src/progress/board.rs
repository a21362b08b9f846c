//! The state the tty view draws, kept apart from drawing so that it is testable: one line per
//! resource in order of first appearance, with its last state and, for images, the progress of
//! their layers; and the frame that fits a terminal of a given height, where finished lines
//! collapse into one summary line when there are more resources than rows.

use std::collections::HashMap;

use super::{Action, Event, Kind, Layer, LayerStatus, Phase, mark};

/// What is known about one resource.
#[derive(Clone, Debug)]
pub struct Line {
    pub kind: Kind,
    pub name: String,
    /// The last state (never a layer or an output line).
    pub action: Action,
    /// The layers of an image being pulled or pushed, in order of first appearance.
    pub layers: Vec<Layer>,
    /// When the line last changed, in events since the board was made.
    changed: u64,
}

impl Line {
    pub fn phase(&self) -> Phase {
        self.action.phase()
    }

    /// `Container app-web-1`.
    pub fn label(&self) -> String {
        format!("{} {}", self.kind, self.name)
    }

    /// `Started`, or `Pulling 2/3 layers` while layers move.
    pub fn status(&self) -> String {
        let moving = matches!(self.action, Action::Pulling | Action::Pushing);
        if moving && !self.layers.is_empty() {
            let complete = self
                .layers
                .iter()
                .filter(|l| l.status.is_complete())
                .count();
            format!("{} {complete}/{} layers", self.action, self.layers.len())
        } else {
            self.action.to_string()
        }
    }

    /// Bytes done and to do over all layers, while the image is pulled or pushed and some
    /// layer's size is known. A pulled layer counts its size twice: downloaded, then extracted.
    pub fn progress(&self) -> Option<(u64, u64)> {
        if !matches!(self.action, Action::Pulling | Action::Pushing) {
            return None;
        }
        let (mut done, mut total) = (0u64, 0u64);
        for layer in &self.layers {
            let size = layer.total;
            let (d, t) = match layer.status {
                LayerStatus::Downloading => (layer.current.min(size), 2 * size),
                LayerStatus::VerifyingChecksum | LayerStatus::DownloadComplete => (size, 2 * size),
                LayerStatus::Extracting => (size + layer.current.min(size), 2 * size),
                LayerStatus::PullComplete => (2 * size, 2 * size),
                LayerStatus::Pushing => (layer.current.min(size), size),
                LayerStatus::Pushed => (size, size),
                LayerStatus::Waiting | LayerStatus::PullingFsLayer => (0, 2 * size),
                _ => (0, 0),
            };
            done += d;
            total += t;
        }
        (total > 0).then_some((done, total))
    }
}

/// One row of a frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub phase: Phase,
    /// `Container app-web-1`, padded to the board's label column.
    pub label: String,
    pub status: String,
    /// Bytes done and to do, for a bar.
    pub progress: Option<(u64, u64)>,
}

impl Row {
    /// The row as text: ` ✔ Container app-web-1  Started` (a working row has no mark).
    pub fn text(&self) -> String {
        let mark = mark(self.phase);
        if self.label.is_empty() {
            format!(" {mark} {}", self.status)
        } else {
            format!(" {mark} {}  {}", self.label, self.status)
        }
    }
}

/// What fits on the screen now: a header and at most `height - 2` rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// `[+] Running 3/5`.
    pub header: String,
    pub rows: Vec<Row>,
}

impl Frame {
    /// The frame as lines of text.
    pub fn lines(&self) -> Vec<String> {
        std::iter::once(self.header.clone())
            .chain(self.rows.iter().map(Row::text))
            .collect()
    }
}

/// Every resource an operation has reported, and their states.
#[derive(Clone, Debug, Default)]
pub struct Board {
    title: String,
    lines: Vec<Line>,
    index: HashMap<(Kind, String), usize>,
    clock: u64,
}

impl Board {
    /// A board headed `[+] {title} done/total`.
    pub fn new(title: &str) -> Board {
        Board {
            title: title.to_string(),
            ..Board::default()
        }
    }

    pub fn lines(&self) -> &[Line] {
        &self.lines
    }

    /// The line of a resource.
    pub fn line(&self, kind: Kind, name: &str) -> Option<&Line> {
        self.index
            .get(&(kind, name.to_string()))
            .and_then(|&i| self.lines.get(i))
    }

    /// Take an event in. Output lines change no state and are ignored.
    pub fn apply(&mut self, event: &Event) {
        if matches!(event.action, Action::Output(_)) {
            return;
        }
        self.clock += 1;
        let key = (event.kind, event.name.clone());
        let i = match self.index.get(&key) {
            Some(&i) => i,
            None => {
                let action = match &event.action {
                    // A layer before its image's first state: the image is being pulled.
                    Action::Layer(_) => Action::Pulling,
                    other => other.clone(),
                };
                self.lines.push(Line {
                    kind: event.kind,
                    name: event.name.clone(),
                    action,
                    layers: Vec::new(),
                    changed: self.clock,
                });
                self.index.insert(key, self.lines.len() - 1);
                self.lines.len() - 1
            }
        };
        let Some(line) = self.lines.get_mut(i) else {
            return;
        };
        line.changed = self.clock;
        match &event.action {
            Action::Layer(layer) => {
                match line.layers.iter_mut().find(|l| l.id == layer.id) {
                    Some(known) => {
                        known.status = layer.status.clone();
                        known.current = layer.current;
                        // Statuses without byte counts keep the size learnt before.
                        known.total = known.total.max(layer.total);
                    }
                    None => line.layers.push(layer.clone()),
                }
            }
            Action::Pulling | Action::Pushing if line.action != event.action => {
                line.action = event.action.clone();
                line.layers.clear();
            }
            other => line.action = other.clone(),
        }
    }

    /// `[+] Running 3/5`: lines no longer working, of all lines.
    fn header(&self) -> String {
        let settled = self
            .lines
            .iter()
            .filter(|l| l.phase() != Phase::Working)
            .count();
        format!("[+] {} {settled}/{}", self.title, self.lines.len())
    }

    /// Width of the label column: the widest label, at most half the screen.
    fn label_width(&self, width: usize) -> usize {
        let widest = self
            .lines
            .iter()
            .map(|l| l.label().chars().count())
            .max()
            .unwrap_or(0);
        widest.min((width / 2).max(10))
    }

    fn row(&self, line: &Line, label_width: usize) -> Row {
        Row {
            phase: line.phase(),
            label: pad(&line.label(), label_width),
            status: line.status(),
            progress: line.progress(),
        }
    }

    /// Every line, for the final print once the operation is over.
    pub fn all(&self, width: usize) -> Frame {
        let w = self.label_width(width);
        Frame {
            header: self.header(),
            rows: self.lines.iter().map(|l| self.row(l, w)).collect(),
        }
    }

    /// What fits on a screen of `height` rows: the header and the lines, keeping the last row
    /// free so that the terminal never scrolls. With more lines than that, the lines still
    /// working (and those that failed) stay, then the most recently finished ones, and the
    /// rest collapse into one summary row (`… 9 more: 7 Started, 2 Created`).
    pub fn frame(&self, height: usize, width: usize) -> Frame {
        let w = self.label_width(width);
        let max_rows = height.saturating_sub(2).max(1);
        let header = self.header();
        if self.lines.len() <= max_rows {
            return Frame {
                header,
                rows: self.lines.iter().map(|l| self.row(l, w)).collect(),
            };
        }
        // One row goes to the summary.
        let slots = max_rows.saturating_sub(1);
        let mut order: Vec<usize> = (0..self.lines.len()).collect();
        // Failed first, then working, then done; the most recent first within each.
        let rank = |l: &Line| match l.phase() {
            Phase::Failed => 0,
            Phase::Warning => 1,
            Phase::Working => 2,
            Phase::Done => 3,
        };
        order.sort_by_key(|&i| {
            let l = &self.lines[i];
            (rank(l), std::cmp::Reverse(l.changed))
        });
        let mut shown: Vec<usize> = order.iter().copied().take(slots).collect();
        shown.sort_unstable();
        let mut hidden: Vec<usize> = order.iter().copied().skip(slots).collect();
        hidden.sort_unstable();
        let hidden: Vec<&Line> = hidden.into_iter().map(|i| &self.lines[i]).collect();
        let mut counts: Vec<(String, usize)> = Vec::new();
        for line in &hidden {
            let status = line.action.to_string();
            match counts.iter_mut().find(|(s, _)| *s == status) {
                Some((_, n)) => *n += 1,
                None => counts.push((status, 1)),
            }
        }
        let detail: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
        let phase = if hidden.iter().all(|l| l.phase() == Phase::Done) {
            Phase::Done
        } else {
            Phase::Working
        };
        let summary = Row {
            phase,
            label: String::new(),
            status: format!("… {} more: {}", hidden.len(), detail.join(", ")),
            progress: None,
        };
        let rows = std::iter::once(summary)
            .chain(shown.into_iter().map(|i| self.row(&self.lines[i], w)))
            .collect();
        Frame { header, rows }
    }
}

/// `text` padded with spaces, or cut with `…`, to exactly `width` characters.
fn pad(text: &str, width: usize) -> String {
    let n = text.chars().count();
    if n <= width {
        format!("{text}{}", " ".repeat(width - n))
    } else {
        let cut: String = text.chars().take(width.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: Kind, name: &str, action: Action) -> Event {
        Event {
            kind,
            name: name.to_string(),
            action,
        }
    }

    fn board_of(n: usize, done: usize) -> Board {
        let mut board = Board::new("Running");
        for i in 1..=n {
            let name = format!("app-s{i:02}-1");
            board.apply(&event(Kind::Container, &name, Action::Creating));
        }
        for i in 1..=done {
            let name = format!("app-s{i:02}-1");
            board.apply(&event(Kind::Container, &name, Action::Started));
        }
        board
    }

    #[test]
    fn small_projects_show_every_line() {
        let board = board_of(3, 2);
        let frame = board.frame(10, 80);
        assert_eq!(
            frame.lines(),
            vec![
                "[+] Running 2/3",
                " ✔ Container app-s01-1  Started",
                " ✔ Container app-s02-1  Started",
                "   Container app-s03-1  Creating",
            ]
        );
    }

    #[test]
    fn large_projects_collapse_finished_lines_to_fit() {
        let board = board_of(15, 12);
        let frame = board.frame(10, 80);
        let lines = frame.lines();
        assert_eq!(lines.len(), 9, "{lines:#?}");
        assert_eq!(
            lines,
            vec![
                "[+] Running 12/15",
                " ✔ … 8 more: 8 Started",
                " ✔ Container app-s09-1  Started",
                " ✔ Container app-s10-1  Started",
                " ✔ Container app-s11-1  Started",
                " ✔ Container app-s12-1  Started",
                "   Container app-s13-1  Creating",
                "   Container app-s14-1  Creating",
                "   Container app-s15-1  Creating",
            ]
        );
        // Tiny screens still get a header and one row.
        assert_eq!(board.frame(1, 80).rows.len(), 1);
        // The final print has everything.
        assert_eq!(board.all(80).rows.len(), 15);
    }

    #[test]
    fn failed_lines_stay_visible() {
        let mut board = board_of(15, 15);
        board.apply(&event(
            Kind::Container,
            "app-s01-1",
            Action::Error("boom".into()),
        ));
        for i in 2..=15 {
            let name = format!("app-s{i:02}-1");
            board.apply(&event(Kind::Container, &name, Action::Healthy));
        }
        let lines = board.frame(5, 80).lines();
        assert_eq!(
            lines,
            vec![
                "[+] Running 15/15",
                " ✔ … 13 more: 13 Healthy",
                " ✘ Container app-s01-1  Error: boom",
                " ✔ Container app-s15-1  Healthy",
            ]
        );
    }

    #[test]
    fn layers_add_up_to_the_image_progress() {
        let mut board = Board::new("Pulling");
        let layer = |id: &str, status: LayerStatus, current, total| {
            Action::Layer(Layer {
                id: id.into(),
                status,
                current,
                total,
            })
        };
        board.apply(&event(Kind::Image, "busybox", Action::Pulling));
        board.apply(&event(
            Kind::Image,
            "busybox",
            layer("a", LayerStatus::Downloading, 50, 100),
        ));
        board.apply(&event(
            Kind::Image,
            "busybox",
            layer("b", LayerStatus::AlreadyExists, 0, 0),
        ));
        let line = board.line(Kind::Image, "busybox").cloned();
        let line = line.as_ref();
        assert_eq!(line.and_then(Line::progress), Some((50, 200)));
        assert_eq!(
            line.map(Line::status).as_deref(),
            Some("Pulling 1/2 layers")
        );
        board.apply(&event(
            Kind::Image,
            "busybox",
            layer("a", LayerStatus::Extracting, 25, 100),
        ));
        let progress = board.line(Kind::Image, "busybox").and_then(Line::progress);
        assert_eq!(progress, Some((125, 200)));
        board.apply(&event(Kind::Image, "busybox", Action::Pulled));
        let line = board.line(Kind::Image, "busybox");
        assert_eq!(line.and_then(Line::progress), None);
        assert_eq!(line.map(Line::status).as_deref(), Some("Pulled"));
    }
}
