//! `docker compose` is rcompose: installed as the docker CLI's `compose` plugin (as the README
//! shows, into a throw-away DOCKER_CONFIG directory, never the machine's own ~/.docker), the
//! real docker CLI lists it, runs `docker compose version`, `up -d`, `ps` and `down` through it,
//! passes its own options (`-H`), and stops an attached `up` when the CLI itself is stopped.

mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use support::{TestProject, looping_service, ok, stderr, stdout};

const PATIENCE: Duration = Duration::from_secs(60);

/// A DOCKER_CONFIG directory with rcompose installed as its compose plugin, removed on drop.
struct PluginHome {
    dir: PathBuf,
}

impl PluginHome {
    fn install(p: &TestProject) -> PluginHome {
        let dir = p.dir.join("docker-config");
        let plugin = dir.join("cli-plugins/docker-compose");
        // The README's install command, with this build's binary.
        let out = Command::new("install")
            .arg("-D")
            .arg(env!("CARGO_BIN_EXE_rcompose"))
            .arg(&plugin)
            .output()
            .expect("run install");
        ok(&out, "install -D rcompose cli-plugins/docker-compose");
        PluginHome { dir }
    }

    fn docker(&self, cwd: &Path, args: &[&str]) -> Output {
        self.command(cwd, args)
            .stdin(Stdio::null())
            .output()
            .expect("run docker")
    }

    fn command(&self, cwd: &Path, args: &[&str]) -> Command {
        let mut command = Command::new("docker");
        command
            .args(args)
            .current_dir(cwd)
            .env("DOCKER_CONFIG", &self.dir)
            .env_remove("COMPOSE_PROJECT_NAME");
        command
    }
}

impl Drop for PluginHome {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn project_with_one_service(prefix: &str) -> TestProject {
    let p = TestProject::new(prefix);
    p.write(
        "compose.yml",
        &format!("services:\n{}", looping_service("app", "")),
    );
    p
}

#[test]
fn docker_compose_runs_rcompose_once_installed_as_the_plugin() {
    let p = project_with_one_service("cli-plugin");
    let home = PluginHome::install(&p);

    let listed = ok(&home.docker(&p.dir, &["--help"]), "docker --help");
    assert!(
        listed
            .lines()
            .any(|l| l.contains("compose") && l.contains("rcompose")),
        "docker --help does not list rcompose as its compose plugin:\n{listed}"
    );

    let version = ok(
        &home.docker(&p.dir, &["compose", "version"]),
        "docker compose version",
    );
    assert!(version.starts_with("rcompose version "), "{version}");

    ok(
        &home.docker(&p.dir, &["compose", "-p", &p.name, "up", "-d"]),
        "docker compose up -d",
    );
    assert_eq!(p.states(), [format!("{}-app-1 running", p.name)]);

    // The docker CLI's own options come before `compose`: -H is the engine to use.
    let ps = ok(
        &home.docker(
            &p.dir,
            &[
                "-H",
                "unix:///var/run/docker.sock",
                "compose",
                "-p",
                &p.name,
                "ps",
                "--format",
                "json",
            ],
        ),
        "docker -H ... compose ps",
    );
    assert!(ps.contains(&format!("\"{}-app-1\"", p.name)), "{ps}");
    let unreachable = home.docker(
        &p.dir,
        &[
            "-H",
            "unix:///nonexistent.sock",
            "compose",
            "-p",
            &p.name,
            "ps",
        ],
    );
    assert!(!unreachable.status.success());
    assert!(
        stderr(&unreachable).contains("unix:///nonexistent.sock"),
        "{}",
        stderr(&unreachable)
    );

    // Usage lines name the command as the user typed it.
    let help = stdout(&home.docker(&p.dir, &["compose", "--help"]));
    assert!(help.contains("Usage: docker compose "), "{help}");

    ok(
        &home.docker(&p.dir, &["compose", "-p", &p.name, "down"]),
        "docker compose down",
    );
    assert!(p.states().is_empty(), "{:?}", p.states());
}

#[test]
fn stopping_the_docker_cli_stops_an_attached_up() {
    let p = TestProject::new("cli-plugin-stop");
    p.write(
        "compose.yml",
        &format!(
            "services:\n  app:\n    image: {}\n    command: [\"sh\", \"-c\", \"echo ready; trap 'exit 0' TERM; while true; do sleep 1 & wait $$!; done\"]\n",
            support::test_image()
        ),
    );
    let home = PluginHome::install(&p);
    // Output to pipes: the docker CLI then asks its plugin to stop through the plugin socket
    // (with a terminal, the terminal's Ctrl-C would reach both processes).
    let mut child = home
        .command(&p.dir, &["compose", "-p", &p.name, "up"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run docker compose up");
    let (tx, lines) = mpsc::channel();
    for pipe in [
        Box::new(child.stdout.take().expect("stdout")) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().expect("stderr")),
    ] {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
    }
    let deadline = Instant::now() + PATIENCE;
    let mut seen = Vec::new();
    while !seen.iter().any(|l: &String| l.ends_with("ready")) {
        match lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => seen.push(line),
            Err(_) => {
                let _ = child.kill();
                panic!("the container never said ready:\n{}", seen.join("\n"));
            }
        }
    }
    let pid = i32::try_from(child.id()).expect("pid");
    // SAFETY: a signal to our own child process (the docker CLI).
    unsafe {
        libc::kill(pid, libc::SIGTERM);
    }
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for docker") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!(
                "docker compose up did not end after SIGTERM:\n{}",
                seen.join("\n")
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    seen.extend(lines.try_iter());
    assert!(!status.success(), "{status}");
    assert_eq!(
        p.states(),
        [format!("{}-app-1 exited", p.name)],
        "the container still runs after the docker CLI was stopped:\n{}",
        seen.join("\n")
    );
}
