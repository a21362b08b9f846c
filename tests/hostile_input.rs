//! Hostile and broken input: broken `.env` files, alias bombs, deep nesting, huge and dense
//! files, binary content and endless sources. Each gives a non-zero exit, a message naming the
//! file and line, no panic, and stays within a memory bound (the child's peak resident set, as
//! the kernel reports it to `wait4`). Broken compose files are in `loader_errors.rs`.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Peak memory any single run may use. Generous: the point is that it is bounded at all.
const MAX_RSS_KB: i64 = 500 * 1024;
/// A guard against hangs, not a performance assertion.
const DEADLINE: Duration = Duration::from_secs(180);

fn fixtures(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir)
}

/// What one run of rcompose did.
struct Run {
    code: i32,
    stderr: String,
    /// Peak resident set size of the child, in KiB.
    max_rss_kb: i64,
}

/// Run rcompose with `args` in `dir` and measure its peak memory with `wait4`.
// The child is reaped by `wait4` (which reports its peak memory), not by `Child::wait`.
#[allow(clippy::zombie_processes)]
fn rcompose(dir: &Path, args: &[&str]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rcompose"))
        .args(args)
        .current_dir(dir)
        .env_remove("COMPOSE_PROJECT_NAME")
        .env_remove("COMPOSE_FILE")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run rcompose");
    let mut pipe = child.stderr.take().expect("stderr pipe");
    let reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = pipe.read_to_end(&mut text);
        String::from_utf8_lossy(&text).into_owned()
    });
    let pid = i32::try_from(child.id()).expect("pid");
    let started = Instant::now();
    let (status, usage) = loop {
        let mut status = 0;
        // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `pid` is our own child, not yet reaped (std's Child never waited for it).
        let reaped = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if reaped == pid {
            break (status, usage);
        }
        assert!(reaped == 0, "wait4 failed for {args:?}");
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            panic!("rcompose {args:?} did not finish within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stderr = reader.join().unwrap_or_default();
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -libc::WTERMSIG(status)
    };
    Run {
        code,
        stderr,
        max_rss_kb: usage.ru_maxrss,
    }
}

/// The problems with a run that should have failed at `file:line` with `words`.
fn problems(run: &Run, location: &str, words: &[&str]) -> Vec<String> {
    let mut problems = Vec::new();
    if run.code <= 0 {
        problems.push(format!("exit code {}", run.code));
    }
    if !run.stderr.contains(location) {
        problems.push(format!("no `{location}`"));
    }
    for word in words {
        if !run.stderr.contains(word) {
            problems.push(format!("no `{word}`"));
        }
    }
    if run.stderr.contains("panicked") || run.stderr.contains("RUST_BACKTRACE") {
        problems.push("panic".to_string());
    }
    if run.max_rss_kb > MAX_RSS_KB {
        problems.push(format!("used {} MiB of memory", run.max_rss_kb / 1024));
    }
    problems
}

fn assert_fails_at(run: &Run, location: &str, words: &[&str]) {
    let found = problems(run, location, words);
    assert!(found.is_empty(), "{}:\n{}", found.join(", "), run.stderr);
}

/// A scratch directory removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("rcompose-hostile-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }

    fn write(&self, name: &str, content: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, content).expect("write scratch file");
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const VALID: &str = "services:\n  web:\n    image: busybox\n";

/// (env file, line the message must point at, words the message must hold)
const ENV_CASES: &[(&str, u32, &[&str])] = &[
    (
        "unterminated-double.env",
        3,
        &["unterminated quoted value of DB_PASSWORD"],
    ),
    (
        "unterminated-single.env",
        2,
        &["unterminated quoted value of QUOTE"],
    ),
    (
        "key-starts-with-digit.env",
        2,
        &["invalid variable name \"1BAD\"", "starts with a digit"],
    ),
    (
        "key-with-space.env",
        2,
        &["invalid variable name \"MY VAR\"", "space"],
    ),
    (
        "bad-key-character.env",
        2,
        &["invalid variable name \"BAD$KEY\""],
    ),
    ("missing-key.env", 2, &["missing variable name"]),
    (
        "text-after-quote.env",
        2,
        &["unexpected text after the closing quote"],
    ),
    ("non-utf8.env", 2, &["not valid UTF-8"]),
    ("binary.env", 1, &["not valid UTF-8"]),
    (
        "bad-interpolation.env",
        2,
        &["URL", "invalid interpolation format"],
    ),
    (
        "required-variable.env",
        2,
        &["MUST_BE_SET", "set MUST_BE_SET first"],
    ),
];

#[test]
fn every_broken_env_file_fails_with_file_line_and_reason() {
    let scratch = Scratch::new("env");
    let compose = scratch.write("compose.yml", VALID.as_bytes());
    let compose = compose.to_string_lossy().into_owned();
    let mut failures = Vec::new();
    for (file, line, words) in ENV_CASES {
        let env = fixtures("broken-env").join(file);
        let env = env.to_string_lossy();
        let run = rcompose(
            &scratch.0,
            &[
                "-p",
                "broken",
                "--env-file",
                &env,
                "-f",
                &compose,
                "config",
                "-q",
            ],
        );
        let found = problems(&run, &format!("{file}:{line}:"), words);
        if !found.is_empty() {
            failures.push(format!("{file}: {}\n{}", found.join(", "), run.stderr));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_env_fixture_is_in_the_table() {
    let mut listed: Vec<&str> = ENV_CASES.iter().map(|(f, _, _)| *f).collect();
    listed.sort();
    let mut on_disk: Vec<String> = std::fs::read_dir(fixtures("broken-env"))
        .expect("fixtures dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    assert_eq!(listed, on_disk);
}

#[test]
fn a_broken_service_env_file_is_named_with_its_line() {
    let scratch = Scratch::new("service-env");
    let env = fixtures("broken-env").join("unterminated-double.env");
    let compose = format!("{VALID}    env_file: {}\n", env.display());
    scratch.write("compose.yml", compose.as_bytes());
    let run = rcompose(&scratch.0, &["-p", "broken", "config", "-q"]);
    assert_fails_at(
        &run,
        "unterminated-double.env:3:",
        &["unterminated quoted value of DB_PASSWORD"],
    );
}

#[test]
fn hostile_yaml_fixtures_stay_within_memory() {
    let cases: &[(&str, u32, &[&str])] = &[
        ("alias-bomb.yml", 7, &["alias bomb"]),
        ("deep-nesting.yml", 4, &["nested more than"]),
        ("binary.yml", 1, &[]),
        ("non-utf8.yml", 3, &["not valid UTF-8"]),
    ];
    let dir = fixtures("broken");
    for (file, line, words) in cases {
        let path = dir.join(file);
        let path = path.to_string_lossy();
        let run = rcompose(&dir, &["-p", "broken", "-f", &path, "config", "-q"]);
        assert_fails_at(&run, &format!("{file}:{line}:"), words);
    }
}

/// About 20 MB of plausible services, with a syntax error on the last line.
fn huge_compose() -> (Vec<u8>, usize) {
    let mut text = String::from("services:\n");
    let mut i = 0;
    while text.len() < 20 * 1024 * 1024 {
        text.push_str(&format!(
            "  svc{i}:\n    image: busybox\n    environment:\n      KEY_{i}: \"{}\"\n",
            "x".repeat(200)
        ));
        i += 1;
    }
    text.push_str("  broken: [\n");
    let lines = text.lines().count();
    (text.into_bytes(), lines)
}

#[test]
fn a_twenty_megabyte_compose_file_is_refused_with_its_line() {
    let scratch = Scratch::new("huge");
    let (bytes, _) = huge_compose();
    scratch.write("compose.yml", &bytes);
    // The line where the 4 MiB limit falls.
    let limit = rcompose::project::load::MAX_FILE_BYTES;
    let line = bytes[..limit].iter().filter(|&&b| b == b'\n').count() + 1;
    let run = rcompose(&scratch.0, &["-p", "huge", "config", "-q"]);
    assert_fails_at(
        &run,
        &format!("compose.yml:{line}:"),
        &["larger than 4 MiB"],
    );
}

#[test]
fn a_compose_file_just_under_the_limit_is_read_to_its_error() {
    let scratch = Scratch::new("big");
    let mut text = String::from("services:\n");
    let mut i = 0;
    while text.len() < rcompose::project::load::MAX_FILE_BYTES - 4096 {
        text.push_str(&format!(
            "  svc{i}:\n    image: busybox\n    environment:\n      KEY_{i}: \"{}\"\n",
            "x".repeat(200)
        ));
        i += 1;
    }
    text.push_str("  last:\n    image: busybox\n    cpus: many\n");
    let line = text.lines().count();
    scratch.write("compose.yml", text.as_bytes());
    let run = rcompose(&scratch.0, &["-p", "big", "config", "-q"]);
    assert_fails_at(&run, &format!("compose.yml:{line}:"), &["cpus"]);
}

#[test]
fn a_dense_document_under_the_node_limit_is_read_to_its_error() {
    let scratch = Scratch::new("dense");
    let items = vec!["1"; 240_000].join(",");
    let text = format!("x-list: [{items}]\n{VALID}    cpus: many\n");
    scratch.write("compose.yml", text.as_bytes());
    let run = rcompose(&scratch.0, &["-p", "dense", "config", "-q"]);
    assert_fails_at(&run, "compose.yml:5:", &["cpus"]);
}

#[test]
fn a_twenty_megabyte_env_file_is_refused() {
    let scratch = Scratch::new("huge-env");
    scratch.write("compose.yml", VALID.as_bytes());
    let mut env = Vec::new();
    let mut i = 0;
    while env.len() < 20 * 1024 * 1024 {
        writeln!(env, "KEY_{i}={}", "v".repeat(100)).expect("write");
        i += 1;
    }
    scratch.write(".env", &env);
    let run = rcompose(&scratch.0, &["-p", "huge", "config", "-q"]);
    assert_fails_at(&run, ".env:", &["env file is larger than 4 MiB"]);
}

#[test]
fn endless_sources_are_cut_off() {
    let scratch = Scratch::new("endless");
    let run = rcompose(
        &scratch.0,
        &["-p", "endless", "-f", "/dev/zero", "config", "-q"],
    );
    assert_fails_at(&run, "/dev/zero:1:", &["larger than 4 MiB"]);
    scratch.write("compose.yml", VALID.as_bytes());
    let run = rcompose(
        &scratch.0,
        &["-p", "endless", "--env-file", "/dev/zero", "config", "-q"],
    );
    assert!(run.code > 0, "{}", run.stderr);
    assert!(run.stderr.contains("/dev/zero"), "{}", run.stderr);
    assert!(run.max_rss_kb < MAX_RSS_KB);
}
