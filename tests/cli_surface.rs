//! Flags and commands of the reference that rcompose gained (issue 14's list), on the real
//! engine, each compared with the reference (Docker Compose v5.6.1) on the same input where
//! the output is the same for both; and the flags rcompose accepts but refuses, with the reason.

mod support;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use support::reference::reference_binary;
use support::{TestProject, docker, looping_service, ok, stderr, stdout, test_image};

fn reference(dir: &Path, args: &[&str]) -> Output {
    Command::new(reference_binary())
        .args(args)
        .current_dir(dir)
        .env_remove("COMPOSE_PROJECT_NAME")
        .stdin(Stdio::null())
        .output()
        .expect("run the reference")
}

fn sorted_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines.sort();
    lines
}

#[test]
fn refused_flags_say_why_and_change_nothing() {
    let p = TestProject::new("cli-surface-refused");
    p.write(
        "compose.yml",
        &format!("services:\n{}", looping_service("app", "")),
    );
    ok(&p.rcompose(&["up", "-d"]), "up -d");
    let cases: &[(&[&str], &str)] = &[
        (
            &["--dry-run", "down"],
            "--dry-run is not done yet for `down`",
        ),
        (
            &["down", "--dry-run"],
            "--dry-run is not done yet for `down`",
        ),
        (
            &["--dry-run", "kill"],
            "--dry-run is not done yet for `kill`",
        ),
        (&["build", "--print"], "needs BuildKit"),
        (&["build", "--ssh", "default"], "needs BuildKit"),
        (&["up", "--menu"], "--menu"),
        (&["config", "--no-normalize"], "not available yet"),
    ];
    for (args, says) in cases {
        let out = p.rcompose(args);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
    assert_eq!(p.states(), [format!("{}-app-1 running", p.name)]);
    // A dry run of a verb that only reads is the verb itself.
    let ps = ok(&p.rcompose(&["--dry-run", "ps", "-q"]), "--dry-run ps");
    assert_eq!(ps.lines().count(), 1);
}

#[test]
fn run_takes_capabilities_and_environment_files_as_the_reference_does() {
    let p = TestProject::new("cli-surface-run");
    p.write(
        "compose.yml",
        &format!(
            "services:\n  app:\n    image: {}\n    environment: {{FROM_SERVICE: s}}\n",
            test_image()
        ),
    );
    p.write("extra.env", "A=from-file\nB=from-file\nC=${B}-copied\n");
    let args = [
        "run",
        "--rm",
        "-T",
        "--cap-drop",
        "ALL",
        "--cap-add",
        "NET_ADMIN",
        "--env-from-file",
        "extra.env",
        "-e",
        "B=given",
        "app",
        "sh",
        "-c",
        "echo $A $B $C $FROM_SERVICE; grep CapEff /proc/self/status",
    ];
    let ours = ok(&p.rcompose(&args), "rcompose run");
    let theirs = ok(&reference(&p.dir, &args), "the reference's run");
    assert_eq!(ours, theirs);
    assert!(
        ours.starts_with("from-file given given-copied s\n"),
        "{ours}"
    );
    // NET_ADMIN alone is capability 12.
    assert!(ours.contains("CapEff:\t0000000000001000"), "{ours}");
}

#[test]
fn orphans_are_listed_and_killed_only_when_asked() {
    let p = TestProject::new("cli-surface-orphans");
    let both = format!(
        "services:\n{}{}",
        looping_service("kept", ""),
        looping_service("gone", "")
    );
    p.write("compose.yml", &both);
    ok(&p.rcompose(&["up", "-d"]), "up -d");
    p.write(
        "compose.yml",
        &format!("services:\n{}", looping_service("kept", "")),
    );
    let all = ok(&p.rcompose(&["ps", "--services"]), "ps");
    assert_eq!(sorted_lines(&all), ["gone", "kept"]);
    let declared = ok(&p.rcompose(&["ps", "--services", "--orphans=false"]), "ps");
    assert_eq!(declared.trim(), "kept");
    let theirs = ok(
        &reference(&p.dir, &["ps", "--services", "--orphans=false"]),
        "the reference's ps",
    );
    assert_eq!(declared, theirs);
    let table = ok(&p.rcompose(&["ps", "--no-trunc"]), "ps --no-trunc");
    assert!(
        table.contains("while true; do sleep 1 & wait $!; done"),
        "{table}"
    );

    ok(&p.rcompose(&["kill"]), "kill");
    assert_eq!(
        p.states(),
        [
            format!("{}-gone-1 running", p.name),
            format!("{}-kept-1 exited", p.name)
        ]
    );
    ok(
        &p.rcompose(&["kill", "--remove-orphans"]),
        "kill --remove-orphans",
    );
    assert_eq!(
        p.states(),
        [
            format!("{}-gone-1 exited", p.name),
            format!("{}-kept-1 exited", p.name)
        ]
    );
}

#[test]
fn start_wait_returns_once_healthy() {
    let p = TestProject::new("cli-surface-start");
    p.write(
        "compose.yml",
        &format!(
            "services:\n{}",
            looping_service(
                "app",
                "    healthcheck: {test: [\"CMD\", \"test\", \"-e\", \"/tmp/ready\"], interval: 1s}\n    entrypoint: [\"sh\", \"-c\", \"rm -f /tmp/ready; (sleep 2; touch /tmp/ready) & exec \\\"$$@\\\"\", \"--\"]\n"
            )
        ),
    );
    ok(&p.rcompose(&["create"]), "create");
    ok(
        &p.rcompose(&["start", "--wait", "--wait-timeout", "60"]),
        "start --wait",
    );
    let health = docker(&[
        "inspect",
        "--format",
        "{{.State.Health.Status}}",
        &format!("{}-app-1", p.name),
    ]);
    assert_eq!(health, "healthy");
    ok(&p.rcompose(&["stop"]), "stop");
    let out = p.rcompose(&["start", "--wait-timeout", "5"]);
    assert!(!out.status.success(), "--wait-timeout needs --wait");
}

#[test]
fn attached_up_aborts_on_failure_only_and_shows_what_is_asked() {
    let p = TestProject::new("cli-surface-attach");
    let image = test_image();
    p.write(
        "compose.yml",
        &format!(
            r#"services:
  fine:
    image: {image}
    command: ["sh", "-c", "echo fine-done"]
  quiet:
    image: {image}
    command: ["sh", "-c", "echo from-quiet; sleep 2; echo failing; exit 3"]
  long:
    image: {image}
    command: {}
    stop_grace_period: 1s
"#,
            support::LOOPING
        ),
    );
    let args = [
        "up",
        "--abort-on-container-failure",
        "--no-log-prefix",
        "--no-attach",
        "long",
    ];
    let ours = p.rcompose(&args);
    assert_eq!(ours.status.code(), Some(3), "{}", stderr(&ours));
    let text = stdout(&ours);
    assert!(text.lines().any(|l| l == "failing"), "{text}");
    assert!(
        text.lines().any(|l| l == "fine-done"),
        "a clean exit does not abort:\n{text}"
    );
    assert!(!text.contains("| "), "--no-log-prefix:\n{text}");
    let states = p.states();
    assert!(
        states.contains(&format!("{}-long-1 exited", p.name)),
        "the project is stopped on the failure: {states:?}"
    );
    ok(&p.rcompose(&["down", "-t", "0"]), "down");
    let theirs = reference(&p.dir, &args);
    assert_eq!(theirs.status.code(), Some(3), "{}", stderr(&theirs));
}

#[test]
fn volumes_export_and_commit_as_the_reference_does() {
    let p = TestProject::new("cli-surface-volumes");
    p.write(
        "compose.yml",
        &format!(
            "services:\n{}{}volumes:\n  data:\n",
            looping_service("app", "    volumes: [data:/data]\n"),
            looping_service("other", "")
        ),
    );
    ok(&p.rcompose(&["up", "-d"]), "up -d");
    ok(
        &p.rcompose(&["exec", "-T", "app", "sh", "-c", "echo kept > /data/file"]),
        "exec",
    );
    for args in [
        &["volumes"][..],
        &["volumes", "--format", "json"],
        &["volumes", "-q", "app"],
        &["volumes", "other"],
    ] {
        let ours = ok(&p.rcompose(args), "rcompose volumes");
        let theirs = ok(&reference(&p.dir, args), "the reference's volumes");
        assert_eq!(ours, theirs, "{args:?}");
    }
    assert!(ok(&p.rcompose(&["volumes", "-q"]), "volumes").contains(&format!("{}_data", p.name)));

    let archive = p.dir.join("app.tar");
    let archive_arg = archive.display().to_string();
    ok(
        &p.rcompose(&["export", "app", "-o", &archive_arg]),
        "export",
    );
    let listing = Command::new("tar")
        .arg("tf")
        .arg(&archive)
        .output()
        .expect("tar");
    assert!(stdout(&listing).lines().any(|l| l == "bin/busybox"));

    let image = format!("{}-committed:1", p.name);
    let out = p.rcompose(&[
        "commit",
        "-m",
        "from rcompose",
        "-c",
        "ENV MARK=yes",
        "app",
        &image,
    ]);
    ok(&out, "commit");
    let inspect = docker(&[
        "image",
        "inspect",
        "--format",
        "{{.Comment}} {{range .Config.Env}}{{.}} {{end}}",
        &image,
    ]);
    let _ = docker(&["rmi", &image]);
    assert!(inspect.starts_with("from rcompose "), "{inspect}");
    assert!(inspect.contains("MARK=yes"), "{inspect}");
    let missing = p.rcompose(&["commit", "--index", "2", "app"]);
    assert!(!missing.status.success());
    assert!(
        stderr(&missing).contains("service \"app\" is not running container #2"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn events_since_until_end_by_themselves() {
    let p = TestProject::new("cli-surface-events");
    p.write(
        "compose.yml",
        &format!("services:\n{}", looping_service("app", "")),
    );
    ok(&p.rcompose(&["up", "-d"]), "up -d");
    let until = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        + 1;
    let until = until.to_string();
    let out = ok(
        &p.rcompose(&["events", "--json", "--since", "5m", "--until", &until]),
        "events --since --until",
    );
    assert!(
        out.lines().any(|l| l.contains("\"action\":\"start\"")),
        "{out}"
    );
    ok(&p.rcompose(&["stop", "-t", "0"]), "stop");
    let stats = ok(
        &p.rcompose(&["stats", "--all", "--no-stream", "--format", "json"]),
        "stats --all",
    );
    assert!(stats.contains(&format!("{}-app-1", p.name)), "{stats}");
    let running_only = ok(
        &p.rcompose(&["stats", "--no-stream", "--format", "json"]),
        "stats",
    );
    assert!(running_only.trim().is_empty(), "{running_only}");
}

#[test]
fn ps_takes_templates_and_the_docker_cli_ps_format() {
    let p = TestProject::new("cli-surface-psformat");
    p.write(
        "compose.yml",
        &format!("services:\n{}", looping_service("app", "")),
    );
    ok(&p.rcompose(&["up", "-d"]), "up -d");
    let config = p.dir.join("docker-config");
    std::fs::create_dir_all(&config).expect("config dir");
    std::fs::write(
        config.join("config.json"),
        r#"{"psFormat": "table {{.Name}}\t{{.Service}}\t{{.State}}"}"#,
    )
    .expect("config.json");
    let config = config.display().to_string();
    let trimmed = |text: String| -> String {
        text.lines()
            .map(|l| l.trim_end().to_string() + "\n")
            .collect()
    };
    let env = [("DOCKER_CONFIG", config.as_str())];
    let ours = ok(&p.rcompose_with_env(&["ps"], &env), "ps with psFormat");
    assert_eq!(
        ours,
        format!(
            "NAME{}SERVICE   STATE\n{}-app-1   app       running\n",
            " ".repeat(p.name.len() + 6 - 4 + 3),
            p.name
        )
    );
    let theirs = Command::new(reference_binary())
        .arg("ps")
        .current_dir(&p.dir)
        .env("DOCKER_CONFIG", &config)
        .env_remove("COMPOSE_PROJECT_NAME")
        .output()
        .expect("the reference's ps");
    assert_eq!(ours, trimmed(ok(&theirs, "the reference's ps")));
    for template in ["{{.Name}} {{json .State}}", r"table {{.ID}}\t{{.Command}}"] {
        let ours = ok(&p.rcompose(&["ps", "--format", template]), "ps --format");
        let theirs = ok(
            &reference(&p.dir, &["ps", "--format", template]),
            "ps --format",
        );
        assert_eq!(ours, trimmed(theirs), "{template}");
    }
    let unsupported = p.rcompose(&["ps", "--format", "{{upper .Name}}"]);
    assert!(!unsupported.status.success());
    assert!(
        stderr(&unsupported).contains("not supported"),
        "{}",
        stderr(&unsupported)
    );
}
