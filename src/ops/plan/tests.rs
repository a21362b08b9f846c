//! Unit tests of the planner.

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
        shares: Vec::new(),
        volumes: Vec::new(),
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

/// The names of the containers a plan's single service removes, and the numbers it keeps
/// (kept, started, recreated or restarted) and creates.
fn outcome(plan: &Plan) -> (Vec<String>, Vec<u32>, Vec<u32>) {
    let (mut removed, mut kept, mut created) = (Vec::new(), Vec::new(), Vec::new());
    for step in &plan.services[0].steps {
        match step {
            Step::Remove { existing, .. } => removed.push(existing.name.clone()),
            Step::Create { number, .. } => created.push(*number),
            Step::Recreate { number, .. }
            | Step::Start { number, .. }
            | Step::Restart { number, .. }
            | Step::Keep { number, .. } => kept.push(*number),
        }
    }
    (removed, kept, created)
}

#[test]
fn scaling_down_removes_obsolete_replicas_first() {
    let mut web = intent("web", "h");
    web.replicas = 2;
    web.image_id = Some("sha256:new".to_string());
    let g = alone(&["web"]);
    // 1 and 2 run the old image, 3 and 4 the new one (`up --scale web=4 --no-recreate`).
    let observed: Vec<ObservedContainer> = (1..=4)
        .map(|n| {
            let mut c = container("web", n, "h", State::Running);
            c.image_id = if n <= 2 { "sha256:old" } else { "sha256:new" }.to_string();
            c
        })
        .collect();
    let p = plan("p", &[web.clone()], &g, &observed, &Options::default()).expect("plan");
    assert_eq!(
        outcome(&p),
        (
            vec!["p-web-2".to_string(), "p-web-1".to_string()],
            vec![3, 4],
            vec![]
        ),
        "{p}"
    );
    assert!(
        p.services[0].steps[..2]
            .iter()
            .all(|s| matches!(s, Step::Keep { .. }))
    );

    // One obsolete replica goes first, then the highest up-to-date number.
    let mut mixed = observed.clone();
    mixed[0].image_id = "sha256:new".to_string(); // 1 is up to date, 2 is not
    web.replicas = 2;
    let p = plan("p", &[web.clone()], &g, &mixed, &Options::default()).expect("plan");
    assert_eq!(
        outcome(&p),
        (
            vec!["p-web-4".to_string(), "p-web-2".to_string()],
            vec![1, 3],
            vec![]
        ),
        "{p}"
    );

    // --no-recreate: nothing is obsolete, the highest numbers go.
    let never = Options {
        recreate: RecreatePolicy::Never,
        ..Options::default()
    };
    let p = plan("p", &[web], &g, &observed, &never).expect("plan");
    assert_eq!(
        outcome(&p).0,
        ["p-web-4".to_string(), "p-web-3".to_string()],
        "{p}"
    );
}

#[test]
fn scaling_up_numbers_new_replicas_after_the_highest() {
    let mut web = intent("web", "h");
    web.replicas = 3;
    let g = alone(&["web"]);
    let observed: Vec<ObservedContainer> = [3, 4]
        .iter()
        .map(|n| container("web", *n, "h", State::Running))
        .collect();
    let p = plan("p", &[web.clone()], &g, &observed, &Options::default()).expect("plan");
    assert_eq!(outcome(&p), (vec![], vec![3, 4], vec![5]), "{p}");
    // Kept at the same count: replicas 3 and 4 stay, none is created or removed.
    web.replicas = 2;
    let p = plan("p", &[web], &g, &observed, &Options::default()).expect("plan");
    assert!(!p.changes(), "{p}");
}

#[test]
fn exited_one_offs_are_orphans_running_ones_are_not() {
    let intents = vec![intent("web", "h")];
    let g = alone(&["web"]);
    let one_off = |service: &str, state: State| {
        let mut c = container(service, 1, "h", state);
        c.oneoff = true;
        c.name = format!("p-{service}-run-{state:?}");
        c
    };
    let observed = vec![
        container("web", 1, "h", State::Running),
        one_off("web", State::Exited),
        one_off("web", State::Running),
        // A service the project does not declare (an inactive profile's, say).
        one_off("job", State::Dead),
        one_off("job", State::Running),
        container("gone", 1, "x", State::Exited),
    ];
    let p = plan("p", &intents, &g, &observed, &Options::default()).expect("plan");
    let orphans: Vec<&str> = p.orphans.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(
        orphans,
        ["p-web-run-Exited", "p-job-run-Dead", "p-gone-1"],
        "{p}"
    );
    assert!(
        !p.changes(),
        "orphans are only listed without --remove-orphans"
    );
    let remove = Options {
        remove_orphans: true,
        ..Options::default()
    };
    let p = plan("p", &intents, &g, &observed, &remove).expect("plan");
    assert!(p.changes());
    assert!(
        p.to_string().contains("orphan p-job-run-Dead: remove"),
        "{p}"
    );
}

#[test]
fn a_shared_volume_or_namespace_needs_its_provider() {
    let service: Service = serde_json::from_value(serde_json::json!({
        "image": "busybox",
        "volumes_from": ["db:ro", "container:other"],
        "network_mode": "service:net",
        "ipc": "host",
        "pid": "service:db",
    }))
    .expect("service");
    let shares = shared_services(&service);
    let pairs: Vec<(&str, &str)> = shares
        .iter()
        .map(|(w, s)| (w.as_str(), s.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("volume", "db"),
            ("network namespace", "net"),
            ("PID namespace", "db")
        ]
    );

    let mut app = intent("app", "h");
    app.shares = vec![("volume".to_string(), "db".to_string())];
    let intents = vec![app, intent("db", "h-db")];
    let g = graph(&[
        ("app", &[("db", Condition::ServiceStarted, false)]),
        ("db", &[]),
    ]);
    let no_deps = Options {
        services: vec!["app".to_string()],
        no_deps: true,
        ..Options::default()
    };
    let app_only = vec![container("app", 1, "h", State::Running)];
    let err = plan("p", &intents, &g, &app_only, &no_deps).expect_err("db is missing");
    assert_eq!(
        err.message,
        "cannot share volume with service db: container missing"
    );
    // In the plan (dependencies come along), or already there: fine.
    plan("p", &intents, &g, &app_only, &Options::default()).expect("db is planned");
    let mut both = app_only.clone();
    both.push(container("db", 1, "h-db", State::Exited));
    let p = plan("p", &intents, &g, &both, &no_deps).expect("db exists");
    assert!(!p.changes(), "{p}");
}

#[test]
fn a_container_without_a_volume_the_service_mounts_is_recreated() {
    let mut app = intent("app", "h");
    app.volumes = vec!["ext-2".to_string()];
    let g = alone(&["app"]);
    let mut c = container("app", 1, "h", State::Running);
    c.mounts = vec!["ext-1".to_string(), "/host/path".to_string()];
    let p = plan("p", &[app.clone()], &g, &[c.clone()], &Options::default()).expect("plan");
    assert_eq!(
        p.to_string(),
        "project p\nservice app: starts at once\n  p-app-1: recreate and start (volume ext-2 not mounted)\n"
    );
    let never = Options {
        recreate: RecreatePolicy::Never,
        ..Options::default()
    };
    assert!(
        !plan("p", &[app.clone()], &g, &[c.clone()], &never)
            .expect("plan")
            .changes()
    );
    c.mounts.push("ext-2".to_string());
    assert!(
        !plan("p", &[app], &g, &[c], &Options::default())
            .expect("plan")
            .changes()
    );
}
