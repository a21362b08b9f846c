//! Command line: the clap definitions of the global options and one file per verb, each a thin
//! call into `project::load` and `ops`.

pub mod build;
pub mod config;
pub mod convert;
pub mod down;
pub mod lifecycle;
pub mod new;
pub mod ps;
pub mod pull;
pub mod push;
pub mod swarm;
pub mod target;
pub mod up;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::error::{Error, Result};
use crate::progress::{self, Progress};
use crate::project::load::{self, Loaded};

/// rcompose: run multi-container applications from compose files.
#[derive(Debug, Parser)]
#[command(name = "rcompose", version, about, long_about = None, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// The options every verb accepts, as docker compose names them.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct GlobalArgs {
    /// Compose configuration files (repeatable; `-` reads standard input)
    #[arg(
        id = "file",
        short = 'f',
        long = "file",
        global = true,
        value_name = "FILE"
    )]
    pub files: Vec<PathBuf>,
    /// Project name
    #[arg(short = 'p', long = "project-name", global = true, value_name = "NAME")]
    pub project_name: Option<String>,
    /// Alternate working directory (default: the directory of the first compose file)
    #[arg(long, global = true, value_name = "DIR")]
    pub project_directory: Option<PathBuf>,
    /// Alternate environment files (repeatable)
    #[arg(id = "env_file", long = "env-file", global = true, value_name = "FILE")]
    pub env_files: Vec<PathBuf>,
    /// Profiles to enable (repeatable)
    #[arg(
        id = "profile",
        long = "profile",
        global = true,
        value_name = "PROFILE"
    )]
    pub profiles: Vec<String>,
    /// How to show progress: auto (tty on a terminal, else plain), tty, plain, json, quiet
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "MODE",
        env = "COMPOSE_PROGRESS"
    )]
    pub progress: Option<ProgressMode>,
}

/// `--progress` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProgressMode {
    Auto,
    Tty,
    Plain,
    Json,
    Quiet,
}

impl From<ProgressMode> for progress::Mode {
    fn from(mode: ProgressMode) -> progress::Mode {
        match mode {
            ProgressMode::Auto => progress::Mode::Auto,
            ProgressMode::Tty => progress::Mode::Tty,
            ProgressMode::Plain => progress::Mode::Plain,
            ProgressMode::Json => progress::Mode::Json,
            ProgressMode::Quiet => progress::Mode::Quiet,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse, resolve and render the compose file in canonical form
    Config(config::ConfigArgs),
    /// Convert the project for another platform (Kubernetes manifests)
    Convert(convert::ConvertArgs),
    /// Write a compose file and .env from a built-in template (e.g. an N-node Elastic cluster)
    New(new::NewArgs),
    /// Create and start containers
    Up(up::UpArgs),
    /// Stop and remove containers, networks (and volumes with -v)
    Down(down::DownArgs),
    /// List containers
    Ps(ps::PsArgs),
    /// Create containers without starting them
    Create(up::CreateArgs),
    /// Start existing containers
    Start(lifecycle::ServicesArgs),
    /// Stop running containers
    Stop(lifecycle::StopArgs),
    /// Restart containers
    Restart(lifecycle::StopArgs),
    /// Send a signal to containers
    Kill(lifecycle::KillArgs),
    /// Remove stopped containers
    Rm(lifecycle::RmArgs),
    /// Pause containers
    Pause(lifecycle::ServicesArgs),
    /// Unpause containers
    Unpause(lifecycle::ServicesArgs),
    /// Pull service images
    Pull(pull::PullArgs),
    /// Build or rebuild services
    Build(build::BuildArgs),
    /// Push service images
    Push(push::PushArgs),
    /// Deploy the project to Docker Swarm as a stack, list its tasks, remove it
    Swarm(swarm::SwarmArgs),
}

impl GlobalArgs {
    /// The progress renderer `--progress` asks for; `title` heads the tty view.
    pub fn progress(&self, title: &str) -> Progress {
        let mode = self.progress.map(progress::Mode::from).unwrap_or_default();
        Progress::for_mode(mode, title)
    }

    /// Loader options from these arguments and the process.
    pub fn load_options(&self, services: &[String]) -> Result<load::Options> {
        let mut opts = load::Options::from_process()?;
        opts.files = self.files.clone();
        opts.project_name = self.project_name.clone();
        opts.project_directory = self.project_directory.clone();
        opts.env_files = self.env_files.clone();
        opts.profiles = self.profiles.clone();
        opts.services = services.to_vec();
        Ok(opts)
    }

    /// Take `.yml`/`.yaml` arguments that name existing files as compose files
    /// (`rcompose up stacks/elastic.yml`), returning the remaining service names.
    pub fn take_file_arguments(&mut self, args: &[String]) -> Vec<String> {
        let mut services = Vec::new();
        for arg in args {
            let is_compose_file = (arg.ends_with(".yml") || arg.ends_with(".yaml"))
                && std::path::Path::new(arg).is_file();
            if is_compose_file {
                self.files.push(PathBuf::from(arg));
            } else {
                services.push(arg.clone());
            }
        }
        services
    }
}

/// Load the project, printing the loader's warnings to stderr.
pub fn load_project(opts: &load::Options) -> Result<Loaded> {
    let loaded = load::load(opts)?;
    for warning in &loaded.warnings {
        eprintln!("WARN {warning}");
    }
    Ok(loaded)
}

/// Parse arguments, run the verb and turn the outcome into an exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse_from(lifecycle::compat_args(std::env::args_os())) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code
        }
    }
}

fn run(cli: Cli) -> Result<i32> {
    let Cli { global, command } = cli;
    match command {
        Command::Config(args) => config::run(global, args),
        Command::Convert(args) => convert::run(global, args),
        Command::New(args) => new::run(args),
        Command::Up(args) => up::run(global, args),
        Command::Down(args) => down::run(global, args),
        Command::Ps(args) => ps::run(global, args),
        Command::Create(args) => up::run_create(global, args),
        Command::Start(args) => lifecycle::start(global, args),
        Command::Stop(args) => lifecycle::stop(global, args),
        Command::Restart(args) => lifecycle::restart(global, args),
        Command::Kill(args) => lifecycle::kill(global, args),
        Command::Rm(args) => lifecycle::rm(global, args),
        Command::Pause(args) => lifecycle::pause(global, args),
        Command::Unpause(args) => lifecycle::unpause(global, args),
        Command::Pull(args) => pull::run(global, args),
        Command::Build(args) => build::run(global, args),
        Command::Push(args) => push::run(global, args),
        Command::Swarm(args) => swarm::run(global, args),
    }
}

/// Write text to a file given with `-o`, or to standard output.
pub fn write_output(text: &str, output: Option<&PathBuf>) -> Result<()> {
    match output {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| Error::new(format!("cannot write {}: {e}", path.display()))),
        None => {
            use std::io::Write;
            let mut stdout = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth reporting.
            let _ = stdout.write_all(text.as_bytes());
            let _ = stdout.flush();
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definitions_are_consistent() {
        Cli::command().debug_assert();
    }
}
