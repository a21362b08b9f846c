//! Shared integration-test harness: a locally built busybox test image, throw-away projects
//! that clean up their engine objects on drop, and docker CLI helpers.
//!
//! Use from an integration test with `mod support;`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

pub mod reference;
pub mod testbed;

/// The image every test uses: scratch + Debian's static busybox.
pub const TEST_IMAGE: &str = "rcompose-test/busybox:latest";

/// Bump when the Dockerfile below changes, so that machines rebuild the image.
const IMAGE_RECIPE: &str = "1";
const RECIPE_LABEL: &str = "rcompose-test.recipe";

/// Where the host's static busybox is (Debian package `busybox-static`).
const HOST_BUSYBOX: &str = "/bin/busybox";

const DOCKERFILE: &str = r#"FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox --install -s /bin && mkdir -p /tmp /data /etc /root /var/www && chmod 1777 /tmp && echo 'root:x:0:0:root:/root:/bin/sh' > /etc/passwd && echo 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >> /etc/passwd && echo 'root:x:0:' > /etc/group && echo 'nogroup:x:65534:' >> /etc/group"]
CMD ["/bin/sh"]
"#;

/// Make sure [`TEST_IMAGE`] exists (building it once per machine) and return its name.
///
/// Safe when several test binaries run at once: each build gets a unique tag and is then
/// tagged as [`TEST_IMAGE`], which is atomic on the engine side.
pub fn test_image() -> &'static str {
    static READY: OnceLock<()> = OnceLock::new();
    READY.get_or_init(|| {
        let recipe = Command::new("docker")
            .args(["image", "inspect", "--format"])
            .arg(format!("{{{{ index .Config.Labels \"{RECIPE_LABEL}\" }}}}"))
            .arg(TEST_IMAGE)
            .stderr(Stdio::null())
            .output();
        let current = matches!(&recipe, Ok(out)
            if out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == IMAGE_RECIPE);
        if !current {
            build_test_image();
        }
    });
    TEST_IMAGE
}

fn build_test_image() {
    if !Path::new(HOST_BUSYBOX).exists() {
        panic!(
            "{HOST_BUSYBOX} is missing: install Debian's busybox-static (apt-get install busybox-static)"
        );
    }
    let unique = unique_suffix();
    let context = std::env::temp_dir().join(format!("rcompose-test-image-{unique}"));
    std::fs::create_dir_all(&context)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", context.display()));
    std::fs::copy(HOST_BUSYBOX, context.join("busybox"))
        .unwrap_or_else(|e| panic!("cannot copy {HOST_BUSYBOX}: {e}"));
    std::fs::write(context.join("Dockerfile"), DOCKERFILE)
        .unwrap_or_else(|e| panic!("cannot write the Dockerfile: {e}"));

    let build_tag = format!("rcompose-test/busybox:build-{unique}");
    // The docker CLI needs buildx for BuildKit; the classic builder needs nothing extra.
    let out = Command::new("docker")
        .args(["build", "-q", "--label"])
        .arg(format!("{RECIPE_LABEL}={IMAGE_RECIPE}"))
        .args(["-t", &build_tag])
        .arg(&context)
        .env("DOCKER_BUILDKIT", "0")
        .output()
        .unwrap_or_else(|e| panic!("cannot run docker: {e}"));
    let _ = std::fs::remove_dir_all(&context);
    if !out.status.success() {
        panic!(
            "building the test image failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let hi = docker(&["run", "--rm", &build_tag, "echo", "ok"]);
    if hi != "ok" {
        panic!("the test image does not work (is {HOST_BUSYBOX} static?): got {hi:?}");
    }
    docker(&["tag", &build_tag, TEST_IMAGE]);
    // Only drops the temporary tag: the image stays under TEST_IMAGE.
    let _ = docker_output(&["rmi", &build_tag]);
}

fn unique_suffix() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{}-{nanos}", std::process::id())
}

fn docker_output(args: &[&str]) -> std::io::Result<Output> {
    Command::new("docker")
        .args(args)
        .stdin(Stdio::null())
        .output()
}

/// Run the docker CLI and return its stdout without trailing whitespace; panic on failure.
pub fn docker(args: &[&str]) -> String {
    let out = docker_output(args).unwrap_or_else(|e| panic!("cannot run docker {args:?}: {e}"));
    if !out.status.success() {
        panic!(
            "docker {} failed ({}):\n{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8_lossy(&out.stdout).trim_end().to_string()
}

/// Run the docker CLI and tell whether it succeeded (output is discarded).
pub fn docker_ok(args: &[&str]) -> bool {
    docker_output(args).is_ok_and(|out| out.status.success())
}

/// A busybox command (a YAML flow list) that runs until SIGTERM and then exits at once.
pub const LOOPING: &str =
    r#"["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1 & wait $$!; done"]"#;

/// [`LOOPING`] exiting with `code` on SIGTERM (the `wait` builtin is interrupted by the
/// signal, so the trap runs without waiting for `sleep`).
pub fn looping(code: u8) -> String {
    format!(r#"["sh", "-c", "trap 'exit {code}' TERM; while true; do sleep 1 & wait $$!; done"]"#)
}

/// A compose service `name` on the test image running [`LOOPING`] (stopped at once by
/// SIGTERM), followed by `extra` lines (indented 4 spaces).
pub fn looping_service(name: &str, extra: &str) -> String {
    format!(
        "  {name}:\n    image: {}\n    command: {LOOPING}\n    stop_grace_period: 2s\n{extra}",
        test_image()
    )
}

/// The standard output of a command, as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Assert that a command succeeded (with its output in the message when it did not); its
/// stdout.
pub fn ok(out: &Output, what: &str) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Log lines with the padding of their `name |` prefixes reduced to one space: docker
/// compose (and rcompose) widen the prefixes as containers with longer names start to talk,
/// so the padding depends on which container spoke first.
pub fn squeeze_prefixes(text: &str) -> String {
    text.lines()
        .map(|line| match line.find(" | ") {
            Some(i) => format!("{} | {}", line[..i].trim_end(), &line[i + 3..]),
            None => line.to_string(),
        })
        .map(|line| line + "\n")
        .collect()
}

/// The standard error of a command, as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A throw-away compose project: a unique name and its own directory. Dropping it removes every
/// container, network and volume labelled with the project name, and the directory.
pub struct TestProject {
    pub name: String,
    pub dir: PathBuf,
}

impl TestProject {
    /// A new project named `rct-<prefix>-<pid>-<counter>`.
    pub fn new(prefix: &str) -> TestProject {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let prefix: String = prefix
            .to_lowercase()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let name = format!("rct-{prefix}-{}-{n}", std::process::id());
        let dir = std::env::temp_dir().join(&name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        TestProject { name, dir }
    }

    /// Write `content` to `relpath` inside the project directory (creating parent directories).
    pub fn write(&self, relpath: &str, content: &str) -> PathBuf {
        let path = self.dir.join(relpath);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .unwrap_or_else(|e| panic!("cannot create {}: {e}", parent.display()));
        }
        std::fs::write(&path, content)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        path
    }

    /// Run the rcompose binary in the project directory with `args` as given.
    pub fn rcompose(&self, args: &[&str]) -> Output {
        self.rcompose_with_env(args, &[])
    }

    /// Like [`TestProject::rcompose`], with extra environment variables.
    pub fn rcompose_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_rcompose"))
            .args(args)
            .current_dir(&self.dir)
            .env_remove("COMPOSE_PROJECT_NAME")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run rcompose: {e}"))
    }

    /// Run the implementation under test in the project directory: rcompose, or the reference
    /// (Docker Compose v5.6.1) when `RCOMPOSE_TEST_AGAINST=reference`. Tests written with it
    /// can be checked against the reference: a test the reference fails is a wrong test.
    pub fn compose(&self, args: &[&str]) -> Output {
        self.compose_with_env(args, &[])
    }

    /// Like [`TestProject::compose`], with extra environment variables.
    pub fn compose_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        Command::new(compose_under_test())
            .args(args)
            .current_dir(&self.dir)
            .env_remove("COMPOSE_PROJECT_NAME")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", compose_under_test().display()))
    }

    /// The `--filter` argument selecting this project's engine objects.
    pub fn label_filter(&self) -> String {
        format!("label=com.docker.compose.project={}", self.name)
    }

    /// `<name> <state>` of each of the project's containers (`app-web-1 running`), sorted.
    pub fn states(&self) -> Vec<String> {
        let filter = self.label_filter();
        let mut list: Vec<String> = docker(&[
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
        list.sort();
        list
    }

    /// IDs listed by `docker <kind> ls -q` (or `docker ps -aq`) for this project.
    pub fn ids(&self, kind: &str) -> Vec<String> {
        let filter = self.label_filter();
        let args: Vec<&str> = match kind {
            "container" => vec!["ps", "-aq", "--filter", &filter],
            _ => vec![kind, "ls", "-q", "--filter", &filter],
        };
        match docker_output(&args) {
            Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        }
    }
}

impl Drop for TestProject {
    /// Best-effort cleanup; never panics, since it also runs while a failed test unwinds.
    fn drop(&mut self) {
        for id in self.ids("container") {
            let _ = docker_output(&["rm", "-f", "-v", &id]);
        }
        for id in self.ids("network") {
            let _ = docker_output(&["network", "rm", &id]);
        }
        for id in self.ids("volume") {
            let _ = docker_output(&["volume", "rm", "-f", &id]);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The binary [`TestProject::compose`] runs: rcompose unless `RCOMPOSE_TEST_AGAINST=reference`.
pub fn compose_under_test() -> &'static Path {
    match std::env::var("RCOMPOSE_TEST_AGAINST").as_deref() {
        Ok("reference") => reference::reference_binary(),
        Ok("rcompose") | Err(_) => Path::new(env!("CARGO_BIN_EXE_rcompose")),
        Ok(other) => panic!("RCOMPOSE_TEST_AGAINST={other}: expected rcompose or reference"),
    }
}
