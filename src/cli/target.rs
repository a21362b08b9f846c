//! The project an engine verb acts on: loaded from its compose file when there is one, else
//! (for verbs that need only the name: down, ps, stop, start, restart...) found on the engine
//! by its labels — the project whose compose files lie under the current directory.

use std::future::Future;

use super::{GlobalArgs, load_project};
use crate::engine::connection::{self, Engine};
use crate::engine::convert::ProjectContext;
use crate::engine::observe;
use crate::error::{Error, Result};
use crate::project::load::Loaded;

/// Exit code of the loader's "no configuration file" error.
const NO_COMPOSE_FILE: i32 = 14;

/// A project to act on.
pub struct Target {
    pub name: String,
    /// The loaded project, when a compose file was found.
    pub loaded: Option<Loaded>,
}

impl Target {
    pub fn project(&self) -> Option<&crate::project::model::Project> {
        self.loaded.as_ref().map(|l| &l.project)
    }

    /// With a loaded project, every name in `services` must be one of its services.
    pub fn check_services(&self, services: &[String]) -> Result<()> {
        if let Some(project) = self.project() {
            for s in services {
                if !project.services.contains_key(s) {
                    return Err(Error::new(format!("no such service: {s}")));
                }
            }
        }
        Ok(())
    }
}

/// Run `f` on a fresh tokio runtime. One thread: the work is waiting on the engine, and a
/// single-threaded runtime starts faster and keeps the memory small (stdin is read on a
/// thread of its own, see `ops::session`).
pub fn block_on<T>(f: impl Future<Output = Result<T>>) -> Result<T> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::new(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(f)
}

/// Connect to the engine.
pub async fn engine() -> Result<Engine> {
    connection::connect().await
}

/// The engine and the project a verb acts on, once `services` are known to be its own.
pub async fn engine_and_target(
    global: &GlobalArgs,
    services: &[String],
) -> Result<(Engine, Target)> {
    let engine = engine().await?;
    let target = resolve(global, &[], &engine).await?;
    target.check_services(services)?;
    Ok((engine, target))
}

/// The labels' view of a loaded project.
pub fn context_of(loaded: &Loaded) -> ProjectContext {
    ProjectContext {
        working_dir: loaded.working_dir.display().to_string(),
        config_files: loaded
            .config_files
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        // Compose records the env files it was given, not a `.env` it found.
        env_files: loaded
            .env_files
            .iter()
            .filter(|_| loaded.env_files_given)
            .map(|p| p.display().to_string())
            .collect(),
        environment: loaded.environment.clone(),
        included_values: loaded.included_values.clone(),
    }
}

/// Load the project; with no compose file, fall back to `-p` or to the engine's labels.
pub async fn resolve(global: &GlobalArgs, services: &[String], engine: &Engine) -> Result<Target> {
    let opts = global.load_options(services)?;
    match load_project(global, &opts) {
        Ok(loaded) => Ok(Target {
            name: loaded.project.name.clone(),
            loaded: Some(loaded),
        }),
        Err(e) if e.exit_code == NO_COMPOSE_FILE && global.files.is_empty() => {
            if let Some(name) = &global.project_name {
                return Ok(Target {
                    name: name.clone(),
                    loaded: None,
                });
            }
            if let Ok(name) = std::env::var("COMPOSE_PROJECT_NAME")
                && !name.is_empty()
            {
                return Ok(Target { name, loaded: None });
            }
            let projects = observe::projects(&engine.docker).await?;
            match observe::project_for_dir(&projects, &opts.cwd)? {
                Some(name) => Ok(Target { name, loaded: None }),
                None => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}
