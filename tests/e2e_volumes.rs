//! Ports of docker/compose `pkg/e2e/volumes_test.go`.

#[path = "e2e/scenario.rs"]
mod scenario;
mod support;

use scenario::{Scenario, poll};

// Go: volumes_test.go TestLocalComposeVolume
// Stand-ins: the nginx-build image is built FROM the busybox test image and serves
// /usr/share/nginx/html with httpd; the engine-wide volume `myVolume` gets the project name as
// prefix.
#[test]
fn local_compose_volume() {
    let mut s = Scenario::new("e2e-volume", &[]);
    let name = s.project().to_string();
    s.p.write("static/index.html", "<h1>Hello from Nginx container</h1>\n");
    s.p.write(
        "nginx-build/Dockerfile",
        &scenario::fixture(
            "FROM @IMAGE@\nCMD [\"httpd\", \"-f\", \"-p\", \"80\", \"-h\", \"/usr/share/nginx/html\"]\n",
        ),
    );
    s.p.write(
        "compose.yaml",
        &format!(
            r#"services:
  nginx:
    build: nginx-build
    init: true
    volumes:
      - ./static:/usr/share/nginx/html
    ports:
      - 80

  nginx2:
    build: nginx-build
    init: true
    volumes:
      - staticVol:/usr/share/nginx/html:ro
      - /usr/src/app/node_modules
      - otherVol:/usr/share/nginx/test
    ports:
      - 80
    configs:
      - myconfig
    secrets:
      - mysecret

volumes:
  staticVol:
  otherVol:
    name: {name}-myVolume

configs:
  myconfig:
    file: ./static/index.html

secrets:
  mysecret:
    file: ./static/index.html
"#
        ),
    );
    s.files = vec![];
    s.defer_docker(&[
        "rmi",
        "-f",
        &format!("{name}-nginx"),
        &format!("{name}-nginx2"),
    ]);
    s.defer_docker(&["volume", "rm", "-f", &format!("{name}-myVolume")]);
    s.step(&["--project-directory", ".", "up", "-d"]);

    // access bind mount data
    s.step(&["port", "nginx", "80"]);
    let port = s
        .stdout()
        .trim()
        .rsplit(':')
        .next()
        .unwrap_or("")
        .to_string();
    let url = format!("http://127.0.0.1:{port}/");
    let body = poll(20, &url, || {
        let out = std::process::Command::new("busybox")
            .args(["wget", "-qO-", &url])
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).to_string())
    });
    assert!(body.contains("Hello from Nginx container"), "{body}");

    // check container volume specs
    let nginx2 = format!("{name}-nginx2-1");
    let mounts = support::docker(&["inspect", &nginx2, "--format", "{{ json .Mounts }}"]);
    assert!(
        mounts.contains(r#""Destination":"/usr/src/app/node_modules","Driver":"local","Mode":"z","RW":true,"Propagation":"""#),
        "{mounts}"
    );
    assert!(
        mounts
            .contains(r#""Destination":"/myconfig","Mode":"","RW":false,"Propagation":"rprivate""#),
        "{mounts}"
    );
    // check config content, secrets content
    let config = support::docker(&["exec", &nginx2, "cat", "/myconfig"]);
    assert!(config.contains("Hello from Nginx container"), "{config}");
    let secret = support::docker(&["exec", &nginx2, "cat", "/run/secrets/mysecret"]);
    assert!(secret.contains("Hello from Nginx container"), "{secret}");
    // check container bind-mounts specs
    let mounts = support::docker(&[
        "inspect",
        &format!("{name}-nginx-1"),
        "--format",
        "{{ json .Mounts }}",
    ]);
    assert!(mounts.contains(r#""Type":"bind""#), "{mounts}");
    assert!(
        mounts.contains(r#""Destination":"/usr/share/nginx/html""#),
        "{mounts}"
    );
    // should inherit anonymous volumes
    support::docker(&["exec", &nginx2, "touch", "/usr/src/app/node_modules/test"]);
    s.step(&["--project-directory", ".", "up", "--force-recreate", "-d"]);
    support::docker(&["exec", &nginx2, "ls", "/usr/src/app/node_modules/test"]);
    // should renew anonymous volumes (the Go test runs `ls` without checking its status)
    support::docker(&["exec", &nginx2, "touch", "/usr/src/app/node_modules/test"]);
    s.step(&[
        "--project-directory",
        ".",
        "up",
        "--force-recreate",
        "--renew-anon-volumes",
        "-d",
    ]);
    // cleanup volume project
    s.step(&["down", "--volumes"]);
    let ls = support::docker(&["volume", "ls"]);
    assert!(!ls.contains(&format!("{name}-staticVol")), "{ls}");
    assert!(!ls.contains(&format!("{name}-myVolume")), "{ls}");
}

// Go: volumes_test.go TestUpSwitchVolumes
#[test]
fn up_switch_volumes() {
    let mut s = Scenario::new(
        "e2e-switch-volumes",
        &[(
            "compose.yaml",
            r#"services:
  app:
    image: @IMAGE@
    volumes:
      - my_vol:/my_vol

volumes:
  my_vol:
    external: true
    name: ${EXTERNAL_VOLUME}
"#,
        )],
    );
    let name = s.project().to_string();
    let (vol1, vol2) = (format!("{name}-ext-1"), format!("{name}-ext-2"));
    s.defer_docker(&["volume", "rm", "-f", &vol1]);
    s.defer_docker(&["volume", "rm", "-f", &vol2]);
    s.docker_step(&["volume", "create", &vol1], false);
    s.docker_step(&["volume", "create", &vol2], false);
    s.step_env(&["up", "-d"], &[("EXTERNAL_VOLUME", &vol1)]);
    let app = format!("{name}-app-1");
    s.docker_step(
        &["inspect", &app, "-f", "{{ (index .Mounts 0).Name }}"],
        false,
    )
    .output_contains(&vol1);
    s.step_env(&["up", "-d"], &[("EXTERNAL_VOLUME", &vol2)]);
    s.docker_step(
        &["inspect", &app, "-f", "{{ (index .Mounts 0).Name }}"],
        false,
    )
    .output_contains(&vol2);
}

// Go: volumes_test.go TestUpRecreateVolumes
#[test]
fn up_recreate_volumes() {
    let mut s = Scenario::new(
        "e2e-recreate-volumes",
        &[(
            "compose.yaml",
            r#"services:
  app:
    image: @IMAGE@
    volumes:
      - my_vol:/my_vol

volumes:
  my_vol:
    labels:
      foo: ${VOL_LABEL:-bar}
"#,
        )],
    );
    let vol = format!("{}_my_vol", s.project());
    s.step(&["up", "-d"]);
    s.docker_step(
        &[
            "volume",
            "inspect",
            &vol,
            "-f",
            r#"{{ index .Labels "foo" }}"#,
        ],
        false,
    )
    .output_contains("bar");
    s.step_env(&["up", "-d", "-y"], &[("VOL_LABEL", "zot")]);
    s.docker_step(
        &[
            "volume",
            "inspect",
            &vol,
            "-f",
            r#"{{ index .Labels "foo" }}"#,
        ],
        false,
    )
    .output_contains("zot");
}

// Go: volumes_test.go TestUpRecreateVolumesIgnoreBinds
#[test]
fn up_recreate_volumes_ignore_binds() {
    let mut s = Scenario::new(
        "e2e-recreate-binds",
        &[(
            "compose.yaml",
            "services:\n  app:\n    image: @IMAGE@\n    volumes:\n      - .:/my_vol\n",
        )],
    );
    s.step(&["up", "-d"]);
    s.step(&["up", "-d"])
        .output_not_contains("Recreated")
        .not_recreated(&["app"]);
}
