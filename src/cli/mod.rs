//! Command line: the clap definitions of the global options and one file per verb, each a thin
//! call into `project::load` and `ops`.

pub mod attach;
pub mod build;
pub mod compat;
pub mod completion;
pub mod config;
pub mod convert;
pub mod cp;
pub mod down;
pub mod events;
pub mod exec;
pub mod graph;
pub mod images;
pub mod lifecycle;
pub mod logs;
pub mod ls;
pub mod new;
pub mod plugin;
pub mod port;
pub mod ps;
pub mod pull;
pub mod push;
pub mod run;
pub mod scale;
pub mod stats;
pub mod swarm;
pub mod target;
pub mod top;
pub mod up;
pub mod version;
pub mod volumes;
pub mod wait;
pub mod watch;

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
    /// Maximum number of engine operations run in parallel (-1: unlimited)
    #[arg(
        long,
        global = true,
        value_name = "N",
        env = "COMPOSE_PARALLEL_LIMIT",
        allow_negative_numbers = true
    )]
    pub parallel: Option<i64>,
    /// Docker context to use (overrides DOCKER_HOST, DOCKER_CONTEXT and `docker context use`)
    #[arg(short = 'c', long, global = true, value_name = "CONTEXT")]
    pub context: Option<String>,
    /// Show what would change without changing anything (up and create print their plan;
    /// other verbs that change something say that their dry run is not done yet)
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// When to print ANSI control characters (colours, the live view): never, always, auto
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "WHEN",
        env = "COMPOSE_ANSI"
    )]
    pub ansi: Option<Ansi>,
    /// Include all resources, even those not used by services
    #[arg(long, global = true)]
    pub all_resources: bool,
    /// Run in backward compatibility mode (docker-compose v1 container names)
    #[arg(long, global = true, env = "COMPOSE_COMPATIBILITY", value_parser = clap::builder::BoolishValueParser::new())]
    pub compatibility: bool,
}

/// `--ansi` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Ansi {
    Never,
    Always,
    Auto,
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
    Start(lifecycle::StartArgs),
    /// Stop running containers
    Stop(lifecycle::StopArgs),
    /// Restart containers
    Restart(lifecycle::RestartArgs),
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
    /// View output from containers
    Logs(logs::LogsArgs),
    /// Execute a command in a running container
    Exec(exec::ExecArgs),
    /// Run a one-off command on a service
    Run(run::RunArgs),
    /// List running compose projects
    Ls(ls::LsArgs),
    /// Print the public port for a port binding
    Port(port::PortArgs),
    /// Display the running processes
    Top(top::TopArgs),
    /// List images used by the created containers
    Images(images::ImagesArgs),
    /// Receive real time events from containers
    Events(events::EventsArgs),
    /// Block until the first service container stops; exit with its code
    Wait(wait::WaitArgs),
    /// Watch build context for service and rebuild/refresh containers when files are updated
    Watch(watch::WatchArgs),
    /// Show the rcompose and Docker Engine versions
    Version(version::VersionArgs),
    /// Copy files/folders between a service container and the local filesystem
    Cp(cp::CpArgs),
    /// Display a live stream of container(s) resource usage statistics
    Stats(stats::StatsArgs),
    /// Attach local standard input, output, and error streams to a service's running container
    Attach(attach::AttachArgs),
    /// List the project's volumes
    Volumes(volumes::VolumesArgs),
    /// Export a service container's filesystem as a tar archive
    Export(volumes::ExportArgs),
    /// Create a new image from a service container's changes
    Commit(volumes::CommitArgs),
    /// Scale services (SERVICE=NUM)
    Scale(scale::ScaleArgs),
    /// Show the dependency graph of the services (Graphviz DOT or Mermaid)
    Graph(graph::GraphArgs),
    /// Print a shell completion script
    Completion(completion::CompletionArgs),
    /// Print the man page (roff)
    #[command(hide = true)]
    Man,
    /// Deploy the project to Docker Swarm as a stack, list its tasks, remove it
    Swarm(swarm::SwarmArgs),
}

impl GlobalArgs {
    /// The bound `--parallel` / `COMPOSE_PARALLEL_LIMIT` sets; `None` (unlimited) for 0 or less.
    pub fn parallel_limit(&self) -> Option<usize> {
        self.parallel
            .filter(|&n| n > 0)
            .and_then(|n| usize::try_from(n).ok())
    }

    /// The progress renderer `--progress` asks for; `title` heads the tty view.
    pub fn progress(&self, title: &str) -> Progress {
        let mode = match (self.progress, self.ansi) {
            (Some(mode), _) => progress::Mode::from(mode),
            // As docker compose: no ANSI means plain lines, always means the live view.
            (None, Some(Ansi::Never)) => progress::Mode::Plain,
            (None, Some(Ansi::Always)) => progress::Mode::Tty,
            (None, _) => progress::Mode::default(),
        };
        Progress::for_mode(mode, title)
    }

    /// Where a verb's warnings outside its operation's own progress go (the loader's, a broken
    /// docker config): the renderer `--progress` asks for.
    pub fn warnings(&self) -> Progress {
        self.progress("")
    }

    /// Whether output may be coloured: `--ansi`, else whether stdout is a terminal.
    pub fn colour(&self) -> bool {
        match self.ansi {
            Some(Ansi::Never) => false,
            Some(Ansi::Always) => true,
            _ => std::io::IsTerminal::is_terminal(&std::io::stdout()),
        }
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
        opts.all_resources = self.all_resources;
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

/// Load the project; the loader's warnings go through `--progress` (`WARN` lines, json
/// objects, or nothing when quiet).
pub fn load_project(global: &GlobalArgs, opts: &load::Options) -> Result<Loaded> {
    let loaded = load::load(opts)?;
    let progress = global.warnings();
    for warning in &loaded.warnings {
        progress.warn(warning.clone());
    }
    Ok(loaded)
}

/// Parse arguments, run the verb and turn the outcome into an exit code. Errors are printed
/// here, directly: they end the command and are its result, not progress (and a usage error
/// comes before `--progress` is even known).
pub fn main() -> i32 {
    let args = match plugin::prepare(std::env::args_os().collect()) {
        Ok(plugin::Invocation::Run(args)) => compat::args(args),
        Ok(plugin::Invocation::Metadata) => {
            print!("{}", plugin::metadata());
            return 0;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return e.exit_code;
        }
    };
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            if let Some(message) = bad_variable(&e, &args) {
                eprintln!("error: {message}");
                return 1;
            }
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            let e = relative_to_cwd(e);
            eprintln!("error: {e}");
            e.exit_code
        }
    }
}

/// Flags that take their value from an environment variable when not given, and what the
/// variable should hold.
const FLAG_VARIABLES: &[(&str, &str, &str)] = &[
    (
        "--parallel",
        "COMPOSE_PARALLEL_LIMIT",
        "a number of engine operations at once (-1 for no limit)",
    ),
    (
        "--remove-orphans",
        "COMPOSE_REMOVE_ORPHANS",
        "true or false (1/0, yes/no)",
    ),
];

/// When clap refused a value that came from an environment variable (the flag is not on the
/// command line), a message naming the variable instead of the flag.
fn bad_variable(e: &clap::Error, args: &[std::ffi::OsString]) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if !matches!(
        e.kind(),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation
    ) {
        return None;
    }
    let Some(ContextValue::String(arg)) = e.get(ContextKind::InvalidArg) else {
        return None;
    };
    let (flag, variable, wanted) = FLAG_VARIABLES
        .iter()
        .find(|(flag, _, _)| arg.split([' ', '=']).next() == Some(*flag))?;
    let on_command_line = args.iter().any(|a| {
        a.to_str()
            .is_some_and(|a| a == *flag || a.starts_with(&format!("{flag}=")))
    });
    if on_command_line {
        return None;
    }
    let value = std::env::var(variable).ok()?;
    Some(format!(
        "the environment variable {variable}={value:?} is not valid for {flag}\n  hint: set it to {wanted}, or unset it"
    ))
}

fn run(cli: Cli) -> Result<i32> {
    let Cli { global, command } = cli;
    if let Some(context) = &global.context {
        crate::engine::connection::use_context(context);
    }
    if global.dry_run
        && let Some(verb) = dry_run_not_done(&command)
    {
        return Err(Error::new(format!(
            "--dry-run is not done yet for `{verb}`: nothing was changed"
        ))
        .with_hint(format!(
            "run `rcompose {verb}` without --dry-run to do it; `rcompose up --dry-run` and `rcompose create --dry-run` print their plan"
        )));
    }
    if global.compatibility {
        crate::engine::labels::use_v1_container_names();
    }
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
        Command::Logs(args) => logs::run(global, args),
        Command::Exec(args) => exec::run(global, args),
        Command::Run(args) => run::run(global, args),
        Command::Ls(args) => ls::run(args),
        Command::Port(args) => port::run(global, args),
        Command::Top(args) => top::run(global, args),
        Command::Images(args) => images::run(global, args),
        Command::Events(args) => events::run(global, args),
        Command::Wait(args) => wait::run(global, args),
        Command::Watch(args) => watch::run(global, args),
        Command::Version(args) => version::run(args),
        Command::Cp(args) => cp::run(global, args),
        Command::Stats(args) => stats::run(global, args),
        Command::Attach(args) => attach::run(global, args),
        Command::Volumes(args) => volumes::volumes(global, args),
        Command::Export(args) => volumes::export(global, args),
        Command::Commit(args) => volumes::commit(global, args),
        Command::Scale(args) => scale::run(global, args),
        Command::Graph(args) => graph::run(global, args),
        Command::Completion(args) => completion::completion(args),
        Command::Man => completion::man(),
        Command::Swarm(args) => swarm::run(global, args),
    }
}

/// The verb of `command` when it would change something and has no dry run yet; `None` for
/// verbs that only read (they run as usual) and for `up`/`create`, which print their plan.
fn dry_run_not_done(command: &Command) -> Option<&'static str> {
    Some(match command {
        Command::Down(_) => "down",
        Command::Start(_) => "start",
        Command::Stop(_) => "stop",
        Command::Restart(_) => "restart",
        Command::Kill(_) => "kill",
        Command::Rm(_) => "rm",
        Command::Pause(_) => "pause",
        Command::Unpause(_) => "unpause",
        Command::Pull(_) => "pull",
        Command::Build(_) => "build",
        Command::Push(_) => "push",
        Command::Exec(_) => "exec",
        Command::Run(_) => "run",
        Command::Cp(_) => "cp",
        Command::Scale(_) => "scale",
        Command::Export(_) => "export",
        Command::Commit(_) => "commit",
        Command::Attach(_) => "attach",
        Command::Swarm(_) => "swarm",
        Command::New(_) => "new",
        Command::Watch(_) => "watch",
        _ => return None,
    })
}

/// Show a file under the current directory by its relative path, as the user typed it.
fn relative_to_cwd(mut e: Error) -> Error {
    if let (Some(mark), Ok(cwd)) = (&mut e.mark, std::env::current_dir())
        && let Ok(relative) = std::path::Path::new(&*mark.file).strip_prefix(&cwd)
    {
        mark.file = std::sync::Arc::from(relative.to_string_lossy().as_ref());
    }
    e
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
