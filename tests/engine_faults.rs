//! Engine faults on the real engine, each with the message a user gets: the daemon is not
//! there, an image is missing with no registry, a host port is taken, a container name is
//! taken, a container exits at once, a health check never passes, a dependency fails, and a
//! container is killed for exceeding its memory limit.

mod support;

use std::net::TcpListener;
use std::process::Output;

use support::{TestProject, docker, docker_ok, stderr, test_image};

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn ok(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        stdout(out),
        stderr(out)
    );
    stdout(out)
}

/// A failed run: exit code 1, no panic; its standard error.
fn failed(out: &Output, what: &str) -> String {
    let err = stderr(out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{what} must fail with exit code 1:\n{}\n{err}",
        stdout(out)
    );
    assert!(!err.contains("panicked"), "{err}");
    err
}

/// Names of the project's containers with their state, sorted.
/// A TCP port nobody listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("0.0.0.0:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

#[test]
fn an_unreachable_daemon_is_one_line_and_exit_1() {
    let image = test_image();
    let p = TestProject::new("no-daemon");
    p.write(
        "compose.yml",
        &format!("services:\n  web:\n    image: {image}\n"),
    );
    for verb in [&["up", "-d"][..], &["ps"], &["down"]] {
        let mut args = vec!["-p", p.name.as_str()];
        args.extend_from_slice(verb);
        let out = p.rcompose_with_env(&args, &[("DOCKER_HOST", "unix:///nonexistent.sock")]);
        let err = failed(&out, &format!("{verb:?}"));
        let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(
            errors,
            [
                "error: cannot connect to the Docker daemon at unix:///nonexistent.sock: no such socket file"
            ],
            "{err}"
        );
        assert!(err.lines().count() <= 2, "one line and a hint:\n{err}");
    }
}

#[test]
fn a_missing_image_with_no_registry_is_one_clear_line() {
    let p = TestProject::new("no-registry");
    // Nothing listens on port 1: the pull fails at once, without a registry.
    p.write(
        "compose.yml",
        "services:\n  web:\n    image: localhost:1/rcompose-test/missing:1\n",
    );
    let err = failed(&p.rcompose(&["-p", &p.name, "up", "-d"]), "up");
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(
        errors,
        [
            "error: cannot pull localhost:1/rcompose-test/missing:1 from registry localhost:1: connection refused"
        ],
        "{err}"
    );
    // With `pull_policy: never`, no registry is asked at all.
    p.write(
        "compose.yml",
        "services:\n  web:\n    image: rcompose-test/missing:1\n    pull_policy: never\n",
    );
    let err = failed(&p.rcompose(&["-p", &p.name, "up", "-d"]), "up");
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{err}");
    assert!(errors[0].contains("rcompose-test/missing:1"), "{err}");
    assert!(!err.contains("Pulling"), "{err}");
    assert!(p.ids("container").is_empty());
}

#[test]
fn a_host_port_in_use_names_the_service_and_the_port() {
    let image = test_image();
    // Taken by a local process...
    let listener = TcpListener::bind("0.0.0.0:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let p = TestProject::new("port-process");
    p.write(
        "compose.yml",
        &format!(
            "services:\n  web:\n    image: {image}\n    command: [\"httpd\", \"-f\", \"-p\", \"80\"]\n    ports: [\"{port}:80\"]\n"
        ),
    );
    let err = failed(&p.rcompose(&["-p", &p.name, "up", "-d"]), "up");
    assert!(err.contains("service \"web\""), "{err}");
    assert!(err.contains(&port.to_string()), "{err}");
    assert!(err.contains("free it or change `ports:`"), "{err}");
    drop(listener);
    // ... and the next up, with the port free, converges.
    ok(
        &p.rcompose(&["-p", &p.name, "up", "-d"]),
        "up with the port free",
    );
    assert_eq!(p.states(), [format!("{}-web-1 running", p.name)]);

    // Taken by another container.
    let port = free_port();
    let holder = format!("{}-holder", p.name);
    docker(&[
        "run",
        "-d",
        "--name",
        &holder,
        "-p",
        &format!("{port}:80"),
        image,
        "httpd",
        "-f",
        "-p",
        "80",
    ]);
    let q = TestProject::new("port-container");
    q.write(
        "compose.yml",
        &format!(
            "services:\n  api:\n    image: {image}\n    command: [\"httpd\", \"-f\", \"-p\", \"80\"]\n    ports: [\"{port}:80\"]\n"
        ),
    );
    let out = q.rcompose(&["-p", &q.name, "up", "-d"]);
    let _ = docker_ok(&["rm", "-f", &holder]);
    let err = failed(&out, "up");
    assert!(err.contains("service \"api\""), "{err}");
    assert!(err.contains(&port.to_string()), "{err}");
}

#[test]
fn a_container_name_taken_by_someone_else_is_named_and_left_alone() {
    let image = test_image();
    let p = TestProject::new("name-taken");
    let foreign = format!("{}-foreign", p.name);
    docker(&["run", "-d", "--name", &foreign, image, "sleep", "600"]);
    let foreign_id = docker(&["inspect", "-f", "{{.Id}}", &foreign]);
    p.write(
        "compose.yml",
        &format!(
            "services:\n  db:\n    image: {image}\n    container_name: {foreign}\n    command: [\"sleep\", \"600\"]\n"
        ),
    );
    let out = p.rcompose(&["-p", &p.name, "up", "-d"]);
    let still = docker(&["inspect", "-f", "{{.Id}} {{.State.Status}}", &foreign]);
    let _ = docker_ok(&["rm", "-f", &foreign]);
    let err = failed(&out, "up");
    assert!(
        err.contains(&format!(
            "service \"db\": the container name \"{foreign}\" is already in use by a container that does not belong to this project"
        )),
        "{err}"
    );
    assert!(err.contains(&format!("docker rm -f {foreign}")), "{err}");
    assert_eq!(
        still,
        format!("{foreign_id} running"),
        "the foreign container is untouched"
    );
}

#[test]
fn a_container_that_exits_at_once_is_reported_with_its_exit_code() {
    let image = test_image();
    let p = TestProject::new("exits");
    p.write(
        "compose.yml",
        &format!(
            "services:\n  job:\n    image: {image}\n    command: [\"sh\", \"-c\", \"echo giving up; exit 3\"]\n    healthcheck:\n      test: [\"CMD\", \"true\"]\n      interval: 1s\n"
        ),
    );
    // --wait (for health, which can only come after the exit): an error naming the service,
    // the container and the exit code.
    let err = failed(&p.rcompose(&["-p", &p.name, "up", "--wait"]), "up --wait");
    assert!(
        err.contains(&format!(
            "service \"job\": container {}-job-1 exited (3)",
            p.name
        )),
        "{err}"
    );
    // Attached: its output, then how it ended.
    let out = p.rcompose(&["-p", &p.name, "up"]);
    let text = stdout(&out);
    assert!(text.contains("giving up"), "{text}");
    // Named as its log prefix names it, as docker compose does.
    assert!(
        text.lines().any(|l| l == "job-1 exited with code 3"),
        "{text}"
    );
    // ps shows it too.
    let ps = ok(&p.rcompose(&["-p", &p.name, "ps", "-a"]), "ps");
    assert!(ps.contains("Exited (3)"), "{ps}");
}

fn never_healthy(image: &str, extra: &str) -> String {
    format!(
        r#"services:
  db:
    image: {image}
    command: ["sleep", "600"]
    init: true
    healthcheck:
      test: ["CMD", "false"]
      interval: 1s
      retries: 1000
{extra}"#
    )
}

#[test]
fn a_health_check_that_never_passes_times_out_with_the_service_named() {
    let image = test_image();
    let p = TestProject::new("never-healthy");
    p.write("compose.yml", &never_healthy(image, ""));
    let err = failed(
        &p.rcompose(&["-p", &p.name, "up", "--wait", "--wait-timeout", "3"]),
        "up --wait",
    );
    // docker compose's words, then which container it was.
    assert!(err.contains("application not healthy after 3s"), "{err}");
    assert!(
        err.contains(&format!(
            "container {}-db-1 (service \"db\") was not healthy in time",
            p.name
        )),
        "{err}"
    );

    // A dependency wait is bounded by --wait-timeout too; the dependent, created ahead as
    // docker compose v2 creates every container before starting any, is never started.
    let q = TestProject::new("never-healthy-dep");
    q.write(
        "compose.yml",
        &never_healthy(
            image,
            "  app:\n    image: IMAGE\n    command: [\"sleep\", \"600\"]\n    depends_on:\n      db: {condition: service_healthy}\n"
                .replace("IMAGE", image)
                .as_str(),
        ),
    );
    let err = failed(
        &q.rcompose(&["-p", &q.name, "up", "-d", "--wait-timeout", "3"]),
        "up",
    );
    assert!(
        err.contains(&format!(
            "dependency failed to start: container {}-db-1 (service \"db\") did not become healthy within the --wait-timeout (needed by service \"app\", which was not started)",
            q.name
        )),
        "{err}"
    );
    assert_eq!(
        q.states(),
        [
            format!("{}-app-1 created", q.name),
            format!("{}-db-1 running", q.name)
        ]
    );
}

#[test]
fn a_failing_dependency_stops_its_dependents_and_tears_nothing_down() {
    let image = test_image();
    let p = TestProject::new("failing-dep");
    p.write(
        "compose.yml",
        &format!(
            r#"services:
  cache:
    image: {image}
    command: ["sleep", "600"]
    init: true
  db:
    image: {image}
    command: ["sh", "-c", "echo corrupt data directory; exit 1"]
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
  app:
    image: {image}
    command: ["sleep", "600"]
    init: true
    depends_on:
      db: {{condition: service_healthy}}
      cache: {{condition: service_started}}
"#
        ),
    );
    let err = failed(&p.rcompose(&["-p", &p.name, "up", "-d"]), "up");
    assert!(
        err.contains(&format!(
            "dependency failed to start: container {}-db-1 exited (1) (needed by service \"app\", which was not started)",
            p.name
        )),
        "{err}"
    );
    assert!(err.contains("corrupt data directory"), "{err}");
    // The dependent was never started; the rest is still there as it was.
    assert_eq!(
        p.states(),
        [
            format!("{}-app-1 created", p.name),
            format!("{}-cache-1 running", p.name),
            format!("{}-db-1 exited", p.name)
        ]
    );
    assert_eq!(p.ids("network").len(), 1);
}

#[test]
fn a_container_killed_for_exceeding_its_memory_limit_is_reported_as_out_of_memory() {
    let image = test_image();
    let p = TestProject::new("oom");
    p.write(
        "compose.yml",
        &format!(
            r#"services:
  hog:
    image: {image}
    command: ["tail", "/dev/zero"]
    mem_limit: 8m
  app:
    image: {image}
    command: ["sleep", "600"]
    depends_on:
      hog: {{condition: service_completed_successfully}}
"#
        ),
    );
    let err = failed(&p.rcompose(&["-p", &p.name, "up", "-d"]), "up");
    assert!(
        err.contains("service \"hog\" didn't complete successfully: exit 137"),
        "{err}"
    );
    assert!(
        err.contains("out of memory (OOMKilled: the kernel killed it for exceeding its memory limit of 8 MiB)"),
        "{err}"
    );
    let hog = format!("{}-hog-1", p.name);
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.OOMKilled}}", &hog]),
        "true"
    );
    let ps = ok(&p.rcompose(&["-p", &p.name, "ps", "-a"]), "ps");
    let line = ps.lines().find(|l| l.starts_with(&hog)).unwrap_or_default();
    assert!(
        line.contains("Exited (137)") && line.contains("(out of memory)"),
        "{ps}"
    );
}
