//! Ports of the parts of docker/compose `pkg/e2e/build_test.go` that the classic builder can
//! run (the others are in tests/e2e/NOT-PORTABLE.md). `FROM alpine` -> the busybox test image.

#[path = "e2e/scenario.rs"]
mod scenario;
mod support;

use scenario::Scenario;

// Go: build_test.go TestBuildTags
#[test]
fn build_tags() {
    let mut s = Scenario::new(
        "e2e-build-tags",
        &[
            ("Dockerfile", "FROM @IMAGE@\nRUN echo \"SUCCESS\"\n\n"),
            (
                "compose.yaml",
                r#"services:
  nginx:
    image: ${TAG_IMAGE}
    build:
      context: .
      tags:
        - docker.io/docker/${TAG_IMAGE}:1.0.0
        - ${TAG_IMAGE}-other:v1.0.0
"#,
            ),
        ],
    );
    let image = format!("{}-tags", s.project());
    s.with_env("TAG_IMAGE", &image);
    s.defer_docker(&["image", "rm", "-f", &image]);
    s.defer_docker(&["image", "rm", "-f", &format!("docker/{image}:1.0.0")]);
    s.defer_docker(&["image", "rm", "-f", &format!("{image}-other:v1.0.0")]);
    s.step(&["build", "--no-cache"]);
    s.docker_step(&["image", "inspect", &image], false)
        .output_contains(&format!("docker/{image}:1.0.0"))
        .output_contains(&format!("{image}:latest"))
        .output_contains(&format!("{image}-other:v1.0.0"));
}

// Go: build_test.go TestUpBuildUnchangedContext
#[test]
fn up_build_unchanged_context() {
    let mut s = Scenario::new(
        "e2e-build-unchanged",
        &[
            (
                "Dockerfile",
                "FROM @IMAGE@\nCOPY marker /marker\nCMD [\"sleep\", \"infinity\"]\n",
            ),
            ("compose.yaml", "services:\n  app:\n    build: .\n"),
            ("marker", "v1\n"),
        ],
    );
    let image = format!("{}-app", s.project());
    s.defer_docker(&["image", "rm", "-f", &image]);
    s.step(&["up", "-d", "--build"])
        .service_state("app", "running");
    let hash = s.label("app", "com.docker.compose.config-hash");
    s.step(&["up", "-d", "--build"]).not_recreated(&["app"]);
    assert_eq!(
        s.label("app", "com.docker.compose.config-hash"),
        hash,
        "config-hash label changed"
    );
}
