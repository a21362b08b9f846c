//! Kubernetes manifests from a compose project (`rcompose convert kubernetes`).
//!
//! Every manifest is built from the typed Kubernetes API structs of `k8s-openapi`, so it is
//! structurally valid, then written as YAML by the project's own emitter. The output is
//! deterministic: maps are sorted, documents come in a fixed order (ConfigMaps, Secrets,
//! PersistentVolumeClaims, Services, Jobs, then workloads, each sorted by name).
//!
//! How compose maps onto Kubernetes here:
//! - each service is a Deployment; a StatefulSet (pods started in parallel) when it mounts a
//!   named volume; a DaemonSet with `deploy.mode: global`; a Job when it runs once to
//!   completion (`deploy.mode: *-job`, awaited by another with
//!   `service_completed_successfully`, or `restart: "no"`/`on-failure` set and no ports),
//!   since a workload would restart it forever after it finished;
//! - each named volume is one PersistentVolumeClaim (`ReadWriteOnce`, 1Gi) that every service
//!   mounting it shares, as containers share a compose volume. Not `volumeClaimTemplates`:
//!   those would give each replica a volume of its own, which compose never does;
//! - each service gets a Service of its own name, so pods find each other by the names they
//!   use under compose: a ClusterIP Service with the container ports of `ports` and `expose`
//!   (a published port is reachable in the cluster on its container port, as on a compose
//!   network; the host side is noted in an annotation), or a headless one when the service
//!   declares no ports (its name then resolves to the running pods, and every port is
//!   reachable);
//! - each `env_file` becomes a ConfigMap that the containers reading it take with
//!   `envFrom`; a value equal to the content of a compose secret is a `secretKeyRef` to its
//!   Secret, never a plain value; the rest of `environment` is plain `env`, which wins over
//!   `envFrom` as `environment` wins over `env_file`. Configs become ConfigMaps and secrets
//!   Secrets, each mounted as a file at its target; a bind-mounted file becomes a ConfigMap
//!   with a copy of it. Unlike Docker, Kubernetes does not copy the image's files into a new
//!   volume;
//! - `depends_on` becomes init containers that wait until the dependency's Service answers
//!   on its first TCP port. A Service sends traffic to ready pods only, and the healthcheck
//!   is the readiness probe, so this is `service_healthy` too. A dependency without ports
//!   has a headless Service that lists its running pods: the wait is until its name
//!   resolves (`service_started`; only in part `service_healthy`). A Job without ports, or
//!   `service_completed_successfully` (waiting for a Job needs access to the Kubernetes
//!   API, which a pod does not have by default), cannot be waited for: it is noted in the
//!   `rcompose/depends-on-unenforced` annotation and warned about, as is a partial wait.
//!
//! What has no Kubernetes equivalent is left out with one warning per key, never silently.

mod container;
mod env;
pub mod names;
mod network;
mod storage;
mod unsupported;
mod workload;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::project::emit::to_yaml;
use crate::project::model::{FileObject, Project};

/// What the conversion reads besides the project.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    pub project: &'a Project,
    /// The project's variables, for configs and secrets taken from `environment:`.
    pub environment: &'a BTreeMap<String, String>,
    /// The project directory; paths in messages are shown relative to it.
    pub working_dir: &'a Path,
}

/// One Kubernetes object, ready to be written.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    pub kind: &'static str,
    pub name: String,
    /// The object as JSON, keys in the order Kubernetes' types serialize them.
    pub document: serde_json::Value,
}

impl Manifest {
    /// `<kind>-<name>.yaml`, for `-o DIR`.
    pub fn file_name(&self) -> String {
        format!("{}-{}.yaml", self.kind.to_ascii_lowercase(), self.name)
    }

    pub fn to_yaml(&self) -> String {
        to_yaml(&self.document)
    }
}

/// The manifests of a project and what could not be carried over.
#[derive(Debug, Clone, Default)]
pub struct Conversion {
    pub manifests: Vec<Manifest>,
    pub warnings: Vec<String>,
}

impl Conversion {
    /// All manifests as one multi-document YAML stream.
    pub fn to_stream(&self) -> String {
        self.manifests
            .iter()
            .map(Manifest::to_yaml)
            .collect::<Vec<_>>()
            .join("---\n")
    }
}

/// Warnings about compose settings that could not be carried over, in the order found.
#[derive(Debug, Default)]
pub struct Warnings(Vec<String>);

impl Warnings {
    /// A warning about `key` of a service.
    pub fn service(&mut self, service: &str, key: &str, message: impl fmt::Display) {
        self.0
            .push(format!("service \"{service}\": {key}: {message}"));
    }

    /// A warning about a top-level key (`volumes.data.driver`).
    pub fn project(&mut self, key: &str, message: impl fmt::Display) {
        self.0.push(format!("{key}: {message}"));
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_vec(self) -> Vec<String> {
        self.0
    }
}

/// Convert the project to Kubernetes manifests.
pub fn convert(inputs: &Inputs<'_>) -> Result<Conversion> {
    let mut converter = Converter::new(inputs)?;
    converter.secret_values = converter.secret_values();
    unsupported::check_project(inputs.project, &mut converter.warnings);
    for (name, service) in &inputs.project.services {
        converter
            .convert_service(name, service)
            .map_err(|e| e.context(format!("service \"{name}\"")))?;
    }
    converter.push_claims()?;
    let Converter {
        mut manifests,
        warnings,
        ..
    } = converter;
    manifests.sort_by(|a, b| (kind_rank(a.kind), &a.name).cmp(&(kind_rank(b.kind), &b.name)));
    Ok(Conversion {
        manifests,
        warnings: warnings.into_vec(),
    })
}

/// Where a kind goes in the output: what pods use comes before the pods.
fn kind_rank(kind: &str) -> usize {
    const ORDER: [&str; 8] = [
        "ConfigMap",
        "Secret",
        "PersistentVolumeClaim",
        "Service",
        "Job",
        "Deployment",
        "StatefulSet",
        "DaemonSet",
    ];
    ORDER.iter().position(|k| *k == kind).unwrap_or(ORDER.len())
}

/// Kubernetes names for compose keys of one kind, checked for clashes once made valid.
fn name_map<'k>(
    what: &str,
    keys: impl Iterator<Item = &'k String>,
) -> Result<BTreeMap<String, String>> {
    let mut map = BTreeMap::new();
    let mut owners: BTreeMap<String, String> = BTreeMap::new();
    for key in keys {
        let name = names::dns_label(key).ok_or_else(|| {
            Error::new(format!(
                "{what} \"{key}\" has no letter or digit to make a Kubernetes name from"
            ))
            .with_hint(format!("rename the {what}"))
        })?;
        if let Some(other) = owners.insert(name.clone(), key.clone()) {
            return Err(Error::new(format!(
                "{what}s \"{other}\" and \"{key}\" both become \"{name}\" in Kubernetes"
            ))
            .with_hint(
                "rename one of them: Kubernetes names use lowercase letters, digits and -",
            ));
        }
        map.insert(key.clone(), name);
    }
    Ok(map)
}

/// The state of one conversion: names decided up front, objects made so far, warnings.
struct Converter<'a> {
    inputs: &'a Inputs<'a>,
    project: &'a Project,
    warnings: Warnings,
    manifests: Vec<Manifest>,
    /// Compose service → Kubernetes name (of its workload, Service and container).
    service_names: BTreeMap<String, String>,
    /// Compose volume (not external) → PersistentVolumeClaim name.
    claim_names: BTreeMap<String, String>,
    /// Compose volume → the services that mount it.
    volume_users: BTreeMap<String, BTreeSet<String>>,
    /// Compose config (not external) → ConfigMap name.
    config_names: BTreeMap<String, String>,
    /// Compose secret (not external) → Secret name.
    secret_names: BTreeMap<String, String>,
    /// Configs and secrets already made (or warned about, when external): section and key.
    made_file_objects: BTreeSet<(&'static str, String)>,
    /// Every ConfigMap name in use, for the ConfigMaps made from bind-mounted files.
    config_map_names: names::UniqueNames,
    /// The contents of the project's secrets, by secret key (see `Converter::secret_values`).
    secret_values: Vec<(String, String)>,
    /// Env file path → its ConfigMap, made on first use.
    env_config_maps: BTreeMap<String, env::EnvConfigMap>,
}

impl<'a> Converter<'a> {
    fn new(inputs: &'a Inputs<'a>) -> Result<Self> {
        let project = inputs.project;
        let service_names = name_map("service", project.services.keys())?;
        let claim_names = name_map(
            "volume",
            project
                .volumes
                .iter()
                .filter(|(_, v)| !v.external)
                .map(|(k, _)| k),
        )?;
        let not_external =
            |(key, object): (&'a String, &FileObject)| (!object.external).then_some(key);
        let config_names = name_map("config", project.configs.iter().filter_map(not_external))?;
        let secret_names = name_map("secret", project.secrets.iter().filter_map(not_external))?;
        let mut config_map_names = names::UniqueNames::default();
        for name in config_names.values() {
            config_map_names.reserve(name);
        }
        let mut warnings = Warnings::default();
        for (compose, k8s) in &service_names {
            if compose != k8s {
                warnings.service(
                    compose,
                    "name",
                    format!(
                        "Kubernetes names it \"{k8s}\": other services must use that host name"
                    ),
                );
            }
        }
        Ok(Converter {
            inputs,
            project,
            warnings,
            manifests: Vec::new(),
            service_names,
            claim_names,
            volume_users: BTreeMap::new(),
            config_names,
            secret_names,
            made_file_objects: BTreeSet::new(),
            config_map_names,
            secret_values: Vec::new(),
            env_config_maps: BTreeMap::new(),
        })
    }

    /// Add an object to the output.
    fn push<T>(&mut self, object: &T) -> Result<()>
    where
        T: k8s_openapi::Resource + k8s_openapi::Metadata<Ty = ObjectMeta> + Serialize,
    {
        let name = object.metadata().name.clone().unwrap_or_default();
        let document = serde_json::to_value(object).map_err(|e| {
            Error::new(format!(
                "internal error: cannot render {} {name}: {e}",
                T::KIND
            ))
        })?;
        self.manifests.push(Manifest {
            kind: T::KIND,
            name,
            document,
        });
        Ok(())
    }

    /// Object metadata with the project's labels and the given annotations.
    fn metadata(
        &self,
        name: &str,
        labels: BTreeMap<String, String>,
        annotations: BTreeMap<String, String>,
    ) -> ObjectMeta {
        ObjectMeta {
            name: Some(name.to_string()),
            labels: (!labels.is_empty()).then_some(labels),
            annotations: (!annotations.is_empty()).then_some(annotations),
            ..ObjectMeta::default()
        }
    }

    /// A path as the user wrote it: relative to the project directory when inside it.
    fn display_path(&self, path: &str) -> String {
        Path::new(path)
            .strip_prefix(self.inputs.working_dir)
            .map_or_else(|_| path.to_string(), |p| p.display().to_string())
    }
}

#[cfg(test)]
mod tests;
