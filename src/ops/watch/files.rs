//! File events from the operating system (inotify on Linux, through `notify`), batched: a
//! batch closes once the paths have been quiet for a short while. A single save waits only
//! [`QUIET`]; once a burst shows (a `git checkout`, a build writing many files) the quiet
//! period grows to [`BURST_QUIET`] so that the burst stays one batch.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use notify::event::{AccessKind, AccessMode, EventKind};
use notify::{RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use tokio::time::Instant;

use crate::error::{Error, Result};

/// How long the paths must be quiet before a batch of a few events closes.
pub const QUIET: Duration = Duration::from_millis(10);
/// The quiet period once a batch has more than [`BURST_EVENTS`] events.
pub const BURST_QUIET: Duration = Duration::from_millis(150);
pub const BURST_EVENTS: usize = 16;
/// A batch closes after this long even if events keep coming.
pub const LONGEST_BATCH: Duration = Duration::from_secs(5);

/// Watched paths and the events on them.
pub struct Files {
    /// Kept alive: dropping it stops the events.
    _watcher: RecommendedWatcher,
    events: UnboundedReceiver<notify::Result<notify::Event>>,
    /// Errors the watcher reported (taken by the caller, which shows them).
    pub errors: Vec<String>,
}

impl Files {
    /// Watch `paths` (`true`: with everything below).
    pub fn watch(paths: &BTreeMap<PathBuf, bool>) -> Result<Files> {
        let (sender, events) = unbounded_channel();
        let mut watcher = notify::recommended_watcher(move |event| {
            let _ = sender.send(event);
        })
        .map_err(|e| Error::new(format!("cannot watch files: {e}")))?;
        for (path, recursive) in paths {
            let mode = if *recursive {
                RecursiveMode::Recursive
            } else {
                RecursiveMode::NonRecursive
            };
            watcher.watch(path, mode).map_err(|e| {
                let mut err = Error::new(format!("cannot watch {}: {e}", path.display()));
                if matches!(e.kind, notify::ErrorKind::MaxFilesWatch) {
                    err = err.with_hint(
                        "raise the inotify limit: sysctl fs.inotify.max_user_watches=524288",
                    );
                }
                err
            })?;
        }
        Ok(Files {
            _watcher: watcher,
            events,
            errors: Vec::new(),
        })
    }

    /// The next batch of changed paths (waits for the first change).
    pub async fn next_batch(&mut self) -> Result<BTreeSet<PathBuf>> {
        let mut batch = BTreeSet::new();
        let mut seen = 0usize;
        loop {
            let Some(event) = self.events.recv().await else {
                return Err(Error::new("the file watcher stopped"));
            };
            seen += add(&mut batch, &mut self.errors, event);
            if !batch.is_empty() {
                break;
            }
        }
        let started = Instant::now();
        loop {
            let quiet = if seen > BURST_EVENTS {
                BURST_QUIET
            } else {
                QUIET
            };
            let deadline = (Instant::now() + quiet).min(started + LONGEST_BATCH);
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(event)) => seen += add(&mut batch, &mut self.errors, event),
                Ok(None) => return Err(Error::new("the file watcher stopped")),
                Err(_) => return Ok(batch),
            }
        }
    }
}

/// Add the paths of `event` to `batch`; how many events it counts for (reads count for none).
fn add(
    batch: &mut BTreeSet<PathBuf>,
    errors: &mut Vec<String>,
    event: notify::Result<notify::Event>,
) -> usize {
    let event = match event {
        Ok(event) => event,
        Err(e) => {
            errors.push(format!("watching files: {e}"));
            return 0;
        }
    };
    if event.need_rescan() {
        errors.push(
            "the operating system dropped file events (too many at once): save the files again to sync them"
                .to_string(),
        );
    }
    let counts = match event.kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        _ => true,
    };
    if !counts {
        return 0;
    }
    batch.extend(event.paths);
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_burst_of_writes_is_one_batch_and_a_later_save_the_next() {
        let dir = std::env::temp_dir().join(format!("rcompose-watch-files-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        let mut files = Files::watch(&BTreeMap::from([(dir.clone(), true)])).unwrap();
        for i in 0..200 {
            std::fs::write(dir.join(format!("sub/f{i}")), "x").unwrap();
        }
        let batch = tokio::time::timeout(Duration::from_secs(30), files.next_batch())
            .await
            .expect("a batch")
            .unwrap();
        let written = batch
            .iter()
            .filter(|p| p.starts_with(dir.join("sub")))
            .count();
        assert!(written >= 200, "{} paths of 200 in the batch", written);
        std::fs::write(dir.join("later.txt"), "y").unwrap();
        let next = tokio::time::timeout(Duration::from_secs(30), files.next_batch())
            .await
            .expect("a second batch")
            .unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(next, BTreeSet::from([dir.join("later.txt")]));
        assert!(files.errors.is_empty(), "{:?}", files.errors);
    }
}
