//! The `com.docker.compose.*` labels on containers, as Docker Compose v5 writes them: a one-off
//! container of `run` has no replica number, and the environment file label names only the env
//! files that were given (`--env-file`), never a `.env` found in the project directory.
//! Run against the reference with `RCOMPOSE_TEST_AGAINST=reference`.

mod support;

use std::collections::BTreeMap;

use support::{TestProject, docker, ok, test_image};

const NUMBER: &str = "com.docker.compose.container-number";
const ENV_FILE: &str = "com.docker.compose.project.environment_file";
const ONEOFF: &str = "com.docker.compose.oneoff";

/// Container name → its compose labels, for every container of the project.
fn compose_labels(p: &TestProject) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut all = BTreeMap::new();
    for id in p.ids("container") {
        let json = docker(&[
            "inspect",
            "--format",
            "{{.Name}}\t{{json .Config.Labels}}",
            &id,
        ]);
        let (name, labels) = json.trim().split_once('\t').expect("name and labels");
        let labels: BTreeMap<String, String> =
            serde_json::from_str(labels).expect("labels as JSON");
        all.insert(
            name.trim_start_matches('/').to_string(),
            labels
                .into_iter()
                .filter(|(k, _)| k.starts_with("com.docker.compose."))
                .collect(),
        );
    }
    all
}

#[test]
fn one_offs_have_no_number_and_a_found_env_file_is_not_labelled() {
    let image = test_image();
    let p = TestProject::new("compose-labels");
    p.write(".env", "GREETING=hello\n");
    p.write(
        "compose.yml",
        &format!(
            r#"services:
  web:
    image: {image}
    command: ["sleep", "600"]
    init: true
"#
        ),
    );
    ok(&p.compose(&["-p", &p.name, "up", "-d"]), "up");
    ok(&p.compose(&["-p", &p.name, "run", "-d", "web"]), "run");
    let all = compose_labels(&p);
    assert_eq!(all.len(), 2, "{all:#?}");
    let service = &all[&format!("{}-web-1", p.name)];
    assert_eq!(service.get(NUMBER).map(String::as_str), Some("1"));
    assert_eq!(service.get(ENV_FILE), None, "{service:#?}");
    let (_, one_off) = all
        .iter()
        .find(|(_, l)| l.get(ONEOFF).map(String::as_str) == Some("True"))
        .expect("the one-off container");
    assert_eq!(one_off.get(NUMBER), None, "{one_off:#?}");
    assert_eq!(one_off.get(ENV_FILE), None, "{one_off:#?}");
}

#[test]
fn a_given_env_file_is_labelled_with_its_absolute_path() {
    let image = test_image();
    let p = TestProject::new("compose-labels-given");
    let given = p.write("given.env", "GREETING=hello\n");
    p.write(
        "compose.yml",
        &format!(
            r#"services:
  web:
    image: {image}
    command: ["sleep", "600"]
    init: true
"#
        ),
    );
    ok(
        &p.compose(&["-p", &p.name, "--env-file", "given.env", "up", "-d"]),
        "up",
    );
    let all = compose_labels(&p);
    let service = &all[&format!("{}-web-1", p.name)];
    assert_eq!(
        service.get(ENV_FILE).map(String::as_str),
        Some(given.to_str().expect("utf-8 path")),
        "{service:#?}"
    );
}
