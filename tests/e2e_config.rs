//! Ports of docker/compose `pkg/e2e/config_test.go`, `configs_test.go` and `secrets_test.go`.

#[path = "e2e/scenario.rs"]
mod scenario;
mod support;

use scenario::Scenario;

// Go: config_test.go TestLocalComposeConfig
#[test]
fn local_compose_config() {
    let mut s = Scenario::new(
        "e2e-config",
        &[(
            "compose.yaml",
            "services:\n  test:\n    image: test\n    ports:\n      - ${PORT:-8080}:80\n",
        )],
    );
    s.step(&["config"]);
    assert!(
        s.combined().contains(
            "\n    ports:\n      - mode: ingress\n        target: 80\n        published: \"8080\"\n        protocol: tcp"
        ),
        "{}",
        s.combined()
    );
    s.step(&["config", "--format", "json"]);
    assert!(
        s.combined().contains(r#""published": "8080""#),
        "{}",
        s.combined()
    );
    s.step(&["config", "--no-interpolate"])
        .output_contains("- ${PORT:-8080}:80");
    s.step(&["config", "--no-interpolate", "test"])
        .output_contains("service filtering is not applied when --no-interpolate is set")
        .output_contains("- ${PORT:-8080}:80");
    s.step(&["config", "--variables", "--format", "json"]);
    assert!(
        s.combined().contains(
            "{\n    \"PORT\": {\n        \"Name\": \"PORT\",\n        \"DefaultValue\": \"8080\",\n        \"PresenceValue\": \"\",\n        \"Required\": false\n    }\n}"
        ),
        "{}",
        s.combined()
    );
    s.step(&["config", "--variables", "--format", "yaml"]);
    assert!(
        s.combined().contains(
            "PORT:\n    name: PORT\n    defaultvalue: \"8080\"\n    presencevalue: \"\"\n    required: false"
        ),
        "{}",
        s.combined()
    );
    s.step(&["config", "--variables", "test"])
        .output_contains("service filtering is not applied when --variables is set")
        .output_contains("PORT");
}

// Go: config_test.go TestLocalComposeConfigNoConsistency
#[test]
fn local_compose_config_no_consistency() {
    let mut s = Scenario::new(
        "e2e-config-noconsist",
        &[(
            "compose.yaml",
            r#"services:
  incomplete:
    volumes:
      - data:/data
    networks:
      - internal
    models:
      llm:
  gated:
    profiles: ["extra"]
volumes:
  data:
networks:
  internal:
models:
  llm:
    model: ai/example
"#,
        )],
    );
    s.step(&["config", "--no-consistency", "--services"])
        .output_contains("incomplete");
    s.step(&["config", "--no-consistency", "--volumes"])
        .output_contains("data");
    s.step(&["config", "--no-consistency", "--networks"])
        .output_contains("internal");
    s.step(&["config", "--no-consistency", "--models"])
        .output_contains("ai/example");
    s.step(&["config", "--no-consistency", "--hash", "*"]);
    assert!(s.combined().contains("incomplete "), "{}", s.combined());
    s.step(&[
        "--profile",
        "extra",
        "config",
        "--no-consistency",
        "--services",
    ])
    .output_contains("gated");
}

// Go: config_test.go TestConfigHashMatchesContainerLabel
#[test]
fn config_hash_matches_container_label() {
    let mut s = Scenario::new(
        "e2e-config-hash",
        &[
            (
                "compose.yaml",
                r#"services:
  with-env-file:
    image: @IMAGE@
    command: ["sleep", "infinity"]
    env_file:
      - app.env

  optional-env:
    image: @IMAGE@
    command: ["sleep", "infinity"]
    env_file:
      - path: missing-optional.env
        required: false

  plain:
    image: @IMAGE@
    command: ["sleep", "infinity"]
"#,
            ),
            ("app.env", "EXAMPLE=value\n"),
        ],
    );
    let name = s.project().to_string();
    s.step(&["up", "-d", "--force-recreate"]);
    let mut hashes = std::collections::BTreeMap::new();
    for svc in ["with-env-file", "optional-env", "plain"] {
        let label = support::docker(&[
            "inspect",
            "-f",
            r#"{{index .Config.Labels "com.docker.compose.config-hash"}}"#,
            &format!("{name}-{svc}-1"),
        ]);
        s.step(&["config", "--hash", svc]);
        let out = s.stdout();
        let fields: Vec<&str> = out.split_whitespace().collect();
        assert_eq!(fields.len(), 2, "{out}");
        assert_eq!(fields[1], label, "config --hash {svc} must match the label");
        hashes.insert(svc, label);
    }
    s.step(&["config", "--hash", "*"]);
    let expected = format!(
        "optional-env {}\nplain {}\nwith-env-file {}",
        hashes["optional-env"], hashes["plain"], hashes["with-env-file"]
    );
    assert_eq!(s.stdout().trim(), expected);
}

// Go: configs_test.go TestConfigFromEnv
#[test]
fn config_from_env() {
    let mut s = Scenario::new(
        "e2e-configs-env",
        &[
            (
                "compose.yaml",
                r#"services:
  from_env:
    image: @IMAGE@
    configs:
      - source: from_env
    command: cat /from_env

  from_file:
    image: @IMAGE@
    configs:
      - source: from_file
    command: cat /from_file

  inlined:
    image: @IMAGE@
    configs:
      - source: inlined
    command: cat /inlined

  target:
    image: @IMAGE@
    configs:
      - source: inlined
        target: /target
    command: cat /target

configs:
  from_env:
    environment: CONFIG
  from_file:
    file: config.txt
  inlined:
    content: This is my $CONFIG
"#,
            ),
            ("config.txt", "This is my config file\n\n"),
        ],
    );
    s.with_env("CONFIG", "config");
    s.step(&["run", "from_file"])
        .output_contains("This is my config file");
    s.step(&["run", "from_env"]).output_contains("config");
    s.step(&["run", "inlined"])
        .output_contains("This is my config");
    s.step(&["run", "target"])
        .output_contains("This is my config");
}

const SECRETS: &[(&str, &str)] = &[
    (
        "compose.yaml",
        r#"include:
  - path: child/compose.yaml
    env_file:
      - secret.env

services:
  foo:
    image: @IMAGE@
    secrets:
      - source: secret
        target: bar
        uid: "1005"
        gid: "1005"
        mode: 0440
    command: cat /run/secrets/bar

secrets:
  secret:
    environment: SECRET
"#,
    ),
    ("secret.env", "MY_SECRET='this-is-secret'\n"),
    (
        "child/compose.yaml",
        r#"services:
  included:
    image: @IMAGE@
    secrets:
      - my-secret
    command: cat /run/secrets/my-secret

secrets:
  my-secret:
    environment: 'MY_SECRET'

"#,
    ),
];

// Go: secrets_test.go TestSecretFromEnv (/var/run/secrets -> /run/secrets: the test image has
// no /var/run)
#[test]
fn secret_from_env() {
    let mut s = Scenario::new("e2e-secret-env", SECRETS);
    s.with_env("SECRET", "BAR");
    s.step(&["run", "foo"]).output_contains("BAR");
    s.step(&["run", "foo", "ls", "-al", "/run/secrets/bar"])
        .output_contains("-r--r----- 1 1005 1005");
}

// Go: secrets_test.go TestSecretFromInclude
#[test]
fn secret_from_include() {
    let mut s = Scenario::new("e2e-secret-include", SECRETS);
    s.step(&["run", "included"])
        .output_contains("this-is-secret");
}
