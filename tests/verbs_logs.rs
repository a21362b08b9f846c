//! `rcompose logs` on the real engine: following a stack whose services keep writing numbered
//! lines shows every line once and in order per service, including a service started while
//! following; stopped containers' logs, `--tail`, `--no-log-prefix`, `--index`, `-t`.

mod support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use support::{TestProject, ok, test_image};

/// Lines each service writes.
const LINES: u32 = 50;

fn compose(image: &str) -> String {
    let service = |name: &str| {
        format!(
            r#"  {name}:
    image: {image}
    init: true
    stop_grace_period: 1s
    command: ["sh", "-c", "i=1; while [ $$i -le {LINES} ]; do echo {name} $$i; i=$$((i+1)); usleep 20000; done; exec sleep 3600"]
"#
        )
    };
    format!(
        "services:\n{}{}{}",
        service("alpha"),
        service("beta"),
        service("late")
    )
}

/// `alpha-1 | alpha 7` → ("alpha", 7), checking that the prefix names the service's replica.
fn parse(line: &str) -> Option<(String, u32)> {
    let (prefix, text) = line.split_once(" | ")?;
    let (service, n) = text.split_once(' ')?;
    assert_eq!(
        prefix.trim_end(),
        format!("{service}-1"),
        "prefix of {line:?}"
    );
    Some((service.to_string(), n.parse().ok()?))
}

#[test]
fn follow_shows_every_line_once_in_order_and_picks_up_new_containers() {
    let image = test_image();
    let p = TestProject::new("logs-follow");
    p.write("compose.yml", &compose(image));
    ok(
        &p.rcompose(&["-p", &p.name, "up", "-d", "alpha", "beta"]),
        "up",
    );

    let mut child = Command::new(env!("CARGO_BIN_EXE_rcompose"))
        .args(["-p", &p.name, "logs", "-f", "--no-color"])
        .current_dir(&p.dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("rcompose logs -f starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });

    let mut seen: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let mut started_late = false;
    let deadline = Instant::now() + Duration::from_secs(120);
    let total = |seen: &BTreeMap<String, Vec<u32>>| seen.values().map(Vec::len).sum::<usize>();
    while total(&seen) < 3 * LINES as usize {
        let left = deadline.saturating_duration_since(Instant::now());
        let Ok(line) = rx.recv_timeout(left) else {
            let _ = child.kill();
            panic!("timed out waiting for log lines; got {seen:?}");
        };
        let Some((service, n)) = parse(&line) else {
            panic!("unexpected line {line:?}");
        };
        seen.entry(service).or_default().push(n);
        // `logs -f` is running (it printed): now start a service it must pick up.
        if !started_late {
            started_late = true;
            ok(&p.rcompose(&["-p", &p.name, "up", "-d", "late"]), "up late");
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = reader.join();
    // Anything printed after the expected count would be a duplicate.
    let extra: Vec<String> = rx.try_iter().collect();
    assert!(extra.is_empty(), "extra lines: {extra:?}");

    let expected: Vec<u32> = (1..=LINES).collect();
    for service in ["alpha", "beta", "late"] {
        assert_eq!(
            seen.get(service),
            Some(&expected),
            "{service}: every line once, in order"
        );
    }
}

#[test]
fn logs_of_stopped_containers_with_options() {
    let image = test_image();
    let p = TestProject::new("logs-stopped");
    p.write(
        "compose.yml",
        &format!(
            r#"services:
  web:
    image: {image}
    command: ["sh", "-c", "echo one; echo two; echo three"]
  worker:
    image: {image}
    scale: 2
    command: ["sh", "-c", "echo working >&2"]
"#
        ),
    );
    ok(&p.rcompose(&["-p", &p.name, "up", "-d"]), "up");
    // Wait for the one-shot containers to finish (stderr is shown too).
    ok(&p.rcompose(&["-p", &p.name, "wait", "web"]), "wait");
    for n in ["1", "2"] {
        support::docker(&["wait", &format!("{}-worker-{n}", p.name)]);
    }

    let out = ok(&p.rcompose(&["-p", &p.name, "logs", "web"]), "logs web");
    // The prefix is padded one space past the name, as docker compose pads it.
    assert_eq!(out, "web-1  | one\nweb-1  | two\nweb-1  | three\n");

    let out = ok(
        &p.rcompose(&[
            "-p",
            &p.name,
            "logs",
            "--tail",
            "1",
            "--no-log-prefix",
            "web",
        ]),
        "logs --tail 1",
    );
    assert_eq!(out, "three\n");

    let out = ok(
        &p.rcompose(&["-p", &p.name, "logs", "--index", "2", "worker"]),
        "logs --index 2",
    );
    assert_eq!(out, "worker-2  | working\n");

    let out = ok(
        &p.rcompose(&["-p", &p.name, "logs", "worker"]),
        "logs worker",
    );
    let out = support::squeeze_prefixes(&out);
    let mut lines: Vec<&str> = out.lines().collect();
    lines.sort();
    assert_eq!(lines, ["worker-1 | working", "worker-2 | working"]);

    let out = ok(
        &p.rcompose(&[
            "-p",
            &p.name,
            "logs",
            "-t",
            "--no-log-prefix",
            "--tail",
            "1",
            "web",
        ]),
        "logs -t",
    );
    let (ts, text) = out.trim_end().split_once(' ').expect("timestamp and text");
    assert!(ts.contains('T') && ts.ends_with('Z'), "{ts}");
    assert_eq!(text, "three");

    let err = p.rcompose(&["-p", &p.name, "logs", "--since", "yesterday"]);
    assert!(!err.status.success());
    assert!(String::from_utf8_lossy(&err.stderr).contains("--since"));
}
