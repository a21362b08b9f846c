//! What attached `up` prints, as docker compose prints it: an `Attaching to` line, each
//! container's standard output on ours and its standard error on ours, prefixes padded one
//! space past the longest name that has spoken, and `exited with code N (restarting)` while a
//! restart policy brings a container back. Written with `TestProject::compose`, so
//! `RCOMPOSE_TEST_AGAINST=reference` runs it against Docker Compose v5.6.1.

mod support;

use support::{TestProject, squeeze_prefixes, stderr, test_image};

#[test]
fn attached_up_keeps_streams_apart_and_tells_restarts() {
    let image = test_image();
    let p = TestProject::new("attach-out");
    p.write(
        "compose.yml",
        &format!(
            r#"services:
  a:
    image: {image}
    command: ["sh", "-c", "echo out-a; echo err-a >&2; exit 3"]
  longername:
    image: {image}
    command: ["sh", "-c", "echo out-long; echo err-long >&2"]
  r:
    image: {image}
    restart: on-failure:2
    command: ["sh", "-c", "echo out-r; exit 1"]
"#
        ),
    );
    let out = p.compose(&["-p", &p.name, "up", "--no-color"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // The reference clears the line before each status line, even into a pipe.
    let clean =
        |bytes: &[u8]| squeeze_prefixes(&String::from_utf8_lossy(bytes).replace("\r\x1b[K", ""));
    let (stdout, stderr_text) = (clean(&out.stdout), clean(&out.stderr));
    let stdout_lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        stdout_lines.first().copied(),
        Some("Attaching to a-1, longername-1, r-1"),
        "{stdout}"
    );
    for line in ["a-1 | out-a", "longername-1 | out-long", "r-1 | out-r"] {
        assert!(stdout_lines.contains(&line), "{line:?} in {stdout}");
    }
    for line in ["a-1 | err-a", "longername-1 | err-long"] {
        assert!(
            stderr_text.lines().any(|l| l == line),
            "{line:?} in stderr: {stderr_text}"
        );
        assert!(!stdout.contains(line), "{line:?} not in stdout: {stdout}");
    }
    for line in [
        "a-1 exited with code 3",
        "longername-1 exited with code 0",
        "r-1 exited with code 1 (restarting)",
    ] {
        assert!(stdout_lines.contains(&line), "{line:?} in {stdout}");
    }
    // Two restarts, then the last exit.
    let restarts = stdout_lines
        .iter()
        .filter(|l| **l == "r-1 exited with code 1 (restarting)")
        .count();
    assert_eq!(restarts, 2, "{stdout}");
    assert_eq!(
        stdout_lines
            .iter()
            .rfind(|l| l.starts_with("r-1 exited"))
            .copied(),
        Some("r-1 exited with code 1"),
        "{stdout}"
    );
    // Padding: one space past the longest name that has spoken so far.
    let raw = String::from_utf8_lossy(&out.stdout);
    assert!(
        raw.lines().any(|l| l.starts_with("longername-1  | ")),
        "{raw}"
    );
}
