//! Ports of docker/compose `pkg/e2e/cp_test.go`, `events_test.go`, `commit_test.go`,
//! `export_test.go`, `images_test.go` and `cancel_test.go`.

#[path = "e2e/scenario.rs"]
mod scenario;
mod support;

use scenario::Scenario;

fn file_contains(path: &std::path::Path, sub: &str) {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    assert!(
        text.contains(sub),
        "{} does not contain {sub:?}: {text}",
        path.display()
    );
}

fn file_exists(path: &std::path::Path) {
    let len = std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .len();
    assert!(len > 0, "{} is empty", path.display());
}

// Go: cp_test.go TestCopy
#[test]
fn copy() {
    let mut s = Scenario::new(
        "e2e-cp",
        &[
            (
                "compose.yaml",
                "services:\n  nginx:\n    image: @IMAGE@\n    init: true\n    command: sleep infinity\n",
            ),
            ("cp-me.txt", "hello world\n"),
            ("cp-folder/cp-me.txt", "hello world from folder\n\n"),
        ],
    );
    let name = s.project().to_string();
    let dir = s.p.dir.clone();
    let path = |p: &str| dir.join(p).to_string_lossy().into_owned();
    let ctr = |n: u32| format!("{name}-nginx-{n}");
    s.step(&["up", "--scale", "nginx=5", "-d"])
        .service_scale("nginx", 5);
    s.step(&["cp", &path("cp-me.txt"), "nginx:/tmp/default.txt"]);
    s.docker_step(&["exec", &ctr(1), "cat", "/tmp/default.txt"], false)
        .output_contains("hello world");
    s.docker_step(&["exec", &ctr(3), "cat", "/tmp/default.txt"], false)
        .output_contains("hello world");
    s.step(&[
        "cp",
        "--index=3",
        &path("cp-me.txt"),
        "nginx:/tmp/indexed.txt",
    ]);
    s.docker_step(&["exec", &ctr(3), "cat", "/tmp/indexed.txt"], false)
        .output_contains("hello world");
    s.docker_step(&["exec", &ctr(2), "cat", "/tmp/indexed.txt"], true)
        .exit_code(1);
    s.step(&["cp", "nginx:/tmp/default.txt", &path("from-default.txt")]);
    file_contains(&dir.join("from-default.txt"), "hello world");
    s.step(&[
        "cp",
        "--index=3",
        "nginx:/tmp/indexed.txt",
        &path("from-indexed.txt"),
    ]);
    file_contains(&dir.join("from-indexed.txt"), "hello world");
    s.step(&["cp", &path("cp-folder"), "nginx:/tmp"]);
    s.docker_step(&["exec", &ctr(1), "cat", "/tmp/cp-folder/cp-me.txt"], false)
        .output_contains("hello world from folder");
    s.step(&["cp", "nginx:/tmp/cp-folder", &path("cp-folder2")]);
    file_contains(&dir.join("cp-folder2/cp-me.txt"), "hello world from folder");
}

// Go: events_test.go TestEventsUnknownService
#[test]
fn events_unknown_service() {
    let mut s = Scenario::new(
        "e2e-events-unknown",
        &[(
            "compose.yaml",
            "services:\n  simple:\n    image: @IMAGE@\n    command: top\n  another:\n    image: @IMAGE@\n    command: top\n",
        )],
    );
    s.timeout = 10;
    s.step_may_fail(&["events", "not-a-service"])
        .exit_code(1)
        .stderr_contains("no such service: not-a-service");
}

const COMMIT: &str = r#"services:
  service:
    image: @IMAGE@
    command: sleep infinity
  service-with-replicas:
    image: @IMAGE@
    command: sleep infinity
    deploy:
      replicas: 3
"#;

// Go: commit_test.go TestCommit
#[test]
fn commit() {
    let mut s = Scenario::new("e2e-commit", &[("compose.yaml", COMMIT)]);
    let image = format!("{}:latest", s.project());
    s.defer_docker(&["image", "rm", "-f", &image]);
    s.step(&["up", "-d", "service"])
        .service_state("service", "running");
    s.step(&[
        "commit",
        "-a",
        "John Hannibal Smith <hannibal@a-team.com>",
        "-c",
        "ENV DEBUG=true",
        "-m",
        "sample commit",
        "service",
        &image,
    ]);
    support::docker(&["image", "inspect", "--format", "{{.Id}}", &image]);
}

// Go: commit_test.go TestCommitWithReplicas
#[test]
fn commit_with_replicas() {
    let mut s = Scenario::new("e2e-commit-replicas", &[("compose.yaml", COMMIT)]);
    let (image1, image2) = (format!("{}:1", s.project()), format!("{}:2", s.project()));
    s.defer_docker(&["image", "rm", "-f", &image1]);
    s.defer_docker(&["image", "rm", "-f", &image2]);
    s.step(&["up", "-d", "service-with-replicas"])
        .service_scale("service-with-replicas", 3);
    for (index, image) in [("--index=1", &image1), ("--index=2", &image2)] {
        s.step(&[
            "commit",
            "-m",
            "sample commit",
            index,
            "service-with-replicas",
            image,
        ]);
        support::docker(&["image", "inspect", "--format", "{{.Id}}", image]);
    }
}

// Go: export_test.go TestExport
#[test]
fn export() {
    let mut s = Scenario::new("e2e-export", &[("compose.yaml", COMMIT)]);
    let out = s.p.dir.join("service.tar");
    s.step(&["up", "-d", "service"])
        .service_state("service", "running");
    s.step(&["export", "-o", out.to_str().expect("utf-8"), "service"]);
    file_exists(&out);
}

// Go: export_test.go TestExportWithReplicas
#[test]
fn export_with_replicas() {
    let mut s = Scenario::new("e2e-export-replicas", &[("compose.yaml", COMMIT)]);
    let (r1, r2) = (s.p.dir.join("r1.tar"), s.p.dir.join("r2.tar"));
    s.step(&["up", "-d", "service-with-replicas"])
        .service_scale("service-with-replicas", 3);
    for (index, out) in [("--index=1", &r1), ("--index=2", &r2)] {
        s.step(&[
            "export",
            "-o",
            out.to_str().expect("utf-8"),
            index,
            "service-with-replicas",
        ]);
        file_exists(out);
    }
}

// Go: images_test.go TestImagesAfterImageRemoved (`docker pull alpine:3.22` -> the local test
// image, tagged for the service)
#[test]
fn images_after_image_removed() {
    let mut s = Scenario::new(
        "e2e-images-removed",
        &[(
            "compose.yaml",
            "services:\n  app:\n    image: ${REMOVED_IMAGE}\n    init: true\n    command: sleep infinity\n",
        )],
    );
    let name = s.project().to_string();
    let image = format!("{name}:v1");
    s.with_env("REMOVED_IMAGE", &image);
    s.defer_docker(&["image", "rm", "-f", &image]);
    s.docker_step(&["tag", support::test_image(), &image], false);
    s.step(&["up", "-d"]).service_state("app", "running");
    s.docker_step(&["image", "rm", "-f", &image], true);
    s.step(&["images"])
        .output_contains(&format!("{name}-app-1"));
}

// Go: cancel_test.go TestComposeCancel (FROM busybox -> the test image)
#[test]
fn compose_cancel() {
    let s = Scenario::new(
        "e2e-cancel",
        &[
            (
                "compose.yaml",
                "services:\n    service1:\n        build: service1\n",
            ),
            (
                "service1/Dockerfile",
                "FROM @IMAGE@\n\nRUN sleep infinity\n",
            ),
        ],
    );
    let mut build = s.spawn(&["build", "--progress", "plain"], &[]);
    build.wait_for("RUN sleep infinity", 30);
    build.signal("INT");
    let status = build.wait_exit(10);
    assert_eq!(status.code(), Some(130), "{}", build.output());
}
