//! Verbs that need no engine: `graph` (snapshots of the Elastic stack in DOT and Mermaid),
//! `completion` and the hidden `man`.

use std::path::Path;
use std::process::{Command, Output};

fn rcompose(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rcompose"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .env_remove("COMPOSE_PROJECT_NAME")
        .output()
        .unwrap_or_else(|e| panic!("cannot run rcompose: {e}"))
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[test]
fn graph_of_the_elastic_stack_as_dot() {
    let out = ok(&rcompose(&["graph", "stacks/elastic.yml"]));
    assert_eq!(
        out,
        r#"digraph "elastic" {
  rankdir=LR;
  node [shape=box];
  "es01";
  "es02";
  "es03";
  "kibana";
  "setup";
  "es01" -> "es02" [label="service_started"];
  "es01" -> "kibana" [label="service_healthy"];
  "es02" -> "es03" [label="service_started"];
  "es02" -> "kibana" [label="service_healthy"];
  "es03" -> "kibana" [label="service_healthy"];
  "setup" -> "es01" [label="service_healthy"];
}
"#
    );
}

#[test]
fn graph_of_the_elastic_stack_as_mermaid() {
    let out = ok(&rcompose(&[
        "graph",
        "--format",
        "mermaid",
        "stacks/elastic.yml",
    ]));
    assert_eq!(
        out,
        r#"flowchart LR
  es01["es01"]
  es02["es02"]
  es03["es03"]
  kibana["kibana"]
  setup["setup"]
  es01 -->|service_started| es02
  es01 -->|service_healthy| kibana
  es02 -->|service_started| es03
  es02 -->|service_healthy| kibana
  es03 -->|service_healthy| kibana
  setup -->|service_healthy| es01
"#
    );
}

#[test]
fn graph_marks_optional_and_restarting_dependencies() {
    let dir = std::env::temp_dir().join(format!("rcompose-graph-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("compose.yml");
    std::fs::write(
        &file,
        r#"name: shop
services:
  web-app:
    image: x
    depends_on:
      cache: {condition: service_started, required: false}
      db: {condition: service_healthy, restart: true}
    links: [search]
  db: {image: x}
  cache: {image: x}
  search: {image: x}
"#,
    )
    .expect("write compose file");
    let path = file.display().to_string();
    let dot = ok(&rcompose(&["-f", &path, "graph"]));
    assert!(
        dot.contains(r#""cache" -> "web-app" [label="service_started, optional", style=dashed];"#),
        "{dot}"
    );
    assert!(
        dot.contains(r#""db" -> "web-app" [label="service_healthy, restart"];"#),
        "{dot}"
    );
    // A link is a dependency that restarts with its target, as docker compose writes it.
    assert!(
        dot.contains(r#""search" -> "web-app" [label="service_started, restart"];"#),
        "{dot}"
    );
    let mermaid = ok(&rcompose(&["-f", &path, "graph", "--format", "mermaid"]));
    assert!(mermaid.contains("  web_app[\"web-app\"]\n"), "{mermaid}");
    assert!(
        mermaid.contains("  cache -.->|service_started, optional| web_app\n"),
        "{mermaid}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn completions_and_man_page_are_generated() {
    let bash = ok(&rcompose(&["completion", "bash"]));
    assert!(
        bash.contains("_rcompose()") && bash.contains("logs"),
        "bash completion"
    );
    let zsh = ok(&rcompose(&["completion", "zsh"]));
    assert!(zsh.starts_with("#compdef rcompose"), "zsh completion");
    let fish = ok(&rcompose(&["completion", "fish"]));
    assert!(fish.contains("complete -c rcompose"), "fish completion");
    let man = ok(&rcompose(&["man"]));
    assert!(man.contains(".TH rcompose 1"), "man page");
    assert!(man.contains("logs"), "man page lists the verbs");
    let help = ok(&rcompose(&["--help"]));
    assert!(!help.contains("\n  man "), "man is hidden from --help");
}

#[test]
fn a_bad_value_from_an_environment_variable_names_the_variable() {
    let run = |args: &[&str], env: (&str, &str)| {
        Command::new(env!("CARGO_BIN_EXE_rcompose"))
            .args(args)
            .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
            .env(env.0, env.1)
            .output()
            .unwrap_or_else(|e| panic!("cannot run rcompose: {e}"))
    };
    let out = run(
        &["-f", "stacks/demo.yml", "config", "-q"],
        ("COMPOSE_PARALLEL_LIMIT", "abc"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: the environment variable COMPOSE_PARALLEL_LIMIT=\"abc\" is not valid for --parallel\n  hint: set it to a number of engine operations at once (-1 for no limit), or unset it\n"
    );
    // Refused while parsing the arguments: nothing reaches the engine.
    let out = run(
        &["-f", "stacks/demo.yml", "down"],
        ("COMPOSE_REMOVE_ORPHANS", "maybe"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("COMPOSE_REMOVE_ORPHANS=\"maybe\""),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A bad value on the command line is clap's own message, naming the flag.
    let out = run(
        &["--parallel", "x", "-f", "stacks/demo.yml", "config", "-q"],
        ("COMPOSE_PARALLEL_LIMIT", "2"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("invalid value 'x' for '--parallel <N>'"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_loaders_warnings_follow_progress() {
    /// Removes the directory also when an assertion fails.
    struct Cleanup(std::path::PathBuf);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    let dir = std::env::temp_dir().join(format!("rcompose-warnings-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let _cleanup = Cleanup(dir.clone());
    let file = dir.join("compose.yml");
    std::fs::write(
        &file,
        "services:\n  web:\n    image: \"busybox:${RCOMPOSE_TEST_NEVER_SET}\"\n",
    )
    .unwrap();
    let file = file.to_string_lossy().to_string();
    let stderr = |progress: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_rcompose"))
            .args(["--progress", progress, "-f", &file, "config", "-q"])
            .env_remove("RCOMPOSE_TEST_NEVER_SET")
            .output()
            .unwrap_or_else(|e| panic!("cannot run rcompose: {e}"));
        assert!(out.status.success(), "{progress}: {out:?}");
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    let warning =
        "The \"RCOMPOSE_TEST_NEVER_SET\" variable is not set. Defaulting to a blank string.";
    let plain = stderr("plain");
    let json = stderr("json");
    let quiet = stderr("quiet");
    assert_eq!(plain, format!("WARN {warning}\n"));
    let object: serde_json::Value = serde_json::from_str(json.trim()).expect("one JSON object");
    assert_eq!(
        object,
        serde_json::json!({"id": "Project", "status": "warning", "text": warning})
    );
    assert_eq!(quiet, "", "--progress quiet prints no warning");
}
