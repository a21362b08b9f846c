//! The smaller everyday verbs on the real engine, each on a project of its own: `top`, `port`,
//! `images`, `stats`, `ls`, `events`, `wait`, `attach`, `scale`, `version`.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use support::{TestProject, docker, ok, test_image};

fn sleeper(p: &TestProject, image: &str, extra: &str) {
    p.write(
        "compose.yml",
        &format!(
            r#"services:
  web:
    image: {image}
    init: true
    stop_grace_period: 1s
    command: ["sleep", "3600"]
{extra}"#
        ),
    );
}

/// Start rcompose with piped stdio; its stdout lines arrive on the returned channel.
fn spawn(p: &TestProject, args: &[&str]) -> (Child, mpsc::Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rcompose"))
        .args(args)
        .current_dir(&p.dir)
        .env_remove("COMPOSE_PROJECT_NAME")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run rcompose: {e}"));
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

/// The next line for which `wanted` holds, within a generous bound.
fn line_where(rx: &mpsc::Receiver<String>, wanted: impl Fn(&str) -> bool) -> Option<String> {
    line_within(rx, Duration::from_secs(60), wanted)
}

/// The next line for which `wanted` holds, waiting at most `limit` for each line.
fn line_within(
    rx: &mpsc::Receiver<String>,
    limit: Duration,
    wanted: impl Fn(&str) -> bool,
) -> Option<String> {
    loop {
        match rx.recv_timeout(limit) {
            Ok(line) if wanted(&line) => return Some(line),
            Ok(_) => continue,
            Err(_) => return None,
        }
    }
}

#[test]
fn top_lists_processes() {
    let image = test_image();
    let p = TestProject::new("top");
    sleeper(&p, image, "");
    ok(&p.rcompose(&["-p", &p.name, "up", "-d"]), "up");
    let out = ok(&p.rcompose(&["-p", &p.name, "top"]), "top");
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some(format!("{}-web-1", p.name).as_str()));
    assert!(
        lines
            .next()
            .is_some_and(|h| h.starts_with("UID") && h.contains("CMD")),
        "{out}"
    );
    assert!(out.contains("sleep 3600"), "{out}");
}

#[test]
fn port_prints_the_published_address() {
    let image = test_image();
    let p = TestProject::new("port");
    sleeper(&p, image, "    ports: [\"127.0.0.1::8080\"]\n");
    ok(&p.rcompose(&["-p", &p.name, "up", "-d"]), "up");
    let out = ok(&p.rcompose(&["-p", &p.name, "port", "web", "8080"]), "port");
    let expected = docker(&["port", &format!("{}-web-1", p.name), "8080/tcp"]);
    assert_eq!(out.trim(), expected.lines().next().unwrap_or_default());
    assert!(out.starts_with("127.0.0.1:"), "{out}");
    let missing = p.rcompose(&["-p", &p.name, "port", "web", "9999"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no port 9999/tcp"));
}

#[test]
fn images_lists_the_containers_images() {
    let image = test_image();
    let p = TestProject::new("images");
    sleeper(&p, image, "");
    ok(&p.rcompose(&["-p", &p.name, "up", "-d"]), "up");
    let out = ok(&p.rcompose(&["-p", &p.name, "images"]), "images");
    let mut lines = out.lines();
    let header = lines.next().unwrap_or_default();
    assert!(
        header.starts_with("CONTAINER") && header.contains("IMAGE ID"),
        "{out}"
    );
    let row: Vec<&str> = lines
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let id = docker(&["image", "inspect", "--format", "{{.Id}}", image]);
    assert_eq!(
        row[..4],
        [
            format!("{}-web-1", p.name).as_str(),
            "rcompose-test/busybox",
            "latest",
            &id["sha256:".len().."sha256:".len() + 12],
        ]
    );
    let json = ok(
        &p.rcompose(&["-p", &p.name, "images", "--format", "json"]),
        "images json",
    );
    let value: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(value[0]["ID"], serde_json::Value::String(id));
}

#[test]
fn stats_once() {
    let image = test_image();
    let p = TestProject::new("stats");
    sleeper(&p, image, "");
    ok(&p.rcompose(&["-p", &p.name, "up", "-d"]), "up");
    let out = ok(
        &p.rcompose(&["-p", &p.name, "stats", "--no-stream"]),
        "stats",
    );
    let mut lines = out.lines();
    assert!(
        lines
            .next()
            .is_some_and(|h| h.starts_with("CONTAINER ID") && h.ends_with("PIDS")),
        "{out}"
    );
    let row = lines.next().unwrap_or_default();
    assert!(
        row.contains(&format!("{}-web-1", p.name)) && row.contains("iB / "),
        "{out}"
    );
    assert_eq!(lines.next(), None);
}

#[test]
fn ls_shows_the_project() {
    let image = test_image();
    let p = TestProject::new("ls");
    sleeper(&p, image, "");
    ok(&p.rcompose(&["-p", &p.name, "up", "-d"]), "up");
    let json = ok(
        &p.rcompose(&[
            "ls",
            "--format",
            "json",
            "--filter",
            &format!("name={}", p.name),
        ]),
        "ls",
    );
    let value: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(value[0]["Name"], serde_json::Value::String(p.name.clone()));
    assert_eq!(value[0]["Status"], "running(1)");
    let file = p.dir.join("compose.yml").display().to_string();
    assert_eq!(value[0]["ConfigFiles"], serde_json::Value::String(file));
    let table = ok(&p.rcompose(&["ls"]), "ls table");
    assert!(table.starts_with("NAME"), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with(&p.name) && l.contains("running(1)")),
        "{table}"
    );

    ok(&p.rcompose(&["-p", &p.name, "stop"]), "stop");
    let quiet = ok(&p.rcompose(&["ls", "-q"]), "ls -q");
    assert!(
        !quiet.lines().any(|l| l == p.name),
        "stopped projects are hidden"
    );
    let all = ok(&p.rcompose(&["ls", "-a", "-q"]), "ls -a -q");
    assert!(
        all.lines().any(|l| l == p.name),
        "ls -a shows stopped projects"
    );
}

#[test]
fn events_streams_container_events() {
    let image = test_image();
    let p = TestProject::new("events");
    sleeper(&p, image, "");
    ok(&p.rcompose(&["-p", &p.name, "up", "-d"]), "up");
    let (mut child, rx) = spawn(&p, &["-p", &p.name, "events", "--json"]);
    // Restart until the stream shows it: the subscription may not be set up yet at first.
    let mut found = None;
    for _ in 0..6 {
        ok(&p.rcompose(&["-p", &p.name, "restart"]), "restart");
        found = line_within(&rx, Duration::from_secs(10), |l| {
            l.contains("\"action\":\"start\"")
        });
        if found.is_some() {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let line = found.expect("a start event");
    let value: serde_json::Value = serde_json::from_str(&line).expect("JSON");
    assert_eq!(value["type"], "container");
    assert_eq!(value["service"], "web");
    assert_eq!(
        value["attributes"]["name"],
        serde_json::Value::String(format!("{}-web-1", p.name))
    );
}

#[test]
fn wait_returns_the_exit_code() {
    let image = test_image();
    let p = TestProject::new("wait");
    p.write(
        "compose.yml",
        &format!(
            r#"services:
  job:
    image: {image}
    command: ["sh", "-c", "while [ ! -f /tmp/go ]; do usleep 20000; done; exit 5"]
"#
        ),
    );
    ok(&p.rcompose(&["-p", &p.name, "up", "-d"]), "up");
    let (mut child, _rx) = spawn(&p, &["-p", &p.name, "wait", "job"]);
    docker(&["exec", &format!("{}-job-1", p.name), "touch", "/tmp/go"]);
    let status = child.wait().expect("wait ends");
    assert_eq!(status.code(), Some(5));
}

#[test]
fn attach_connects_to_the_main_process() {
    let image = test_image();
    let p = TestProject::new("attach");
    p.write(
        "compose.yml",
        &format!(
            r#"services:
  echo:
    image: {image}
    stdin_open: true
    command: ["sh", "-c", "while read line; do echo got $$line; [ $$line = quit ] && exit 4; done"]
"#
        ),
    );
    ok(&p.rcompose(&["-p", &p.name, "up", "-d"]), "up");
    let (mut child, rx) = spawn(&p, &["-p", &p.name, "attach", "echo"]);
    let mut stdin = child.stdin.take().expect("piped stdin");
    // The pipe keeps the line until rcompose, once attached, forwards it.
    let _ = writeln!(stdin, "hello");
    let _ = stdin.flush();
    assert_eq!(
        line_where(&rx, |l| l == "got hello").as_deref(),
        Some("got hello")
    );
    let _ = writeln!(stdin, "quit");
    let _ = stdin.flush();
    assert_eq!(
        line_where(&rx, |l| l == "got quit").as_deref(),
        Some("got quit")
    );
    let status = child.wait().expect("attach ends");
    assert_eq!(status.code(), Some(4));
}

#[test]
fn scale_changes_the_number_of_containers() {
    let image = test_image();
    let p = TestProject::new("scale");
    sleeper(&p, image, "");
    let count = |p: &TestProject| {
        docker(&["ps", "-q", "--filter", &p.label_filter()])
            .lines()
            .count()
    };
    ok(&p.rcompose(&["-p", &p.name, "scale", "web=3"]), "scale up");
    assert_eq!(count(&p), 3);
    ok(
        &p.rcompose(&["-p", &p.name, "scale", "web=1"]),
        "scale down",
    );
    assert_eq!(count(&p), 1);
    let bad = p.rcompose(&["-p", &p.name, "scale", "web"]);
    assert!(!bad.status.success());
}

#[test]
fn version_names_rcompose_and_the_engine() {
    let p = TestProject::new("version");
    let out = ok(&p.rcompose(&["version"]), "version");
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some(format!("rcompose version {}", env!("CARGO_PKG_VERSION")).as_str())
    );
    let engine = docker(&[
        "version",
        "--format",
        "{{.Server.Version}} {{.Server.APIVersion}}",
    ]);
    let (version, api) = engine.split_once(' ').unwrap_or_default();
    let second = lines.next().unwrap_or_default();
    assert!(
        second.starts_with(&format!("Docker Engine version {version} (")),
        "{second}"
    );
    assert!(second.contains(&format!("API {api}")), "{second}");
    assert_eq!(
        ok(&p.rcompose(&["version", "--short"]), "short"),
        format!("{}\n", env!("CARGO_PKG_VERSION"))
    );
    let json = ok(&p.rcompose(&["version", "--format", "json"]), "json");
    let value: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(
        value["engine"]["api_version"],
        serde_json::Value::String(api.to_string())
    );
}
