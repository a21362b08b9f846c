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
use crate::project::model::{DependencyCondition, MountType, Project, Service, ServiceDependency};

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
    /// What the service shares with the containers of other services, as docker compose words
    /// it: `("volume", "db")` for `volumes_from: [db]`, `("network namespace", "db")` for
    /// `network_mode: service:db` (see [`shared_services`]).
    pub shares: Vec<(String, String)>,
    /// Engine names of the named volumes the service mounts: a container that does not mount
    /// one of them (the volume's `name:` changed) is recreated.
    pub volumes: Vec<String>,
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
            shares: shared_services(service),
            volumes: service
                .volumes
                .iter()
                .filter(|v| v.type_ == MountType::Volume)
                .filter_map(|v| {
                    let key = v.source.as_deref()?;
                    Some(project.volumes.get(key)?.engine_name(&project.name, key))
                })
                .collect(),
        });
    }
    Ok(intents)
}

/// The services whose containers `service` shares volumes or namespaces with, and what it
/// shares: `volumes_from: [db]`, `network_mode`, `ipc` or `pid` as `service:db`.
pub fn shared_services(service: &Service) -> Vec<(String, String)> {
    let mut shares: Vec<(String, String)> = service
        .volumes_from
        .iter()
        .filter(|v| !v.starts_with("container:"))
        .map(|v| {
            let name = v.split(':').next().unwrap_or_default();
            ("volume".to_string(), name.to_string())
        })
        .collect();
    for (what, mode) in [
        ("network namespace", &service.network_mode),
        ("IPC namespace", &service.ipc),
        ("PID namespace", &service.pid),
    ] {
        if let Some(name) = mode.as_deref().and_then(|m| m.strip_prefix("service:")) {
            shares.push((what.to_string(), name.to_string()));
        }
    }
    shares
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
    /// `COMPOSE_IGNORE_ORPHANS`: neither warn about orphans nor remove them.
    pub ignore_orphans: bool,
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
    /// The container does not mount this volume the service mounts (its `name:` changed).
    VolumeChanged(String),
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
            Reason::VolumeChanged(name) => write!(f, "volume {name} not mounted"),
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
    /// Containers of services that are no longer in the project, and exited one-offs
    /// ([`is_orphan`]).
    pub orphans: Vec<Existing>,
    pub remove_orphans: bool,
    /// `COMPOSE_IGNORE_ORPHANS`: orphans are neither reported nor removed.
    pub ignore_orphans: bool,
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
        for orphan in self.orphans.iter().filter(|_| !self.ignore_orphans) {
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

    // A service that shares a volume or namespace with one left out of the plan (`--no-deps`)
    // needs that one's container to exist already.
    for intent in selected.iter().filter_map(|s| by_name.get(s.as_str())) {
        for (what, provider) in &intent.shares {
            if !selected.contains(provider) && !containers.contains_key(provider.as_str()) {
                return Err(Error::new(format!(
                    "cannot share {what} with service {provider}: container missing"
                ))
                .with_hint(format!(
                    "service {} needs a container of {provider}: leave out --no-deps, or create {provider} first",
                    intent.service
                )));
            }
        }
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
        .filter(|c| is_orphan(c, |s| by_name.contains_key(s)))
        .map(Existing::of)
        .collect();
    Ok(Plan {
        project: project.to_string(),
        services: planned,
        graph,
        orphans,
        remove_orphans: options.remove_orphans && !options.ignore_orphans,
        ignore_orphans: options.ignore_orphans,
        no_start: options.no_start,
    })
}

/// Whether `c` is an orphan, as docker compose counts them: a service container of a service
/// the project does not `declare`, or a one-off container that has exited (of any service:
/// `run` leaves them behind, `--remove-orphans` cleans them up).
pub fn is_orphan(c: &ObservedContainer, declared: impl Fn(&str) -> bool) -> bool {
    if c.oneoff {
        matches!(c.state, State::Exited | State::Dead)
    } else {
        !declared(&c.service)
    }
}

/// Why replica `number` (container `c`) must be recreated, if it must.
fn must_recreate(
    project: &str,
    intent: &Intent,
    number: u32,
    c: &ObservedContainer,
    options: &Options,
) -> Option<Reason> {
    let diverged = c.config_hash.as_deref() != Some(intent.config_hash.as_str());
    let image_changed = intent
        .image_id
        .as_deref()
        .is_some_and(|id| !c.image_id.is_empty() && c.image_id != id);
    match options.recreate {
        _ if labels::is_replacement_name(&c.name, &intent.container_name(project, number)) => {
            Some(Reason::InterruptedRecreate)
        }
        RecreatePolicy::Force => Some(Reason::Forced),
        RecreatePolicy::Diverged if diverged => Some(Reason::ConfigChanged),
        RecreatePolicy::Diverged if image_changed => Some(Reason::ImageChanged),
        RecreatePolicy::Diverged => intent
            .volumes
            .iter()
            .find(|v| !c.mounts.contains(v))
            .map(|v| Reason::VolumeChanged(v.clone())),
        RecreatePolicy::Never => None,
    }
}

/// The steps for one service: N replicas are kept, started or recreated (under their numbers),
/// missing ones created after the highest number; surplus replicas (obsolete ones first, then
/// the highest numbers) and duplicates of a number are removed, highest first.
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

    // Why each replica must be recreated, if it must.
    let obsolete: BTreeMap<u32, Option<Reason>> = by_number
        .iter()
        .map(|(number, c)| (*number, must_recreate(project, intent, *number, c, options)))
        .collect();
    // Scaling down removes the obsolete replicas first, then the highest numbers: the
    // up-to-date ones stay, under the numbers they have (as docker compose does).
    let mut by_removal: Vec<u32> = by_number.keys().copied().collect();
    by_removal.sort_by_key(|n| (obsolete[n].is_none(), std::cmp::Reverse(*n)));
    let surplus_count = by_number.len().saturating_sub(wanted as usize);
    let mut surplus: Vec<(u32, &ObservedContainer)> = by_removal[..surplus_count]
        .iter()
        .map(|n| (*n, by_number[n]))
        .chain(extra.into_iter().map(|c| (c.number, c)))
        .collect();
    surplus.sort_by_key(|(n, _)| std::cmp::Reverse(*n));
    let removed: BTreeSet<u32> = by_removal[..surplus_count].iter().copied().collect();

    let mut steps = Vec::new();
    for (&number, c) in by_number.iter().filter(|(n, _)| !removed.contains(n)) {
        let existing = Existing::of(c);
        let step = match (obsolete[&number].clone(), &restart_reason) {
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
    // New replicas take the numbers after the highest one in use.
    let next = by_number.keys().next_back().map_or(1, |n| n + 1);
    let missing = (wanted as usize).saturating_sub(by_number.len()) as u32;
    for number in next..next + missing {
        steps.push(Step::Create {
            number,
            name: intent.container_name(project, number),
        });
    }
    for (_, c) in surplus {
        steps.push(Step::Remove {
            existing: Existing::of(c),
            reason: Reason::ScaledDown,
        });
    }
    steps
}

#[cfg(test)]
mod tests;
