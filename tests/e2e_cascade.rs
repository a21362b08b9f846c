//! Ports of docker/compose `pkg/e2e/cascade_test.go`.

#[path = "e2e/scenario.rs"]
mod scenario;
mod support;

use scenario::Scenario;

const CASCADE: &str = r#"services:
  running:
    image: @IMAGE@
    command: sleep infinity
    init: true

  exit:
    image: @IMAGE@
    command: /bin/true
    depends_on:
      running:
        condition: service_started

  fail:
    image: @IMAGE@
    command: sh -c "return 111"
    depends_on:
      exit:
        condition: service_completed_successfully
"#;

// Go: cascade_test.go TestCascadeStop
#[test]
fn cascade_stop() {
    let mut s = Scenario::new("e2e-cascade-stop", &[("compose.yaml", CASCADE)]);
    s.timeout = 60;
    s.step(&["up", "--abort-on-container-exit"])
        .output_contains("exit-1 exited with code 0")
        .service_state("running", "exited");
}

// Go: cascade_test.go TestCascadeFail
#[test]
fn cascade_fail() {
    let mut s = Scenario::new("e2e-cascade-fail", &[("compose.yaml", CASCADE)]);
    s.timeout = 60;
    s.step_may_fail(&["up", "--abort-on-container-failure"])
        .exit_code(111)
        .output_contains("exit-1 exited with code 0")
        .output_contains("fail-1 exited with code 111")
        .service_state("running", "exited");
}

// Go: cascade_test.go TestCascadeIgnoresOneOffContainer
#[test]
fn cascade_ignores_one_off_container() {
    let mut s = Scenario::new("e2e-cascade-oneoff", &[("compose.yaml", CASCADE)]);
    let up = s.spawn(
        &["up", "--abort-on-container-exit", "--menu=false", "running"],
        &[],
    );
    up.wait_for("Attaching to running-1", 30);
    s.step(&["run", "--rm", "--no-deps", "running", "/bin/true"]);
    // Observe for 3 seconds (as the Go test does) that the one-off's exit did not abort `up`.
    let until = std::time::Instant::now() + std::time::Duration::from_secs(3);
    while std::time::Instant::now() < until {
        assert!(
            !up.output().contains("Aborting on container exit"),
            "{}",
            up.output()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let snap = s.snapshot();
    *s.snaps.last_mut().unwrap() = snap;
    s.service_state("running", "running");
}
