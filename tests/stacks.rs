//! The Elastic stack and the cluster templates: what `config` makes of them, the plan `up
//! --dry-run` prints, and `rcompose new` output that loads for any node count.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn rcompose(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rcompose"))
        .current_dir(dir)
        .args(args)
        .env_remove("COMPOSE_PROJECT_NAME")
        .env_remove("COMPOSE_FILE")
        .env_remove("COMPOSE_PROFILES")
        .output()
        .expect("run rcompose")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("rcompose-stacks-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn elastic_stack_config_is_the_expected_model() {
    let out = rcompose(
        repo(),
        &["config", "--format", "json", "stacks/elastic.yml"],
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let v: Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(v["name"], "elastic");
    let setup = &v["services"]["setup"];
    assert_eq!(setup["user"], "0");
    assert!(
        setup["healthcheck"]["test"][1]
            .as_str()
            .is_some_and(|t| t.contains("es01.crt"))
    );
    for (i, node) in ["es01", "es02", "es03"].iter().enumerate() {
        let es = &v["services"][node];
        assert_eq!(es["mem_limit"], "1073741824", "{node}");
        assert_eq!(es["ulimits"]["memlock"]["soft"], -1);
        assert_eq!(es["environment"]["node.name"], *node);
        assert_eq!(
            es["environment"]["cluster.initial_master_nodes"],
            "es01,es02,es03"
        );
        let others: Vec<&str> = ["es01", "es02", "es03"]
            .iter()
            .copied()
            .filter(|n| n != node)
            .collect();
        assert_eq!(es["environment"]["discovery.seed_hosts"], others.join(","));
        let volumes: Vec<&str> = es["volumes"]
            .as_array()
            .expect("volumes")
            .iter()
            .filter_map(|m| m["source"].as_str())
            .collect();
        assert_eq!(volumes, ["certs", &format!("esdata0{}", i + 1)]);
        assert!(
            es["image"]
                .as_str()
                .is_some_and(|i| i.starts_with("docker.elastic.co/elasticsearch/elasticsearch:8."))
        );
    }
    let kibana = &v["services"]["kibana"];
    for node in ["es01", "es02", "es03"] {
        assert_eq!(kibana["depends_on"][node]["condition"], "service_healthy");
    }
    assert_eq!(kibana["ports"][0]["host_ip"], "127.0.0.1");
    assert_eq!(kibana["ports"][0]["published"], "5601");
}

#[test]
fn elastic_dry_run_prints_what_each_service_waits_for_and_creates_nothing() {
    let project = format!("rct-dryrun-{}", std::process::id());
    let out = rcompose(
        repo(),
        &["-p", &project, "up", "--dry-run", "stacks/elastic.yml"],
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    let order: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("service "))
        .map(|l| {
            l.trim_start_matches("service ")
                .split([' ', ':'])
                .next()
                .unwrap_or("")
        })
        .collect();
    assert_eq!(order, ["setup", "es01", "es02", "es03", "kibana"]);
    // Per service, what it waits for and why; no rounds.
    assert!(
        stdout.contains("service setup: starts at once\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("service es01: starts once setup is healthy (service_healthy)\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "service kibana: starts once es01 is healthy (service_healthy), es02 is healthy (service_healthy), es03 is healthy (service_healthy)\n"
        ),
        "{stdout}"
    );
    assert!(!stdout.contains("wave"), "{stdout}");
    // Nothing was created on the engine.
    let label = format!("label=com.docker.compose.project={project}");
    for kind in [
        vec!["ps", "-aq", "--filter", label.as_str()],
        vec!["volume", "ls", "-q", "--filter", label.as_str()],
        vec!["network", "ls", "-q", "--filter", label.as_str()],
    ] {
        let listed = Command::new("docker").args(&kind).output().expect("docker");
        assert!(listed.status.success());
        assert!(
            listed.stdout.is_empty(),
            "dry run created {}",
            String::from_utf8_lossy(&listed.stdout)
        );
    }
}

/// Render the template with `nodes` nodes through the CLI, then load the result.
fn render(nodes: u32, extra: &[&str]) -> (Scratch, Value) {
    let scratch = Scratch::new(&format!("new{nodes}{}", extra.join("").replace('=', "")));
    let out_dir = scratch.0.join("cluster");
    let nodes_arg = format!("nodes={nodes}");
    let mut args = vec!["new", "elastic", "--set", nodes_arg.as_str()];
    for e in extra {
        args.extend(["--set", e]);
    }
    args.extend(["-o", out_dir.to_str().expect("utf-8 path")]);
    let out = rcompose(&scratch.0, &args);
    assert!(out.status.success(), "{}", text(&out).1);
    let check = rcompose(&out_dir, &["config", "-q"]);
    assert!(check.status.success(), "config -q: {}", text(&check).1);
    let json = rcompose(&out_dir, &["config", "--format", "json"]);
    let v: Value = serde_json::from_slice(&json.stdout).expect("json");
    (scratch, v)
}

#[test]
fn templates_give_right_cluster_settings_for_1_3_and_7_nodes() {
    for nodes in [1u32, 3, 7] {
        let (_scratch, v) = render(nodes, &[]);
        let names: Vec<String> = (1..=nodes).map(|i| format!("es{i:02}")).collect();
        for name in &names {
            let env = &v["services"][name]["environment"];
            if nodes == 1 {
                assert_eq!(env["discovery.type"], "single-node");
                assert!(env.get("discovery.seed_hosts").is_none());
            } else {
                let others: Vec<&str> = names
                    .iter()
                    .filter(|n| *n != name)
                    .map(String::as_str)
                    .collect();
                assert_eq!(env["discovery.seed_hosts"], others.join(","), "{name}");
                assert_eq!(env["cluster.initial_master_nodes"], names.join(","));
            }
            let data = format!("esdata{}", &name[2..]);
            assert!(
                v["volumes"].get(&data).is_some(),
                "{nodes} nodes: volume {data} missing"
            );
        }
        let setup = v["services"]["setup"]["command"].to_string();
        for name in &names {
            assert!(
                setup.contains(&format!("name: {name}")),
                "cert entry for {name}"
            );
        }
        assert!(v["services"].get("kibana").is_some());
    }
}

#[test]
fn template_switches_and_bad_input() {
    let (_s, v) = render(2, &["kibana=false", "security=false"]);
    assert!(v["services"].get("kibana").is_none());
    assert!(v["services"].get("setup").is_none());
    assert_eq!(
        v["services"]["es01"]["environment"]["xpack.security.enabled"],
        "false"
    );
    let scratch = Scratch::new("bad");
    for (args, words) in [
        (vec!["new", "nosuch"], vec!["nosuch", "elastic"]),
        (vec!["new", "elastic", "--set", "nodes=0"], vec!["nodes"]),
        (vec!["new", "elastic", "--set", "nodes=abc"], vec!["nodes"]),
        (
            vec!["new", "elastic", "--set", "colour=red"],
            vec!["colour"],
        ),
        (vec!["new", "elastic", "--set", "nodes"], vec!["key=value"]),
    ] {
        let out = rcompose(&scratch.0, &args);
        let (_, stderr) = text(&out);
        assert!(!out.status.success(), "{args:?} should fail");
        for w in words {
            assert!(stderr.contains(w), "{args:?}: {stderr}");
        }
        assert!(!stderr.contains("panicked"));
    }
    let list = rcompose(&scratch.0, &["new", "--list"]);
    let (stdout, _) = text(&list);
    for var in ["nodes", "version", "memory", "kibana", "security", "port"] {
        assert!(stdout.contains(var), "--list shows {var}: {stdout}");
    }
}
