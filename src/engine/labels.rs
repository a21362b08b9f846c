//! Every `com.docker.compose.*` and `com.docker.stack.*` label and every engine-object naming
//! rule, in one place, so that containers, networks and volumes made by rcompose are recognised
//! by docker compose, and swarm stacks by `docker stack` (and the other way round).

use std::collections::{BTreeMap, HashMap};

use crate::project::model::ServiceDependency;

/// Project name the object belongs to.
pub const PROJECT: &str = "com.docker.compose.project";
/// Service name (containers).
pub const SERVICE: &str = "com.docker.compose.service";
/// Replica number of a service container, starting at 1.
pub const CONTAINER_NUMBER: &str = "com.docker.compose.container-number";
/// `"True"` for containers made by `run`, `"False"` otherwise.
pub const ONEOFF: &str = "com.docker.compose.oneoff";
/// Hash of the service configuration, used to decide whether to recreate a container.
pub const CONFIG_HASH: &str = "com.docker.compose.config-hash";
/// Directory the project was loaded from.
pub const WORKING_DIR: &str = "com.docker.compose.project.working_dir";
/// Comma-separated list of the compose files of the project.
pub const CONFIG_FILES: &str = "com.docker.compose.project.config_files";
/// Comma-separated list of the environment files of the project.
pub const ENVIRONMENT_FILE: &str = "com.docker.compose.project.environment_file";
/// Dependencies of a service container (`service:condition:restart`, comma-separated; see
/// [`depends_on_value`] and [`parse_depends_on`]), implicit ones (`links`, `volumes_from`,
/// `service:` modes) included, so that a project found by its labels orders as `up` did.
pub const DEPENDS_ON: &str = "com.docker.compose.depends_on";
/// Image digest the container was created from.
pub const IMAGE: &str = "com.docker.compose.image";
/// Version of the compose implementation that created the object; see [`COMPOSE_VERSION`].
pub const VERSION: &str = "com.docker.compose.version";
/// Project-local key of a network (the name under top-level `networks:`).
pub const NETWORK: &str = "com.docker.compose.network";
/// Project-local key of a volume (the name under top-level `volumes:`).
pub const VOLUME: &str = "com.docker.compose.volume";
/// Set on a container created to replace another one: the replaced container's ID.
pub const REPLACE: &str = "com.docker.compose.replace";
/// Set on the container of a `pre_start` hook: the kind of hook (`pre_start`).
pub const HOOK: &str = "com.docker.compose.hook";
/// On the container of a `pre_start` hook: its position in the service's list (from 0).
pub const HOOK_INDEX: &str = "com.docker.compose.hook-index";
/// The value of [`HOOK`] on `pre_start` hook containers.
pub const HOOK_PRE_START: &str = "pre_start";
/// Full random identifier of a one-off (`run`) container; its name holds the first 12 chars.
pub const SLUG: &str = "com.docker.compose.slug";

/// Swarm stack an object belongs to (services, networks, configs, secrets, volumes and
/// containers made by `swarm up`, as `docker stack deploy` labels them).
pub const STACK_NAMESPACE: &str = "com.docker.stack.namespace";
/// Image reference a swarm service was deployed with, as written in the compose file.
pub const STACK_IMAGE: &str = "com.docker.stack.image";

/// Value written into the [`VERSION`] label.
///
/// This is not rcompose's own version: it names the docker compose (v2) behaviour level that
/// rcompose emulates (naming with `-` separators, compose-spec semantics). docker compose v2 reads
/// objects with any value here; docker-compose 1.x writes its own version (`1.29.2`).
pub const COMPOSE_VERSION: &str = "2.24.0";

/// Label value of [`ONEOFF`] for `run` containers.
pub const ONEOFF_TRUE: &str = "True";
/// Label value of [`ONEOFF`] for service containers.
pub const ONEOFF_FALSE: &str = "False";

/// The value of the [`DEPENDS_ON`] label for a service's `depends_on`:
/// `db:service_healthy:true,cache:service_started:false`, as docker compose writes it
/// (`required` is not part of it).
pub fn depends_on_value(deps: &BTreeMap<String, ServiceDependency>) -> String {
    let items: Vec<String> = deps
        .iter()
        .map(|(name, d)| format!("{name}:{}:{}", d.condition, d.restart))
        .collect();
    items.join(",")
}

/// The dependencies a [`DEPENDS_ON`] label names. An unknown condition (written by another
/// tool) is read as `service_started`; every dependency is required.
pub fn parse_depends_on(value: &str) -> BTreeMap<String, ServiceDependency> {
    value
        .split(',')
        .filter_map(|item| {
            let mut fields = item.split(':');
            let service = fields.next().filter(|s| !s.is_empty())?;
            let condition = fields
                .next()
                .and_then(|c| c.parse().ok())
                .unwrap_or_default();
            let restart = fields.next() == Some("true");
            Some((
                service.to_string(),
                ServiceDependency {
                    condition,
                    restart,
                    ..ServiceDependency::default()
                },
            ))
        })
        .collect()
}

/// Whether container names use docker-compose v1's `_` (`--compatibility`,
/// `COMPOSE_COMPATIBILITY`): set once by the command line, before any name is made, as docker
/// compose sets its name separator.
static V1_NAMES: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Name containers as docker-compose v1 did: `project_service_1` (`--compatibility`).
pub fn use_v1_container_names() {
    V1_NAMES.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// The separator in container names: `-`, or `_` with `--compatibility`.
fn separator() -> char {
    if V1_NAMES.load(std::sync::atomic::Ordering::Relaxed) {
        '_'
    } else {
        '-'
    }
}

/// Name of replica `number` of a service: `<project>-<service>-<number>` (`_` with
/// `--compatibility`).
pub fn container_name(project: &str, service: &str, number: u32) -> String {
    let s = separator();
    format!("{project}{s}{service}{s}{number}")
}

/// Name of a one-off (`run`) container: `<project>-<service>-run-<first 12 chars of id>` (`_`
/// with `--compatibility`).
pub fn oneoff_container_name(project: &str, service: &str, id: &str) -> String {
    let short: String = id.chars().take(12).collect();
    let s = separator();
    format!("{project}{s}{service}{s}run{s}{short}")
}

/// Temporary name of the container that replaces container `old_id` named `name` during a
/// recreate: `<first 12 chars of old_id>_<name>`. The replacement is created under it while
/// the old container still runs, and renamed to `name` once the old one is gone.
pub fn replacement_name(old_id: &str, name: &str) -> String {
    let short: String = old_id.chars().take(12).collect();
    format!("{short}_{name}")
}

/// Whether `candidate` is a [`replacement_name`] for `name` (left over from an interrupted
/// recreate).
pub fn is_replacement_name(candidate: &str, name: &str) -> bool {
    candidate
        .strip_suffix(name)
        .and_then(|prefix| prefix.strip_suffix('_'))
        .is_some_and(|id| id.len() == 12 && id.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// How a container is named in multiplexed output (`web-1 | ...`): its name without the
/// `<project>-` prefix, or the whole name when `container_name:` chose another one.
pub fn display_name<'a>(project: &str, name: &'a str) -> &'a str {
    name.strip_prefix(project)
        .and_then(|rest| rest.strip_prefix('-'))
        .filter(|rest| !rest.is_empty())
        .unwrap_or(name)
}

/// Engine name of the network declared under key `key`: `<project>_<key>`.
pub fn network_name(project: &str, key: &str) -> String {
    format!("{project}_{key}")
}

/// Engine name of the volume declared under key `key`: `<project>_<key>`.
pub fn volume_name(project: &str, key: &str) -> String {
    format!("{project}_{key}")
}

/// Labels of an image built for a service: project, service and compose version, as docker
/// compose puts them on the images it builds.
pub fn image_labels(project: &str, service: &str) -> Vec<(String, String)> {
    vec![
        (PROJECT.to_string(), project.to_string()),
        (SERVICE.to_string(), service.to_string()),
        (VERSION.to_string(), COMPOSE_VERSION.to_string()),
    ]
}

/// Engine name of a swarm service, config or secret of stack `stack`: `<stack>_<key>`.
pub fn stack_object_name(stack: &str, key: &str) -> String {
    format!("{stack}_{key}")
}

/// `label=<key>=<value>` as a list filter for bollard.
pub fn label_filter(key: &str, value: &str) -> HashMap<String, Vec<String>> {
    HashMap::from([("label".to_string(), vec![format!("{key}={value}")])])
}

/// List filter matching every object of `project`: `label=com.docker.compose.project=<project>`.
pub fn project_filter(project: &str) -> HashMap<String, Vec<String>> {
    label_filter(PROJECT, project)
}

/// List filter matching every object of swarm stack `stack`:
/// `label=com.docker.stack.namespace=<stack>`.
pub fn stack_filter(stack: &str) -> HashMap<String, Vec<String>> {
    label_filter(STACK_NAMESPACE, stack)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_depends_on_label_reads_back_as_written() {
        use crate::project::model::DependencyCondition;
        let deps: BTreeMap<String, ServiceDependency> = [
            ("cache", DependencyCondition::ServiceStarted, false),
            ("db", DependencyCondition::ServiceHealthy, true),
            (
                "setup",
                DependencyCondition::ServiceCompletedSuccessfully,
                false,
            ),
        ]
        .into_iter()
        .map(|(name, condition, restart)| {
            let how = ServiceDependency {
                condition,
                restart,
                ..ServiceDependency::default()
            };
            (name.to_string(), how)
        })
        .collect();
        let value = depends_on_value(&deps);
        assert_eq!(
            value,
            "cache:service_started:false,db:service_healthy:true,setup:service_completed_successfully:false"
        );
        assert_eq!(parse_depends_on(&value), deps);
        assert!(parse_depends_on("").is_empty());
        let odd = parse_depends_on("db:service_ready,,web");
        assert_eq!(odd.keys().collect::<Vec<_>>(), ["db", "web"]);
        assert_eq!(odd["db"].condition, DependencyCondition::ServiceStarted);
    }

    #[test]
    fn container_names_use_dashes() {
        assert_eq!(container_name("app", "web", 1), "app-web-1");
        assert_eq!(container_name("my_app", "db-2", 12), "my_app-db-2-12");
    }

    #[test]
    fn oneoff_names_take_twelve_chars_of_the_id() {
        let id = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            oneoff_container_name("app", "web", id),
            "app-web-run-0123456789ab"
        );
        assert_eq!(
            oneoff_container_name("app", "web", "abc"),
            "app-web-run-abc"
        );
    }

    #[test]
    fn replacements_take_twelve_chars_of_the_old_id() {
        let name = replacement_name("0123456789abcdef", "app-web-1");
        assert_eq!(name, "0123456789ab_app-web-1");
        assert!(is_replacement_name(&name, "app-web-1"));
        assert!(!is_replacement_name("app-web-1", "app-web-1"));
        assert!(!is_replacement_name("xyz_app-web-1", "app-web-1"));
        assert!(!is_replacement_name("0123456789ab_app-web-12", "app-web-1"));
    }

    #[test]
    fn display_names_drop_the_project() {
        assert_eq!(display_name("app", "app-web-1"), "web-1");
        assert_eq!(
            display_name("app", "app-web-run-0123456789ab"),
            "web-run-0123456789ab"
        );
        assert_eq!(display_name("app", "custom"), "custom");
        assert_eq!(display_name("app", "application-1"), "application-1");
    }

    #[test]
    fn networks_and_volumes_use_underscores() {
        assert_eq!(network_name("app", "default"), "app_default");
        assert_eq!(volume_name("app", "data"), "app_data");
    }

    #[test]
    fn stack_objects_use_underscores_and_the_stack_label() {
        assert_eq!(stack_object_name("shop", "web"), "shop_web");
        assert_eq!(
            stack_filter("shop")["label"],
            vec!["com.docker.stack.namespace=shop".to_string()]
        );
        for label in [STACK_NAMESPACE, STACK_IMAGE] {
            assert!(label.starts_with("com.docker.stack."), "{label}");
        }
    }

    #[test]
    fn project_filter_is_a_label_filter() {
        let f = project_filter("app");
        assert_eq!(f.len(), 1);
        assert_eq!(
            f["label"],
            vec!["com.docker.compose.project=app".to_string()]
        );
    }

    #[test]
    fn labels_share_the_compose_prefix() {
        for label in [
            PROJECT,
            SERVICE,
            CONTAINER_NUMBER,
            ONEOFF,
            CONFIG_HASH,
            WORKING_DIR,
            CONFIG_FILES,
            ENVIRONMENT_FILE,
            DEPENDS_ON,
            IMAGE,
            VERSION,
            NETWORK,
            VOLUME,
            REPLACE,
            SLUG,
        ] {
            assert!(label.starts_with("com.docker.compose."), "{label}");
        }
        assert_eq!(WORKING_DIR, "com.docker.compose.project.working_dir");
    }
}
