//! Ports of docker/compose `pkg/e2e/ps_test.go`.

#[path = "e2e/scenario.rs"]
mod scenario;
mod support;

use scenario::Scenario;

/// A free TCP port on 127.0.0.1 (the Go fixture's fixed 8001 could clash on a shared machine).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

// Go: ps_test.go TestPs (with its subtests table, json, ps --all, ps unknown)
#[test]
fn ps() {
    let port = free_port();
    // Stand-in for fixtures/ps-test/compose.yaml: nginx -> busybox httpd; `init: true` so that
    // stop is immediate.
    let fixture = format!(
        r#"services:
  nginx:
    image: @IMAGE@
    init: true
    command: httpd -f -p 80
    expose:
    - '80'
    - '443'
    - '8080'
  busybox:
    image: @IMAGE@
    init: true
    command: busybox httpd -f -p 8000
    ports:
    - '127.0.0.1:{port}:8000'
"#
    );
    let mut s = Scenario::new("e2e-ps", &[("compose.yaml", &fixture)]);
    let name = s.project().to_string();
    s.step(&["up", "-d"])
        .output_contains(&format!("Container {name}-busybox-1 Started"));

    // table
    s.step(&["ps"]);
    let out = s.stdout();
    let lines: Vec<&str> = out.split('\n').collect();
    assert_eq!(lines.len(), 4, "{out}");
    let mut count = 0;
    for line in &lines[1..3] {
        if line.contains(&format!("{name}-busybox-1")) {
            assert!(
                line.contains(&format!("127.0.0.1:{port}->8000/tcp")),
                "{line}"
            );
            count += 1;
        }
        if line.contains(&format!("{name}-nginx-1")) {
            assert!(line.contains("80/tcp, 443/tcp, 8080/tcp"), "{line}");
            count += 1;
        }
    }
    assert_eq!(count, 2, "did not match both services:\n{out}");

    // json
    s.step(&["ps", "--format", "json"]);
    let out = s.stdout();
    let items: Vec<serde_json::Value> = serde_json::Deserializer::from_str(&out)
        .into_iter::<serde_json::Value>()
        .map(|v| v.unwrap_or_else(|e| panic!("ps json: {e}\n{out}")))
        .collect();
    assert_eq!(items.len(), 2, "{out}");
    let mut count = 0;
    for item in &items {
        assert_eq!(item["Project"], name.as_str());
        let publishers = item["Publishers"].as_array().expect("Publishers");
        let pubs: Vec<(String, u64, u64, String)> = publishers
            .iter()
            .map(|p| {
                (
                    p["URL"].as_str().unwrap_or("").to_string(),
                    p["TargetPort"].as_u64().unwrap_or(0),
                    p["PublishedPort"].as_u64().unwrap_or(0),
                    p["Protocol"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        if item["Name"] == format!("{name}-busybox-1").as_str() {
            assert_eq!(
                pubs,
                vec![(
                    "127.0.0.1".to_string(),
                    8000,
                    port as u64,
                    "tcp".to_string()
                )],
                "{out}"
            );
            count += 1;
        }
        if item["Name"] == format!("{name}-nginx-1").as_str() {
            let tcp = |t| (String::new(), t, 0, "tcp".to_string());
            assert_eq!(pubs, vec![tcp(80), tcp(443), tcp(8080)], "{out}");
            count += 1;
        }
    }
    assert_eq!(count, 2, "did not match both services:\n{out}");

    // ps --all
    let files = std::mem::take(&mut s.files);
    s.step(&["stop"]);
    s.files = files;
    s.step(&["ps"]);
    assert_eq!(s.stdout().split('\n').count(), 2, "{}", s.stdout());
    s.step(&["ps", "--all"]);
    assert_eq!(s.stdout().split('\n').count(), 4, "{}", s.stdout());

    // ps unknown
    s.step(&["ps", "nginx"]);
    s.step_may_fail(&["ps", "unknown"])
        .exit_code(1)
        .stderr_contains("no such service: unknown");
}

// Go: ps_test.go TestPsHonorsPsFormat
#[test]
fn ps_honors_ps_format() {
    let mut s = Scenario::new(
        "e2e-ps-psformat",
        &[
            (
                "compose.yaml",
                "services:\n  app:\n    image: @IMAGE@\n    command: sleep infinity\n",
            ),
            (
                "docker-config/config.json",
                r#"{"psFormat":"table {{.Name}}"}"#,
            ),
        ],
    );
    let config = s.p.dir.join("docker-config");
    s.with_env("DOCKER_CONFIG", config.to_str().expect("utf-8 path"));
    s.step(&["up", "-d"])
        .eventually_service_state("app", "running", 10);
    s.step(&["ps"])
        .output_contains("NAME")
        .output_not_contains("IMAGE");
}
