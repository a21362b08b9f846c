//! `rcompose exec` on the real engine: the command's exit code becomes rcompose's, `-e`, `-w`,
//! `-u`, `--index`, `-d`, a clear error for a stopped service, and an interactive shell with a
//! real TTY driven under tmux.

mod support;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::{TestProject, docker, ok, test_image};

fn compose(image: &str) -> String {
    format!(
        r#"services:
  web:
    image: {image}
    init: true
    stop_grace_period: 1s
    command: ["sleep", "3600"]
  worker:
    image: {image}
    init: true
    scale: 2
    stop_grace_period: 1s
    command: ["sleep", "3600"]
  job:
    image: {image}
    command: ["true"]
"#
    )
}

#[test]
fn exec_passes_the_exit_code_and_options() {
    let image = test_image();
    let p = TestProject::new("exec");
    p.write("compose.yml", &compose(image));
    let name = p.name.as_str();
    ok(
        &p.rcompose(&["-p", name, "up", "-d", "web", "worker"]),
        "up",
    );

    let out = p.rcompose(&["-p", name, "exec", "web", "sh", "-c", "exit 7"]);
    assert_eq!(out.status.code(), Some(7), "{out:?}");

    let out = ok(
        &p.rcompose(&[
            "-p",
            name,
            "exec",
            "-e",
            "GREETING=hi",
            "-w",
            "/tmp",
            "-u",
            "nobody",
            "web",
            "sh",
            "-c",
            "echo $GREETING $(pwd) $(id -u)",
        ]),
        "exec with options",
    );
    assert_eq!(out, "hi /tmp 65534\n");

    // Without a terminal on stdin there is no TTY; -T says so explicitly.
    let out = ok(
        &p.rcompose(&[
            "-p",
            name,
            "exec",
            "-T",
            "web",
            "sh",
            "-c",
            "test -t 0 || echo no-tty",
        ]),
        "exec -T",
    );
    assert_eq!(out, "no-tty\n");

    // Arguments after the service belong to the command, even when they look like options.
    let out = ok(
        &p.rcompose(&["-p", name, "exec", "web", "echo", "-f", "-p", "--index"]),
        "exec with dashes",
    );
    assert_eq!(out, "-f -p --index\n");

    let host = ok(
        &p.rcompose(&["-p", name, "exec", "--index", "2", "worker", "hostname"]),
        "exec --index 2",
    );
    let id2 = docker(&[
        "inspect",
        "--format",
        "{{.Config.Hostname}}",
        &format!("{name}-worker-2"),
    ]);
    assert_eq!(host.trim(), id2);

    // A detached command runs in the background: it writes to the container's own output,
    // which `logs -f` shows when it happens.
    ok(
        &p.rcompose(&[
            "-p",
            name,
            "exec",
            "-d",
            "web",
            "sh",
            "-c",
            "echo detached-ran > /proc/1/fd/1",
        ]),
        "exec -d",
    );
    let mut follower = Command::new(env!("CARGO_BIN_EXE_rcompose"))
        .args(["-p", name, "logs", "-f", "--no-log-prefix", "web"])
        .current_dir(&p.dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("logs -f starts");
    let stdout = follower.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let seen = loop {
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(line) if line == "detached-ran" => break true,
            Ok(_) => continue,
            Err(_) => break false,
        }
    };
    let _ = follower.kill();
    let _ = follower.wait();
    assert!(seen, "the detached command did not run");

    let out = p.rcompose(&["-p", name, "exec", "job", "true"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("service \"job\" is not running"), "{err}");
}

/// A tmux server of our own (its own socket), killed on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run tmux: {e}"))
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "rc"]).stdout).to_string()
    }

    /// Wait (bounded) until the screen shows a line for which `found` holds.
    fn wait_for(&self, what: &str, found: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let screen = self.screen();
            if screen.lines().any(&found) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

#[test]
fn exec_gives_an_interactive_shell_a_real_tty() {
    let has_tmux = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        has_tmux,
        "tmux is needed (apt-get install tmux; .ci/run installs it)"
    );
    let image = test_image();
    let p = TestProject::new("exec-tty");
    p.write("compose.yml", &compose(image));
    ok(&p.rcompose(&["-p", &p.name, "up", "-d", "web"]), "up");

    let tmux = Tmux {
        socket: format!("rcompose-test-{}", p.name),
    };
    let binary = env!("CARGO_BIN_EXE_rcompose");
    let command = format!(
        "cd {} && {binary} -p {} exec web sh; echo rcompose-exited-$?; sleep 3600",
        shell_quote(&p.dir),
        p.name
    );
    let out = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "rc",
        "-x",
        "100",
        "-y",
        "30",
        &command,
    ]);
    assert!(out.status.success(), "tmux new-session: {out:?}");

    // busybox sh shows `/ # ` as the prompt of root.
    tmux.wait_for("the shell prompt", |l| l.trim_end().ends_with('#'));
    tmux.run(&["send-keys", "-t", "rc", "echo $((6*7))", "Enter"]);
    tmux.wait_for("42", |l| l.trim() == "42");
    tmux.run(&[
        "send-keys",
        "-t",
        "rc",
        "test -t 0 && echo is-a-tty",
        "Enter",
    ]);
    tmux.wait_for("the TTY check", |l| l.trim() == "is-a-tty");
    tmux.run(&["send-keys", "-t", "rc", "exit 3", "Enter"]);
    let screen = tmux.wait_for("rcompose to exit", |l| l.starts_with("rcompose-exited-"));
    assert!(screen.contains("rcompose-exited-3"), "{screen}");
}

fn shell_quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', "'\\''"))
}
