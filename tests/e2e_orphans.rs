//! Ports of docker/compose `pkg/e2e/orphans_test.go`.

#[path = "e2e/scenario.rs"]
mod scenario;
mod support;

use scenario::Scenario;

// Go: orphans_test.go TestRemoveOrphans
#[test]
fn remove_orphans() {
    let mut s = Scenario::new(
        "e2e-remove-orphans",
        &[
            (".env", "COMPOSE_REMOVE_ORPHANS=true\n\n"),
            (
                "compose.yaml",
                r#"services:
  orphan:
    profiles: [run]
    image: @IMAGE@
    command: echo hello
  test:
    image: @IMAGE@
    init: true
    command: sleep infinity
"#,
            ),
        ],
    );
    s.step(&["run", "orphan"]).one_off_state("orphan", "exited");
    s.step(&["up", "-d"])
        .service_state("test", "running")
        .one_offs_removed("orphan");
}
