//! Ports of docker/compose `pkg/e2e/networks_test.go`.

#[path = "e2e/scenario.rs"]
mod scenario;
mod support;

use scenario::{Scenario, poll};

/// `nginx` stand-in: busybox httpd serving nginx's welcome text.
const NGINX: &str = r#"["sh", "-c", "mkdir -p /www && echo 'Welcome to nginx!' > /www/index.html && exec httpd -f -p 80 -h /www"]"#;

// Go: networks_test.go TestNetworks
// Stand-ins: the sentences images become busybox: `words` serves /noun ({"word":...}) on 8080,
// `web` fetches it from `words` over the `microservices` network and serves it as /words/noun
// on 80; `db` and `mydb` only hold their networks. Engine-wide network names get the project
// name as prefix.
#[test]
fn networks() {
    let mut s = Scenario::new("e2e-networks", &[]);
    let name = s.project().to_string();
    let fixture = format!(
        r#"services:
  mydb:
    image: @IMAGE@
    network_mode: "service:db"
    command: sleep infinity
    init: true
  db:
    image: @IMAGE@
    init: true
    command: sleep infinity
    networks:
      - dbnet
      - closesnetworkname1
      - closesnetworkname2
  words:
    image: @IMAGE@
    init: true
    command: ["sh", "-c", "mkdir -p /www && echo '{{\"word\":\"noun\"}}' > /www/noun && exec httpd -f -p 8080 -h /www"]
    ports:
      - "8080"
    networks:
      - dbnet
      - servicenet
  web:
    image: @IMAGE@
    init: true
    command: ["sh", "-c", "mkdir -p /www/words && until timeout 5 wget -qO /www/words/noun http://words:8080/noun; do sleep 0.2; done; exec httpd -f -p 80 -h /www"]
    ports:
      - "80"
    labels:
      - "my-label=test"
    networks:
      - servicenet

networks:
  dbnet:
  servicenet:
    name: {name}-microservices
  closesnetworkname1:
    name: {name}-closenamenet
  closesnetworkname2:
    name: {name}-closenamenet-2
"#
    );
    s.p.write("compose.yaml", &scenario::fixture(&fixture));
    s.files = vec!["compose.yaml".into()];
    s.step(&["up", "-d"]);
    s.step(&["ps"]).stdout_contains("web");
    s.step(&["port", "web", "80"]);
    let port = s
        .stdout()
        .trim()
        .rsplit(':')
        .next()
        .unwrap_or("")
        .to_string();
    let url = format!("http://127.0.0.1:{port}/words/noun");
    let body = poll(20, &url, || {
        let out = std::process::Command::new("busybox")
            .args(["wget", "-qO-", &url])
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).to_string())
    });
    assert!(body.contains(r#""word":"#), "{body}");
    let nets = support::docker(&["network", "ls"]);
    assert!(nets.contains(&format!("{name}_dbnet")), "{nets}");
    assert!(nets.contains(&format!("{name}-microservices")), "{nets}");
    s.step(&["port", "words", "8080"])
        .stdout_contains("0.0.0.0:");
    s.step(&["down", "-t0", "-v"]);
    let nets = support::docker(&["network", "ls"]);
    assert!(!nets.contains(&name), "{nets}");
}

// Go: networks_test.go TestNetworkAliases (nginx -> busybox httpd, curl -> wget)
#[test]
fn network_aliases() {
    let fixture = format!(
        r#"services:
  container1:
    image: @IMAGE@
    command: {NGINX}
    stop_signal: SIGTERM
    links:
      - container2:container

  container2:
    image: @IMAGE@
    command: {NGINX}
    stop_signal: SIGTERM
    networks:
      default:
        aliases:
          - alias-of-container2
"#
    );
    let mut s = Scenario::new("e2e-net-aliases", &[("compose.yaml", &fixture)]);
    s.step(&["up", "-d"])
        .service_state("container1", "running")
        .service_state("container2", "running");
    let wget = ["timeout", "5", "wget", "-qO-"];
    let mut args = vec!["exec", "-T", "container1"];
    args.extend(wget);
    s.step(&[&args[..], &["http://alias-of-container2/"]].concat())
        .output_contains("Welcome to nginx!");
    s.step(&[&args[..], &["http://container/"]].concat())
        .output_contains("Welcome to nginx!");
}

// Go: networks_test.go TestNetworkLinks
#[test]
fn network_links() {
    let fixture = format!(
        r#"services:
  container1:
    image: @IMAGE@
    command: {NGINX}
    stop_signal: SIGTERM
    network_mode: bridge
  container2:
    image: @IMAGE@
    command: {NGINX}
    stop_signal: SIGTERM
    network_mode: bridge
    links:
      - container1
"#
    );
    let mut s = Scenario::new("e2e-net-links", &[("compose.yaml", &fixture)]);
    s.step(&["up", "-d"])
        .service_state("container1", "running")
        .service_state("container2", "running");
    s.step(&[
        "exec",
        "-T",
        "container2",
        "timeout",
        "5",
        "wget",
        "-qO-",
        "http://container1/",
    ])
    .output_contains("Welcome to nginx!");
}

// Go: networks_test.go TestIPAMConfig
#[test]
fn ipam_config() {
    let mut s = Scenario::new(
        "e2e-ipam",
        &[(
            "compose.yaml",
            r#"services:
  foo:
    image: @IMAGE@
    init: true
    entrypoint: ["sleep", "600"]
    networks:
      default:
        ipv4_address: 10.1.0.100  # <-- Fixed IP address
networks:
  default:
    ipam:
      config:
        - subnet: 10.1.0.0/16
"#,
        )],
    );
    let name = s.project().to_string();
    s.step(&["up", "-d"]).service_state("foo", "running");
    let format = format!(
        r#"{{{{ $network := index .NetworkSettings.Networks "{name}_default" }}}}{{{{ $network.IPAMConfig.IPv4Address }}}}"#
    );
    s.docker_step(&["inspect", &format!("{name}-foo-1"), "-f", &format], false)
        .output_contains("10.1.0.100");
}

// Go: networks_test.go TestNetworkModes
#[test]
fn network_modes() {
    let mut s = Scenario::new(
        "e2e-net-modes",
        &[(
            "compose.yaml",
            r#"services:
  mydb:
    image: @IMAGE@
    network_mode: "service:db"
  db:
    image: @IMAGE@
    init: true
    command: sleep infinity
"#,
        )],
    );
    s.step(&["run", "-T", "mydb", "echo", "success"])
        .output_contains("success")
        .service_state("db", "running");
}

// Go: networks_test.go TestNetworkConfigChanged (the new subnet 192.168.0.0/16 -> 10.98.0.0/16:
// the engine's address pools already hold 192.168.x.0/20 networks here)
#[test]
fn network_config_changed() {
    let mut s = Scenario::new(
        "e2e-net-changed",
        &[(
            "compose.yaml",
            r#"services:
  test:
    image: @IMAGE@
    init: true
    command: sleep infinity
    networks:
      - test

networks:
  test:
    ipam:
      config:
        - subnet: ${SUBNET-172.99.0.0/16}
"#,
        )],
    );
    s.step(&["up", "-d"]).service_state("test", "running");
    s.step(&["exec", "test", "hostname", "-i"])
        .output_contains("172.99.0.");
    s.step_env(&["up", "-d"], &[("SUBNET", "10.98.0.0/16")])
        .service_state("test", "running")
        .not_recreated(&["test"]);
    s.step(&["exec", "test", "hostname", "-i"])
        .output_contains("10.98.0.");
}

// Go: networks_test.go TestNetworkRecreate (nginx -> busybox httpd)
#[test]
fn network_recreate() {
    let mut s = Scenario::new(
        "e2e-net-recreate",
        &[(
            "compose.yaml",
            r#"services:
  web:
    image: @IMAGE@
    init: true
    command: httpd -f -p 80
    networks:
      - test

networks:
  test:
    labels:
      - foo=${FOO:-foo}
"#,
        )],
    );
    s.step(&["up", "-d"]);
    s.step_env(&["--progress=plain", "up", "-d"], &[("FOO", "bar")]);
    let err = s.stderr();
    assert!(
        err.contains("Stopped") && (err.contains("Started") || err.contains("Recreated")),
        "missing events:\n{err}"
    );
}
