//! The `com.docker.compose.config-hash` label as Docker Compose v5.6.1 computes it: `config
//! --hash` prints the reference's values, and switching between the reference and rcompose on
//! a running project recreates nothing, in either direction.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use support::reference::reference_binary;
use support::{TestProject, docker, ok, test_image};

fn reference(dir: &Path, args: &[&str]) -> Output {
    Command::new(reference_binary())
        .args(args)
        .current_dir(dir)
        .env_remove("COMPOSE_PROJECT_NAME")
        // The engine here has the classic builder only.
        .env("DOCKER_BUILDKIT", "0")
        .stdin(Stdio::null())
        .output()
        .expect("run the reference")
}

/// Every key a service can have that both tools read alike (absolute paths where compose makes
/// them absolute), so that any difference is in the hash itself.
fn kitchen_sink(dir: &Path) -> String {
    let dir = dir.display();
    format!(
        r#"name: cli-hash-sink
services:
  full:
    annotations: {{an: "1"}}
    attach: false
    blkio_config:
      weight: 300
      weight_device: [{{path: /dev/sda, weight: 400}}]
      device_read_bps: [{{path: /dev/sda, rate: 1mb}}]
      device_write_iops: [{{path: /dev/sda, rate: 10}}]
    cap_add: [NET_ADMIN]
    cap_drop: [ALL]
    cgroup: host
    cgroup_parent: cgp
    command: echo "<hi> & 'bye'"
    configs: [{{source: cfg, target: /cfg, mode: 0440}}]
    container_name: cli-hash-sink-full
    cpu_count: 2
    cpu_percent: 50
    cpu_shares: 512
    cpu_quota: 50000
    cpu_period: 100000
    cpus: 1.5
    cpuset: "0"
    credential_spec: {{config: cs}}
    depends_on: {{dep: {{condition: service_started}}}}
    deploy:
      mode: replicated
      replicas: 1
      labels: {{dl: v}}
      update_config: {{parallelism: 1, delay: 1s, max_failure_ratio: 0.5, order: start-first}}
      resources:
        limits: {{cpus: "1.5", memory: 1g, pids: 100}}
        reservations: {{cpus: "0.1", memory: 512m, devices: [{{capabilities: [gpu], count: 1, driver: nvidia}}]}}
      restart_policy: {{condition: on-failure, delay: 1s, max_attempts: 3, window: 10s}}
      placement: {{constraints: [node.role==manager], preferences: [{{spread: node.id}}]}}
    develop:
      watch: [{{path: {dir}/src, action: sync, target: /src, ignore: [x]}}]
    device_cgroup_rules: ["c 1:3 mr"]
    devices: ["/dev/null:/dev/xnull:rwm"]
    dns: [8.8.8.8]
    dns_opt: [use-vc]
    dns_search: [example.com]
    domainname: example.com
    entrypoint: ["/bin/sh", "-c"]
    env_file: [a.env]
    environment: {{B: "2", EMPTY: ""}}
    expose: ["3000", 4000]
    external_links: [other:o]
    extra_hosts: ["a=1.1.1.1", "a-b=2.2.2.2", "a=0.0.0.1"]
    group_add: [users]
    healthcheck: {{test: ["CMD", "true"], interval: 10s, timeout: 5s, retries: 3, start_period: 1s}}
    hostname: hn
    image: busybox
    init: true
    ipc: shareable
    labels: {{lab: v}}
    links: [dep]
    logging: {{driver: json-file, options: {{max-size: 1m}}}}
    mem_limit: 1g
    mem_reservation: 512m
    mem_swappiness: 10
    memswap_limit: 2g
    networks:
      front: {{aliases: [al], ipv4_address: 10.5.0.5, priority: 10}}
    oom_kill_disable: true
    oom_score_adj: 100
    pid: host
    pids_limit: 100
    platform: linux/amd64
    ports: ["127.0.0.1:8080:80/udp", {{name: web, target: 81, published: "8081", protocol: tcp, app_protocol: http}}]
    post_start: [{{command: echo post, user: root, environment: {{X: "1"}}}}]
    pre_stop: [{{command: ["echo", "stop"]}}]
    privileged: true
    profiles: [p1]
    pull_policy: missing
    read_only: true
    restart: always
    runtime: runc
    scale: 1
    security_opt: [no-new-privileges]
    shm_size: 64m
    secrets: [{{source: sec, target: /run/s}}]
    sysctls: {{net.core.somaxconn: 1024}}
    stdin_open: true
    stop_grace_period: 1m30s
    stop_signal: SIGUSR1
    tmpfs: [/run]
    tty: true
    ulimits: {{nproc: 65535, nofile: {{soft: 1000, hard: 2000}}}}
    user: "1000"
    userns_mode: host
    volumes:
      - ./src:/src:ro
      - {{type: bind, source: ./src, target: /src2, bind: {{propagation: rshared, create_host_path: false}}}}
      - {{type: bind, source: ./src, target: /src3}}
      - {{type: volume, source: vol, target: /v, volume: {{nocopy: true, subpath: sub}}}}
      - {{type: tmpfs, target: /t, tmpfs: {{size: 1000, mode: 01777}}}}
    volumes_from: [dep:ro]
    working_dir: /w
    build: {{context: .}}
    x-note: not hashed
  dep:
    image: busybox
    network_mode: none
    gpus: [{{driver: nvidia, count: 1}}]
    healthcheck: {{disable: true}}
  shared:
    image: busybox
    network_mode: service:dep
    provider: {{type: t, options: {{k: v}}}}
volumes:
  vol: {{}}
networks:
  front: {{ipam: {{config: [{{subnet: 10.5.0.0/16}}]}}}}
configs:
  cfg: {{file: ./a.env}}
secrets:
  sec: {{file: ./a.env}}
"#
    )
}

#[test]
fn config_hash_prints_what_the_reference_prints() {
    let p = TestProject::new("cli-hash-config");
    p.write("compose.yml", &kitchen_sink(&p.dir));
    p.write("a.env", "A=1\n");
    std::fs::create_dir_all(p.dir.join("src")).expect("src");
    for args in [
        vec!["--profile", "p1", "config", "--hash", "*"],
        vec!["--profile", "p1", "config", "--hash", "shared,dep"],
    ] {
        let theirs = ok(&reference(&p.dir, &args), "the reference's config --hash");
        let ours = ok(&p.rcompose(&args), "rcompose config --hash");
        assert_eq!(ours, theirs, "config {args:?}");
        assert_eq!(ours.lines().count(), if args[4] == "*" { 3 } else { 2 });
    }
    let unknown = p.rcompose(&["config", "--hash", "nope"]);
    assert!(!unknown.status.success());
    assert!(support::stderr(&unknown).contains("no such service: nope"));
}

/// service → container ID of the project's containers.
fn ids(p: &TestProject) -> BTreeMap<String, String> {
    docker(&[
        "ps",
        "-a",
        "--filter",
        &p.label_filter(),
        "--format",
        "{{.Label \"com.docker.compose.service\"}} {{.ID}}",
    ])
    .lines()
    .filter_map(|l| l.split_once(' '))
    .map(|(s, id)| (s.to_string(), id.to_string()))
    .collect()
}

#[test]
fn switching_between_the_reference_and_rcompose_recreates_nothing() {
    let p = TestProject::new("cli-hash-switch");
    let image = test_image();
    p.write("Dockerfile", &format!("FROM {image}\n"));
    p.write("web.env", "FROM_FILE=1\n");
    p.write(
        "compose.yml",
        &format!(
            r#"services:
  db:
    image: {image}
    command: ["sh", "-c", "sleep 1000"]
    volumes: [data:/data]
    healthcheck: {{test: ["CMD", "true"], interval: 1s}}
    stop_grace_period: 1s
  web:
    image: {image}
    command: ["sleep", "1000"]
    env_file: [web.env]
    environment: {{MODE: "a&b"}}
    ports: ["127.0.0.1::8080"]
    depends_on: {{db: {{condition: service_healthy}}}}
    networks: [front, default]
    labels: {{tier: web}}
  sidecar:
    image: {image}
    command: ["sleep", "1000"]
    network_mode: service:db
    volumes_from: [db:ro]
  built:
    build: .
    command: ["sleep", "1000"]
    tmpfs: [/run]
volumes:
  data:
networks:
  front:
"#
        ),
    );
    let name = p.name.as_str();
    ok(
        &reference(&p.dir, &["-p", name, "up", "-d"]),
        "the reference's up -d",
    );
    let first = ids(&p);
    assert_eq!(first.len(), 4, "{first:?}");
    ok(&p.rcompose(&["-p", name, "up", "-d"]), "rcompose up -d");
    assert_eq!(
        ids(&p),
        first,
        "rcompose recreated containers the reference made"
    );
    ok(
        &reference(&p.dir, &["-p", name, "up", "-d"]),
        "the reference's up -d",
    );
    assert_eq!(ids(&p), first, "the reference recreated its own containers");

    // And the other way round, from containers rcompose made.
    ok(
        &p.rcompose(&["-p", name, "down", "-t", "0"]),
        "rcompose down",
    );
    ok(&p.rcompose(&["-p", name, "up", "-d"]), "rcompose up -d");
    let second = ids(&p);
    assert_eq!(second.len(), 4, "{second:?}");
    assert!(
        second
            .values()
            .all(|id| !first.values().any(|old| old == id))
    );
    ok(
        &reference(&p.dir, &["-p", name, "up", "-d"]),
        "the reference's up -d",
    );
    assert_eq!(
        ids(&p),
        second,
        "the reference recreated containers rcompose made"
    );
    ok(&p.rcompose(&["-p", name, "up", "-d"]), "rcompose up -d");
    assert_eq!(ids(&p), second);

    // Both tools print the same hashes for it.
    let theirs = ok(&reference(&p.dir, &["config", "--hash", "*"]), "--hash");
    assert_eq!(
        ok(&p.rcompose(&["config", "--hash", "*"]), "--hash"),
        theirs
    );

    // A real change is still a change for both: the reference recreates what rcompose made.
    p.write("web.env", "FROM_FILE=2\n");
    ok(
        &reference(&p.dir, &["-p", name, "up", "-d", "web"]),
        "the reference's up -d web",
    );
    let third = ids(&p);
    assert_ne!(
        third["web"], second["web"],
        "a changed env_file must recreate web"
    );
    assert_eq!(third["db"], second["db"]);
    ok(&p.rcompose(&["-p", name, "up", "-d"]), "rcompose up -d");
    assert_eq!(ids(&p), third);
}
