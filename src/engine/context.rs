//! A build context as the tar the engine's classic builder reads: the context directory
//! without what `.dockerignore` excludes, files owned by root, symbolic links kept as links,
//! plus the Dockerfile when it lives outside the context or is given inline.

use std::fs;
use std::path::{Path, PathBuf};

use super::dockerignore::DockerIgnore;
use crate::error::{Error, Result};

/// Where the Dockerfile of a build comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dockerfile {
    /// A file: relative to the context directory, or absolute.
    Path(String),
    /// `dockerfile_inline`.
    Inline(String),
}

/// Name under which a Dockerfile from outside the context is added to the tar.
const EXTRA_DOCKERFILE: &str = ".rcompose.Dockerfile";

/// A context ready to send.
pub struct Context {
    pub tar: Vec<u8>,
    /// The Dockerfile's path inside the tar, for the build's `dockerfile` parameter.
    pub dockerfile: String,
}

/// The tar of the context directory `root` for a build with `dockerfile`.
pub fn tar(root: &Path, dockerfile: &Dockerfile) -> Result<Context> {
    if !root.is_dir() {
        return Err(Error::new(format!(
            "build context {} is not a directory",
            root.display()
        )));
    }
    let ignore = match fs::read_to_string(root.join(".dockerignore")) {
        Ok(text) => DockerIgnore::parse(&text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => DockerIgnore::default(),
        Err(e) => {
            return Err(Error::new(format!(
                "cannot read {}: {e}",
                root.join(".dockerignore").display()
            )));
        }
    };
    // The Dockerfile is sent even when it is outside the context or excluded: the builder
    // reads it from the tar.
    let (inside, extra): (Option<String>, Option<Vec<u8>>) = match dockerfile {
        Dockerfile::Inline(text) => (None, Some(text.clone().into_bytes())),
        Dockerfile::Path(path) => {
            let full = root.join(path);
            match relative_inside(root, &full) {
                Some(rel) => (Some(rel), None),
                None => {
                    let bytes = fs::read(&full).map_err(|e| {
                        Error::new(format!("cannot read Dockerfile {}: {e}", full.display()))
                    })?;
                    (None, Some(bytes))
                }
            }
        }
    };
    if let Some(rel) = &inside
        && !root.join(rel).is_file()
    {
        return Err(Error::new(format!(
            "Dockerfile {} not found in build context {}",
            rel,
            root.display()
        )));
    }
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(false);
    let mut walk = Walk {
        root,
        ignore: &ignore,
        keep: [inside.clone(), Some(".dockerignore".to_string())]
            .into_iter()
            .flatten()
            .collect(),
        builder: &mut builder,
    };
    walk.dir(root, "")?;
    let dockerfile = match extra {
        Some(bytes) => {
            let mut header = tar::Header::new_gnu();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            header.set_entry_type(tar::EntryType::Regular);
            header.set_mtime(0);
            builder
                .append_data(&mut header, EXTRA_DOCKERFILE, bytes.as_slice())
                .map_err(tar_error)?;
            EXTRA_DOCKERFILE.to_string()
        }
        None => inside.unwrap_or_else(|| "Dockerfile".to_string()),
    };
    let tar = builder.into_inner().map_err(tar_error)?;
    Ok(Context { tar, dockerfile })
}

fn tar_error(e: std::io::Error) -> Error {
    Error::new(format!("cannot write the build context: {e}"))
}

/// `path` relative to `root` (`/`-separated), if it lies inside (judged on the paths as
/// written, so a missing file inside still counts as inside).
fn relative_inside(root: &Path, path: &Path) -> Option<String> {
    let root = normalize(root);
    let path = normalize(path);
    let rel = path.strip_prefix(&root).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// `a/./b/../c` → `a/c`, without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

struct Walk<'a> {
    root: &'a Path,
    ignore: &'a DockerIgnore,
    /// Paths sent even when excluded.
    keep: Vec<String>,
    builder: &'a mut tar::Builder<Vec<u8>>,
}

impl Walk<'_> {
    fn dir(&mut self, dir: &Path, rel: &str) -> Result<()> {
        let read = |e: std::io::Error| Error::new(format!("cannot read {}: {e}", dir.display()));
        let mut entries: Vec<fs::DirEntry> = fs::read_dir(dir)
            .map_err(read)?
            .collect::<std::io::Result<_>>()
            .map_err(read)?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            let rel = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let meta = fs::symlink_metadata(&path)
                .map_err(|e| Error::new(format!("cannot read {}: {e}", path.display())))?;
            let excluded = self.ignore.excludes(&rel) && !self.keep.contains(&rel);
            if meta.is_dir() {
                if !excluded {
                    self.append(&path, &rel, &meta)?;
                }
                if !excluded || self.ignore.may_include_below(&rel) {
                    self.dir(&path, &rel)?;
                }
            } else if !excluded && (meta.is_file() || meta.file_type().is_symlink()) {
                self.append(&path, &rel, &meta)?;
            }
        }
        Ok(())
    }

    fn append(&mut self, path: &Path, rel: &str, meta: &fs::Metadata) -> Result<()> {
        let fail = |e: std::io::Error| {
            Error::new(format!(
                "cannot add {} to the build context: {e}",
                self.root.join(rel).display()
            ))
        };
        let mut header = tar::Header::new_gnu();
        header.set_metadata_in_mode(meta, tar::HeaderMode::Complete);
        // Files in a context belong to root, as the docker CLI sends them.
        header.set_uid(0);
        header.set_gid(0);
        let _ = header.set_username("");
        let _ = header.set_groupname("");
        if meta.file_type().is_symlink() {
            let target = fs::read_link(path).map_err(fail)?;
            self.builder
                .append_link(&mut header, rel, &target)
                .map_err(fail)?;
        } else if meta.is_dir() {
            header.set_size(0);
            self.builder
                .append_data(&mut header, format!("{rel}/"), std::io::empty())
                .map_err(fail)?;
        } else {
            let file = fs::File::open(path).map_err(fail)?;
            self.builder
                .append_data(&mut header, rel, file)
                .map_err(fail)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(tar_bytes: &[u8]) -> Vec<String> {
        let mut archive = tar::Archive::new(tar_bytes);
        let mut out = Vec::new();
        if let Ok(entries) = archive.entries() {
            for entry in entries.flatten() {
                if let Ok(path) = entry.path() {
                    out.push(path.to_string_lossy().into_owned());
                }
            }
        }
        out
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("rcompose-ctx-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        for (path, text) in [
            ("Dockerfile", "FROM scratch\n"),
            (
                ".dockerignore",
                "secret.txt\nlogs\n!logs/keep.log\n**/*.tmp\nDockerfile\n",
            ),
            ("secret.txt", "no"),
            ("app/main.sh", "echo hi"),
            ("app/x.tmp", "tmp"),
            ("logs/a.log", "a"),
            ("logs/keep.log", "keep"),
        ] {
            let full = dir.join(path);
            if let Some(parent) = full.parent() {
                fs::create_dir_all(parent).ok();
            }
            fs::write(full, text).ok();
        }
        dir
    }

    #[test]
    fn dockerignore_is_honoured_and_the_dockerfile_always_sent() {
        let dir = scratch("ignore");
        let context = tar(&dir, &Dockerfile::Path("Dockerfile".into()));
        let _ = fs::remove_dir_all(&dir);
        let context = context.unwrap();
        assert_eq!(context.dockerfile, "Dockerfile");
        assert_eq!(
            names(&context.tar),
            vec![
                ".dockerignore",
                "Dockerfile",
                "app/",
                "app/main.sh",
                "logs/keep.log"
            ]
        );
    }

    #[test]
    fn inline_and_outside_dockerfiles_are_added() {
        let dir = scratch("inline");
        let inline = tar(&dir, &Dockerfile::Inline("FROM scratch\n".into()));
        let outside = dir.join("app");
        let from_parent = tar(&outside, &Dockerfile::Path("../Dockerfile".into()));
        let _ = fs::remove_dir_all(&dir);
        let inline = inline.unwrap();
        assert_eq!(inline.dockerfile, EXTRA_DOCKERFILE);
        assert!(names(&inline.tar).contains(&EXTRA_DOCKERFILE.to_string()));
        let from_parent = from_parent.unwrap();
        assert_eq!(from_parent.dockerfile, EXTRA_DOCKERFILE);
        assert_eq!(
            names(&from_parent.tar),
            vec!["main.sh", "x.tmp", EXTRA_DOCKERFILE]
        );
    }

    #[test]
    fn a_missing_dockerfile_is_one_clear_error() {
        let dir = scratch("missing");
        let err = tar(&dir, &Dockerfile::Path("web.Dockerfile".into()));
        let _ = fs::remove_dir_all(&dir);
        let err = err.err().map(|e| e.message).unwrap_or_default();
        assert!(
            err.starts_with("Dockerfile web.Dockerfile not found in build context"),
            "{err}"
        );
    }
}
