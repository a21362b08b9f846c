//! The services' dependency graph: one [`ServiceGraph`], built from the project (its
//! `depends_on`, into which the loader folds `links`, `volumes_from` and `service:` modes) or
//! from the engine's `depends_on` labels, with cycle reports and the transitive closures used
//! by `up svc` and `down svc`. Walking it in order is [`crate::ops::walk`]'s business.
//!
//! Dependencies naming services that are not in the graph are ignored for ordering; the loader
//! reports those separately.
//!
//! Over 700 lines with its tests (about 380 lines of code): the tests build graphs from both
//! sources and compare them.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

use crate::engine::labels;
use crate::project::model::{Project, ServiceDependency};

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

impl From<Cycle> for crate::error::Error {
    fn from(cycle: Cycle) -> Self {
        crate::error::Error::new(format!("dependency cycle between services: {cycle}"))
            .with_kind(crate::error::ErrorKind::DependencyCycle)
    }
}

/// Every service and what it depends on (the model's own dependency type: condition,
/// `required`, `restart`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServiceGraph {
    services: BTreeMap<String, BTreeMap<String, ServiceDependency>>,
}

impl ServiceGraph {
    /// The graph of `project`: each service's `depends_on` (implicit dependencies included:
    /// the loader folds them in; a model built otherwise gets them here as
    /// `service_started`). An optional dependency on a service that is not in the project
    /// (disabled by a profile) is dropped.
    pub fn from_project(project: &Project) -> Self {
        let mut graph = ServiceGraph::default();
        for (name, service) in &project.services {
            let mut deps = service.depends_on.clone();
            for implicit in service.dependency_names() {
                deps.entry(implicit).or_default();
            }
            deps.retain(|dep, how| project.services.contains_key(dep) || how.required);
            graph.services.insert(name.clone(), deps);
        }
        graph
    }

    /// The graph as the engine's containers describe it: `(service, depends_on label)` per
    /// container (a service with several containers takes the union of their labels).
    pub fn from_labels<'a>(
        containers: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
    ) -> Self {
        let mut graph = ServiceGraph::default();
        for (service, label) in containers {
            let deps = graph.services.entry(service.to_string()).or_default();
            for (dep, how) in labels::parse_depends_on(label.unwrap_or("")) {
                deps.entry(dep).or_insert(how);
            }
        }
        graph
    }

    /// The graph of the services of `containers`, from their labels.
    pub fn of_containers(containers: &[crate::engine::observe::ObservedContainer]) -> Self {
        ServiceGraph::from_labels(
            containers
                .iter()
                .map(|c| (c.service.as_str(), c.label(labels::DEPENDS_ON))),
        )
    }

    /// Add (or replace) a service and its dependencies.
    pub fn insert(&mut self, service: &str, deps: BTreeMap<String, ServiceDependency>) {
        self.services.insert(service.to_string(), deps);
    }

    /// The services, in name order.
    pub fn services(&self) -> impl Iterator<Item = &str> {
        self.services.keys().map(String::as_str)
    }

    pub fn contains(&self, service: &str) -> bool {
        self.services.contains_key(service)
    }

    pub fn is_empty(&self) -> bool {
        self.services.is_empty()
    }

    /// What `service` depends on, among the services of the graph, in name order.
    pub fn dependencies<'a>(
        &'a self,
        service: &str,
    ) -> impl Iterator<Item = (&'a str, &'a ServiceDependency)> + 'a {
        self.services
            .get(service)
            .into_iter()
            .flatten()
            .filter(|(dep, _)| self.services.contains_key(*dep))
            .map(|(dep, how)| (dep.as_str(), how))
    }

    /// Every dependency `service` declares, in the graph or not, in name order.
    pub fn declared(&self, service: &str) -> Option<&BTreeMap<String, ServiceDependency>> {
        self.services.get(service)
    }

    /// The services that depend on `service`, in name order.
    pub fn dependents<'a>(&'a self, service: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.services
            .iter()
            .filter(move |(_, deps)| deps.contains_key(service))
            .map(|(name, _)| name.as_str())
    }

    /// The graph of the services in `keep` only.
    pub fn only(&self, keep: &BTreeSet<String>) -> ServiceGraph {
        ServiceGraph {
            services: self
                .services
                .iter()
                .filter(|(name, _)| keep.contains(*name))
                .map(|(name, deps)| (name.clone(), deps.clone()))
                .collect(),
        }
    }

    /// The graph with only the `restart: true` dependencies: what `restart` follows (a
    /// dependent comes along, and waits, only when it asked to be restarted with its dependency).
    pub fn restart_edges(&self) -> ServiceGraph {
        ServiceGraph {
            services: self
                .services
                .iter()
                .map(|(name, deps)| {
                    let kept = deps
                        .iter()
                        .filter(|(_, how)| how.restart)
                        .map(|(dep, how)| (dep.clone(), how.clone()))
                        .collect();
                    (name.clone(), kept)
                })
                .collect(),
        }
    }

    /// The dependency names of every service, as the index-based helpers take them.
    fn names(&self) -> BTreeMap<String, Vec<String>> {
        self.services
            .iter()
            .map(|(name, deps)| (name.clone(), deps.keys().cloned().collect()))
            .collect()
    }

    /// The cycle that makes the graph impossible to walk, if there is one.
    pub fn check(&self) -> Result<(), Cycle> {
        match cycle(&self.names()) {
            Some(cycle) => Err(cycle),
            None => Ok(()),
        }
    }

    /// Every service, each after those it depends on (ties in name order): an order a walk
    /// may take, for showing a plan. Running services goes through [`crate::ops::walk`].
    pub fn order(&self) -> Result<Vec<String>, Cycle> {
        let names = self.names();
        let graph = Graph::new(&names);
        Ok(graph.layers(&graph.deps)?.into_iter().flatten().collect())
    }

    /// `roots` plus everything they depend on, transitively (for `up svc`).
    pub fn with_dependencies(&self, roots: &[String]) -> BTreeSet<String> {
        with_dependencies(&self.names(), roots)
    }

    /// `roots` plus everything that depends on them, transitively (for `down svc`).
    pub fn with_dependents(&self, roots: &[String]) -> BTreeSet<String> {
        let mut dependents: BTreeMap<String, Vec<String>> = self
            .services
            .keys()
            .map(|k| (k.clone(), Vec::new()))
            .collect();
        for (node, deps) in &self.services {
            for dep in deps.keys() {
                if let Some(list) = dependents.get_mut(dep) {
                    list.push(node.clone());
                }
            }
        }
        with_dependencies(&dependents, roots)
    }
}

/// The cycle in `deps` (node → the nodes it depends on), if there is one.
pub fn cycle(deps: &BTreeMap<String, Vec<String>>) -> Option<Cycle> {
    let graph = Graph::new(deps);
    let (_, placed) = graph.rounds(&graph.deps);
    placed.contains(&false).then(|| graph.cycle())
}

/// The given services plus everything they depend on, transitively (for `up svc`).
///
/// The roots are always included, even when they are not keys of `deps` (the caller validates
/// names); dependencies that are not keys of `deps` are ignored.
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

    /// Rounds of names in the order given by `before` (each round sorted by name), or the
    /// cycle that prevents one. Only [`ServiceGraph::order`] flattens them: nothing runs
    /// services by rounds.
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
        let mut g = ServiceGraph::default();
        for (service, names) in &deps {
            g.insert(
                service,
                names
                    .iter()
                    .map(|n| (n.clone(), Default::default()))
                    .collect(),
            );
        }
        let down: Vec<String> = g
            .with_dependents(&["api".to_string()])
            .into_iter()
            .collect();
        assert_eq!(down, ["api", "web"]);
        assert_eq!(g.with_dependents(&["db".to_string()]).len(), 3);
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

    /// The rounds [`ServiceGraph::order`] flattens, or the cycle that prevents them.
    fn waves(deps: &BTreeMap<String, Vec<String>>) -> Result<Vec<Vec<String>>, Cycle> {
        let graph = Graph::new(deps);
        graph.layers(&graph.deps)
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
            assert_eq!(super::cycle(&g), Some(cycle), "{name} (cycle)");
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

    /// A project loaded as the CLI loads it, from compose text.
    fn load(yaml: &str) -> Project {
        let options = crate::project::load::Options {
            files: vec!["-".into()],
            project_name: Some("p".to_string()),
            stdin: Some(yaml.to_string()),
            cwd: std::env::temp_dir(),
            ..Default::default()
        };
        match crate::project::load::load(&options) {
            Ok(loaded) => loaded.project,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn the_project_and_its_labels_give_the_same_graph() {
        let project = load(
            r#"
services:
  db: {image: db, healthcheck: {test: ["CMD", "true"]}}
  vpn: {image: vpn}
  data: {image: data}
  api:
    image: api
    depends_on: {db: {condition: service_healthy, restart: true}}
    links: ["cache:redis"]
    network_mode: "service:vpn"
  cache: {image: cache}
  web:
    image: web
    volumes_from: ["data:ro"]
    ipc: "service:api"
  tool: {image: tool}
"#,
        );
        let from_project = ServiceGraph::from_project(&project);
        let api: Vec<&str> = from_project.dependencies("api").map(|(d, _)| d).collect();
        assert_eq!(
            api,
            ["cache", "db", "vpn"],
            "links and service: modes are dependencies"
        );
        let web: Vec<&str> = from_project.dependencies("web").map(|(d, _)| d).collect();
        assert_eq!(web, ["api", "data"]);
        // What `up` writes into each container's label, read back.
        let values: Vec<(String, String)> = project
            .services
            .iter()
            .map(|(name, s)| (name.clone(), labels::depends_on_value(&s.depends_on)))
            .collect();
        let from_labels =
            ServiceGraph::from_labels(values.iter().map(|(n, v)| (n.as_str(), Some(v.as_str()))));
        for service in from_project.services() {
            let a: Vec<(&str, _, _)> = from_project
                .dependencies(service)
                .map(|(d, how)| (d, how.condition, how.restart))
                .collect();
            let b: Vec<(&str, _, _)> = from_labels
                .dependencies(service)
                .map(|(d, how)| (d, how.condition, how.restart))
                .collect();
            assert_eq!(a, b, "{service}");
        }
        assert_eq!(from_project.order(), from_labels.order());
        let order = from_project.order().expect("acyclic");
        let at = |s: &str| order.iter().position(|o| o == s).expect(s);
        for (before, after) in [
            ("vpn", "api"),
            ("cache", "api"),
            ("db", "api"),
            ("api", "web"),
            ("data", "web"),
        ] {
            assert!(at(before) < at(after), "{before} before {after}: {order:?}");
        }
        assert_eq!(
            from_project.with_dependents(&["vpn".to_string()]),
            from_labels.with_dependents(&["vpn".to_string()])
        );
    }

    #[test]
    fn a_cycle_is_found_in_either_graph() {
        let mut g = ServiceGraph::default();
        g.insert("a", labels::parse_depends_on("b:service_started:false"));
        g.insert("b", labels::parse_depends_on("a:service_healthy:false"));
        assert_eq!(g.check().unwrap_err().to_string(), "a -> b -> a");
        let error: crate::error::Error = g.check().unwrap_err().into();
        assert_eq!(error.kind, crate::error::ErrorKind::DependencyCycle);
    }
}
