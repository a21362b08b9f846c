//! A missing env file fails only the commands that need that service's environment, as
//! with docker compose: the rest of the project can be brought up, listed and taken down.
//! Written with `TestProject::compose`, so `RCOMPOSE_TEST_AGAINST=reference` runs it against
//! Docker Compose v5.6.1.

mod support;

use support::{TestProject, looping_service, ok, stderr};

#[test]
fn a_missing_env_file_fails_only_the_commands_that_need_it() {
    let p = TestProject::new("envfile-missing");
    p.write(
        "compose.yaml",
        &format!(
            "name: {}\nservices:\n{}{}",
            p.name,
            looping_service("a", ""),
            looping_service("b", "    env_file: [/does-not-exist/.env]\n"),
        ),
    );
    ok(&p.compose(&["up", "-d", "a"]), "up -d a");
    assert_eq!(p.states(), [format!("{}-a-1 running", p.name)]);
    ok(&p.compose(&["ps"]), "ps");
    ok(&p.compose(&["config", "--services"]), "config --services");

    let up_b = p.compose(&["up", "-d", "b"]);
    assert!(!up_b.status.success(), "up -d b should fail");
    assert!(
        stderr(&up_b).contains("/does-not-exist/.env"),
        "{}",
        stderr(&up_b)
    );
    let config = p.compose(&["config"]);
    assert!(
        !config.status.success(),
        "config of every service should fail"
    );

    ok(&p.compose(&["down"]), "down");
    assert!(p.states().is_empty(), "{:?}", p.states());
}
