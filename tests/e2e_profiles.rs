//! Ports of docker/compose `pkg/e2e/profiles_test.go`.

#[path = "e2e/scenario.rs"]
mod scenario;
mod support;

use scenario::Scenario;

const PROFILES: &str = r#"services:
  regular-service:
    image: @IMAGE@
    init: true
    command: sleep infinity

  profiled-service:
    image: @IMAGE@
    init: true
    command: sleep infinity
    profiles:
      - test-profile
"#;

// Go: profiles_test.go TestExplicitProfileUsage
#[test]
fn explicit_profile_usage() {
    let mut s = Scenario::new("e2e-profile-explicit", &[("compose.yaml", PROFILES)]);
    let both = ["regular-service", "profiled-service"];
    s.step(&["--profile", "test-profile", "up", "-d"])
        .service_state(both[0], "running")
        .service_state(both[1], "running");
    s.step(&["--profile", "test-profile", "stop"])
        .service_state(both[0], "exited")
        .service_state(both[1], "exited");
    s.step(&["--profile", "test-profile", "start"])
        .service_state(both[0], "running")
        .service_state(both[1], "running")
        .not_recreated(&both);
    s.step(&["--profile", "test-profile", "restart"])
        .service_state(both[0], "running")
        .service_state(both[1], "running")
        .not_recreated(&both);
    s.step(&["--profile", "test-profile", "down"])
        .not_created(both[0])
        .not_created(both[1]);
}

// Go: profiles_test.go TestNoProfileUsage
#[test]
fn no_profile_usage() {
    let mut s = Scenario::new("e2e-profile-none", &[("compose.yaml", PROFILES)]);
    s.step(&["up", "-d"])
        .service_state("regular-service", "running")
        .not_created("profiled-service");
    s.step(&["stop"])
        .service_state("regular-service", "exited")
        .not_created("profiled-service");
    s.step(&["start"])
        .service_state("regular-service", "running")
        .not_created("profiled-service")
        .not_recreated(&["regular-service"]);
    s.step(&["restart"])
        .service_state("regular-service", "running")
        .not_created("profiled-service")
        .not_recreated(&["regular-service"]);
    s.step(&["down"]).not_created("regular-service");
}

// Go: profiles_test.go TestActiveProfileViaTargetedService
#[test]
fn active_profile_via_targeted_service() {
    let mut s = Scenario::new("e2e-profile-targeted", &[("compose.yaml", PROFILES)]);
    s.step(&["up", "-d", "profiled-service"])
        .service_state("profiled-service", "running")
        .not_created("regular-service");
    s.step(&["stop", "profiled-service"])
        .service_state("profiled-service", "exited")
        .not_created("regular-service");
    s.step(&["start", "profiled-service"])
        .service_state("profiled-service", "running")
        .not_created("regular-service")
        .not_recreated(&["profiled-service"]);
    s.step(&["restart"])
        .service_state("profiled-service", "running")
        .not_created("regular-service")
        .not_recreated(&["profiled-service"]);
}

// Go: profiles_test.go TestDotEnvProfileUsage
#[test]
fn dot_env_profile_usage() {
    let mut s = Scenario::new(
        "e2e-profile-dotenv",
        &[
            (".env", "COMPOSE_PROFILES=test-profile\n\n"),
            ("compose.yaml", PROFILES),
        ],
    );
    s.step(&["up", "-d"])
        .service_state("regular-service", "running")
        .service_state("profiled-service", "running");
}
