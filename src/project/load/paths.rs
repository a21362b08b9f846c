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
    s.starts_with('/') || s.starts_with('.') || s.starts_with('~')
}

fn rebase_scalar(node: &mut Node, base: &Path, home: Option<&str>) {
    if let Value::Str(s) = &mut node.value
        && !is_remote_context(s)
    {
        *s = absolute(base, s, home);
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
}

/// Make the relative paths of one service definition absolute against `base`.
pub fn resolve_service(service: &mut Node, base: &Path, home: Option<&str>) {
    if let Some(build) = service.get_mut("build") {
        match &mut build.value {
            Value::Str(_) => rebase_scalar(build, base, home),
            Value::Map(_) => {
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
                    if let Some((source, rest)) = s.split_once(':')
                        && is_local_path(source)
                    {
                        *s = format!("{}:{rest}", absolute(base, source, home));
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
