//! Which container `exec`, `cp`, `port` and `commit` act on, as docker compose chooses it:
//! `exec` reaches a running one-off when the service has no running replica, `--index` names
//! a replica, and `cp` into a scaled service copies into every replica (one-offs only with
//! `--all`). Written with `TestProject::compose`, so the same test runs against the reference
//! (`RCOMPOSE_TEST_AGAINST=reference`).

mod support;

use support::{TestProject, docker, docker_ok, ok, stderr, test_image};

fn sleeper(image: &str, scale: u32) -> String {
    format!(
        r#"services:
  web:
    image: {image}
    init: true
    scale: {scale}
    stop_grace_period: 1s
    command: ["sh", "-c", "mkdir -p /tmp && exec sleep 3600"]
"#
    )
}

#[test]
fn exec_reaches_a_running_one_off_when_no_replica_runs() {
    let image = test_image();
    let p = TestProject::new("sel-exec");
    p.write("compose.yml", &sleeper(image, 1));
    let name = p.name.as_str();
    // No container at all: the error says the service is not running.
    let out = p.compose(&["-p", name, "exec", "-T", "web", "true"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("service \"web\" is not running"),
        "{}",
        stderr(&out)
    );
    // A one-off started with `run -d` is what `exec` reaches.
    let id = ok(
        &p.compose(&[
            "-p",
            name,
            "run",
            "-d",
            "web",
            "sh",
            "-c",
            "echo one-off > /marker; exec sleep 3600",
        ]),
        "run -d",
    );
    let id = id.trim().to_string();
    assert!(!id.is_empty(), "run -d prints the container's ID");
    docker(&[
        "exec",
        &id,
        "sh",
        "-c",
        "while [ ! -f /marker ]; do usleep 20000; done",
    ]);
    let out = ok(
        &p.compose(&["-p", name, "exec", "-T", "web", "cat", "/marker"]),
        "exec into the one-off",
    );
    assert_eq!(out, "one-off\n");
    // --index names a replica, never a one-off.
    let out = p.compose(&["-p", name, "exec", "-T", "--index", "1", "web", "true"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("service \"web\" is not running container #1"),
        "{}",
        stderr(&out)
    );
    // Once a replica runs, it is preferred over the one-off.
    ok(&p.compose(&["-p", name, "up", "-d", "--wait"]), "up");
    let out = ok(
        &p.compose(&[
            "-p",
            name,
            "exec",
            "-T",
            "web",
            "sh",
            "-c",
            "test -f /marker && echo one-off || echo replica",
        ]),
        "exec into the replica",
    );
    assert_eq!(out, "replica\n");
}

#[test]
fn cp_into_a_scaled_service_reaches_every_replica() {
    let image = test_image();
    let p = TestProject::new("sel-cp");
    p.write("compose.yml", &sleeper(image, 2));
    let name = p.name.as_str();
    ok(&p.compose(&["-p", name, "up", "-d", "--wait"]), "up");
    let one_off = ok(
        &p.compose(&["-p", name, "run", "-d", "web", "sleep", "3600"]),
        "run -d",
    );
    let one_off = one_off.trim().to_string();
    let c1 = format!("{name}-web-1");
    let c2 = format!("{name}-web-2");
    p.write("a.txt", "alpha\n");

    ok(
        &p.compose(&["-p", name, "cp", "a.txt", "web:/every.txt"]),
        "cp without --index",
    );
    for c in [&c1, &c2] {
        assert_eq!(docker(&["exec", c, "cat", "/every.txt"]), "alpha");
    }
    assert!(!docker_ok(&["exec", &one_off, "test", "-f", "/every.txt"]));

    ok(
        &p.compose(&["-p", name, "cp", "--index", "2", "a.txt", "web:/second.txt"]),
        "cp --index 2",
    );
    assert_eq!(docker(&["exec", &c2, "cat", "/second.txt"]), "alpha");
    assert!(!docker_ok(&["exec", &c1, "test", "-f", "/second.txt"]));

    ok(
        &p.compose(&["-p", name, "cp", "--all", "a.txt", "web:/all.txt"]),
        "cp --all",
    );
    for c in [&c1, &c2, &one_off] {
        assert_eq!(docker(&["exec", c, "cat", "/all.txt"]), "alpha");
    }

    let out = p.compose(&["-p", name, "cp", "--index", "3", "a.txt", "web:/x"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("service \"web\""), "{}", stderr(&out));
}
