//! Ports of docker/compose `pkg/e2e/compose_up_test.go` and `up_test.go`.

#[path = "e2e/scenario.rs"]
mod scenario;
mod support;

use scenario::Scenario;

// Go: compose_up_test.go TestUpWait
#[test]
fn up_wait() {
    let mut s = Scenario::new(
        "e2e-up-wait",
        &[(
            "compose.yaml",
            r#"services:
  oneshot:
    image: @IMAGE@
    command: echo 'hello world'
  longrunning:
    image: @IMAGE@
    init: true
    depends_on:
      oneshot:
        condition: service_completed_successfully
    command: sleep infinity
"#,
        )],
    );
    let name = s.project().to_string();
    s.timeout = 30;
    s.step(&["up", "--wait", "-d"])
        .output_contains(&format!("{name}-oneshot-1"))
        .service_state("longrunning", "running")
        .service_state("oneshot", "exited");
}

// Go: compose_up_test.go TestUpWaitTimeout
#[test]
fn up_wait_timeout() {
    let mut s = Scenario::new(
        "e2e-up-wait-timeout",
        &[(
            "compose.yaml",
            r#"services:
  app:
    image: @IMAGE@
    init: true
    command: sleep infinity
    healthcheck:
      test: ["CMD", "false"]
      interval: 1s
      retries: 3
      start_period: 120s
"#,
        )],
    );
    s.timeout = 60;
    s.step_may_fail(&["up", "--wait", "--wait-timeout", "3", "-d"])
        .exit_code(1)
        .output_contains("application not healthy after 3s")
        .service_state("app", "running");
}

const EXIT_CODE_FROM: &str = r#"services:
  safe:
    image: @IMAGE@
    init: true
    command: ['/bin/sh', '-c', 'sleep infinity']  # never exiting
  failure:
    image: @IMAGE@
    init: true
    command: ['/bin/sh', '-c', 'sleep 1 ; echo "exiting with error" ; exit 42']
  test:
    image: @IMAGE@
    init: true
    command: ['/bin/sh', '-c', 'sleep 99999 ; echo "tests are OK"']  # very long job
    depends_on: [safe]
"#;

// Go: compose_up_test.go TestUpExitCodeFrom
#[test]
fn up_exit_code_from() {
    let mut s = Scenario::new("e2e-up-exit-code-from", &[("compose.yaml", EXIT_CODE_FROM)]);
    s.timeout = 60;
    s.step_may_fail(&["up", "--menu=false", "--exit-code-from=failure", "failure"])
        .exit_code(42);
}

// Go: compose_up_test.go TestUpExitCodeFromContainerKilled
#[test]
fn up_exit_code_from_container_killed() {
    let mut s = Scenario::new(
        "e2e-up-exit-code-killed",
        &[("compose.yaml", EXIT_CODE_FROM)],
    );
    s.timeout = 60;
    s.step_may_fail(&["up", "--menu=false", "--exit-code-from=test"])
        .exit_code(143);
}

// Go: compose_up_test.go TestPortRange
#[test]
fn port_range() {
    let mut s = Scenario::new(
        "e2e-port-range",
        &[(
            "compose.yaml",
            r#"services:
  a:
    image: @IMAGE@
    init: true
    command: sleep infinity
    scale: 5
    ports:
      - "6005-6015:80"

  b:
    image: @IMAGE@
    init: true
    command: sleep infinity
    ports:
      - 80

  c:
    image: @IMAGE@
    init: true
    command: sleep infinity
    ports:
      - 80
"#,
        )],
    );
    s.step(&["up", "-d"])
        .service_scale("a", 5)
        .service_state("b", "running")
        .service_state("c", "running");
}

// Go: compose_up_test.go TestStdoutStderr
#[test]
fn stdout_stderr() {
    let mut s = Scenario::new(
        "e2e-stdout-stderr",
        &[
            (
                "compose.yaml",
                "services:\n  stderr:\n    image: @IMAGE@\n    init: true\n    command: /bin/ash /log_to_stderr.sh\n    volumes:\n           - ./log_to_stderr.sh:/log_to_stderr.sh\n",
            ),
            (
                "log_to_stderr.sh",
                ">&2 echo \"log to stderr\"\necho \"log to stdout\"\n\n",
            ),
        ],
    );
    s.step(&["up", "--menu=false"])
        .stdout_contains("log to stdout")
        .stderr_contains("log to stderr");
}

// Go: up_test.go TestUpServiceUnhealthy
#[test]
fn up_service_unhealthy() {
    let mut s = Scenario::new(
        "e2e-up-unhealthy",
        &[(
            "compose.yaml",
            r#"services:
  fail:
    image: @IMAGE@
    init: true
    command: sleep infinity
    healthcheck:
      test: "false"
      interval: 1s
      retries: 3
  depends:
    image: @IMAGE@
    init: true
    command: sleep infinity
    depends_on:
      fail:
        condition: service_healthy
"#,
        )],
    );
    let name = s.project().to_string();
    s.timeout = 60;
    s.step_may_fail(&["up", "-d"])
        .exit_code(1)
        .output_contains(&format!("container {name}-fail-1 is unhealthy"))
        .service_state("depends", "created");
}

// Go: up_test.go TestUpDependenciesNotStopped
#[test]
fn up_dependencies_not_stopped() {
    let mut s = Scenario::new(
        "e2e-up-deps-stop",
        &[
            (
                "orphan.yaml",
                "services:\n  orphan:\n    image: @IMAGE@\n    init: true\n    command: /bin/sh -c 'while true; do echo \"hello orphan\"; sleep 1; done'\n",
            ),
            (
                "compose.yaml",
                r#"services:
  dependency:
    image: @IMAGE@
    init: true
    command: /bin/sh -c 'while true; do echo "hello dependency"; sleep 1; done'

  app:
    depends_on: ['dependency']
    image: @IMAGE@
    init: true
    command: /bin/sh -c 'while true; do echo "hello app"; sleep 1; done'
"#,
            ),
        ],
    );
    s.files = vec!["orphan.yaml".into()];
    s.step(&["up", "--wait", "--detach", "orphan"])
        .service_state("orphan", "running");
    s.files = vec!["compose.yaml".into()];
    let mut up = s.spawn(&["up", "--menu=false", "app"], &[]);
    up.wait_for("hello app", 15);
    s.snaps.push(s.snapshot());
    s.service_state("app", "running")
        .service_state("dependency", "running");
    // Ctrl-C
    up.signal("INT");
    let status = up.wait_exit(30);
    assert!(
        status.success() || status.code() == Some(130),
        "up exited with {status}:\n{}",
        up.output()
    );
    s.snaps.push(s.snapshot());
    s.service_state("app", "exited")
        .service_state("dependency", "running")
        .service_state("orphan", "running");
}

// Go: up_test.go TestUpWithBuildDependencies (FROM busybox:1.35.0 -> the test image)
#[test]
fn up_with_build_dependencies() {
    let mut s = Scenario::new(
        "e2e-up-build-deps",
        &[
            ("Dockerfile", "FROM @IMAGE@\nRUN echo \"hello\"\n\n"),
            (
                "compose.yaml",
                "services:\n  foo:\n    image: ${BUILT_IMAGE}\n    build:\n      context: .\n  bar:\n    image: ${BUILT_IMAGE}\n    depends_on:\n      - foo\n",
            ),
        ],
    );
    let image = format!("{}-built", s.project());
    s.with_env("BUILT_IMAGE", &image);
    s.defer_docker(&["image", "rm", "-f", &image]);
    s.step(&["up", "-d"]);
    support::docker(&["image", "inspect", "--format", "{{.Id}}", &image]);
}

// Go: up_test.go TestUpWithDependencyExit
#[test]
fn up_with_dependency_exit() {
    let mut s = Scenario::new(
        "e2e-up-dep-exit",
        &[(
            "compose.yaml",
            r#"services:
  web:
    image: @IMAGE@
    init: true
    command: sleep infinity
    depends_on:
      db:
        condition: service_healthy
  db:
    image: @IMAGE@
    command: sh -c "exit 1"
"#,
        )],
    );
    let name = s.project().to_string();
    s.step_may_fail(&["up", "-d"])
        .exit_code(1)
        .output_contains(&format!(
            "dependency failed to start: container {name}-db-1 exited (1)"
        ))
        .service_state("web", "created");
}

// Go: up_test.go TestScaleDoesntRecreate
#[test]
fn scale_doesnt_recreate() {
    let mut s = Scenario::new(
        "e2e-up-scale-norecreate",
        &[(
            "compose.yaml",
            "services:\n  simple:\n    image: @IMAGE@\n    init: true\n    command: sleep infinity\n",
        )],
    );
    s.step(&["up", "-d"]).replica_numbers("simple", &[1]);
    s.step(&["up", "--scale", "simple=2", "-d"])
        .replica_numbers("simple", &[1, 2])
        .output_not_contains("Recreated");
}

// Go: up_test.go TestUpWithDependencyNotRequired (image bash -> busybox)
#[test]
fn up_with_dependency_not_required() {
    let mut s = Scenario::new(
        "e2e-up-dep-optional",
        &[(
            "compose.yaml",
            r#"services:
  foo:
    image: @IMAGE@
    command: echo "foo"
    depends_on:
      bar:
        required: false
        condition: service_healthy
  bar:
    image: @IMAGE@
    init: true
    command: sleep infinity
    profiles: [not-required]
"#,
        )],
    );
    s.step(&["--profile", "not-required", "up", "-d"])
        .output_contains("foo")
        .output_contains(r#"optional dependency "bar" failed to start"#);
}

// Go: up_test.go TestUpWithAllResources
#[test]
fn up_with_all_resources() {
    let mut s = Scenario::new(
        "e2e-up-all-resources",
        &[(
            "compose.yaml",
            "volumes:\n  my_vol: {}\n\nnetworks:\n  my_net: {}\n",
        )],
    );
    let name = s.project().to_string();
    s.step(&["--all-resources", "up"])
        .output_contains(&format!("Volume {name}_my_vol Created"))
        .output_contains(&format!("Network {name}_my_net Created"));
}

// Go: up_test.go TestUpProfile
#[test]
fn up_profile() {
    let mut s = Scenario::new(
        "e2e-up-profile",
        &[(
            "compose.yaml",
            "services:\n  foo:\n    profiles: [ test ]\n    image: @IMAGE@\n    depends_on: [ db ]\n\n  bar:\n    profiles: [ test ]\n    image: @IMAGE@\n  db:\n    image: @IMAGE@",
        )],
    );
    s.step(&["up", "foo"])
        .service_state("foo", "exited")
        .service_state("db", "exited")
        .not_created("bar");
}

// Go: up_test.go TestUpImageID (alpine -> the test image)
#[test]
fn up_image_id() {
    let mut s = Scenario::new(
        "e2e-up-image-id",
        &[(
            "compose.yaml",
            "services:\n  test:\n    image: ${ID:?ID variable must be set}\n",
        )],
    );
    let digest = support::docker(&["image", "inspect", support::test_image(), "-f", "{{ .ID }}"]);
    let id = digest
        .split_once(':')
        .map(|(_, id)| id)
        .unwrap_or(&digest)
        .to_string();
    s.with_env("ID", &id);
    s.step(&["up"]);
}

// Go: up_test.go TestUpStopWithLogsMixed
#[test]
fn up_stop_with_logs_mixed() {
    let mut s = Scenario::new(
        "e2e-up-logs-mixed",
        &[(
            "compose.yaml",
            r#"services:
  service1:
    image: @IMAGE@
    command: sh -c "sleep 2"
  service2:
    image: @IMAGE@
    init: true
    command: ping localhost
    pre_stop:
      - command: echo "stop hook running..."
"#,
        )],
    );
    let name = s.project().to_string();
    s.timeout = 60;
    s.step(&["up", "--abort-on-container-exit"])
        .stderr_contains(&format!("Container {name}-service1-1 Stopped"))
        .stdout_contains("stop hook running...")
        .stdout_contains("64 bytes");
}
