//! Ctrl-C during `up`, on the real engine: while attached to the output, and while waiting for
//! a dependency to turn healthy. The interrupt is sent when the output shows that state; the
//! next `up` must converge from what is left, with exactly one container per replica. Also the
//! leftovers of a recreate interrupted half-way.

mod support;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use support::{TestProject, docker, test_image};

/// How long to wait for an expected line or for the process to end.
const PATIENCE: Duration = Duration::from_secs(60);

/// A running rcompose whose output lines (stdout and stderr) arrive on a channel.
struct Running {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Running {
    fn start(p: &TestProject, args: &[&str]) -> Running {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rcompose"))
            .args(args)
            .current_dir(&p.dir)
            .env_remove("COMPOSE_PROJECT_NAME")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run rcompose");
        let (tx, lines) = mpsc::channel();
        let out: Box<dyn Read + Send> = Box::new(child.stdout.take().expect("stdout"));
        let err: Box<dyn Read + Send> = Box::new(child.stderr.take().expect("stderr"));
        for pipe in [out, err] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines() {
                    let Ok(line) = line else { break };
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        Running {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Read lines until one satisfies `wanted`, for at most [`PATIENCE`].
    fn wait_for(&mut self, what: &str, wanted: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let found = wanted(&line);
                    self.seen.push(line);
                    if found {
                        return;
                    }
                }
                Err(_) => {
                    let _ = self.child.kill();
                    panic!("no {what} within {PATIENCE:?}:\n{}", self.seen.join("\n"));
                }
            }
        }
    }

    fn interrupt(&self) {
        let pid = i32::try_from(self.child.id()).expect("pid");
        // SAFETY: sending a signal to our own child process.
        let sent = unsafe { libc::kill(pid, libc::SIGINT) };
        assert_eq!(sent, 0, "kill -INT {pid}");
    }

    /// Wait for the process to end (at most [`PATIENCE`]); its exit code and every line.
    fn finish(mut self) -> (Option<i32>, String) {
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("rcompose did not end:\n{}", self.seen.join("\n"));
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        // The pipes close with the process: collect what is left.
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(line);
        }
        (status.code(), self.seen.join("\n"))
    }
}

fn ok(out: &std::process::Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Names and states of the project's containers, sorted.
#[test]
fn ctrl_c_while_waiting_for_health_leaves_a_state_the_next_up_finishes() {
    interrupt_while_waiting_for_health(true);
}

#[test]
fn ctrl_c_while_attached_and_waiting_for_health_leaves_a_state_the_next_up_finishes() {
    interrupt_while_waiting_for_health(false);
}

fn interrupt_while_waiting_for_health(detach: bool) {
    let image = test_image();
    let p = TestProject::new(if detach {
        "int-health"
    } else {
        "int-health-attached"
    });
    p.write(
        "compose.yml",
        &format!(
            r#"services:
  db:
    image: {image}
    command: ["sh", "-c", "sleep 8; touch /tmp/ready; exec sleep 600"]
    init: true
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 1s
      retries: 100
  app:
    image: {image}
    command: ["sleep", "600"]
    init: true
    scale: 2
    depends_on:
      db: {{condition: service_healthy}}
"#
        ),
    );
    let name = p.name.clone();
    let args: &[&str] = if detach {
        &["-p", &name, "up", "-d"]
    } else {
        &["-p", &name, "up"]
    };
    let mut up = Running::start(&p, args);
    up.wait_for("the wait for db", |l| {
        l.contains(&format!("{name}-db-1")) && l.contains("Waiting")
    });
    up.interrupt();
    let (code, output) = up.finish();
    assert_eq!(code, Some(130), "{output}");
    assert!(output.contains("interrupted"), "{output}");
    // Detached, what was started keeps running; attached, it is stopped as after attaching.
    // The dependents were created ahead and never started.
    let db = if detach { "running" } else { "exited" };
    assert_eq!(
        p.states(),
        [
            format!("{name}-app-1 created"),
            format!("{name}-app-2 created"),
            format!("{name}-db-1 {db}")
        ],
        "{output}"
    );

    ok(&p.rcompose(&["-p", &name, "up", "-d", "--wait"]), "next up");
    assert_eq!(
        p.states(),
        [
            format!("{name}-app-1 running"),
            format!("{name}-app-2 running"),
            format!("{name}-db-1 running"),
        ]
    );
}

#[test]
fn ctrl_c_while_attached_stops_and_the_next_up_restarts_the_same_containers() {
    let image = test_image();
    let p = TestProject::new("int-attached");
    p.write(
        "compose.yml",
        &format!(
            r#"services:
  web:
    image: {image}
    command: ["sh", "-c", "echo web is up; exec sleep 600"]
    init: true
    scale: 2
    stop_grace_period: 2s
"#
        ),
    );
    let name = p.name.clone();
    let mut up = Running::start(&p, &["-p", &name, "up"]);
    up.wait_for("output of both replicas", |l| l.contains("web is up"));
    up.wait_for("output of both replicas", |l| l.contains("web is up"));
    up.interrupt();
    let (code, output) = up.finish();
    assert_eq!(code, Some(130), "{output}");
    assert!(output.contains("Gracefully stopping"), "{output}");
    let stopped = p.states();
    assert_eq!(
        stopped,
        [
            format!("{name}-web-1 exited"),
            format!("{name}-web-2 exited")
        ],
        "{output}"
    );
    let ids_before = p.ids("container");

    ok(&p.rcompose(&["-p", &name, "up", "-d"]), "next up");
    assert_eq!(
        p.states(),
        [
            format!("{name}-web-1 running"),
            format!("{name}-web-2 running")
        ]
    );
    let mut ids_after = p.ids("container");
    let mut ids_before = ids_before;
    ids_after.sort();
    ids_before.sort();
    assert_eq!(
        ids_after, ids_before,
        "the same containers are started again"
    );
}

#[test]
fn a_recreate_interrupted_half_way_converges_on_the_next_up() {
    let image = test_image();
    let p = TestProject::new("int-recreate");
    let compose = |greeting: &str| {
        format!(
            "services:\n  web:\n    image: {image}\n    command: [\"sleep\", \"600\"]\n    init: true\n    environment:\n      GREETING: {greeting}\n"
        )
    };
    p.write("compose.yml", &compose("one"));
    let name = p.name.clone();
    ok(&p.rcompose(&["-p", &name, "up", "-d"]), "up");
    let web = format!("{name}-web-1");
    let id = docker(&["inspect", "-f", "{{.Id}}", &web]);

    // What an interrupt right after creating the replacement leaves: the replacement, under
    // its temporary name and with the same labels, beside the original.
    let temporary = format!("{}_{web}", &id[..12]);
    let labels = docker(&[
        "inspect",
        "-f",
        "{{range $k, $v := .Config.Labels}}{{$k}}={{$v}}\n{{end}}",
        &web,
    ]);
    let mut args = vec![
        "create".to_string(),
        "--name".to_string(),
        temporary.clone(),
    ];
    for label in labels.lines().filter(|l| !l.is_empty()) {
        args.push("--label".to_string());
        args.push(label.to_string());
    }
    args.extend([image.to_string(), "sleep".to_string(), "600".to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    docker(&args);
    assert_eq!(p.ids("container").len(), 2);

    ok(
        &p.rcompose(&["-p", &name, "up", "-d"]),
        "up after the interrupt",
    );
    assert_eq!(p.states(), [format!("{web} running")]);
    assert_eq!(
        docker(&["inspect", "-f", "{{.Id}}", &web]),
        id,
        "the original stays"
    );

    // What an interrupt after removing the original leaves: the replacement alone.
    docker(&["rm", "-f", &web]);
    docker(&args);
    ok(
        &p.rcompose(&["-p", &name, "up", "-d"]),
        "up after the interrupt",
    );
    assert_eq!(p.states(), [format!("{web} running")]);
}
