//! Loading a compose project: discover → read YAML with positions → interpolate → merge
//! (files, extends, include) → profiles → validate → typed model.
//!
//! Every step is a small function over the positioned tree ([`yaml::Node`]) so that each error
//! can name the file, line and column it comes from.

pub mod checks;
pub mod discover;
pub mod dotenv;
mod extends;
mod include;
pub mod interpolate;
mod key_files;
pub mod merge;
pub mod normalize;
pub mod paths;
mod profiles;
pub mod schema;
pub mod template;
pub mod validate;
pub mod yaml;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value as Json;

use crate::error::{Error, Result};
use crate::project::model::Project;
use key_files::{resolve_environment, resolve_labels};
use profiles::{apply_profiles, profiles};
use yaml::{Key, Node, SourceMap, Value};

/// What the command line and the environment say about where and how to load the project.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `-f` files, in order; `-` reads standard input.
    pub files: Vec<PathBuf>,
    pub project_name: Option<String>,
    pub project_directory: Option<PathBuf>,
    pub env_files: Vec<PathBuf>,
    pub profiles: Vec<String>,
    /// Services named on the command line: their profiles are activated.
    pub services: Vec<String>,
    /// `false` for `config --no-interpolate`.
    pub no_interpolate: bool,
    /// The directory the command runs in.
    pub cwd: PathBuf,
    /// The process environment.
    pub environment: BTreeMap<String, String>,
    /// What `-f -` reads; `None` reads the real standard input.
    pub stdin: Option<String>,
    /// `config --no-consistency`: skip the checks that the project is complete and coherent
    /// (an image or build per service, declared networks, volumes, secrets...).
    pub no_consistency: bool,
    /// `--all-resources`: keep the top-level networks, volumes, secrets and configs no service
    /// uses (dropped otherwise, as docker compose drops them).
    pub all_resources: bool,
}

impl Options {
    /// Options from the current process: working directory and environment.
    pub fn from_process() -> Result<Self> {
        Ok(Options {
            cwd: std::env::current_dir()
                .map_err(|e| Error::new(format!("cannot read the current directory: {e}")))?,
            environment: std::env::vars().collect(),
            ..Options::default()
        })
    }
}

/// A loaded project and what it was loaded from.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub project: Project,
    /// The project directory (relative paths were resolved against it).
    pub working_dir: PathBuf,
    pub config_files: Vec<PathBuf>,
    pub env_files: Vec<PathBuf>,
    /// Whether `env_files` were given (`--env-file`, `COMPOSE_ENV_FILES`) rather than found
    /// (`.env`): compose labels containers with given ones only.
    pub env_files_given: bool,
    /// The variables used for interpolation: env files overridden by the process environment.
    pub environment: BTreeMap<String, String>,
    /// Every profile named by any service, active or not.
    pub all_profiles: BTreeSet<String>,
    /// Services whose environment could not be read (a required env file is missing), with
    /// the error: [`Loaded::require_environment`] fails the commands that need them.
    pub unresolved_environment: BTreeMap<String, Error>,
    pub warnings: Vec<String>,
    /// The fully resolved project as JSON (the typed model's input), for `config`.
    pub json: Json,
    /// Contents of `environment:` secrets and configs of included projects, read from the
    /// include's own environment as docker compose reads them: "secrets.NAME" → content.
    pub included_values: BTreeMap<String, String>,
}

impl Loaded {
    /// Whether the boolean variable `name` (`COMPOSE_REMOVE_ORPHANS`, ...) is set to true in the
    /// project's environment (its `.env` or the process), read as docker compose reads it:
    /// `1`, `t` or `true` in any case.
    pub fn flag(&self, name: &str) -> bool {
        self.environment
            .get(name)
            .is_some_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "t" | "true"))
    }

    /// Fail when one of `services` (all of them when empty; with what they depend on unless
    /// `no_deps`) has an environment that could not be read: creating or describing its
    /// containers needs it.
    pub fn require_environment(&self, services: &[String], no_deps: bool) -> Result<()> {
        if self.unresolved_environment.is_empty() {
            return Ok(());
        }
        let wanted: BTreeSet<String> = if services.is_empty() {
            self.project.services.keys().cloned().collect()
        } else if no_deps {
            services.iter().cloned().collect()
        } else {
            let graph: BTreeMap<String, Vec<String>> = self
                .project
                .services
                .iter()
                .map(|(name, s)| (name.clone(), s.dependency_names()))
                .collect();
            crate::graph::with_dependencies(&graph, services)
        };
        match self
            .unresolved_environment
            .iter()
            .find(|(name, _)| wanted.contains(*name))
        {
            Some((_, err)) => Err(err.clone()),
            None => Ok(()),
        }
    }
}

/// Largest compose or env file rcompose reads. Real ones are a few kilobytes; the limit keeps
/// a hostile file, or a wrong path such as `-f /dev/zero`, from exhausting memory.
pub const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;

/// Read at most [`MAX_FILE_BYTES`] + 1 bytes, enough to tell that a source is too large.
pub(crate) fn read_bounded(reader: impl Read) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// `Some(error)` when `bytes` (as read by [`read_bounded`]) exceed the limit: the error points
/// at the line where the limit was reached.
pub(crate) fn too_large(file: &Arc<str>, bytes: &[u8], what: &str) -> Option<Error> {
    if bytes.len() <= MAX_FILE_BYTES {
        return None;
    }
    let read = &bytes[..MAX_FILE_BYTES];
    let line = read.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = read.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    let mark = crate::error::Mark::new(
        file.clone(),
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(column).unwrap_or(u32::MAX),
    );
    Some(
        Error::at(
            &mark,
            format!(
                "{what} is larger than {} MiB; rcompose stops reading here",
                MAX_FILE_BYTES / (1024 * 1024)
            ),
        )
        .with_hint("is this the right file? compose and env files are a few kilobytes"),
    )
}

/// Load a project as docker compose would.
pub fn load(opts: &Options) -> Result<Loaded> {
    let mut loader = Loader::new(opts);
    loader.run().map_err(|e| loader.decorate(e))
}

/// Nesting limit for `include` and `extends` chains.
const MAX_CHAIN: usize = 32;

struct Loader<'a> {
    opts: &'a Options,
    sources: HashMap<Arc<str>, String>,
    unset: BTreeSet<String>,
    warnings: Vec<String>,
    /// `environment:` secrets and configs of included projects, resolved in the include's own
    /// environment (its `env_file`s): "secrets.NAME" / "configs.NAME" → content.
    included_values: BTreeMap<String, String>,
    /// Other files read for `extends`, already interpolated and with absolute paths.
    extends_cache: HashMap<PathBuf, Node>,
    /// Compose files parsed before interpolation (to read the project name first), so that
    /// each is read once (standard input can only be).
    parsed: HashMap<PathBuf, Node>,
}

impl<'a> Loader<'a> {
    fn new(opts: &'a Options) -> Self {
        Loader {
            opts,
            sources: HashMap::new(),
            unset: BTreeSet::new(),
            warnings: Vec::new(),
            included_values: BTreeMap::new(),
            extends_cache: HashMap::new(),
            parsed: HashMap::new(),
        }
    }

    /// Add the source line under the error's mark.
    fn decorate(&self, e: Error) -> Error {
        match (&e.mark, &e.snippet) {
            (Some(mark), None) => match self.sources.get(&mark.file) {
                Some(source) => e.with_source(source),
                None => e,
            },
            _ => e,
        }
    }

    fn env(&self, key: &str) -> Option<&str> {
        self.opts.environment.get(key).map(String::as_str)
    }

    fn home(&self) -> Option<String> {
        self.env("HOME").map(str::to_string)
    }

    /// An absolute path for a file named on the command line (relative to the working
    /// directory of the command).
    fn given_path(&self, f: &Path) -> PathBuf {
        if f.as_os_str() == "-" {
            return f.to_path_buf();
        }
        PathBuf::from(paths::absolute(
            &self.opts.cwd,
            &f.to_string_lossy(),
            self.home().as_deref(),
        ))
    }

    /// The compose files: `-f`, else `COMPOSE_FILE` (from the variables, which include the
    /// `.env` file), else the default names in the project directory or the working
    /// directory and their parents.
    fn config_files(&self, vars: &BTreeMap<String, String>) -> Result<Vec<PathBuf>> {
        let opts = self.opts;
        let given: Vec<PathBuf> = if !opts.files.is_empty() {
            opts.files.clone()
        } else if let Some(list) = vars.get("COMPOSE_FILE").filter(|s| !s.is_empty()) {
            let separator = vars
                .get("COMPOSE_PATH_SEPARATOR")
                .map_or(":", String::as_str);
            list.split(separator)
                .filter(|s| !s.is_empty())
                .map(PathBuf::from)
                .collect()
        } else {
            let base = opts
                .project_directory
                .as_ref()
                .map_or(opts.cwd.clone(), |d| self.given_path(d));
            return discover::find_default_files(&base).ok_or_else(|| discover::not_found(&base));
        };
        Ok(given.iter().map(|f| self.given_path(f)).collect())
    }

    /// The env files read before anything else: `--env-file` (or `COMPOSE_ENV_FILES`), else
    /// the `.env` of `dir`. Their variables complete the process environment, so that
    /// `COMPOSE_FILE`, `COMPOSE_PROFILES` and the like can come from them.
    fn first_env_files(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        let opts = self.opts;
        let listed: Vec<PathBuf> = if !opts.env_files.is_empty() {
            opts.env_files.clone()
        } else if let Some(list) = self.env("COMPOSE_ENV_FILES").filter(|s| !s.is_empty()) {
            list.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(PathBuf::from)
                .collect()
        } else {
            let default = dir.join(".env");
            return Ok(if default.is_file() {
                vec![default]
            } else {
                Vec::new()
            });
        };
        let files: Vec<PathBuf> = listed
            .iter()
            .map(|f| PathBuf::from(paths::absolute(&opts.cwd, &f.to_string_lossy(), None)))
            .collect();
        for f in &files {
            if !f.is_file() {
                let what = if f.exists() {
                    "not a regular file"
                } else {
                    "no such file"
                };
                return Err(
                    Error::new(format!("cannot read env file {}: {what}", f.display()))
                        .with_hint("check the path given with --env-file or COMPOSE_ENV_FILES"),
                );
            }
        }
        Ok(files)
    }

    fn read(&mut self, path: &Path) -> Result<(Arc<str>, String)> {
        if path.as_os_str() == "-" {
            let name: Arc<str> = Arc::from("-");
            let bytes = match &self.opts.stdin {
                Some(s) => s.as_bytes()[..s.len().min(MAX_FILE_BYTES + 1)].to_vec(),
                None => read_bounded(std::io::stdin().lock()).map_err(|e| {
                    Error::new(format!(
                        "cannot read the compose file from standard input: {e}"
                    ))
                })?,
            };
            return self.text_of(name, bytes);
        }
        let bytes = std::fs::File::open(path)
            .and_then(read_bounded)
            .map_err(|e| {
                let what = match e.kind() {
                    std::io::ErrorKind::NotFound => "no such file".to_string(),
                    _ => e.to_string(),
                };
                Error::new(format!(
                    "cannot read compose file {}: {what}",
                    path.display()
                ))
                .with_hint("check the path given with -f or COMPOSE_FILE")
            })?;
        let name: Arc<str> = Arc::from(path.to_string_lossy().as_ref());
        self.text_of(name, bytes)
    }

    /// Check the size and encoding of a compose file's bytes, and keep its text for snippets.
    fn text_of(&mut self, name: Arc<str>, bytes: Vec<u8>) -> Result<(Arc<str>, String)> {
        if let Some(e) = too_large(&name, &bytes, "the compose file") {
            return Err(e);
        }
        let text = String::from_utf8(bytes).map_err(|e| {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
            let column = valid.iter().rev().take_while(|b| **b != b'\n').count() + 1;
            Error::at(
                &crate::error::Mark::new(name.clone(), line as u32, column as u32),
                "the file is not valid UTF-8 text",
            )
            .with_hint("compose files must be UTF-8 encoded YAML")
        })?;
        self.sources.insert(name.clone(), text.clone());
        Ok((name, text))
    }

    /// Read, parse and interpolate one compose file, and resolve its relative paths.
    fn parse_file(
        &mut self,
        path: &Path,
        base: &Path,
        env: &BTreeMap<String, String>,
    ) -> Result<Node> {
        let mut tree = self.parse_raw(path)?;
        if !self.opts.no_interpolate {
            let lookup = |k: &str| env.get(k).cloned();
            interpolate::interpolate(&mut tree, &lookup, &mut self.unset)?;
        }
        paths::resolve(&mut tree, base, self.home().as_deref());
        Ok(tree)
    }

    /// Read and parse one compose file (once), check that it is a mapping, and drop the
    /// obsolete `version` with a warning.
    fn parse_raw(&mut self, path: &Path) -> Result<Node> {
        if let Some(tree) = self.parsed.get(path) {
            return Ok(tree.clone());
        }
        let (name, text) = self.read(path)?;
        let mut tree = yaml::parse(&text, &name)?;
        match &tree.value {
            Value::Map(_) => {}
            Value::Null => {
                return Err(Error::at(&tree.mark, "the compose file is empty")
                    .with_hint("define at least `services:`"));
            }
            _ => {
                return Err(Error::at(
                    &tree.mark,
                    format!(
                        "the top level of a compose file must be a mapping, but it is {}",
                        tree.kind()
                    ),
                ));
            }
        }
        if let Some((key, _)) = tree.entry("version") {
            self.warnings.push(format!(
                "{}:{}: the attribute `version` is obsolete, it will be ignored; remove it to avoid confusion",
                key.mark.file, key.mark.line
            ));
        }
        tree.remove("version");
        self.parsed.insert(path.to_path_buf(), tree.clone());
        Ok(tree)
    }

    /// The project name: `-p`, else `COMPOSE_PROJECT_NAME`, else the top-level `name:` (of
    /// the last file that sets it, interpolated), else the project directory's name.
    fn project_name(
        &mut self,
        files: &[PathBuf],
        working_dir: &Path,
        vars: &BTreeMap<String, String>,
    ) -> Result<String> {
        let opts = self.opts;
        if let Some(name) = &opts.project_name {
            return discover::check_project_name(name, "-p/--project-name");
        }
        if let Some(name) = vars.get("COMPOSE_PROJECT_NAME").filter(|s| !s.is_empty()) {
            return discover::check_project_name(name, "COMPOSE_PROJECT_NAME");
        }
        let mut declared = None;
        for file in files {
            if let Some(node) = self.parse_raw(file)?.get("name") {
                declared = Some(node.clone());
            }
        }
        if let Some(mut node) = declared {
            if !opts.no_interpolate {
                let lookup = |k: &str| vars.get(k).cloned();
                interpolate::interpolate(&mut node, &lookup, &mut self.unset)?;
            }
            let text = node.scalar_text().unwrap_or_default();
            return discover::check_project_name(&text, "the top-level `name:`")
                .map_err(|e| e.with_mark(node.mark.clone()));
        }
        let first = files.first().cloned().unwrap_or_default();
        let dir = if opts.project_directory.is_some() || first.as_os_str() == "-" {
            working_dir.to_path_buf()
        } else {
            first
                .parent()
                .map_or(working_dir.to_path_buf(), Path::to_path_buf)
        };
        let base = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let normalized = discover::normalize_project_name(&base);
        if normalized.is_empty() {
            return Err(Error::new(format!(
                "cannot derive a project name from the directory {}",
                dir.display()
            ))
            .with_hint("set one with -p, COMPOSE_PROJECT_NAME or a top-level `name:`"));
        }
        Ok(normalized)
    }

    /// The variables of a project: env files (in order), overridden by `parent` (the process
    /// environment, or the including project's environment).
    fn environment(
        &mut self,
        env_files: &[PathBuf],
        parent: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>> {
        let mut vars: BTreeMap<String, String> = BTreeMap::new();
        for file in env_files {
            let lookup = |k: &str| parent.get(k).cloned().or_else(|| vars.get(k).cloned());
            let entries = dotenv::parse_file(file, &lookup)?;
            vars.extend(entries);
        }
        vars.extend(parent.iter().map(|(k, v)| (k.clone(), v.clone())));
        Ok(vars)
    }

    fn run(&mut self) -> Result<Loaded> {
        let opts = self.opts;
        // The variables come first, as docker compose reads them: the process environment,
        // completed by the env files of the project directory as far as it is known yet
        // (`--project-directory`, else the directory of the first `-f` file, else the
        // working directory).
        let known_dir = match (&opts.project_directory, opts.files.first()) {
            (Some(d), _) => self.given_path(d),
            (None, Some(f)) if f.as_os_str() != "-" => self
                .given_path(f)
                .parent()
                .map_or(opts.cwd.clone(), Path::to_path_buf),
            _ => opts.cwd.clone(),
        };
        let mut env_files = self.first_env_files(&known_dir)?;
        let mut environment = self.environment(&env_files, &opts.environment)?;

        let files = self.config_files(&environment)?;
        let first = files.first().cloned().unwrap_or_default();
        let working_dir = match &opts.project_directory {
            Some(d) => self.given_path(d),
            None if first.as_os_str() == "-" => opts.cwd.clone(),
            None => first.parent().map_or(opts.cwd.clone(), Path::to_path_buf),
        };
        // A project directory found only now (COMPOSE_FILE, or a compose file found in a
        // parent directory) adds its own `.env`, below everything read so far.
        let defaults_apply =
            opts.env_files.is_empty() && self.env("COMPOSE_ENV_FILES").is_none_or(|s| s.is_empty());
        let late = working_dir.join(".env");
        if defaults_apply && working_dir != known_dir && late.is_file() {
            let below = self.environment(std::slice::from_ref(&late), &environment)?;
            environment = below;
            env_files.push(late);
        }

        // The project name is known before interpolation: `${COMPOSE_PROJECT_NAME}` is it.
        let name = self.project_name(&files, &working_dir, &environment)?;
        environment.insert("COMPOSE_PROJECT_NAME".into(), name.clone());

        let mut tree = self.load_tree(&files, &working_dir, &environment, &mut Vec::new())?;

        let mark = tree.mark.clone();
        tree.remove("name");
        if let Some(entries) = tree.as_map_mut() {
            entries.insert(
                0,
                (
                    Key {
                        name: "name".into(),
                        mark: mark.clone(),
                    },
                    Node::new(Value::Str(name.clone()), mark),
                ),
            );
        }

        // Schema first, on the whole merged tree.
        let json = tree.to_json_plain();
        let positions = SourceMap::new(tree);
        validate::schema(&json, &positions)?;

        // Profiles.
        let mut active: BTreeSet<String> = opts.profiles.iter().cloned().collect();
        if active.is_empty()
            && let Some(list) = environment.get("COMPOSE_PROFILES")
        {
            active.extend(
                list.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
            );
        }
        let all_profiles = profiles(&json);
        let mut json = json;
        let disabled = apply_profiles(&mut json, &active, &opts.services);

        for var in &self.unset {
            self.warnings.push(format!(
                "The \"{var}\" variable is not set. Defaulting to a blank string."
            ));
        }

        checks::check(&json, &positions, &disabled, !opts.no_consistency)?;
        normalize::services(&mut json, &environment);
        normalize::resources(&mut json, &name);
        if !opts.all_resources {
            normalize::drop_unused_resources(&mut json);
        }
        let unresolved_environment = resolve_environment(&mut json, &positions, &environment)?
            .into_iter()
            .map(|(name, e)| (name, self.decorate(e)))
            .collect();
        resolve_labels(&mut json, &positions, &environment)?;

        let typed = Project::from_value(json.clone()).map_err(|e| {
            let pointer = yaml::pointer_of(&e.path);
            let path = validate::dotted(&pointer);
            let mut err = Error::new(format!("{path}: {}", e.message));
            if let Some(mark) = positions.find_value(&pointer) {
                err = err.with_mark(mark.clone());
            }
            err
        });
        let project = match typed {
            Ok(project) => project,
            // Uninterpolated values (`${PORT:-8080}:80`) need not have their final form:
            // `config --no-interpolate` prints the tree, and the model keeps what types.
            Err(_) if opts.no_interpolate => lenient_project(&json),
            Err(e) => return Err(e),
        };

        Ok(Loaded {
            project,
            working_dir,
            config_files: files,
            env_files,
            env_files_given: !defaults_apply,
            environment,
            all_profiles,
            unresolved_environment,
            warnings: std::mem::take(&mut self.warnings),
            json,
            included_values: std::mem::take(&mut self.included_values),
        })
    }

    /// Parse, interpolate, extend, merge and include the files of one project.
    fn load_tree(
        &mut self,
        files: &[PathBuf],
        base: &Path,
        env: &BTreeMap<String, String>,
        chain: &mut Vec<PathBuf>,
    ) -> Result<Node> {
        let mut merged: Option<Node> = None;
        for file in files {
            let mut tree = self.parse_file(file, base, env)?;
            self.resolve_extends(&mut tree, file, env)?;
            match &mut merged {
                None => merged = Some(tree),
                Some(m) => merge::merge_files(m, tree),
            }
        }
        let mut tree = merged.ok_or_else(|| Error::new("no compose file given"))?;
        if let Some(include) = tree.remove("include") {
            self.include(&mut tree, include, base, env, chain)?;
        }
        Ok(tree)
    }
}

/// The model of a project that is not interpolated: each service or resource that does not
/// type (its values still hold `${...}`) is kept with default settings, so that names stay
/// listed.
fn lenient_project(json: &Json) -> Project {
    let mut json = json.clone();
    if let Some(root) = json.as_object_mut() {
        for kind in [
            "services", "networks", "volumes", "configs", "secrets", "models",
        ] {
            let Some(entries) = root.get_mut(kind).and_then(Json::as_object_mut) else {
                continue;
            };
            for (name, entry) in entries.iter_mut() {
                let mut alone = serde_json::Map::new();
                alone.insert(
                    kind.to_string(),
                    serde_json::json!({ name.clone(): entry.clone() }),
                );
                if Project::from_value(Json::Object(alone)).is_err() {
                    *entry = Json::Object(serde_json::Map::new());
                }
            }
        }
    }
    Project::from_value(json).unwrap_or_default()
}
