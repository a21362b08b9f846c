//! `rcompose swarm up|ps|down` on a real single-node swarm.
//!
//! Every scenario lives in the one `#[test]` below: the engine is put into swarm mode (when it
//! is not already) once, for the whole run, and left as it was found. A lock file serialises
//! this against other processes running these tests, so one run cannot leave the swarm while
//! another still uses it. Other test binaries keep working meanwhile: swarm mode leaves bridge
//! networks alone.

mod support;

use std::collections::BTreeMap;
use std::fs::File;
use std::process::Output;

use serde_json::Value;
use support::{TestProject, docker, docker_ok, test_image};

const NAMESPACE: &str = "com.docker.stack.namespace";

/// Puts the engine into swarm mode for the test and restores it on drop (also when the test
/// fails): `docker swarm leave --force` only if it was not in swarm mode before, and
/// `docker_gwbridge` removed if swarm mode created it.
struct SwarmMode {
    initialised: bool,
    gwbridge_existed: bool,
    _lock: File,
}

impl SwarmMode {
    fn enable() -> SwarmMode {
        let path = std::env::temp_dir().join("rcompose-swarm-tests.lock");
        let lock =
            File::create(&path).unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        lock.lock()
            .unwrap_or_else(|e| panic!("cannot lock {}: {e}", path.display()));
        let gwbridge_existed = docker_ok(&["network", "inspect", "docker_gwbridge"]);
        let state = docker(&["info", "--format", "{{.Swarm.LocalNodeState}}"]);
        let initialised = match state.as_str() {
            "active" => false,
            "inactive" => {
                docker(&["swarm", "init", "--advertise-addr", "127.0.0.1"]);
                true
            }
            other => panic!("the engine's swarm state is {other:?}; expected inactive or active"),
        };
        SwarmMode {
            initialised,
            gwbridge_existed,
            _lock: lock,
        }
    }
}

impl Drop for SwarmMode {
    fn drop(&mut self) {
        if self.initialised {
            let _ = docker_ok(&["swarm", "leave", "--force"]);
            if !self.gwbridge_existed {
                let _ = docker_ok(&["network", "rm", "docker_gwbridge"]);
            }
        }
    }
}

/// A stack name for the test, removed with everything labelled with it on drop.
struct Stack {
    name: String,
}

impl Stack {
    fn new(name: String) -> Stack {
        Stack { name }
    }

    fn filter(&self) -> String {
        format!("label={NAMESPACE}={}", self.name)
    }

    /// IDs of the stack's objects of `kind` (service, network, config, secret, volume).
    fn ids(&self, kind: &str) -> Vec<String> {
        docker(&[kind, "ls", "-q", "--filter", &self.filter()])
            .split_whitespace()
            .map(str::to_string)
            .collect()
    }
}

impl Drop for Stack {
    /// Best effort; never panics, since it also runs while a failed test unwinds.
    fn drop(&mut self) {
        let _ = std::process::Command::new(env!("CARGO_BIN_EXE_rcompose"))
            .args(["-p", &self.name, "swarm", "down"])
            .output();
        let _ = docker_ok(&["stack", "rm", &self.name]);
        let filter = self.filter();
        for kind in ["volume", "network", "config", "secret"] {
            let Ok(out) = std::process::Command::new("docker")
                .args([kind, "ls", "-q", "--filter", &filter])
                .output()
            else {
                continue;
            };
            for id in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                let _ = docker_ok(&[kind, "rm", id]);
            }
        }
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Run rcompose in the project directory and insist that it succeeds; its stderr.
fn rcompose_ok(project: &TestProject, args: &[&str]) -> String {
    let out: Output = project.rcompose(args);
    assert!(
        out.status.success(),
        "rcompose {args:?} failed:\n{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stderr)
}

/// IDs of the tasks of `service` that should be running.
fn running_tasks(service: &str) -> Vec<String> {
    let mut ids: Vec<String> = docker(&[
        "service",
        "ps",
        "-q",
        "--no-trunc",
        "--filter",
        "desired-state=running",
        service,
    ])
    .split_whitespace()
    .map(str::to_string)
    .collect();
    ids.sort();
    ids
}

/// The state of each task of `service` that should be running (`running`, ...).
fn task_states(service: &str) -> Vec<String> {
    running_tasks(service)
        .iter()
        .map(|id| docker(&["inspect", "--format", "{{.Status.State}}", id]))
        .collect()
}

fn service_version(service: &str) -> String {
    docker(&[
        "service",
        "inspect",
        "--format",
        "{{.Version.Index}}",
        service,
    ])
}

fn json(args: &[&str]) -> Value {
    let out = docker(args);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("docker {args:?}: {e}: {out}"))
}

const COMPOSE: &str = r#"
services:
  web:
    image: rcompose-test/busybox:latest
    command: ["httpd", "-f", "-p", "8080"]
    environment:
      GREETING: hello
    labels:
      com.example.role: frontend
    ports:
      - "8080"
    stop_grace_period: 1s
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
      timeout: 1s
      retries: 3
    deploy:
      replicas: 3
      labels:
        com.example.tier: web
      resources:
        limits: {cpus: "0.5", memory: 64M}
        reservations: {memory: 8M}
      restart_policy: {condition: on-failure, delay: 1s, max_attempts: 5}
      update_config: {parallelism: 1, order: start-first}
      rollback_config: {parallelism: 2}
      placement:
        constraints: ["node.role==manager"]
        preferences: [{spread: node.id}]
  worker:
    image: rcompose-test/busybox:latest
    command: ["sleep", "3600"]
    stop_grace_period: 1s
    depends_on: [web]
    configs:
      - source: settings
        target: /etc/settings.txt
        mode: 0440
    secrets:
      - token
    volumes:
      - data:/data
    networks:
      - default
      - back
    deploy:
      endpoint_mode: dnsrr
networks:
  back:
    labels:
      com.example.net: back
volumes:
  data:
configs:
  settings:
    file: ./settings.txt
secrets:
  token:
    file: ./token.txt
"#;

#[test]
fn swarm_stacks() {
    test_image();
    let _swarm = SwarmMode::enable();
    let project = TestProject::new("swarm");
    project.write("settings.txt", "colour=blue\n");
    project.write("token.txt", "s3cret\n");
    project.write("compose.yaml", COMPOSE);
    // Two stacks side by side; neither name is a prefix of the other.
    let ours = Stack::new(format!("{}x", project.name));
    let theirs = Stack::new(format!("{}y", project.name));
    let web = format!("{}_web", ours.name);
    let worker = format!("{}_worker", ours.name);
    let p = ours.name.as_str();

    // A stack converges: `up` returns once every replica runs.
    let stderr = rcompose_ok(&project, &["-p", p, "swarm", "up"]);
    assert_eq!(task_states(&web), ["running"; 3], "{stderr}");
    assert_eq!(task_states(&worker), ["running"], "{stderr}");
    // What swarm cannot do is said once per key and service.
    let warning = "Service worker  depends_on.web: swarm starts services in no particular order \
                   and has no dependency conditions; service_started is not waited for";
    assert_eq!(stderr.matches(warning).count(), 1, "{stderr}");
    let worker_tasks = running_tasks(&worker);
    let worker_version = service_version(&worker);

    // Unchanged services are left alone.
    let web_version = service_version(&web);
    // Everything it says is a progress event: with --progress json, JSON lines only.
    let stderr = rcompose_ok(&project, &["-p", p, "--progress", "json", "swarm", "up"]);
    let events: Vec<serde_json::Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(
        events
            .iter()
            .any(|e| e["id"] == format!("Service {web}") && e["text"] == "Up to date"),
        "{stderr}"
    );
    assert!(
        events
            .iter()
            .any(|e| e["id"] == "Service worker" && e["status"] == "warning"),
        "{stderr}"
    );
    assert_eq!(service_version(&web), web_version);
    assert_eq!(service_version(&worker), worker_version);

    // A changed service rolls over; the other keeps its tasks.
    let web_tasks = running_tasks(&web);
    project.write(
        "compose.yaml",
        &COMPOSE.replace("GREETING: hello", "GREETING: bye"),
    );
    let stderr = rcompose_ok(&project, &["-p", p, "swarm", "up"]);
    assert!(
        stderr.contains(&format!("Service {web}  Updating")),
        "{stderr}"
    );
    let new_web_tasks = running_tasks(&web);
    assert_eq!(new_web_tasks.len(), 3);
    assert!(
        new_web_tasks.iter().all(|t| !web_tasks.contains(t)),
        "{web_tasks:?} → {new_web_tasks:?}"
    );
    for task in &new_web_tasks {
        let env = docker(&[
            "inspect",
            "--format",
            "{{json .Spec.ContainerSpec.Env}}",
            task,
        ]);
        assert_eq!(env, r#"["GREETING=bye"]"#);
        assert_eq!(
            docker(&["inspect", "--format", "{{.Status.State}}", task]),
            "running"
        );
    }
    assert_eq!(running_tasks(&worker), worker_tasks);
    assert_eq!(service_version(&worker), worker_version);

    // `swarm ps` lists the stack's tasks as `docker stack ps` does.
    let out = project.rcompose(&["-p", p, "swarm", "ps"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    let header = table.lines().next().unwrap_or_default();
    for column in [
        "ID",
        "NAME",
        "IMAGE",
        "NODE",
        "DESIRED STATE",
        "CURRENT STATE",
    ] {
        assert!(header.contains(column), "{table}");
    }
    let running_rows = table
        .lines()
        .filter(|l| l.contains("Running") && l.contains("rcompose-test/busybox:latest"))
        .filter(|l| l.starts_with(|c: char| c.is_ascii_alphanumeric()))
        .count();
    assert!(running_rows >= 4, "{table}");
    for slot in 1..=3 {
        assert!(table.contains(&format!("{web}.{slot} ")), "{table}");
    }
    assert!(table.contains(&format!("{worker}.1 ")), "{table}");

    // Side by side with `docker stack deploy` on the same file.
    let deploy = std::process::Command::new("docker")
        .args(["stack", "deploy", "-c", "compose.yaml", &theirs.name])
        .current_dir(&project.dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run docker stack deploy: {e}"));
    assert!(
        deploy.status.success(),
        "docker stack deploy failed: {}",
        text(&deploy.stderr)
    );
    compare_stacks(&ours, &theirs);

    // --scale overrides deploy.replicas.
    rcompose_ok(&project, &["-p", p, "swarm", "up", "--scale", "web=1"]);
    assert_eq!(task_states(&web), ["running"]);
    assert_eq!(running_tasks(&worker), worker_tasks);

    // `swarm down` removes services, networks, configs and secrets; volumes stay.
    rcompose_ok(&project, &["-p", p, "swarm", "down"]);
    for kind in ["service", "network", "config", "secret"] {
        assert_eq!(ours.ids(kind), Vec::<String>::new(), "{kind}s of {p} left");
    }
    assert!(!docker_ok(&["service", "inspect", &web]));
    assert_eq!(ours.ids("volume").len(), 1);
    // And it takes down a stack `docker stack deploy` made.
    rcompose_ok(&project, &["-p", &theirs.name, "swarm", "down"]);
    for kind in ["service", "network", "config", "secret"] {
        assert_eq!(
            theirs.ids(kind),
            Vec::<String>::new(),
            "{kind}s of theirs left"
        );
    }
    // A second `down` has nothing to do.
    let stderr = rcompose_ok(&project, &["-p", p, "swarm", "down"]);
    assert!(stderr.contains("Nothing found in stack"), "{stderr}");
}

/// The same services, replicas, networks and labels, modulo the stack name.
fn compare_stacks(ours: &Stack, theirs: &Stack) {
    let normalize = |value: &Value, stack: &str| -> Value {
        let text = value.to_string().replace(stack, "STACK");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    };
    // Network IDs differ; their names do not.
    let network_names = |spec: &mut Value| {
        if let Some(Value::Array(networks)) = spec.pointer_mut("/TaskTemplate/Networks") {
            for network in networks {
                let id = network["Target"].as_str().unwrap_or_default().to_string();
                network["Target"] = Value::String(docker(&[
                    "network",
                    "inspect",
                    "--format",
                    "{{.Name}}",
                    &id,
                ]));
            }
        }
    };
    for service in ["web", "worker"] {
        let mut specs = Vec::new();
        for stack in [ours, theirs] {
            let name = format!("{}_{service}", stack.name);
            let mut spec = json(&["service", "inspect", "--format", "{{json .Spec}}", &name]);
            network_names(&mut spec);
            specs.push(normalize(&spec, &stack.name));
        }
        let (a, b) = (&specs[0], &specs[1]);
        // The fields rcompose sets. IDs of configs and secrets, and published ports the
        // engine picked, differ by nature.
        for path in [
            "/Name",
            "/Labels",
            "/Mode",
            "/UpdateConfig",
            "/RollbackConfig",
            "/EndpointSpec/Mode",
            "/TaskTemplate/ContainerSpec/Image",
            "/TaskTemplate/ContainerSpec/Labels",
            "/TaskTemplate/ContainerSpec/Command",
            "/TaskTemplate/ContainerSpec/Args",
            "/TaskTemplate/ContainerSpec/Env",
            "/TaskTemplate/ContainerSpec/Mounts",
            "/TaskTemplate/ContainerSpec/Healthcheck",
            "/TaskTemplate/ContainerSpec/StopGracePeriod",
            "/TaskTemplate/Resources",
            "/TaskTemplate/RestartPolicy",
            "/TaskTemplate/Placement",
            "/TaskTemplate/Networks",
        ] {
            assert_eq!(a.pointer(path), b.pointer(path), "{service}{path}");
        }
        for kind in ["Configs", "Secrets"] {
            let strip = |v: &Value| -> Vec<Value> {
                v.pointer(&format!("/TaskTemplate/ContainerSpec/{kind}"))
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|mut r| {
                        if let Some(map) = r.as_object_mut() {
                            map.remove("ConfigID");
                            map.remove("SecretID");
                        }
                        r
                    })
                    .collect()
            };
            assert_eq!(strip(a), strip(b), "{service} {kind}");
        }
        let ports = |v: &Value| -> Vec<Value> {
            v.pointer("/EndpointSpec/Ports")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|mut p| {
                    if let Some(map) = p.as_object_mut() {
                        map.remove("PublishedPort");
                    }
                    p
                })
                .collect()
        };
        assert_eq!(ports(a), ports(b), "{service} ports");
    }

    // The same networks, configs and secrets, with the same labels.
    let objects = |stack: &Stack, kind: &str| -> BTreeMap<String, Value> {
        stack
            .ids(kind)
            .iter()
            .map(|id| {
                let v = normalize(&json(&[kind, "inspect", id]), &stack.name);
                let v = &v[0];
                let (name, fields) = match kind {
                    "network" => (
                        v["Name"].clone(),
                        serde_json::json!({
                            "Driver": v["Driver"], "Scope": v["Scope"],
                            "Attachable": v["Attachable"], "Internal": v["Internal"],
                            "Labels": v["Labels"],
                        }),
                    ),
                    _ => (v["Spec"]["Name"].clone(), v["Spec"]["Labels"].clone()),
                };
                (name.as_str().unwrap_or_default().to_string(), fields)
            })
            .collect()
    };
    for kind in ["network", "config", "secret"] {
        let (a, b) = (objects(ours, kind), objects(theirs, kind));
        assert!(!a.is_empty(), "no {kind}s in {}", ours.name);
        assert_eq!(a, b, "{kind}s");
    }
}
