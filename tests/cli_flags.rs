//! Every command and flag of the reference (Docker Compose v5.6.1) is one of rcompose's, or is
//! listed in tests/fixtures/flags-not-in-rcompose.txt with the reason. Both `--help`s are read
//! the same way: each line of an options section that starts with `-x, --name` or `--name`.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Stdio};

use support::reference::reference_binary;

const LIST: &str = "tests/fixtures/flags-not-in-rcompose.txt";

fn help(binary: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new(binary)
        .args(args)
        .arg("--help")
        .env_remove("COMPOSE_PROJECT_NAME")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary.display()));
    assert!(
        out.status.success(),
        "{} {args:?} --help failed:\n{}",
        binary.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `--name` and `-x` (as `-x/--name`) of every option line.
fn flags(help: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in help.lines() {
        let line = line.trim_start();
        let (short, rest) = match line.strip_prefix('-') {
            Some(rest) if !rest.starts_with('-') => {
                let mut chars = rest.chars();
                let letter = chars.next().unwrap_or(' ');
                match chars.as_str().strip_prefix(", ") {
                    Some(rest) => (Some(letter), rest),
                    None => continue,
                }
            }
            _ => (None, line),
        };
        let Some(long) = rest.strip_prefix("--") else {
            continue;
        };
        let name: String = long
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        if name.is_empty() {
            continue;
        }
        out.insert(format!("--{name}"));
        if let Some(letter) = short {
            out.insert(format!("-{letter}/--{name}"));
        }
    }
    out
}

/// The command names of a `Commands:` (and `Management Commands:`) section.
fn commands(help: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in help.lines() {
        if line.ends_with("Commands:") {
            inside = true;
            continue;
        }
        if !inside {
            continue;
        }
        if line.trim().is_empty() {
            inside = false;
            continue;
        }
        if let Some(name) = line
            .strip_prefix("  ")
            .and_then(|l| l.split_whitespace().next())
        {
            out.push(name.to_string());
        }
    }
    out
}

/// The list file: `VERB FLAG: reason` (`VERB` is `-` for the global options, `FLAG` is `*`
/// for a whole command).
fn listed() -> BTreeMap<(String, String), String> {
    let text = std::fs::read_to_string(LIST).unwrap_or_else(|e| panic!("cannot read {LIST}: {e}"));
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, reason) = line
            .split_once(": ")
            .unwrap_or_else(|| panic!("{LIST}:{}: expected `VERB FLAG: reason`", i + 1));
        let (verb, flag) = key
            .split_once(' ')
            .unwrap_or_else(|| panic!("{LIST}:{}: expected `VERB FLAG: reason`", i + 1));
        assert!(
            reason.trim().len() > 10,
            "{LIST}:{}: give the reason",
            i + 1
        );
        out.insert((verb.to_string(), flag.to_string()), reason.to_string());
    }
    out
}

#[test]
fn every_command_and_flag_of_the_reference_is_ours_or_listed_with_a_reason() {
    let theirs = reference_binary();
    let ours = std::path::Path::new(env!("CARGO_BIN_EXE_rcompose"));
    let listed = listed();
    let mut missing = Vec::new();
    let mut seen = BTreeSet::new();

    let root = help(theirs, &[]);
    let our_root = help(ours, &[]);
    let our_commands = commands(&our_root);
    for flag in flags(&root).difference(&flags(&our_root)) {
        missing.push(("-".to_string(), flag.clone()));
    }
    for verb in commands(&root) {
        if !our_commands.contains(&verb) {
            missing.push((verb.clone(), "*".to_string()));
            continue;
        }
        let their_flags = flags(&help(theirs, &[&verb]));
        let our_flags = flags(&help(ours, &[&verb]));
        for flag in their_flags.difference(&our_flags) {
            missing.push((verb.clone(), flag.clone()));
        }
    }
    let mut unexplained = Vec::new();
    for key in &missing {
        seen.insert(key.clone());
        if !listed.contains_key(key) {
            unexplained.push(format!("{} {}", key.0, key.1));
        }
    }
    let stale: Vec<String> = listed
        .keys()
        .filter(|k| !seen.contains(*k))
        .map(|(v, f)| format!("{v} {f}"))
        .collect();
    assert!(
        unexplained.is_empty() && stale.is_empty(),
        "missing in rcompose and not listed in {LIST}:\n  {}\nlisted in {LIST} but not missing (remove them):\n  {}",
        unexplained.join("\n  "),
        stale.join("\n  ")
    );
}
