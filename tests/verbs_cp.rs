//! `rcompose cp` on the real engine: files and directories in both directions, into existing
//! directories (keeping the name) or to a new name, `--index`, `--all`.

mod support;

use support::{TestProject, docker, ok, test_image};

#[test]
fn cp_copies_both_ways() {
    let image = test_image();
    let p = TestProject::new("cp");
    p.write(
        "compose.yml",
        &format!(
            r#"services:
  web:
    image: {image}
    init: true
    scale: 2
    stop_grace_period: 1s
    command: ["sh", "-c", "mkdir -p /srv/site/css && echo page > /srv/site/index.html && echo body > /srv/site/css/main.css && exec sleep 3600"]
"#
        ),
    );
    let name = p.name.as_str();
    ok(&p.rcompose(&["-p", name, "up", "-d", "--wait"]), "up");
    let c1 = format!("{name}-web-1");
    let c2 = format!("{name}-web-2");
    // The containers write their files first thing; wait for that through the engine.
    for c in [&c1, &c2] {
        docker(&[
            "exec",
            c,
            "sh",
            "-c",
            "while [ ! -f /srv/site/css/main.css ]; do usleep 20000; done",
        ]);
    }

    // Container → host: a file into an existing directory, a file to a new name, a directory.
    std::fs::create_dir_all(p.dir.join("out")).expect("mkdir out");
    ok(
        &p.rcompose(&["-p", name, "cp", "web:/srv/site/index.html", "out"]),
        "cp file",
    );
    assert_eq!(
        std::fs::read_to_string(p.dir.join("out/index.html"))
            .ok()
            .as_deref(),
        Some("page\n")
    );
    ok(
        &p.rcompose(&[
            "-p",
            name,
            "cp",
            "web:/srv/site/index.html",
            "out/renamed.html",
        ]),
        "cp rename",
    );
    assert_eq!(
        std::fs::read_to_string(p.dir.join("out/renamed.html"))
            .ok()
            .as_deref(),
        Some("page\n")
    );
    ok(
        &p.rcompose(&["-p", name, "cp", "web:/srv/site", "copy"]),
        "cp dir",
    );
    assert_eq!(
        std::fs::read_to_string(p.dir.join("copy/css/main.css"))
            .ok()
            .as_deref(),
        Some("body\n")
    );
    ok(
        &p.rcompose(&["-p", name, "cp", "web:/srv/site", "out"]),
        "cp dir into dir",
    );
    assert_eq!(
        std::fs::read_to_string(p.dir.join("out/site/index.html"))
            .ok()
            .as_deref(),
        Some("page\n")
    );

    // Host → container: into a directory, to a new name, a directory, --index and --all.
    p.write("local/a.txt", "alpha\n");
    p.write("local/sub/b.txt", "beta\n");
    ok(
        &p.rcompose(&["-p", name, "cp", "local/a.txt", "web:/tmp"]),
        "cp to dir",
    );
    assert_eq!(docker(&["exec", &c1, "cat", "/tmp/a.txt"]), "alpha");
    ok(
        &p.rcompose(&["-p", name, "cp", "local/a.txt", "web:/tmp/z.txt"]),
        "cp to name",
    );
    assert_eq!(docker(&["exec", &c1, "cat", "/tmp/z.txt"]), "alpha");
    ok(
        &p.rcompose(&["-p", name, "cp", "local", "web:/srv/up"]),
        "cp dir to new name",
    );
    assert_eq!(docker(&["exec", &c1, "cat", "/srv/up/sub/b.txt"]), "beta");
    ok(
        &p.rcompose(&[
            "-p",
            name,
            "cp",
            "--index",
            "2",
            "local/a.txt",
            "web:/tmp/second.txt",
        ]),
        "cp --index",
    );
    assert_eq!(docker(&["exec", &c2, "cat", "/tmp/second.txt"]), "alpha");
    assert!(!support::docker_ok(&[
        "exec",
        &c1,
        "test",
        "-f",
        "/tmp/second.txt"
    ]));
    ok(
        &p.rcompose(&["-p", name, "cp", "--all", "local/a.txt", "web:/tmp/all.txt"]),
        "cp --all",
    );
    for c in [&c1, &c2] {
        assert_eq!(docker(&["exec", c, "cat", "/tmp/all.txt"]), "alpha");
    }

    // Errors: a missing file, and two local paths.
    let out = p.rcompose(&["-p", name, "cp", "web:/nope", "out"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nope"));
    let out = p.rcompose(&["-p", name, "cp", "a", "b"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("SERVICE:PATH"));
}
