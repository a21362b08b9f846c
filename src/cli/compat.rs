//! Short options that docker compose gives a verb of its own while rcompose's global options
//! use the same letter: `rm -f` (force), `logs -f` (follow), `run -p` (publish) and `port`/`cp`
//! nothing. clap's global options would claim them, so they are spelled out in long form before
//! parsing — only after the verb, and for `run` only before the service name (what follows is
//! the command to run).

use std::ffi::OsString;

use clap::CommandFactory;

use super::Cli;

/// For each verb: (short letter, long option) pairs to rewrite after it.
const VERB_SHORTS: &[(&str, char, &str)] = &[
    ("rm", 'f', "--force"),
    ("logs", 'f', "--follow"),
    ("run", 'p', "--publish"),
    ("version", 'f', "--format"),
    ("commit", 'p', "--pause"),
    ("commit", 'c', "--change"),
];

/// `run` options that take a value (to find where its service name is).
const RUN_VALUE_OPTIONS: &[&str] = &[
    "-e",
    "--env",
    "-v",
    "--volume",
    "-u",
    "--user",
    "-w",
    "--workdir",
    "-l",
    "--label",
    "-p",
    "--publish",
    "--name",
    "--entrypoint",
    "--pull",
    "--cap-add",
    "--cap-drop",
    "--env-from-file",
];

/// The global options that take a value, in every spelling (`-f`, `--file`).
fn global_value_options() -> Vec<String> {
    let command = Cli::command();
    let mut out = Vec::new();
    for arg in command.get_arguments() {
        if !arg.get_action().takes_values() || arg.is_positional() {
            continue;
        }
        if let Some(short) = arg.get_short() {
            out.push(format!("-{short}"));
        }
        if let Some(long) = arg.get_long() {
            out.push(format!("--{long}"));
        }
    }
    out
}

/// Rewrite the arguments (program name first) as described in the module comment.
pub fn args(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let args: Vec<OsString> = args.into_iter().collect();
    // Most command lines name none of those verbs: leave them be without building the clap
    // command (a fifth of the time of `config -q`).
    let concerned = args.iter().skip(1).any(|a| {
        VERB_SHORTS
            .iter()
            .any(|(verb, _, _)| a.to_str() == Some(verb))
    });
    if !concerned {
        return args;
    }
    let verbs: Vec<String> = Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    let value_options = global_value_options();
    // Find the verb: the first argument naming a verb that is not an option's value.
    let mut verb_at = None;
    let mut i = 1;
    while i < args.len() {
        let Some(arg) = args[i].to_str() else {
            i += 1;
            continue;
        };
        if arg == "--" {
            break;
        }
        if value_options.iter().any(|o| o == arg) {
            i += 2;
            continue;
        }
        if verbs.iter().any(|v| v == arg) {
            verb_at = Some(i);
            break;
        }
        i += 1;
    }
    let Some(verb_at) = verb_at else {
        return args;
    };
    let verb = args[verb_at].to_string_lossy().into_owned();
    let rewrites: Vec<(char, &str)> = VERB_SHORTS
        .iter()
        .filter(|(v, _, _)| *v == verb)
        .map(|(_, c, long)| (*c, *long))
        .collect();
    if rewrites.is_empty() {
        return args;
    }
    let mut out: Vec<OsString> = args[..=verb_at].to_vec();
    let mut rest = args[verb_at + 1..].iter();
    while let Some(arg) = rest.next() {
        let Some(text) = arg.to_str() else {
            out.push(arg.clone());
            continue;
        };
        if text == "--" {
            out.push(arg.clone());
            out.extend(rest.cloned());
            break;
        }
        if verb == "run" {
            if RUN_VALUE_OPTIONS.contains(&text) {
                let long = if text == "-p" { "--publish" } else { text };
                out.push(OsString::from(long));
                if let Some(value) = rest.next() {
                    out.push(value.clone());
                }
                continue;
            }
            if let Some(value) = text.strip_prefix("-p")
                && !text.starts_with("--")
                && !value.is_empty()
            {
                out.push(OsString::from(format!("--publish={value}")));
                continue;
            }
            if !text.starts_with('-') {
                // The service name: the rest is the command.
                out.push(arg.clone());
                out.extend(rest.cloned());
                break;
            }
            out.push(arg.clone());
            continue;
        }
        // rm and logs: flag clusters such as `-fsv` or `-ft`.
        match text.strip_prefix('-') {
            Some(flags) if !flags.is_empty() && !flags.starts_with('-') => {
                let mut kept = String::new();
                for c in flags.chars() {
                    match rewrites.iter().find(|(short, _)| *short == c) {
                        Some((_, long)) => out.push(OsString::from(*long)),
                        None => kept.push(c),
                    }
                }
                if !kept.is_empty() {
                    out.push(OsString::from(format!("-{kept}")));
                }
            }
            _ => out.push(arg.clone()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(list: &[&str]) -> Vec<String> {
        args(list.iter().map(OsString::from))
            .into_iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn rm_dash_f_means_force() {
        assert_eq!(
            rewrite(&["rcompose", "-f", "x.yml", "rm", "-fsv", "web"]),
            ["rcompose", "-f", "x.yml", "rm", "--force", "-sv", "web"]
        );
        assert_eq!(
            rewrite(&["rcompose", "rm", "-f"]),
            ["rcompose", "rm", "--force"]
        );
        assert_eq!(rewrite(&["rcompose", "up", "-d"]), ["rcompose", "up", "-d"]);
    }

    #[test]
    fn version_dash_f_means_format_and_commit_dash_p_means_pause() {
        assert_eq!(
            rewrite(&["rcompose", "version", "-f", "json"]),
            ["rcompose", "version", "--format", "json"]
        );
        assert_eq!(
            rewrite(&["rcompose", "-p", "x", "commit", "-p", "web"]),
            ["rcompose", "-p", "x", "commit", "--pause", "web"]
        );
    }

    #[test]
    fn logs_dash_f_means_follow() {
        assert_eq!(
            rewrite(&["rcompose", "-f", "logs", "logs", "-ft", "web"]),
            ["rcompose", "-f", "logs", "logs", "--follow", "-t", "web"]
        );
        assert_eq!(
            rewrite(&["rcompose", "-p", "x", "logs", "web", "-f"]),
            ["rcompose", "-p", "x", "logs", "web", "--follow"]
        );
    }

    #[test]
    fn run_dash_p_means_publish_before_the_service_only() {
        assert_eq!(
            rewrite(&[
                "rcompose",
                "-p",
                "proj",
                "run",
                "-e",
                "A=1",
                "-p",
                "80:80",
                "-p8081:81",
                "web",
                "ls",
                "-p",
                "-f"
            ]),
            [
                "rcompose",
                "-p",
                "proj",
                "run",
                "-e",
                "A=1",
                "--publish",
                "80:80",
                "--publish=8081:81",
                "web",
                "ls",
                "-p",
                "-f"
            ]
        );
        // A `rm` in the command of `run` is not the verb.
        assert_eq!(
            rewrite(&["rcompose", "run", "web", "rm", "-f", "x"]),
            ["rcompose", "run", "web", "rm", "-f", "x"]
        );
    }
}
