//! Loading a compose project: discover → read YAML with positions → interpolate → merge
//! (files, extends, include) → profiles → validate → typed model.
//!
//! Every step is a small function over the positioned tree ([`yaml::Node`]) so that each error
//! can name the file, line and column it comes from.

pub mod checks;
pub mod discover;
pub mod dotenv;
pub mod interpolate;
pub mod merge;
pub mod normalize;
pub mod paths;
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
    /// `--all-resources`: keep the top-level networks, volumes, secrets and configs no service
    /// uses (the loader keeps every one of them today).
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
}

impl Loaded {
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

        checks::check(&json, &positions).map_err(|e| {
            // Say so when the missing dependency is only disabled by a profile.
            match disabled.iter().find(|d| e.message.ends_with(&format!("\"{d}\""))) {
                Some(d) => e.with_hint(format!(
                    "service \"{d}\" exists but is not enabled: activate its profile with --profile or COMPOSE_PROFILES"
                )),
                None => e,
            }
        })?;
        normalize::services(&mut json, &environment);
        normalize::resources(&mut json, &name);
        normalize::drop_unused_resources(&mut json);
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
            environment,
            all_profiles,
            unresolved_environment,
            warnings: std::mem::take(&mut self.warnings),
            json,
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

    fn include(
        &mut self,
        tree: &mut Node,
        include: Node,
        base: &Path,
        env: &BTreeMap<String, String>,
        chain: &mut Vec<PathBuf>,
    ) -> Result<()> {
        let Value::Seq(entries) = include.value else {
            return Err(Error::at(
                &include.mark,
                format!("`include` must be a list, but it is {}", include.kind()),
            ));
        };
        for entry in entries {
            let (path_nodes, project_directory, env_file_nodes): (
                Vec<Node>,
                Option<Node>,
                Vec<Node>,
            ) = match &entry.value {
                Value::Str(_) => (vec![entry.clone()], None, Vec::new()),
                Value::Map(_) => {
                    let list = |key: &str| -> Vec<Node> {
                        match entry.get(key) {
                            Some(Node {
                                value: Value::Seq(items),
                                ..
                            }) => items.clone(),
                            Some(n) => vec![n.clone()],
                            None => Vec::new(),
                        }
                    };
                    (
                        list("path"),
                        entry.get("project_directory").cloned(),
                        list("env_file"),
                    )
                }
                _ => {
                    return Err(Error::at(
                        &entry.mark,
                        "an `include` entry must be a path or a mapping with `path`",
                    ));
                }
            };
            if path_nodes.is_empty() {
                return Err(Error::at(&entry.mark, "an `include` entry needs a `path`"));
            }
            let home = self.home();
            let mut paths_abs = Vec::new();
            for node in &path_nodes {
                let text = node.scalar_text().unwrap_or_default();
                let abs = PathBuf::from(paths::absolute(base, &text, home.as_deref()));
                if !abs.is_file() {
                    return Err(Error::at(
                        &node.mark,
                        format!("included file {} does not exist", abs.display()),
                    )
                    .with_hint("fix the path under `include`"));
                }
                paths_abs.push(abs);
            }
            if chain.contains(&paths_abs[0]) || chain.len() >= MAX_CHAIN {
                return Err(Error::at(
                    &entry.mark,
                    format!("include cycle: {} includes itself", paths_abs[0].display()),
                ));
            }
            let sub_dir = match &project_directory {
                Some(d) => PathBuf::from(paths::absolute(
                    base,
                    &d.scalar_text().unwrap_or_default(),
                    home.as_deref(),
                )),
                None => paths_abs[0]
                    .parent()
                    .map_or(base.to_path_buf(), Path::to_path_buf),
            };
            let mut sub_env_files = Vec::new();
            for node in &env_file_nodes {
                let p = PathBuf::from(paths::absolute(
                    base,
                    &node.scalar_text().unwrap_or_default(),
                    home.as_deref(),
                ));
                if !p.is_file() {
                    return Err(Error::at(
                        &node.mark,
                        format!(
                            "env file {} of the included project does not exist",
                            p.display()
                        ),
                    ));
                }
                sub_env_files.push(p);
            }
            if env_file_nodes.is_empty() && sub_dir.join(".env").is_file() {
                sub_env_files.push(sub_dir.join(".env"));
            }
            let sub_env = self.environment(&sub_env_files, env)?;
            chain.push(paths_abs[0].clone());
            let sub = self.load_tree(&paths_abs, &sub_dir, &sub_env, chain)?;
            chain.pop();
            for kind in ["services", "networks", "volumes", "configs", "secrets"] {
                let Some(Value::Map(imported)) = sub.get(kind).map(|n| n.value.clone()) else {
                    continue;
                };
                if tree.get(kind).is_none() {
                    tree.set(kind, Node::new(Value::Map(Vec::new()), entry.mark.clone()));
                }
                let Some(target) = tree.get_mut(kind).and_then(Node::as_map_mut) else {
                    continue;
                };
                for (key, value) in imported {
                    if let Some((existing, _)) = target.iter().find(|(k, _)| k.name == key.name) {
                        return Err(Error::at(
                            &existing.mark,
                            format!(
                                "{kind}.{} conflicts with the one imported from {}",
                                key.name,
                                paths_abs[0].display()
                            ),
                        )
                        .with_hint("rename one of them: included resources are not merged"));
                    }
                    target.push((key, value));
                }
            }
        }
        Ok(())
    }

    /// Replace every service that `extends` another by the merged result.
    fn resolve_extends(
        &mut self,
        tree: &mut Node,
        file: &Path,
        env: &BTreeMap<String, String>,
    ) -> Result<()> {
        let names: Vec<String> = tree
            .get("services")
            .and_then(Node::as_map)
            .map(|m| {
                m.iter()
                    .filter(|(_, s)| s.get("extends").is_some())
                    .map(|(k, _)| k.name.clone())
                    .collect()
            })
            .unwrap_or_default();
        for name in names {
            let snapshot = tree.clone();
            let resolved = self.extended_service(&snapshot, file, &name, env, &mut Vec::new())?;
            if let Some(services) = tree.get_mut("services") {
                services.set(&name, resolved);
            }
        }
        Ok(())
    }

    fn extended_service(
        &mut self,
        file_tree: &Node,
        file: &Path,
        name: &str,
        env: &BTreeMap<String, String>,
        chain: &mut Vec<(PathBuf, String)>,
    ) -> Result<Node> {
        let service = file_tree
            .get("services")
            .and_then(|s| s.get(name))
            .cloned()
            .ok_or_else(|| {
                // No mark: the caller points at the `extends` that named it.
                Error::new(format!(
                    "cannot extend service \"{name}\": no such service in {}",
                    file.display()
                ))
                .with_hint("fix the service name under `extends`")
            })?;
        let Some(extends) = service.get("extends").cloned() else {
            return Ok(service);
        };
        let (base_name, base_file) = match &extends.value {
            Value::Str(s) => (s.clone(), None),
            Value::Map(_) => {
                let base_name = extends
                    .get("service")
                    .and_then(Node::scalar_text)
                    .ok_or_else(|| {
                        Error::at(&extends.mark, "`extends` needs the `service` to extend")
                    })?;
                let base_file = extends
                    .get("file")
                    .and_then(Node::scalar_text)
                    .map(PathBuf::from);
                (base_name, base_file)
            }
            _ => {
                return Err(Error::at(
                    &extends.mark,
                    "`extends` must be a service name or a mapping with `service` and `file`",
                ));
            }
        };
        let key = (file.to_path_buf(), name.to_string());
        if chain.contains(&key) || chain.len() >= MAX_CHAIN {
            let mut names: Vec<String> = chain.iter().map(|(_, n)| n.clone()).collect();
            names.push(name.to_string());
            return Err(Error::at(
                &extends.mark,
                format!("circular `extends`: {}", names.join(" -> ")),
            ));
        }
        chain.push(key);
        let base = match base_file {
            Some(other) if other != file => {
                if !other.is_file() {
                    return Err(Error::at(
                        &extends.mark,
                        format!(
                            "cannot extend service \"{base_name}\": file {} does not exist",
                            other.display()
                        ),
                    ));
                }
                let other_tree = match self.extends_cache.get(&other) {
                    Some(t) => t.clone(),
                    None => {
                        let dir = other.parent().map_or(PathBuf::new(), Path::to_path_buf);
                        let t = self.parse_file(&other, &dir, env)?;
                        self.extends_cache.insert(other.clone(), t.clone());
                        t
                    }
                };
                self.extended_service(&other_tree, &other, &base_name, env, chain)
            }
            _ => self.extended_service(file_tree, file, &base_name, env, chain),
        }
        .map_err(|e| e.with_mark(extends.mark.clone()))?;
        chain.pop();
        let mut result = base;
        result.remove("extends");
        let mut child = service;
        child.remove("extends");
        merge::merge_service(&mut result, child);
        Ok(result)
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

/// Every profile any service names.
fn profiles(json: &Json) -> BTreeSet<String> {
    json.get("services")
        .and_then(Json::as_object)
        .into_iter()
        .flat_map(|s| s.values())
        .filter_map(|s| s.get("profiles").and_then(Json::as_array))
        .flatten()
        .filter_map(Json::as_str)
        .map(str::to_string)
        .collect()
}

/// Drop services whose profiles are not active (`*` activates all; services named explicitly are
/// always kept). Returns the names of the dropped services.
fn apply_profiles(json: &mut Json, active: &BTreeSet<String>, named: &[String]) -> Vec<String> {
    let Some(services) = json.get_mut("services").and_then(Json::as_object_mut) else {
        return Vec::new();
    };
    let disabled: Vec<String> = services
        .iter()
        .filter(|(name, service)| {
            let Some(list) = service.get("profiles").and_then(Json::as_array) else {
                return false;
            };
            if list.is_empty() || active.contains("*") || named.contains(name) {
                return false;
            }
            !list
                .iter()
                .filter_map(Json::as_str)
                .any(|p| active.contains(p))
        })
        .map(|(name, _)| name.clone())
        .collect();
    for name in &disabled {
        services.remove(name);
    }
    disabled
}

/// Fold each service's `env_file` entries and `environment` into one `environment` mapping:
/// env files in order, then `environment`; a bare `KEY` takes its value from the project's
/// variables and stays without a value when unset (the container then does not inherit the
/// image's value, as with docker compose).
///
/// A service whose required env file is missing gets no environment from its files, and the
/// error is returned for it: only the commands that need that service's environment fail,
/// as with docker compose (`down`, `ps` or `logs` of the project still work).
fn resolve_environment(
    json: &mut Json,
    positions: &SourceMap,
    vars: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, Error>> {
    let mut unresolved = BTreeMap::new();
    let Some(services) = json.get_mut("services").and_then(Json::as_object_mut) else {
        return Ok(unresolved);
    };
    for (name, service) in services.iter_mut() {
        let Some(map) = service.as_object_mut() else {
            continue;
        };
        let base = format!("/services/{}", yaml::escape_pointer(name));
        let files = key_files(map, &base, "env_file");
        let hint = "create the file, fix the path, or mark it `required: false`";
        let mut env = match missing_file(name, "env_file", &files, hint, positions) {
            Some(err) => {
                unresolved.insert(name.clone(), err);
                BTreeMap::new()
            }
            None => read_key_files(name, "env_file", files, hint, positions, vars)?,
        };
        match map.get("environment") {
            Some(Json::Object(m)) => {
                for (k, v) in m {
                    let value = match v {
                        Json::Null => vars.get(k).map_or(Json::Null, |s| Json::String(s.clone())),
                        other => Json::String(scalar_text(other)),
                    };
                    env.insert(k.clone(), value);
                }
            }
            Some(Json::Array(items)) => {
                for item in items {
                    let Some(text) = item
                        .as_str()
                        .map(str::to_string)
                        .or_else(|| (!item.is_null()).then(|| item.to_string()))
                    else {
                        continue;
                    };
                    match text.split_once('=') {
                        Some((k, v)) => {
                            env.insert(k.to_string(), Json::String(v.to_string()));
                        }
                        None => {
                            let value = vars
                                .get(&text)
                                .map_or(Json::Null, |v| Json::String(v.clone()));
                            env.insert(text, value);
                        }
                    }
                }
            }
            _ => {}
        }
        if env.is_empty() {
            map.remove("environment");
        } else {
            map.insert(
                "environment".into(),
                Json::Object(env.into_iter().collect()),
            );
        }
    }
    Ok(unresolved)
}

/// A scalar as the text docker compose makes of it (numbers as Go prints them).
fn scalar_text(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        Json::Number(n) if !n.is_i64() && !n.is_u64() => {
            crate::project::model::float_text(n.as_f64().unwrap_or_default())
        }
        other => other.to_string(),
    }
}

/// One file of a service's `env_file` or `label_file`: its path, whether it must exist, and
/// the JSON pointer of its entry (where an error points).
struct KeyFile {
    path: String,
    required: bool,
    /// `raw` for the `docker run --env-file` format; `None` for the dotenv format.
    format: Option<String>,
    pointer: String,
}

/// The files a service (at JSON pointer `base`) lists under `key`: one path, or a list of
/// paths and (for env_file) `{path, required}` mappings.
fn key_files(map: &serde_json::Map<String, Json>, base: &str, key: &str) -> Vec<KeyFile> {
    let entry = |item: &Json, pointer: String| match item {
        Json::String(path) => Some(KeyFile {
            path: path.clone(),
            required: true,
            format: None,
            pointer,
        }),
        Json::Object(m) => Some(KeyFile {
            path: m.get("path")?.as_str()?.to_string(),
            required: !matches!(m.get("required"), Some(Json::Bool(false)))
                && m.get("required").and_then(Json::as_str) != Some("false"),
            format: m.get("format").and_then(Json::as_str).map(str::to_string),
            pointer,
        }),
        _ => None,
    };
    match map.get(key) {
        Some(Json::Array(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| entry(item, format!("{base}/{key}/{i}")))
            .collect(),
        Some(item) => entry(item, format!("{base}/{key}")).into_iter().collect(),
        None => Vec::new(),
    }
}

/// The error for the first required file of `files` (of key `key`) that is missing, at its
/// entry, with `hint`.
fn missing_file(
    service: &str,
    key: &str,
    files: &[KeyFile],
    hint: &str,
    positions: &SourceMap,
) -> Option<Error> {
    let kind = key.replace('_', " ");
    let file = files
        .iter()
        .find(|f| f.required && !Path::new(&f.path).is_file())?;
    let path = Path::new(&file.path);
    let what = if path.exists() {
        "is not a regular file"
    } else {
        "not found"
    };
    let mut err = Error::new(format!(
        "service \"{service}\": {kind} {} {what}",
        path.display()
    ))
    .with_hint(hint);
    if let Some(mark) = positions.find_value(&file.pointer) {
        err = err.with_mark(mark.clone());
    }
    Some(err)
}

/// Read `files` (of key `key`: `env_file` or `label_file`) in the dotenv dialect, in order,
/// a later file winning; `${VAR}` from the project's variables. A missing required file is
/// an error at its entry, with `hint`.
fn read_key_files(
    service: &str,
    key: &str,
    files: Vec<KeyFile>,
    hint: &str,
    positions: &SourceMap,
    vars: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, Json>> {
    let kind = key.replace('_', " ");
    if let Some(err) = missing_file(service, key, &files, hint, positions) {
        return Err(err);
    }
    let mut values = BTreeMap::new();
    for file in files {
        let path = PathBuf::from(&file.path);
        if !path.is_file() {
            continue; // optional and missing
        }
        let lookup = |k: &str| vars.get(k).cloned();
        let context = |e: Error| e.context(format!("service \"{service}\": {key}"));
        let entries = match file.format.as_deref() {
            None | Some(".env") => {
                dotenv::parse_file_of_kind(&path, &kind, &lookup).map_err(context)?
            }
            Some("raw") => {
                let (text, name) = dotenv::read_text(&path, &kind).map_err(context)?;
                dotenv::parse_raw(&text, &name, &lookup).map_err(context)?
            }
            Some(other) => {
                let mut err = Error::new(format!(
                    "service \"{service}\": unsupported {kind} format \"{other}\""
                ))
                .with_hint("leave `format` out for the .env format, or use `format: raw`");
                if let Some(mark) = positions.find_value(&format!("{}/format", file.pointer)) {
                    err = err.with_mark(mark.clone());
                }
                return Err(err);
            }
        };
        for (k, v) in entries {
            values.insert(k, Json::String(v));
        }
    }
    Ok(values)
}

/// Fold each service's `label_file` entries into its `labels`: files in order (a later file
/// wins), then `labels:`, which wins over every file. Label files are read in the dotenv
/// dialect, as env files are, with `${VAR}` taken from the project's variables.
fn resolve_labels(
    json: &mut Json,
    positions: &SourceMap,
    vars: &BTreeMap<String, String>,
) -> Result<()> {
    let Some(services) = json.get_mut("services").and_then(Json::as_object_mut) else {
        return Ok(());
    };
    for (name, service) in services.iter_mut() {
        let Some(map) = service.as_object_mut() else {
            continue;
        };
        let base = format!("/services/{}", yaml::escape_pointer(name));
        let files = key_files(map, &base, "label_file");
        if files.is_empty() {
            continue;
        }
        let hint = "create the file (one LABEL=value a line) or fix the path under label_file";
        let mut labels = read_key_files(name, "label_file", files, hint, positions, vars)?;
        match map.get("labels") {
            Some(Json::Object(m)) => {
                for (k, v) in m {
                    let value = match v {
                        Json::Null => String::new(),
                        other => scalar_text(other),
                    };
                    labels.insert(k.clone(), Json::String(value));
                }
            }
            Some(Json::Array(items)) => {
                for item in items {
                    let Some(text) = item.as_str() else { continue };
                    let (k, v) = text.split_once('=').unwrap_or((text, ""));
                    labels.insert(k.to_string(), Json::String(v.to_string()));
                }
            }
            _ => {}
        }
        if !labels.is_empty() {
            map.insert("labels".into(), Json::Object(labels.into_iter().collect()));
        }
    }
    Ok(())
}
