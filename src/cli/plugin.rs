//! rcompose as the docker CLI's `compose` plugin, and the docker CLI's own global options.
//!
//! Installed as `~/.docker/cli-plugins/docker-compose`, `docker compose up` runs
//! `docker-compose [DOCKER OPTIONS] compose up`: the CLI first asks for the plugin's metadata
//! (`docker-cli-plugin-metadata`), then passes its own global options as the user typed them
//! (`-H`, `--context`, `--tlsverify`...), the word `compose`, and the user's arguments; it sets
//! `DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND`, and `DOCKER_CLI_PLUGIN_SOCKET`, a socket it closes
//! to ask the plugin to stop when it is itself interrupted without a terminal.
//!
//! As standalone, rcompose accepts the same docker options before its own (as docker compose
//! does): they stand for the variables they name (see [`crate::docker_cli`]).

use std::ffi::OsString;
use std::path::Path;

use clap::CommandFactory;

use super::Cli;
use crate::error::{Error, Result};

/// The subcommand the docker CLI runs to learn what a plugin is.
pub const METADATA_COMMAND: &str = "docker-cli-plugin-metadata";
/// Set by the docker CLI when it runs a plugin.
const PLUGIN_VARIABLE: &str = "DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND";
/// The socket the docker CLI closes to stop its plugin.
const SOCKET_VARIABLE: &str = "DOCKER_CLI_PLUGIN_SOCKET";
/// The plugin's name: the word the CLI passes before the user's arguments.
const PLUGIN_NAME: &str = "compose";

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Invocation {
    /// Print the plugin metadata.
    Metadata,
    /// Run rcompose with these arguments (program name first).
    Run(Vec<OsString>),
}

/// The JSON the docker CLI reads from `docker-compose docker-cli-plugin-metadata`.
pub fn metadata() -> String {
    let value = serde_json::json!({
        "SchemaVersion": "0.1.0",
        "Vendor": "rcompose",
        "Version": env!("CARGO_PKG_VERSION"),
        "ShortDescription": "Docker Compose (rcompose)",
    });
    format!("{value:#}\n")
}

/// Whether the docker CLI started this process as its plugin.
pub fn running_as_plugin() -> bool {
    std::env::var_os(PLUGIN_VARIABLE).is_some_and(|v| !v.is_empty())
}

/// The docker CLI options rcompose understands, in each spelling, and whether they take a value.
const DOCKER_OPTIONS: &[(&str, Option<char>, bool)] = &[
    ("host", Some('H'), true),
    ("context", Some('c'), true),
    ("config", None, true),
    ("tls", None, false),
    ("tlsverify", None, false),
    ("tlscacert", None, true),
    ("tlscert", None, true),
    ("tlskey", None, true),
    ("debug", Some('D'), false),
    ("verbose", None, false),
    ("log-level", Some('l'), true),
];

/// Options the docker CLI has and docker compose standalone does not (`-c`, `-l`, `--config`):
/// accepted only when the docker CLI passes them.
const PLUGIN_ONLY: &[&str] = &["config", "c", "l"];

/// One docker option found on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DockerOption {
    name: &'static str,
    value: String,
}

/// Split off the docker options at the head of `args` (after the program name): the options
/// and how many arguments they took.
fn leading_docker_options(
    args: &[OsString],
    as_plugin: bool,
) -> Result<(Vec<DockerOption>, usize)> {
    let mut found = Vec::new();
    let mut i = 1;
    while i < args.len() {
        let Some(arg) = args[i].to_str() else { break };
        let (spelled, name, takes_value, inline) = if let Some(long) = arg.strip_prefix("--") {
            let (key, inline) = match long.split_once('=') {
                Some((k, v)) => (k, Some(v.to_string())),
                None => (long, None),
            };
            match DOCKER_OPTIONS.iter().find(|(n, _, _)| *n == key) {
                Some((n, _, v)) if as_plugin || !PLUGIN_ONLY.contains(n) => (key, *n, *v, inline),
                _ => break,
            }
        } else if let Some(short) = arg.strip_prefix('-') {
            let mut chars = short.chars();
            let Some(letter) = chars.next() else { break };
            let rest = chars.as_str();
            let letter_text = letter.to_string();
            match DOCKER_OPTIONS.iter().find(|(_, s, _)| *s == Some(letter)) {
                Some((n, _, v)) if as_plugin || !PLUGIN_ONLY.contains(&letter_text.as_str()) => {
                    let inline = match rest.strip_prefix('=') {
                        Some(value) => Some(value.to_string()),
                        None if rest.is_empty() => None,
                        None if *v => Some(rest.to_string()),
                        None => break,
                    };
                    (&short[..letter.len_utf8()], *n, *v, inline)
                }
                _ => break,
            }
        } else {
            break;
        };
        let value = match (takes_value, inline) {
            (true, Some(value)) => value,
            (true, None) => {
                i += 1;
                match args.get(i).and_then(|a| a.to_str()) {
                    Some(value) => value.to_string(),
                    None => {
                        return Err(Error::new(format!(
                            "the docker option {} needs a value",
                            dashed(spelled)
                        )));
                    }
                }
            }
            (false, Some(value)) => value,
            (false, None) => "true".to_string(),
        };
        found.push(DockerOption { name, value });
        i += 1;
    }
    Ok((found, i))
}

fn dashed(spelled: &str) -> String {
    if spelled.len() == 1 {
        format!("-{spelled}")
    } else {
        format!("--{spelled}")
    }
}

fn boolean(option: &DockerOption) -> Result<bool> {
    match option.value.to_ascii_lowercase().as_str() {
        "true" | "1" | "t" => Ok(true),
        "false" | "0" | "f" => Ok(false),
        _ => Err(Error::new(format!(
            "--{}={:?}: expected true or false",
            option.name, option.value
        ))),
    }
}

/// What the docker options mean for rcompose: the variables they stand for, the arguments to
/// keep for rcompose's own parser, and warnings for those that change nothing here.
#[derive(Debug, Default, PartialEq, Eq)]
struct Applied {
    variables: Vec<(&'static str, String)>,
    kept: Vec<OsString>,
    warnings: Vec<String>,
}

fn apply(options: &[DockerOption], rcompose_has_context: bool) -> Result<Applied> {
    let mut applied = Applied::default();
    let mut tls = false;
    let mut verify = false;
    let mut files: Vec<(&str, &str)> = Vec::new();
    for option in options {
        match option.name {
            "host" => applied
                .variables
                .push(("DOCKER_HOST", option.value.clone())),
            "config" => applied
                .variables
                .push(("DOCKER_CONFIG", option.value.clone())),
            "context" if rcompose_has_context => {
                applied.kept.push(OsString::from("--context"));
                applied.kept.push(OsString::from(&option.value));
            }
            "context" if option.value == "default" => {}
            "context" => {
                return Err(Error::new(format!(
                    "docker context {:?}: rcompose does not read docker contexts",
                    option.value
                ))
                .with_hint("point DOCKER_HOST (or -H) at that context's engine instead"));
            }
            "tls" => tls = boolean(option)?,
            "tlsverify" => verify = boolean(option)?,
            "tlscacert" => files.push(("ca.pem", &option.value)),
            "tlscert" => files.push(("cert.pem", &option.value)),
            "tlskey" => files.push(("key.pem", &option.value)),
            "debug" | "verbose" | "log-level" => {
                if option.name == "log-level" || boolean(option)? {
                    applied.warnings.push(format!(
                        "the docker option --{} changes nothing: rcompose has no debug log",
                        option.name
                    ));
                }
            }
            other => unreachable!("docker option {other} listed without a meaning"),
        }
    }
    if tls && !verify {
        return Err(Error::new(
            "--tls without --tlsverify (TLS without checking the daemon's certificate) is not supported by rcompose",
        )
        .with_hint("use --tlsverify with the daemon's CA certificate"));
    }
    if verify {
        applied
            .variables
            .push(("DOCKER_TLS_VERIFY", "1".to_string()));
    }
    if !files.is_empty() {
        applied
            .variables
            .push(("DOCKER_CERT_PATH", cert_directory(&files)?));
    }
    Ok(applied)
}

/// `--tlscacert`, `--tlscert` and `--tlskey` as one certificate directory: rcompose reads
/// `ca.pem`, `cert.pem` and `key.pem` from one directory, as `DOCKER_CERT_PATH` names it.
fn cert_directory(files: &[(&str, &str)]) -> Result<String> {
    let mut directory: Option<&Path> = None;
    for (expected, given) in files {
        let path = Path::new(given);
        let dir = path.parent().unwrap_or(Path::new(""));
        let named_as_expected = path.file_name().is_some_and(|n| n == *expected);
        if !named_as_expected || directory.is_some_and(|d| d != dir) {
            return Err(Error::new(format!(
                "TLS files given as {}: rcompose reads ca.pem, cert.pem and key.pem from one directory",
                files.iter().map(|(_, f)| *f).collect::<Vec<_>>().join(", ")
            ))
            .with_hint("put them in one directory under those names and set DOCKER_CERT_PATH to it"));
        }
        directory = Some(dir);
    }
    Ok(directory
        .map(|d| d.to_string_lossy().into_owned())
        .unwrap_or_default())
}

/// Read the command line: the metadata request, or the arguments for rcompose's parser with
/// the docker options applied and the plugin's `compose` word taken out.
pub fn prepare(args: Vec<OsString>) -> Result<Invocation> {
    if args.len() == 2 && args[1] == METADATA_COMMAND {
        return Ok(Invocation::Metadata);
    }
    let as_plugin = running_as_plugin();
    let (options, end) = leading_docker_options(&args, as_plugin)?;
    let mut rest: Vec<OsString> = args[end..].to_vec();
    if as_plugin && rest.first().is_some_and(|a| a == PLUGIN_NAME) {
        rest.remove(0);
    }
    if options.is_empty() && !as_plugin {
        return Ok(Invocation::Run(args));
    }
    let has_context = options.iter().any(|o| o.name == "context")
        && Cli::command()
            .get_arguments()
            .any(|a| a.get_long() == Some("context"));
    let applied = apply(&options, has_context)?;
    // Printed directly: `--progress` is not parsed yet (these options come before the verb).
    for warning in &applied.warnings {
        eprintln!("WARN {warning}");
    }
    crate::docker_cli::set_from_command_line(applied.variables);
    // Usage lines then read `docker compose ...`, as the user typed it.
    let program = if as_plugin {
        OsString::from("docker compose")
    } else {
        args[0].clone()
    };
    let mut out = vec![program];
    out.extend(applied.kept);
    out.extend(rest);
    if as_plugin {
        watch_plugin_socket();
    }
    Ok(Invocation::Run(out))
}

/// Connect to the docker CLI's plugin socket: when the CLI closes it (it was interrupted and
/// has no terminal that would have interrupted us too), interrupt ourselves, as Ctrl-C would.
fn watch_plugin_socket() {
    let Some(address) = std::env::var_os(SOCKET_VARIABLE) else {
        return;
    };
    let Some(stream) = connect(&address) else {
        return;
    };
    std::thread::spawn(move || {
        use std::io::Read;
        let mut stream = stream;
        let mut byte = [0u8; 1];
        loop {
            match stream.read(&mut byte) {
                Ok(0) => break,
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => return,
            }
        }
        // SAFETY: kill(2) on our own process id, with a valid signal number.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGINT);
        }
    });
}

/// The socket is abstract (`@name`) on Linux, else a path.
fn connect(address: &std::ffi::OsStr) -> Option<std::os::unix::net::UnixStream> {
    use std::os::unix::net::{SocketAddr, UnixStream};
    let text = address.to_str()?;
    match text.strip_prefix('@') {
        Some(name) => {
            use std::os::linux::net::SocketAddrExt;
            let addr = SocketAddr::from_abstract_name(name.as_bytes()).ok()?;
            UnixStream::connect_addr(&addr).ok()
        }
        None => UnixStream::connect(text).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    fn options(list: &[&str], as_plugin: bool) -> (Vec<(&'static str, String)>, usize) {
        let (found, end) = leading_docker_options(&args(list), as_plugin).unwrap();
        (found.into_iter().map(|o| (o.name, o.value)).collect(), end)
    }

    #[test]
    fn metadata_is_what_the_docker_cli_expects() {
        let value: serde_json::Value = serde_json::from_str(&metadata()).unwrap();
        assert_eq!(value["SchemaVersion"], "0.1.0");
        assert_eq!(value["Vendor"], "rcompose");
        assert!(value["Version"].is_string() && value["ShortDescription"].is_string());
    }

    #[test]
    fn docker_options_in_every_spelling_stop_at_the_first_other_argument() {
        let (found, end) = options(
            &[
                "docker-compose",
                "-H=unix:///a.sock",
                "--tlsverify=false",
                "-D",
                "--log-level",
                "info",
                "-lwarn",
                "--config",
                "/cfg",
                "compose",
                "-H",
                "x",
            ],
            true,
        );
        assert_eq!(
            found,
            [
                ("host", "unix:///a.sock".to_string()),
                ("tlsverify", "false".to_string()),
                ("debug", "true".to_string()),
                ("log-level", "info".to_string()),
                ("log-level", "warn".to_string()),
                ("config", "/cfg".to_string()),
            ]
        );
        assert_eq!(end, 9);
        // rcompose's own options end the docker options.
        let (found, end) = options(&["rcompose", "-f", "x.yml", "-H", "h", "up"], false);
        assert!(found.is_empty());
        assert_eq!(end, 1);
    }

    #[test]
    fn options_only_the_docker_cli_has_are_not_taken_standalone() {
        let (found, end) = options(&["rcompose", "-c", "x", "up"], false);
        assert!(found.is_empty() && end == 1);
        let (found, _) = options(&["rcompose", "--host", "tcp://h:1", "up"], false);
        assert_eq!(found, [("host", "tcp://h:1".to_string())]);
    }

    #[test]
    fn options_become_the_variables_they_stand_for() {
        let option = |name, value: &str| DockerOption {
            name,
            value: value.to_string(),
        };
        let applied = apply(
            &[
                option("host", "tcp://box:2376"),
                option("tlsverify", "true"),
                option("tlscacert", "/certs/ca.pem"),
                option("tlscert", "/certs/cert.pem"),
                option("context", "default"),
            ],
            false,
        )
        .unwrap();
        assert_eq!(
            applied.variables,
            [
                ("DOCKER_HOST", "tcp://box:2376".to_string()),
                ("DOCKER_TLS_VERIFY", "1".to_string()),
                ("DOCKER_CERT_PATH", "/certs".to_string()),
            ]
        );
        assert!(applied.kept.is_empty() && applied.warnings.is_empty());
        let err = apply(&[option("context", "prod")], false).unwrap_err();
        assert!(err.message.contains("\"prod\""), "{err}");
        let kept = apply(&[option("context", "prod")], true).unwrap().kept;
        assert_eq!(kept, args(&["--context", "prod"]));
        let err = apply(&[option("tlscacert", "/a/my-ca.crt")], false).unwrap_err();
        assert!(err.message.contains("one directory"), "{err}");
        let err = apply(&[option("tls", "true")], false).unwrap_err();
        assert!(err.message.contains("--tlsverify"), "{err}");
        let warned = apply(&[option("debug", "true")], false).unwrap();
        assert_eq!(warned.warnings.len(), 1);
    }
}
