//! The everyday verbs' remaining flags on the real engine: `logs --since/--until` with
//! durations and dates in any time zone, coloured prefixes only on a terminal (`--no-color`),
//! `exec --privileged`, a TTY for `run`/`exec` on a terminal unless `-T`, `pull --include-deps`,
//! `pull_policy: missing|build`, `build` with `dockerfile`, `dockerfile_inline`, `network` and
//! `shm_size`, `--progress plain|json|quiet|auto` for `up`, `down`, `pull` and `build` as
//! recorded in tests/snapshots, and their live view on a terminal.

mod support;

use std::process::{Command, Output, Stdio};

use support::{TestProject, docker, ok, stderr, test_image};

/// Run rcompose with a terminal as its stdin and stdout (util-linux `script` gives it a pseudo
/// terminal): its exit code and what it wrote, without carriage returns and without the echo
/// of the end of input that the terminal may show.
fn on_a_terminal(p: &TestProject, args: &[&str]) -> (Option<i32>, String) {
    let quote = |word: &str| format!("'{}'", word.replace('\'', r"'\''"));
    let line: Vec<String> = std::iter::once(env!("CARGO_BIN_EXE_rcompose"))
        .chain(args.iter().copied())
        .map(quote)
        .collect();
    let out = Command::new("script")
        .args(["-qec", &line.join(" "), "/dev/null"])
        .current_dir(&p.dir)
        .env_remove("COMPOSE_PROJECT_NAME")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run script (util-linux): {e}"));
    let text = String::from_utf8_lossy(&out.stdout)
        .replace(['\r', '\0'], "")
        .replace("^@", "")
        .replace("^D", "");
    (out.status.code(), text)
}

/// Unix seconds of an RFC 3339 time, by GNU date.
fn unix_seconds(time: &str) -> i64 {
    let out = Command::new("date")
        .args(["-d", time, "+%s"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run date: {e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim()
        .parse()
        .unwrap_or_else(|e| panic!("date -d {time}: {text:?} ({e})"))
}

/// Unix seconds as an RFC 3339 time at a fixed offset from UTC (`+02:00`, `-05:30`), by GNU
/// date with a POSIX TZ string (whose sign is the opposite of the offset's).
fn at_offset(seconds: i64, offset: &str) -> String {
    let posix = match offset.strip_prefix('+') {
        Some(rest) => format!("XXX-{rest}"),
        None => format!("XXX+{}", offset.trim_start_matches('-')),
    };
    let out = Command::new("date")
        .args(["-d", &format!("@{seconds}"), "+%Y-%m-%dT%H:%M:%S%:z"])
        .env("TZ", posix)
        .output()
        .unwrap_or_else(|e| panic!("cannot run date: {e}"));
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(text.ends_with(offset), "{text} is not at {offset}");
    text
}

#[test]
fn logs_since_and_until_take_durations_and_dates_with_offsets() {
    let image = test_image();
    let p = TestProject::new("logs-times");
    // Three lines more than a second apart, so that whole seconds fall between them.
    p.write(
        "compose.yml",
        &format!(
            r#"services:
  talk:
    image: {image}
    command: ["sh", "-c", "echo one; usleep 1100000; echo two; usleep 1100000; echo three"]
"#
        ),
    );
    let name = p.name.as_str();
    ok(&p.rcompose(&["-p", name, "up", "-d"]), "up");
    ok(&p.rcompose(&["-p", name, "wait", "talk"]), "wait");
    let logs = |extra: &[&str]| -> String {
        let mut args = vec!["-p", name, "logs", "--no-log-prefix"];
        args.extend_from_slice(extra);
        args.push("talk");
        ok(&p.rcompose(&args), &format!("logs {extra:?}"))
    };

    let stamped = logs(&["-t"]);
    let times: Vec<i64> = stamped
        .lines()
        .map(|l| unix_seconds(l.split(' ').next().unwrap_or_default()))
        .collect();
    assert_eq!(times.len(), 3, "{stamped}");
    assert!(times[0] < times[1] && times[1] < times[2], "{stamped}");
    // What the engine keeps for [since, until] at whole seconds.
    let expect = |since: i64, until: i64| -> String {
        ["one", "two", "three"]
            .iter()
            .zip(&times)
            .filter(|&(_, &t)| t >= since && t < until)
            .map(|(text, _)| format!("{text}\n"))
            .collect()
    };

    assert_eq!(logs(&["--since", "42m"]), "one\ntwo\nthree\n");
    assert_eq!(logs(&["--until", "42m"]), "", "nothing is older than 42m");
    // Up to now, including the last fraction of a second.
    assert_eq!(
        logs(&["--since", "1h30m", "--until", "0s"]),
        "one\ntwo\nthree\n"
    );

    let second = times[1];
    let east = at_offset(second, "+02:00");
    let west = at_offset(second, "-05:30");
    assert_eq!(
        logs(&["--since", &east]),
        expect(second, i64::MAX),
        "{east}"
    );
    assert_eq!(logs(&["--since", &east]), "two\nthree\n", "{east}");
    assert_eq!(
        logs(&["--until", &west]),
        expect(i64::MIN, second),
        "{west}"
    );
    assert_eq!(logs(&["--until", &west]), "one\n", "{west}");
    let next = at_offset(second + 1, "+00:00");
    assert_eq!(logs(&["--since", &west, "--until", &next]), "two\n");
    let utc = at_offset(second, "+00:00").replace("+00:00", "Z");
    assert_eq!(logs(&["--since", &utc]), "two\nthree\n", "{utc}");

    for (flag, value) in [("--since", "2024-13-01"), ("--until", "soon")] {
        let out = p.rcompose(&["-p", name, "logs", flag, value]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(
            err.starts_with(&format!("error: {flag}: invalid time \"{value}\"")),
            "{err}"
        );
        assert!(err.contains("42m"), "says what to give instead: {err}");
    }
}

#[test]
fn logs_colour_their_prefixes_on_a_terminal_unless_no_color() {
    let image = test_image();
    let p = TestProject::new("logs-colour");
    p.write(
        "compose.yml",
        &format!(
            "services:\n  a:\n    image: {image}\n    command: [\"echo\", \"from a\"]\n  bb:\n    image: {image}\n    command: [\"echo\", \"from bb\"]\n"
        ),
    );
    let name = p.name.as_str();
    ok(&p.rcompose(&["-p", name, "up", "-d"]), "up");
    ok(&p.rcompose(&["-p", name, "wait", "a"]), "wait a");
    ok(&p.rcompose(&["-p", name, "wait", "bb"]), "wait bb");

    let (code, text) = on_a_terminal(&p, &["-p", name, "logs", "a", "bb"]);
    assert_eq!(code, Some(0), "{text}");
    let line_of = |needle: &str| -> String {
        let found: Vec<&str> = text.lines().filter(|l| l.contains(needle)).collect();
        assert_eq!(found.len(), 1, "{needle} once in {text:?}");
        found[0].to_string()
    };
    // One colour per container, the whole prefix coloured (its padding depends on which
    // container spoke first).
    let (a, bb) = (line_of("from a"), line_of("from bb"));
    let (a, bb) = (
        support::squeeze_prefixes(&a).trim_end().to_string(),
        support::squeeze_prefixes(&bb).trim_end().to_string(),
    );
    let colour = |line: &str| line.split('m').next().unwrap_or_default().to_string();
    assert!(
        a.starts_with("\x1b[") && a.ends_with("a-1 | \x1b[0mfrom a"),
        "{a:?}"
    );
    assert!(
        bb.starts_with("\x1b[") && bb.ends_with("bb-1 | \x1b[0mfrom bb"),
        "{bb:?}"
    );
    assert_ne!(colour(&a), colour(&bb), "{text:?}");
    assert_eq!(text.lines().count(), 2, "{text:?}");

    let (code, text) = on_a_terminal(&p, &["-p", name, "logs", "--no-color", "a", "bb"]);
    assert_eq!(code, Some(0), "{text}");
    let text = support::squeeze_prefixes(&text);
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort();
    assert_eq!(lines, ["a-1 | from a", "bb-1 | from bb"]);

    // Not on a terminal: no colour either.
    let out = ok(&p.rcompose(&["-p", name, "logs", "a"]), "logs to a pipe");
    assert_eq!(out, "a-1  | from a\n");
}

#[test]
fn logs_index_of_a_missing_replica_is_an_error() {
    let image = test_image();
    let p = TestProject::new("logs-index");
    p.write(
        "compose.yml",
        &format!("services:\n  a:\n    image: {image}\n    command: [\"echo\", \"from a\"]\n"),
    );
    let name = p.name.as_str();
    ok(&p.rcompose(&["-p", name, "up", "-d"]), "up");
    ok(&p.rcompose(&["-p", name, "wait", "a"]), "wait a");
    let out = ok(
        &p.rcompose(&["-p", name, "logs", "--index", "1", "a"]),
        "--index 1",
    );
    assert_eq!(out, "a-1  | from a\n");
    let out = p.rcompose(&["-p", name, "logs", "--index", "2", "a"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: service \"a\" has no container number 2\n  hint: `rcompose ps -a` lists the containers and their numbers\n"
    );
}

fn sleeper(image: &str) -> String {
    format!(
        r#"services:
  web:
    image: {image}
    init: true
    stop_grace_period: 1s
    command: ["sleep", "3600"]
"#
    )
}

/// The effective capability mask of a shell in the container, by `exec` with `extra` flags.
fn capabilities(p: &TestProject, extra: &[&str]) -> String {
    let mut args = vec!["-p", p.name.as_str(), "exec", "-T"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["web", "sh", "-c", "grep CapEff /proc/self/status"]);
    let out = ok(&p.rcompose(&args), &format!("exec {extra:?}"));
    out.split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string()
}

#[test]
fn exec_privileged_has_every_capability_and_a_terminal_unless_dash_t() {
    let image = test_image();
    let p = TestProject::new("exec-more");
    p.write("compose.yml", &sleeper(image));
    let name = p.name.as_str();
    ok(&p.rcompose(&["-p", name, "up", "-d"]), "up");

    let default = capabilities(&p, &[]);
    // Some engines (in sandboxes) refuse the full capability set; then `docker exec
    // --privileged` fails, and rcompose must fail the same way (without the flag it would not).
    let container = format!("{name}-web-1");
    let by_docker = Command::new("docker")
        .args(["exec", "--privileged", &container, "true"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run docker: {e}"));
    if by_docker.status.success() {
        let privileged = capabilities(&p, &["--privileged"]);
        let all = u64::from_str_radix(&privileged, 16).unwrap_or(0);
        let some = u64::from_str_radix(&default, 16).unwrap_or(u64::MAX);
        assert!(
            all & some == some && all.count_ones() > some.count_ones(),
            "--privileged gives more capabilities: {default} vs {privileged}"
        );
        // CAP_SYS_ADMIN (21) is only there when privileged.
        assert_eq!(some & (1 << 21), 0, "{default}");
        assert_ne!(all & (1 << 21), 0, "{privileged}");
    } else {
        // The docker CLI writes the engine's refusal to stdout.
        let refused = format!(
            "{}{}",
            String::from_utf8_lossy(&by_docker.stdout),
            String::from_utf8_lossy(&by_docker.stderr)
        );
        assert!(refused.contains("unable to apply caps"), "{refused}");
        let out = p.rcompose(&["-p", name, "exec", "--privileged", "web", "true"]);
        assert_eq!(out.status.code(), by_docker.status.code(), "{out:?}");
        let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
        assert!(said.contains("unable to apply caps"), "{said}");
    }

    let probe = "test -t 0 && test -t 1 && echo tty || echo no-tty; exit 4";
    let (code, text) = on_a_terminal(&p, &["-p", name, "exec", "web", "sh", "-c", probe]);
    assert_eq!((code, text.trim()), (Some(4), "tty"));
    let (code, text) = on_a_terminal(&p, &["-p", name, "exec", "-T", "web", "sh", "-c", probe]);
    assert_eq!((code, text.trim()), (Some(4), "no-tty"));
}

#[test]
fn run_has_a_terminal_on_a_terminal_unless_dash_t() {
    let image = test_image();
    let p = TestProject::new("run-tty");
    p.write("compose.yml", &sleeper(image));
    let name = p.name.as_str();
    let probe = "test -t 0 && test -t 1 && echo tty || echo no-tty; exit 4";
    // The terminal shows the progress of creating the network too: the answer is the last line.
    let last = |text: &str| text.lines().last().unwrap_or_default().trim().to_string();
    let (code, text) = on_a_terminal(&p, &["-p", name, "run", "--rm", "web", "sh", "-c", probe]);
    assert_eq!((code, last(&text)), (Some(4), "tty".to_string()), "{text}");
    let (code, text) = on_a_terminal(
        &p,
        &["-p", name, "run", "--rm", "-T", "web", "sh", "-c", probe],
    );
    assert_eq!(
        (code, last(&text)),
        (Some(4), "no-tty".to_string()),
        "{text}"
    );
    // Not on a terminal: no TTY, and the output is the command's alone.
    let out = p.rcompose(&["-p", name, "run", "--rm", "web", "sh", "-c", probe]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "no-tty\n");
    assert!(p.ids("container").is_empty(), "--rm removed the one-offs");
}

/// A loopback address nothing listens on.
fn closed_registry() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let port = listener.local_addr().expect("local address").port();
    drop(listener);
    format!("127.0.0.1:{port}")
}

#[test]
fn pull_include_deps_pulls_the_dependencies_images_too() {
    let registry = closed_registry();
    let p = TestProject::new("pull-deps");
    p.write(
        "compose.yml",
        &format!(
            r#"services:
  web:
    image: {registry}/web
    depends_on: [db]
  db:
    image: {registry}/db
  other:
    image: {registry}/other
"#
        ),
    );
    let refused = |image: &str| {
        format!(
            "cannot pull {registry}/{image}:latest from registry {registry}: connection refused"
        )
    };
    // Every line is an error of its own, naming its image and registry.
    let errors = |out: &Output| -> Vec<String> {
        let mut lines: Vec<String> = stderr(out)
            .lines()
            .map(|l| {
                l.strip_prefix("error: ")
                    .unwrap_or_else(|| panic!("not an error line: {l:?}"))
                    .to_string()
            })
            .collect();
        lines.sort();
        lines
    };

    let out = p.rcompose(&["pull", "-q", "web"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(errors(&out), [refused("web")]);

    let out = p.rcompose(&["pull", "-q", "--include-deps", "web"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        errors(&out),
        [refused("db"), refused("web")],
        "one line per image"
    );

    let out = p.rcompose(&["pull", "--ignore-pull-failures", "--include-deps", "web"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    for image in ["db", "web"] {
        let warning = format!(" ! Image {registry}/{image}  {}", refused(image));
        assert!(err.lines().any(|l| l == warning), "{warning:?} in {err}");
    }
    assert!(!err.contains("/other"), "{err}");
}

#[test]
fn build_takes_a_dockerfile_path_or_an_inline_dockerfile() {
    let base = test_image();
    let p = TestProject::new("build-files");
    let images = [
        format!("{}-file", p.name),
        format!("{}-inline", p.name),
        format!("{}-sized", p.name),
    ];
    let _cleanup = RemoveImages(images.to_vec());
    p.write(
        "docker/Special.Dockerfile",
        &format!("FROM {base}\nCOPY hello.txt /from-file\n"),
    );
    p.write("hello.txt", "from the context\n");
    p.write(
        "compose.yml",
        &format!(
            r#"services:
  file:
    build:
      context: .
      dockerfile: docker/Special.Dockerfile
      cache_from: ["{base}"]
    image: {}
  inline:
    build:
      context: .
      dockerfile_inline: |
        FROM {base}
        ARG WORD
        RUN echo "inline $$WORD" > /from-inline
      args:
        WORD: works
    image: {}
  sized:
    build:
      context: .
      dockerfile_inline: |
        FROM {base}
        RUN cat /proc/net/dev > /net && df -k /dev/shm | tail -n 1 > /shm
      network: none
      shm_size: 96m
    image: {}
"#,
            images[0], images[1], images[2]
        ),
    );
    ok(&p.rcompose(&["build", "-q"]), "build");
    let cat = |image: &str, file: &str| docker(&["run", "--rm", image, "cat", file]);
    assert_eq!(cat(&images[0], "/from-file"), "from the context");
    assert_eq!(cat(&images[1], "/from-inline"), "inline works");
    // network: none leaves the build only the loopback interface; shm_size sizes /dev/shm.
    let net = cat(&images[2], "/net");
    assert!(net.contains("lo:") && !net.contains("eth0"), "{net}");
    let shm = cat(&images[2], "/shm");
    assert_eq!(shm.split_whitespace().nth(1), Some("98304"), "{shm}");
}

#[test]
fn pull_policy_missing_and_build() {
    let base = test_image();
    let registry = closed_registry();
    let p = TestProject::new("pull-policy-more");
    let present = format!("{}-present:1", p.name);
    let built = format!("{}-built", p.name);
    let _cleanup = RemoveImages(vec![present.clone(), built.clone()]);
    docker(&["tag", base, &present]);
    p.write(
        "compose.yml",
        &format!(
            r#"services:
  present:
    image: {present}
    pull_policy: missing
    init: true
    command: ["sleep", "3600"]
  absent:
    image: {registry}/absent:1
    pull_policy: missing
  built:
    build:
      dockerfile_inline: |
        FROM {base}
        RUN echo built > /built
    image: {built}
    pull_policy: build
    init: true
    command: ["sleep", "3600"]
"#
        ),
    );
    let name = p.name.as_str();
    // missing: a present image is used as it is (a pull would fail), an absent one pulled.
    let err = stderr(&p.rcompose(&["-p", name, "up", "-d", "present"]));
    assert!(!err.contains("Pulling") && err.contains("Started"), "{err}");
    let out = p.rcompose(&["-p", name, "up", "-d", "absent"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out)
            .lines()
            .filter(|l| l.starts_with("error:"))
            .collect::<Vec<_>>(),
        [format!(
            "error: cannot pull {registry}/absent:1 from registry {registry}: connection refused"
        )]
    );
    // build: built by every up, even when the image is there.
    for round in ["first", "second"] {
        let out = p.rcompose(&["-p", name, "up", "-d", "built"]);
        ok(&out, round);
        let err = stderr(&out);
        assert!(
            err.contains(&format!("Image {built}  Built")),
            "{round}: {err}"
        );
    }
    // pull skips what the policy says it must not pull.
    let out = p.rcompose(&["-p", name, "pull", "present", "built"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains(&format!("Image {present}  Skipped already present")),
        "{err}"
    );
    assert!(
        err.contains(&format!("Image {built}  Skipped pull_policy is build")),
        "{err}"
    );
}

/// Removes images by name when dropped.
struct RemoveImages(Vec<String>);

impl Drop for RemoveImages {
    fn drop(&mut self) {
        for image in &self.0 {
            let _ = Command::new("docker").args(["rmi", "-f", image]).output();
        }
    }
}

/// The progress output with the project name as `PROJECT` and image and container IDs as
/// `<id>`, so that it can be compared with a snapshot.
fn normalized(text: &str, project: &str) -> String {
    let text = text.replace(project, "PROJECT");
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.len() == 12 && word.chars().all(|c| c.is_ascii_hexdigit()) {
            out.push_str("<id>");
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// Compare with tests/snapshots/NAME; `UPDATE_SNAPSHOTS=1` rewrites it.
fn snapshot(name: &str, actual: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_SNAPSHOTS=1 writes it)", path.display()));
    assert_eq!(actual, expected, "output differs from {}", path.display());
}

#[test]
fn progress_of_up_down_pull_and_build_as_plain_json_and_quiet() {
    let base = test_image();
    let p = TestProject::new("progress-modes");
    let image = format!("{}-app", p.name);
    let _cleanup = RemoveImages(vec![image.clone()]);
    let registry = closed_registry();
    // The project's name in a step keeps the build from other tests' cache.
    let name = p.name.as_str();
    p.write(
        "compose.yml",
        &format!(
            r#"services:
  app:
    build:
      context: .
      dockerfile_inline: |
        FROM {base}
        RUN echo {name} > /built
    image: {image}
    init: true
    stop_grace_period: 1s
    command: ["sleep", "3600"]
  remote:
    image: {registry}/remote
    profiles: [remote]
"#
        ),
    );
    let run = |mode: &str, verb: &[&str]| -> (Output, String) {
        let mut args = vec!["-p", name, "--progress", mode];
        args.extend_from_slice(verb);
        let out = p.rcompose(&args);
        let text = normalized(&stderr(&out), name).replace(&registry, "REGISTRY");
        (out, text)
    };
    let done = |mode: &str, verb: &[&str]| -> String {
        let (out, text) = run(mode, verb);
        assert!(out.status.success(), "{mode} {verb:?}: {text}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "",
            "progress goes to stderr"
        );
        text
    };

    for mode in ["plain", "json"] {
        // The first build runs every step; later ones would say "Using cache".
        docker(&["image", "rm", "-f", &image]);
        snapshot(&format!("build.{mode}.txt"), &done(mode, &["build"]));
        snapshot(&format!("up.{mode}.txt"), &done(mode, &["up", "-d"]));
        snapshot(&format!("down.{mode}.txt"), &done(mode, &["down"]));
        let (out, text) = run(mode, &["--profile", "remote", "pull", "remote"]);
        assert_eq!(out.status.code(), Some(1), "{text}");
        snapshot(&format!("pull-refused.{mode}.txt"), &text);
    }
    for line in done("json", &["build"]).lines() {
        let object: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not a JSON object ({e}): {line}"));
        assert!(object.get("id").is_some() && object.get("status").is_some());
    }

    // quiet: nothing but errors.
    assert_eq!(done("quiet", &["build"]), "");
    assert_eq!(done("quiet", &["up", "-d"]), "");
    assert_eq!(done("quiet", &["down"]), "");
    let (out, text) = run("quiet", &["--profile", "remote", "pull", "remote"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text,
        "error: cannot pull REGISTRY/remote:latest from registry REGISTRY: connection refused\n"
    );

    // auto, with output to a pipe, is plain.
    assert_eq!(
        done("auto", &["up", "-d"]),
        std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/up.plain.txt")
        )
        .unwrap_or_default()
    );
    assert_eq!(
        done("auto", &["down"]),
        std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/down.plain.txt")
        )
        .unwrap_or_default()
    );
}

#[test]
fn on_a_terminal_down_pull_and_build_draw_the_live_view() {
    let base = test_image();
    let p = TestProject::new("progress-tty");
    let image = format!("{}-app", p.name);
    let _cleanup = RemoveImages(vec![image.clone()]);
    let registry = closed_registry();
    p.write(
        "compose.yml",
        &format!(
            r#"services:
  app:
    build:
      dockerfile_inline: "FROM {base}\n"
    image: {image}
    init: true
    stop_grace_period: 1s
    command: ["sleep", "3600"]
  remote:
    image: {registry}/remote
    profiles: [remote]
"#
        ),
    );
    let name = p.name.as_str();
    // The live view: a header, lines redrawn in place (cursor up), a green tick when done.
    let live = |text: &str, line: &str, what: &str| {
        assert!(text.contains("[+] "), "{what}: no header in {text:?}");
        assert!(text.contains("\x1b[1A"), "{what}: not redrawn in {text:?}");
        assert!(
            text.contains(&format!("\x1b[32m✔\x1b[0m {line}")),
            "{what}: no {line:?} in {text:?}"
        );
    };
    for mode in ["auto", "tty"] {
        let (code, text) = on_a_terminal(&p, &["-p", name, "--progress", mode, "build"]);
        assert_eq!(code, Some(0), "{text}");
        live(&text, &format!("Image {image}  Built"), "build");
        ok(&p.rcompose(&["-p", name, "up", "-d"]), "up");
        let (code, text) = on_a_terminal(&p, &["-p", name, "--progress", mode, "down"]);
        assert_eq!(code, Some(0), "{text}");
        live(&text, &format!("Container {name}-app-1  Removed"), "down");
        assert!(text.contains(&format!("Network {name}_default  Removed")));
    }
    let (code, text) = on_a_terminal(&p, &["-p", name, "--profile", "remote", "pull", "remote"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("[+] ") && text.contains("\x1b[1A"),
        "{text:?}"
    );
    assert!(
        text.contains(&format!(
            "\x1b[31m✘\x1b[0m Image {registry}/remote  \x1b[31mError: connection refused"
        )),
        "{text:?}"
    );
    assert!(text.contains(&format!(
        "error: cannot pull {registry}/remote:latest from registry {registry}: connection refused"
    )));

    // --progress plain on a terminal: lines, never redrawn.
    ok(&p.rcompose(&["-p", name, "up", "-d"]), "up");
    let (code, text) = on_a_terminal(&p, &["-p", name, "--progress", "plain", "down"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(!text.contains('\x1b'), "{text:?}");
    assert!(text.contains(&format!(" ✔ Container {name}-app-1  Removed\n")));
}

#[test]
fn down_removes_the_network_after_a_run_rm_one_off() {
    let image = test_image();
    let p = TestProject::new("down-run-rm");
    p.write("compose.yml", &sleeper(image));
    let name = p.name.as_str();
    ok(
        &p.rcompose(&["-p", name, "run", "-d", "--rm", "web", "sleep", "300"]),
        "run -d --rm",
    );
    let out = p.rcompose(&["-p", name, "down"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains(&format!("Network {name}_default  Removed")),
        "{err}"
    );
    assert!(p.ids("network").is_empty(), "the network is left: {err}");
}
