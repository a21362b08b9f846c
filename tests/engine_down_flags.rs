//! The flags of `down` and `rm` on the real engine, compared with docker compose v2:
//! --rmi local, -t/--timeout, -v with an external volume, --remove-orphans, rm -f -s -v.

mod support;

use support::{LOOPING, TestProject, docker, docker_ok, looping_service, ok, stderr, test_image};

fn names(p: &TestProject) -> Vec<String> {
    let filter = p.label_filter();
    let mut names: Vec<String> =
        docker(&["ps", "-a", "--filter", &filter, "--format", "{{.Names}}"])
            .lines()
            .map(str::to_string)
            .collect();
    names.sort();
    names
}

/// Removes an engine object made outside the project (an image, an external volume) when the
/// test ends, also when it fails.
struct Remove(&'static str, String);

impl Drop for Remove {
    fn drop(&mut self) {
        let _ = std::process::Command::new("docker")
            .args([self.0, "rm", "-f", &self.1])
            .output();
    }
}

#[test]
fn down_rmi_local_removes_the_images_built_for_the_project_only() {
    let p = TestProject::new("rmi-local");
    let name = p.name.clone();
    let built = format!("{name}-app");
    let _cleanup = Remove("image", built.clone());
    // Built too, but named by `image:`: a custom tag, which --rmi local leaves alone.
    let custom = format!("{name}-custom:1");
    let _cleanup_custom = Remove("image", custom.clone());
    p.write(
        "app/Dockerfile",
        &format!("FROM {}\nRUN echo built > /built\n", test_image()),
    );
    p.write(
        "compose.yml",
        &format!(
            "services:\n  app:\n    build: ./app\n    command: {LOOPING}\n    stop_grace_period: 2s\n  tagged:\n    build: ./app\n    image: {custom}\n    command: {LOOPING}\n    stop_grace_period: 2s\n{}",
            looping_service("web", "")
        ),
    );
    ok(&p.rcompose(&["-p", &name, "up", "-d"]), "up");
    // docker compose v2 names a built image without `image:` <project>-<service>.
    assert!(
        docker_ok(&["image", "inspect", &built]),
        "{built} was built"
    );

    let out = p.rcompose(&["-p", &name, "down", "--rmi", "local", "-t", "0"]);
    ok(&out, "down --rmi local");
    assert!(
        !docker_ok(&["image", "inspect", &built]),
        "{built} is removed"
    );
    assert!(
        docker_ok(&["image", "inspect", test_image()]),
        "an image the project did not build stays"
    );
    assert!(
        docker_ok(&["image", "inspect", &custom]),
        "a built image named by image: stays"
    );
    assert!(p.ids("container").is_empty());
}

#[test]
fn down_rmi_local_without_a_compose_file_removes_the_images_labelled_for_the_project() {
    let p = TestProject::new("rmi-local-nofile");
    let name = p.name.clone();
    let built = format!("{name}-app");
    let _cleanup = Remove("image", built.clone());
    p.write(
        "app/Dockerfile",
        &format!("FROM {}\nRUN echo built > /built\n", test_image()),
    );
    p.write(
        "compose.yml",
        &format!("services:\n  app:\n    build: ./app\n    command: {LOOPING}\n"),
    );
    ok(&p.rcompose(&["-p", &name, "up", "-d"]), "up");
    assert!(
        docker_ok(&["image", "inspect", &built]),
        "{built} was built"
    );
    let labelled = docker(&[
        "image",
        "inspect",
        "--format",
        "{{index .Config.Labels \"com.docker.compose.project\"}}",
        &built,
    ]);
    assert_eq!(labelled, name, "a built image is labelled with its project");

    // The project is found on the engine; docker compose removes the images labelled for it.
    std::fs::remove_file(p.dir.join("compose.yml")).expect("remove compose.yml");
    ok(
        &p.rcompose(&["-p", &name, "down", "--rmi", "local", "-t", "0"]),
        "down --rmi local without a compose file",
    );
    assert!(p.ids("container").is_empty());
    assert!(
        !docker_ok(&["image", "inspect", &built]),
        "{built} is removed"
    );
    assert!(docker_ok(&["image", "inspect", test_image()]));
}

/// The `die` exit codes and the time between SIGTERM and SIGKILL, from the engine's events.
fn kill_gap_and_exit_codes(p: &TestProject, since: &str) -> (Option<u64>, Vec<String>) {
    let now = docker(&["info", "--format", "{{.SystemTime}}"]);
    let filter = p.label_filter();
    let lines = docker(&[
        "events",
        "--since",
        since,
        "--until",
        &now,
        "--filter",
        &filter,
        "--filter",
        "type=container",
        "--format",
        "{{.Action}} {{.TimeNano}} {{index .Actor.Attributes \"signal\"}} {{index .Actor.Attributes \"exitCode\"}}",
    ]);
    let mut term = None;
    let mut kill = None;
    let mut codes = Vec::new();
    for line in lines.lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        match fields.as_slice() {
            ["kill", t, "15", ..] => term = t.parse::<u64>().ok(),
            ["kill", t, "9", ..] => kill = t.parse::<u64>().ok(),
            ["die", _, _, code] => codes.push(code.to_string()),
            _ => {}
        }
    }
    let gap = term.zip(kill).map(|(t, k)| k.saturating_sub(t));
    (gap, codes)
}

#[test]
fn down_timeout_zero_kills_a_container_that_ignores_sigterm() {
    for flag in ["-t", "--timeout"] {
        let p = TestProject::new("down-timeout");
        let name = p.name.clone();
        // Ignores SIGTERM; the grace period it asks for is a minute.
        p.write(
            "compose.yml",
            &format!(
                "services:\n  stubborn:\n    image: {}\n    command: [\"sh\", \"-c\", \"trap '' TERM; while true; do sleep 1; done\"]\n    stop_grace_period: 1m\n",
                test_image()
            ),
        );
        ok(&p.rcompose(&["-p", &name, "up", "-d"]), "up");
        let since = docker(&["info", "--format", "{{.SystemTime}}"]);
        ok(&p.rcompose(&["-p", &name, "down", flag, "0"]), "down -t 0");
        assert!(p.ids("container").is_empty());
        let (gap, codes) = kill_gap_and_exit_codes(&p, &since);
        assert_eq!(codes, vec!["137".to_string()], "killed ({flag})");
        // SIGKILL followed SIGTERM at once, not after the service's minute of grace.
        let gap = gap.unwrap_or_else(|| panic!("no SIGTERM/SIGKILL pair in the events ({flag})"));
        assert!(
            gap < 30_000_000_000,
            "SIGKILL came {gap} ns after SIGTERM ({flag})"
        );
    }
}

#[test]
fn down_v_removes_project_volumes_but_keeps_external_ones() {
    let p = TestProject::new("down-v-external");
    let name = p.name.clone();
    let external = format!("{name}-outside");
    docker(&["volume", "create", &external]);
    let _cleanup = Remove("volume", external.clone());
    let app_service = looping_service("app", "    volumes: [\"data:/data\", \"shared:/shared\"]\n");
    p.write(
        "compose.yml",
        &format!(
            "services:\n{app_service}volumes:\n  data:\n  shared:\n    external: true\n    name: {external}\n"
        ),
    );
    ok(&p.rcompose(&["-p", &name, "up", "-d"]), "up");
    let app = format!("{name}-app-1");
    docker(&["exec", &app, "sh", "-c", "echo kept > /shared/file"]);
    assert!(docker_ok(&["volume", "inspect", &format!("{name}_data")]));

    ok(
        &p.rcompose(&["-p", &name, "down", "-v", "-t", "0"]),
        "down -v",
    );
    assert!(!docker_ok(&["volume", "inspect", &format!("{name}_data")]));
    assert!(
        docker_ok(&["volume", "inspect", &external]),
        "external volume kept"
    );
    let kept = docker(&[
        "run",
        "--rm",
        "-v",
        &format!("{external}:/shared"),
        test_image(),
        "cat",
        "/shared/file",
    ]);
    assert_eq!(kept, "kept");
}

#[test]
fn down_remove_orphans_removes_containers_of_removed_services() {
    let p = TestProject::new("down-orphans");
    let name = p.name.clone();
    p.write(
        "compose.yml",
        &format!(
            "services:\n{}{}",
            looping_service("web", ""),
            looping_service("old", "")
        ),
    );
    ok(&p.rcompose(&["-p", &name, "up", "-d"]), "up");
    p.write(
        "compose.yml",
        &format!("services:\n{}", looping_service("web", "")),
    );

    // Without the flag the orphan stays (docker compose keeps it too).
    ok(&p.rcompose(&["-p", &name, "down", "-t", "0"]), "down");
    assert_eq!(names(&p), vec![format!("{name}-old-1")]);

    ok(&p.rcompose(&["-p", &name, "up", "-d"]), "up again");
    ok(
        &p.rcompose(&["-p", &name, "down", "--remove-orphans", "-t", "0"]),
        "down --remove-orphans",
    );
    assert!(names(&p).is_empty(), "{:?}", names(&p));
    assert!(
        p.ids("network").is_empty(),
        "the network goes once nothing uses it"
    );

    // COMPOSE_REMOVE_ORPHANS=1 does the same, as with docker compose.
    p.write(
        "compose.yml",
        &format!(
            "services:\n{}{}",
            looping_service("web", ""),
            looping_service("old", "")
        ),
    );
    ok(&p.rcompose(&["-p", &name, "up", "-d"]), "up with old");
    p.write(
        "compose.yml",
        &format!("services:\n{}", looping_service("web", "")),
    );
    let out = p.rcompose_with_env(
        &["-p", &name, "down", "-t", "0"],
        &[("COMPOSE_REMOVE_ORPHANS", "1")],
    );
    ok(&out, "COMPOSE_REMOVE_ORPHANS=1 down");
    assert!(names(&p).is_empty(), "{:?}", names(&p));
}

#[test]
fn rm_removes_stopped_containers_and_with_stop_running_ones() {
    let p = TestProject::new("rm-flags");
    let name = p.name.clone();
    p.write(
        "compose.yml",
        &format!(
            "services:\n{}{}",
            looping_service("db", "    volumes: [\"/anon\"]\n"),
            looping_service("web", "")
        ),
    );
    ok(&p.rcompose(&["-p", &name, "up", "-d"]), "up");
    let db = format!("{name}-db-1");
    let web = format!("{name}-web-1");
    let anon = docker(&[
        "inspect",
        "--format",
        "{{range .Mounts}}{{.Name}}{{end}}",
        &db,
    ]);
    assert!(!anon.is_empty(), "db has an anonymous volume");

    // docker compose: rm without --stop leaves running containers alone.
    let out = p.rcompose(&["-p", &name, "rm", "-f"]);
    ok(&out, "rm -f");
    assert!(
        stderr(&out).contains("No stopped containers"),
        "{}",
        stderr(&out)
    );
    assert_eq!(names(&p), vec![db.clone(), web.clone()]);

    // A stopped one goes, a running one stays.
    ok(
        &p.rcompose(&["-p", &name, "stop", "-t", "0", "web"]),
        "stop web",
    );
    ok(&p.rcompose(&["-p", &name, "rm", "-f"]), "rm -f");
    assert_eq!(names(&p), vec![db.clone()]);

    // -s stops first; -v takes the anonymous volume along.
    ok(
        &p.rcompose(&["-p", &name, "rm", "-f", "-s", "-v", "db"]),
        "rm -f -s -v",
    );
    assert!(names(&p).is_empty());
    assert!(
        !docker_ok(&["volume", "inspect", &anon]),
        "anonymous volume removed"
    );
}

#[test]
fn down_with_service_names_takes_down_those_and_their_dependents_only() {
    let p = TestProject::new("down-services");
    let name = p.name.clone();
    p.write(
        "compose.yml",
        &format!(
            "services:\n{}{}{}{}",
            looping_service("db", ""),
            looping_service("api", "    depends_on: [db]\n"),
            looping_service("web", "    depends_on: [api]\n"),
            looping_service("tool", ""),
        ),
    );
    ok(&p.rcompose(&["-p", &name, "up", "-d"]), "up");
    ok(
        &p.rcompose(&["-p", &name, "down", "-t", "0", "api"]),
        "down api",
    );
    assert_eq!(
        names(&p),
        vec![format!("{name}-db-1"), format!("{name}-tool-1")],
        "api and its dependent web go; db and tool stay"
    );
    assert_eq!(p.ids("network").len(), 1, "the rest still uses the network");

    let out = p.rcompose(&["-p", &name, "down", "nope"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("no such service: nope"),
        "{}",
        stderr(&out)
    );
    assert_eq!(names(&p).len(), 2, "a typo takes nothing down");
}
