//! A missing env file fails only the commands that need that service's environment, as
//! with docker compose: the rest of the project can be brought up, listed and taken down.
//! `run -e VAR` / `exec -e VAR` without a value take VAR from the project's environment:
//! the shell's, `.env`, `--env-file` and `COMPOSE_ENV_FILES`.
//! Written with `TestProject::compose`, so `RCOMPOSE_TEST_AGAINST=reference` runs it against
//! Docker Compose v5.6.1.

mod support;

use support::{TestProject, looping_service, ok, stderr, test_image};

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

#[test]
fn run_and_exec_take_a_bare_env_from_the_project_environment() {
    let image = test_image();
    let p = TestProject::new("envfile-bare");
    p.write(
        "compose.yaml",
        &format!(
            "name: {}\nservices:\n  web:\n    image: {image}\n    init: true\n    command: [sleep, \"3600\"]\n",
            p.name
        ),
    );
    p.write(".env", "FROM_DOTENV=dotenv-value\n");
    p.write("other.env", "FROM_ENV_FILE=env-file-value\n");
    let print = |var: &str| format!("echo {var}=${var}");
    let run = |extra: &[&str], env: &[(&str, &str)], var: &str| {
        let mut args: Vec<&str> = extra.to_vec();
        let script = print(var);
        args.extend(["run", "--rm", "-e", var, "web", "sh", "-c", &script]);
        let out = p.compose_with_env(&args, env);
        ok(&out, &format!("run -e {var}"))
    };
    assert_eq!(run(&[], &[], "FROM_DOTENV"), "FROM_DOTENV=dotenv-value\n");
    assert_eq!(
        run(&[], &[("FROM_DOTENV", "shell-value")], "FROM_DOTENV"),
        "FROM_DOTENV=shell-value\n"
    );
    assert_eq!(
        run(&["--env-file", "other.env"], &[], "FROM_ENV_FILE"),
        "FROM_ENV_FILE=env-file-value\n"
    );
    assert_eq!(
        run(&[], &[("COMPOSE_ENV_FILES", "other.env")], "FROM_ENV_FILE"),
        "FROM_ENV_FILE=env-file-value\n"
    );
    // Unset everywhere: not passed at all.
    assert_eq!(run(&[], &[], "NOWHERE_SET"), "NOWHERE_SET=\n");

    ok(&p.compose(&["up", "-d", "--wait"]), "up");
    let out = p.compose(&[
        "exec",
        "-T",
        "-e",
        "FROM_DOTENV",
        "web",
        "sh",
        "-c",
        &print("FROM_DOTENV"),
    ]);
    assert_eq!(ok(&out, "exec -e"), "FROM_DOTENV=dotenv-value\n");
    ok(&p.compose(&["down"]), "down");
}
