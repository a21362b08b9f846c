//! Data safety on the real engine: what is written into a volume survives `down`,
//! `up --force-recreate`, a recreate after a configuration change, and scaling down and up
//! again (checked by sha256); only `down -v` and `rm -v` remove volumes, and external volumes
//! never; a recreate whose new configuration the engine refuses leaves the old container
//! running.

mod support;

use std::process::Output;

use support::{TestProject, docker, docker_ok, test_image};

fn ok(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn compose(image: &str, greeting: &str, extra: &str) -> String {
    format!(
        r#"services:
  db:
    image: {image}
    command: ["sleep", "600"]
    init: true
    stop_grace_period: 1s
    environment:
      GREETING: {greeting}
    volumes:
      - data:/data
      - /cache
{extra}volumes:
  data:
  shared:
    external: true
    name: SHARED
"#
    )
}

/// sha256 of `path` in `container`.
fn checksum(container: &str, path: &str) -> String {
    docker(&["exec", container, "sha256sum", path])
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Write 256 KiB of random bytes to `path` in `container`; its sha256.
fn write_random(container: &str, path: &str) -> String {
    docker(&[
        "exec",
        container,
        "sh",
        "-c",
        &format!("head -c 262144 /dev/urandom > {path} && sync"),
    ]);
    checksum(container, path)
}

fn id(container: &str) -> String {
    docker(&["inspect", "-f", "{{.Id}}", container])
}

/// The volume mounted at `path` in `container`.
fn volume_at(container: &str, path: &str) -> String {
    docker(&[
        "inspect",
        "-f",
        &format!(
            "{{{{range .Mounts}}}}{{{{if eq .Destination \"{path}\"}}}}{{{{.Name}}}}{{{{end}}}}{{{{end}}}}"
        ),
        container,
    ])
}

fn volume_exists(name: &str) -> bool {
    docker_ok(&["volume", "inspect", name])
}

/// Removes a volume no project removes (external, or left dangling on purpose) when dropped.
struct ExternalVolume(String);

impl Drop for ExternalVolume {
    fn drop(&mut self) {
        let _ = docker_ok(&["volume", "rm", "-f", &self.0]);
    }
}

#[test]
fn volume_data_survives_everything_but_down_v() {
    let image = test_image();
    let p = TestProject::new("data");
    let name = p.name.clone();
    // External volumes: one made by hand, one that even carries this project's label.
    let shared = ExternalVolume(format!("{name}-shared"));
    docker(&["volume", "create", &shared.0]);
    let labelled = ExternalVolume(format!("{name}-labelled"));
    docker(&[
        "volume",
        "create",
        "--label",
        &format!("com.docker.compose.project={name}"),
        &labelled.0,
    ]);
    let uses_external = "      - shared:/shared\n      - labelled:/labelled\n";
    let write = |greeting: &str, extra: &str| {
        let text = compose(image, greeting, extra)
            .replace(
                "      - /cache\n",
                &format!("      - /cache\n{uses_external}"),
            )
            .replace("SHARED", &shared.0)
            + &format!(
                "  labelled:\n    external: true\n    name: {}\n",
                labelled.0
            );
        p.write("compose.yml", &text);
    };
    write("one", "");
    let db = format!("{name}-db-1");
    let up = |args: &[&str]| {
        let mut all = vec!["-p", name.as_str()];
        all.extend_from_slice(args);
        ok(&p.rcompose(&all), &format!("{args:?}"))
    };

    up(&["up", "-d"]);
    let data = write_random(&db, "/data/blob");
    let cache = write_random(&db, "/cache/blob");
    let ext = write_random(&db, "/shared/blob");
    let anonymous = volume_at(&db, "/cache");
    assert!(!anonymous.is_empty());

    // up --force-recreate: a new container, the same data (the anonymous volume too).
    let before = id(&db);
    up(&["up", "-d", "--force-recreate"]);
    assert_ne!(id(&db), before, "recreated");
    assert_eq!(checksum(&db, "/data/blob"), data);
    assert_eq!(
        checksum(&db, "/cache/blob"),
        cache,
        "the anonymous volume is kept"
    );
    assert_eq!(volume_at(&db, "/cache"), anonymous);

    // A configuration change recreates: the same data.
    write("two", "");
    let before = id(&db);
    up(&["up", "-d"]);
    assert_ne!(id(&db), before, "recreated after the change");
    assert_eq!(checksum(&db, "/data/blob"), data);
    assert_eq!(checksum(&db, "/cache/blob"), cache);

    // Scaling down to nothing and up again: the named volume keeps its data. (Like compose,
    // scaling down leaves the removed replicas' anonymous volumes; the test removes them.)
    let mut dangling = vec![ExternalVolume(volume_at(&db, "/cache"))];
    up(&["up", "-d", "--scale", "db=0"]);
    assert!(p.ids("container").is_empty());
    up(&["up", "-d", "--scale", "db=2"]);
    assert_eq!(checksum(&db, "/data/blob"), data);
    let db2 = format!("{name}-db-2");
    assert_eq!(checksum(&db2, "/data/blob"), data);
    dangling.push(ExternalVolume(volume_at(&db2, "/cache")));
    up(&["up", "-d", "--scale", "db=1"]);

    // down keeps every volume, anonymous ones included.
    let anonymous = volume_at(&db, "/cache");
    dangling.push(ExternalVolume(anonymous.clone()));
    up(&["down"]);
    assert!(p.ids("container").is_empty());
    assert!(volume_exists(&format!("{name}_data")));
    assert!(
        volume_exists(&anonymous),
        "down without -v keeps anonymous volumes"
    );
    up(&["up", "-d"]);
    assert_eq!(checksum(&db, "/data/blob"), data);

    // rm without -v keeps the anonymous volume; rm -v removes it, never the named one.
    let anonymous = volume_at(&db, "/cache");
    dangling.push(ExternalVolume(anonymous.clone()));
    up(&["rm", "-s", "-f", "db"]);
    assert!(volume_exists(&anonymous));
    up(&["up", "-d"]);
    let anonymous = volume_at(&db, "/cache");
    up(&["rm", "-s", "-f", "-v", "db"]);
    assert!(
        !volume_exists(&anonymous),
        "rm -v removes the anonymous volume"
    );
    assert!(volume_exists(&format!("{name}_data")));
    up(&["up", "-d"]);
    assert_eq!(checksum(&db, "/data/blob"), data);

    // down -v removes the project's volumes, never external ones.
    up(&["down", "-v"]);
    assert!(!volume_exists(&format!("{name}_data")));
    assert!(
        volume_exists(&shared.0),
        "external volumes are never removed"
    );
    assert!(
        volume_exists(&labelled.0),
        "external volumes are never removed"
    );
    up(&["up", "-d"]);
    assert_eq!(checksum(&db, "/shared/blob"), ext);
    up(&["down", "-v"]);
    assert!(volume_exists(&shared.0));
    assert!(volume_exists(&labelled.0));
}

#[test]
fn a_recreate_the_engine_refuses_leaves_the_old_container_running() {
    let image = test_image();
    let p = TestProject::new("bad-recreate");
    let name = p.name.clone();
    let shared = ExternalVolume(format!("{name}-shared"));
    docker(&["volume", "create", &shared.0]);
    let write = |extra: &str| {
        p.write(
            "compose.yml",
            &compose(image, "one", extra).replace("SHARED", &shared.0),
        );
    };
    write("");
    ok(&p.rcompose(&["-p", &name, "up", "-d"]), "up");
    let db = format!("{name}-db-1");
    let data = write_random(&db, "/data/blob");
    let before = id(&db);

    // A runtime the engine does not know: refused when the replacement is created.
    write("    runtime: rcompose-no-such-runtime\n");
    let out = p.rcompose(&["-p", &name, "up", "-d"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("service \"db\""), "{err}");
    assert!(err.contains("rcompose-no-such-runtime"), "{err}");
    assert_eq!(id(&db), before, "the old container stays");
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.Status}}", &db]),
        "running"
    );
    assert_eq!(p.ids("container").len(), 1, "no replacement left behind");
    assert_eq!(checksum(&db, "/data/blob"), data);

    // Back to the old configuration, the next up has nothing to do.
    write("");
    ok(&p.rcompose(&["-p", &name, "up", "-d"]), "up after the fix");
    assert_eq!(id(&db), before);
    assert_eq!(checksum(&db, "/data/blob"), data);
}
