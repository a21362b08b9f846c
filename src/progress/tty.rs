//! The tty renderer: a live view drawn with indicatif, one line per resource (a spinner while
//! it works, a progress bar while an image's layers move), never taller than the terminal
//! (see [`Board::frame`]). Build output scrolls above the view. When the operation is over the
//! view is replaced by the final state of every resource, printed once; events after that
//! start a new view (`up` stopping its containers after following their logs).

use std::sync::Mutex;
use std::time::Duration;

use console::{Term, style};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::board::{Board, Frame, Row};
use super::{Action, Event, Kind, Phase, Renderer, mark};

/// How often spinners turn.
const TICK: Duration = Duration::from_millis(120);
/// Redraws per second at most.
const REFRESH_HZ: u8 = 15;
/// Room a progress bar and its percentage take on a line.
const BAR_COLUMNS: usize = 28;

/// The terminal's size as (rows, columns).
pub type SizeFn = Box<dyn Fn() -> (usize, usize) + Send + Sync>;

/// The live view.
pub struct TtyRenderer {
    title: String,
    state: Mutex<State>,
    size: SizeFn,
    /// Spinners turn on their own (off under test, so that frames are reproducible).
    animate: bool,
}

struct State {
    board: Board,
    multi: MultiProgress,
    /// The header, then one bar per row of the frame on screen.
    bars: Vec<Bar>,
}

struct Bar {
    bar: ProgressBar,
    ticking: bool,
}

impl TtyRenderer {
    /// The view on standard error, sized to the terminal at every redraw.
    pub fn stderr(title: &str) -> TtyRenderer {
        let target = ProgressDrawTarget::term(Term::stderr(), REFRESH_HZ);
        let size: SizeFn = Box::new(|| {
            let (rows, cols) = Term::stderr().size();
            (usize::from(rows), usize::from(cols))
        });
        TtyRenderer::new(title, target, size, true)
    }

    /// A view drawn to `target`, a terminal of the size `size` reports.
    pub fn new(title: &str, target: ProgressDrawTarget, size: SizeFn, animate: bool) -> Self {
        TtyRenderer {
            title: title.to_string(),
            state: Mutex::new(State {
                board: Board::new(title),
                multi: MultiProgress::with_draw_target(target),
                bars: Vec::new(),
            }),
            size,
            animate,
        }
    }

    /// The board as it stands (tests look at it).
    pub fn board(&self) -> Board {
        self.state
            .lock()
            .map(|s| s.board.clone())
            .unwrap_or_default()
    }

    /// Position and length of the bar of each row on screen, for rows that have one.
    pub fn bar_states(&self) -> Vec<(String, u64, u64)> {
        let Ok(state) = self.state.lock() else {
            return Vec::new();
        };
        state
            .bars
            .iter()
            .filter_map(|b| {
                let len = b.bar.length()?;
                (len > 0).then(|| (b.bar.message(), b.bar.position(), len))
            })
            .collect()
    }
}

fn style_of(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
        .progress_chars("=> ")
        .tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ ")
}

/// `text` cut to `width` columns.
fn fit(text: &str, width: usize) -> String {
    console::truncate_str(text, width, "…").into_owned()
}

/// The coloured line of a settled row (the text of [`Row::text`], with colours).
fn settled_line(row: &Row) -> String {
    let mark = match row.phase {
        Phase::Done => style(mark(row.phase)).green().to_string(),
        Phase::Warning => style(mark(row.phase)).yellow().to_string(),
        Phase::Failed => style(mark(row.phase)).red().to_string(),
        Phase::Working => mark(row.phase).to_string(),
    };
    let status = match row.phase {
        Phase::Failed => style(&row.status).red().to_string(),
        Phase::Warning => style(&row.status).yellow().to_string(),
        _ => row.status.clone(),
    };
    if row.label.is_empty() {
        format!("{mark} {status}")
    } else {
        format!("{mark} {}  {status}", row.label)
    }
}

impl State {
    /// Make the bars on screen show `frame`.
    fn show(&mut self, frame: &Frame, width: usize, animate: bool) {
        let wanted = 1 + frame.rows.len();
        while self.bars.len() < wanted {
            let bar = self.multi.add(ProgressBar::new(0));
            self.bars.push(Bar {
                bar,
                ticking: false,
            });
        }
        while self.bars.len() > wanted {
            if let Some(extra) = self.bars.pop() {
                extra.bar.finish_and_clear();
                self.multi.remove(&extra.bar);
            }
        }
        // Leave the last column free: a full line would wrap on some terminals.
        let width = width.saturating_sub(1).max(10);
        for (row, slot) in frame.rows.iter().zip(self.bars.iter_mut().skip(1)) {
            let bar = &slot.bar;
            let working = row.phase == Phase::Working;
            match (working, row.progress) {
                (true, Some((done, total))) => {
                    bar.set_style(style_of(
                        " {spinner:.cyan} {msg} [{bar:20.cyan/blue}] {percent:>3}%",
                    ));
                    let text = format!("{}  {}", row.label, row.status);
                    bar.set_message(fit(&text, width.saturating_sub(3 + BAR_COLUMNS)));
                    bar.set_length(total);
                    bar.set_position(done);
                }
                (true, None) => {
                    bar.set_style(style_of(" {spinner:.cyan} {msg}"));
                    let text = format!("{}  {}", row.label, row.status);
                    bar.set_message(fit(&text, width.saturating_sub(3)));
                    bar.set_length(0);
                    bar.set_position(0);
                }
                (false, _) => {
                    bar.set_style(style_of(" {msg}"));
                    bar.set_message(fit(&settled_line(row), width.saturating_sub(1)));
                    bar.set_length(0);
                    bar.set_position(0);
                }
            }
            if animate && working && !slot.ticking {
                bar.enable_steady_tick(TICK);
                slot.ticking = true;
            } else if (!animate || !working) && slot.ticking {
                bar.disable_steady_tick();
                slot.ticking = false;
            }
        }
        // The header last: a redraw between the two never counts a line as done before the
        // line itself says so.
        if let Some(header) = self.bars.first_mut() {
            header.bar.set_style(style_of("{msg}"));
            header.bar.set_message(fit(&frame.header, width));
        }
    }
}

impl Renderer for TtyRenderer {
    fn render(&self, event: &Event) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        if let Action::Output(line) = &event.action {
            let _ = state.multi.println(format!("[{}] {line}", event.name));
            return;
        }
        // A warning about the project as a whole is a line above the view, as compose logs it.
        if let (Kind::Project, Action::Warning(text)) = (event.kind, &event.action) {
            let _ = state.multi.println(format!("WARN {text}"));
            return;
        }
        state.board.apply(event);
        let (height, width) = (self.size)();
        let frame = state.board.frame(height, width);
        state.show(&frame, width, self.animate);
    }

    fn finish(&self) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        for slot in std::mem::take(&mut state.bars) {
            slot.bar.disable_steady_tick();
            slot.bar.finish_and_clear();
            state.multi.remove(&slot.bar);
        }
        let _ = state.multi.clear();
        if state.board.lines().is_empty() {
            return;
        }
        let (_, width) = (self.size)();
        let width = width.saturating_sub(1).max(10);
        let board = std::mem::replace(&mut state.board, Board::new(&self.title));
        let frame = board.all(width);
        let mut lines = vec![fit(&frame.header, width)];
        lines.extend(
            frame
                .rows
                .iter()
                .map(|row| fit(&format!(" {}", settled_line(row)), width)),
        );
        let _ = state.multi.println(lines.join("\n"));
    }
}

impl Drop for TtyRenderer {
    /// A view still live when the operation ends early is settled all the same.
    fn drop(&mut self) {
        self.finish();
    }
}
