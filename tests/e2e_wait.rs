//! Ports of docker/compose `pkg/e2e/wait_test.go`.

#[path = "e2e/scenario.rs"]
mod scenario;
mod support;

use scenario::Scenario;

const WAIT: &str = r#"services:
  faster:
    image: @IMAGE@
    command: sleep 2
  slower:
    image: @IMAGE@
    command: sleep 5
  infinity:
    image: @IMAGE@
    command: sleep infinity
"#;

// Go: wait_test.go TestWaitOnFaster
#[test]
fn wait_on_faster() {
    let mut s = Scenario::new("e2e-wait-faster", &[("compose.yaml", WAIT)]);
    s.step(&["up", "-d"]);
    s.step(&["wait", "faster"])
        .service_state("faster", "exited")
        .service_state("infinity", "running");
}

// Go: wait_test.go TestWaitOnSlower
#[test]
fn wait_on_slower() {
    let mut s = Scenario::new("e2e-wait-slower", &[("compose.yaml", WAIT)]);
    s.step(&["up", "-d"]);
    s.step(&["wait", "slower"])
        .service_state("faster", "exited")
        .service_state("slower", "exited")
        .service_state("infinity", "running");
}

// Go: wait_test.go TestWaitOnInfinity
#[test]
fn wait_on_infinity() {
    let mut s = Scenario::new("e2e-wait-infinity", &[("compose.yaml", WAIT)]);
    s.step(&["up", "-d"]);
    // As in the Go test, `wait` runs without -f (project by name only).
    s.files = vec![];
    let mut wait = s.spawn(&["wait", "infinity"], &[]);
    // Observe for 7 seconds (the Go test's window) that `wait` does not return.
    let until = std::time::Instant::now() + std::time::Duration::from_secs(7);
    while std::time::Instant::now() < until {
        if let Some(status) = wait.try_status() {
            panic!("wait infinity finished ({status}):\n{}", wait.output());
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

// Go: wait_test.go TestWaitAndDrop
#[test]
fn wait_and_drop() {
    let mut s = Scenario::new("e2e-wait-drop", &[("compose.yaml", WAIT)]);
    s.step(&["up", "-d"]);
    s.step(&["wait", "--down-project", "faster"])
        .not_created("faster")
        .not_created("slower")
        .not_created("infinity");
}
