//! `label_file` on the real engine: labels read from label files are on the containers,
//! `labels:` wins over them, and a later file wins over an earlier one.

mod support;

use support::{TestProject, docker, test_image};

#[test]
fn labels_from_label_files_are_on_the_container() {
    let image = test_image();
    let p = TestProject::new("label-files");
    p.write(
        "base.labels",
        "com.example.tier=backend\ncom.example.owner=base\n",
    );
    p.write(
        "team.labels",
        "# the team's own\ncom.example.owner=payments\n",
    );
    p.write(
        "compose.yml",
        &format!(
            r#"services:
  app:
    image: {image}
    command: ["sleep", "600"]
    label_file: [./base.labels, ./team.labels]
    labels:
      com.example.tier: frontend
"#
        ),
    );
    let out = p.rcompose(&["-p", &p.name, "create"]);
    assert!(
        out.status.success(),
        "create failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let container = format!("{}-app-1", p.name);
    let label = |key: &str| {
        docker(&[
            "inspect",
            "--format",
            &format!("{{{{index .Config.Labels \"{key}\"}}}}"),
            &container,
        ])
    };
    assert_eq!(label("com.example.tier"), "frontend", "labels: wins");
    assert_eq!(
        label("com.example.owner"),
        "payments",
        "the later file wins"
    );
    assert_eq!(label(rcompose::engine::labels::SERVICE), "app");
}
