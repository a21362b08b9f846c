//! Ports of docker/compose `pkg/e2e/restart_test.go`.

#[path = "e2e/scenario.rs"]
mod scenario;
mod support;

use scenario::Scenario;

// Go: restart_test.go TestRestart
#[test]
fn restart() {
    let mut s = Scenario::new(
        "e2e-restart",
        &[(
            "compose.yaml",
            r#"services:
  app:
    image: @IMAGE@
    init: true
    command: ash -c "if [[ -f /tmp/restart.lock ]] ; then sleep infinity; else touch /tmp/restart.lock; fi"
"#,
        )],
    );
    s.step(&["up", "-d"])
        .eventually_service_state("app", "exited", 10);
    s.step(&["restart"])
        .eventually_service_state("app", "running", 10)
        .not_recreated(&["app"]);
}

/// Stand-in for `fixtures/restart-test/compose-depends-on.yaml`: nginx -> busybox httpd (with
/// `init: true` so that SIGTERM stops it at once), `nc -w 5 localhost:80` -> busybox's
/// `nc -w 5 localhost 80`.
const DEPENDS_ON: &str = r#"services:
  with-restart:
    image: @IMAGE@
    init: true
    command: tail -f /dev/null
    stop_signal: SIGTERM
    depends_on:
      nginx: {condition: service_healthy, restart: true}

  no-restart:
    image: @IMAGE@
    init: true
    command: tail -f /dev/null
    stop_signal: SIGTERM
    depends_on:
      nginx: { condition: service_healthy }

  nginx:
    image: @IMAGE@
    init: true
    command: httpd -f -p 80
    labels:
      TEST: ${LABEL:-test}
    stop_signal: SIGTERM
    healthcheck:
      test:     "echo | nc -w 5 localhost 80"
      interval: 2s
      timeout:  1s
      retries:  10
"#;

// Go: restart_test.go TestRestartWithDependencies
#[test]
fn restart_with_dependencies() {
    let mut s = Scenario::new(
        "e2e-restart-deps",
        &[("compose-depends-on.yaml", DEPENDS_ON)],
    );
    let name = s.project().to_string();
    s.files = vec!["compose-depends-on.yaml".into()];
    s.step(&["up", "-d"]);
    // The Go test runs `restart` without -f: the project is found by its labels.
    s.files = vec![];
    s.step(&["restart", "nginx"])
        .output_contains(&format!("Container {name}-nginx-1 Restarting"))
        .output_contains(&format!("Container {name}-nginx-1 Healthy"))
        .output_contains(&format!("Container {name}-with-restart-1 Started"))
        .output_not_contains("no-restart");
    s.files = vec!["compose-depends-on.yaml".into()];
    s.step_env(&["up", "-d"], &[("LABEL", "recreate")])
        .output_contains(&format!("Container {name}-with-restart-1 Stopped"))
        .output_contains(&format!("Container {name}-nginx-1 Recreated"))
        .output_contains(&format!("Container {name}-nginx-1 Healthy"))
        .output_contains(&format!("Container {name}-with-restart-1 Started"))
        .output_contains(&format!("Container {name}-no-restart-1 Running"));
}

// Go: restart_test.go TestRestartWithProfiles
#[test]
fn restart_with_profiles() {
    let mut s = Scenario::new(
        "e2e-restart-profiles",
        &[(
            "compose.yaml",
            r#"services:
  restart:
    image: @IMAGE@
    init: true
    command: ash -c "if [[ -f /tmp/restart.lock ]] ; then sleep infinity; else touch /tmp/restart.lock; fi"

  test:
    profiles:
      - test
    image: @IMAGE@
    init: true
    command: ash -c "if [[ -f /tmp/restart.lock ]] ; then sleep infinity; else touch /tmp/restart.lock; fi"
"#,
        )],
    );
    let name = s.project().to_string();
    s.step(&["--profile", "test", "up", "-d"]);
    // The Go test runs `restart test` without -f (COMPOSE_PROJECT_NAME only).
    s.files = vec![];
    s.step(&["restart", "test"])
        .output_contains(&format!("Container {name}-test-1 Started"));
}
