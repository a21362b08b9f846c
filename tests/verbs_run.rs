//! `rcompose run` on the real engine: one-off containers named `<project>-<service>-run-<id>`
//! and labelled `oneoff=True`, the exit code passed through, `--rm`, `-d`, dependencies started
//! first (and waited for), `--no-deps`, and the overrides (`-e`, `-w`, `-u`, `-v`, `-p`,
//! `--service-ports`, `--entrypoint`, `--name`).

mod support;

use support::{TestProject, docker, ok, test_image};

fn compose(image: &str) -> String {
    format!(
        r#"services:
  db:
    image: {image}
    init: true
    stop_grace_period: 1s
    command: ["sh", "-c", "touch /tmp/ready && exec httpd -f -p 8080 -h /tmp"]
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 1s
      retries: 30
  app:
    image: {image}
    command: ["echo", "default command"]
    ports: ["18080:80"]
    environment:
      FROM_FILE: yes
    depends_on:
      db: {{condition: service_healthy}}
"#
    )
}

fn names(p: &TestProject) -> Vec<String> {
    let filter = p.label_filter();
    let mut list: Vec<String> =
        docker(&["ps", "-a", "--filter", &filter, "--format", "{{.Names}}"])
            .lines()
            .map(str::to_string)
            .collect();
    list.sort();
    list
}

#[test]
fn run_starts_dependencies_and_passes_the_exit_code() {
    let image = test_image();
    let p = TestProject::new("run");
    p.write("compose.yml", &compose(image));
    let name = p.name.as_str();

    // The dependency is started and healthy first: the one-off reaches it by name.
    let out = p.rcompose(&[
        "-p",
        name,
        "run",
        "--rm",
        "app",
        "sh",
        "-c",
        "wget -q -O /dev/null http://db:8080/ready && echo reached db; exit 3",
    ]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "reached db\n");
    assert_eq!(
        names(&p),
        [format!("{name}-db-1")],
        "--rm removed the one-off"
    );

    // The service's own command, environment and the -e/-w/-u overrides.
    let out = ok(
        &p.rcompose(&["-p", name, "run", "--rm", "app"]),
        "run default",
    );
    assert_eq!(out, "default command\n");
    let out = ok(
        &p.rcompose(&[
            "-p",
            name,
            "run",
            "--rm",
            "-e",
            "EXTRA=1",
            "-w",
            "/tmp",
            "-u",
            "nobody",
            "app",
            "sh",
            "-c",
            "echo $FROM_FILE $EXTRA $(pwd) $(id -u)",
        ]),
        "run with overrides",
    );
    assert_eq!(out, "yes 1 /tmp 65534\n");

    // --entrypoint, and -v with a host directory.
    p.write("data/hello.txt", "from the host\n");
    let out = ok(
        &p.rcompose(&[
            "-p",
            name,
            "run",
            "--rm",
            "--no-deps",
            "-v",
            "./data:/data:ro",
            "--entrypoint",
            "cat",
            "app",
            "/data/hello.txt",
        ]),
        "run --entrypoint -v",
    );
    assert_eq!(out, "from the host\n");

    // Detached: the name is printed; labels and name follow compose.
    let out = ok(
        &p.rcompose(&["-p", name, "run", "-d", "app", "sleep", "300"]),
        "run -d",
    );
    let container = out.trim().to_string();
    let prefix = format!("{name}-app-run-");
    assert!(container.starts_with(&prefix), "{container}");
    let id = &container[prefix.len()..];
    assert_eq!(id.len(), 12);
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()), "{id}");
    let label = |key: &str| {
        docker(&[
            "inspect",
            "--format",
            &format!("{{{{ index .Config.Labels \"{key}\" }}}}"),
            &container,
        ])
    };
    assert_eq!(label("com.docker.compose.oneoff"), "True");
    assert_eq!(label("com.docker.compose.service"), "app");
    assert_eq!(label("com.docker.compose.project"), name);
    assert!(label("com.docker.compose.slug").starts_with(id));
    // Service ports are not published by default...
    let bindings = docker(&[
        "inspect",
        "--format",
        "{{json .HostConfig.PortBindings}}",
        &container,
    ]);
    assert!(bindings == "{}" || bindings == "null", "{bindings}");
    // ... `ps` does not list one-off containers, and `down` removes them.
    let ps = ok(&p.rcompose(&["-p", name, "ps", "-a"]), "ps");
    assert!(!ps.contains(&prefix), "{ps}");

    // --name, -p and --service-ports.
    let custom = format!("{name}-custom");
    ok(
        &p.rcompose(&[
            "-p",
            name,
            "run",
            "-d",
            "--no-deps",
            "--name",
            &custom,
            "-p",
            "127.0.0.1::81",
            "--service-ports",
            "app",
            "sleep",
            "300",
        ]),
        "run --name -p --service-ports",
    );
    let bindings = docker(&[
        "inspect",
        "--format",
        "{{json .HostConfig.PortBindings}}",
        &custom,
    ]);
    assert!(
        bindings.contains("\"80/tcp\"") && bindings.contains("18080"),
        "{bindings}"
    );
    assert!(
        bindings.contains("\"81/tcp\"") && bindings.contains("127.0.0.1"),
        "{bindings}"
    );

    ok(&p.rcompose(&["-p", name, "down"]), "down");
    assert!(
        names(&p).is_empty(),
        "down removes one-off containers: {:?}",
        names(&p)
    );
}

#[test]
fn run_without_dependencies() {
    let image = test_image();
    let p = TestProject::new("run-nodeps");
    p.write("compose.yml", &compose(image));
    let out = ok(
        &p.rcompose(&[
            "-p",
            &p.name,
            "run",
            "--rm",
            "--no-deps",
            "app",
            "echo",
            "alone",
        ]),
        "run --no-deps",
    );
    assert_eq!(out, "alone\n");
    assert!(names(&p).is_empty(), "{:?}", names(&p));
}

/// `run -d` keeps the one-off's standard input open (as docker compose does), so a command
/// that reads it waits instead of ending at once; `--interactive=false` closes it.
#[test]
fn run_detached_keeps_stdin_open() {
    let image = test_image();
    let p = TestProject::new("run-stdin");
    p.write(
        "compose.yml",
        &format!("services:\n  web:\n    image: {image}\n    init: true\n"),
    );
    let name = p.name.as_str();
    let id = ok(
        &p.compose(&["-p", name, "run", "-d", "web", "cat"]),
        "run -d",
    );
    let id = id.trim();
    let stdin = |id: &str| {
        docker(&[
            "inspect",
            "-f",
            "{{.Config.OpenStdin}} {{.Config.StdinOnce}} {{.Config.AttachStdin}}",
            id,
        ])
    };
    assert_eq!(stdin(id), "true true true");
    // `cat` on an open standard input keeps running.
    assert_eq!(docker(&["exec", id, "echo", "alive"]), "alive");
    let id = ok(
        &p.compose(&[
            "-p",
            name,
            "run",
            "-d",
            "--interactive=false",
            "web",
            "true",
        ]),
        "run -d --interactive=false",
    );
    assert_eq!(stdin(id.trim()), "false false false");
}
