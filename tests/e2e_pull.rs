//! Ports of the parts of docker/compose `pkg/e2e/pull_test.go` that need no registry (the
//! others are in tests/e2e/NOT-PORTABLE.md).

#[path = "e2e/scenario.rs"]
mod scenario;
mod support;

use scenario::Scenario;

// Go: pull_test.go TestPullNoImageNameGiven (FROM alpine:3.15 -> the test image; nothing is
// built or pulled)
#[test]
fn pull_no_image_name_given() {
    let mut s = Scenario::new(
        "e2e-pull-no-image",
        &[
            ("Dockerfile", "FROM @IMAGE@\n\n"),
            (
                "compose.yaml",
                "services:\n  no-image-service:\n    build: .\n",
            ),
        ],
    );
    s.step(&["pull"])
        .output_contains("Skipped No image to be pulled");
}
