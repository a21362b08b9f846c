//! Tar archives of a few in-memory files, the form the engine's archive endpoint
//! (`PUT /containers/{id}/archive`) takes to write files into a container: how rcompose puts
//! secrets and configs that are not bind mounts in place, with their mode, owner and group,
//! and how `watch` copies host files into containers ([`append_host`]).

use std::path::Path;

use crate::error::{Error, Result};

/// One regular file of an archive.
#[derive(Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    /// Absolute path in the container.
    pub path: &'a str,
    pub content: &'a [u8],
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

/// A tar archive of `entries`, for extraction at `/`.
pub fn tar(entries: &[Entry<'_>]) -> Result<Vec<u8>> {
    let mtime = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut builder = tar::Builder::new(Vec::new());
    for entry in entries {
        let failed = |e: std::io::Error| {
            Error::new(format!(
                "cannot prepare {} for the container: {e}",
                entry.path
            ))
        };
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(entry.content.len() as u64);
        header.set_mode(entry.mode & 0o7777);
        header.set_uid(u64::from(entry.uid));
        header.set_gid(u64::from(entry.gid));
        header.set_mtime(mtime);
        builder
            .append_data(
                &mut header,
                entry.path.trim_start_matches('/'),
                entry.content,
            )
            .map_err(failed)?;
    }
    builder
        .into_inner()
        .map_err(|e| Error::new(format!("cannot prepare files for the container: {e}")))
}

/// Append the host file, directory or symbolic link `host` to `builder` as `container` (an
/// absolute path in the container), with its mode, owner and modification time; whether it
/// was a regular file. Other kinds of files (sockets, fifos, devices) are left out.
pub fn append_host(
    builder: &mut tar::Builder<Vec<u8>>,
    container: &str,
    host: &Path,
) -> std::io::Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::symlink_metadata(host)?;
    let name = container.trim_start_matches('/');
    let mut header = tar::Header::new_gnu();
    header.set_mode(meta.mode() & 0o7777);
    header.set_uid(u64::from(meta.uid()));
    header.set_gid(u64::from(meta.gid()));
    header.set_mtime(u64::try_from(meta.mtime()).unwrap_or(0));
    if meta.is_dir() {
        header.set_entry_type(tar::EntryType::Directory);
        header.set_size(0);
        builder.append_data(&mut header, name, std::io::empty())?;
        Ok(false)
    } else if meta.file_type().is_symlink() {
        header.set_entry_type(tar::EntryType::Symlink);
        header.set_size(0);
        let target = std::fs::read_link(host)?;
        builder.append_link(&mut header, name, target)?;
        Ok(false)
    } else if meta.is_file() {
        let content = std::fs::read(host)?;
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(content.len() as u64);
        builder.append_data(&mut header, name, content.as_slice())?;
        Ok(true)
    } else {
        // Sockets, fifos, devices: nothing to copy.
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(archive: &[u8]) -> Vec<(String, u32, u64, u64, Vec<u8>)> {
        let mut reader = tar::Archive::new(archive);
        let mut found = Vec::new();
        for entry in reader.entries().expect("entries") {
            let mut entry = entry.expect("entry");
            let header = entry.header().clone();
            let mut content = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut content).expect("content");
            found.push((
                entry.path().expect("path").display().to_string(),
                header.mode().expect("mode"),
                header.uid().expect("uid"),
                header.gid().expect("gid"),
                content,
            ));
        }
        found
    }

    #[test]
    fn files_keep_their_mode_owner_and_content() {
        let long = format!("/{}/file", "d".repeat(150));
        let archive = tar(&[
            Entry {
                path: "/run/secrets/token",
                content: b"s3cret",
                mode: 0o440,
                uid: 1000,
                gid: 50,
            },
            Entry {
                path: &long,
                content: b"",
                mode: 0o444,
                uid: 0,
                gid: 0,
            },
        ])
        .expect("tar");
        let found = read(&archive);
        assert_eq!(
            found[0],
            (
                "run/secrets/token".to_string(),
                0o440,
                1000,
                50,
                b"s3cret".to_vec()
            )
        );
        assert_eq!(found[1].0, long.trim_start_matches('/'));
        assert_eq!(found[1].1, 0o444);
    }
}
