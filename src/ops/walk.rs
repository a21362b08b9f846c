//! The one way work runs across services: walk a [`ServiceGraph`] forwards (each service once
//! its dependencies are done) or in reverse (each service once its dependents are done), with
//! at most `--parallel` visits at a time. A service's visit starts as soon as its *own*
//! prerequisites are done, never when a whole round of the graph is. Every service ends with
//! a typed [`Outcome`]: done, failed with its error, or skipped because a prerequisite it needs
//! failed (or was skipped itself).
//!
//! The cycle policy is the same for every verb: a graph with a cycle is not walked at all; the
//! error names the cycle ([`crate::error::ErrorKind::DependencyCycle`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::future::Future;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;

use crate::error::{Error, ErrorKind, Result};
use crate::graph::ServiceGraph;

/// Which way to walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Dependencies first (start, up, restart, unpause).
    Forward,
    /// Dependents first (stop, kill, pause, down, rm).
    Reverse,
}

/// How the visit of one node ended.
#[derive(Debug)]
pub enum Outcome {
    Done,
    Failed(Error),
    /// Not visited: `because` (a prerequisite, or the one behind it) failed.
    Skipped {
        because: String,
    },
}

impl Outcome {
    pub fn is_done(&self) -> bool {
        matches!(self, Outcome::Done)
    }
}

/// The outcome of every node, in the order they were settled.
#[derive(Debug)]
pub struct Walked<K> {
    pub outcomes: Vec<(K, Outcome)>,
}

impl<K: PartialEq> Walked<K> {
    /// The outcome of `node`.
    pub fn outcome(&self, node: &K) -> Option<&Outcome> {
        self.outcomes
            .iter()
            .find(|(k, _)| k == node)
            .map(|(_, outcome)| outcome)
    }

    /// `Ok` when nothing failed, else the first failure (a skipped node is never the error:
    /// the failure that caused it is).
    pub fn into_result(self) -> Result<()> {
        for (_, outcome) in self.outcomes {
            if let Outcome::Failed(e) = outcome {
                return Err(e);
            }
        }
        Ok(())
    }
}

/// A node's prerequisite: the node, and whether its failure means this node is skipped
/// (`false`: an optional dependency, whose failure the visit handles itself).
pub type Prerequisite<K> = (K, bool);

/// Walk `graph` in `direction`, visiting each service with `visit`, at most `limit` at a time
/// (`None`: no bound). Forwards, an optional dependency (`required: false`) that fails does not
/// skip its dependent; in reverse, a dependent that could not be handled leaves its
/// dependencies in place.
pub async fn walk<F, Fut>(
    graph: &ServiceGraph,
    direction: Direction,
    limit: Option<usize>,
    visit: F,
) -> Result<Walked<String>>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<()>>,
{
    graph.check()?;
    let mut tasks: BTreeMap<String, Vec<Prerequisite<String>>> = BTreeMap::new();
    for service in graph.services() {
        let prerequisites = match direction {
            Direction::Forward => graph
                .dependencies(service)
                .map(|(dep, how)| (dep.to_string(), how.required))
                .collect(),
            Direction::Reverse => graph
                .dependents(service)
                .map(|dependent| (dependent.to_string(), true))
                .collect(),
        };
        tasks.insert(service.to_string(), prerequisites);
    }
    walk_tasks(tasks, limit, visit).await
}

/// Run `visit` on every node of `tasks` (node → its prerequisites), each once its
/// prerequisites are settled, at most `limit` at a time; nodes that become ready together
/// start in key order. For task graphs that are not a [`ServiceGraph`] (`up` creates a
/// service's containers and starts them as two nodes). Prerequisites that are not nodes are
/// ignored; nodes on a cycle (or behind one) fail with [`ErrorKind::DependencyCycle`].
pub async fn walk_tasks<K, F, Fut>(
    tasks: BTreeMap<K, Vec<Prerequisite<K>>>,
    limit: Option<usize>,
    visit: F,
) -> Result<Walked<K>>
where
    K: Ord + Clone + fmt::Display,
    F: Fn(K) -> Fut,
    Fut: Future<Output = Result<()>>,
{
    let keys: Vec<K> = tasks.keys().cloned().collect();
    let index = |k: &K| keys.binary_search(k).ok();
    let n = keys.len();
    // `after[i]`: the nodes waiting for `i`, with whether they need it to succeed.
    let mut after: Vec<Vec<(usize, bool)>> = vec![Vec::new(); n];
    let mut waiting: Vec<usize> = vec![0; n];
    for (i, prerequisites) in tasks.values().enumerate() {
        let mut seen = BTreeSet::new();
        for (prerequisite, required) in prerequisites {
            if let Some(p) = index(prerequisite)
                && seen.insert(p)
            {
                after[p].push((i, *required));
                waiting[i] += 1;
            }
        }
    }
    let limit = limit.unwrap_or(usize::MAX).max(1);
    let mut settled: Vec<bool> = vec![false; n];
    let mut outcomes: Vec<(K, Outcome)> = Vec::with_capacity(n);
    let mut ready: BTreeSet<usize> = (0..n).filter(|&i| waiting[i] == 0).collect();
    let mut running = FuturesUnordered::new();
    let visit = &visit;
    loop {
        while running.len() < limit
            && let Some(i) = ready.pop_first()
        {
            let key = keys[i].clone();
            running.push(async move { (i, visit(key).await) });
        }
        let Some((i, result)) = running.next().await else {
            break;
        };
        let outcome = match result {
            Ok(()) => Outcome::Done,
            Err(e) => Outcome::Failed(e),
        };
        // Settle `i`, then everything its end decides: a dependent that needs a node that did
        // not get done is skipped, and so are the nodes that need it in turn.
        let mut settling = vec![(i, outcome)];
        while let Some((i, outcome)) = settling.pop() {
            settled[i] = true;
            let cause = match &outcome {
                Outcome::Done => None,
                Outcome::Failed(_) => Some(keys[i].to_string()),
                Outcome::Skipped { because } => Some(because.clone()),
            };
            for &(j, required) in &after[i] {
                if settled[j] {
                    continue;
                }
                match &cause {
                    Some(because) if required => {
                        if !settling.iter().any(|(k, _)| *k == j) {
                            ready.remove(&j);
                            settling.push((
                                j,
                                Outcome::Skipped {
                                    because: because.clone(),
                                },
                            ));
                        }
                    }
                    _ => {
                        waiting[j] -= 1;
                        if waiting[j] == 0 {
                            ready.insert(j);
                        }
                    }
                }
            }
            outcomes.push((keys[i].clone(), outcome));
        }
    }
    // Only nodes on a cycle, or behind one, are never ready.
    let stuck: Vec<String> = (0..n)
        .filter(|&i| !settled[i])
        .map(|i| keys[i].to_string())
        .collect();
    for i in (0..n).filter(|&i| !settled[i]) {
        let error = Error::new(format!(
            "dependency cycle: {} cannot be ordered (among {})",
            keys[i],
            stuck.join(", ")
        ))
        .with_kind(ErrorKind::DependencyCycle);
        outcomes.push((keys[i].clone(), Outcome::Failed(error)));
    }
    Ok(Walked { outcomes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::model::ServiceDependency;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// A graph of `(service, [(dependency, required)])`.
    fn graph(edges: &[(&str, &[(&str, bool)])]) -> ServiceGraph {
        let mut graph = ServiceGraph::default();
        for (service, deps) in edges {
            let deps = deps
                .iter()
                .map(|(dep, required)| {
                    let how = ServiceDependency {
                        required: *required,
                        ..ServiceDependency::default()
                    };
                    (dep.to_string(), how)
                })
                .collect();
            graph.insert(service, deps);
        }
        graph
    }

    /// What happened, in order: `+name` when a visit starts, `-name` when it ends.
    #[derive(Default)]
    struct Log {
        events: Mutex<Vec<String>>,
        running: AtomicUsize,
        most: AtomicUsize,
    }

    impl Log {
        fn push(&self, event: String) {
            self.events.lock().unwrap().push(event);
        }
        fn events(&self) -> Vec<String> {
            self.events.lock().unwrap().clone()
        }
        fn position(&self, event: &str) -> usize {
            self.events()
                .iter()
                .position(|e| e == event)
                .unwrap_or_else(|| panic!("{event} not in {:?}", self.events()))
        }
        /// Fake work: `delay` of (paused) time, failing for the names in `fail`.
        async fn work(
            &self,
            name: String,
            delay: &BTreeMap<&str, u64>,
            fail: &[&str],
        ) -> Result<()> {
            let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
            self.most.fetch_max(now, Ordering::SeqCst);
            self.push(format!("+{name}"));
            let ms = delay.get(name.as_str()).copied().unwrap_or(10);
            tokio::time::sleep(Duration::from_millis(ms)).await;
            self.push(format!("-{name}"));
            self.running.fetch_sub(1, Ordering::SeqCst);
            if fail.contains(&name.as_str()) {
                return Err(Error::new(format!("{name} broke")));
            }
            Ok(())
        }
    }

    static NO_DELAYS: BTreeMap<&str, u64> = BTreeMap::new();

    #[tokio::test(start_paused = true)]
    async fn forwards_each_service_starts_once_its_own_dependencies_are_done() {
        // `d` needs only `b`, which needs only `fast`; `c` needs `slow`. By rounds `d` would
        // wait for `c`, and so for `slow`.
        let g = graph(&[
            ("slow", &[]),
            ("fast", &[]),
            ("b", &[("fast", true)]),
            ("c", &[("slow", true)]),
            ("d", &[("b", true)]),
        ]);
        let log = Log::default();
        let delays = BTreeMap::from([("slow", 1000), ("fast", 10), ("b", 10)]);
        let walked = walk(&g, Direction::Forward, None, |s| log.work(s, &delays, &[]))
            .await
            .expect("acyclic");
        assert!(walked.outcomes.iter().all(|(_, o)| o.is_done()));
        assert!(log.position("-fast") < log.position("+b"));
        assert!(log.position("-b") < log.position("+d"));
        assert!(log.position("-slow") < log.position("+c"));
        assert!(
            log.position("-d") < log.position("-slow"),
            "{:?}",
            log.events()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn in_reverse_each_service_goes_once_its_dependents_are_done() {
        let g = graph(&[
            ("app", &[("db", true), ("cache", true)]),
            ("db", &[("net", true)]),
            ("cache", &[("net", true)]),
            ("net", &[]),
            ("tool", &[]),
        ]);
        let log = Log::default();
        let delays = BTreeMap::from([("cache", 500)]);
        walk(&g, Direction::Reverse, None, |s| log.work(s, &delays, &[]))
            .await
            .expect("acyclic")
            .into_result()
            .expect("all done");
        for (first, then) in [
            ("app", "db"),
            ("app", "cache"),
            ("db", "net"),
            ("cache", "net"),
        ] {
            assert!(
                log.position(&format!("-{first}")) < log.position(&format!("+{then}")),
                "{first} before {then}: {:?}",
                log.events()
            );
        }
        // `db` does not wait for `cache`, its sibling.
        assert!(log.position("-db") < log.position("-cache"));
        // Nothing depends on `tool` or `app`: both go at once.
        assert_eq!(&log.events()[..2], ["+app", "+tool"]);
    }

    #[tokio::test(start_paused = true)]
    async fn the_bound_holds_and_ready_services_start_in_name_order() {
        let names: Vec<String> = (0..12).map(|i| format!("s{i:02}")).collect();
        let edges: Vec<(&str, &[(&str, bool)])> =
            names.iter().map(|n| (n.as_str(), &[][..])).collect();
        let g = graph(&edges);
        for limit in [1, 3] {
            let log = Log::default();
            walk(&g, Direction::Forward, Some(limit), |s| {
                log.work(s, &NO_DELAYS, &[])
            })
            .await
            .expect("acyclic");
            assert_eq!(log.most.load(Ordering::SeqCst), limit);
            let starts: Vec<String> = log
                .events()
                .into_iter()
                .filter(|e| e.starts_with('+'))
                .collect();
            let expected: Vec<String> = names.iter().map(|n| format!("+{n}")).collect();
            assert_eq!(starts, expected);
        }
        let log = Log::default();
        walk(&g, Direction::Forward, None, |s| {
            log.work(s, &NO_DELAYS, &[])
        })
        .await
        .expect("acyclic");
        assert_eq!(log.most.load(Ordering::SeqCst), 12, "no bound");
    }

    #[tokio::test(start_paused = true)]
    async fn a_failure_skips_what_needs_it_and_nothing_else() {
        let g = graph(&[
            ("db", &[]),
            ("api", &[("db", true)]),
            ("web", &[("api", true)]),
            ("report", &[("db", false)]),
            ("tool", &[]),
        ]);
        let log = Log::default();
        let walked = walk(&g, Direction::Forward, None, |s| {
            log.work(s, &NO_DELAYS, &["db"])
        })
        .await
        .expect("acyclic");
        let skipped = |name: &str| match walked.outcome(&name.to_string()) {
            Some(Outcome::Skipped { because }) => Some(because.clone()),
            _ => None,
        };
        assert!(matches!(
            walked.outcome(&"db".to_string()),
            Some(Outcome::Failed(_))
        ));
        assert_eq!(skipped("api").as_deref(), Some("db"));
        assert_eq!(
            skipped("web").as_deref(),
            Some("db"),
            "the cause, not the messenger"
        );
        assert!(
            walked
                .outcome(&"report".to_string())
                .is_some_and(Outcome::is_done),
            "optional"
        );
        assert!(
            walked
                .outcome(&"tool".to_string())
                .is_some_and(Outcome::is_done)
        );
        assert!(!log.events().contains(&"+api".to_string()));
        assert_eq!(walked.into_result().unwrap_err().message, "db broke");

        // In reverse, a dependent that could not be handled keeps its dependencies.
        let log = Log::default();
        let walked = walk(&g, Direction::Reverse, None, |s| {
            log.work(s, &NO_DELAYS, &["web"])
        })
        .await
        .expect("acyclic");
        for kept in ["api", "db"] {
            assert!(
                matches!(walked.outcome(&kept.to_string()), Some(Outcome::Skipped { because }) if because == "web"),
                "{kept}"
            );
        }
        assert!(
            walked
                .outcome(&"report".to_string())
                .is_some_and(Outcome::is_done)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_cycle_is_refused_before_anything_runs() {
        let g = graph(&[("a", &[("b", true)]), ("b", &[("a", true)]), ("c", &[])]);
        let log = Log::default();
        for direction in [Direction::Forward, Direction::Reverse] {
            let err = walk(&g, direction, None, |s| log.work(s, &NO_DELAYS, &[]))
                .await
                .expect_err("cycle");
            assert_eq!(err.kind, ErrorKind::DependencyCycle);
            assert_eq!(
                err.message,
                "dependency cycle between services: a -> b -> a"
            );
        }
        assert!(log.events().is_empty());
        // A task graph that loops fails the nodes on the loop, and runs the rest.
        let tasks = BTreeMap::from([
            ("a".to_string(), vec![("b".to_string(), true)]),
            ("b".to_string(), vec![("a".to_string(), true)]),
            ("c".to_string(), vec![]),
        ]);
        let walked = walk_tasks(tasks, None, |s| log.work(s, &NO_DELAYS, &[]))
            .await
            .expect("walked");
        assert!(
            walked
                .outcome(&"c".to_string())
                .is_some_and(Outcome::is_done)
        );
        assert!(matches!(
            walked.outcome(&"a".to_string()),
            Some(Outcome::Failed(e)) if e.kind == ErrorKind::DependencyCycle
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn unknown_dependencies_are_ignored() {
        let g = graph(&[("a", &[("ghost", true)]), ("b", &[("a", true)])]);
        let log = Log::default();
        walk(&g, Direction::Forward, Some(1), |s| {
            log.work(s, &NO_DELAYS, &[])
        })
        .await
        .expect("acyclic")
        .into_result()
        .expect("done");
        assert_eq!(log.events(), ["+a", "-a", "+b", "-b"]);
    }
}
