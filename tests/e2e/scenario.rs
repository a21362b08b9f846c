//! A small scenario layer for the ports of docker/compose's `pkg/e2e` tests: a project (files
//! written into a [`TestProject`] directory), steps that run the compose under test with
//! `-f compose.yaml --project-name <name>`, a snapshot of the project's containers after each
//! step, and checks on the last step's output and on the snapshots (states, replica numbers,
//! recreated or not).
//!
//! Include from a test file with
//! `mod support; #[path = "e2e/scenario.rs"] mod scenario;`.
//!
//! Fixture text may use `@IMAGE@` (the busybox test image) and `@LOOP@` (a command, as a YAML
//! flow list, that runs until SIGTERM and exits at once on it).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::{self, TestProject};

/// One container of the project, as `docker inspect` shows it.
#[derive(Debug, Clone)]
pub struct Ctr {
    pub id: String,
    pub name: String,
    pub state: String,
    pub started_at: String,
    pub one_off: bool,
    pub labels: BTreeMap<String, String>,
}

/// Service name -> its containers (long-lived and one-offs), sorted by name.
pub type Snapshot = BTreeMap<String, Vec<Ctr>>;

/// Replace the fixture placeholders.
pub fn fixture(text: &str) -> String {
    text.replace("@IMAGE@", support::test_image())
        .replace("@LOOP@", support::LOOPING)
}

/// Collapse runs of whitespace into one space (progress lines pad their columns).
pub fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub struct Scenario {
    pub p: TestProject,
    /// Passed as `-f` before every compose command (empty: no `-f`).
    pub files: Vec<String>,
    pub env: Vec<(String, String)>,
    pub snaps: Vec<Snapshot>,
    pub last: Option<Output>,
    pub last_cmd: String,
    /// Seconds a step may take (default 120).
    pub timeout: u64,
    /// docker CLI commands run after the final `down` (e.g. removing built images).
    pub deferred: Vec<Vec<String>>,
}

impl Scenario {
    /// A scenario whose project holds `files` (relative path, content with placeholders).
    /// Uses `-f compose.yaml` when such a file is among them.
    pub fn new(prefix: &str, files: &[(&str, &str)]) -> Scenario {
        let p = TestProject::new(prefix);
        for (path, content) in files {
            p.write(path, &fixture(content));
        }
        let files = if files.iter().any(|(p, _)| *p == "compose.yaml") {
            vec!["compose.yaml".to_string()]
        } else {
            Vec::new()
        };
        Scenario {
            p,
            files,
            env: Vec::new(),
            snaps: vec![Snapshot::new()],
            last: None,
            last_cmd: String::new(),
            timeout: 120,
            deferred: Vec::new(),
        }
    }

    pub fn project(&self) -> &str {
        &self.p.name
    }

    /// Run `docker <args>` when the scenario ends (after its `down`).
    pub fn defer_docker(&mut self, args: &[&str]) -> &mut Self {
        self.deferred
            .push(args.iter().map(|a| a.to_string()).collect());
        self
    }

    /// Environment for every later command.
    pub fn with_env(&mut self, key: &str, value: &str) -> &mut Self {
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    /// The arguments of a compose command of this scenario.
    pub fn compose_args(&self, args: &[&str]) -> Vec<String> {
        let mut all = Vec::new();
        for f in &self.files {
            all.push("-f".to_string());
            all.push(f.clone());
        }
        all.push("--project-name".to_string());
        all.push(self.p.name.clone());
        all.extend(args.iter().map(|a| a.to_string()));
        all
    }

    /// A compose command (the implementation under test) ready to run in the project directory.
    pub fn compose_command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut cmd = Command::new(support::compose_under_test());
        cmd.args(self.compose_args(args))
            .current_dir(&self.p.dir)
            .env_remove("COMPOSE_PROJECT_NAME")
            .env_remove("COMPOSE_FILE")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .envs(env.iter().copied());
        cmd
    }

    fn run(&mut self, mut cmd: Command, what: String, stdin: Option<&str>, may_fail: bool) {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        cmd.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
        if let Some(input) = stdin {
            let mut pipe = child.stdin.take().expect("stdin");
            let _ = pipe.write_all(input.as_bytes());
        }
        // Every step is bounded: a hung command fails the test instead of hanging the suite.
        let pid = child.id();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(child.wait_with_output());
        });
        let out = match rx.recv_timeout(Duration::from_secs(self.timeout)) {
            Ok(out) => out.unwrap_or_else(|e| panic!("{what}: {e}")),
            Err(_) => {
                let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
                panic!("step `{what}` did not finish within {}s", self.timeout);
            }
        };
        self.last_cmd = what;
        if !may_fail && !out.status.success() {
            panic!(
                "step `{}` failed ({}):\nstdout:\n{}\nstderr:\n{}",
                self.last_cmd,
                out.status,
                support::stdout(&out),
                support::stderr(&out)
            );
        }
        self.last = Some(out);
        let snap = self.snapshot();
        self.snaps.push(snap);
    }

    /// Run a compose command that must succeed, then snapshot.
    pub fn step(&mut self, args: &[&str]) -> &mut Self {
        self.step_full(args, &[], None, false)
    }

    /// Run a compose command that may fail, then snapshot.
    pub fn step_may_fail(&mut self, args: &[&str]) -> &mut Self {
        self.step_full(args, &[], None, true)
    }

    /// Run a compose command with extra environment, that must succeed.
    pub fn step_env(&mut self, args: &[&str], env: &[(&str, &str)]) -> &mut Self {
        self.step_full(args, env, None, false)
    }

    pub fn step_full(
        &mut self,
        args: &[&str],
        env: &[(&str, &str)],
        stdin: Option<&str>,
        may_fail: bool,
    ) -> &mut Self {
        let cmd = self.compose_command(args, env);
        let what = format!("compose {}", self.compose_args(args).join(" "));
        self.run(cmd, what, stdin, may_fail);
        self
    }

    /// Run a docker CLI command, then snapshot.
    pub fn docker_step(&mut self, args: &[&str], may_fail: bool) -> &mut Self {
        let mut cmd = Command::new("docker");
        cmd.args(args).current_dir(&self.p.dir);
        self.run(cmd, format!("docker {}", args.join(" ")), None, may_fail);
        self
    }

    /// The last step's output.
    pub fn out(&self) -> &Output {
        self.last.as_ref().expect("no step ran")
    }

    pub fn stdout(&self) -> String {
        support::stdout(self.out())
    }

    pub fn stderr(&self) -> String {
        support::stderr(self.out())
    }

    pub fn combined(&self) -> String {
        format!("{}{}", self.stdout(), self.stderr())
    }

    fn context(&self) -> String {
        format!(
            "after `{}`\nstdout:\n{}\nstderr:\n{}\ncontainers: {:#?}",
            self.last_cmd,
            self.stdout(),
            self.stderr(),
            self.curr()
                .iter()
                .map(|(s, cs)| (
                    s.clone(),
                    cs.iter()
                        .map(|c| format!("{} {}", c.name, c.state))
                        .collect::<Vec<_>>()
                ))
                .collect::<Vec<_>>()
        )
    }

    // ---------- output checks ----------

    /// The combined output contains `sub` (runs of whitespace ignored).
    pub fn output_contains(&self, sub: &str) -> &Self {
        assert!(
            squash(&self.combined()).contains(&squash(sub)),
            "expected the output to contain {sub:?}\n{}",
            self.context()
        );
        self
    }

    pub fn output_not_contains(&self, sub: &str) -> &Self {
        assert!(
            !squash(&self.combined()).contains(&squash(sub)),
            "expected the output NOT to contain {sub:?}\n{}",
            self.context()
        );
        self
    }

    pub fn stdout_contains(&self, sub: &str) -> &Self {
        assert!(
            squash(&self.stdout()).contains(&squash(sub)),
            "expected stdout to contain {sub:?}\n{}",
            self.context()
        );
        self
    }

    pub fn stderr_contains(&self, sub: &str) -> &Self {
        assert!(
            squash(&self.stderr()).contains(&squash(sub)),
            "expected stderr to contain {sub:?}\n{}",
            self.context()
        );
        self
    }

    pub fn exit_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.out().status.code(),
            Some(code),
            "exit code\n{}",
            self.context()
        );
        self
    }

    // ---------- state checks ----------

    pub fn curr(&self) -> &Snapshot {
        self.snaps.last().expect("snapshot")
    }

    pub fn prev(&self) -> &Snapshot {
        &self.snaps[self.snaps.len() - 2]
    }

    fn service_of<'a>(snap: &'a Snapshot, svc: &str) -> Vec<&'a Ctr> {
        snap.get(svc)
            .map(|cs| cs.iter().filter(|c| !c.one_off).collect())
            .unwrap_or_default()
    }

    fn one_offs_of<'a>(snap: &'a Snapshot, svc: &str) -> Vec<&'a Ctr> {
        snap.get(svc)
            .map(|cs| cs.iter().filter(|c| c.one_off).collect())
            .unwrap_or_default()
    }

    fn service_state_error(&self, svc: &str, state: &str) -> Option<String> {
        let cs = Self::service_of(self.curr(), svc);
        if cs.is_empty() {
            return Some(format!("service {svc} has no container"));
        }
        cs.iter()
            .find(|c| c.state != state)
            .map(|c| format!("container {} is {}, expected {state}", c.name, c.state))
    }

    /// Every long-lived container of `svc` is in `state`.
    pub fn service_state(&self, svc: &str, state: &str) -> &Self {
        if let Some(err) = self.service_state_error(svc, state) {
            panic!("{err}\n{}", self.context());
        }
        self
    }

    /// Poll (re-snapshotting) until every container of `svc` is in `state`.
    pub fn eventually_service_state(&mut self, svc: &str, state: &str, secs: u64) -> &mut Self {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            match self.service_state_error(svc, state) {
                None => return self,
                Some(err) if Instant::now() > deadline => {
                    panic!("within {secs}s: {err}\n{}", self.context())
                }
                Some(_) => {
                    std::thread::sleep(Duration::from_millis(300));
                    let snap = self.snapshot();
                    *self.snaps.last_mut().expect("snapshot") = snap;
                }
            }
        }
    }

    pub fn service_scale(&self, svc: &str, n: usize) -> &Self {
        let cs = Self::service_of(self.curr(), svc);
        assert_eq!(
            cs.len(),
            n,
            "service {svc}: containers {:?}\n{}",
            cs.iter().map(|c| &c.name).collect::<Vec<_>>(),
            self.context()
        );
        self
    }

    pub fn replica_numbers(&self, svc: &str, numbers: &[u32]) -> &Self {
        let mut actual: Vec<String> = Self::service_of(self.curr(), svc)
            .iter()
            .map(|c| {
                c.labels
                    .get("com.docker.compose.container-number")
                    .cloned()
                    .unwrap_or_default()
            })
            .collect();
        actual.sort();
        let mut expected: Vec<String> = numbers.iter().map(|n| n.to_string()).collect();
        expected.sort();
        assert_eq!(actual, expected, "replicas of {svc}\n{}", self.context());
        self
    }

    /// No container at all (one-offs included) for `svc`.
    pub fn not_created(&self, svc: &str) -> &Self {
        let names: Vec<&String> = self
            .curr()
            .get(svc)
            .map(|cs| cs.iter().map(|c| &c.name).collect())
            .unwrap_or_default();
        assert!(
            names.is_empty(),
            "service {svc} should have no container, found {names:?}\n{}",
            self.context()
        );
        self
    }

    fn ids(cs: &[&Ctr]) -> Vec<String> {
        let mut ids: Vec<String> = cs.iter().map(|c| c.id.clone()).collect();
        ids.sort();
        ids
    }

    /// The services' containers are the ones from before the last step.
    pub fn not_recreated(&self, services: &[&str]) -> &Self {
        for svc in services {
            let before = Self::ids(&Self::service_of(self.prev(), svc));
            let after = Self::ids(&Self::service_of(self.curr(), svc));
            assert!(
                !before.is_empty(),
                "service {svc} had no container before the step\n{}",
                self.context()
            );
            assert_eq!(
                before,
                after,
                "service {svc} containers changed\n{}",
                self.context()
            );
        }
        self
    }

    /// None of the services' containers from before the last step survived it.
    pub fn recreated(&self, services: &[&str]) -> &Self {
        for svc in services {
            let before = Self::ids(&Self::service_of(self.prev(), svc));
            let after = Self::ids(&Self::service_of(self.curr(), svc));
            assert!(
                !before.is_empty(),
                "service {svc} had no container before the step\n{}",
                self.context()
            );
            for id in &after {
                assert!(
                    !before.contains(id),
                    "service {svc} kept container {id}\n{}",
                    self.context()
                );
            }
        }
        self
    }

    pub fn one_off_state(&self, svc: &str, state: &str) -> &Self {
        let cs = Self::one_offs_of(self.curr(), svc);
        assert!(
            !cs.is_empty(),
            "service {svc} has no one-off\n{}",
            self.context()
        );
        for c in cs {
            assert_eq!(
                c.state,
                state,
                "one-off {} state\n{}",
                c.name,
                self.context()
            );
        }
        self
    }

    /// The one-offs are the same containers, same state, same start time.
    pub fn one_offs_untouched(&self, svc: &str) -> &Self {
        let before = Self::one_offs_of(self.prev(), svc);
        let after = Self::one_offs_of(self.curr(), svc);
        assert!(
            !before.is_empty(),
            "service {svc} had no one-off before\n{}",
            self.context()
        );
        assert_eq!(
            Self::ids(&before),
            Self::ids(&after),
            "one-offs changed\n{}",
            self.context()
        );
        for (b, a) in before.iter().zip(after.iter()) {
            assert!(
                a.state == b.state && a.started_at == b.started_at,
                "one-off {} was touched: {} {} -> {} {}\n{}",
                b.name,
                b.state,
                b.started_at,
                a.state,
                a.started_at,
                self.context()
            );
        }
        self
    }

    pub fn one_offs_removed(&self, svc: &str) -> &Self {
        assert!(
            !Self::one_offs_of(self.prev(), svc).is_empty(),
            "service {svc} had no one-off before\n{}",
            self.context()
        );
        assert!(
            Self::one_offs_of(self.curr(), svc).is_empty(),
            "one-offs of {svc} still present\n{}",
            self.context()
        );
        self
    }

    /// Every container of `svc` reports `healthy`.
    pub fn service_healthy(&self, svc: &str) -> &Self {
        let cs = Self::service_of(self.curr(), svc);
        assert!(!cs.is_empty(), "service {svc} has no container");
        for c in cs {
            let status =
                support::docker(&["inspect", "--format", "{{.State.Health.Status}}", &c.id]);
            assert_eq!(
                status,
                "healthy",
                "health of {}\n{}",
                c.name,
                self.context()
            );
        }
        self
    }

    /// A label of the service's single container (first one).
    pub fn label(&self, svc: &str, key: &str) -> Option<String> {
        Self::service_of(self.curr(), svc)
            .first()
            .and_then(|c| c.labels.get(key).cloned())
    }

    /// The container IDs of `svc` in the current snapshot.
    pub fn container_ids(&self, svc: &str) -> Vec<String> {
        Self::ids(&Self::service_of(self.curr(), svc))
    }

    /// Inspect the project's containers.
    pub fn snapshot(&self) -> Snapshot {
        let mut snap = Snapshot::new();
        let filter = self.p.label_filter();
        let ids = support::docker(&[
            "ps",
            "-a",
            "--no-trunc",
            "--filter",
            &filter,
            "--format",
            "{{.ID}}",
        ]);
        let ids: Vec<&str> = ids.split_whitespace().collect();
        if ids.is_empty() {
            return snap;
        }
        for id in ids {
            // One by one: a container may vanish between listing and inspecting.
            let out = Command::new("docker")
                .args(["inspect", id])
                .stdin(Stdio::null())
                .output();
            let Ok(out) = out else { continue };
            if !out.status.success() {
                continue;
            }
            let Ok(v) = serde_json::from_slice::<serde_json::Value>(&out.stdout) else {
                continue;
            };
            let Some(c) = v.get(0) else { continue };
            let labels: BTreeMap<String, String> = c["Config"]["Labels"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                        .collect()
                })
                .unwrap_or_default();
            let one_off =
                labels.get("com.docker.compose.oneoff").map(String::as_str) == Some("True");
            if !one_off
                && labels
                    .get("com.docker.compose.container-number")
                    .is_none_or(|n| n.is_empty())
            {
                continue;
            }
            let service = labels
                .get("com.docker.compose.service")
                .cloned()
                .unwrap_or_default();
            snap.entry(service).or_default().push(Ctr {
                id: c["Id"].as_str().unwrap_or("").to_string(),
                name: c["Name"]
                    .as_str()
                    .unwrap_or("")
                    .trim_start_matches('/')
                    .to_string(),
                state: c["State"]["Status"].as_str().unwrap_or("").to_string(),
                started_at: c["State"]["StartedAt"].as_str().unwrap_or("").to_string(),
                one_off,
                labels,
            });
        }
        for cs in snap.values_mut() {
            cs.sort_by(|a, b| a.name.cmp(&b.name));
        }
        snap
    }
}

impl Drop for Scenario {
    /// `down -v --remove-orphans -t 0` with the tool under test (as the Go suite does); the
    /// [`TestProject`] then removes whatever is left by label.
    fn drop(&mut self) {
        let mut cmd = self.compose_command(&["down", "-v", "--remove-orphans", "-t", "0"], &[]);
        let _ = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        for args in &self.deferred {
            let _ = Command::new("docker").args(args).output();
        }
    }
}

/// Poll `f` until it returns `Some`, or panic with `what` after `secs` seconds.
pub fn poll<T>(secs: u64, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out after {secs}s waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A compose command running in the background; its combined output is collected as it comes.
/// Killed (SIGKILL) on drop.
pub struct Background {
    child: std::process::Child,
    out: std::sync::Arc<std::sync::Mutex<String>>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

impl Background {
    pub fn output(&self) -> String {
        self.out.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Poll until the output contains `sub` (runs of whitespace ignored).
    pub fn wait_for(&self, sub: &str, secs: u64) {
        let want = squash(sub);
        let deadline = Instant::now() + Duration::from_secs(secs);
        while !squash(&self.output()).contains(&want) {
            if Instant::now() > deadline {
                panic!(
                    "within {secs}s: output does not contain {sub:?}:\n{}",
                    self.output()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The exit status, polling up to `secs` seconds.
    pub fn wait_exit(&mut self, secs: u64) -> std::process::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                for r in self.readers.drain(..) {
                    let _ = r.join();
                }
                return status;
            }
            if Instant::now() > deadline {
                panic!("still running after {secs}s:\n{}", self.output());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The exit status if the command has finished.
    pub fn try_status(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    pub fn signal(&self, sig: &str) {
        let _ = Command::new("kill")
            .args(["-s", sig, &self.child.id().to_string()])
            .status();
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Scenario {
    /// Start a compose command in the background.
    pub fn spawn(&self, args: &[&str], env: &[(&str, &str)]) -> Background {
        let mut cmd = self.compose_command(args, env);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn compose");
        let out = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let mut readers = Vec::new();
        let pipes: Vec<Box<dyn std::io::Read + Send>> = vec![
            Box::new(child.stdout.take().expect("stdout")),
            Box::new(child.stderr.take().expect("stderr")),
        ];
        for mut pipe in pipes {
            let out = out.clone();
            readers.push(std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = pipe.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    if let Ok(mut s) = out.lock() {
                        s.push_str(&String::from_utf8_lossy(&buf[..n]));
                    }
                }
            }));
        }
        Background {
            child,
            out,
            readers,
        }
    }
}
