//! Secrets and configs on the real engine: file secrets under /run/secrets/<name>, read-only,
//! with their `mode` and owner when asked; secrets from the environment; configs at their
//! target from a file, inline content or the environment; and secret values never in
//! rcompose's own output (up, ps, config, down, errors).

mod support;

use std::os::unix::fs::PermissionsExt;
use std::process::Output;

use support::{TestProject, docker, test_image};

const FILE_SECRET: &str = "file-secret-Qx7Lm2";
const MODED_SECRET: &str = "moded-secret-Rt9Kw4";
const ENV_SECRET: &str = "env-secret-Zp3Vn8";

fn output(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn ok(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}",
        out.status,
        output(out)
    );
    output(out)
}

fn assert_no_secret(text: &str, what: &str) {
    for secret in [FILE_SECRET, MODED_SECRET, ENV_SECRET] {
        assert!(
            !text.contains(secret),
            "{what} shows a secret value:\n{text}"
        );
    }
}

/// `mode uid gid content` of each path in `container`.
fn files(container: &str, paths: &[&str]) -> Vec<String> {
    paths
        .iter()
        .map(|path| {
            docker(&[
                "exec",
                container,
                "sh",
                "-c",
                &format!("echo $(stat -c '%a %u %g' {path}) $(cat {path})"),
            ])
        })
        .collect()
}

#[test]
fn secrets_and_configs_are_in_place_and_never_shown() {
    let image = test_image();
    let p = TestProject::new("secrets");
    let token = p.write("secrets/token.txt", FILE_SECRET);
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    p.write("secrets/key.txt", MODED_SECRET);
    p.write("app.conf", "log_level = debug");
    p.write(
        "compose.yml",
        &format!(
            r#"services:
  app:
    image: {image}
    command: ["sleep", "600"]
    init: true
    secrets:
      - token
      - source: key
        mode: 0400
        uid: "65534"
        gid: "65534"
      - source: from_env
        target: env_token
    configs:
      - app_conf
      - source: inline
        target: /etc/inline.conf
        mode: 0440
      - source: env_conf
        target: /etc/env.conf
secrets:
  token:
    file: ./secrets/token.txt
  key:
    file: ./secrets/key.txt
  from_env:
    environment: APP_TOKEN
configs:
  app_conf:
    file: ./app.conf
  inline:
    content: "inline = yes"
  env_conf:
    environment: APP_MODE
"#
        ),
    );
    let name = p.name.clone();
    let env = [("APP_TOKEN", ENV_SECRET), ("APP_MODE", "fast")];
    let run = |args: &[&str]| {
        let mut all = vec!["-p", name.as_str()];
        all.extend_from_slice(args);
        ok(&p.rcompose_with_env(&all, &env), &format!("{args:?}"))
    };
    let shown = run(&["up", "-d"]);
    assert_no_secret(&shown, "up");
    let app = format!("{name}-app-1");
    let paths = [
        "/run/secrets/token",
        "/run/secrets/key",
        "/run/secrets/env_token",
        "/app_conf",
        "/etc/inline.conf",
        "/etc/env.conf",
    ];
    let expected = [
        format!("640 0 0 {FILE_SECRET}"),
        format!("400 65534 65534 {MODED_SECRET}"),
        format!("444 0 0 {ENV_SECRET}"),
        "644 0 0 log_level = debug".to_string(),
        "440 0 0 inline = yes".to_string(),
        "444 0 0 fast".to_string(),
    ];
    assert_eq!(files(&app, &paths), expected);

    // A file secret is a read-only mount: not even root in the container can change it.
    let write = std::process::Command::new("docker")
        .args([
            "exec",
            &app,
            "sh",
            "-c",
            "echo changed > /run/secrets/token",
        ])
        .output()
        .expect("docker exec");
    assert!(!write.status.success());
    assert!(
        String::from_utf8_lossy(&write.stderr).contains("Read-only file system"),
        "{}",
        String::from_utf8_lossy(&write.stderr)
    );
    // A secret with a mode is unreadable for other users.
    let other = std::process::Command::new("docker")
        .args(["exec", "-u", "1000", &app, "cat", "/run/secrets/key"])
        .output()
        .expect("docker exec");
    assert!(
        !other.status.success(),
        "uid 1000 must not read a 0400 secret"
    );

    // Recreated, the new container gets them all again.
    assert_no_secret(
        &run(&["up", "-d", "--force-recreate"]),
        "up --force-recreate",
    );
    assert_eq!(files(&app, &paths), expected);

    // Nothing rcompose prints shows a value.
    assert_no_secret(&run(&["ps", "-a"]), "ps");
    assert_no_secret(&run(&["ps", "--format", "json"]), "ps --format json");
    let config = run(&["config"]);
    assert_no_secret(&config, "config");
    assert!(config.contains("secrets/token.txt"), "{config}");
    assert!(config.contains("APP_TOKEN"), "{config}");
    assert_no_secret(
        &run(&["config", "--format", "json"]),
        "config --format json",
    );
    assert_no_secret(&run(&["down"]), "down");
}

#[test]
fn secret_errors_name_the_secret_never_its_value() {
    let image = test_image();
    let p = TestProject::new("secret-errors");
    p.write(
        "compose.yml",
        &format!(
            r#"services:
  app:
    image: {image}
    command: ["sleep", "600"]
    secrets: [from_env]
secrets:
  from_env:
    environment: APP_TOKEN
"#
        ),
    );
    // The variable is not set: named, and nothing is created.
    let out = p.rcompose(&["-p", &p.name, "up", "-d"]);
    let text = output(&out);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains(
            "service \"app\": secret \"from_env\": takes its content from the environment variable APP_TOKEN, which is not set"
        ),
        "{text}"
    );
    assert!(p.ids("container").is_empty());

    // A mode on a secret file that does not exist: the path, not a value.
    p.write(
        "compose.yml",
        &format!(
            r#"services:
  app:
    image: {image}
    command: ["sleep", "600"]
    secrets:
      - source: key
        mode: 0400
    environment:
      UNRELATED: {ENV_SECRET}
secrets:
  key:
    file: ./missing-key.txt
"#
        ),
    );
    let out = p.rcompose(&["-p", &p.name, "up", "-d"]);
    let text = output(&out);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("secret \"key\": cannot read"), "{text}");
    assert!(text.contains("missing-key.txt"), "{text}");
    assert_no_secret(&text, "the error");
    assert!(p.ids("container").is_empty(), "no half-made container");
}
