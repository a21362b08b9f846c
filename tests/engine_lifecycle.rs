//! up / ps / down on the real engine with an Elastic-shaped stack of busybox services: start
//! order, discovery by name, injected settings, limits, data surviving down, idempotency,
//! recreation of a changed service alone, down -v; failing dependencies and missing images.

mod support;

use std::collections::BTreeMap;

use support::{TestProject, docker, ok, test_image};

fn stack(image: &str, es03_extra: &str) -> String {
    let node = |name: &str, after: &str, condition: &str, extra: &str| {
        format!(
            r#"  {name}:
    image: {image}
    command: ["sh", "-c", "test -f /certs/ca.crt && echo $$NODE_NAME/$$CLUSTER_NAME > /var/www/index.html && echo run >> /data/runs && touch /tmp/ready && exec httpd -f -p 8080 -h /var/www"]
    environment:
      NODE_NAME: {name}
      CLUSTER_NAME: ${{CLUSTER_NAME}}
{extra}    init: true
    stop_grace_period: 2s
    mem_limit: ${{ES_MEM}}
    cpus: 0.5
    volumes: ["certs:/certs:ro", "{name}data:/data"]
    depends_on:
      {after}: {{condition: {condition}}}
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 1s
      timeout: 2s
      retries: 60
"#
        )
    };
    format!(
        r#"services:
  setup:
    image: {image}
    command: ["sh", "-c", "echo secret > /certs/ca.crt"]
    volumes: ["certs:/certs"]
{}{}{}  kibana:
    image: {image}
    command: ["sh", "-c", "wget -q -O /tmp/es01 http://es01:8080/ && wget -q -O /tmp/es03 http://es03:8080/ && exec sleep 3600"]
    init: true
    depends_on:
      es01: {{condition: service_healthy}}
      es02: {{condition: service_healthy}}
      es03: {{condition: service_healthy}}
volumes:
  certs:
  es01data:
  es02data:
  es03data:
"#,
        node("es01", "setup", "service_completed_successfully", ""),
        node("es02", "es01", "service_healthy", ""),
        node("es03", "es02", "service_healthy", es03_extra),
    )
}

fn ids(p: &TestProject) -> BTreeMap<String, String> {
    let filter = p.label_filter();
    docker(&[
        "ps",
        "-a",
        "--filter",
        &filter,
        "--format",
        "{{.Names}} {{.ID}}",
    ])
    .lines()
    .filter_map(|l| l.split_once(' '))
    .map(|(n, id)| (n.to_string(), id.to_string()))
    .collect()
}

fn inspect(container: &str, format: &str) -> String {
    docker(&["inspect", "--format", format, container])
}

#[test]
fn elastic_shaped_stack_lifecycle() {
    let image = test_image();
    let p = TestProject::new("elastic");
    p.write(".env", "CLUSTER_NAME=search-test\nES_MEM=64m\n");
    p.write("compose.yml", &stack(image, ""));
    let name = p.name.as_str();
    let c = |svc: &str| format!("{name}-{svc}-1");

    ok(&p.rcompose(&["-p", name, "up", "-d"]), "up -d");

    // Start order, from the engine's own timestamps (RFC 3339, same zone: comparable as text).
    let started = |svc: &str| inspect(&c(svc), "{{.State.StartedAt}}");
    let finished_setup = inspect(&c("setup"), "{{.State.FinishedAt}}");
    assert!(finished_setup <= started("es01"));
    assert!(started("es01") < started("es02"));
    assert!(started("es02") < started("es03"));
    assert!(started("es03") < started("kibana"));
    assert_eq!(inspect(&c("setup"), "{{.State.ExitCode}}"), "0");

    // Discovery by service name, injected settings, limits.
    let page = docker(&["exec", &c("kibana"), "cat", "/tmp/es01", "/tmp/es03"]);
    assert_eq!(page, "es01/search-test\nes03/search-test");
    assert_eq!(inspect(&c("es02"), "{{.HostConfig.Memory}}"), "67108864");
    assert_eq!(inspect(&c("es02"), "{{.HostConfig.NanoCpus}}"), "500000000");
    assert_eq!(inspect(&c("es02"), "{{.HostConfig.Init}}"), "true");
    assert_eq!(inspect(&c("es02"), "{{.Config.StopTimeout}}"), "2");
    assert_eq!(
        inspect(
            &c("es01"),
            "{{index .Config.Labels \"com.docker.compose.project\"}}"
        ),
        name
    );

    // ps lists the running services with health.
    let ps = ok(&p.rcompose(&["-p", name, "ps"]), "ps");
    assert!(ps.starts_with("NAME "), "{ps}");
    assert!(ps.contains(&c("es01")) && ps.contains("(healthy)"), "{ps}");
    assert!(!ps.contains(&c("setup")), "{ps}");
    let services = ok(&p.rcompose(&["-p", name, "ps", "-a", "--services"]), "ps");
    assert_eq!(services, "es01\nes02\nes03\nkibana\nsetup\n");

    // Idempotent: a second up keeps every container.
    let before = ids(&p);
    ok(&p.rcompose(&["-p", name, "up", "-d"]), "second up");
    assert_eq!(ids(&p), before);

    // A change to es03 recreates es03 alone.
    p.write("compose.yml", &stack(image, "      EXTRA: changed\n"));
    let dry = ok(
        &p.rcompose(&["-p", name, "up", "-d", "--dry-run"]),
        "dry run",
    );
    assert!(dry.contains("recreate"), "{dry}");
    assert_eq!(ids(&p), before, "--dry-run must not touch anything");
    ok(&p.rcompose(&["-p", name, "up", "-d"]), "up after change");
    let after = ids(&p);
    for (container, id) in &before {
        if container == &c("es03") {
            assert_ne!(after.get(container), Some(id), "es03 must be recreated");
        } else {
            assert_eq!(after.get(container), Some(id), "{container} must be kept");
        }
    }

    // Data survives down and up; down -v removes volumes.
    ok(&p.rcompose(&["-p", name, "down"]), "down");
    assert!(p.ids("container").is_empty());
    assert_eq!(p.ids("volume").len(), 4);
    ok(&p.rcompose(&["-p", name, "up", "-d", "--wait"]), "up again");
    let runs = docker(&["exec", &c("es01"), "cat", "/data/runs"]);
    assert_eq!(runs, "run\nrun", "data must survive down");
    ok(&p.rcompose(&["-p", name, "down", "-v"]), "down -v");
    assert!(p.ids("container").is_empty());
    assert!(p.ids("volume").is_empty());
    assert!(p.ids("network").is_empty());
}

#[test]
fn failing_dependency_stops_the_rollout() {
    let image = test_image();
    let p = TestProject::new("failing-dep");
    p.write(
        "compose.yml",
        &format!(
            r#"services:
  setup:
    image: {image}
    command: ["sh", "-c", "echo cannot write certificates; exit 3"]
  app:
    image: {image}
    command: ["sleep", "3600"]
    init: true
    depends_on:
      setup: {{condition: service_completed_successfully}}
"#
        ),
    );
    let out = p.rcompose(&["-p", &p.name, "up", "-d"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("service \"setup\" didn't complete successfully: exit 3"),
        "{err}"
    );
    assert!(err.contains("cannot write certificates"), "{err}");
    // The dependent was created ahead (as docker compose v2 creates every container before
    // starting any) and never started.
    let app = format!("{}-app-1", p.name);
    assert_eq!(
        docker(&["inspect", "--format", "{{.State.Status}}", &app]),
        "created"
    );
}

#[test]
fn unhealthy_dependency_is_named() {
    let image = test_image();
    let p = TestProject::new("unhealthy");
    p.write(
        "compose.yml",
        &format!(
            r#"services:
  db:
    image: {image}
    command: ["sleep", "3600"]
    init: true
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/never"]
      interval: 1s
      retries: 2
  app:
    image: {image}
    command: ["sleep", "3600"]
    init: true
    depends_on:
      db: {{condition: service_healthy}}
"#
        ),
    );
    let out = p.rcompose(&["-p", &p.name, "up", "-d"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains(&format!("container {}-db-1 is unhealthy", p.name)),
        "{err}"
    );
}

#[test]
fn missing_image_is_one_clear_line() {
    let p = TestProject::new("missing-image");
    p.write(
        "compose.yml",
        "services:\n  web:\n    image: rcompose-test/does-not-exist:1\n",
    );
    let out = p.rcompose(&["-p", &p.name, "up", "-d"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{err}");
    assert!(
        errors[0].starts_with(
            "error: cannot pull rcompose-test/does-not-exist:1 from registry docker.io: "
        ),
        "{err}"
    );
}

#[test]
fn docker_compose_interop() {
    let image = test_image();
    if !support::docker_ok(&["info"]) || which("docker-compose").is_none() {
        panic!("docker-compose 1.29 is required (apt-get install docker-compose)");
    }
    let p = TestProject::new("interop");
    p.write(
        "docker-compose.yml",
        &format!(
            "version: \"2.4\"\nservices:\n  web:\n    image: {image}\n    command: [\"sleep\", \"3600\"]\n  worker:\n    image: {image}\n    command: [\"sleep\", \"3600\"]\n"
        ),
    );
    let name = p.name.clone();
    ok(&p.rcompose(&["-p", &name, "up", "-d"]), "up");
    let listed = compose(&p, &["-p", &name, "ps"]);
    assert!(listed.contains(&format!("{name}-web-1")), "{listed}");
    assert!(listed.contains(&format!("{name}-worker-1")), "{listed}");
    ok(&p.rcompose(&["-p", &name, "down"]), "down");

    // And the other way round: a project docker-compose started.
    compose(&p, &["-p", &name, "up", "-d"]);
    let ps = ok(&p.rcompose(&["-p", &name, "ps"]), "ps");
    assert!(ps.contains("web") && ps.contains("worker"), "{ps}");
    ok(&p.rcompose(&["-p", &name, "down"]), "down");
    assert!(p.ids("container").is_empty());
    assert!(p.ids("network").is_empty());
}

fn which(cmd: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(cmd))
            .find(|p| p.is_file())
    })
}

fn compose(p: &TestProject, args: &[&str]) -> String {
    let out = std::process::Command::new("docker-compose")
        .args(args)
        .current_dir(&p.dir)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run docker-compose: {e}"));
    ok(&out, "docker-compose")
}

/// Container start events of project `p`, read from `docker events` on a thread of its own.
struct StartEvents {
    child: std::process::Child,
    names: std::sync::mpsc::Receiver<String>,
}

impl StartEvents {
    fn listen(p: &TestProject) -> StartEvents {
        use std::io::BufRead;
        let mut child = std::process::Command::new("docker")
            .args([
                "events",
                "--filter",
                &p.label_filter(),
                "--filter",
                "event=start",
                "--format",
                "{{.Actor.Attributes.name}}",
            ])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("docker events");
        let stdout = child.stdout.take().expect("stdout of docker events");
        let (sender, names) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        StartEvents { child, names }
    }

    /// Wait for the start of container `name`; the names started before it.
    fn wait_for(&self, name: &str) -> Vec<String> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let mut before = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.names.recv_timeout(left) {
                Ok(started) if started == name => return before,
                Ok(started) => before.push(started),
                Err(_) => panic!("{name} did not start within 60 s; started: {before:?}"),
            }
        }
    }
}

impl Drop for StartEvents {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_dependent_starts_when_its_own_dependencies_hold_not_when_a_wave_is_done() {
    let image = test_image();
    let p = TestProject::new("own-deps");
    // `slow` turns healthy only when the test says so; `d` needs only `b`, which needs only
    // `fast`. Started by waves, `d` would wait for `c`, and so for `slow`.
    p.write(
        "compose.yml",
        &format!(
            r#"x-svc: &svc
  image: {image}
  init: true
  stop_grace_period: 1s
services:
  slow:
    <<: *svc
    command: ["sleep", "600"]
    healthcheck: {{test: ["CMD", "test", "-f", "/tmp/ready"], interval: 1s, retries: 600}}
  fast:
    <<: *svc
    command: ["sh", "-c", "touch /tmp/ready; exec sleep 600"]
    healthcheck: {{test: ["CMD", "test", "-f", "/tmp/ready"], interval: 1s, retries: 60}}
  b:
    <<: *svc
    command: ["sleep", "600"]
    depends_on: {{fast: {{condition: service_healthy}}}}
  c:
    <<: *svc
    command: ["sleep", "600"]
    depends_on: {{slow: {{condition: service_healthy}}}}
  d:
    <<: *svc
    command: ["sleep", "600"]
    depends_on: {{b: {{condition: service_started}}}}
"#
        ),
    );
    let events = StartEvents::listen(&p);
    let up = std::process::Command::new(env!("CARGO_BIN_EXE_rcompose"))
        .args(["-p", &p.name, "up", "-d"])
        .current_dir(&p.dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("rcompose up");
    let c = |s: &str| format!("{}-{s}-1", p.name);
    let before = events.wait_for(&c("d"));
    assert!(!before.contains(&c("c")), "c started before d: {before:?}");
    assert_eq!(
        docker(&["inspect", "--format", "{{.State.Status}}", &c("c")]),
        "created",
        "c is created ahead and waits for slow"
    );
    docker(&["exec", &c("slow"), "touch", "/tmp/ready"]);
    let out = up.wait_with_output().expect("rcompose up");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        docker(&["inspect", "--format", "{{.State.Status}}", &c("c")]),
        "running"
    );
}

#[test]
fn without_a_compose_file_the_project_is_found_on_the_engine_by_its_labels() {
    let image = test_image();
    let p = TestProject::new("found-by-labels");
    let q = TestProject::new("found-by-labels-other");
    let file = |name: &str| {
        format!(
            "name: {name}\nservices:\n  web:\n    image: {image}\n    command: [\"sleep\", \"600\"]\n    init: true\n    stop_grace_period: 1s\n"
        )
    };
    // The file lies in a subdirectory: the project directory itself has no compose file.
    p.write("stack/app.yml", &file(&p.name));
    ok(
        &p.rcompose(&["up", "-d", "stack/app.yml"]),
        "up stack/app.yml",
    );
    let web = format!("{}-web-1", p.name);

    let ps = ok(
        &p.rcompose(&["ps", "--format", "json"]),
        "ps without a file",
    );
    assert!(ps.contains(&web), "{ps}");

    // A second project started from a file under the same directory: which one is meant is
    // no longer clear, and the error lists both.
    let other = p.dir.join("other");
    std::fs::create_dir_all(&other).expect("create other/");
    std::fs::write(other.join("compose.yml"), file(&q.name)).expect("write other/compose.yml");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rcompose"))
        .args(["up", "-d"])
        .current_dir(&other)
        .output()
        .expect("rcompose up in other/");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = p.rcompose(&["down"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "down with two candidates must fail");
    assert!(
        err.contains("several projects") && err.contains(&p.name) && err.contains(&q.name),
        "{err}"
    );
    assert_eq!(
        docker(&["inspect", "--format", "{{.State.Status}}", &web]),
        "running",
        "nothing was taken down"
    );

    // In the other directory its own compose file names the project.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rcompose"))
        .args(["down"])
        .current_dir(&other)
        .output()
        .expect("rcompose down in other/");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(q.ids("container").is_empty());
    std::fs::remove_dir_all(&other).expect("remove other/");
    // The compose file of `other` is gone, so the project must be found by labels; the
    // only candidate left under the directory is p.
    ok(&p.rcompose(&["down"]), "down without a file");
    assert!(p.ids("container").is_empty());
    assert!(p.ids("network").is_empty());
}

#[test]
fn start_waits_for_the_conditions_of_depends_on() {
    let image = test_image();
    let p = TestProject::new("start-conditions");
    p.write(
        "compose.yml",
        &format!(
            r#"services:
  db:
    image: {image}
    command: ["sleep", "600"]
    init: true
    stop_grace_period: 1s
    healthcheck: {{test: ["CMD", "test", "-f", "/tmp/ready"], interval: 1s, retries: 600}}
  app:
    image: {image}
    command: ["sleep", "600"]
    init: true
    stop_grace_period: 1s
    depends_on: {{db: {{condition: service_healthy}}}}
"#
        ),
    );
    ok(
        &p.rcompose(&["-p", &p.name, "up", "--no-start"]),
        "up --no-start",
    );
    let since = docker(&["info", "--format", "{{.SystemTime}}"]);
    let events = StartEvents::listen(&p);
    let start = std::process::Command::new(env!("CARGO_BIN_EXE_rcompose"))
        .args(["-p", &p.name, "start"])
        .current_dir(&p.dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("rcompose start");
    let c = |s: &str| format!("{}-{s}-1", p.name);
    events.wait_for(&c("db"));
    // db runs but is not healthy: app waits, as with docker compose.
    assert_eq!(
        docker(&["inspect", "--format", "{{.State.Status}}", &c("app")]),
        "created"
    );
    docker(&["exec", &c("db"), "touch", "/tmp/ready"]);
    let before = events.wait_for(&c("app"));
    assert!(before.is_empty(), "{before:?}");
    let out = start.wait_with_output().expect("rcompose start");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The engine's own record: app started after db turned healthy.
    let now = docker(&["info", "--format", "{{.SystemTime}}"]);
    let log = docker(&[
        "events",
        "--since",
        &since,
        "--until",
        &now,
        "--filter",
        &p.label_filter(),
        "--format",
        "{{.Action}}|{{.Actor.Attributes.name}}",
    ]);
    let at = |wanted: &str| {
        log.lines()
            .position(|l| l == wanted)
            .unwrap_or_else(|| panic!("no {wanted:?} in:\n{log}"))
    };
    assert!(
        at(&format!("health_status: healthy|{}", c("db"))) < at(&format!("start|{}", c("app"))),
        "{log}"
    );
}
