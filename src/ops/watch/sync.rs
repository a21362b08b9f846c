//! Putting changed files into running containers: one tar stream per batch and container
//! through the engine's archive endpoint (files and directories with their mode and owner,
//! symbolic links as links), `rm -rf` of what was deleted on the host, and the `exec` of
//! `sync+exec` rules.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use bollard::Docker;
use bollard::query_parameters::UploadToContainerOptionsBuilder;
use futures_util::future::join_all;

use super::rules::{Mapping, Rule};
use crate::engine::exec::{self, ExecAs, Stream};
use crate::engine::{archive, errors};
use crate::error::{Error, Result};

/// What one batch writes and deletes in a service's containers.
#[derive(Debug, Default)]
pub struct Changes {
    /// The tar to extract at `/` (empty: nothing to copy).
    pub archive: Vec<u8>,
    /// Files in the archive.
    pub files: usize,
    /// Container paths to delete.
    pub deleted: Vec<String>,
}

/// The archive and deletions for `mappings`: an existing host path is copied (a directory with
/// what its rule takes below it), a missing one deleted.
pub fn changes(rules: &[Rule], mappings: &[&Mapping]) -> Result<Changes> {
    // Container path → host path, each entry once, parents before children.
    let mut entries: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut deleted = Vec::new();
    for mapping in mappings {
        let Some(container) = &mapping.container else {
            continue;
        };
        match std::fs::symlink_metadata(&mapping.host) {
            Ok(meta) => {
                entries.insert(container.clone(), mapping.host.clone());
                if meta.is_dir() {
                    walk(&rules[mapping.rule], &mapping.host, &mut entries)?;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                deleted.push(container.clone());
            }
            Err(e) => {
                return Err(Error::new(format!(
                    "cannot read {}: {e}",
                    mapping.host.display()
                )));
            }
        }
    }
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(false);
    let mut files = 0;
    for (container, host) in &entries {
        match archive::append_host(&mut builder, container, host) {
            Ok(true) => files += 1,
            Ok(false) => {}
            // Gone since the event: the next batch deletes it.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(Error::new(format!("cannot read {}: {e}", host.display())));
            }
        }
    }
    let archive = if entries.is_empty() {
        Vec::new()
    } else {
        builder
            .into_inner()
            .map_err(|e| Error::new(format!("cannot prepare files for the container: {e}")))?
    };
    Ok(Changes {
        archive,
        files,
        deleted,
    })
}

/// Add what `rule` takes below the directory `dir` to `entries`.
fn walk(rule: &Rule, dir: &Path, entries: &mut BTreeMap<String, PathBuf>) -> Result<()> {
    let list = match std::fs::read_dir(dir) {
        Ok(list) => list,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::new(format!("cannot read {}: {e}", dir.display()))),
    };
    for entry in list {
        let entry = entry.map_err(|e| Error::new(format!("cannot read {}: {e}", dir.display())))?;
        let path = entry.path();
        let Some(Some(container)) = rule.matches(&path) else {
            continue;
        };
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        entries.insert(container, path.clone());
        if is_dir {
            walk(rule, &path, entries)?;
        }
    }
    Ok(())
}

/// Apply `changes` to one container: deletions, then the archive.
pub async fn apply(docker: &Docker, id: &str, name: &str, changes: &Changes) -> Result<()> {
    if !changes.deleted.is_empty() {
        let mut command = vec!["rm".to_string(), "-rf".to_string()];
        command.extend(changes.deleted.iter().cloned());
        let (code, stderr) = run(docker, id, name, &command, &ExecAs::default(), false).await?;
        if code != 0 {
            return Err(Error::new(format!(
                "cannot delete {} in container {name}: rm exited with {code}: {}",
                changes.deleted.join(", "),
                stderr.trim()
            ))
            .with_hint("the image needs an `rm` command for deletions to be synced"));
        }
    }
    if !changes.archive.is_empty() {
        let options = UploadToContainerOptionsBuilder::default()
            .path("/")
            .copy_uidgid("true")
            .build();
        docker
            .upload_to_container(
                id,
                Some(options),
                bollard::body_full(changes.archive.clone().into()),
            )
            .await
            .map_err(|e| {
                errors::engine_error(format!("cannot copy files into container {name}"), &e)
            })?;
    }
    Ok(())
}

/// Run `command` in the container and wait for it; its exit code and, unless `show`, its
/// standard error. With `show`, its output goes to this process's standard output and error.
/// A container that is not running (any more) is an error here.
pub async fn run(
    docker: &Docker,
    id: &str,
    name: &str,
    command: &[String],
    how: &ExecAs,
    show: bool,
) -> Result<(i64, String)> {
    let mut errors_seen = Vec::new();
    let code = exec::run(
        docker,
        id,
        name,
        command,
        how,
        show,
        |stream, bytes| match (stream, show) {
            (Stream::Stdout, _) => {
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(bytes);
                let _ = out.flush();
            }
            (Stream::Stderr, true) => {
                let _ = std::io::stderr().write_all(bytes);
            }
            (Stream::Stderr, false) => errors_seen.extend_from_slice(bytes),
        },
    )
    .await?;
    let Some(code) = code else {
        return Err(Error::new(format!(
            "cannot run `{}` in container {name}: it is not running",
            command.join(" ")
        )));
    };
    Ok((code, String::from_utf8_lossy(&errors_seen).into_owned()))
}

/// Apply `changes` to every container of a service at once; the errors, per container.
pub async fn apply_all(
    docker: &Docker,
    containers: &[(String, String)],
    changes: &Changes,
) -> Vec<Error> {
    let results = join_all(
        containers
            .iter()
            .map(|(id, name)| apply(docker, id, name, changes)),
    )
    .await;
    results.into_iter().filter_map(|r| r.err()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::model::Project;
    use serde_json::json;
    use std::collections::BTreeSet;

    #[test]
    fn a_batch_becomes_one_archive_and_a_list_of_deletions() {
        let dir = std::env::temp_dir().join(format!("rcompose-watch-sync-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("src/sub/deep")).unwrap();
        std::fs::write(dir.join("src/a.txt"), "a").unwrap();
        std::fs::write(dir.join("src/sub/b.txt"), "bb").unwrap();
        std::fs::write(dir.join("src/sub/deep/c.txt"), "c").unwrap();
        std::fs::write(dir.join("src/sub/skip.log"), "x").unwrap();
        let p = Project::from_value(json!({"name": "p", "services": {"s": {"image": "x",
            "develop": {"watch": [{"path": dir.join("src").display().to_string(),
                "action": "sync", "target": "/app", "ignore": ["*.log", "sub/*.log"]}]}}}}))
        .unwrap();
        let rules = super::super::rules::rules(&p, &["s".to_string()]).unwrap();
        let changed: BTreeSet<PathBuf> = [
            dir.join("src/a.txt"),
            dir.join("src/sub"),
            dir.join("src/sub/b.txt"),
            dir.join("src/gone.txt"),
        ]
        .into_iter()
        .collect();
        let work = super::super::rules::plan(&rules, &changed);
        let mappings: Vec<&Mapping> = work["s"].sync.iter().collect();
        let changes = changes(&rules, &mappings).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(changes.deleted, ["/app/gone.txt"]);
        assert_eq!(changes.files, 3);
        let mut archive = tar::Archive::new(changes.archive.as_slice());
        let names: Vec<String> = archive
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect();
        assert_eq!(
            names,
            [
                "app/a.txt",
                "app/sub",
                "app/sub/b.txt",
                "app/sub/deep",
                "app/sub/deep/c.txt"
            ]
        );
    }
}
