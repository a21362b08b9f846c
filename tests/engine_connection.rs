//! Integration tests for the engine connection and the shared test harness (test image and
//! per-project cleanup).

mod support;

use support::{TestProject, docker, docker_ok, test_image};

#[test]
fn test_image_runs_busybox() {
    let image = test_image();
    assert_eq!(docker(&["run", "--rm", image, "echo", "hi"]), "hi");
    // The applets the tests rely on are there, and /tmp is writable.
    let out = docker(&[
        "run",
        "--rm",
        image,
        "sh",
        "-c",
        "for a in httpd wget nc sleep cat; do command -v $a >/dev/null || echo missing $a; done; touch /tmp/x && echo done",
    ]);
    assert_eq!(out, "done");
}

#[test]
fn test_project_cleanup_removes_labelled_objects() {
    let image = test_image();
    let project = TestProject::new("Cleanup");
    assert!(project.name.starts_with("rct-cleanup-"), "{}", project.name);
    let label = format!("com.docker.compose.project={}", project.name);
    let volume = format!("{}_data", project.name);
    let network = format!("{}_default", project.name);
    docker(&["volume", "create", "--label", &label, &volume]);
    docker(&["network", "create", "--label", &label, &network]);
    docker(&[
        "run",
        "-d",
        "--label",
        &label,
        "--network",
        &network,
        "-v",
        &format!("{volume}:/data"),
        image,
        "sleep",
        "300",
    ]);
    let compose_file = project.write("sub/compose.yaml", "services: {}\n");
    assert!(compose_file.is_file());
    assert_eq!(project.ids("container").len(), 1);
    assert_eq!(project.ids("network").len(), 1);
    assert_eq!(project.ids("volume").len(), 1);

    let dir = project.dir.clone();
    let filter = project.label_filter();
    drop(project);

    assert_eq!(docker(&["ps", "-aq", "--filter", &filter]), "");
    assert_eq!(docker(&["network", "ls", "-q", "--filter", &filter]), "");
    assert_eq!(docker(&["volume", "ls", "-q", "--filter", &filter]), "");
    assert!(!docker_ok(&["volume", "inspect", &volume]));
    assert!(!dir.exists());
}

#[tokio::test]
async fn connect_negotiates_the_engine_api_version() {
    let engine = rcompose::engine::connection::connect()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let server_api = docker(&["version", "--format", "{{.Server.APIVersion}}"]);
    assert_eq!(engine.api_version, server_api);
    assert!(engine.host.contains("://"), "{}", engine.host);
    let pong = engine.docker.ping().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(pong, "OK");
}
