//! Images on the real engine: pulling and pushing fail with one line naming the image and the
//! registry (a loopback registry on a closed port: there is no registry here), `pull_policy`
//! as `up` honours it, and builds with the classic builder (`.dockerignore`, build args,
//! target stage, labels, tags, extra hosts) by `build`, `up` and `up --build`.

mod support;

use std::process::Output;

use support::{TestProject, docker, docker_ok, stderr, test_image};

/// A loopback address nothing listens on.
fn closed_registry() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let port = listener.local_addr().expect("local address").port();
    drop(listener);
    format!("127.0.0.1:{port}")
}

fn ok(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        stderr(out)
    );
    stderr(out)
}

fn error_lines(err: &str) -> Vec<&str> {
    err.lines().filter(|l| l.starts_with("error:")).collect()
}

/// Removes images by name when dropped.
struct Images(Vec<String>);

impl Drop for Images {
    fn drop(&mut self) {
        for image in &self.0 {
            let _ = std::process::Command::new("docker")
                .args(["rmi", "-f", image])
                .output();
        }
    }
}

#[test]
fn pulling_from_an_unreachable_registry_is_one_clear_line() {
    let registry = closed_registry();
    let image = format!("{registry}/nope:latest");
    let p = TestProject::new("pull-refused");
    p.write(
        "compose.yml",
        &format!("services:\n  web:\n    image: {registry}/nope\n  built:\n    build: .\n"),
    );
    let expected =
        format!("error: cannot pull {image} from registry {registry}: connection refused");

    for args in [
        vec!["pull"],
        vec!["pull", "-q"],
        vec!["--progress", "json", "pull", "web"],
    ] {
        let out = p.rcompose(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert_eq!(
            error_lines(&err),
            vec![expected.as_str()],
            "{args:?}: {err}"
        );
        if args.contains(&"-q") {
            assert_eq!(err.trim_end(), expected, "-q prints the error only");
        }
    }

    let out = p.rcompose(&["pull", "--ignore-pull-failures"]);
    let err = ok(&out, "pull --ignore-pull-failures");
    assert!(
        err.contains(&format!(
            "! Image {registry}/nope  cannot pull {image} from registry {registry}: connection refused"
        )),
        "{err}"
    );
    assert!(err.contains("Skipped No image to be pulled"), "{err}");

    // `up` pulls the missing image and fails the same way.
    let out = p.rcompose(&["up", "-d", "web"]);
    assert_eq!(error_lines(&stderr(&out)), vec![expected.as_str()]);
    assert!(p.ids("container").is_empty());
}

#[test]
fn pull_policy_is_honoured_by_up() {
    let image = test_image();
    let registry = closed_registry();
    let p = TestProject::new("pull-policy");
    p.write(
        "compose.yml",
        &format!(
            r#"services:
  never:
    image: {registry}/absent:1
    pull_policy: never
  always:
    image: {registry}/absent:2
    pull_policy: always
  present:
    image: {image}
    pull_policy: if_not_present
    command: ["sleep", "3600"]
    init: true
"#
        ),
    );
    let out = p.rcompose(&["up", "-d", "never"]);
    let err = stderr(&out);
    assert_eq!(
        error_lines(&err),
        vec![format!(
            "error: service \"never\": image {registry}/absent:1 is not present and pull_policy is never"
        )],
        "{err}"
    );
    let out = p.rcompose(&["up", "-d", "always"]);
    assert_eq!(
        error_lines(&stderr(&out)),
        vec![format!(
            "error: cannot pull {registry}/absent:2 from registry {registry}: connection refused"
        )]
    );
    // Present locally: not pulled (a pull would fail here).
    let err = ok(&p.rcompose(&["up", "-d", "present"]), "up present");
    assert!(!err.contains("Pulling"), "{err}");
    // `--pull always` overrides the policy.
    let out = p.rcompose(&["up", "-d", "--pull", "always", "present"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("error: cannot pull rcompose-test/busybox:latest"));
}

#[test]
fn pushing_to_an_unreachable_registry_is_one_clear_line() {
    let base = test_image();
    let registry = closed_registry();
    let p = TestProject::new("push-refused");
    let image = format!("{registry}/{}:latest", p.name);
    let _cleanup = Images(vec![image.clone()]);
    p.write("Dockerfile", &format!("FROM {base}\n"));
    p.write(
        "compose.yml",
        &format!(
            "services:\n  app:\n    build: .\n    image: {image}\n  other:\n    image: {base}\n"
        ),
    );
    ok(&p.rcompose(&["build", "-q"]), "build");
    let out = p.rcompose(&["push"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(
        error_lines(&err),
        vec![format!(
            "error: cannot push {image} to registry {registry}: connection refused"
        )],
        "{err}"
    );
    let err = ok(
        &p.rcompose(&["push", "--ignore-push-failures"]),
        "push --ignore-push-failures",
    );
    assert!(err.contains("connection refused"), "{err}");
}

const DOCKERFILE: &str = r#"FROM rcompose-test/busybox:latest AS base
ARG GREETING=unset
RUN echo "$GREETING" > /greeting
FROM base AS final
ARG FROM_ENV
RUN echo "$FROM_ENV" > /from-env && grep -q "10.1.2.3.*buildhost" /etc/hosts
COPY . /ctx/
CMD ["sleep", "3600"]
FROM base AS broken
RUN exit 3
"#;

fn build_project(prefix: &str) -> (TestProject, Images) {
    test_image();
    let p = TestProject::new(prefix);
    let images = Images(vec![
        format!("{}-app", p.name),
        format!("{}-extra:1", p.name),
    ]);
    p.write("Dockerfile", DOCKERFILE);
    p.write(".dockerignore", "secret.txt\n*.log\n!keep.log\n");
    for file in ["secret.txt", "debug.log", "keep.log", "app.txt"] {
        p.write(file, file);
    }
    p.write(
        "compose.yml",
        &format!(
            r#"services:
  app:
    build:
      context: .
      target: final
      args: ["GREETING=hello", "FROM_ENV"]
      labels:
        com.example.team: build-tests
      tags: ["{}-extra:1"]
      extra_hosts: ["buildhost=10.1.2.3"]
      shm_size: 64m
      network: none
    init: true
"#,
            p.name
        ),
    );
    (p, images)
}

fn run_in(image: &str, command: &str) -> String {
    docker(&["run", "--rm", image, "sh", "-c", command])
}

#[test]
fn build_honours_dockerignore_args_target_and_labels() {
    let (p, _images) = build_project("build");
    let image = format!("{}-app", p.name);
    let out = p.rcompose_with_env(&["build"], &[("FROM_ENV", "from-the-environment")]);
    let err = ok(&out, "build");
    assert!(
        err.contains(&format!("[{image}] Step 1/")),
        "output is streamed:\n{err}"
    );
    assert!(err.contains(&format!("✔ Image {image}  Built")), "{err}");
    assert!(
        !err.contains("exit 3"),
        "the stage after the target is not built:\n{err}"
    );

    assert_eq!(
        run_in(&image, "ls -A /ctx"),
        ".dockerignore\nDockerfile\napp.txt\ncompose.yml\nkeep.log"
    );
    assert_eq!(
        run_in(&image, "cat /greeting /from-env"),
        "hello\nfrom-the-environment"
    );
    let label = |key: &str| {
        docker(&[
            "image",
            "inspect",
            "--format",
            &format!("{{{{ index .Config.Labels \"{key}\" }}}}"),
            &image,
        ])
    };
    assert_eq!(label("com.docker.compose.project"), p.name);
    assert_eq!(label("com.docker.compose.service"), "app");
    assert_eq!(label("com.example.team"), "build-tests");
    assert!(docker_ok(&[
        "image",
        "inspect",
        &format!("{}-extra:1", p.name)
    ]));

    // --build-arg overrides the file; -q prints nothing.
    let out = p.rcompose_with_env(
        &["build", "-q", "--build-arg", "GREETING=bonjour", "app"],
        &[("FROM_ENV", "x")],
    );
    assert_eq!(ok(&out, "build -q"), "");
    assert_eq!(run_in(&image, "cat /greeting"), "bonjour");
}

#[test]
fn up_builds_missing_images_and_up_build_rebuilds() {
    let (p, _images) = build_project("up-build");
    let env = [("FROM_ENV", "v1")];
    let container = format!("{}-app-1", p.name);
    let id = || docker(&["inspect", "--format", "{{.Id}}", &container]);

    let out = p.rcompose_with_env(&["up", "-d", "--no-build"], &env);
    let err = stderr(&out);
    assert_eq!(
        error_lines(&err),
        vec![format!(
            "error: service \"app\": image {}-app must be built, and --no-build was given",
            p.name
        )],
        "{err}"
    );

    // Missing: built, then run.
    ok(&p.rcompose_with_env(&["up", "-d"], &env), "up");
    assert_eq!(docker(&["exec", &container, "cat", "/from-env"]), "v1");
    let first = id();

    // Present: kept as it is, even with a changed context.
    p.write("app.txt", "changed");
    let err = ok(&p.rcompose_with_env(&["up", "-d"], &env), "second up");
    assert!(!err.contains("Building"), "{err}");
    assert_eq!(id(), first);

    // --build: rebuilt, and the container made from the old image is recreated.
    let out = p.rcompose_with_env(&["--progress", "json", "up", "-d", "--build"], &env);
    let err = ok(&out, "up --build");
    for line in err.lines() {
        let object: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not a JSON object ({e}): {line}"));
        assert!(
            object.get("id").is_some() && object.get("status").is_some(),
            "{line}"
        );
    }
    assert!(err.contains(r#""text":"Recreated""#), "{err}");
    assert_ne!(id(), first);
    assert_eq!(
        docker(&["exec", &container, "cat", "/ctx/app.txt"]),
        "changed"
    );

    // --build again with nothing changed: the cached build gives the same image.
    let second = id();
    let err = ok(
        &p.rcompose_with_env(&["up", "-d", "--build"], &env),
        "third up",
    );
    assert!(err.contains("Running"), "{err}");
    assert_eq!(id(), second);
    ok(&p.rcompose(&["down"]), "down");
}
