//! Ports of docker/compose `pkg/e2e/pause_test.go`.

#[path = "e2e/scenario.rs"]
mod scenario;
mod support;

use scenario::Scenario;

const AB: &str = r#"services:
  a:
    image: @IMAGE@
    init: true
    command: sleep infinity
  b:
    image: @IMAGE@
    init: true
    command: sleep infinity
"#;

const A: &str = r#"services:
  a:
    image: @IMAGE@
    init: true
    command: sleep infinity
"#;

// Go: pause_test.go TestPause
#[test]
fn pause() {
    let mut s = Scenario::new("e2e-pause", &[("compose.yaml", AB)]);
    s.step(&["up", "-d"])
        .service_state("a", "running")
        .service_state("b", "running");
    s.step(&["pause", "a"])
        .service_state("a", "paused")
        .service_state("b", "running");
    s.step(&["unpause", "a"])
        .service_state("a", "running")
        .service_state("b", "running")
        .not_recreated(&["a", "b"]);
}

// Go: pause_test.go TestPauseServiceNotRunning
#[test]
fn pause_service_not_running() {
    let mut s = Scenario::new("e2e-pause-not-running", &[("compose.yaml", AB)]);
    s.step(&["pause", "a"]);
}

// Go: pause_test.go TestPauseServiceAlreadyPaused
#[test]
fn pause_service_already_paused() {
    let mut s = Scenario::new("e2e-pause-already", &[("compose.yaml", A)]);
    s.step(&["up", "-d"]).service_state("a", "running");
    s.step(&["pause", "a"]).service_state("a", "paused");
    s.step_may_fail(&["pause", "a"])
        .exit_code(1)
        .output_contains("already paused");
}

// Go: pause_test.go TestPauseServiceDoesNotExist
#[test]
fn pause_service_does_not_exist() {
    let mut s = Scenario::new("e2e-pause-unknown", &[("compose.yaml", AB)]);
    s.step_may_fail(&["pause", "does_not_exist"])
        .exit_code(1)
        .output_contains("no such service: does_not_exist");
}
