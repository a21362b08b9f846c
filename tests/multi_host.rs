//! Beyond one machine: rcompose against engines in other network namespaces — reached over
//! `ssh://` and through docker contexts — and a three-node swarm that loses a node.
//!
//! The engines are those of the test bed in `support::testbed`: one bed for the whole test
//! binary (node1 runs sshd, node2 also listens on TCP with TLS, node3 is a worker that the swarm
//! test stops), removed when the binary exits. rcompose runs in the bed's client namespace, the
//! "user's machine": the bed's addresses exist nowhere else. The compose scenarios run the
//! implementation under test (`RCOMPOSE_TEST_AGAINST=reference` runs them with Docker Compose).

mod support;

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Output, Stdio};
use std::sync::Arc;

use support::testbed::{self, Bed, Node, Spec};
use support::{TestProject, compose_under_test, docker, ok, stderr, test_image};

fn bed() -> Arc<Bed> {
    testbed::shared(&Spec {
        nodes: 3,
        ssh_node: Some(1),
        tls_node: Some(2),
        images: vec![test_image().to_string()],
    })
}

/// Run `program` with `args` in `project`'s directory on the user's machine (the client
/// namespace), with `env` set and nothing inherited that would pick an engine.
fn on_client(
    bed: &Bed,
    program: impl AsRef<OsStr>,
    project: &TestProject,
    args: &[&str],
    env: &[(&str, &str)],
) -> Output {
    bed.client_command(program)
        .args(args)
        .current_dir(&project.dir)
        .env_remove("COMPOSE_PROJECT_NAME")
        .env_remove("DOCKER_HOST")
        .env_remove("DOCKER_CONTEXT")
        .env("DOCKER_CONFIG", project.dir.join(".docker"))
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {args:?} in the client namespace: {e}"))
}

/// The implementation under test, on the user's machine.
fn compose(bed: &Bed, project: &TestProject, args: &[&str], env: &[(&str, &str)]) -> Output {
    on_client(bed, compose_under_test(), project, args, env)
}

/// rcompose itself, on the user's machine.
fn rcompose(bed: &Bed, project: &TestProject, args: &[&str], env: &[(&str, &str)]) -> Output {
    on_client(bed, env!("CARGO_BIN_EXE_rcompose"), project, args, env)
}

/// The docker CLI on the user's machine, with the project's own CLI configuration.
fn docker_cli(bed: &Bed, project: &TestProject, args: &[&str]) -> String {
    let out = on_client(bed, "docker", project, args, &[]);
    ok(&out, &format!("docker {args:?}"))
}

/// A web server and a client of it, on a network of their own.
fn small_stack() -> String {
    format!(
        r#"services:
  web:
    image: {image}
    command: ["sh", "-c", "echo served by $$(hostname) > /tmp/index.html && exec httpd -f -p 8080 -h /tmp"]
    hostname: web
    stop_grace_period: 1s
  client:
    image: {image}
    command: {looping}
    stop_grace_period: 1s
    depends_on: [web]
"#,
        image = test_image(),
        looping = support::LOOPING,
    )
}

/// `<service> <state>` of the project's containers on `node`, sorted.
fn states_on(node: &Node, project: &TestProject) -> Vec<String> {
    let mut states: Vec<String> = node
        .docker(&[
            "ps",
            "-a",
            "--filter",
            &project.label_filter(),
            "--format",
            "{{.Label \"com.docker.compose.service\"}} {{.State}}",
        ])
        .lines()
        .map(str::to_string)
        .collect();
    states.sort();
    states
}

/// `up`, `ps`, `exec` and `down` of the small stack with `env` choosing the engine, which is
/// `node`'s; the machine's own engine sees none of it.
fn ps_up_down(bed: &Bed, node: &Node, project: &TestProject, env: &[(&str, &str)]) {
    project.write("compose.yaml", &small_stack());
    ok(
        &compose(bed, project, &["up", "-d", "--wait"], env),
        "up -d --wait",
    );
    assert_eq!(
        states_on(node, project),
        ["client running", "web running"],
        "on {}",
        node.name
    );
    assert_eq!(
        docker(&["ps", "-aq", "--filter", &project.label_filter()]),
        "",
        "the machine's own engine got containers"
    );
    let running = ok(
        &compose(
            bed,
            project,
            &["ps", "--services", "--status", "running"],
            env,
        ),
        "ps",
    );
    let mut services: Vec<&str> = running.lines().collect();
    services.sort();
    assert_eq!(services, ["client", "web"]);
    // exec: a hijacked connection through the same transport.
    let page = ok(
        &compose(
            bed,
            project,
            &[
                "exec",
                "-T",
                "client",
                "timeout",
                "5",
                "wget",
                "-qO-",
                "http://web:8080/",
            ],
            env,
        ),
        "exec",
    );
    assert_eq!(page.trim(), "served by web");
    ok(&compose(bed, project, &["down"], env), "down");
    assert_eq!(states_on(node, project), Vec::<String>::new());
    let networks = node.docker(&["network", "ls", "-q", "--filter", &project.label_filter()]);
    assert_eq!(networks, "", "networks left on {}", node.name);
}

#[test]
fn ps_up_down_over_ssh() {
    let bed = bed();
    let ssh = bed.ssh.as_ref().expect("the bed runs sshd");
    let host = format!("ssh://{}", ssh.destination);
    let project = TestProject::new("remote-ssh");
    ps_up_down(&bed, &bed.nodes[0], &project, &[("DOCKER_HOST", &host)]);
}

#[test]
fn ssh_failures_name_the_host_and_what_to_check() {
    let bed = bed();
    let project = TestProject::new("remote-ssh-error");
    project.write("compose.yaml", &small_stack());
    // node2 runs no sshd.
    let host = format!("ssh://root@{}", bed.nodes[1].address);
    let out = rcompose(&bed, &project, &["ps"], &[("DOCKER_HOST", &host)]);
    assert!(!out.status.success());
    let text = stderr(&out);
    assert!(
        text.starts_with(&format!(
            "error: cannot connect to the Docker daemon at {host}: ssh: connect to host {} port \
             22: Connection refused\n",
            bed.nodes[1].address
        )),
        "{text}"
    );
    assert!(text.contains("hint: check that `ssh -l root"), "{text}");
}

#[test]
fn ps_up_down_through_docker_contexts() {
    let bed = bed();
    let ssh = bed.ssh.as_ref().expect("the bed runs sshd");
    let tls = bed.tls.as_ref().expect("the bed has a TLS engine");
    let project = TestProject::new("remote-context");
    // Contexts made by the docker CLI itself, in the project's own CLI configuration.
    docker_cli(
        &bed,
        &project,
        &[
            "context",
            "create",
            "rctb-ssh",
            "--docker",
            &format!("host=ssh://{}", ssh.destination),
        ],
    );
    docker_cli(
        &bed,
        &project,
        &[
            "context",
            "create",
            "rctb-tls",
            "--docker",
            &format!(
                "host={},ca={},cert={},key={}",
                tls.host,
                tls.ca.display(),
                tls.cert.display(),
                tls.key.display()
            ),
        ],
    );

    // DOCKER_CONTEXT: a context with TLS material, to node2's TCP socket.
    ps_up_down(
        &bed,
        &bed.nodes[1],
        &project,
        &[("DOCKER_CONTEXT", "rctb-tls")],
    );
    // `docker context use`: the current context of the CLI configuration, over ssh to node1.
    docker_cli(&bed, &project, &["context", "use", "rctb-ssh"]);
    ps_up_down(&bed, &bed.nodes[0], &project, &[]);
}

#[test]
fn the_context_flag_and_docker_host_take_precedence_as_in_the_docker_cli() {
    let bed = bed();
    let ssh = bed.ssh.as_ref().expect("the bed runs sshd");
    let project = TestProject::new("remote-precedence");
    project.write("compose.yaml", &small_stack());
    docker_cli(
        &bed,
        &project,
        &[
            "context",
            "create",
            "rctb-ssh",
            "--docker",
            &format!("host=ssh://{}", ssh.destination),
        ],
    );
    docker_cli(&bed, &project, &["context", "use", "rctb-ssh"]);
    let node2 = bed.nodes[1].host();
    let node2 = [("DOCKER_HOST", node2.as_str())];
    // DOCKER_HOST wins over the current context...
    ok(&rcompose(&bed, &project, &["up", "-d"], &node2), "up");
    assert_eq!(states_on(&bed.nodes[1], &project).len(), 2);
    assert_eq!(states_on(&bed.nodes[0], &project).len(), 0);
    // ... and --context (here -c) over DOCKER_HOST.
    ok(
        &rcompose(&bed, &project, &["-c", "rctb-ssh", "up", "-d"], &node2),
        "up",
    );
    assert_eq!(states_on(&bed.nodes[0], &project).len(), 2);
    ok(
        &rcompose(&bed, &project, &["--context", "rctb-ssh", "down"], &node2),
        "down",
    );
    assert_eq!(states_on(&bed.nodes[0], &project).len(), 0);
    ok(&rcompose(&bed, &project, &["down"], &node2), "down");
    assert_eq!(states_on(&bed.nodes[1], &project).len(), 0);

    // A context that does not exist is named, with where it was asked for.
    let out = rcompose(&bed, &project, &["--context", "nowhere", "ps"], &[]);
    assert!(!out.status.success());
    let text = stderr(&out);
    assert!(
        text.starts_with("error: docker context \"nowhere\" (from --context) not found in "),
        "{text}"
    );
    assert!(text.contains("docker context ls"), "{text}");
}

#[test]
fn a_bed_leaves_nothing_behind_also_when_a_test_fails() {
    // Dropped normally.
    let bed = Bed::start(&Spec {
        nodes: 1,
        ..Spec::default()
    });
    let id = bed.id.clone();
    assert_eq!(
        bed.nodes[0].docker(&["info", "--format", "{{.Name}}"]),
        "node1"
    );
    assert!(!testbed::leftovers(&id).is_empty());
    drop(bed);
    assert_eq!(testbed::leftovers(&id), Vec::<String>::new());

    // Dropped while a failing test unwinds, with a container running.
    let failed = std::thread::spawn(|| {
        let bed = Bed::start(&Spec {
            nodes: 1,
            images: vec![test_image().to_string()],
            ..Spec::default()
        });
        std::fs::write(std::env::temp_dir().join("rctb-failing-test-id"), &bed.id).ok();
        bed.nodes[0].docker(&["run", "-d", test_image(), "sleep", "600"]);
        panic!("a test fails with its bed running");
    })
    .join();
    assert!(failed.is_err());
    let marker = std::env::temp_dir().join("rctb-failing-test-id");
    let id = std::fs::read_to_string(&marker).unwrap_or_default();
    let _ = std::fs::remove_file(&marker);
    assert_eq!(id.len(), 6, "the failing test never made its bed");
    assert_eq!(testbed::leftovers(&id), Vec::<String>::new());
}

#[test]
fn the_sweeper_removes_what_a_crashed_run_left() {
    // What a run killed mid-test leaves: a directory owned by a process that is gone, a
    // namespace, a bridge, a FORWARD rule and a cgroup.
    let id = "dead00";
    let name = format!("rctb-{id}");
    let dir = std::env::temp_dir().join(&name);
    std::fs::create_dir_all(dir.join("node1")).unwrap();
    // PID 1 with a start time it never had: not the process that made the bed.
    std::fs::write(dir.join("owner"), "1 12345678901").unwrap();
    let run = |program: &str, args: &[&str]| {
        let out = std::process::Command::new(program)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{program} {args:?}: {}", stderr(&out));
    };
    run("ip", &["netns", "add", &format!("{name}-node1")]);
    run("ip", &["link", "add", &name, "type", "bridge"]);
    run(
        "iptables",
        &[
            "-I",
            "FORWARD",
            "1",
            "-i",
            &name,
            "-o",
            &name,
            "-m",
            "comment",
            "--comment",
            &name,
            "-j",
            "ACCEPT",
        ],
    );
    let cgroup = Path::new("/sys/fs/cgroup/memory").join(format!("{name}-node1"));
    let _ = std::fs::create_dir(&cgroup);
    assert!(
        testbed::leftovers(id).len() >= 4,
        "{:?}",
        testbed::leftovers(id)
    );
    testbed::sweep();
    assert_eq!(testbed::leftovers(id), Vec::<String>::new());
}
