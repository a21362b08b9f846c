//! The flags of `up` on the real engine, each compared with what docker compose v2 does:
//! --abort-on-container-exit, --exit-code-from, --scale and deploy.replicas, --remove-orphans,
//! --no-deps, service names, --no-recreate, --force-recreate, --no-start, --parallel, and
//! depends_on with `restart: true` and `required: false`.

mod support;

use std::collections::BTreeMap;

use support::{TestProject, docker, looping, looping_service, ok, stderr, stdout, test_image};

fn compose(services: &[String]) -> String {
    format!("services:\n{}", services.concat())
}

/// `container name → ID` of the project's containers, running or not.
fn ids(p: &TestProject) -> BTreeMap<String, String> {
    let filter = p.label_filter();
    docker(&[
        "ps",
        "-a",
        "--no-trunc",
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

fn names(p: &TestProject) -> Vec<String> {
    ids(p).into_keys().collect()
}

fn inspect(container: &str, format: &str) -> String {
    docker(&["inspect", "--format", format, container])
}

fn state(container: &str) -> String {
    inspect(container, "{{.State.Status}}")
}

#[test]
fn abort_on_container_exit_stops_the_others_with_the_first_exit_code() {
    let p = TestProject::new("abort-exit");
    let quitter = format!(
        "  quitter:\n    image: {}\n    command: [\"sh\", \"-c\", \"echo bye; exit 3\"]\n    depends_on: [waiter]\n",
        test_image()
    );
    p.write(
        "compose.yml",
        &compose(&[looping_service("waiter", ""), quitter]),
    );
    let out = p.rcompose(&["-p", &p.name, "up", "--abort-on-container-exit"]);
    // docker compose returns the exit code of the container that stopped first.
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let waiter = format!("{}-waiter-1", p.name);
    assert_eq!(state(&waiter), "exited", "the others are stopped");
    assert_eq!(
        inspect(&waiter, "{{.State.ExitCode}}"),
        "0",
        "stopped by SIGTERM"
    );
    let shown = stdout(&out);
    assert!(shown.contains("bye"), "attached: {shown}");
    assert!(shown.contains("quitter-1 exited with code 3"), "{shown}");
    assert!(shown.contains("Aborting on container exit..."), "{shown}");
}

#[test]
fn abort_on_container_exit_sees_an_exit_that_came_before_the_rollout_ended() {
    let p = TestProject::new("abort-early");
    // The quitter ends at once; the rollout goes on, waiting for the waiter to be healthy
    // before it starts the late service, so the exit happens before attaching begins.
    let quitter = format!(
        "  quitter:\n    image: {}\n    command: [\"sh\", \"-c\", \"exit 5\"]\n",
        test_image()
    );
    p.write(
        "compose.yml",
        &compose(&[
            quitter,
            looping_service(
                "waiter",
                "    healthcheck:\n      test: [\"CMD\", \"true\"]\n      interval: 1s\n",
            ),
            looping_service(
                "late",
                "    depends_on:\n      waiter: {condition: service_healthy}\n",
            ),
        ]),
    );
    let out = p.rcompose(&["-p", &p.name, "up", "--abort-on-container-exit"]);
    assert_eq!(
        out.status.code(),
        Some(5),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(state(&format!("{}-waiter-1", p.name)), "exited");
    assert_eq!(state(&format!("{}-late-1", p.name)), "exited");
}

#[test]
fn exit_code_from_returns_that_services_code_and_aborts() {
    let p = TestProject::new("exit-code-from");
    let quitter = format!(
        "  quitter:\n    image: {}\n    command: [\"sh\", \"-c\", \"exit 3\"]\n    depends_on: [waiter]\n",
        test_image()
    );
    let waiter = format!(
        "  waiter:\n    image: {}\n    command: {}\n    stop_grace_period: 2s\n",
        test_image(),
        looping(7)
    );
    p.write("compose.yml", &compose(&[waiter, quitter]));
    let out = p.rcompose(&["-p", &p.name, "up", "--exit-code-from", "waiter"]);
    // The quitter's exit stops the waiter (SIGTERM → exit 7); the waiter's code is ours.
    assert_eq!(
        out.status.code(),
        Some(7),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(state(&format!("{}-waiter-1", p.name)), "exited");

    // An unknown service is an error before anything runs.
    let out = p.rcompose(&["-p", &p.name, "up", "--exit-code-from", "nope"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("no such service: nope"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn scale_adds_and_removes_the_highest_numbered_replicas() {
    let p = TestProject::new("scale");
    p.write("compose.yml", &compose(&[looping_service("web", "")]));
    let name = &p.name;
    let c = |n: u32| format!("{name}-web-{n}");

    ok(
        &p.rcompose(&["-p", name, "up", "-d", "--scale", "web=3"]),
        "up --scale web=3",
    );
    let three = ids(&p);
    assert_eq!(names(&p), vec![c(1), c(2), c(3)]);
    for n in 1..=3 {
        assert_eq!(state(&c(n)), "running");
        assert_eq!(
            inspect(
                &c(n),
                "{{index .Config.Labels \"com.docker.compose.container-number\"}}"
            ),
            n.to_string()
        );
    }

    ok(
        &p.rcompose(&["-p", name, "up", "-d", "--scale", "web=1"]),
        "up --scale web=1",
    );
    let one = ids(&p);
    assert_eq!(one.keys().cloned().collect::<Vec<_>>(), vec![c(1)]);
    assert_eq!(
        one.get(&c(1)),
        three.get(&c(1)),
        "replica 1 is kept as it is"
    );

    // Up again: 2 is created anew, 1 is kept.
    ok(
        &p.rcompose(&["-p", name, "up", "-d", "--scale", "web=2"]),
        "up --scale web=2",
    );
    let two = ids(&p);
    assert_eq!(two.keys().cloned().collect::<Vec<_>>(), vec![c(1), c(2)]);
    assert_eq!(two.get(&c(1)), three.get(&c(1)));
    assert_ne!(
        two.get(&c(2)),
        three.get(&c(2)),
        "a removed replica is gone for good"
    );

    // A fixed container_name allows one container only: scaling it up is an error that says so.
    p.write(
        "compose.yml",
        &compose(&[looping_service(
            "web",
            &format!("    container_name: {name}-fixed\n"),
        )]),
    );
    let out = p.rcompose(&["-p", name, "up", "-d", "--scale", "web=2"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("--scale web=2") && err.contains("container_name"),
        "{err}"
    );
    assert_eq!(ids(&p), two, "nothing changed");
}

#[test]
fn deploy_replicas_and_scale_set_the_count_and_the_flag_overrides_them() {
    let p = TestProject::new("replicas");
    p.write(
        "compose.yml",
        &compose(&[
            looping_service("api", "    deploy:\n      replicas: 2\n"),
            looping_service("worker", "    scale: 3\n"),
        ]),
    );
    let name = &p.name;
    ok(&p.rcompose(&["-p", name, "up", "-d"]), "up");
    assert_eq!(
        names(&p),
        vec![
            format!("{name}-api-1"),
            format!("{name}-api-2"),
            format!("{name}-worker-1"),
            format!("{name}-worker-2"),
            format!("{name}-worker-3"),
        ]
    );
    ok(
        &p.rcompose(&["-p", name, "up", "-d", "--scale", "api=1"]),
        "up --scale api=1",
    );
    let left = names(&p);
    assert!(!left.contains(&format!("{name}-api-2")), "{left:?}");
    assert!(left.contains(&format!("{name}-api-1")), "{left:?}");
    assert_eq!(left.len(), 4, "{left:?}");
}

#[test]
fn orphans_are_reported_and_removed_with_remove_orphans() {
    let p = TestProject::new("orphans");
    let name = &p.name;
    p.write(
        "compose.yml",
        &compose(&[looping_service("web", ""), looping_service("old", "")]),
    );
    ok(&p.rcompose(&["-p", name, "up", "-d"]), "up");
    let old = format!("{name}-old-1");

    p.write("compose.yml", &compose(&[looping_service("web", "")]));
    let out = p.rcompose(&["-p", name, "up", "-d"]);
    ok(&out, "up without old");
    let err = stderr(&out);
    // Worded as docker compose words it.
    assert!(
        err.contains(&format!(
            "WARN Found orphan containers ([{old}]) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up."
        )),
        "{err}"
    );
    assert_eq!(state(&old), "running", "an orphan is only reported");
    let out = p.rcompose_with_env(
        &["-p", name, "up", "-d"],
        &[("COMPOSE_IGNORE_ORPHANS", "1")],
    );
    ok(&out, "up with COMPOSE_IGNORE_ORPHANS");
    assert!(!stderr(&out).contains("Found orphan"), "{}", stderr(&out));

    let out = p.rcompose(&["-p", name, "up", "-d", "--remove-orphans"]);
    ok(&out, "up --remove-orphans");
    assert!(!stderr(&out).contains("Found orphan"), "{}", stderr(&out));
    assert_eq!(names(&p), vec![format!("{name}-web-1")]);
}

#[test]
fn no_deps_leaves_the_dependency_alone_and_names_bring_dependencies() {
    let p = TestProject::new("no-deps");
    let name = &p.name;
    p.write(
        "compose.yml",
        &compose(&[
            looping_service("db", ""),
            looping_service("app", "    depends_on: [db]\n"),
            looping_service("other", ""),
        ]),
    );
    ok(
        &p.rcompose(&["-p", name, "up", "-d", "--no-deps", "app"]),
        "up --no-deps app",
    );
    assert_eq!(names(&p), vec![format!("{name}-app-1")]);

    ok(&p.rcompose(&["-p", name, "down", "-t", "0"]), "down");
    ok(&p.rcompose(&["-p", name, "up", "-d", "app"]), "up app");
    assert_eq!(
        names(&p),
        vec![format!("{name}-app-1"), format!("{name}-db-1")],
        "the dependency comes along, the unrelated service does not"
    );
    assert_eq!(state(&format!("{name}-db-1")), "running");

    // --no-deps with --force-recreate replaces the named service's container alone.
    let before = ids(&p);
    ok(
        &p.rcompose(&[
            "-p",
            name,
            "up",
            "-d",
            "--no-deps",
            "--force-recreate",
            "app",
        ]),
        "up --no-deps --force-recreate app",
    );
    let after = ids(&p);
    let (app, db) = (format!("{name}-app-1"), format!("{name}-db-1"));
    assert_ne!(after.get(&app), before.get(&app));
    assert_eq!(after.get(&db), before.get(&db));
}

#[test]
fn no_recreate_keeps_a_changed_service_and_force_recreate_replaces_unchanged_ones() {
    let p = TestProject::new("recreate");
    let name = &p.name;
    let file = |value: &str| {
        compose(&[
            looping_service(
                "web",
                &format!("    environment:\n      LEVEL: \"{value}\"\n"),
            ),
            looping_service("db", ""),
        ])
    };
    p.write("compose.yml", &file("1"));
    ok(&p.rcompose(&["-p", name, "up", "-d"]), "up");
    let first = ids(&p);

    p.write("compose.yml", &file("2"));
    ok(
        &p.rcompose(&["-p", name, "up", "-d", "--no-recreate"]),
        "up --no-recreate",
    );
    assert_eq!(
        ids(&p),
        first,
        "--no-recreate keeps the changed service's container"
    );
    // Without it the change is seen: the test above could fail.
    ok(&p.rcompose(&["-p", name, "up", "-d"]), "up");
    let changed = ids(&p);
    let web = format!("{name}-web-1");
    let db = format!("{name}-db-1");
    assert_ne!(changed.get(&web), first.get(&web));
    assert_eq!(changed.get(&db), first.get(&db));

    ok(
        &p.rcompose(&["-p", name, "up", "-d", "--force-recreate"]),
        "up --force-recreate",
    );
    let forced = ids(&p);
    assert_eq!(forced.len(), 2);
    for (container, id) in &changed {
        assert_ne!(forced.get(container), Some(id), "{container} must be new");
    }
    assert_eq!(state(&web), "running");
    assert_eq!(state(&db), "running");

    let out = p.rcompose(&["-p", name, "up", "-d", "--force-recreate", "--no-recreate"]);
    assert!(!out.status.success(), "the two flags exclude each other");
}

#[test]
fn no_start_creates_containers_without_starting_them() {
    let p = TestProject::new("no-start");
    let name = &p.name;
    p.write(
        "compose.yml",
        &compose(&[
            looping_service("db", ""),
            looping_service("app", "    depends_on: [db]\n"),
        ]),
    );
    ok(
        &p.rcompose(&["-p", name, "up", "--no-start"]),
        "up --no-start",
    );
    assert_eq!(state(&format!("{name}-app-1")), "created");
    assert_eq!(state(&format!("{name}-db-1")), "created");
    assert_eq!(p.ids("network").len(), 1, "the default network is created");

    // A later up starts the same containers.
    let before = ids(&p);
    ok(&p.rcompose(&["-p", name, "up", "-d"]), "up");
    assert_eq!(ids(&p), before);
    assert_eq!(state(&format!("{name}-app-1")), "running");
}

#[test]
fn parallel_one_still_converges() {
    let p = TestProject::new("parallel");
    let name = &p.name;
    p.write(
        "compose.yml",
        &compose(&[
            looping_service("a", ""),
            looping_service("b", ""),
            looping_service("c", "    depends_on: [a, b]\n    scale: 2\n"),
        ]),
    );
    let expected: Vec<String> = ["a-1", "b-1", "c-1", "c-2"]
        .iter()
        .map(|s| format!("{name}-{s}"))
        .collect();
    ok(
        &p.rcompose(&["-p", name, "up", "-d", "--parallel", "1"]),
        "up --parallel 1",
    );
    assert_eq!(names(&p), expected);
    for c in &expected {
        assert_eq!(state(c), "running", "{c}");
    }

    // docker compose's spelling: a global flag before the verb, and the environment.
    ok(&p.rcompose(&["-p", name, "down", "-t", "0"]), "down");
    ok(
        &p.rcompose(&["--parallel", "1", "-p", name, "up", "-d"]),
        "--parallel 1 up",
    );
    assert_eq!(names(&p), expected);
    ok(&p.rcompose(&["-p", name, "down", "-t", "0"]), "down");
    let out = p.rcompose_with_env(
        &["-p", name, "up", "-d"],
        &[("COMPOSE_PARALLEL_LIMIT", "1")],
    );
    ok(&out, "COMPOSE_PARALLEL_LIMIT=1 up");
    assert_eq!(names(&p), expected);
    // -1 means unlimited, as in docker compose.
    ok(
        &p.rcompose(&["--parallel", "-1", "-p", name, "up", "-d"]),
        "--parallel -1 up",
    );
    assert_eq!(names(&p), expected);
}

#[test]
fn restart_true_restarts_the_dependent_when_the_dependency_is_recreated() {
    let p = TestProject::new("dep-restart");
    let name = &p.name;
    let file = |value: &str| {
        compose(&[
            looping_service(
                "db",
                &format!("    environment:\n      VERSION: \"{value}\"\n"),
            ),
            looping_service(
                "app",
                "    depends_on:\n      db:\n        condition: service_started\n        restart: true\n",
            ),
            looping_service("report", "    depends_on: [db]\n"),
        ])
    };
    p.write("compose.yml", &file("1"));
    ok(&p.rcompose(&["-p", name, "up", "-d"]), "up");
    let before = ids(&p);
    let (db, app, report) = (
        format!("{name}-db-1"),
        format!("{name}-app-1"),
        format!("{name}-report-1"),
    );
    let started = |c: &str| inspect(c, "{{.State.StartedAt}}");
    let (app_started, report_started) = (started(&app), started(&report));

    p.write("compose.yml", &file("2"));
    ok(
        &p.rcompose(&["-p", name, "up", "-d"]),
        "up after the change",
    );
    let after = ids(&p);
    assert_ne!(
        after.get(&db),
        before.get(&db),
        "the changed dependency is recreated"
    );
    // docker compose: "Compose restarts this service after it updates the dependency":
    // the same container, started again.
    assert_eq!(after.get(&app), before.get(&app));
    assert!(started(&app) > app_started, "app must be restarted");
    assert_eq!(state(&app), "running");
    // Without restart: true the dependent is left alone.
    assert_eq!(after.get(&report), before.get(&report));
    assert_eq!(started(&report), report_started);

    // `restart db` restarts app too (restart: true), after db; report stays as it is.
    let (db_started, app_started) = (started(&db), started(&app));
    ok(
        &p.rcompose(&["-p", name, "restart", "-t", "0", "db"]),
        "restart db",
    );
    assert!(started(&db) > db_started, "db must be restarted");
    assert!(started(&app) >= started(&db), "app comes back after db");
    assert!(started(&app) > app_started, "app must be restarted");
    assert_eq!(started(&report), report_started);
}

#[test]
fn optional_dependencies_only_warn() {
    let p = TestProject::new("optional-dep");
    let name = &p.name;
    let failing = format!(
        "  setup:\n    image: {}\n    command: [\"sh\", \"-c\", \"exit 4\"]\n",
        test_image()
    );
    let ghost = looping_service("ghost", "    profiles: [extra]\n");
    p.write(
        "compose.yml",
        &compose(&[
            failing,
            ghost,
            looping_service(
                "app",
                "    depends_on:\n      setup:\n        condition: service_completed_successfully\n        required: false\n      ghost:\n        condition: service_started\n        required: false\n",
            ),
        ]),
    );
    let out = p.rcompose(&["-p", name, "up", "-d"]);
    ok(&out, "up with failing optional dependencies");
    let err = stderr(&out);
    assert!(
        err.contains("setup") && err.contains("exit 4"),
        "a warning names it: {err}"
    );
    assert_eq!(state(&format!("{name}-app-1")), "running");
    assert!(
        !names(&p).contains(&format!("{name}-ghost-1")),
        "a disabled profile stays off"
    );

    // The same dependency, required: it stops the rollout.
    let required = format!(
        "services:\n  setup:\n    image: {}\n    command: [\"sh\", \"-c\", \"exit 4\"]\n{}",
        test_image(),
        looping_service(
            "app",
            "    depends_on:\n      setup:\n        condition: service_completed_successfully\n"
        )
    );
    ok(&p.rcompose(&["-p", name, "down", "-t", "0"]), "down");
    p.write("compose.yml", &required);
    let out = p.rcompose(&["-p", name, "up", "-d"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("exit 4"), "{}", stderr(&out));
}

#[test]
fn healthcheck_start_interval_is_passed_or_warned_about_by_engine_version() {
    let p = TestProject::new("start-interval");
    let name = &p.name;
    p.write(
        "compose.yml",
        &compose(&[looping_service(
            "web",
            "    healthcheck:\n      test: [\"CMD\", \"true\"]\n      interval: 1s\n      start_period: 5s\n      start_interval: 2s\n",
        )]),
    );
    let out = p.rcompose(&["-p", name, "up", "-d"]);
    ok(&out, "up");
    let api = docker(&["version", "--format", "{{.Server.APIVersion}}"]);
    let (major, minor) = api.split_once('.').expect("an API version such as 1.41");
    let knows = (
        major.parse::<u32>().unwrap_or(0),
        minor.parse::<u32>().unwrap_or(0),
    ) >= (1, 44);
    let web = format!("{name}-web-1");
    if knows {
        assert_eq!(inspect(&web, "{{.Config.Healthcheck.StartInterval}}"), "2s");
    } else {
        // Never dropped silently: the service and the key are named, as a progress warning.
        assert!(
            stderr(&out).contains(&format!(
                "Service web  healthcheck.start_interval: needs Engine API 1.44 or later (this engine speaks {api}); ignored"
            )),
            "{}",
            stderr(&out)
        );
        assert_eq!(
            inspect(&web, "{{.Config.Healthcheck.StartPeriod}}"),
            "5s",
            "the rest of the healthcheck is applied"
        );
    }
}

/// The engine here speaks API 1.41: `annotations` need 1.43.
const ANNOTATIONS_WARNING: &str =
    "annotations: needs Engine API 1.43 or later (this engine speaks 1.41); ignored";

#[test]
fn unhandled_keys_are_named_through_progress_and_hooks_no_longer_are() {
    let p = TestProject::new("hooks-named");
    let name = &p.name;
    p.write(
        "compose.yml",
        &compose(&[looping_service(
            "web",
            "    annotations:\n      a: b\n    post_start:\n      - command: [\"true\"]\n    pre_stop:\n      - command: [\"true\"]\n",
        )]),
    );
    let out = p.rcompose(&["-p", name, "--progress", "plain", "up", "-d"]);
    ok(&out, "up");
    let err = stderr(&out);
    assert!(
        err.contains(&format!("Service web  {ANNOTATIONS_WARNING}")),
        "{err}"
    );
    // Hooks run now: nothing warns about them.
    assert!(
        !err.contains("post_start") && !err.contains("pre_stop"),
        "{err}"
    );
    // A warning is a progress event: JSON mode carries it as JSON, quiet mode prints nothing.
    let out = p.rcompose(&["-p", name, "--progress", "json", "up", "-d"]);
    ok(&out, "up --progress json");
    let warning = stderr(&out)
        .lines()
        .find(|l| l.contains("annotations"))
        .map(str::to_string)
        .unwrap_or_default();
    let event: serde_json::Value = serde_json::from_str(&warning)
        .unwrap_or_else(|e| panic!("not a JSON event ({e}): {}", stderr(&out)));
    assert_eq!(event["id"], "Service web", "{event}");
    assert_eq!(event["status"], "warning", "{event}");
    assert_eq!(event["text"], ANNOTATIONS_WARNING, "{event}");
    let out = p.rcompose(&["-p", name, "--progress", "quiet", "up", "-d"]);
    ok(&out, "up --progress quiet");
    assert!(!stderr(&out).contains("annotations"), "{}", stderr(&out));
}
