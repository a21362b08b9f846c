//! Ports of docker/compose `pkg/e2e/logs_test.go`.

#[path = "e2e/scenario.rs"]
mod scenario;
mod support;

use scenario::Scenario;

const LOGS: &str = r#"services:
  ping:
    image: @IMAGE@
    init: true
    command: ping localhost -c ${REPEAT:-1}
  hello:
    image: @IMAGE@
    command: echo hello
    deploy:
      replicas: 2
"#;

// Go: logs_test.go TestLocalComposeLogs
#[test]
fn local_compose_logs() {
    let mut s = Scenario::new("e2e-logs", &[("compose.yaml", LOGS)]);
    s.step(&["up", "-d"])
        .eventually_service_state("hello", "exited", 10);
    s.step(&["logs"])
        .output_contains("PING localhost")
        .output_contains("hello");
    s.step(&["logs", "ping"])
        .output_contains("PING localhost")
        .output_not_contains("hello");
    s.step(&["logs", "hello", "ping"])
        .output_contains("PING localhost")
        .output_contains("hello");
    s.step(&["logs", "--index", "2", "hello"])
        .output_contains("hello-2")
        .output_not_contains("hello-1");
}

// Go: logs_test.go TestLocalComposeLogsFollow
#[test]
fn local_compose_logs_follow() {
    let mut s = Scenario::new("e2e-logs-follow", &[("compose.yaml", LOGS)]);
    s.with_env("REPEAT", "20");
    s.step(&["up", "-d", "ping"]);
    // As in the Go test, `logs -f` runs without -f (project by name).
    s.files = vec![];
    let follow = s.spawn(&["logs", "-f"], &[]);
    s.files = vec!["compose.yaml".into()];
    follow.wait_for("ping-1 ", 1);
    s.step(&["up", "-d"]);
    follow.wait_for("hello-1 ", 1);
    s.step(&["up", "-d", "--scale", "ping=2", "ping"]);
    follow.wait_for("ping-2 ", 20);
}

// Go: logs_test.go TestLocalComposeLargeLogs
#[test]
fn local_compose_large_logs() {
    let mut s = Scenario::new(
        "e2e-logs-large",
        &[(
            "compose.yaml",
            "services:\n  test:\n    image: @IMAGE@\n    command: cat /text_file.txt\n    volumes:\n      - ${FILE}:/text_file.txt\n",
        )],
    );
    let mut text = String::new();
    for i in 0..300_000 {
        text.push_str(&format!("This is line {i} in a laaaarge text file\n"));
    }
    let file = s.p.write("large.txt", &text);
    s.with_env("FILE", file.to_str().expect("utf-8 path"));
    s.timeout = 180;
    s.step(&["up", "--abort-on-container-exit", "--menu=false"])
        .stdout_contains("test-1 exited with code 0");
}
