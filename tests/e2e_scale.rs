//! Ports of docker/compose `pkg/e2e/scale_test.go`.

#[path = "e2e/scenario.rs"]
mod scenario;
mod support;

use scenario::Scenario;

const SCALE: &str = r#"services:
  back:
    image: @IMAGE@
    init: true
    command: sleep infinity
    depends_on:
      - db
  db:
    image: @IMAGE@
    init: true
    command: sleep infinity
    environment:
      - MAYBE
  front:
    image: @IMAGE@
    init: true
    command: sleep infinity
    deploy:
      replicas: 2
  dbadmin:
    image: @IMAGE@
    init: true
    command: sleep infinity
    deploy:
      replicas: 0
"#;

// Go: scale_test.go TestScaleBasicCases
#[test]
fn scale_basic_cases() {
    let mut s = Scenario::new("e2e-scale-basic", &[("compose.yaml", SCALE)]);
    s.step(&["up", "-d"])
        .service_scale("back", 1)
        .service_scale("db", 1)
        .service_scale("front", 2)
        .not_created("dbadmin");
    s.step(&["scale", "dbadmin=2"]).service_scale("dbadmin", 2);
    s.step(&["scale", "front=3", "back=2"])
        .service_scale("front", 3)
        .service_scale("back", 2);
    s.step(&["scale", "dbadmin=1"]).service_scale("dbadmin", 1);
    s.step(&["scale", "dbadmin=0"]).not_created("dbadmin");
    s.step(&["scale", "front=2", "back=1"])
        .replica_numbers("front", &[1, 2])
        .service_scale("back", 1);
}

// Go: scale_test.go TestScaleWithDepsCases
#[test]
fn scale_with_deps_cases() {
    let mut s = Scenario::new("e2e-scale-deps", &[("compose.yaml", SCALE)]);
    s.step(&["up", "-d", "--scale", "db=2"])
        .service_scale("db", 2);
    s.step(&["scale", "--no-deps", "back=2"])
        .service_scale("back", 2)
        .service_scale("db", 2);
    s.step(&["scale", "back=2"])
        .service_scale("back", 2)
        .service_scale("db", 1);
}

// Go: scale_test.go TestScaleUpAndDownPreserveContainerNumber
#[test]
fn scale_up_and_down_preserve_container_number() {
    let mut s = Scenario::new("e2e-scale-numbers", &[("compose.yaml", SCALE)]);
    s.step(&["up", "-d", "--scale", "db=2", "db"])
        .replica_numbers("db", &[1, 2]);
    s.step(&["up", "-d", "--scale", "db=1", "db"])
        .replica_numbers("db", &[1]);
    s.step(&["up", "-d", "--scale", "db=2", "db"])
        .replica_numbers("db", &[1, 2]);
}

// Go: scale_test.go TestScaleDownRemovesObsolete
#[test]
fn scale_down_removes_obsolete() {
    let mut s = Scenario::new("e2e-scale-obsolete", &[("compose.yaml", SCALE)]);
    s.step(&["up", "-d", "db"]).replica_numbers("db", &[1]);
    s.step_env(
        &["up", "-d", "--scale", "db=2", "db"],
        &[("MAYBE", "value")],
    )
    .replica_numbers("db", &[1, 2]);
    s.step_env(
        &["up", "-d", "--scale", "db=1", "db"],
        &[("MAYBE", "value")],
    )
    .replica_numbers("db", &[1]);
}

// Go: scale_test.go TestScaleDownNoRecreate
#[test]
fn scale_down_no_recreate() {
    let mut s = Scenario::new(
        "e2e-scale-norecreate",
        &[
            (
                "Dockerfile",
                "FROM @IMAGE@\nARG FOO\nLABEL FOO=$FOO\nCMD [\"sleep\", \"infinity\"]\n",
            ),
            ("compose.yaml", "services:\n  test:\n    build: .\n"),
        ],
    );
    let image = format!("{}-test", s.project());
    s.defer_docker(&["image", "rm", "-f", &image]);
    s.step(&["build", "--build-arg", "FOO=test"]);
    s.step(&["up", "-d", "--scale", "test=2"])
        .replica_numbers("test", &[1, 2]);
    s.step(&["build", "--build-arg", "FOO=updated"]);
    s.step(&["up", "-d", "--scale", "test=4", "--no-recreate"])
        .replica_numbers("test", &[1, 2, 3, 4]);
    s.step(&["up", "-d", "--scale", "test=2"])
        .replica_numbers("test", &[3, 4]);
}
