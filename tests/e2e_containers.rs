//! Ports of docker/compose `pkg/e2e/container_name_test.go`, `ipc_test.go`, `expose_test.go` and
//! `healthcheck_test.go`.

#[path = "e2e/scenario.rs"]
mod scenario;
mod support;

use scenario::Scenario;

// Go: container_name_test.go TestUpContainerNameConflict
#[test]
fn up_container_name_conflict() {
    let mut s = Scenario::new(
        "e2e-name-conflict",
        &[(
            "compose.yaml",
            r#"services:
  test:
    image: @IMAGE@
    container_name: ${FIXED_NAME}
    command: /bin/true

  another_test:
    image: @IMAGE@
    container_name: ${FIXED_NAME}
    command: /bin/true
"#,
        )],
    );
    let name = format!("{}-fixed", s.project());
    s.with_env("FIXED_NAME", &name);
    s.step_may_fail(&["up"])
        .exit_code(1)
        .output_contains(&format!(r#"container name "{name}" is already in use"#));
    s.step(&["down"]);
    s.step(&["up", "test"]).service_state("test", "exited");
    s.step(&["down"]).not_created("test");
    s.step(&["up", "another_test"])
        .service_state("another_test", "exited");
}

// Go: ipc_test.go TestIPC
#[test]
fn ipc() {
    let mut s = Scenario::new(
        "e2e-ipc",
        &[(
            "compose.yaml",
            r#"services:
  service:
    image: @IMAGE@
    command: top
    ipc: "service:shareable"
  container:
    image: @IMAGE@
    command: top
    ipc: "container:${EXTERNAL_NAME}"
  shareable:
    image: @IMAGE@
    command: top
    ipc: shareable
"#,
        )],
    );
    let name = s.project().to_string();
    let external = format!("{name}-external");
    let cid = support::docker(&[
        "run",
        "-d",
        "--rm",
        "--ipc=shareable",
        "--name",
        &external,
        support::test_image(),
        "top",
    ]);
    s.defer_docker(&["rm", "-f", &external]);
    s.with_env("EXTERNAL_NAME", &external);
    s.step(&["up", "-d"])
        .service_state("service", "running")
        .service_state("container", "running")
        .service_state("shareable", "running");
    let ipc_of = |svc: &str| {
        support::docker(&[
            "inspect",
            "-f",
            "{{.HostConfig.IpcMode}}",
            &format!("{name}-{svc}-1"),
        ])
    };
    assert!(ipc_of("shareable").contains("shareable"));
    assert!(
        ipc_of("service").contains("container:"),
        "{}",
        ipc_of("service")
    );
    assert!(
        ipc_of("container").contains(&format!("container:{cid}")),
        "{}",
        ipc_of("container")
    );
}

// Go: expose_test.go TestExposeRange
#[test]
fn expose_range() {
    let mut s = Scenario::new(
        "e2e-expose-range",
        &[(
            "compose.yaml",
            "services:\n  test:\n    image: @IMAGE@\n    expose:\n      - \"9091-9092\"\n",
        )],
    );
    s.step(&["up"]);
}

// Go: healthcheck_test.go TestStartInterval (step 1 only: step 2 needs engine API >= 1.44, see
// NOT-PORTABLE.md)
#[test]
fn start_interval() {
    let mut s = Scenario::new(
        "e2e-start-interval",
        &[(
            "compose.yaml",
            r#"services:
  test:
    image: @IMAGE@
    init: true
    command: sleep infinity
    healthcheck:
      interval: 30s
      start_period: 10s
      start_interval: 1s
      test: "/bin/true"

  error:
    image: @IMAGE@
    init: true
    command: sleep infinity
    healthcheck:
      interval: 30s
      start_interval: 1s
      test: "/bin/true"
"#,
        )],
    );
    s.step_may_fail(&["up", "--wait", "-d", "error"])
        .exit_code(1)
        .output_contains("healthcheck.start_interval requires healthcheck.start_period to be set");
}
