//! Ports of docker/compose `pkg/e2e/hooks_test.go` (alpine -> the busybox test image).

#[path = "e2e/scenario.rs"]
mod scenario;
mod support;

use scenario::Scenario;

/// The Go suite's `probeVolume`: a throw-away container with the project's `data` volume on
/// /mnt.
fn probe<'a>(s: &'a mut Scenario, args: &[&str]) -> &'a mut Scenario {
    let volume = format!("{}_data:/mnt", s.project());
    let mut all = vec!["run", "--rm", "-v", &volume, support::test_image()];
    all.extend_from_slice(args);
    s.docker_step(&all, false)
}

// Go: hooks_test.go TestPostStartHookInError
#[test]
fn post_start_hook_in_error() {
    let mut s = Scenario::new(
        "e2e-post-start-hook-in-error",
        &[(
            "compose.yaml",
            r#"services:
  test:
    image: @IMAGE@
    init: true
    command: sleep infinity
    post_start:
      - command: sh -c 'command in error'
"#,
        )],
    );
    s.step_may_fail(&["up", "-d"])
        .exit_code(1)
        .output_contains("test hook exited with status 127");
}

// Go: hooks_test.go TestPostStartHookSuccess
#[test]
fn post_start_hook_success() {
    let mut s = Scenario::new(
        "e2e-post-start-hook-success",
        &[(
            "compose.yaml",
            r#"services:
  test:
    image: @IMAGE@
    init: true
    command: sleep infinity
    post_start:
      - command: sh -c 'echo env'
"#,
        )],
    );
    s.step(&["up", "-d"]).service_state("test", "running");
}

// Go: hooks_test.go TestPreStopHookSuccess
#[test]
fn pre_stop_hook_success() {
    let mut s = Scenario::new(
        "e2e-pre-stop-hook-success",
        &[(
            "compose.yaml",
            r#"services:
  sample:
    image: @IMAGE@
    init: true
    command: sleep infinity
    volumes:
      - data:/data
    pre_stop:
      - command: sh -c 'echo "In the pre-stop" >> /data/log.txt'
volumes:
  data:
"#,
        )],
    );
    s.step(&["up", "-d"]).service_state("sample", "running");
    s.step(&["stop"]).service_state("sample", "exited");
    probe(&mut s, &["cat", "/mnt/log.txt"]).output_contains("In the pre-stop");
}

// Go: hooks_test.go TestPreStopHookInError
#[test]
fn pre_stop_hook_in_error() {
    let mut s = Scenario::new(
        "e2e-pre-stop-hook-in-error",
        &[(
            "compose.yaml",
            r#"services:
  sample:
    image: @IMAGE@
    init: true
    command: sleep infinity
    pre_stop:
      - command: sh -c 'command in error'
"#,
        )],
    );
    s.step(&["up", "-d"]).service_state("sample", "running");
    s.step_may_fail(&["down", "-t", "0"])
        .exit_code(1)
        .output_contains("sample hook exited with status 127");
}

// Go: hooks_test.go TestPreStopHookSuccessWithPreviousStop
#[test]
fn pre_stop_hook_success_with_previous_stop() {
    let mut s = Scenario::new(
        "e2e-pre-stop-hook-success-wi",
        &[(
            "compose.yaml",
            r#"services:
  sample:
    image: @IMAGE@
    init: true
    command: sleep infinity
    volumes:
      - data:/data
    pre_stop:
      - command: sh -c 'echo "In the pre-stop" >> /data/log.txt'
  test:
    image: @IMAGE@
    init: true
    command: sleep infinity
    post_start:
      - command: sh -c 'echo env'
volumes:
  data:
"#,
        )],
    );
    s.step(&["up", "-d"])
        .service_state("sample", "running")
        .service_state("test", "running");
    s.step(&["stop", "sample"])
        .service_state("sample", "exited")
        .service_state("test", "running");
}

// Go: hooks_test.go TestPostStartAndPreStopHook
#[test]
fn post_start_and_pre_stop_hook() {
    let mut s = Scenario::new(
        "e2e-post-start-and-pre-stop-",
        &[(
            "compose.yaml",
            r#"services:
  sample:
    image: @IMAGE@
    init: true
    command: sleep infinity
    volumes:
      - data:/data
    pre_stop:
      - command: sh -c 'echo "In the pre-stop" >> /data/log.txt'
  test:
    image: @IMAGE@
    init: true
    command: sleep infinity
    post_start:
      - command: sh -c 'echo env'
volumes:
  data:
"#,
        )],
    );
    s.step(&["up", "-d"])
        .service_state("sample", "running")
        .service_state("test", "running");
}

// Go: hooks_test.go TestPreStartHookSuccess
#[test]
fn pre_start_hook_success() {
    let mut s = Scenario::new(
        "e2e-pre-start-hook-success",
        &[(
            "compose.yaml",
            r#"services:
  sample:
    image: @IMAGE@
    command: sh -c 'cat /shared/init.txt && sleep 5'
    volumes:
      - data:/shared
    pre_start:
      - image: @IMAGE@
        command: sh -c 'echo "initialized" > /shared/init.txt'
volumes:
  data:
"#,
        )],
    );
    s.timeout = 60;
    s.step(&["up", "-d", "--wait"]);
    s.step(&["logs", "sample"]).output_contains("initialized");
}

// Go: hooks_test.go TestPreStartHookInError
#[test]
fn pre_start_hook_in_error() {
    let mut s = Scenario::new(
        "e2e-pre-start-hook-in-error",
        &[(
            "compose.yaml",
            r#"services:
  sample:
    image: @IMAGE@
    command: sh -c 'sleep 30'
    pre_start:
      - image: @IMAGE@
        command: sh -c 'exit 17'
"#,
        )],
    );
    s.step_may_fail(&["up", "-d"])
        .exit_code(1)
        .output_contains("pre_start")
        .output_contains("17")
        .service_state("sample", "created");
}

// Go: hooks_test.go TestPreStartHookBuildInheritance
#[test]
fn pre_start_hook_build_inheritance() {
    let mut s = Scenario::new(
        "e2e-pre-start-hook-build-inh",
        &[
            (
                "Dockerfile",
                r#"FROM @IMAGE@
RUN mkdir -p /usr/local/bin && printf '#!/bin/sh\necho "built-image-marker"\n' > /usr/local/bin/built-marker \
    && chmod +x /usr/local/bin/built-marker

"#,
            ),
            (
                "compose.yaml",
                r#"services:
  sample:
    build:
      context: .
    command: sh -c 'cat /shared/marker.txt && sleep 5'
    volumes:
      - data:/shared
    pre_start:
      # No image specified - must fall back to the service's built image.
      - command: sh -c 'built-marker > /shared/marker.txt'
volumes:
  data:
"#,
            ),
        ],
    );
    let image = format!("{}-sample", s.project());
    s.defer_docker(&["image", "rm", "-f", &image]);
    s.step(&["up", "-d", "--wait"]);
    s.step(&["logs", "sample"])
        .output_contains("built-image-marker");
}

// Go: hooks_test.go TestPreStartHookIdempotentReUp
#[test]
fn pre_start_hook_idempotent_re_up() {
    let mut s = Scenario::new(
        "e2e-pre-start-hook-idempoten",
        &[(
            "compose.yaml",
            r#"services:
  sample:
    image: @IMAGE@
    command: sh -c 'sleep 30'
    volumes:
      - data:/shared
    pre_start:
      - image: @IMAGE@
        command: sh -c 'echo $(cat /proc/sys/kernel/random/uuid) >> /shared/tokens.txt'
volumes:
  data:
"#,
        )],
    );
    s.timeout = 60;
    s.step(&["up", "-d", "--wait"]);
    probe(&mut s, &["wc", "-l", "/mnt/tokens.txt"]).output_contains("1 /mnt/tokens.txt");
    s.step(&["up", "-d", "--wait"]).not_recreated(&["sample"]);
    probe(&mut s, &["wc", "-l", "/mnt/tokens.txt"]).output_contains("1 /mnt/tokens.txt");
}

// Go: hooks_test.go TestPreStartHookReRunOnSpecChange
#[test]
fn pre_start_hook_re_run_on_spec_change() {
    let mut s = Scenario::new(
        "e2e-pre-start-hook-re-run-on",
        &[(
            "compose.yaml",
            r#"services:
  sample:
    image: @IMAGE@
    command: sh -c 'sleep 30'
    volumes:
      - data:/shared
    pre_start:
      - image: @IMAGE@
        command: sh -c 'echo ${HOOK_VERSION} >> /shared/versions.txt'
volumes:
  data:
"#,
        )],
    );
    s.timeout = 60;
    s.step_env(&["up", "-d", "--wait"], &[("HOOK_VERSION", "v1")]);
    probe(&mut s, &["cat", "/mnt/versions.txt"])
        .output_contains("v1")
        .output_not_contains("v2");
    s.step_env(&["up", "-d", "--wait"], &[("HOOK_VERSION", "v2")])
        .recreated(&["sample"]);
    probe(&mut s, &["cat", "/mnt/versions.txt"])
        .output_contains("v1")
        .output_contains("v2");
}

// Go: hooks_test.go TestPreStartHookForceRecreate
#[test]
fn pre_start_hook_force_recreate() {
    let mut s = Scenario::new(
        "e2e-pre-start-hook-force-rec",
        &[(
            "compose.yaml",
            r#"services:
  sample:
    image: @IMAGE@
    command: sh -c 'sleep 30'
    volumes:
      - data:/shared
    pre_start:
      - image: @IMAGE@
        command: sh -c 'echo $(cat /proc/sys/kernel/random/uuid) >> /shared/tokens.txt'
volumes:
  data:
"#,
        )],
    );
    s.timeout = 60;
    s.step(&["up", "-d", "--wait"]);
    probe(&mut s, &["wc", "-l", "/mnt/tokens.txt"]).output_contains("1 /mnt/tokens.txt");
    s.step(&["up", "-d", "--force-recreate", "--wait"])
        .recreated(&["sample"]);
    probe(&mut s, &["wc", "-l", "/mnt/tokens.txt"]).output_contains("2 /mnt/tokens.txt");
}

// Go: hooks_test.go TestPreStartHookMidSequenceFailure
#[test]
fn pre_start_hook_mid_sequence_failure() {
    let mut s = Scenario::new(
        "e2e-pre-start-hook-mid-seque",
        &[(
            "compose.yaml",
            r#"services:
  sample:
    image: @IMAGE@
    command: sh -c 'sleep 30'
    volumes:
      - data:/shared
    pre_start:
      - image: @IMAGE@
        command: sh -c 'echo ran-0 >> /shared/hooks.txt'
      - image: @IMAGE@
        command: sh -c 'exit 17'
volumes:
  data:
"#,
        )],
    );
    s.step_may_fail(&["up", "-d"])
        .exit_code(1)
        .output_contains("pre_start[1]")
        .output_contains("17")
        .service_state("sample", "created");
    probe(&mut s, &["cat", "/mnt/hooks.txt"]).output_contains("ran-0");
}

// Go: hooks_test.go TestPreStartHookSequentialOrder
#[test]
fn pre_start_hook_sequential_order() {
    let mut s = Scenario::new(
        "e2e-pre-start-hook-sequentia",
        &[(
            "compose.yaml",
            r#"services:
  sample:
    image: @IMAGE@
    command: sh -c 'sleep 30'
    volumes:
      - data:/shared
    pre_start:
      - image: @IMAGE@
        command: sh -c 'echo A >> /shared/out'
      - image: @IMAGE@
        command: sh -c 'echo B >> /shared/out'
volumes:
  data:
"#,
        )],
    );
    s.timeout = 60;
    s.step(&["up", "-d", "--wait"]);
    probe(&mut s, &["cat", "/mnt/out"]);
    assert!(s.stdout().contains("A\nB"), "{}", s.stdout());
}

// Go: hooks_test.go TestPreStartHookNotReRunOnScaleUp
#[test]
fn pre_start_hook_not_re_run_on_scale_up() {
    let mut s = Scenario::new(
        "e2e-pre-start-hook-not-re-ru",
        &[(
            "compose.yaml",
            r#"services:
  sample:
    image: @IMAGE@
    command: sh -c 'sleep 30'
    volumes:
      - data:/shared
    pre_start:
      - image: @IMAGE@
        command: sh -c 'echo $(cat /proc/sys/kernel/random/uuid) >> /shared/tokens.txt'
volumes:
  data:
"#,
        )],
    );
    s.timeout = 60;
    s.step(&["up", "-d", "--wait"]);
    probe(&mut s, &["wc", "-l", "/mnt/tokens.txt"]).output_contains("1 /mnt/tokens.txt");
    s.step(&["up", "-d", "--scale", "sample=2", "--wait"])
        .service_scale("sample", 2);
    probe(&mut s, &["wc", "-l", "/mnt/tokens.txt"]).output_contains("1 /mnt/tokens.txt");
}

// Go: hooks_test.go TestPreStartHookRunsOnceForScaledService
#[test]
fn pre_start_hook_runs_once_for_scaled_service() {
    let mut s = Scenario::new(
        "e2e-pre-start-hook-runs-once",
        &[(
            "compose.yaml",
            r#"services:
  sample:
    image: @IMAGE@
    command: sh -c 'sleep 30'
    deploy:
      replicas: 2
    volumes:
      - data:/shared
    pre_start:
      - image: @IMAGE@
        command: sh -c 'echo "ran" >> /shared/log'
volumes:
  data:
"#,
        )],
    );
    s.timeout = 60;
    s.step(&["up", "-d", "--wait"]).service_scale("sample", 2);
    probe(&mut s, &["wc", "-l", "/mnt/log"]).output_contains("1 /mnt/log");
}

// Not from the Go suite: a hook's command runs with its `user`, `working_dir` and
// `environment` (post_start and pre_stop alike). post_start runs as nobody, so it writes to
// /tmp; pre_stop (root) copies that into the volume.
#[test]
fn hooks_run_as_their_user_in_their_directory_with_their_environment() {
    let mut s = Scenario::new(
        "e2e-hooks-exec-settings",
        &[(
            "compose.yaml",
            r#"services:
  sample:
    image: @IMAGE@
    init: true
    command: sleep infinity
    volumes:
      - data:/data
    post_start:
      - command: sh -c 'echo "start $(id -u) $(pwd) $$FOO" > /tmp/start.txt'
        user: nobody
        working_dir: /tmp
        environment:
          FOO: bar
    pre_stop:
      - command: sh -c 'cat /tmp/start.txt > /data/log.txt; echo "stop $(id -u) $(pwd) $$FOO" >> /data/log.txt'
        working_dir: /etc
        environment:
          - FOO=baz
volumes:
  data:
"#,
        )],
    );
    s.step(&["up", "-d"]).service_state("sample", "running");
    s.step(&["stop"]).service_state("sample", "exited");
    probe(&mut s, &["cat", "/mnt/log.txt"])
        .output_contains("start 65534 /tmp bar")
        .output_contains("stop 0 /etc baz");
}

// Not from the Go suite: the error names the service, the status and the hook's last words.
#[test]
fn a_failing_post_start_hook_quotes_its_standard_error() {
    let mut s = Scenario::new(
        "e2e-hooks-error-tail",
        &[(
            "compose.yaml",
            r#"services:
  web:
    image: @IMAGE@
    init: true
    command: sleep infinity
    post_start:
      - command: sh -c 'echo progress; echo "no database" >&2; exit 3'
"#,
        )],
    );
    s.step_may_fail(&["up", "-d"])
        .exit_code(1)
        .output_contains("web hook exited with status 3: no database")
        .output_not_contains("progress");
}
