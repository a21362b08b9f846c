//! A network or volume whose definition changed since `up` made it, as docker compose handles
//! it: the network is recreated and its containers reconnected (they keep their identity);
//! the volume is kept, data and all, unless `up -y` says to recreate it, which also recreates
//! the containers using it. Written with `TestProject::compose`, so
//! `RCOMPOSE_TEST_AGAINST=reference` runs it against Docker Compose v5.6.1.

mod support;

use support::{TestProject, docker, ok, test_image};

#[test]
fn changed_networks_are_recreated_and_changed_volumes_only_when_told() {
    let image = test_image();
    let p = TestProject::new("res-changed");
    p.write(
        "compose.yml",
        &format!(
            r#"services:
  web:
    image: {image}
    init: true
    stop_grace_period: 1s
    command: [sleep, "3600"]
    networks: [front]
    volumes: [data:/data]
  other:
    image: {image}
    init: true
    stop_grace_period: 1s
    command: [sleep, "3600"]
networks:
  front:
    labels: {{v: "${{V}}"}}
volumes:
  data:
    labels: {{v: "${{V}}"}}
"#
        ),
    );
    let name = p.name.as_str();
    let up = |v: &str, extra: &[&str]| {
        let mut args = vec!["-p", name, "up", "-d"];
        args.extend_from_slice(extra);
        ok(
            &p.compose_with_env(&args, &[("V", v)]),
            &format!("up V={v}"),
        )
    };
    let id = |service: &str| docker(&["inspect", "-f", "{{.Id}}", &format!("{name}-{service}-1")]);
    let network_label = || {
        docker(&[
            "network",
            "inspect",
            "-f",
            "{{.Labels.v}}",
            &format!("{name}_front"),
        ])
    };
    let volume_label = || {
        docker(&[
            "volume",
            "inspect",
            "-f",
            "{{.Labels.v}}",
            &format!("{name}_data"),
        ])
    };

    up("1", &[]);
    let (web, other) = (id("web"), id("other"));
    docker(&["exec", &web, "sh", "-c", "echo kept > /data/file"]);

    // The network changed: recreated, web moved over (same container, running), other untouched.
    up("2", &[]);
    assert_eq!(network_label(), "2");
    assert_eq!(id("web"), web, "web keeps its container");
    assert_eq!(id("other"), other);
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.Running}}", &web]),
        "true"
    );
    let networks = docker(&[
        "inspect",
        "-f",
        "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}",
        &web,
    ]);
    assert_eq!(networks.trim(), format!("{name}_front"));
    // The volume changed too, but without -y it is kept, data and all.
    assert_eq!(volume_label(), "1");
    assert_eq!(docker(&["exec", &web, "cat", "/data/file"]), "kept");

    // Told yes: the volume is recreated (empty), and web with it.
    up("2", &["-y"]);
    assert_eq!(volume_label(), "2");
    let new_web = id("web");
    assert_ne!(new_web, web, "web is recreated on the new volume");
    assert_eq!(id("other"), other);
    assert!(!support::docker_ok(&[
        "exec",
        &new_web,
        "test",
        "-f",
        "/data/file"
    ]));
    ok(&p.compose(&["-p", name, "down", "-v"]), "down -v");
}
