//! Ports of docker/compose `pkg/e2e/noDeps_test.go` and `recreate_no_deps_test.go`.

#[path = "e2e/scenario.rs"]
mod scenario;
mod support;

use scenario::Scenario;

// Go: noDeps_test.go TestNoDepsVolumeFrom
#[test]
fn no_deps_volume_from() {
    let mut s = Scenario::new(
        "e2e-nodeps-volfrom",
        &[(
            "compose.yaml",
            r#"services:
  app:
    image: @IMAGE@
    init: true
    command: sleep infinity
    volumes_from:
      - db
  db:
    image: @IMAGE@
    init: true
    command: sleep infinity
    volumes:
      - /var/data
"#,
        )],
    );
    let db = format!("{}-db-1", s.project());
    s.step(&["up", "-d"])
        .service_state("app", "running")
        .service_state("db", "running");
    s.step(&["up", "--no-deps", "-d", "app"])
        .not_recreated(&["app", "db"]);
    s.docker_step(&["rm", "-f", &db], false).not_created("db");
    s.step_may_fail(&["up", "--no-deps", "-d", "app"])
        .exit_code(1)
        .output_contains("cannot share volume with service db: container missing");
}

// Go: noDeps_test.go TestNoDepsNetworkMode
#[test]
fn no_deps_network_mode() {
    let mut s = Scenario::new(
        "e2e-nodeps-netmode",
        &[(
            "compose.yaml",
            r#"services:
  app:
    image: @IMAGE@
    init: true
    command: sleep infinity
    network_mode: service:db
  db:
    image: @IMAGE@
    init: true
    command: sleep infinity
"#,
        )],
    );
    let db = format!("{}-db-1", s.project());
    s.step(&["up", "-d"])
        .service_state("app", "running")
        .service_state("db", "running");
    s.step(&["up", "--no-deps", "-d", "app"])
        .not_recreated(&["app", "db"]);
    s.docker_step(&["rm", "-f", &db], false).not_created("db");
    s.step_may_fail(&["up", "--no-deps", "-d", "app"])
        .exit_code(1)
        .output_contains("cannot share network namespace with service db: container missing");
}

// Go: recreate_no_deps_test.go TestRecreateWithNoDeps
#[test]
fn recreate_with_no_deps() {
    let mut s = Scenario::new(
        "e2e-recreate-nodeps",
        &[(
            "compose.yaml",
            r#"services:
  my-service:
    image: @IMAGE@
    command: sleep infinity
    init: true
    depends_on:
      dep: {condition: service_healthy}

  dep:
    image: @IMAGE@
    command: sleep infinity
    init: true
    healthcheck:
      test:     "/bin/true"
      interval: 2s
      timeout:  1s
      retries:  10
"#,
        )],
    );
    s.timeout = 60;
    s.step(&["up", "-d", "--wait"])
        .service_state("my-service", "running")
        .service_healthy("dep");
    s.step(&["up", "-d", "--force-recreate", "--no-deps", "my-service"])
        .service_state("my-service", "running")
        .recreated(&["my-service"])
        .not_recreated(&["dep"]);
}
