//! Ports of docker/compose `pkg/e2e/start_stop_test.go` (the Go tests are named on each test).

#[path = "e2e/scenario.rs"]
mod scenario;
mod support;

use scenario::Scenario;

const TWO_SERVICES: &str = r#"services:
  simple:
    image: @IMAGE@
    init: true
    command: sleep infinity
  another:
    image: @IMAGE@
    init: true
    command: sleep infinity
"#;

/// Stand-in for `fixtures/start-stop/compose.yaml` (nginx:alpine -> busybox httpd).
const START_STOP: &str = r#"services:
  simple:
    image: @IMAGE@
    init: true
    command: httpd -f -p 80
  another:
    image: @IMAGE@
    init: true
    command: httpd -f -p 80
"#;

/// Stand-in for `fixtures/start-stop/other.yaml`.
const START_STOP_OTHER: &str = r#"services:
  a-different-one:
    image: @IMAGE@
    init: true
    command: httpd -f -p 80
  and-another-one:
    image: @IMAGE@
    init: true
    command: httpd -f -p 80
"#;

fn ls_has(s: &Scenario, name: &str) -> bool {
    let v: serde_json::Value = serde_json::from_str(&s.stdout())
        .unwrap_or_else(|e| panic!("ls --format json: {e}\n{}", s.stdout()));
    v.as_array()
        .expect("ls json is a list")
        .iter()
        .any(|p| p["Name"] == name)
}

// Go: start_stop_test.go TestStartStop
#[test]
fn start_stop() {
    let mut s = Scenario::new("e2e-start-stop", &[("compose.yaml", TWO_SERVICES)]);
    let name = s.project().to_string();
    s.step(&["up", "-d"])
        .service_state("simple", "running")
        .service_state("another", "running");
    s.step(&["ls", "--format", "json"]);
    assert!(ls_has(&s, &name), "ls lists the running project");
    s.step(&["stop"])
        .service_state("simple", "exited")
        .service_state("another", "exited");
    s.step(&["ls", "--format", "json"]);
    assert!(!ls_has(&s, &name), "a stopped project is hidden from ls");
    s.step(&["ls", "--all", "--format", "json"]);
    assert!(ls_has(&s, &name), "ls --all lists the stopped project");
    s.step(&["start"])
        .service_state("simple", "running")
        .service_state("another", "running")
        .not_recreated(&["simple", "another"]);
}

const FOO_BAR_DEPS: &str = r#"services:
  foo:
    image: @IMAGE@
    init: true
    command: sleep infinity
    depends_on:
      - bar
  bar:
    image: @IMAGE@
    init: true
    command: sleep infinity
"#;

// Go: start_stop_test.go TestStartStopWithDependencies
#[test]
#[ignore = "rcompose: `start foo` does not start the stopped dependencies of foo"]
fn start_stop_with_dependencies() {
    let mut s = Scenario::new("e2e-ss-deps", &[("compose.yaml", FOO_BAR_DEPS)]);
    s.step(&["up", "-d"])
        .service_state("foo", "running")
        .service_state("bar", "running");
    s.step(&["stop", "foo"])
        .service_state("foo", "exited")
        .service_state("bar", "running");
    s.step(&["stop"])
        .service_state("foo", "exited")
        .service_state("bar", "exited");
    s.step(&["start", "foo"])
        .service_state("foo", "running")
        .service_state("bar", "running")
        .not_recreated(&["foo", "bar"]);
}

// Go: start_stop_test.go TestUpNoDeps
#[test]
fn up_no_deps() {
    let mut s = Scenario::new(
        "e2e-up-no-deps",
        &[(
            "compose.yaml",
            r#"services:
  foo:
    image: @IMAGE@
    init: true
    command: sleep infinity
    links:
      - bar
  bar:
    image: @IMAGE@
    init: true
    command: sleep infinity
"#,
        )],
    );
    s.step(&["up", "--no-deps", "-d", "foo"])
        .service_state("foo", "running")
        .not_created("bar");
}

// Go: start_stop_test.go TestStartStopWithOneOffs
#[test]
fn start_stop_with_one_offs() {
    let mut s = Scenario::new(
        "e2e-ss-oneoffs",
        &[(
            "compose.yaml",
            r#"services:
  foo:
    image: @IMAGE@
    init: true
    command: sleep infinity
  bar:
    image: @IMAGE@
    init: true
    command: sleep infinity
"#,
        )],
    );
    s.step(&["up", "-d"])
        .service_state("foo", "running")
        .service_state("bar", "running");
    s.step(&["run", "-d", "bar", "sleep", "infinity"])
        .one_off_state("bar", "running")
        .not_recreated(&["foo", "bar"]);
    s.step(&["stop"])
        .service_state("foo", "exited")
        .service_state("bar", "exited")
        .one_off_state("bar", "running")
        .one_offs_untouched("bar");
    s.step(&["start"])
        .service_state("foo", "running")
        .service_state("bar", "running")
        .one_offs_untouched("bar");
    s.step(&["restart"])
        .service_state("foo", "running")
        .service_state("bar", "running")
        .not_recreated(&["foo", "bar"])
        .one_offs_untouched("bar");
    s.step(&["down", "--remove-orphans", "-t", "1"])
        .not_created("foo")
        .not_created("bar")
        .one_offs_removed("bar");
}

// Go: start_stop_test.go TestStartAlreadyRunning
#[test]
fn start_already_running() {
    let mut s = Scenario::new("e2e-ss-already-running", &[("compose.yaml", START_STOP)]);
    s.step(&["up", "-d", "--wait"]);
    s.step(&["start", "simple"]);
    assert_eq!(s.stdout(), "", "no output on stdout");
}

// Go: start_stop_test.go TestStopAlreadyStopped
#[test]
fn stop_already_stopped() {
    let mut s = Scenario::new("e2e-ss-already-stopped", &[("compose.yaml", START_STOP)]);
    let name = s.project().to_string();
    s.step(&["up", "-d", "--wait"]);
    s.step(&["stop", "simple"]);
    s.step_may_fail(&["stop", "simple"])
        .exit_code(0)
        .stderr_contains(&format!("Container {name}-simple-1 Stopped"));
}

// Go: start_stop_test.go TestStartStopMultipleServices
#[test]
fn start_stop_multiple_services() {
    let mut s = Scenario::new("e2e-ss-multiple", &[("compose.yaml", START_STOP)]);
    let name = s.project().to_string();
    s.step(&["up", "-d", "--wait"]);
    s.step(&["stop", "simple", "another"]);
    for svc in ["simple", "another"] {
        s.stderr_contains(&format!("Container {name}-{svc}-1 Stopped"));
    }
    s.step(&["start", "simple", "another"]);
    for svc in ["simple", "another"] {
        s.stderr_contains(&format!("Container {name}-{svc}-1 Started"));
    }
}

// Go: start_stop_test.go TestStartSingleServiceAndDependency
#[test]
#[ignore = "rcompose: `start desired` does not start its created dependency chain"]
fn start_single_service_and_dependency() {
    let mut s = Scenario::new(
        "e2e-ss-single-dep",
        &[(
            "compose.yaml",
            r#"services:
  desired:
    image: @IMAGE@
    init: true
    command: sleep infinity
    depends_on:
      - dep_1
  dep_1:
    image: @IMAGE@
    init: true
    command: sleep infinity
    depends_on:
      - dep_2
  dep_2:
    image: @IMAGE@
    init: true
    command: sleep infinity
  another:
    image: @IMAGE@
    init: true
    command: sleep infinity
    depends_on:
      - another_2
  another_2:
    image: @IMAGE@
    init: true
    command: sleep infinity
"#,
        )],
    );
    s.step(&["create", "desired"])
        .service_state("desired", "created")
        .service_state("dep_1", "created")
        .service_state("dep_2", "created")
        .not_created("another")
        .not_created("another_2");
    s.step(&["start", "desired"])
        .service_state("desired", "running")
        .service_state("dep_1", "running")
        .service_state("dep_2", "running")
        .not_created("another")
        .not_created("another_2");
}

// Go: start_stop_test.go TestStartStopMultipleFiles
#[test]
#[ignore = "rcompose: `-f one.yaml stop` stops every container of the project, not only that file's services"]
fn start_stop_multiple_files() {
    let mut s = Scenario::new(
        "e2e-ss-multi-files",
        &[
            ("compose.yaml", START_STOP),
            ("other.yaml", START_STOP_OTHER),
        ],
    );
    let name = s.project().to_string();
    s.files = vec!["compose.yaml".into()];
    s.step(&["up", "-d"]);
    s.files = vec!["other.yaml".into()];
    s.step(&["up", "-d"]);
    s.files = vec!["compose.yaml".into()];
    s.step(&["stop"])
        .output_contains(&format!("Container {name}-simple-1 Stopped"))
        .output_contains(&format!("Container {name}-another-1 Stopped"))
        .output_not_contains(&format!("Container {name}-a-different-one-1 Stopped"))
        .output_not_contains(&format!("Container {name}-and-another-one-1 Stopped"));
}
