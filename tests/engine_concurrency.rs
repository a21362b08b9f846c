//! Two `rcompose up` of one project at the same moment, on the real engine: both succeed, and
//! the project ends with exactly one container per replica and one network — the loser of each
//! name race adopts the winner's container instead of failing or making a second one.

mod support;

use std::process::{Command, Stdio};

use support::{TestProject, docker, test_image};

#[test]
fn two_ups_at_once_end_with_one_container_per_replica() {
    let image = test_image();
    let p = TestProject::new("concurrent");
    p.write(
        "compose.yml",
        &format!(
            r#"services:
  db:
    image: {image}
    command: ["sleep", "600"]
    init: true
  web:
    image: {image}
    command: ["sleep", "600"]
    init: true
    scale: 3
    depends_on: [db]
    networks: [default, back]
networks:
  back:
"#
        ),
    );
    let name = p.name.clone();
    let filter = p.label_filter();
    for round in 1..=3 {
        let ups: Vec<_> = (0..2)
            .map(|_| {
                Command::new(env!("CARGO_BIN_EXE_rcompose"))
                    .args(["-p", &name, "up", "-d"])
                    .current_dir(&p.dir)
                    .env_remove("COMPOSE_PROJECT_NAME")
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("run rcompose")
            })
            .collect();
        for up in ups {
            let out = up.wait_with_output().expect("wait");
            assert!(
                out.status.success(),
                "round {round}: an up failed ({}):\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let mut names: Vec<String> = docker(&[
            "ps",
            "-a",
            "--filter",
            &filter,
            "--format",
            "{{.Names}} {{.State}}",
        ])
        .lines()
        .map(str::to_string)
        .collect();
        names.sort();
        assert_eq!(
            names,
            [
                format!("{name}-db-1 running"),
                format!("{name}-web-1 running"),
                format!("{name}-web-2 running"),
                format!("{name}-web-3 running"),
            ],
            "round {round}"
        );
        let mut networks: Vec<String> = docker(&[
            "network",
            "ls",
            "--filter",
            &filter,
            "--format",
            "{{.Name}}",
        ])
        .lines()
        .map(str::to_string)
        .collect();
        networks.sort();
        assert_eq!(
            networks,
            [format!("{name}_back"), format!("{name}_default")],
            "round {round}"
        );
        let down = p.rcompose(&["-p", &name, "down"]);
        assert!(down.status.success(), "round {round}: down failed");
    }
}
