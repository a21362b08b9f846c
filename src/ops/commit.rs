//! `commit` and `export`: an image made from a service container's changes, and a service
//! container's filesystem as a tar archive.

use bollard::Docker;
use bollard::models::ContainerConfig;
use bollard::query_parameters::CommitContainerOptionsBuilder;
use futures_util::StreamExt;

use crate::engine::errors;
use crate::engine::observe::ObservedContainer;
use crate::error::{Error, Result};
use crate::progress::{Action, Progress};

/// What `commit` records.
#[derive(Clone, Debug, Default)]
pub struct CommitOptions {
    /// `REPOSITORY[:TAG]`, when given.
    pub reference: Option<String>,
    pub author: Option<String>,
    pub message: Option<String>,
    /// Dockerfile instructions to apply (`-c 'ENV A=1'`).
    pub changes: Vec<String>,
    pub pause: bool,
}

/// Commit `c` as an image; its ID.
pub async fn commit(
    docker: &Docker,
    c: &ObservedContainer,
    options: &CommitOptions,
    progress: &Progress,
) -> Result<String> {
    let (repo, tag) = match options.reference.as_deref() {
        Some(reference) => split_reference(reference),
        None => (String::new(), String::new()),
    };
    let mut builder = CommitContainerOptionsBuilder::default()
        .container(&c.id)
        .pause(options.pause);
    if !repo.is_empty() {
        builder = builder.repo(&repo);
    }
    if !tag.is_empty() {
        builder = builder.tag(&tag);
    }
    if let Some(author) = &options.author {
        builder = builder.author(author);
    }
    if let Some(message) = &options.message {
        builder = builder.comment(message);
    }
    let changes = options.changes.join("\n");
    if !changes.is_empty() {
        builder = builder.changes(&changes);
    }
    progress.container(&c.name, Action::Committing);
    let answer = docker
        .commit_container(builder.build(), ContainerConfig::default())
        .await
        .map_err(|e| errors::engine_error(format!("cannot commit container {}", c.name), &e))?;
    progress.container(&c.name, Action::Committed(answer.id.clone()));
    Ok(answer.id)
}

/// `repo[:tag]` → (repo, tag); a `:` inside a registry's host:port is not a tag.
fn split_reference(reference: &str) -> (String, String) {
    match reference.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo.to_string(), tag.to_string()),
        _ => (reference.to_string(), String::new()),
    }
}

/// Write the filesystem of `c` as a tar archive to `out`.
pub async fn export(
    docker: &Docker,
    c: &ObservedContainer,
    out: &mut dyn std::io::Write,
    progress: &Progress,
) -> Result<()> {
    progress.container(&c.name, Action::Exporting);
    let mut stream = docker.export_container(&c.id);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|e| errors::engine_error(format!("cannot export container {}", c.name), &e))?;
        out.write_all(&chunk)
            .map_err(|e| Error::new(format!("cannot write the archive: {e}")))?;
    }
    out.flush()
        .map_err(|e| Error::new(format!("cannot write the archive: {e}")))?;
    progress.container(&c.name, Action::Exported);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_split_at_the_tag_only() {
        assert_eq!(split_reference("app:1"), ("app".into(), "1".into()));
        assert_eq!(split_reference("app"), ("app".into(), String::new()));
        assert_eq!(
            split_reference("registry:5000/app"),
            ("registry:5000/app".into(), String::new())
        );
        assert_eq!(
            split_reference("registry:5000/app:2"),
            ("registry:5000/app".into(), "2".into())
        );
    }
}
