//! The convergence plan: from what the project asks for (one [`Intent`] per service) and what
//! the engine reports ([`ObservedContainer`]s), decide per service and replica whether to create,
//! recreate, start, restart, keep or remove — and why. Pure: no engine calls, so the rules are
//! unit-tested here and `up --dry-run` prints the plan as it is.
//!
//! Over 700 lines only because of those unit tests (about 330 lines); the code is about 450.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use crate::engine::labels;
use crate::engine::observe::{ObservedContainer, State};
use crate::error::{Error, Result};
use crate::graph::ServiceGraph;
use crate::project::model::{DependencyCondition, Project, ServiceDependency};

/// What the project wants for one service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Intent {
    pub service: String,
    pub replicas: u32,
    /// `container_name:` (then there is exactly one replica).
    pub container_name: Option<String>,
    /// Hash of the service configuration (label [`labels::CONFIG_HASH`]).
    pub config_hash: String,
    /// ID of the image the service runs now, when known: a container made from another
    /// image (rebuilt, pulled anew) is recreated.
    pub image_id: Option<String>,
}

impl Intent {
    /// Engine name of replica `number`.
    pub fn container_name(&self, project: &str, number: u32) -> String {
        match &self.container_name {
            Some(name) => name.clone(),
            None => labels::container_name(project, &self.service, number),
        }
    }
}

/// The plan's view of every service: replicas (with `--scale` overrides), name and hash. What
/// each depends on is the project's [`ServiceGraph`].
pub fn intents(project: &Project, scale: &BTreeMap<String, u32>) -> Result<Vec<Intent>> {
    let mut intents = Vec::new();
    for (name, service) in &project.services {
        intents.push(Intent {
            service: name.clone(),
            replicas: scale
                .get(name)
                .copied()
                .unwrap_or_else(|| service.replicas()),
            container_name: service.container_name.clone(),
            config_hash: crate::engine::config_hash::service_hash(service)?,
            image_id: None,
        });
    }
    Ok(intents)
}

/// How `up` may treat existing containers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RecreatePolicy {
    /// Recreate containers whose configuration changed.
    #[default]
    Diverged,
    /// `--force-recreate`: recreate every container.
    Force,
    /// `--no-recreate`: keep existing containers even when their configuration changed.
    Never,
}

/// Options of a plan.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub recreate: RecreatePolicy,
    /// `--no-start`: create only.
    pub no_start: bool,
    /// `--remove-orphans`.
    pub remove_orphans: bool,
    /// Services named on the command line (empty: all). Their dependencies come along unless
    /// `no_deps`.
    pub services: Vec<String>,
    pub no_deps: bool,
}

/// Why a step is taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    New,
    ConfigChanged,
    /// The service's image is not the one the container was created from.
    ImageChanged,
    Forced,
    /// A `restart: true` dependency is being recreated.
    DependencyRecreated(String),
    Stopped,
    UpToDate,
    ScaledDown,
    Orphan,
    /// The container still has the temporary name of a recreate that was interrupted.
    InterruptedRecreate,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::New => f.write_str("new"),
            Reason::ConfigChanged => f.write_str("configuration changed"),
            Reason::ImageChanged => f.write_str("image changed"),
            Reason::Forced => f.write_str("--force-recreate"),
            Reason::DependencyRecreated(dep) => {
                write!(f, "dependency {dep} is recreated (restart: true)")
            }
            Reason::Stopped => f.write_str("not running"),
            Reason::UpToDate => f.write_str("up to date"),
            Reason::ScaledDown => f.write_str("scaled down"),
            Reason::Orphan => f.write_str("service no longer in the project"),
            Reason::InterruptedRecreate => f.write_str("left over from an interrupted recreate"),
        }
    }
}

/// An existing container a step acts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Existing {
    pub id: String,
    pub name: String,
    pub state: State,
}

impl Existing {
    fn of(c: &ObservedContainer) -> Existing {
        Existing {
            id: c.id.clone(),
            name: c.name.clone(),
            state: c.state,
        }
    }
}

/// What to do with one replica.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Create {
        number: u32,
        name: String,
    },
    Recreate {
        number: u32,
        old: Existing,
        reason: Reason,
    },
    Start {
        number: u32,
        existing: Existing,
    },
    Restart {
        number: u32,
        existing: Existing,
        reason: Reason,
    },
    Keep {
        number: u32,
        existing: Existing,
    },
    Remove {
        existing: Existing,
        reason: Reason,
    },
}

impl Step {
    /// Whether the step changes anything on the engine.
    pub fn changes(&self) -> bool {
        !matches!(self, Step::Keep { .. })
    }

    fn describe(&self, no_start: bool) -> String {
        let then_start = if no_start { "" } else { " and start" };
        match self {
            Step::Create { name, .. } => format!("{name}: create{then_start} (new)"),
            Step::Recreate { old, reason, .. } => {
                format!("{}: recreate{then_start} ({reason})", old.name)
            }
            Step::Start { existing, .. } => format!("{}: start (not running)", existing.name),
            Step::Restart {
                existing, reason, ..
            } => format!("{}: restart ({reason})", existing.name),
            Step::Keep { existing, .. } => format!("{}: keep (up to date)", existing.name),
            Step::Remove { existing, reason } => format!("{}: remove ({reason})", existing.name),
        }
    }
}

/// The steps of one service.
#[derive(Clone, Debug, PartialEq)]
pub struct ServicePlan {
    pub service: String,
    pub steps: Vec<Step>,
    /// Dependencies to wait for before starting (those in the plan), and for what.
    pub wait_for: BTreeMap<String, ServiceDependency>,
}

/// How a dependency is waited for, as `--dry-run` says it: `db is healthy (optional)`.
fn waits_for(service: &str, how: &ServiceDependency) -> String {
    let condition = match how.condition {
        DependencyCondition::ServiceStarted => "has started",
        DependencyCondition::ServiceHealthy => "is healthy",
        DependencyCondition::ServiceCompletedSuccessfully => "has completed successfully",
    };
    let mut text = format!("{service} {condition} ({}", how.condition);
    if !how.required {
        text.push_str(", optional: a failure only warns");
    }
    if how.restart {
        text.push_str(", restart: true");
    }
    text.push(')');
    text
}

/// The whole plan: services in an order the walk may take (each after what it depends on),
/// and orphan containers.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub project: String,
    pub services: Vec<ServicePlan>,
    /// The dependencies between the planned services.
    pub graph: ServiceGraph,
    /// Containers of services that are no longer in the project.
    pub orphans: Vec<Existing>,
    pub remove_orphans: bool,
    pub no_start: bool,
}

impl Plan {
    /// Every service plan, each after those it depends on.
    pub fn services(&self) -> impl Iterator<Item = &ServicePlan> {
        self.services.iter()
    }

    /// The containers to restart because a `restart: true` dependency is recreated, by that
    /// dependency: docker compose stops them before it recreates the dependency and starts
    /// them once it is ready.
    pub fn restart_dependents(&self) -> HashMap<String, Vec<Existing>> {
        let mut by_dependency: HashMap<String, Vec<Existing>> = HashMap::new();
        for step in self.services.iter().flat_map(|s| &s.steps) {
            if let Step::Restart {
                existing,
                reason: Reason::DependencyRecreated(dep),
                ..
            } = step
            {
                by_dependency
                    .entry(dep.clone())
                    .or_default()
                    .push(existing.clone());
            }
        }
        by_dependency
    }

    /// Whether executing the plan would change anything on the engine.
    pub fn changes(&self) -> bool {
        self.services().any(|s| s.steps.iter().any(Step::changes))
            || (self.remove_orphans && !self.orphans.is_empty())
    }
}

impl fmt::Display for Plan {
    /// The plan as `up --dry-run` prints it: per service, what it waits for before it
    /// starts (each service starts as soon as its own dependencies hold, not in rounds),
    /// then its steps.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "project {}", self.project)?;
        for service in &self.services {
            write!(f, "service {}", service.service)?;
            if service.wait_for.is_empty() {
                writeln!(f, ": starts at once")?;
            } else {
                let deps: Vec<String> = service
                    .wait_for
                    .iter()
                    .map(|(dep, how)| waits_for(dep, how))
                    .collect();
                writeln!(f, ": starts once {}", deps.join(", "))?;
            }
            for step in &service.steps {
                writeln!(f, "  {}", step.describe(self.no_start))?;
            }
        }
        for orphan in &self.orphans {
            let what = if self.remove_orphans {
                "remove"
            } else {
                "keep (use --remove-orphans to remove)"
            };
            writeln!(f, "orphan {}: {what}", orphan.name)?;
        }
        Ok(())
    }
}

/// Build the plan for `project` from the intents of all its services, the dependencies
/// between them and the containers the engine reports for it.
pub fn plan(
    project: &str,
    intents: &[Intent],
    graph: &ServiceGraph,
    observed: &[ObservedContainer],
    options: &Options,
) -> Result<Plan> {
    let by_name: BTreeMap<&str, &Intent> =
        intents.iter().map(|i| (i.service.as_str(), i)).collect();
    for name in &options.services {
        if !by_name.contains_key(name.as_str()) {
            return Err(Error::new(format!("no such service: {name}")));
        }
    }
    graph.check()?;
    let selected: BTreeSet<String> = if options.services.is_empty() {
        by_name.keys().map(|s| s.to_string()).collect()
    } else if options.no_deps {
        options.services.iter().cloned().collect()
    } else {
        graph.with_dependencies(&options.services)
    };
    let graph = graph.only(&selected);

    let mut containers: BTreeMap<&str, Vec<&ObservedContainer>> = BTreeMap::new();
    for c in observed.iter().filter(|c| !c.oneoff) {
        containers.entry(c.service.as_str()).or_default().push(c);
    }

    let mut recreated: BTreeSet<String> = BTreeSet::new();
    let mut planned = Vec::new();
    for service in graph.order()? {
        let Some(intent) = by_name.get(service.as_str()) else {
            continue;
        };
        let existing = containers
            .get(service.as_str())
            .cloned()
            .unwrap_or_default();
        let wait_for: BTreeMap<String, ServiceDependency> = graph
            .dependencies(&service)
            .map(|(dep, how)| (dep.to_string(), how.clone()))
            .collect();
        let restart_reason = wait_for
            .iter()
            .find(|(dep, how)| how.restart && recreated.contains(*dep))
            .map(|(dep, _)| Reason::DependencyRecreated(dep.clone()));
        let steps = service_steps(project, intent, &existing, options, restart_reason);
        if steps.iter().any(|s| matches!(s, Step::Recreate { .. })) {
            recreated.insert(service.clone());
        }
        planned.push(ServicePlan {
            service: service.clone(),
            steps,
            wait_for,
        });
    }

    let orphans = observed
        .iter()
        .filter(|c| !c.oneoff && !by_name.contains_key(c.service.as_str()))
        .map(Existing::of)
        .collect();
    Ok(Plan {
        project: project.to_string(),
        services: planned,
        graph,
        orphans,
        remove_orphans: options.remove_orphans,
        no_start: options.no_start,
    })
}

/// The steps for one service: replicas 1..=N are kept, started, recreated or created; replicas
/// above N (and duplicates of a number) are removed, highest first.
fn service_steps(
    project: &str,
    intent: &Intent,
    existing: &[&ObservedContainer],
    options: &Options,
    restart_reason: Option<Reason>,
) -> Vec<Step> {
    let wanted = if intent.container_name.is_some() {
        intent.replicas.min(1)
    } else {
        intent.replicas
    };
    let mut by_number: BTreeMap<u32, &ObservedContainer> = BTreeMap::new();
    let mut extra: Vec<&ObservedContainer> = Vec::new();
    // Replicas without a usable number get the lowest free numbers, like compose does.
    let mut unnumbered: Vec<&ObservedContainer> = Vec::new();
    // When two containers claim one number (an interrupted recreate leaves the replacement
    // beside the original), the one with the expected name is the replica; the other goes.
    let mut existing = existing.to_vec();
    existing.sort_by_key(|c| c.name != intent.container_name(project, c.number));
    for c in existing {
        if c.number == 0 {
            unnumbered.push(c);
            continue;
        }
        match by_number.entry(c.number) {
            std::collections::btree_map::Entry::Occupied(_) => extra.push(c),
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(c);
            }
        }
    }
    for c in unnumbered {
        let free = (1..)
            .find(|n| !by_number.contains_key(n))
            .unwrap_or(u32::MAX);
        by_number.insert(free, c);
    }

    let mut steps = Vec::new();
    for number in 1..=wanted {
        let Some(c) = by_number.get(&number) else {
            steps.push(Step::Create {
                number,
                name: intent.container_name(project, number),
            });
            continue;
        };
        let diverged = c.config_hash.as_deref() != Some(intent.config_hash.as_str());
        let expected = intent.container_name(project, number);
        let image_changed = intent
            .image_id
            .as_deref()
            .is_some_and(|id| !c.image_id.is_empty() && c.image_id != id);
        let recreate = match options.recreate {
            _ if labels::is_replacement_name(&c.name, &expected) => {
                Some(Reason::InterruptedRecreate)
            }
            RecreatePolicy::Force => Some(Reason::Forced),
            RecreatePolicy::Diverged if diverged => Some(Reason::ConfigChanged),
            RecreatePolicy::Diverged if image_changed => Some(Reason::ImageChanged),
            _ => None,
        };
        let existing = Existing::of(c);
        let step = match (recreate, &restart_reason) {
            (Some(reason), _) => Step::Recreate {
                number,
                old: existing,
                reason,
            },
            (None, Some(reason)) if !options.no_start => Step::Restart {
                number,
                existing,
                reason: reason.clone(),
            },
            (None, _) if c.state == State::Running || options.no_start => {
                Step::Keep { number, existing }
            }
            (None, _) => Step::Start { number, existing },
        };
        steps.push(step);
    }
    let mut surplus: Vec<&ObservedContainer> = by_number
        .range(wanted + 1..)
        .map(|(_, c)| *c)
        .chain(extra)
        .collect();
    surplus.sort_by_key(|c| std::cmp::Reverse(c.number));
    for c in surplus {
        steps.push(Step::Remove {
            existing: Existing::of(c),
            reason: Reason::ScaledDown,
        });
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    use DependencyCondition as Condition;

    fn intent(service: &str, hash: &str) -> Intent {
        Intent {
            service: service.to_string(),
            replicas: 1,
            container_name: None,
            config_hash: hash.to_string(),
            image_id: None,
        }
    }

    /// The graph of `(service, [(dependency, condition, restart)])`.
    /// `(dependency, condition, restart)`.
    type Edge<'a> = (&'a str, Condition, bool);

    fn graph(edges: &[(&str, &[Edge])]) -> ServiceGraph {
        let mut graph = ServiceGraph::default();
        for (service, deps) in edges {
            let deps = deps
                .iter()
                .map(|(dep, condition, restart)| {
                    let how = ServiceDependency {
                        condition: *condition,
                        restart: *restart,
                        ..ServiceDependency::default()
                    };
                    (dep.to_string(), how)
                })
                .collect();
            graph.insert(service, deps);
        }
        graph
    }

    /// A graph of services without dependencies.
    fn alone(services: &[&str]) -> ServiceGraph {
        let edges: Vec<(&str, &[Edge])> = services.iter().map(|s| (*s, &[][..])).collect();
        graph(&edges)
    }

    fn container(service: &str, number: u32, hash: &str, state: State) -> ObservedContainer {
        ObservedContainer {
            id: format!("id-{service}-{number}"),
            name: labels::container_name("p", service, number),
            project: "p".to_string(),
            service: service.to_string(),
            number,
            oneoff: false,
            config_hash: Some(hash.to_string()),
            state,
            health: None,
            exit_code: None,
            status: String::new(),
            image: String::new(),
            image_id: String::new(),
            command: String::new(),
            created: 0,
            ports: Vec::new(),
            labels: HashMap::new(),
            networks: Vec::new(),
            mounts: Vec::new(),
            local_volumes: 0,
        }
    }

    fn stack() -> Vec<Intent> {
        vec![
            intent("setup", "h-setup"),
            intent("es01", "h-es01"),
            intent("es02", "h-es02"),
            intent("kibana", "h-kibana"),
        ]
    }

    fn stack_graph() -> ServiceGraph {
        graph(&[
            ("setup", &[]),
            (
                "es01",
                &[("setup", Condition::ServiceCompletedSuccessfully, false)],
            ),
            ("es02", &[("es01", Condition::ServiceHealthy, true)]),
            ("kibana", &[("es02", Condition::ServiceHealthy, false)]),
        ])
    }

    fn names(plan: &Plan) -> Vec<String> {
        plan.services().map(|s| s.service.clone()).collect()
    }

    #[test]
    fn a_fresh_project_creates_everything_in_dependency_order() {
        let plan = plan("p", &stack(), &stack_graph(), &[], &Options::default()).expect("plan");
        assert_eq!(names(&plan), ["setup", "es01", "es02", "kibana"]);
        let first = &plan.services[0].steps;
        assert_eq!(
            first,
            &[Step::Create {
                number: 1,
                name: "p-setup-1".to_string()
            }]
        );
        assert!(plan.changes());
        let text = plan.to_string();
        assert!(
            text.contains(
                "service setup: starts at once\n  p-setup-1: create and start (new)\n\
                 service es01: starts once setup has completed successfully (service_completed_successfully)\n  p-es01-1: create and start (new)\n"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "service es02: starts once es01 is healthy (service_healthy, restart: true)\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn an_unchanged_running_project_changes_nothing() {
        let observed: Vec<ObservedContainer> = stack()
            .iter()
            .map(|i| container(&i.service, 1, &i.config_hash, State::Running))
            .collect();
        let plan = plan(
            "p",
            &stack(),
            &stack_graph(),
            &observed,
            &Options::default(),
        )
        .expect("plan");
        assert!(!plan.changes(), "{plan}");
    }

    #[test]
    fn a_changed_service_is_recreated_alone_unless_restart_is_set() {
        let mut observed: Vec<ObservedContainer> = stack()
            .iter()
            .map(|i| container(&i.service, 1, &i.config_hash, State::Running))
            .collect();
        observed[3].config_hash = Some("old".to_string()); // kibana
        let plan1 = plan(
            "p",
            &stack(),
            &stack_graph(),
            &observed,
            &Options::default(),
        )
        .expect("plan");
        let changed: Vec<&str> = plan1
            .services()
            .filter(|s| s.steps.iter().any(Step::changes))
            .map(|s| s.service.as_str())
            .collect();
        assert_eq!(changed, ["kibana"]);

        observed[3].config_hash = Some("h-kibana".to_string());
        observed[1].config_hash = Some("old".to_string()); // es01; es02 has restart: true on it
        let plan2 = plan(
            "p",
            &stack(),
            &stack_graph(),
            &observed,
            &Options::default(),
        )
        .expect("plan");
        let steps: BTreeMap<&str, &Step> = plan2
            .services()
            .map(|s| (s.service.as_str(), &s.steps[0]))
            .collect();
        assert!(matches!(
            steps["es01"],
            Step::Recreate {
                reason: Reason::ConfigChanged,
                ..
            }
        ));
        assert!(matches!(steps["es02"], Step::Restart { .. }));
        assert!(matches!(steps["kibana"], Step::Keep { .. }));
        assert!(matches!(steps["setup"], Step::Keep { .. }));
    }

    #[test]
    fn a_container_of_another_image_is_recreated() {
        let mut observed = vec![container("web", 1, "h", State::Running)];
        observed[0].image_id = "sha256:old".to_string();
        let mut intents = vec![intent("web", "h")];
        let g = alone(&["web"]);
        let unknown = plan("p", &intents, &g, &observed, &Options::default()).expect("plan");
        assert!(!unknown.changes(), "no image ID known: nothing to compare");
        intents[0].image_id = Some("sha256:old".to_string());
        let same = plan("p", &intents, &g, &observed, &Options::default()).expect("plan");
        assert!(!same.changes());
        intents[0].image_id = Some("sha256:new".to_string());
        let rebuilt = plan("p", &intents, &g, &observed, &Options::default()).expect("plan");
        assert_eq!(
            rebuilt.to_string(),
            "project p\nservice web: starts at once\n  p-web-1: recreate and start (image changed)\n"
        );
        let never = Options {
            recreate: RecreatePolicy::Never,
            ..Options::default()
        };
        let kept = plan("p", &intents, &g, &observed, &never).expect("plan");
        assert!(!kept.changes());
    }

    #[test]
    fn recreate_policies() {
        let observed = vec![container("setup", 1, "old", State::Exited)];
        let intents = vec![intent("setup", "new")];
        let g = alone(&["setup"]);
        let force = Options {
            recreate: RecreatePolicy::Force,
            ..Default::default()
        };
        let never = Options {
            recreate: RecreatePolicy::Never,
            ..Default::default()
        };
        let forced = plan("p", &intents, &g, &observed, &force).expect("plan");
        assert!(matches!(
            forced.services[0].steps[0],
            Step::Recreate {
                reason: Reason::Forced,
                ..
            }
        ));
        let kept = plan("p", &intents, &g, &observed, &never).expect("plan");
        assert!(matches!(kept.services[0].steps[0], Step::Start { .. }));
    }

    #[test]
    fn scaling_adds_and_removes_the_highest_numbers() {
        let mut web = intent("web", "h");
        let g = alone(&["web"]);
        web.replicas = 2;
        let observed: Vec<ObservedContainer> = (1..=4)
            .map(|n| container("web", n, "h", State::Running))
            .collect();
        let down = plan("p", &[web.clone()], &g, &observed, &Options::default()).expect("plan");
        let removed: Vec<String> = down.services[0]
            .steps
            .iter()
            .filter_map(|s| match s {
                Step::Remove { existing, .. } => Some(existing.name.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(removed, ["p-web-4", "p-web-3"]);
        web.replicas = 3;
        let up = plan("p", &[web], &g, &observed[..1], &Options::default()).expect("plan");
        let created: Vec<u32> = up.services[0]
            .steps
            .iter()
            .filter_map(|s| match s {
                Step::Create { number, .. } => Some(*number),
                _ => None,
            })
            .collect();
        assert_eq!(created, [2, 3]);
    }

    #[test]
    fn leftovers_of_an_interrupted_recreate_converge() {
        let intents = vec![intent("web", "h")];
        let g = alone(&["web"]);
        // Interrupted after the replacement was created: the original stays, the
        // replacement goes.
        let mut replacement = container("web", 1, "h", State::Created);
        replacement.name = labels::replacement_name("0123456789abcdef", "p-web-1");
        replacement.id = "id-replacement".to_string();
        let original = container("web", 1, "h", State::Running);
        for observed in [
            vec![replacement.clone(), original.clone()],
            vec![original.clone(), replacement.clone()],
        ] {
            let p = plan("p", &intents, &g, &observed, &Options::default()).expect("plan");
            let steps = &p.services[0].steps;
            assert!(
                matches!(&steps[0], Step::Keep { existing, .. } if existing.name == "p-web-1"),
                "{p}"
            );
            assert!(
                matches!(&steps[1], Step::Remove { existing, .. } if existing.id == "id-replacement"),
                "{p}"
            );
        }
        // Interrupted after the original was removed: the replacement is recreated under the
        // right name.
        let p = plan("p", &intents, &g, &[replacement], &Options::default()).expect("plan");
        assert!(matches!(
            p.services[0].steps[0],
            Step::Recreate {
                reason: Reason::InterruptedRecreate,
                ..
            }
        ));
    }

    #[test]
    fn named_services_bring_their_dependencies_and_orphans_are_listed() {
        let observed = vec![container("old", 1, "x", State::Running)];
        let options = Options {
            services: vec!["es02".to_string()],
            ..Default::default()
        };
        let p = plan("p", &stack(), &stack_graph(), &observed, &options).expect("plan");
        assert_eq!(names(&p), ["setup", "es01", "es02"]);
        assert_eq!(p.orphans.len(), 1);
        assert!(p.to_string().contains("orphan p-old-1: keep"));
        let no_deps = Options {
            services: vec!["es02".to_string()],
            no_deps: true,
            ..Default::default()
        };
        let p = plan("p", &stack(), &stack_graph(), &[], &no_deps).expect("plan");
        assert_eq!(names(&p), ["es02"]);
        assert!(p.services[0].wait_for.is_empty());
        let unknown = Options {
            services: vec!["nope".to_string()],
            ..Default::default()
        };
        assert!(plan("p", &stack(), &stack_graph(), &[], &unknown).is_err());
    }
}
