//! Dependency ordering of services: start-up waves, teardown waves, cycle reports and the
//! transitive closure used by `up svc`.
//!
//! A graph is a map from node name to the names it depends on. Dependencies naming nodes that
//! are not keys of the map are ignored here; the loader reports those separately.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

/// A dependency cycle, starting and ending at the lexicographically smallest node on it,
/// e.g. `["a", "b", "c", "a"]`; a self-loop is `["a", "a"]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cycle {
    pub path: Vec<String>,
}

impl fmt::Display for Cycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path.join(" -> "))
    }
}

impl std::error::Error for Cycle {}

/// Nodes in waves: every node comes after all of its dependencies; nodes within a wave are
/// independent and sorted by name.
pub fn waves(deps: &BTreeMap<String, Vec<String>>) -> Result<Vec<Vec<String>>, Cycle> {
    let graph = Graph::new(deps);
    graph.layers(&graph.deps)
}

/// Reverse order for teardown (dependents first).
///
/// Computed on the reversed graph, so a node is stopped as soon as everything that depends on
/// it has been stopped; nodes that nothing depends on all go in the first wave.
pub fn reverse_waves(deps: &BTreeMap<String, Vec<String>>) -> Result<Vec<Vec<String>>, Cycle> {
    let graph = Graph::new(deps);
    graph.layers(&graph.dependents)
}

/// The given services plus everything they depend on, transitively (for `up svc`).
///
/// The roots are always included, even when they are not keys of `deps` (the caller validates
/// names); dependencies that are not keys of `deps` are ignored, as in [`waves`].
pub fn with_dependencies(
    deps: &BTreeMap<String, Vec<String>>,
    roots: &[String],
) -> BTreeSet<String> {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut stack: Vec<&str> = Vec::new();
    for root in roots {
        if seen.insert(root.clone()) {
            stack.push(root);
        }
    }
    while let Some(node) = stack.pop() {
        for dep in deps.get(node).into_iter().flatten() {
            if deps.contains_key(dep) && seen.insert(dep.clone()) {
                stack.push(dep);
            }
        }
    }
    seen
}

/// The given services plus everything that depends on them, transitively (for `down svc`).
pub fn with_dependents(deps: &BTreeMap<String, Vec<String>>, roots: &[String]) -> BTreeSet<String> {
    let mut dependents: BTreeMap<String, Vec<String>> =
        deps.keys().map(|k| (k.clone(), Vec::new())).collect();
    for (node, its_deps) in deps {
        for dep in its_deps {
            if let Some(list) = dependents.get_mut(dep) {
                list.push(node.clone());
            }
        }
    }
    with_dependencies(&dependents, roots)
}

/// The graph with node indices, in name order, and de-duplicated edges in both directions.
struct Graph<'a> {
    names: Vec<&'a str>,
    /// `deps[i]`: the nodes `i` depends on, sorted by name.
    deps: Vec<Vec<usize>>,
    /// `dependents[i]`: the nodes that depend on `i`, sorted by name.
    dependents: Vec<Vec<usize>>,
}

impl<'a> Graph<'a> {
    fn new(map: &'a BTreeMap<String, Vec<String>>) -> Self {
        let names: Vec<&str> = map.keys().map(String::as_str).collect();
        // `names` is sorted (BTreeMap order), so binary search gives the index.
        let index = |name: &str| names.binary_search(&name).ok();
        let mut deps = vec![Vec::new(); names.len()];
        let mut dependents = vec![Vec::new(); names.len()];
        for (i, targets) in map.values().enumerate() {
            let set: BTreeSet<usize> = targets.iter().filter_map(|t| index(t)).collect();
            for &j in &set {
                dependents[j].push(i);
            }
            deps[i] = set.into_iter().collect();
        }
        // Each `dependents[j]` was filled in increasing `i`, so it is already sorted.
        Graph {
            names,
            deps,
            dependents,
        }
    }

    /// Kahn's algorithm by rounds: a node goes in the first round after all of its `before`
    /// nodes. Returns the rounds (each sorted by name) and which nodes were placed; nodes on
    /// or behind a cycle are never placed.
    fn rounds(&self, before: &[Vec<usize>]) -> (Vec<Vec<usize>>, Vec<bool>) {
        let n = self.names.len();
        let mut after: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut waiting: Vec<usize> = vec![0; n];
        for (i, prerequisites) in before.iter().enumerate() {
            waiting[i] = prerequisites.len();
            for &p in prerequisites {
                after[p].push(i);
            }
        }
        let mut current: Vec<usize> = (0..n).filter(|&i| waiting[i] == 0).collect();
        let mut placed = vec![false; n];
        let mut rounds = Vec::new();
        while !current.is_empty() {
            let mut next = Vec::new();
            for &i in &current {
                placed[i] = true;
                for &j in &after[i] {
                    waiting[j] -= 1;
                    if waiting[j] == 0 {
                        next.push(j);
                    }
                }
            }
            // Indices follow name order, so sorting indices sorts names.
            current.sort_unstable();
            rounds.push(std::mem::replace(&mut current, next));
        }
        (rounds, placed)
    }

    /// Waves of names in the order given by `before`, or the cycle that prevents one.
    fn layers(&self, before: &[Vec<usize>]) -> Result<Vec<Vec<String>>, Cycle> {
        let (rounds, placed) = self.rounds(before);
        if placed.contains(&false) {
            return Err(self.cycle());
        }
        Ok(rounds
            .into_iter()
            .map(|round| {
                round
                    .into_iter()
                    .map(|i| self.names[i].to_string())
                    .collect()
            })
            .collect())
    }

    /// A shortest cycle through the smallest node that lies on any cycle. Only called when a
    /// cycle exists.
    fn cycle(&self) -> Cycle {
        // A node on a cycle can be placed neither after its dependencies nor before its
        // dependents; skipping nodes that can be keeps the search short.
        let (_, forward) = self.rounds(&self.deps);
        let (_, backward) = self.rounds(&self.dependents);
        let candidates = (0..self.names.len()).filter(|&i| !forward[i] && !backward[i]);
        for start in candidates {
            if let Some(path) = self.shortest_cycle_through(start) {
                return Cycle {
                    path: path
                        .into_iter()
                        .map(|i| self.names[i].to_string())
                        .collect(),
                };
            }
        }
        Cycle { path: Vec::new() }
    }

    /// Breadth-first search along dependencies from `start` back to `start`; neighbours are
    /// visited in name order, so the result is deterministic.
    fn shortest_cycle_through(&self, start: usize) -> Option<Vec<usize>> {
        let mut parent: Vec<Option<usize>> = vec![None; self.names.len()];
        let mut visited = vec![false; self.names.len()];
        let mut queue = VecDeque::from([start]);
        visited[start] = true;
        while let Some(node) = queue.pop_front() {
            for &next in &self.deps[node] {
                if next == start {
                    // Walk back from `node` to `start`, then close the loop.
                    let mut path = vec![node];
                    let mut at = node;
                    while let Some(p) = parent[at] {
                        path.push(p);
                        at = p;
                    }
                    path.reverse();
                    path.push(start);
                    return Some(path);
                }
                if !visited[next] {
                    visited[next] = true;
                    parent[next] = Some(node);
                    queue.push_back(next);
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependents_are_followed_transitively() {
        let deps: BTreeMap<String, Vec<String>> = [
            ("db", vec![]),
            ("api", vec!["db"]),
            ("web", vec!["api"]),
            ("tool", vec![]),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
        .collect();
        let down: Vec<String> = with_dependents(&deps, &["api".to_string()])
            .into_iter()
            .collect();
        assert_eq!(down, ["api", "web"]);
        assert_eq!(with_dependents(&deps, &["db".to_string()]).len(), 3);
    }

    /// A graph as `(node, dependencies)` pairs.
    type Edges = &'static [(&'static str, &'static [&'static str])];
    type Waves = &'static [&'static [&'static str]];

    fn graph(edges: Edges) -> BTreeMap<String, Vec<String>> {
        edges
            .iter()
            .map(|(n, ds)| (n.to_string(), ds.iter().map(|d| d.to_string()).collect()))
            .collect()
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn nested(waves: &[&[&str]]) -> Vec<Vec<String>> {
        waves.iter().map(|w| strings(w)).collect()
    }

    #[test]
    fn waves_table() {
        let cases: &[(&str, Edges, Waves)] = &[
            ("empty", &[], &[]),
            ("single", &[("a", &[])], &[&["a"]]),
            (
                "independent sorted",
                &[("c", &[]), ("a", &[]), ("b", &[])],
                &[&["a", "b", "c"]],
            ),
            (
                "chain",
                &[("a", &["b"]), ("b", &["c"]), ("c", &[])],
                &[&["c"], &["b"], &["a"]],
            ),
            (
                "diamond",
                &[
                    ("app", &["db", "cache"]),
                    ("db", &["net"]),
                    ("cache", &["net"]),
                    ("net", &[]),
                ],
                &[&["net"], &["cache", "db"], &["app"]],
            ),
            (
                "longest path decides the wave",
                &[("a", &["b", "d"]), ("b", &["c"]), ("c", &[]), ("d", &[])],
                &[&["c", "d"], &["b"], &["a"]],
            ),
            (
                "unknown dependency ignored",
                &[("a", &["missing"]), ("b", &["a"])],
                &[&["a"], &["b"]],
            ),
            (
                "duplicate dependency",
                &[("a", &["b", "b"]), ("b", &[])],
                &[&["b"], &["a"]],
            ),
            (
                "two components",
                &[("x", &["y"]), ("y", &[]), ("a", &[]), ("b", &["a"])],
                &[&["a", "y"], &["b", "x"]],
            ),
        ];
        for (name, edges, expected) in cases {
            assert_eq!(waves(&graph(edges)), Ok(nested(expected)), "{name}");
        }
    }

    #[test]
    fn reverse_waves_table() {
        let cases: &[(&str, Edges, Waves)] = &[
            ("empty", &[], &[]),
            (
                "chain",
                &[("a", &["b"]), ("b", &["c"]), ("c", &[])],
                &[&["a"], &["b"], &["c"]],
            ),
            (
                "diamond",
                &[
                    ("app", &["db", "cache"]),
                    ("db", &["net"]),
                    ("cache", &["net"]),
                    ("net", &[]),
                ],
                &[&["app"], &["cache", "db"], &["net"]],
            ),
            (
                "leaf without dependents stops first",
                &[("a", &[]), ("b", &["c"]), ("c", &[])],
                &[&["a", "b"], &["c"]],
            ),
            (
                "unknown dependency ignored",
                &[("a", &["missing"]), ("b", &["a"])],
                &[&["b"], &["a"]],
            ),
        ];
        for (name, edges, expected) in cases {
            assert_eq!(reverse_waves(&graph(edges)), Ok(nested(expected)), "{name}");
        }
    }

    #[test]
    fn cycles_table() {
        let cases: &[(&str, Edges, &[&str], &str)] = &[
            ("self loop", &[("a", &["a"])], &["a", "a"], "a -> a"),
            (
                "pair",
                &[("b", &["a"]), ("a", &["b"])],
                &["a", "b", "a"],
                "a -> b -> a",
            ),
            (
                "triangle starts at smallest",
                &[("c", &["a"]), ("a", &["b"]), ("b", &["c"])],
                &["a", "b", "c", "a"],
                "a -> b -> c -> a",
            ),
            (
                "triangle other direction",
                &[("a", &["c"]), ("c", &["b"]), ("b", &["a"])],
                &["a", "c", "b", "a"],
                "a -> c -> b -> a",
            ),
            (
                "cycle behind acyclic prefix",
                &[("a", &["x"]), ("x", &["y"]), ("y", &["z"]), ("z", &["x"])],
                &["x", "y", "z", "x"],
                "x -> y -> z -> x",
            ),
            (
                "self loop among others",
                &[("a", &[]), ("b", &["a", "c"]), ("c", &["c"])],
                &["c", "c"],
                "c -> c",
            ),
            (
                "shortest cycle through smallest node",
                &[
                    ("a", &["b", "d"]),
                    ("b", &["c"]),
                    ("c", &["a"]),
                    ("d", &["a"]),
                ],
                &["a", "d", "a"],
                "a -> d -> a",
            ),
            (
                "two cycles, smallest node wins",
                &[("m", &["n"]), ("n", &["m"]), ("b", &["c"]), ("c", &["b"])],
                &["b", "c", "b"],
                "b -> c -> b",
            ),
        ];
        for (name, edges, path, shown) in cases {
            let g = graph(edges);
            let cycle = waves(&g).expect_err(name);
            assert_eq!(cycle.path, strings(path), "{name}");
            assert_eq!(cycle.to_string(), *shown, "{name}");
            assert_eq!(reverse_waves(&g), Err(cycle), "{name} (reverse)");
        }
    }

    #[test]
    fn reported_cycle_is_real() {
        let g = graph(&[
            ("a", &["b"]),
            ("b", &["c", "e"]),
            ("c", &["d"]),
            ("d", &["b"]),
            ("e", &[]),
        ]);
        let cycle = waves(&g).expect_err("cycle");
        assert_eq!(cycle.path.first(), cycle.path.last());
        for pair in cycle.path.windows(2) {
            assert!(g[&pair[0]].contains(&pair[1]), "{} -> {}", pair[0], pair[1]);
        }
        assert_eq!(cycle.path, strings(&["b", "c", "d", "b"]));
    }

    #[test]
    fn long_chain_does_not_overflow() {
        let n = 20_000;
        let mut g = BTreeMap::new();
        for i in 0..n {
            let deps = if i + 1 < n {
                vec![format!("n{:05}", i + 1)]
            } else {
                Vec::new()
            };
            g.insert(format!("n{i:05}"), deps);
        }
        let w = waves(&g).expect("acyclic");
        assert_eq!(w.len(), n);
        assert_eq!(w[0], vec![format!("n{:05}", n - 1)]);
        g.insert(format!("n{:05}", n - 1), vec!["n00000".to_string()]);
        let cycle = waves(&g).expect_err("cycle");
        assert_eq!(cycle.path.len(), n + 1);
        assert_eq!(cycle.path[0], "n00000");
    }

    #[test]
    fn with_dependencies_table() {
        let g = graph(&[
            ("app", &["db", "cache"]),
            ("db", &["net"]),
            ("cache", &["net", "ghost"]),
            ("net", &[]),
            ("other", &[]),
            ("loop1", &["loop2"]),
            ("loop2", &["loop1"]),
        ]);
        let cases: &[(&[&str], &[&str])] = &[
            (&[], &[]),
            (&["net"], &["net"]),
            (&["db"], &["db", "net"]),
            (&["app"], &["app", "cache", "db", "net"]),
            (&["db", "other"], &["db", "net", "other"]),
            (&["app", "db"], &["app", "cache", "db", "net"]),
            (&["loop1"], &["loop1", "loop2"]),
            (&["unknown"], &["unknown"]),
        ];
        for (roots, expected) in cases {
            let got = with_dependencies(&g, &strings(roots));
            let expected: BTreeSet<String> = strings(expected).into_iter().collect();
            assert_eq!(got, expected, "roots {roots:?}");
        }
    }
}
