//! The tty progress view in a real terminal: `rcompose up -d` runs in a tmux pane of 80x10,
//! the test waits for it on a tmux channel, then reads the screen (and its history) with
//! capture-pane. Needs tmux (apt-get install tmux).

mod support;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::{TestProject, test_image};

/// How long `up` may take in the pane.
const UP_TIMEOUT: Duration = Duration::from_secs(180);

/// A private tmux server, killed on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn new(name: &str) -> Tmux {
        let found = Command::new("tmux").arg("-V").output();
        if !found.is_ok_and(|o| o.status.success()) {
            panic!("tmux is required for this test (apt-get install tmux)");
        }
        Tmux {
            socket: format!("rcompose-test-{name}-{}", std::process::id()),
        }
    }

    fn command(&self) -> Command {
        let mut command = Command::new("tmux");
        command.args(["-L", &self.socket, "-f", "/dev/null"]);
        command.stdin(Stdio::null());
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        let out = self
            .command()
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run tmux {args:?}: {e}"));
        assert!(
            out.status.success(),
            "tmux {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Run `rcompose args` in `dir` in a new detached pane of `cols` x `rows`. The pane writes
    /// the exit code to `dir/exit-code`, signals the channel `done`, and stays open.
    fn start(&self, dir: &Path, rows: u16, cols: u16, args: &str) {
        let script = format!(
            "cd '{}' && '{}' {args}; echo $? > exit-code; tmux -L '{}' wait-for -S done; exec sleep 600",
            dir.display(),
            env!("CARGO_BIN_EXE_rcompose"),
            self.socket
        );
        let (cols, rows) = (cols.to_string(), rows.to_string());
        self.run(&[
            "new-session",
            "-d",
            "-s",
            "main",
            "-x",
            &cols,
            "-y",
            &rows,
            &script,
        ]);
    }

    /// Wait until the pane signals `done` (a signal sent before the wait counts).
    fn wait_done(&self, timeout: Duration) {
        let mut waiter = self
            .command()
            .args(["wait-for", "done"])
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run tmux wait-for: {e}"));
        let start = Instant::now();
        loop {
            match waiter.try_wait() {
                Ok(Some(_)) => return,
                Ok(None) if start.elapsed() < timeout => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                _ => {
                    let _ = waiter.kill();
                    let screen = self.capture(false);
                    panic!("the command did not finish within {timeout:?}; screen:\n{screen}");
                }
            }
        }
    }

    /// The pane's text: the screen, or with `history` everything that scrolled off too.
    fn capture(&self, history: bool) -> String {
        let mut args = vec!["capture-pane", "-p", "-t", "main"];
        if history {
            args.extend(["-S", "-"]);
        }
        String::from_utf8_lossy(&self.run(&args).stdout).into_owned()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.command().arg("kill-server").output();
    }
}

fn exit_code(p: &TestProject) -> String {
    std::fs::read_to_string(p.dir.join("exit-code"))
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn line_of<'a>(screen: &'a str, needle: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} on the screen:\n{screen}"))
}

#[test]
fn up_shows_live_lines_that_end_started_and_healthy() {
    let image = test_image();
    let p = TestProject::new("tty-up");
    p.write(
        "compose.yml",
        &format!(
            r#"services:
  db:
    image: {image}
    command: ["sh", "-c", "sleep 1; touch /tmp/ready; exec sleep 3600"]
    init: true
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 1s
      retries: 30
  api:
    image: {image}
    command: ["sleep", "3600"]
    init: true
    depends_on:
      db: {{condition: service_healthy}}
  web:
    image: {image}
    command: ["sleep", "3600"]
    init: true
    depends_on: [api]
  worker:
    image: {image}
    command: ["sleep", "3600"]
    init: true
"#
        ),
    );
    let tmux = Tmux::new("up");
    tmux.start(&p.dir, 10, 80, &format!("-p {} up -d", p.name));
    tmux.wait_done(UP_TIMEOUT);
    let screen = tmux.capture(false);
    assert_eq!(exit_code(&p), "0", "{screen}");
    let name = &p.name;
    assert!(line_of(&screen, "[+] Running").ends_with("5/5"), "{screen}");
    assert!(line_of(&screen, &format!("Network {name}_default")).ends_with("Created"));
    let db = line_of(&screen, &format!("Container {name}-db-1"));
    assert!(db.starts_with(" ✔ ") && db.ends_with("Healthy"), "{screen}");
    for service in ["api", "web", "worker"] {
        let line = line_of(&screen, &format!("Container {name}-{service}-1"));
        assert!(
            line.starts_with(" ✔ ") && line.ends_with("Started"),
            "{screen}"
        );
    }
    assert!(screen.lines().count() <= 10, "{screen}");
    if let Some(path) = std::env::var_os("RCOMPOSE_SAVE_TTY_SCREEN") {
        let trimmed: Vec<&str> = screen.lines().map(str::trim_end).collect();
        let text = trimmed.join("\n").trim_end().to_string() + "\n";
        std::fs::write(path, text).expect("write the captured screen");
    }
}

#[test]
fn a_project_taller_than_the_terminal_never_scrolls_the_live_view() {
    let image = test_image();
    let p = TestProject::new("tty-tall");
    let mut compose = String::from("services:\n");
    for i in 1..=15 {
        compose.push_str(&format!(
            "  s{i:02}:\n    image: {image}\n    command: [\"sleep\", \"3600\"]\n    init: true\n"
        ));
    }
    p.write("compose.yml", &compose);
    let tmux = Tmux::new("tall");
    tmux.start(&p.dir, 10, 80, &format!("-p {} up -d", p.name));
    // Watch the live view while it lasts: whenever its header is on screen it is the first
    // line and the view leaves the last row free; finished lines collapse into a summary.
    let mut collapsed = false;
    let start = Instant::now();
    while !p.dir.join("exit-code").exists() && start.elapsed() < UP_TIMEOUT {
        let screen = tmux.capture(false);
        let lines: Vec<&str> = screen.lines().filter(|l| !l.trim().is_empty()).collect();
        if lines.iter().any(|l| l.starts_with("[+] Running")) {
            assert!(lines[0].starts_with("[+] Running"), "{screen}");
            assert!(lines.len() <= 9, "{} lines:\n{screen}", lines.len());
            collapsed |= lines
                .iter()
                .any(|l| l.contains(" … ") && l.contains(" more: "));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    tmux.wait_done(UP_TIMEOUT);
    assert!(
        collapsed,
        "no screen showed finished lines collapsed into a summary"
    );
    let history = tmux.capture(true);
    assert_eq!(exit_code(&p), "0", "{history}");
    // Had the live view been taller than the pane, its redraws would have left copies of
    // lines in the history. Every resource appears once: in the final state.
    for i in 1..=15 {
        let needle = format!("Container {}-s{i:02}-1 ", p.name);
        let lines: Vec<&str> = history.lines().filter(|l| l.contains(&needle)).collect();
        assert_eq!(lines.len(), 1, "{needle}:\n{history}");
        assert!(lines[0].ends_with("Started"), "{history}");
    }
    let headers = history
        .lines()
        .filter(|l| l.starts_with("[+] Running"))
        .count();
    assert_eq!(headers, 1, "{history}");
    assert!(
        !history.contains("… "),
        "the summary line is gone:\n{history}"
    );
}
