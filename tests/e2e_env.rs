//! Ports of docker/compose `pkg/e2e/compose_environment_test.go` and `env_file_test.go`.

#[path = "e2e/scenario.rs"]
mod scenario;
mod support;

use scenario::Scenario;

/// `printenv WHEREAMI` -> `echo "$WHEREAMI"` (busybox has no printenv).
const PRIORITY_DOCKERFILE: &str =
    "FROM @IMAGE@\nENV  WHEREAMI=Dockerfile\nCMD [\"sh\", \"-c\", \"echo \\\"$WHEREAMI\\\"\"]\n";

fn priority_scenario(prefix: &str, compose: &str, extra: &[(&str, &str)]) -> Scenario {
    let mut files = vec![
        (".env", "WHEREAMI=Env File\n"),
        (".env.override", "WHEREAMI=override\n"),
        ("Dockerfile", PRIORITY_DOCKERFILE),
        ("compose.yaml", compose),
    ];
    files.extend_from_slice(extra);
    let mut s = Scenario::new(prefix, &files);
    let image = format!("{}-env-compose-priority", s.project());
    s.defer_docker(&["image", "rm", "-f", &image]);
    s
}

fn path(s: &Scenario, file: &str) -> String {
    s.p.dir.join(file).to_string_lossy().into_owned()
}

// Go: compose_environment_test.go TestEnvPriorityComposeEnvironment
#[test]
fn env_priority_compose_environment() {
    let mut s = priority_scenario(
        "e2e-env-prio-environment",
        "services:\n  env-compose-priority:\n    build:\n      context: .\n    environment:\n      WHEREAMI: \"Compose File\"\n",
        &[],
    );
    let over = path(&s, ".env.override");
    s.step_env(
        &[
            "--env-file",
            &over,
            "run",
            "--rm",
            "-e",
            "WHEREAMI",
            "env-compose-priority",
        ],
        &[("WHEREAMI", "shell")],
    )
    .stdout_contains("shell");
    s.step(&[
        "--env-file",
        &over,
        "run",
        "--rm",
        "-e",
        "WHEREAMI=shell",
        "env-compose-priority",
    ])
    .stdout_contains("shell");
}

// Go: compose_environment_test.go TestEnvPriority
#[test]
fn env_priority() {
    let mut s = priority_scenario(
        "e2e-env-prio",
        "services:\n  env-compose-priority:\n    build:\n      context: .\n",
        &[
            (".env.empty", "\n"),
            (
                ".env.override.with.default",
                "WHEREAMI=${WHEREAMI:-EnvFileDefaultValue}\n",
            ),
        ],
    );
    let over = path(&s, ".env.override");
    let with_default = path(&s, ".env.override.with.default");
    let empty = path(&s, ".env.empty");
    let run = ["run", "--rm", "-e", "WHEREAMI", "env-compose-priority"];
    s.step_env(
        &[&["--env-file", &over][..], &run].concat(),
        &[("WHEREAMI", "shell")],
    )
    .stdout_contains("shell");
    s.step_env(
        &[&["--env-file", &with_default][..], &run].concat(),
        &[("WHEREAMI", "shell")],
    )
    .stdout_contains("shell");
    s.step(&[&["--env-file", &with_default][..], &run].concat())
        .stdout_contains("EnvFileDefaultValue");
    s.step_env(&run, &[("COMPOSE_ENV_FILES", &with_default)])
        .stdout_contains("EnvFileDefaultValue");
    s.step(&[
        "--env-file",
        &over,
        "run",
        "--rm",
        "-e",
        "WHEREAMI=shell-run",
        "env-compose-priority",
    ])
    .stdout_contains("shell-run");
    s.step(&[&["--env-file", &over][..], &run].concat())
        .stdout_contains("override");
    s.step(&run).stdout_contains("Env File");
    s.step(&[&["--env-file", &empty][..], &run].concat())
        .stdout_contains("Dockerfile");
}

// Go: compose_environment_test.go TestEnvPriorityComposeEnvFile
#[test]
fn env_priority_compose_env_file() {
    let mut s = priority_scenario(
        "e2e-env-prio-envfile",
        "services:\n  env-compose-priority:\n    build:\n      context: .\n    env_file:\n      - .env.override\n",
        &[],
    );
    s.step(&["run", "--rm", "-e", "WHEREAMI", "env-compose-priority"])
        .stdout_contains("Env File");
}

const INTERPOLATION: &str = "services:\n  env-interpolation:\n    image: bash\n    environment:\n      IMAGE: ${IMAGE}\n    command: echo \"$IMAGE\"\n";

// Go: compose_environment_test.go TestEnvInterpolation
#[test]
fn env_interpolation() {
    let mut s = Scenario::new(
        "e2e-env-interp",
        &[
            (
                ".env",
                "WHEREAMI=EnvFile\nIMAGE=default_env:${WHEREAMI}\n\n",
            ),
            ("compose.yaml", INTERPOLATION),
        ],
    );
    s.step_env(&["config"], &[("WHEREAMI", "shell")])
        .output_contains("IMAGE: default_env:shell");
}

// Go: compose_environment_test.go TestEnvInterpolationDefaultValue
#[test]
fn env_interpolation_default_value() {
    let mut s = Scenario::new(
        "e2e-env-interp-default",
        &[
            (
                ".env",
                "IMAGE=default_env:${WHEREAMI:-EnvFileDefaultValue}\n\n",
            ),
            ("compose.yaml", INTERPOLATION),
        ],
    );
    s.step(&["config"])
        .output_contains("IMAGE: default_env:EnvFileDefaultValue");
}

// Go: compose_environment_test.go TestCommentsInEnvFile (`printenv` -> `env`)
#[test]
fn comments_in_env_file() {
    let mut s = Scenario::new(
        "e2e-env-comments",
        &[
            (".env", "COMMENT=1234#5\nNO_COMMENT=\"1234#5\"\n"),
            (
                "Dockerfile",
                "FROM @IMAGE@\nENV  COMMENT=Dockerfile\nENV  NO_COMMENT=Dockerfile\nCMD [\"sh\", \"-c\", \"env\", \"|\", \"grep\", \"COMMENT\"]\n\n",
            ),
            (
                "compose.yaml",
                "services:\n  env-file-comments:\n    build:\n      context: .\n",
            ),
        ],
    );
    let image = format!("{}-env-file-comments", s.project());
    s.defer_docker(&["image", "rm", "-f", &image]);
    s.step(&["build"]);
    s.step(&[
        "run",
        "--rm",
        "-e",
        "COMMENT",
        "-e",
        "NO_COMMENT",
        "env-file-comments",
    ])
    .stdout_contains("COMMENT=1234")
    .stdout_contains("NO_COMMENT=1234#5");
}

// Go: compose_environment_test.go TestUnsetEnv
#[test]
fn unset_env() {
    let mut s = Scenario::new(
        "e2e-env-unset",
        &[
            (
                "Dockerfile",
                "FROM @IMAGE@\nENV  EMPTY=not_empty\nCMD [\"sh\", \"-c\", \"echo \\\"=$EMPTY=\\\"\"]\n\n",
            ),
            (
                "compose.yaml",
                "services:\n  empty-variable:\n    build:\n      context: .\n    environment:\n      - EMPTY # expect to propagate value from user's env OR unset in container\n",
            ),
        ],
    );
    let image = format!("{}-empty-variable", s.project());
    s.defer_docker(&["image", "rm", "-f", &image]);
    s.step(&["build"]);
    s.step(&["run", "-e", "EMPTY=hello", "--rm", "empty-variable"])
        .stdout_contains("=hello=");
    s.step(&["run", "--rm", "empty-variable"])
        .stdout_contains("==");
}

// Go: env_file_test.go TestRawEnvFile
#[test]
fn raw_env_file() {
    let mut s = Scenario::new(
        "e2e-env-raw",
        &[
            (".env.raw", "TEST_VAR='{\"key\": \"value\"}'\n\n"),
            (
                "compose.yaml",
                "services:\n  test:\n    image: @IMAGE@\n    command: sh -c \"echo $$TEST_VAR\"\n    env_file:\n      - path: .env.raw\n        format: raw # parse without interpolation\n",
            ),
        ],
    );
    s.step(&["run", "test"])
        .output_contains(r#"'{"key": "value"}'"#);
}

// Go: env_file_test.go TestUnusedMissingEnvFile (without the `__complete` check: cobra's
// completion protocol, see NOT-PORTABLE.md). nginx -> busybox httpd.
#[test]
#[ignore = "rcompose: every step up to `config --hash serviceB` passes; `config --no-env-resolution` is not implemented (the loader always resolves env files)"]
fn unused_missing_env_file() {
    let mut s = Scenario::new(
        "e2e-env-missing",
        &[
            (
                "compose.yaml",
                r#"services:
  serviceA:
    image: @IMAGE@
    init: true
    command: httpd -f -p 80

  serviceB:
    image: @IMAGE@
    init: true
    command: httpd -f -p 80
    env_file:
      - /doesnotexist/.env

  serviceC:
    profiles: ["test"]
    image: @IMAGE@
    env_file: test.env
"#,
            ),
            ("test.env", "FOO=BAR\n\n"),
        ],
    );
    s.step(&["up", "-d", "serviceA"]);
    s.step(&["ps"]);
    s.step(&["logs"]);
    s.step(&["exec", "serviceA", "echo", "hello"]);
    s.step(&["scale", "serviceA=2"]);
    s.step_may_fail(&["scale", "serviceB=1"])
        .exit_code(1)
        .stderr_contains("env file /doesnotexist/.env not found");
    s.step(&["config", "--hash", "serviceA"]);
    s.step_may_fail(&["config", "--hash", "serviceB"])
        .exit_code(1)
        .stderr_contains("env file /doesnotexist/.env not found");
    s.step(&["config", "--no-env-resolution", "--hash", "serviceB"]);
    s.step_may_fail(&["config", "--hash", "*"])
        .exit_code(1)
        .stderr_contains("env file /doesnotexist/.env not found");
    s.step(&["down"]);
}

// Go: env_file_test.go TestRunEnvFile
#[test]
fn run_env_file() {
    let mut s = Scenario::new(
        "e2e-env-run-envfile",
        &[
            (
                "compose.yaml",
                "services:\n  serviceC:\n    profiles: [\"test\"]\n    image: @IMAGE@\n    env_file: test.env\n",
            ),
            ("test.env", "FOO=BAR\n\n"),
        ],
    );
    s.step(&["run", "--rm", "serviceC", "env"])
        .output_contains("FOO=BAR");
}
