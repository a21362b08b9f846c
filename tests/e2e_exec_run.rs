//! Ports of docker/compose `pkg/e2e/compose_exec_test.go`, `exec_test.go` and
//! `compose_run_test.go`.

#[path = "e2e/scenario.rs"]
mod scenario;
mod support;

use scenario::{Scenario, poll};

const EXEC: &str = r#"services:
  simple:
    image: @IMAGE@
    init: true
    command: top
  another:
    image: @IMAGE@
    init: true
    command: top
"#;

// Go: compose_exec_test.go TestLocalComposeExec (/usr/bin/env -> /bin/env)
#[test]
fn local_compose_exec() {
    let mut s = Scenario::new("e2e-exec", &[("compose.yaml", EXEC)]);
    s.step(&["up", "-d"]).service_state("simple", "running");
    s.step(&["exec", "simple", "/bin/true"]);
    s.step_may_fail(&["exec", "simple", "/bin/false"])
        .exit_code(1);
    s.step_env(
        &["exec", "-e", "FOO", "simple", "/bin/env"],
        &[("FOO", "BAR")],
    )
    .output_contains("FOO=BAR");
    s.step(&["exec", "-e", "FOO", "simple", "/bin/env"])
        .output_not_contains("FOO=");
}

// Go: compose_exec_test.go TestLocalComposeExecOneOff
#[test]
fn local_compose_exec_one_off() {
    let mut s = Scenario::new("e2e-exec-oneoff", &[("compose.yaml", EXEC)]);
    s.step(&["run", "-d", "simple", "top"])
        .one_off_state("simple", "running");
    s.step(&["exec", "-e", "FOO", "simple", "/bin/env"])
        .output_not_contains("FOO=");
    s.step_may_fail(&["exec", "--index", "1", "-e", "FOO", "simple", "/bin/env"])
        .exit_code(1)
        .output_contains(r#"service "simple" is not running container #1"#);
}

// Go: exec_test.go TestExec
#[test]
fn exec() {
    let mut s = Scenario::new(
        "e2e-exec-prefer",
        &[(
            "compose.yaml",
            "services:\n  test:\n    image: @IMAGE@\n    command: tail -f /dev/null\n",
        )],
    );
    s.step(&["run", "-d", "test", "cat"])
        .one_off_state("test", "running");
    s.step_may_fail(&["exec", "--index=1", "test", "ps"])
        .exit_code(1)
        .output_contains(r#"service "test" is not running container #1"#);
    s.step(&["exec", "test", "ps"]).stdout_contains("cat");
    s.step(&["up", "-d"]).service_state("test", "running");
    s.step(&["exec", "test", "ps"]).stdout_contains("tail");
}

// Go: compose_run_test.go TestComposeRun
#[test]
fn compose_run() {
    let mut s = Scenario::new(
        "e2e-run",
        &[
            (
                "compose.yaml",
                r#"services:
  back:
    image: @IMAGE@
    command: echo "Hello there!!"
    depends_on:
      - db
  db:
    image: @IMAGE@
    init: true
    command: sleep infinity
  front:
    image: @IMAGE@
    init: true
    command: sleep infinity
"#,
            ),
            ("run.env", "FOO=BAR\n\n"),
        ],
    );
    let dir = s.p.dir.to_string_lossy().into_owned();
    s.step(&["run", "back"])
        .stdout_contains("Hello there!!")
        .output_not_contains("orphan")
        .service_state("db", "running")
        .one_off_state("back", "exited")
        .not_created("front");
    s.step(&["run", "back", "echo", "Hello one more time"])
        .stdout_contains("Hello one more time")
        .output_contains("orphan");
    let ignore = [("COMPOSE_IGNORE_ORPHANS", "True")];
    s.step_env(&["run", "back", "echo", "Hello again"], &ignore)
        .stdout_contains("Hello again")
        .output_not_contains("orphan");
    s.step_env(&["run", "--rm", "back", "echo", "Hello and gone"], &ignore)
        .stdout_contains("Hello and gone")
        .one_offs_untouched("back");
    let volume = format!("{dir}:/foo");
    s.step_env(
        &[
            "run",
            "--volumes",
            &volume,
            "back",
            "/bin/sh",
            "-c",
            "ls /foo",
        ],
        &ignore,
    )
    .stdout_contains("compose.yaml");
    let env_file = format!("{dir}/run.env");
    s.step_env(
        &["run", "--env-from-file", &env_file, "front", "env"],
        &ignore,
    )
    .stdout_contains("FOO=BAR");
    s.step_env(&["run", "--env", "FOO=BAR", "front", "env"], &ignore)
        .stdout_contains("FOO=BAR");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

// Go: compose_run_test.go TestComposeRunPorts (fixed ports 8081/8082 -> free ports)
#[test]
fn compose_run_ports() {
    let (adhoc, model) = (free_port(), free_port());
    let fixture =
        format!("services:\n  back:\n    image: @IMAGE@\n    ports:\n      - {model}:80\n");
    let mut s = Scenario::new("e2e-run-ports", &[("compose.yaml", &fixture)]);
    let filter = s.p.label_filter();
    let publish = format!("{adhoc}:80");
    s.step(&[
        "run",
        "--publish",
        &publish,
        "-d",
        "back",
        "/bin/sh",
        "-c",
        "sleep 30",
    ]);
    s.docker_step(&["ps", "--filter", &filter], false)
        .output_contains(&format!("{adhoc}->80/tcp"))
        .output_not_contains(&format!("{model}->80/tcp"));
    s.step(&[
        "run",
        "--service-ports",
        "-d",
        "back",
        "/bin/sh",
        "-c",
        "sleep 30",
    ]);
    s.docker_step(&["ps", "--filter", &filter], false)
        .output_contains(&format!("{model}->80/tcp"));
}

// Go: compose_run_test.go TestComposeRunDeps (image bash -> busybox)
#[test]
fn compose_run_deps() {
    let mut s = Scenario::new(
        "e2e-run-deps",
        &[(
            "compose.yaml",
            r#"services:
  service_a:
    image: @IMAGE@
    command: echo "a"
    depends_on:
      - shared_dep
  service_b:
    image: @IMAGE@
    command: echo "b"
    depends_on:
      - shared_dep
  shared_dep:
    image: @IMAGE@
"#,
        )],
    );
    s.step(&["run", "service_a"])
        .output_contains("shared_dep")
        .output_not_contains("service_b")
        .not_created("service_b");
    s.step_env(
        &["run", "--no-deps", "service_a"],
        &[("COMPOSE_IGNORE_ORPHANS", "True")],
    )
    .output_not_contains("service_b")
    .output_not_contains("shared_dep")
    .not_recreated(&["shared_dep"])
    .not_created("service_b");
}

// Go: compose_run_test.go TestComposeRunNotRequiredDeps (image bash -> busybox)
#[test]
fn compose_run_not_required_deps() {
    let mut s = Scenario::new(
        "e2e-run-optional-deps",
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
    s.step(&["run", "foo"])
        .output_contains("foo")
        .not_created("bar");
}

// Go: compose_run_test.go TestComposeRunRmStopSignal (fixtures/ps-test: nginx -> busybox httpd)
#[test]
fn compose_run_rm_stop_signal() {
    let mut s = Scenario::new(
        "e2e-run-rm-stop",
        &[(
            "compose.yaml",
            "services:\n  nginx:\n    image: @IMAGE@\n    init: true\n    command: httpd -f -p 80\n",
        )],
    );
    let prefix = format!("{}-nginx", s.project());
    s.step(&["run", "--rm", "-d", "nginx"]);
    let id = support::docker(&["ps", "--quiet", "--filter", &format!("name={prefix}")]);
    assert!(!id.is_empty(), "the one-off is running");
    support::docker(&["stop", &id]);
    poll(10, "the --rm one-off to be removed", || {
        let names = support::docker(&[
            "ps",
            "--all",
            "--filter",
            &format!("name={prefix}"),
            "--format",
            "{{.Names}}",
        ]);
        (!names.contains(&prefix)).then_some(())
    });
}
