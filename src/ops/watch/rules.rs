//! The watch rules of the selected services (`develop.watch`), as matchers: which changed host
//! path a rule takes (under its `path`, kept by `include`, not dropped by `ignore`, the build
//! context's `.dockerignore`, editors' temporary files or `.git`), where it goes in the
//! container (`target`), and what a batch of changes asks each service for.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::engine::dockerignore::{DockerIgnore, glob_match};
use crate::error::{Error, Result};
use crate::project::model::{Project, Service, ServiceHook, WatchAction};

/// Editors' and tools' temporary files, never worth a sync (matched on a path's file name):
/// JetBrains, emacs, vim (its `4913` probe, backups, swap files), kate, and Go's umask probe.
const EPHEMERAL: &[&str] = &[
    "*___jb_old___",
    "*___jb_tmp___",
    ".#*",
    "#*#",
    "4913",
    "*~",
    ".*.swp",
    ".*.swx",
    ".*.swo",
    ".*.swn",
    ".*.kate-swp",
    "*-go-tmp-umask",
];

/// Directories whose content is never synced: version control and IDE state.
const IGNORED_DIRECTORIES: &[&str] = &[".git", ".idea"];

/// One rule of one service.
#[derive(Clone, Debug)]
pub struct Rule {
    pub service: String,
    /// Position in the service's `develop.watch` (its `sync+exec` runs once per batch).
    pub index: usize,
    pub action: WatchAction,
    /// Absolute host path (a directory or a file).
    pub path: PathBuf,
    /// Container path, for the sync actions.
    pub target: Option<String>,
    pub exec: Option<ServiceHook>,
    pub initial_sync: bool,
    include: Option<DockerIgnore>,
    ignore: DockerIgnore,
    /// The service's build context and its `.dockerignore`.
    dockerignore: Option<(PathBuf, DockerIgnore)>,
}

/// A changed host path and where it goes in the container.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Mapping {
    pub host: PathBuf,
    /// Absolute container path (`None` for rules that do not sync).
    pub container: Option<String>,
    /// The rule that took it (an index into the rules).
    pub rule: usize,
}

impl Rule {
    /// Whether the action copies files into the container.
    pub fn syncs(&self) -> bool {
        matches!(
            self.action,
            WatchAction::Sync | WatchAction::SyncRestart | WatchAction::SyncExec
        )
    }

    /// Where `host` goes when this rule takes it; `None` when the rule does not.
    pub fn matches(&self, host: &Path) -> Option<Option<String>> {
        let rel = host.strip_prefix(&self.path).ok()?;
        let rel = slash_path(rel);
        let name = host.file_name()?.to_string_lossy();
        if is_ephemeral(&name) || rel.split('/').any(|c| IGNORED_DIRECTORIES.contains(&c)) {
            return None;
        }
        // A rule on a single file takes that file whatever its patterns say.
        if !rel.is_empty() {
            if let Some(include) = &self.include
                && !include.excludes(&rel)
            {
                return None;
            }
            if self.ignore.excludes(&rel) {
                return None;
            }
        }
        if let Some((context, ignore)) = &self.dockerignore
            && let Ok(in_context) = host.strip_prefix(context)
        {
            let in_context = slash_path(in_context);
            if !in_context.is_empty() && ignore.excludes(&in_context) {
                return None;
            }
        }
        Some(self.target.as_ref().map(|target| {
            if rel.is_empty() {
                target.clone()
            } else {
                format!("{}/{rel}", target.trim_end_matches('/'))
            }
        }))
    }
}

/// `a/b/c` from path components.
fn slash_path(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn is_ephemeral(name: &str) -> bool {
    EPHEMERAL.iter().any(|glob| glob_match(glob, name))
}

/// The `.dockerignore` of a build context: `<Dockerfile>.dockerignore` first, as BuildKit and
/// docker compose read it, else `.dockerignore`.
fn load_dockerignore(service: &Service) -> Result<Option<(PathBuf, DockerIgnore)>> {
    let Some(build) = &service.build else {
        return Ok(None);
    };
    let context = PathBuf::from(&build.context);
    if !context.is_dir() {
        return Ok(None);
    }
    let dockerfile = build.dockerfile.as_deref().unwrap_or("Dockerfile");
    let candidates = [
        context.join(format!("{dockerfile}.dockerignore")),
        context.join(".dockerignore"),
    ];
    for file in candidates {
        match std::fs::read_to_string(&file) {
            Ok(text) => return Ok(Some((context, DockerIgnore::parse(&text)))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(Error::new(format!("cannot read {}: {e}", file.display())));
            }
        }
    }
    Ok(Some((context, DockerIgnore::default())))
}

/// The rules of `services` (each of which must exist), checked: a sync action needs a
/// `target`, `rebuild` a `build:` section, `sync+exec` a command. Services without
/// `develop.watch` have none.
pub fn rules(project: &Project, services: &[String]) -> Result<Vec<Rule>> {
    let mut rules = Vec::new();
    for name in services {
        let Some(service) = project.services.get(name) else {
            return Err(Error::new(format!("no such service: {name}")));
        };
        let Some(develop) = &service.develop else {
            continue;
        };
        if develop.watch.is_empty() {
            continue;
        }
        let dockerignore = load_dockerignore(service)?;
        for (index, rule) in develop.watch.iter().enumerate() {
            let key = format!("service \"{name}\": develop.watch[{index}]");
            let syncs = matches!(
                rule.action,
                WatchAction::Sync | WatchAction::SyncRestart | WatchAction::SyncExec
            );
            let target = rule.target.clone().filter(|t| !t.is_empty());
            if syncs && target.is_none() {
                return Err(Error::new(format!(
                    "{key}: action {} needs a target (the path in the container to sync to)",
                    rule.action
                ))
                .with_hint("add `target: /path/in/container` to the rule"));
            }
            if rule.action == WatchAction::Rebuild && service.build.is_none() {
                return Err(Error::new(format!(
                    "{key}: can't watch service \"{name}\" with action rebuild without a build context"
                ))
                .with_hint("add a `build:` section to the service or use another action"));
            }
            let command = rule.exec.as_ref().and_then(|e| e.command.as_ref());
            if rule.action == WatchAction::SyncExec && command.is_none_or(|c| c.is_empty()) {
                return Err(Error::new(format!(
                    "{key}: can't watch with action \"sync+exec\" on service {name} without a command"
                ))
                .with_hint("add `exec: {command: ...}` to the rule"));
            }
            if rule.path.is_empty() {
                return Err(Error::new(format!("{key}: watch rules must define a path")));
            }
            rules.push(Rule {
                service: name.clone(),
                index,
                action: rule.action,
                path: clean(Path::new(&rule.path)),
                target,
                exec: rule.exec.clone(),
                initial_sync: rule.initial_sync,
                include: (!rule.include.is_empty())
                    .then(|| DockerIgnore::parse(&rule.include.join("\n"))),
                ignore: DockerIgnore::parse(&rule.ignore.join("\n")),
                dockerignore: dockerignore.clone(),
            });
        }
    }
    Ok(rules)
}

/// `path` without `.` components and trailing slashes.
fn clean(path: &Path) -> PathBuf {
    path.components().collect()
}

/// What one batch of changes asks of one service.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Work {
    pub rebuild: bool,
    pub restart: bool,
    /// Paths to copy or delete, each once.
    pub sync: BTreeSet<Mapping>,
    /// Rules whose `exec` runs after the sync (once each).
    pub exec: BTreeSet<usize>,
}

/// Sort a batch of changed host paths into work per service.
pub fn plan(rules: &[Rule], changed: &BTreeSet<PathBuf>) -> BTreeMap<String, Work> {
    let mut work: BTreeMap<String, Work> = BTreeMap::new();
    for path in changed {
        for (i, rule) in rules.iter().enumerate() {
            let Some(container) = rule.matches(path) else {
                continue;
            };
            let entry = work.entry(rule.service.clone()).or_default();
            let mapping = || Mapping {
                host: path.clone(),
                container: container.clone(),
                rule: i,
            };
            match rule.action {
                WatchAction::Rebuild => entry.rebuild = true,
                WatchAction::Restart => entry.restart = true,
                WatchAction::Sync => {
                    entry.sync.insert(mapping());
                }
                WatchAction::SyncRestart => {
                    entry.sync.insert(mapping());
                    entry.restart = true;
                }
                WatchAction::SyncExec => {
                    entry.sync.insert(mapping());
                    entry.exec.insert(i);
                }
            }
        }
    }
    work
}

/// The paths to watch: each rule's path, or, for one that does not exist yet, its closest
/// existing parent (`true`: recursively).
pub fn watched_paths(rules: &[Rule]) -> BTreeMap<PathBuf, bool> {
    let mut paths: BTreeMap<PathBuf, bool> = BTreeMap::new();
    for rule in rules {
        if rule.path.exists() {
            paths.insert(rule.path.clone(), true);
            continue;
        }
        let mut parent = rule.path.parent();
        while let Some(dir) = parent {
            if dir.is_dir() {
                paths.entry(dir.to_path_buf()).or_insert(false);
                break;
            }
            parent = dir.parent();
        }
    }
    // A path under another watched recursively needs no watch of its own.
    let recursive: Vec<PathBuf> = paths
        .iter()
        .filter(|(_, r)| **r)
        .map(|(p, _)| p.clone())
        .collect();
    paths.retain(|path, _| {
        !recursive
            .iter()
            .any(|other| other != path && path.starts_with(other))
    });
    paths
}

/// `["a", "b"]`, as docker compose quotes service lists in its watch messages.
pub fn quoted_list(services: &[String]) -> String {
    let quoted: Vec<String> = services.iter().map(|s| format!("{s:?}")).collect();
    format!("[{}]", quoted.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn project(dir: &str) -> Project {
        let value = json!({
            "name": "app",
            "services": {
                "web": {"image": "web", "develop": {"watch": [
                    {"path": format!("{dir}/src"), "action": "sync", "target": "/app/",
                     "ignore": ["node_modules/", "*.log"]},
                    {"path": format!("{dir}/conf"), "action": "sync+exec", "target": "/etc/app",
                     "include": ["*.conf"], "exec": {"command": ["kill", "-HUP", "1"]}},
                    {"path": format!("{dir}/restart.flag"), "action": "restart"},
                ]}},
                "api": {"build": {"context": format!("{dir}/api")}, "develop": {"watch": [
                    {"path": format!("{dir}/api"), "action": "rebuild"},
                    {"path": format!("{dir}/api/static"), "action": "sync+restart",
                     "target": "/static"},
                ]}},
                "db": {"image": "db"}
            }
        });
        Project::from_value(value).unwrap()
    }

    fn all(p: &Project) -> Vec<String> {
        p.services.keys().cloned().collect()
    }

    #[test]
    fn paths_map_to_targets_unless_ignored_or_not_included() {
        let p = project("/w");
        let rules = rules(&p, &all(&p)).unwrap();
        let web: Vec<&Rule> = rules.iter().filter(|r| r.service == "web").collect();
        let at = |r: &Rule, p: &str| r.matches(Path::new(p));
        assert_eq!(at(web[0], "/w/src/a.js"), Some(Some("/app/a.js".into())));
        assert_eq!(
            at(web[0], "/w/src/d/b.js"),
            Some(Some("/app/d/b.js".into()))
        );
        assert_eq!(at(web[0], "/w/src"), Some(Some("/app/".into())));
        assert_eq!(at(web[0], "/w/srcx/a.js"), None);
        assert_eq!(at(web[0], "/w/src/node_modules/x/i.js"), None);
        assert_eq!(at(web[0], "/w/src/out.log"), None);
        assert_eq!(at(web[0], "/w/src/.git/HEAD"), None);
        assert_eq!(at(web[0], "/w/src/.a.js.swp"), None);
        assert_eq!(at(web[0], "/w/src/a.js~"), None);
        assert_eq!(
            at(web[1], "/w/conf/app.conf"),
            Some(Some("/etc/app/app.conf".into()))
        );
        assert_eq!(at(web[1], "/w/conf/app.txt"), None);
        assert_eq!(at(web[2], "/w/restart.flag"), Some(None));
    }

    #[test]
    fn dockerignore_of_the_build_context_applies() {
        let dir = std::env::temp_dir().join(format!("rcompose-watch-rules-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("api")).unwrap();
        std::fs::write(dir.join("api/.dockerignore"), "*.tmp\nbuild/\n").unwrap();
        let p = project(&dir.display().to_string());
        let rules = rules(&p, &["api".to_string()]).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let rebuild = &rules[0];
        assert!(rebuild.matches(&dir.join("api/main.go")).is_some());
        assert!(rebuild.matches(&dir.join("api/x.tmp")).is_none());
        assert!(rebuild.matches(&dir.join("api/build/out")).is_none());
    }

    #[test]
    fn a_batch_is_sorted_into_work_per_service() {
        let p = project("/w");
        let rules = rules(&p, &all(&p)).unwrap();
        let changed: BTreeSet<PathBuf> = [
            "/w/src/a.js",
            "/w/src/b.js",
            "/w/conf/a.conf",
            "/w/conf/b.conf",
            "/w/api/main.go",
            "/w/api/static/i.css",
            "/w/elsewhere",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        let work = plan(&rules, &changed);
        assert_eq!(work.keys().collect::<Vec<_>>(), ["api", "web"]);
        let web = &work["web"];
        assert_eq!(web.sync.len(), 4);
        assert_eq!(web.exec.len(), 1, "one exec per rule, however many files");
        assert!(!web.restart && !web.rebuild);
        let api = &work["api"];
        assert!(api.rebuild && api.restart);
        assert_eq!(api.sync.len(), 1);
    }

    #[test]
    fn rules_are_checked() {
        let bad = |rule: serde_json::Value, build: bool| {
            let mut service = json!({"image": "x", "develop": {"watch": [rule]}});
            if build {
                service["build"] = json!({"context": "/x"});
            }
            let p = Project::from_value(json!({"name": "p", "services": {"s": service}})).unwrap();
            rules(&p, &["s".to_string()]).unwrap_err().message
        };
        assert!(bad(json!({"path": "/a", "action": "sync"}), false).contains("needs a target"));
        assert!(
            bad(json!({"path": "/a", "action": "rebuild"}), false)
                .contains("without a build context")
        );
        assert!(
            bad(
                json!({"path": "/a", "action": "sync+exec", "target": "/b"}),
                false
            )
            .contains("without a command")
        );
    }

    #[test]
    fn missing_paths_are_watched_through_their_parent() {
        let dir = std::env::temp_dir();
        let p = Project::from_value(json!({"name": "p", "services": {"s": {"image": "x",
        "develop": {"watch": [
            {"path": dir.join("rcompose-no-such-dir/x").display().to_string(), "action": "restart"},
            {"path": dir.display().to_string(), "action": "restart"},
        ]}}}}))
        .unwrap();
        let rules = rules(&p, &["s".to_string()]).unwrap();
        let watched = watched_paths(&rules);
        assert_eq!(watched.len(), 1);
        assert_eq!(watched.get(&dir), Some(&true));
    }

    #[test]
    fn service_lists_are_quoted_as_docker_compose_does() {
        assert_eq!(
            quoted_list(&["a".to_string(), "b".to_string()]),
            "[\"a\" \"b\"]"
        );
    }
}
