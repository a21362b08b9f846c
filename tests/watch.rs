//! `watch` and `up --watch` on the real engine: every action of `develop.watch` (sync,
//! sync+restart, sync+exec with its user, working directory, environment and privileges,
//! restart, rebuild), include and ignore patterns, deletions, a burst of files as one batch,
//! every replica synced, initial_sync, a change during a rebuild, and what Ctrl-C leaves
//! running. Each waits for the new state with a deadline.
//!
//! They run rcompose, or the reference with RCOMPOSE_TEST_AGAINST=reference: they pass against
//! Docker Compose v5.6.1 too, but for two checks only rcompose passes: a recreated container
//! gets the synced files again, and a change made during a rebuild reaches the new container.

mod support;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::{TestProject, compose_under_test, docker, test_image};

/// How long to wait for an expected state.
const PATIENCE: Duration = Duration::from_secs(60);
/// Between two looks at a state that is polled.
const POLL: Duration = Duration::from_millis(50);
/// The capability bounding set of an unprivileged container, as the engine sets it.
const DEFAULT_CAPABILITIES: &str = "00000000a80425fb";

/// Whether the tests run against the reference (RCOMPOSE_TEST_AGAINST=reference).
fn against_reference() -> bool {
    std::env::var("RCOMPOSE_TEST_AGAINST").as_deref() == Ok("reference")
}

/// A `watch` (or `up --watch`) running in the background, its output collected. Killed when
/// dropped, also when a test fails.
struct Watching {
    child: Child,
    output: Arc<Mutex<Vec<String>>>,
}

impl Watching {
    fn start(p: &TestProject, args: &[&str]) -> Watching {
        let mut child = Command::new(compose_under_test())
            .args(args)
            .current_dir(&p.dir)
            .env_remove("COMPOSE_PROJECT_NAME")
            .env("COMPOSE_PROJECT_NAME", &p.name)
            .env("DOCKER_BUILDKIT", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run compose");
        let output = Arc::new(Mutex::new(Vec::new()));
        let out: Box<dyn Read + Send> = Box::new(child.stdout.take().expect("stdout"));
        let err: Box<dyn Read + Send> = Box::new(child.stderr.take().expect("stderr"));
        for pipe in [out, err] {
            let output = Arc::clone(&output);
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines() {
                    let Ok(line) = line else { break };
                    output.lock().expect("output").push(line);
                }
            });
        }
        let watching = Watching { child, output };
        watching.wait_for_line("watching to start", |l| l.contains("Watch enabled"));
        watching
    }

    fn lines(&self) -> Vec<String> {
        self.output.lock().expect("output").clone()
    }

    fn count(&self, wanted: impl Fn(&str) -> bool) -> usize {
        self.lines().iter().filter(|l| wanted(l)).count()
    }

    fn wait_for_line(&self, what: &str, wanted: impl Fn(&str) -> bool) {
        self.poll(what, || {
            self.lines().iter().any(|l| wanted(l)).then_some(())
        });
    }

    /// Poll `check` until it gives a value, for at most [`PATIENCE`]; the test fails with the
    /// watch's output otherwise.
    fn poll<T>(&self, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(value) = check() {
                return value;
            }
            if Instant::now() > deadline {
                panic!(
                    "no {what} within {PATIENCE:?}; watch output:\n{}",
                    self.lines().join("\n")
                );
            }
            std::thread::sleep(POLL);
        }
    }

    /// Send Ctrl-C and wait for the process to end.
    fn interrupt(&mut self) -> ExitStatus {
        let pid = i32::try_from(self.child.id()).expect("pid");
        // SAFETY: sending a signal to our own child process.
        unsafe {
            libc::kill(pid, libc::SIGINT);
        }
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "still running {PATIENCE:?} after Ctrl-C:\n{}",
                self.lines().join("\n")
            );
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The content of `path` in container `name`, if it can be read.
fn read_in(name: &str, path: &str) -> Option<String> {
    let out = Command::new("docker")
        .args(["exec", name, "cat", path])
        .stdin(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Whether `path` exists in container `name`.
fn exists_in(name: &str, path: &str) -> bool {
    Command::new("docker")
        .args(["exec", name, "test", "-e", path])
        .stdin(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn container(p: &TestProject, service: &str, number: u32) -> String {
    format!("{}-{service}-{number}", p.name)
}

/// A service on the test image that runs until stopped, with `develop` rules.
fn service(name: &str, extra: &str) -> String {
    support::looping_service(name, extra)
}

fn write(path: &Path, content: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, content).expect("write");
}

#[test]
fn sync_copies_changes_and_deletions_and_follows_include_and_ignore() {
    let p = TestProject::new("watch-sync");
    p.write("src/keep.txt", "before\n");
    p.write("conf/app.conf", "c1\n");
    p.write(
        "compose.yaml",
        &format!(
            "services:\n{}",
            service(
                "web",
                "    develop:\n      watch:\n        - path: ./src\n          action: sync\n          target: /app\n          ignore:\n            - '*.log'\n            - cache/\n        - path: ./conf\n          action: sync\n          target: /etc/app\n          include: '*.conf'\n"
            )
        ),
    );
    let w = Watching::start(&p, &["watch"]);
    let web = container(&p, "web", 1);
    // A new file, a changed file, a new directory with a file in it.
    write(&p.dir.join("src/new.txt"), "new\n");
    write(&p.dir.join("src/keep.txt"), "after\n");
    write(&p.dir.join("src/deep/er/file.txt"), "deep\n");
    write(&p.dir.join("conf/app.conf"), "c2\n");
    w.poll("the new file in the container", || {
        read_in(&web, "/app/new.txt").filter(|c| c == "new\n")
    });
    w.poll("the changed file in the container", || {
        read_in(&web, "/app/keep.txt").filter(|c| c == "after\n")
    });
    w.poll("the new directory in the container", || {
        read_in(&web, "/app/deep/er/file.txt").filter(|c| c == "deep\n")
    });
    w.poll("the included file in the container", || {
        read_in(&web, "/etc/app/app.conf").filter(|c| c == "c2\n")
    });
    // Ignored and not included: never copied. A later marker shows they had their chance.
    write(&p.dir.join("src/debug.log"), "x\n");
    write(&p.dir.join("src/cache/blob"), "x\n");
    write(&p.dir.join("conf/notes.txt"), "x\n");
    write(&p.dir.join("src/marker.txt"), "m\n");
    w.poll("the marker in the container", || {
        read_in(&web, "/app/marker.txt").filter(|c| c == "m\n")
    });
    let after_marker = |f: &str| w.count(|l| l.contains(f));
    assert_eq!(after_marker("Error"), 0, "{:?}", w.lines());
    assert!(
        !exists_in(&web, "/app/debug.log"),
        "an ignored file was synced"
    );
    assert!(
        !exists_in(&web, "/app/cache"),
        "an ignored directory was synced"
    );
    assert!(
        !exists_in(&web, "/etc/app/notes.txt"),
        "a file not included was synced"
    );
    // Deletions: a file and a whole directory.
    std::fs::remove_file(p.dir.join("src/new.txt")).expect("rm");
    std::fs::remove_dir_all(p.dir.join("src/deep")).expect("rm -r");
    w.poll("the deleted file gone from the container", || {
        (!exists_in(&web, "/app/new.txt")).then_some(())
    });
    w.poll("the deleted directory gone from the container", || {
        (!exists_in(&web, "/app/deep")).then_some(())
    });
    assert!(
        w.lines()
            .iter()
            .any(|l| l.contains("Syncing service \"web\" after")),
        "{:?}",
        w.lines()
    );
}

#[test]
fn a_burst_of_a_thousand_files_is_one_batch() {
    let p = TestProject::new("watch-burst");
    std::fs::create_dir_all(p.dir.join("src")).expect("mkdir");
    p.write(
        "compose.yaml",
        &format!(
            "services:\n{}",
            service(
                "web",
                "    develop:\n      watch:\n        - path: ./src\n          action: sync+exec\n          target: /app\n          exec:\n            command: [\"sh\", \"-c\", \"echo exec-ran\"]\n"
            )
        ),
    );
    let w = Watching::start(&p, &["watch"]);
    let web = container(&p, "web", 1);
    for i in 0..1000 {
        std::fs::write(p.dir.join(format!("src/f{i:04}.txt")), format!("{i}\n")).expect("write");
    }
    w.poll("the thousand files in the container", || {
        let out = Command::new("docker")
            .args(["exec", &web, "sh", "-c", "ls /app | wc -l"])
            .output()
            .ok()?;
        (String::from_utf8_lossy(&out.stdout).trim() == "1000").then_some(())
    });
    w.wait_for_line("the exec", |l| l.contains("exec-ran"));
    let syncs = w.count(|l| l.starts_with("Syncing service \"web\""));
    assert_eq!(syncs, 1, "one batch expected:\n{}", w.lines().join("\n"));
    assert_eq!(
        w.count(|l| l.contains("exec-ran")),
        1,
        "one exec per batch:\n{}",
        w.lines().join("\n")
    );
    assert_eq!(read_in(&web, "/app/f0999.txt").as_deref(), Some("999\n"));
}

#[test]
fn every_replica_is_synced_and_restarted() {
    let p = TestProject::new("watch-replicas");
    p.write("src/a.txt", "1\n");
    p.write(
        "compose.yaml",
        &format!(
            "services:\n{}",
            service(
                "web",
                "    scale: 3\n    develop:\n      watch:\n        - path: ./src\n          action: sync+restart\n          target: /app\n"
            )
        ),
    );
    let w = Watching::start(&p, &["watch"]);
    let started = |n: u32| {
        docker(&[
            "inspect",
            "-f",
            "{{.State.StartedAt}}",
            &container(&p, "web", n),
        ])
    };
    let before: Vec<String> = (1..=3).map(started).collect();
    write(&p.dir.join("src/a.txt"), "2\n");
    for n in 1..=3 {
        let name = container(&p, "web", n);
        w.poll(&format!("the file in replica {n}"), || {
            read_in(&name, "/app/a.txt").filter(|c| c == "2\n")
        });
    }
    w.wait_for_line("the restart", |l| {
        l.contains("service(s) [\"web\"] restarted")
    });
    for n in 1..=3 {
        assert_ne!(
            started(n),
            before[n as usize - 1],
            "replica {n} was not restarted"
        );
    }
}

#[test]
fn restart_and_sync_exec_with_its_user_directory_environment_and_privileges() {
    let p = TestProject::new("watch-exec");
    p.write("hooks/x", "1\n");
    p.write("privileged/x", "1\n");
    p.write("flag", "1\n");
    p.write(
        "compose.yaml",
        &format!(
            "services:\n{}",
            service(
                "web",
                "    develop:\n      watch:\n        - path: ./flag\n          action: restart\n        - path: ./hooks\n          action: sync+exec\n          target: /hooks\n          exec:\n            command: sh -c 'echo \"$$(id -u) $$(pwd) $$GREETING\" > /tmp/exec.out'\n            user: nobody\n            working_dir: /tmp\n            environment:\n              GREETING: hello\n        - path: ./privileged\n          action: sync+exec\n          target: /privileged\n          exec:\n            command: sh -c 'grep CapBnd /proc/self/status > /tmp/privileged.out'\n            privileged: true\n"
            )
        ),
    );
    let w = Watching::start(&p, &["watch"]);
    let web = container(&p, "web", 1);
    let started = || docker(&["inspect", "-f", "{{.State.StartedAt}}", &web]);
    let before = started();
    write(&p.dir.join("flag"), "2\n");
    w.wait_for_line("the restart", |l| {
        l.contains("service(s) [\"web\"] restarted")
    });
    assert_ne!(started(), before, "the container was not restarted");
    write(&p.dir.join("hooks/x"), "2\n");
    let out = w.poll("the exec's output", || read_in(&web, "/tmp/exec.out"));
    assert_eq!(
        out, "65534 /tmp hello\n",
        "user nobody, working_dir /tmp and the environment"
    );
    assert_eq!(read_in(&web, "/hooks/x").as_deref(), Some("2\n"));
    // Privileged: every capability in the bounding set, not the engine's default few. An
    // engine that may not grant them (run inside a restricted container) refuses the exec,
    // which shows the request was privileged all the same.
    write(&p.dir.join("privileged/x"), "2\n");
    w.poll("the privileged exec", || {
        if let Some(out) = read_in(&web, "/tmp/privileged.out") {
            assert!(
                !out.contains(DEFAULT_CAPABILITIES),
                "not privileged: {out:?}"
            );
            return Some(());
        }
        w.lines()
            .iter()
            .any(|l| l.contains("unable to apply caps"))
            .then_some(())
    });
}

#[test]
fn initial_sync_copies_files_when_watching_starts() {
    let p = TestProject::new("watch-initial");
    p.write("src/a.txt", "there before\n");
    p.write("src/sub/b.txt", "b\n");
    p.write("src/skip.tmp", "no\n");
    p.write(
        "compose.yaml",
        &format!(
            "services:\n{}",
            service(
                "web",
                "    develop:\n      watch:\n        - path: ./src\n          action: sync\n          target: /app\n          initial_sync: true\n          ignore: ['*.tmp']\n"
            )
        ),
    );
    let w = Watching::start(&p, &["watch"]);
    let web = container(&p, "web", 1);
    w.poll("the initial files", || {
        read_in(&web, "/app/a.txt").filter(|c| c == "there before\n")
    });
    assert_eq!(read_in(&web, "/app/sub/b.txt").as_deref(), Some("b\n"));
    assert!(
        !exists_in(&web, "/app/skip.tmp"),
        "an ignored file was synced"
    );
}

/// A stack whose image is built from `version.txt`, rebuilt when it changes; `src/` is synced.
fn rebuild_stack(p: &TestProject) {
    p.write("version.txt", "v1\n");
    p.write("src/a.txt", "synced\n");
    p.write(
        "Dockerfile",
        &format!(
            "FROM {}\nCOPY version.txt /version.txt\nRUN sleep 1\nCMD {}\n",
            test_image(),
            support::LOOPING.replace("$$", "$")
        ),
    );
    p.write(".dockerignore", "*.md\n");
    p.write(
        "compose.yaml",
        "services:\n  web:\n    build: .\n    stop_grace_period: 2s\n    develop:\n      watch:\n        - path: .\n          action: rebuild\n          ignore: [src/, compose.yaml]\n        - path: ./src\n          action: sync\n          target: /app\n",
    );
}

#[test]
fn a_rebuild_changes_the_image_and_the_new_container_gets_the_synced_files() {
    let p = TestProject::new("watch-rebuild");
    rebuild_stack(&p);
    let w = Watching::start(&p, &["watch"]);
    let web = container(&p, "web", 1);
    assert_eq!(read_in(&web, "/version.txt").as_deref(), Some("v1\n"));
    write(&p.dir.join("src/a.txt"), "synced 2\n");
    w.poll("the synced file", || {
        read_in(&web, "/app/a.txt").filter(|c| c == "synced 2\n")
    });
    let old_id = docker(&["inspect", "-f", "{{.Id}}", &web]);
    let old_image = docker(&["inspect", "-f", "{{.Image}}", &web]);
    // A file .dockerignore leaves out of the context triggers nothing.
    write(&p.dir.join("README.md"), "docs\n");
    write(&p.dir.join("version.txt"), "v2\n");
    w.poll("the rebuilt image in a new container", || {
        read_in(&web, "/version.txt").filter(|c| c == "v2\n")
    });
    w.wait_for_line("the rebuild message", |l| {
        l.contains("service(s) [\"web\"] successfully built")
    });
    assert_ne!(docker(&["inspect", "-f", "{{.Id}}", &web]), old_id);
    // The new container got the synced files again (docker compose leaves it with the image's).
    if !against_reference() {
        w.poll("the synced file in the new container", || {
            read_in(&web, "/app/a.txt").filter(|c| c == "synced 2\n")
        });
    }
    assert_ne!(docker(&["inspect", "-f", "{{.Image}}", &web]), old_image);
    assert_eq!(
        w.count(|l| l.starts_with("Rebuilding service(s)")),
        1,
        "README.md is in .dockerignore:\n{}",
        w.lines().join("\n")
    );
    // A change made while the image is being built is applied after it.
    write(&p.dir.join("version.txt"), "v3\n");
    w.wait_for_line("the second rebuild", |l| {
        l.contains("Rebuilding service(s)") && w.count(|l| l.contains("Rebuilding")) == 2
    });
    write(&p.dir.join("src/during.txt"), "during\n");
    w.poll("the third version", || {
        read_in(&web, "/version.txt").filter(|c| c == "v3\n")
    });
    // docker compose syncs it into the container being replaced, and it is lost.
    if !against_reference() {
        w.poll("the file changed during the rebuild", || {
            read_in(&web, "/app/during.txt").filter(|c| c == "during\n")
        });
    }
}

#[test]
fn ctrl_c_leaves_containers_running_for_watch_and_stops_them_for_up_watch() {
    let p = TestProject::new("watch-ctrlc");
    p.write("src/a.txt", "1\n");
    p.write(
        "compose.yaml",
        &format!(
            "services:\n{}",
            service(
                "web",
                "    develop:\n      watch:\n        - path: ./src\n          action: sync\n          target: /app\n"
            )
        ),
    );
    let mut w = Watching::start(&p, &["watch"]);
    let web = container(&p, "web", 1);
    let status = w.interrupt();
    assert_eq!(status.code(), Some(130), "{}", w.lines().join("\n"));
    assert_eq!(p.states(), [format!("{web} running")]);
    drop(w);

    let mut w = Watching::start(&p, &["up", "--watch"]);
    write(&p.dir.join("src/a.txt"), "2\n");
    w.poll("the synced file", || {
        read_in(&web, "/app/a.txt").filter(|c| c == "2\n")
    });
    w.interrupt();
    w.poll("the container stopped", || {
        (p.states() == [format!("{web} exited")]).then_some(())
    });
}

#[test]
fn no_up_watches_without_starting_anything_and_a_project_without_rules_is_refused() {
    let p = TestProject::new("watch-noup");
    p.write("src/a.txt", "1\n");
    p.write(
        "compose.yaml",
        &format!(
            "services:\n{}{}",
            service(
                "web",
                "    develop:\n      watch:\n        - path: ./src\n          action: sync\n          target: /app\n"
            ),
            service("db", "")
        ),
    );
    let mut w = Watching::start(&p, &["watch", "--no-up", "--quiet", "--prune=false"]);
    assert!(p.states().is_empty(), "--no-up started {:?}", p.states());
    w.interrupt();
    drop(w);

    let out = p.compose(&["watch", "db"]);
    assert!(!out.status.success(), "watching a service without rules");
    assert!(
        support::stderr(&out).contains(
            "none of the selected services is configured for watch, consider setting a 'develop' section"
        ),
        "{}",
        support::stderr(&out)
    );
}
