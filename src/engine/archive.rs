//! Tar archives of a few in-memory files, the form the engine's archive endpoint
//! (`PUT /containers/{id}/archive`) takes to write files into a container: how rcompose puts
//! secrets and configs that are not bind mounts in place, with their mode, owner and group.

use crate::error::{Error, Result};

const BLOCK: usize = 512;

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

/// A ustar archive of `entries`, for extraction at `/`.
pub fn tar(entries: &[Entry<'_>]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for entry in entries {
        out.extend_from_slice(&header(entry)?);
        out.extend_from_slice(entry.content);
        let padding = (BLOCK - entry.content.len() % BLOCK) % BLOCK;
        out.resize(out.len() + padding, 0);
    }
    // Two empty blocks end the archive.
    out.resize(out.len() + 2 * BLOCK, 0);
    Ok(out)
}

fn header(entry: &Entry<'_>) -> Result<[u8; BLOCK]> {
    let mut h = [0u8; BLOCK];
    let path = entry.path.trim_start_matches('/');
    let (prefix, name) = split_path(path).ok_or_else(|| {
        Error::new(format!(
            "the path {} is too long to write into a container",
            entry.path
        ))
    })?;
    put(&mut h[0..100], name.as_bytes());
    octal(&mut h[100..108], u64::from(entry.mode & 0o7777));
    octal(&mut h[108..116], u64::from(entry.uid));
    octal(&mut h[116..124], u64::from(entry.gid));
    octal(&mut h[124..136], entry.content.len() as u64);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    octal(&mut h[136..148], now);
    h[156] = b'0'; // a regular file
    put(&mut h[257..263], b"ustar\0");
    put(&mut h[263..265], b"00");
    put(&mut h[345..500], prefix.as_bytes());
    // The checksum is computed with its own field as spaces.
    h[148..156].fill(b' ');
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    octal(&mut h[148..155], u64::from(sum));
    h[155] = b' ';
    Ok(h)
}

/// Split a path into ustar's prefix (up to 155 bytes) and name (up to 100 bytes).
fn split_path(path: &str) -> Option<(&str, &str)> {
    if path.len() <= 100 {
        return Some(("", path));
    }
    path.char_indices()
        .filter(|&(_, c)| c == '/')
        .map(|(i, _)| (&path[..i], &path[i + 1..]))
        .find(|(prefix, name)| prefix.len() <= 155 && name.len() <= 100 && !name.is_empty())
}

fn put(field: &mut [u8], bytes: &[u8]) {
    let n = bytes.len().min(field.len());
    field[..n].copy_from_slice(&bytes[..n]);
}

/// `value` in octal, zero-padded, NUL-terminated, filling `field`.
fn octal(field: &mut [u8], value: u64) {
    let digits = field.len() - 1;
    let text = format!("{value:0digits$o}");
    let bytes = text.as_bytes();
    let start = bytes.len().saturating_sub(digits);
    put(field, &bytes[start..]);
    field[digits] = 0;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_with_mode_and_owner() {
        let archive = tar(&[Entry {
            path: "/run/secrets/token",
            content: b"s3cret",
            mode: 0o440,
            uid: 1000,
            gid: 50,
        }])
        .expect("tar");
        assert_eq!(archive.len(), 4 * BLOCK);
        let h = &archive[..BLOCK];
        assert_eq!(&h[..18], b"run/secrets/token\0");
        assert_eq!(&h[100..108], b"0000440\0");
        assert_eq!(&h[108..116], b"0001750\0");
        assert_eq!(&h[116..124], b"0000062\0");
        assert_eq!(&h[124..136], b"00000000006\0");
        assert_eq!(h[156], b'0');
        assert_eq!(&h[257..263], b"ustar\0");
        let stored: u32 = std::str::from_utf8(&h[148..154])
            .ok()
            .and_then(|s| u32::from_str_radix(s, 8).ok())
            .unwrap_or(0);
        let mut blank = [0u8; BLOCK];
        blank.copy_from_slice(h);
        blank[148..156].fill(b' ');
        assert_eq!(stored, blank.iter().map(|&b| u32::from(b)).sum::<u32>());
        assert_eq!(&archive[BLOCK..BLOCK + 6], b"s3cret");
    }

    #[test]
    fn long_paths_use_the_prefix() {
        let dir = "d".repeat(120);
        let path = format!("/{dir}/file");
        let archive = tar(&[Entry {
            path: &path,
            content: b"",
            mode: 0o444,
            uid: 0,
            gid: 0,
        }])
        .expect("tar");
        assert_eq!(&archive[..5], b"file\0");
        assert_eq!(&archive[345..465], dir.as_bytes());
        let too_long = format!("/{}", "x".repeat(300));
        assert!(
            tar(&[Entry {
                path: &too_long,
                content: b"",
                mode: 0,
                uid: 0,
                gid: 0
            }])
            .is_err()
        );
    }
}
