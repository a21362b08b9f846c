//! `cp`: copy files and directories between a service container and the local filesystem,
//! with docker cp's rules: into an existing directory the copy keeps its name, otherwise it
//! takes the destination's name; `-` reads or writes a tar stream on standard input/output.

use std::io::Write;
use std::path::{Component, Path, PathBuf};

use bollard::Docker;
use bollard::query_parameters::{
    ContainerArchiveInfoOptions, DownloadFromContainerOptions, UploadToContainerOptions,
};
use bytes::Bytes;
use futures_util::StreamExt;

use crate::engine::errors::{engine_error, is_not_found, message_of};
use crate::engine::observe::ObservedContainer;
use crate::error::{Error, Result};

/// Go's `os.ModeDir` bit in the engine's path stat.
const MODE_DIR: u32 = 1 << 31;

/// One side of a copy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// `SERVICE:PATH`.
    Service { service: String, path: String },
    /// A local path, or `-` for standard input/output.
    Local(PathBuf),
}

impl Location {
    /// `web:/etc/hosts` is in a container; `./x`, `/x` and `C:x`-free local paths are not.
    pub fn parse(text: &str) -> Location {
        if text.starts_with('.') || text.starts_with('/') {
            return Location::Local(PathBuf::from(text));
        }
        match text.split_once(':') {
            Some((service, path)) if !service.is_empty() => Location::Service {
                service: service.to_string(),
                path: path.to_string(),
            },
            _ => Location::Local(PathBuf::from(text)),
        }
    }
}

/// The last component of a path (`/a/b/` → `b`), as the archive names its root.
fn base_name(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    let name = trimmed.rsplit('/').next().unwrap_or(trimmed);
    if name.is_empty() {
        ".".to_string()
    } else {
        name.to_string()
    }
}

/// The parent of a container path (`/a/b` → `/a`, `b` → `.`).
fn parent_of(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    match trimmed.rfind('/') {
        Some(0) => "/".to_string(),
        Some(i) => trimmed[..i].to_string(),
        None => ".".to_string(),
    }
}

/// Whether `path` in the container is an existing directory (`None`: it does not exist).
async fn container_path_is_dir(docker: &Docker, id: &str, path: &str) -> Result<Option<bool>> {
    let options = ContainerArchiveInfoOptions {
        path: path.to_string(),
    };
    match docker.get_container_archive_info(id, Some(options)).await {
        Ok(stat) => Ok(Some(stat.file_mode & MODE_DIR != 0)),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(engine_error(
            format!("cannot stat {path} in the container"),
            &e,
        )),
    }
}

/// A tar of local `source` whose root entry is named `root`.
fn pack(source: &Path, root: &str, follow_link: bool) -> Result<Vec<u8>> {
    let source = if follow_link {
        source.canonicalize()?
    } else {
        source.to_path_buf()
    };
    let meta = std::fs::symlink_metadata(&source)
        .map_err(|e| Error::new(format!("cannot copy {}: {e}", source.display())))?;
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(false);
    let packed = if meta.is_dir() {
        builder.append_dir_all(root, &source)
    } else {
        builder.append_path_with_name(&source, root)
    };
    packed.map_err(|e| Error::new(format!("cannot pack {}: {e}", source.display())))?;
    builder
        .into_inner()
        .map_err(|e| Error::new(format!("cannot pack {}: {e}", source.display())))
}

/// Copy local `source` (or a tar on stdin for `-`) to `path` in container `container`.
pub async fn to_container(
    docker: &Docker,
    container: &ObservedContainer,
    source: &Path,
    path: &str,
    follow_link: bool,
    archive: bool,
) -> Result<()> {
    let (directory, tar) = if source == Path::new("-") {
        let mut tar = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut tar)?;
        (path.to_string(), tar)
    } else {
        let source_name = source
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| ".".to_string());
        match container_path_is_dir(docker, &container.id, path).await? {
            Some(true) => (path.to_string(), pack(source, &source_name, follow_link)?),
            Some(false) | None => (
                parent_of(path),
                pack(source, &base_name(path), follow_link)?,
            ),
        }
    };
    let options = UploadToContainerOptions {
        path: directory.clone(),
        no_overwrite_dir_non_dir: None,
        copy_uidgid: archive.then(|| "1".to_string()),
    };
    docker
        .upload_to_container(
            &container.id,
            Some(options),
            bollard::body_full(Bytes::from(tar)),
        )
        .await
        .map_err(|e| engine_error(format!("cannot copy to {}:{directory}", container.name), &e))
}

/// `path` made of normal components only (an archive entry must not climb out).
fn safe_relative(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(out)
}

/// Copy `path` of container `container` to local `destination` (`-`: a tar on stdout).
pub async fn from_container(
    docker: &Docker,
    container: &ObservedContainer,
    path: &str,
    destination: &Path,
) -> Result<()> {
    let options = DownloadFromContainerOptions {
        path: path.to_string(),
    };
    let mut stream = docker.download_from_container(&container.id, Some(options));
    let mut tar = Vec::new();
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(bytes) => tar.extend_from_slice(&bytes),
            Err(e) if is_not_found(&e) => {
                return Err(Error::new(format!(
                    "no such file or directory in {}: {path}",
                    container.name
                )));
            }
            Err(e) => {
                return Err(Error::new(format!(
                    "cannot copy from {}:{path}: {}",
                    container.name,
                    message_of(&e)
                )));
            }
        }
    }
    if destination == Path::new("-") {
        let mut out = std::io::stdout().lock();
        out.write_all(&tar)?;
        out.flush()?;
        return Ok(());
    }
    // Into an existing directory the copy keeps its name; elsewhere it takes the
    // destination's name, in the destination's parent.
    let (directory, rename) = if destination.is_dir() {
        (destination.to_path_buf(), None)
    } else {
        let parent = match destination.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !parent.is_dir() {
            return Err(Error::new(format!(
                "cannot copy to {}: {} is not a directory",
                destination.display(),
                parent.display()
            )));
        }
        let name = destination
            .file_name()
            .map(PathBuf::from)
            .ok_or_else(|| Error::new(format!("invalid destination {}", destination.display())))?;
        (parent, Some(name))
    };
    let root = base_name(path);
    let mut archive = tar::Archive::new(std::io::Cursor::new(tar));
    let entries = archive
        .entries()
        .map_err(|e| Error::new(format!("cannot read the archive of {path}: {e}")))?;
    for entry in entries {
        let mut entry =
            entry.map_err(|e| Error::new(format!("cannot read the archive of {path}: {e}")))?;
        let entry_path = entry
            .path()
            .map_err(|e| Error::new(format!("bad path in the archive of {path}: {e}")))?
            .into_owned();
        let Some(relative) = safe_relative(&entry_path) else {
            return Err(Error::new(format!(
                "refusing to extract {} from the archive of {path}",
                entry_path.display()
            )));
        };
        let relative = match (&rename, relative.strip_prefix(&root)) {
            (Some(name), Ok(rest)) if rest.as_os_str().is_empty() => name.clone(),
            (Some(name), Ok(rest)) => name.join(rest),
            _ => relative,
        };
        // Never write through a symbolic link the archive itself created.
        let mut ancestor = directory.clone();
        for part in relative.parent().into_iter().flat_map(Path::components) {
            ancestor.push(part);
            if std::fs::symlink_metadata(&ancestor).is_ok_and(|m| m.file_type().is_symlink()) {
                return Err(Error::new(format!(
                    "refusing to extract {} through the symbolic link {}",
                    relative.display(),
                    ancestor.display()
                )));
            }
        }
        let target = directory.join(&relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        entry
            .unpack(&target)
            .map_err(|e| Error::new(format!("cannot write {}: {e}", target.display())))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_name_a_service_or_a_local_path() {
        assert_eq!(
            Location::parse("web:/etc/hosts"),
            Location::Service {
                service: "web".into(),
                path: "/etc/hosts".into()
            }
        );
        assert_eq!(
            Location::parse("./a:b"),
            Location::Local(PathBuf::from("./a:b"))
        );
        assert_eq!(Location::parse("-"), Location::Local(PathBuf::from("-")));
        assert_eq!(
            Location::parse("out"),
            Location::Local(PathBuf::from("out"))
        );
    }

    #[test]
    fn names_and_parents() {
        assert_eq!(base_name("/etc/hosts"), "hosts");
        assert_eq!(base_name("/data/dir/"), "dir");
        assert_eq!(parent_of("/tmp/x"), "/tmp");
        assert_eq!(parent_of("/x"), "/");
        assert_eq!(parent_of("x"), ".");
        assert_eq!(
            safe_relative(Path::new("./a/b")),
            Some(PathBuf::from("a/b"))
        );
        assert_eq!(safe_relative(Path::new("../a")), None);
        assert_eq!(safe_relative(Path::new("/a")), None);
    }
}
