//! A lock on one engine object name for the processes of this machine, held while a network is
//! looked up and created.
//!
//! The engine lets two networks share a name: two `up`s of one project started together would
//! each create the project's network, and a network's creation time is set before it becomes
//! visible, so the two cannot always agree afterwards which one to keep (one of them may remove
//! the network the other's containers were just created on). Holding this lock from the lookup
//! to the end of the create makes the second `up` find the first one's network. Processes on
//! other machines talking to the same engine are not covered: for them the oldest-wins rule of
//! [`super::resources::ensure_network`] remains.
//!
//! The lock files stay (one empty file per network name): removing one while another process
//! waits on it would let a third take a second lock on a new file of the same name.

use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::io::AsRawFd;
use std::path::PathBuf;

/// Held until dropped (closing the file releases the lock).
pub struct NameLock {
    _file: File,
}

/// Where the lock files live: one directory per user, so that users do not share files.
fn directory() -> PathBuf {
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    std::env::temp_dir().join(format!("rcompose-{uid}"))
}

/// Take the lock on `kind`/`name` (waiting for another process holding it). Best effort: when
/// the lock file cannot be made (read-only temp directory), `None` and the caller goes on
/// unlocked.
pub async fn lock(kind: &str, name: &str) -> Option<NameLock> {
    let dir = directory();
    let path = dir.join(format!("{kind}-{}.lock", file_safe(name)));
    tokio::task::spawn_blocking(move || {
        fs::create_dir_all(&dir).ok()?;
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&path)
            .ok()?;
        // SAFETY: the descriptor belongs to `file`, which outlives the call.
        let locked = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0;
        locked.then_some(NameLock { _file: file })
    })
    .await
    .ok()
    .flatten()
}

/// `name` with every character outside `[A-Za-z0-9_.-]` replaced, so it is one file name.
fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_.-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn names_become_one_file_name() {
        assert_eq!(file_safe("app_default"), "app_default");
        assert_eq!(file_safe("a/b:c"), "a_b_c");
    }

    #[tokio::test]
    async fn a_second_holder_waits_for_the_first() {
        let name = format!("test-{}", std::process::id());
        let first = lock("network", &name).await.expect("first lock");
        let path = directory().join(format!("network-{name}.lock"));
        let second = tokio::spawn(async move { lock("network", &name).await });
        // The second cannot get it while the first is held.
        let waited = tokio::time::timeout(Duration::from_millis(300), async {
            while !second.is_finished() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
        assert!(
            waited.is_err(),
            "the second lock was granted while the first was held"
        );
        drop(first);
        let granted = second.await.expect("join").is_some();
        let _ = fs::remove_file(path);
        assert!(granted, "granted once released");
    }
}
