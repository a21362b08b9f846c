//! Making the relative paths of a compose tree absolute against the directory they belong to:
//! the project directory for the main files, the file's own directory for `include` and for
//! `extends` from another file. This is the one place that knows which keys hold paths.

use std::path::{Component, Path, PathBuf};

use super::yaml::{Node, Value};

/// Resolve `path` against `base`, expanding `~` and tidying `.` and `..` without touching the
/// file system.
pub fn absolute(base: &Path, path: &str, home: Option<&str>) -> String {
    let expanded: PathBuf = match (path.strip_prefix('~'), home) {
        (Some(rest), Some(home)) if rest.is_empty() || rest.starts_with('/') => {
            PathBuf::from(format!("{home}{rest}"))
        }
        _ => PathBuf::from(path),
    };
    let joined = if expanded.is_absolute() {
        expanded
    } else {
        base.join(expanded)
    };
    clean(&joined).to_string_lossy().into_owned()
}

/// Remove `.` and resolve `..` lexically.
pub fn clean(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn is_remote_context(s: &str) -> bool {
    s.contains("://") || s.starts_with("git@") || s.starts_with("github.com/")
}

fn is_local_path(s: &str) -> bool {
    s.starts_with('/') || s.starts_with('.') || s.starts_with('~') || is_windows_absolute(s)
}

/// `C:\x`, `C:/x` or `\\server\share`: absolute on a Windows engine, kept as written (a
/// file may be meant for an engine on another system than the client's).
pub fn is_windows_absolute(s: &str) -> bool {
    let b = s.as_bytes();
    (b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && matches!(b[2], b'\\' | b'/'))
        || s.starts_with("\\\\")
}

/// A path of the compose file as docker compose resolves it: `~` expanded, an absolute path
/// (Unix or Windows) kept as written, a relative one joined to `base` and tidied.
fn resolve_path(base: &Path, path: &str, home: Option<&str>) -> String {
    let expanded = match (path.strip_prefix('~'), home) {
        (Some(rest), Some(home)) if rest.is_empty() || rest.starts_with('/') => {
            format!("{home}{rest}")
        }
        _ => path.to_string(),
    };
    if expanded.starts_with('/') || is_windows_absolute(&expanded) {
        return expanded;
    }
    absolute(base, &expanded, None)
}

fn rebase_scalar(node: &mut Node, base: &Path, home: Option<&str>) {
    if let Value::Str(s) = &mut node.value
        && !is_remote_context(s)
    {
        *s = resolve_path(base, s, home);
    }
}

/// A build context: local paths are resolved; URLs, `service:X` and builder-specific
/// contexts (`docker-image://...`) are kept.
fn rebase_context(node: &mut Node, base: &Path, home: Option<&str>) {
    if let Value::Str(s) = &node.value
        && (s.starts_with("service:") || s.is_empty())
    {
        return;
    }
    rebase_scalar(node, base, home);
}

/// A watched path, resolved, then followed when it is itself a symbolic link (as docker
/// compose does, so that events under the link's target match).
fn rebase_watch_path(node: &mut Node, base: &Path, home: Option<&str>) {
    rebase_scalar(node, base, home);
    if let Value::Str(s) = &mut node.value
        && std::fs::symlink_metadata(&*s).is_ok_and(|m| m.file_type().is_symlink())
        && let Ok(target) = std::fs::canonicalize(&*s)
    {
        *s = target.to_string_lossy().into_owned();
    }
}

/// Make every relative path of a whole compose tree absolute against `base`.
pub fn resolve(tree: &mut Node, base: &Path, home: Option<&str>) {
    if let Some(services) = tree.get_mut("services").and_then(Node::as_map_mut) {
        for (_, service) in services.iter_mut() {
            resolve_service(service, base, home);
        }
    }
    for kind in ["configs", "secrets"] {
        if let Some(entries) = tree.get_mut(kind).and_then(Node::as_map_mut) {
            for (_, entry) in entries.iter_mut() {
                if let Some(file) = entry.get_mut("file") {
                    rebase_scalar(file, base, home);
                }
            }
        }
    }
    // A local volume that is a bind mount in disguise (`o: bind`) names a host path.
    if let Some(entries) = tree.get_mut("volumes").and_then(Node::as_map_mut) {
        for (_, volume) in entries.iter_mut() {
            let local = volume.get("driver").and_then(Node::as_str) == Some("local");
            let Some(opts) = volume.get_mut("driver_opts").filter(|_| local) else {
                continue;
            };
            let bind = opts
                .get("o")
                .and_then(Node::scalar_text)
                .is_some_and(|o| o == "bind");
            if bind && let Some(device) = opts.get_mut("device") {
                rebase_scalar(device, base, home);
            }
        }
    }
}

/// Make the relative paths of one service definition absolute against `base`.
pub fn resolve_service(service: &mut Node, base: &Path, home: Option<&str>) {
    if let Some(build) = service.get_mut("build") {
        match &mut build.value {
            Value::Str(_) => rebase_scalar(build, base, home),
            Value::Map(_) => {
                if let Some(contexts) = build.get_mut("additional_contexts") {
                    match &mut contexts.value {
                        Value::Map(entries) => {
                            for (_, context) in entries.iter_mut() {
                                rebase_context(context, base, home);
                            }
                        }
                        Value::Seq(items) => {
                            for item in items.iter_mut() {
                                if let Value::Str(text) = &item.value
                                    && let Some((name, path)) = text.split_once('=')
                                {
                                    let mut node =
                                        Node::new(Value::Str(path.to_string()), item.mark.clone());
                                    rebase_context(&mut node, base, home);
                                    if let Value::Str(resolved) = node.value {
                                        item.value = Value::Str(format!("{name}={resolved}"));
                                    }
                                }
                            }
                        }
                        _ => {}
                    }
                }
                if let Some(context) = build.get_mut("context") {
                    rebase_scalar(context, base, home);
                } else {
                    // compose's default context is the project directory
                    build.set(
                        "context",
                        Node::new(
                            Value::Str(base.to_string_lossy().into_owned()),
                            build.mark.clone(),
                        ),
                    );
                }
            }
            _ => {}
        }
    }
    for key in ["env_file", "label_file"] {
        if let Some(node) = service.get_mut(key) {
            match &mut node.value {
                Value::Str(_) => rebase_scalar(node, base, home),
                Value::Seq(items) => {
                    for item in items.iter_mut() {
                        match &item.value {
                            Value::Str(_) => rebase_scalar(item, base, home),
                            Value::Map(_) => {
                                if let Some(path) = item.get_mut("path") {
                                    rebase_scalar(path, base, home);
                                }
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
    }
    if let Some(Value::Seq(items)) = service.get_mut("volumes").map(|v| &mut v.value) {
        for item in items.iter_mut() {
            match &mut item.value {
                Value::Str(s) => {
                    // A Windows drive letter's colon is not a separator.
                    let skip = if is_windows_absolute(s) { 2 } else { 0 };
                    if let Some(i) = s[skip..].find(':').map(|i| i + skip) {
                        let (source, rest) = (&s[..i], &s[i + 1..]);
                        if is_local_path(source) {
                            *s = format!("{}:{rest}", resolve_path(base, source, home));
                        }
                    }
                }
                Value::Map(_) => {
                    let is_bind = item.get("type").and_then(Node::as_str) == Some("bind");
                    if is_bind && let Some(source) = item.get_mut("source") {
                        rebase_scalar(source, base, home);
                    }
                }
                _ => {}
            }
        }
    }
    if let Some(extends) = service.get_mut("extends")
        && let Some(file) = extends.get_mut("file")
    {
        rebase_scalar(file, base, home);
    }
    if let Some(Value::Seq(rules)) = service
        .get_mut("develop")
        .and_then(|d| d.get_mut("watch"))
        .map(|w| &mut w.value)
    {
        for rule in rules.iter_mut() {
            if let Some(path) = rule.get_mut("path") {
                rebase_watch_path(path, base, home);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::load::yaml::{Positions, parse};
    use std::sync::Arc;

    #[test]
    fn absolute_paths() {
        let base = Path::new("/p/q");
        assert_eq!(absolute(base, "./data", None), "/p/q/data");
        assert_eq!(absolute(base, "../x", None), "/p/x");
        assert_eq!(absolute(base, "/abs", None), "/abs");
        assert_eq!(absolute(base, "~/h", Some("/home/u")), "/home/u/h");
        assert_eq!(absolute(base, ".", None), "/p/q");
    }

    #[test]
    fn resolves_the_keys_that_hold_paths() {
        let mut tree = parse(
            "services:\n  a:\n    build: ./app\n    env_file: [x.env, {path: y.env}]\n    volumes: ['./d:/d:ro', 'named:/n', {type: bind, source: ../b, target: /b}]\n  b:\n    build: {dockerfile: D}\n    image: git\n    env_file: .env\n  c:\n    build: https://github.com/x/y.git\nsecrets:\n  s:\n    file: ./s.txt\n",
            &Arc::from("t.yml"),
        )
        .unwrap();
        resolve(&mut tree, Path::new("/proj"), None);
        let v = tree.to_json(&mut Positions::default());
        let a = &v["services"]["a"];
        assert_eq!(a["build"], "/proj/app");
        assert_eq!(a["env_file"][0], "/proj/x.env");
        assert_eq!(a["env_file"][1]["path"], "/proj/y.env");
        assert_eq!(a["volumes"][0], "/proj/d:/d:ro");
        assert_eq!(a["volumes"][1], "named:/n");
        assert_eq!(a["volumes"][2]["source"], "/b");
        assert_eq!(v["services"]["b"]["build"]["context"], "/proj");
        assert_eq!(v["services"]["b"]["env_file"], "/proj/.env");
        assert_eq!(v["services"]["c"]["build"], "https://github.com/x/y.git");
        assert_eq!(v["secrets"]["s"]["file"], "/proj/s.txt");
    }
}
