//! `ps`, `kill -s`, `pause` and `unpause` on the real engine, compared with docker compose v2:
//! ps -a, -q, --services, --status, --filter, --format json (its keys), a signal reaching the
//! process, the paused state.

mod support;

use serde_json::Value;
use support::{TestProject, docker, looping_service, ok, test_image};

/// `ps --format json` (plus `extra` flags): one object per line, as docker compose v2 prints it.
fn ps_json(p: &TestProject, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["-p", p.name.as_str(), "ps", "--format", "json"];
    args.extend_from_slice(extra);
    ok(&p.rcompose(&args), "ps --format json")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// The object for `service` in `list`.
fn of<'a>(list: &'a [Value], service: &str) -> &'a Value {
    list.iter()
        .find(|v| v["Service"] == service)
        .unwrap_or_else(|| panic!("no {service} in {list:?}"))
}

#[test]
fn ps_flags_select_and_format_like_docker_compose() {
    let p = TestProject::new("ps-flags");
    let name = p.name.clone();
    p.write(
        "compose.yml",
        &format!(
            "services:\n{}  job:\n    image: {}\n    command: [\"sh\", \"-c\", \"exit 5\"]\n",
            looping_service(
                "web",
                "    ports: [\"127.0.0.1::8080\"]\n    healthcheck:\n      test: [\"CMD\", \"true\"]\n      interval: 1s\n",
            ),
            test_image()
        ),
    );
    ok(
        &p.rcompose(&["-p", &name, "up", "-d", "--wait", "web"]),
        "up --wait web",
    );
    ok(&p.rcompose(&["-p", &name, "up", "-d", "job"]), "up job");
    let job = format!("{name}-job-1");
    let web = format!("{name}-web-1");
    // The engine answers when the job has ended: no polling.
    assert_eq!(docker(&["wait", &job]), "5");

    // Running containers by default, every one with -a.
    let table = ok(&p.rcompose(&["-p", &name, "ps"]), "ps");
    assert!(table.starts_with("NAME "), "{table}");
    assert!(table.contains(&web) && !table.contains(&job), "{table}");
    let all = ok(&p.rcompose(&["-p", &name, "ps", "-a"]), "ps -a");
    assert!(all.contains(&web) && all.contains(&job), "{all}");
    assert!(all.contains("Exited (5)"), "{all}");

    // -q: full IDs, one a line.
    let full_id = |c: &str| docker(&["inspect", "--format", "{{.Id}}", c]);
    let quiet = ok(&p.rcompose(&["-p", &name, "ps", "-q"]), "ps -q");
    assert_eq!(quiet, format!("{}\n", full_id(&web)));
    let quiet_all = ok(&p.rcompose(&["-p", &name, "ps", "-a", "-q"]), "ps -a -q");
    assert_eq!(quiet_all, format!("{}\n{}\n", full_id(&job), full_id(&web)));

    // --services.
    let services = ok(
        &p.rcompose(&["-p", &name, "ps", "--services"]),
        "ps --services",
    );
    assert_eq!(services, "web\n");
    let services = ok(&p.rcompose(&["-p", &name, "ps", "-a", "--services"]), "ps");
    assert_eq!(services, "job\nweb\n");

    // --status (implies all), and --filter status=, docker compose's older spelling.
    let exited = ok(
        &p.rcompose(&["-p", &name, "ps", "--status", "exited", "--services"]),
        "ps --status exited",
    );
    assert_eq!(exited, "job\n");
    let running = ok(
        &p.rcompose(&["-p", &name, "ps", "--filter", "status=running", "-q"]),
        "ps --filter status=running",
    );
    assert_eq!(running, format!("{}\n", full_id(&web)));
    let bad = p.rcompose(&["-p", &name, "ps", "--status", "sleeping"]);
    assert!(!bad.status.success(), "an unknown status is an error");
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("sleeping") && err.contains("exited"), "{err}");

    // Service names limit the list; an unknown one is an error.
    let only_job = ok(
        &p.rcompose(&["-p", &name, "ps", "-a", "-q", "job"]),
        "ps job",
    );
    assert_eq!(only_job, format!("{}\n", full_id(&job)));
    let unknown = p.rcompose(&["-p", &name, "ps", "nope"]);
    assert!(!unknown.status.success());
    let err = String::from_utf8_lossy(&unknown.stderr);
    assert!(err.contains("no such service: nope"), "{err}");

    // --format json: docker compose v2's keys and values.
    let list = ps_json(&p, &["-a"]);
    assert_eq!(list.len(), 2, "{list:?}");
    let w = of(&list, "web");
    assert_eq!(w["Name"], web.as_str());
    assert_eq!(w["Names"], web.as_str());
    assert_eq!(w["Project"], name.as_str());
    assert_eq!(w["State"], "running");
    assert_eq!(w["Health"], "healthy");
    assert_eq!(w["ExitCode"], 0);
    assert_eq!(w["ID"], full_id(&web).as_str());
    assert_eq!(w["Image"], test_image());
    assert!(
        w["Status"].as_str().is_some_and(|s| s.starts_with("Up ")),
        "{w}"
    );
    assert_eq!(w["Networks"], format!("{name}_default").as_str());
    assert_eq!(w["LocalVolumes"], "0");
    assert!(
        w["CreatedAt"].as_str().is_some_and(|s| !s.is_empty()),
        "{w}"
    );
    assert!(
        w["RunningFor"]
            .as_str()
            .is_some_and(|s| s.ends_with(" ago")),
        "{w}"
    );
    let published = docker(&["port", &web, "8080/tcp"]);
    let host_port: u64 = published
        .lines()
        .next()
        .and_then(|l| l.rsplit(':').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no published port: {published}"));
    let publishers = w["Publishers"].as_array().expect("Publishers is a list");
    assert_eq!(publishers.len(), 1, "{w}");
    assert_eq!(publishers[0]["URL"], "127.0.0.1");
    assert_eq!(publishers[0]["TargetPort"], 8080);
    assert_eq!(publishers[0]["PublishedPort"], host_port);
    assert_eq!(publishers[0]["Protocol"], "tcp");
    assert_eq!(
        w["Ports"],
        format!("127.0.0.1:{host_port}->8080/tcp").as_str()
    );
    let j = of(&list, "job");
    assert_eq!(j["State"], "exited");
    assert_eq!(j["ExitCode"], 5);
    assert_eq!(j["Health"], "");
    assert_eq!(j["Publishers"].as_array().map(Vec::len), Some(0));
}

#[test]
fn kill_sends_the_signal_to_the_process() {
    let p = TestProject::new("kill-signal");
    let name = p.name.clone();
    p.write(
        "compose.yml",
        &format!(
            "services:\n  catcher:\n    image: {}\n    command: [\"sh\", \"-c\", \"trap 'echo got USR1; exit 42' USR1; while true; do sleep 1 & wait $$!; done\"]\n{}",
            test_image(),
            looping_service("bystander", ""),
        ),
    );
    ok(&p.rcompose(&["-p", &name, "up", "-d"]), "up");
    let catcher = format!("{name}-catcher-1");
    ok(
        &p.rcompose(&["-p", &name, "kill", "-s", "SIGUSR1", "catcher"]),
        "kill -s SIGUSR1",
    );
    // The shell's trap ran: it exits 42 (not 137, not 0) and logged it.
    assert_eq!(docker(&["wait", &catcher]), "42");
    let logs = docker(&["logs", &catcher]);
    assert!(logs.contains("got USR1"), "{logs}");
    // Only the named service got it.
    let bystander = format!("{name}-bystander-1");
    assert_eq!(
        docker(&["inspect", "--format", "{{.State.Status}}", &bystander]),
        "running"
    );

    // The default signal is SIGKILL.
    ok(&p.rcompose(&["-p", &name, "kill", "bystander"]), "kill");
    assert_eq!(docker(&["wait", &bystander]), "137");

    // Nothing left running: said, and not an error.
    let out = p.rcompose(&["-p", &name, "kill"]);
    ok(&out, "kill with nothing running");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no container to kill"), "{err}");
}

#[test]
fn pause_and_unpause_show_in_ps() {
    let p = TestProject::new("pause");
    let name = p.name.clone();
    p.write(
        "compose.yml",
        &format!(
            "services:\n{}{}",
            looping_service("web", ""),
            looping_service("db", "")
        ),
    );
    ok(&p.rcompose(&["-p", &name, "up", "-d"]), "up");
    let web = format!("{name}-web-1");
    let engine_state = |c: &str| docker(&["inspect", "--format", "{{.State.Status}}", c]);

    ok(&p.rcompose(&["-p", &name, "pause", "web"]), "pause web");
    assert_eq!(engine_state(&web), "paused");
    let list = ps_json(&p, &[]);
    assert_eq!(of(&list, "web")["State"], "paused");
    assert_eq!(of(&list, "db")["State"], "running");
    let paused = ok(
        &p.rcompose(&["-p", &name, "ps", "--status", "paused", "--services"]),
        "ps --status paused",
    );
    assert_eq!(paused, "web\n");

    ok(&p.rcompose(&["-p", &name, "unpause", "web"]), "unpause web");
    assert_eq!(engine_state(&web), "running");
    assert_eq!(of(&ps_json(&p, &[]), "web")["State"], "running");

    // down handles a paused project.
    ok(&p.rcompose(&["-p", &name, "pause"]), "pause");
    ok(
        &p.rcompose(&["-p", &name, "down", "-t", "0"]),
        "down of a paused project",
    );
    assert!(p.ids("container").is_empty());
}
