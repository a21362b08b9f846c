//! The typed model of a compose project.
//!
//! The loader hands over one JSON value of the whole project (YAML read, interpolated,
//! merged, filtered by profiles, validated, paths made absolute); [`Project::from_value`]
//! turns it into these types. Every short syntax is normalized to its long form here, so
//! the rest of rcompose sees one shape per field. Serializing a [`Project`] gives the shape
//! `docker compose config` prints, and deserializing that again gives the same project.
//!
//! Numbers and booleans are accepted as strings too (`replicas: "3"`), since interpolation
//! produces strings. Unknown keys are ignored except `x-*` extensions, which are kept.

mod build;
mod de;
pub use de::float_text;
mod deploy;
mod develop;
mod fields;
mod mounts;
mod ports;
mod resources;
mod service;
mod units;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use build::BuildConfig;
pub use de::split_command;
pub use deploy::{
    DeployConfig, DeviceCount, DeviceRequest, DiscreteResourceSpec, GenericResource, Placement,
    PlacementPreference, Resource, Resources, RestartPolicy, UpdateConfig,
};
pub use develop::{DevelopConfig, WatchAction, WatchRule};
pub use fields::{
    BlkioConfig, BlkioLimit, BlkioWeight, CredentialSpec, DependencyCondition, DeviceMapping,
    EnvFile, ExtendsConfig, HealthCheck, Logging, Provider, ServiceDependency, ServiceFileRef,
    ServiceHook, ServiceModel, ServiceNetwork, Ulimit, parse_device_spec,
};
pub use mounts::{
    BindOptions, ImageOptions, MountType, ServiceVolume, TmpfsOptions, VolumeOptions, clean_path,
    parse_volume_spec,
};
pub use ports::{ServicePort, parse_port_spec};
pub use resources::{Config, FileObject, Ipam, IpamPool, Model, Network, Secret, Volume};
pub use service::Service;
pub use units::{Bytes, Duration, FileMode};

/// A compose project. Serializes with `name` first, then `services`, `networks`,
/// `volumes`, `configs`, `secrets`, `models`, then `x-*` extensions.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct Project {
    #[serde(default)]
    pub name: String,
    #[serde(default, deserialize_with = "de::nullable_map")]
    pub services: BTreeMap<String, Service>,
    /// A null definition (`networks: {front: }`) is a network with default settings.
    #[serde(
        default,
        deserialize_with = "de::nullable_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub networks: BTreeMap<String, Network>,
    #[serde(
        default,
        deserialize_with = "de::nullable_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub volumes: BTreeMap<String, Volume>,
    #[serde(
        default,
        deserialize_with = "de::nullable_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub configs: BTreeMap<String, Config>,
    #[serde(
        default,
        deserialize_with = "de::nullable_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub secrets: BTreeMap<String, Secret>,
    #[serde(
        default,
        deserialize_with = "de::nullable_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub models: BTreeMap<String, Model>,
    #[serde(
        flatten,
        deserialize_with = "de::extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Value>,
}

/// Why a project value could not be turned into the model, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelError {
    /// Path of the failing value, e.g. `["services", "web", "ports", "0"]`.
    pub path: Vec<String>,
    /// What is wrong, for users.
    pub message: String,
}

impl ModelError {
    /// The path joined with dots, as compose shows it (`services.web.ports.0`).
    pub fn dotted_path(&self) -> String {
        self.path.join(".")
    }
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.dotted_path(), self.message)
        }
    }
}

impl std::error::Error for ModelError {}

impl From<ModelError> for crate::Error {
    fn from(e: ModelError) -> Self {
        crate::Error::new(e.to_string())
    }
}

impl Project {
    /// No two of `services` (all when empty) share a `container_name`, as docker compose checks
    /// before creating containers and in `config`: each of them may run alone, not together.
    pub fn check_container_names(&self, services: &[String]) -> crate::error::Result<()> {
        let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
        let chosen = self
            .services
            .iter()
            .filter(|(name, _)| services.is_empty() || services.contains(name));
        for (name, service) in chosen {
            let Some(fixed) = service.container_name.as_deref() else {
                continue;
            };
            if let Some(first) = seen.insert(fixed, name) {
                return Err(crate::error::Error::new(format!(
                    "services.{name}: container name \"{fixed}\" is already in use by service {first}"
                ))
                .with_hint("give each service its own container_name, or run them one at a time"));
            }
        }
        Ok(())
    }

    /// Build the model from the loader's value of the whole project.
    pub fn from_value(mut value: Value) -> Result<Project, ModelError> {
        lift_external_names(&mut value)?;
        serde_path_to_error::deserialize(value).map_err(|err| {
            let path = err
                .path()
                .iter()
                .filter_map(|segment| match segment {
                    serde_path_to_error::Segment::Seq { index } => Some(index.to_string()),
                    serde_path_to_error::Segment::Map { key } => Some(key.clone()),
                    serde_path_to_error::Segment::Enum { variant } => Some(variant.clone()),
                    serde_path_to_error::Segment::Unknown => None,
                })
                .collect();
            ModelError {
                path,
                message: err.into_inner().to_string(),
            }
        })
    }

    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.get(name)
    }

    /// Service names, sorted.
    pub fn service_names(&self) -> Vec<String> {
        self.services.keys().cloned().collect()
    }
}

/// Apply the deprecated `external: {name: x}` → `name: x` move to every top-level resource.
fn lift_external_names(value: &mut Value) -> Result<(), ModelError> {
    for section in ["networks", "volumes", "configs", "secrets"] {
        let Some(Value::Object(resources)) = value.get_mut(section) else {
            continue;
        };
        for (key, resource) in resources.iter_mut() {
            resources::lift_external_name(resource).map_err(|message| ModelError {
                path: vec![section.to_string(), key.clone(), "external".to_string()],
                message,
            })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn full_project() -> Value {
        json!({
            "name": "shop",
            "services": {
                "web": {
                    "image": "example/web",
                    "build": {"context": "/src/web", "args": {"V": 1, "FROM_ENV": null},
                              "ssh": ["default"], "extra_hosts": {"h": ["1.1.1.1", "::1"]}},
                    "command": "npm start -- --port 3000",
                    "entrypoint": [],
                    "ports": ["127.0.0.1:8080:80/udp", "9090-9091:8080-8081", "[::1]:443:443",
                              3000, {"target": 22, "published": "2222", "mode": "host"}],
                    "volumes": ["data:/data:ro", "/abs:/in:rw,z", "/anon",
                                {"type": "tmpfs", "target": "/t", "tmpfs": {"size": "1m"}}],
                    "depends_on": {"db": {"condition": "service_healthy", "restart": true}},
                    "environment": ["A=b", "C"],
                    "env_file": ["/src/.env", {"path": "/src/opt.env", "required": false}],
                    "labels": ["l=1"],
                    "extra_hosts": ["somehost=1.2.3.4", "v6=[::1]"],
                    "healthcheck": {"test": "curl -f localhost", "interval": "1m30s",
                                    "timeout": "500ms", "start_period": "2us", "retries": 3},
                    "ulimits": {"nofile": 1024, "nproc": {"soft": 1, "hard": 2}},
                    "networks": {"front": {"aliases": ["w"]}, "back": null},
                    "deploy": {"replicas": "3", "resources": {"limits": {"cpus": "0.5", "memory": "512m"},
                               "reservations": {"devices": [{"capabilities": ["gpu"]}]}},
                               "restart_policy": {"condition": "on-failure", "delay": "5s"}},
                    "develop": {"watch": [{"path": "/src/web", "action": "sync+restart", "target": "/app"}]},
                    "secrets": ["token", {"source": "key", "mode": "0400"}],
                    "configs": [{"source": "conf", "target": "/etc/conf", "uid": "1"}],
                    "devices": ["/dev/fuse"],
                    "logging": {"driver": "local", "options": {"max-size": "10m"}},
                    "gpus": [{"driver": "nvidia", "device_ids": ["0"]}],
                    "models": {"llm": {"endpoint_var": "LLM_URL"}},
                    "stop_grace_period": "1h",
                    "mem_limit": "1g", "memswap_limit": -1, "shm_size": 67108864,
                    "cpus": 1.5, "privileged": "true", "tmpfs": ["/run:size=64m"],
                    "pre_start": [{"image": "busybox", "command": "chown -R 1000 /data"}],
                    "x-web": "ext"
                },
                "db": {"image": "postgres:16", "profiles": ["db"], "expose": [5432]},
                "empty": null
            },
            "networks": {"front": {"driver": "bridge", "ipam": {"config": [{"subnet": "10.0.0.0/24"}]}},
                         "back": null,
                         "outside": {"external": {"name": "real-outside"}}},
            "volumes": {"data": null, "shared": {"external": true, "name": "shared-data"}},
            "configs": {"conf": {"file": "/src/conf.ini"}},
            "secrets": {"token": {"environment": "TOKEN"}, "key": {"file": "/src/key"}},
            "models": {"llm": {"model": "ai/smollm2", "context_size": 4096}},
            "x-project": {"owner": "me"},
            "version": "3.9"
        })
    }

    #[test]
    fn project_from_value() {
        let p = Project::from_value(full_project()).unwrap();
        assert_eq!(p.name, "shop");
        assert_eq!(p.service_names(), ["db", "empty", "web"]);
        assert_eq!(p.services["empty"], Service::default());
        let web = p.service("web").unwrap();
        assert_eq!(web.ports.len(), 6);
        assert_eq!(web.ports[3].host_ip.as_deref(), Some("::1"));
        assert_eq!(web.volumes.len(), 4);
        assert_eq!(web.entrypoint, Some(vec![]));
        assert_eq!(p.networks["back"], Network::default());
        assert_eq!(p.networks["outside"].name.as_deref(), Some("real-outside"));
        assert!(p.networks["outside"].external);
        assert_eq!(p.volumes["data"], Volume::default());
        assert_eq!(
            p.volumes["shared"].engine_name("shop", "shared"),
            "shared-data"
        );
        assert_eq!(p.volumes["data"].engine_name("shop", "data"), "shop_data");
        assert_eq!(p.models["llm"].context_size, Some(4096));
        assert_eq!(p.extensions.keys().collect::<Vec<_>>(), ["x-project"]);
    }

    #[test]
    fn round_trip() {
        let p = Project::from_value(full_project()).unwrap();
        let value = serde_json::to_value(&p).unwrap();
        let again = Project::from_value(value.clone()).unwrap();
        assert_eq!(again, p);
        assert_eq!(serde_json::to_value(&again).unwrap(), value);
    }

    #[test]
    fn serialized_shape_matches_compose_config() {
        let p = Project::from_value(full_project()).unwrap();
        let v = serde_json::to_value(&p).unwrap();
        let web = &v["services"]["web"];
        assert_eq!(
            web["ports"][0],
            json!({"mode": "ingress", "host_ip": "127.0.0.1", "target": 80,
                   "published": "8080", "protocol": "udp"})
        );
        assert_eq!(
            web["depends_on"],
            json!({"db": {"condition": "service_healthy", "restart": true, "required": true}})
        );
        assert_eq!(web["environment"], json!({"A": "b", "C": null}));
        assert_eq!(
            web["command"],
            json!(["npm", "start", "--", "--port", "3000"])
        );
        assert_eq!(web["entrypoint"], json!([]));
        assert_eq!(web["extra_hosts"], json!(["somehost=1.2.3.4", "v6=::1"]));
        assert_eq!(
            web["healthcheck"],
            json!({"test": ["CMD-SHELL", "curl -f localhost"], "timeout": "500ms",
                   "interval": "1m30s", "retries": 3, "start_period": "2µs"})
        );
        assert_eq!(web["stop_grace_period"], json!("1h0m0s"));
        assert_eq!(web["mem_limit"], json!("1073741824"));
        assert_eq!(web["memswap_limit"], json!("-1"));
        assert_eq!(web["shm_size"], json!("67108864"));
        assert_eq!(web["ulimits"]["nofile"], json!(1024));
        assert_eq!(
            web["networks"],
            json!({"back": null, "front": {"aliases": ["w"]}})
        );
        assert_eq!(
            web["volumes"][1],
            json!({"type": "bind", "source": "/abs", "target": "/in",
                   "bind": {"selinux": "z"}})
        );
        assert_eq!(web["secrets"][1]["mode"], json!("0400"));
        assert_eq!(web["secrets"][1]["target"], json!("/run/secrets/key"));
        assert_eq!(web["build"]["dockerfile"], json!("Dockerfile"));
        assert_eq!(web["deploy"]["replicas"], json!(3));
        assert_eq!(
            web["deploy"]["resources"]["reservations"]["devices"][0]["count"],
            json!(-1)
        );
        assert_eq!(web["x-web"], json!("ext"));
        assert_eq!(v["volumes"]["data"], json!({}));
        assert_eq!(v["x-project"], json!({"owner": "me"}));
        assert_eq!(v.get("version"), None);

        let text = serde_json::to_string(&p).unwrap();
        let order: Vec<usize> = [
            "\"name\"",
            "\"services\"",
            "\"networks\":{\"back\"",
            "\"volumes\":{\"data\"",
            "\"configs\":{\"conf\"",
            "\"secrets\":{\"key\"",
            "\"models\":{\"llm\":{\"model\"",
            "\"x-project\"",
        ]
        .iter()
        .map(|k| text.find(k).unwrap_or_else(|| panic!("{k} missing")))
        .collect();
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(order, sorted, "top-level key order");
    }

    fn error_of(value: Value) -> ModelError {
        Project::from_value(value).unwrap_err()
    }

    #[test]
    fn errors_carry_the_path() {
        let cases = [
            (
                json!({"services": {"web": {"ports": ["80:abc"]}}}),
                vec!["services", "web", "ports", "0"],
                "invalid port \"80:abc\": port must be a number",
            ),
            (
                json!({"services": {"web": {"ports": ["80", {"target": "x"}]}}}),
                vec!["services", "web", "ports", "1", "target"],
                "invalid number \"x\": expected a whole number",
            ),
            (
                json!({"services": {"web": {"healthcheck": {"interval": "1x"}}}}),
                vec!["services", "web", "healthcheck", "interval"],
                "invalid duration \"1x\": use a number with a unit such as 10s, 1m30s",
            ),
            (
                json!({"services": {"web": {"mem_limit": "12q"}}}),
                vec!["services", "web", "mem_limit"],
                "invalid size \"12q\": use bytes or a number with b, k, m, g suffix",
            ),
            (
                json!({"services": {"web": {"volumes": ["/a", "data:/b:ro:x"]}}}),
                vec!["services", "web", "volumes", "1"],
                "invalid volume \"data:/b:ro:x\": too many colons, use SOURCE:TARGET:OPTIONS",
            ),
            (
                json!({"services": {"web": {"deploy": {"replicas": "three"}}}}),
                vec!["services", "web", "deploy", "replicas"],
                "invalid number \"three\": expected a whole number",
            ),
            (
                json!({"services": {"web": {"environment": ["A=1", "=2"]}}}),
                vec!["services", "web", "environment", "1"],
                "invalid entry \"=2\": use NAME=value",
            ),
            (
                json!({"services": {"web": {"privileged": "sure"}}}),
                vec!["services", "web", "privileged"],
                "invalid boolean \"sure\": use true or false",
            ),
            (
                json!({"services": {"web": {"depends_on": {"db": {"condition": "up"}}}}}),
                vec!["services", "web", "depends_on", "db", "condition"],
                "invalid depends_on condition \"up\": use service_started, service_healthy \
                 or service_completed_successfully",
            ),
            (
                json!({"services": {"web": {"ulimits": {"nofile": {"soft": "a", "hard": 1}}}}}),
                vec!["services", "web", "ulimits", "nofile", "soft"],
                "invalid number \"a\": expected a whole number",
            ),
            (
                json!({"networks": {"n": {"external": {"name": "a"}, "name": "b"}}}),
                vec!["networks", "n", "external"],
                "name \"b\" and external.name \"a\" differ; use only name (external.name is deprecated)",
            ),
            (
                json!({"services": {"web": {"scale": -1}}}),
                vec!["services", "web", "scale"],
                "invalid number -1: must be between 0 and 4294967295",
            ),
        ];
        for (input, path, message) in cases {
            let err = error_of(input);
            assert_eq!(err.path, path, "{message}");
            assert_eq!(err.message, message);
        }
    }

    #[test]
    fn error_display() {
        let err = error_of(json!({"services": {"web": {"ports": ["80:abc"]}}}));
        assert_eq!(
            err.to_string(),
            "services.web.ports.0: invalid port \"80:abc\": port must be a number"
        );
        let err: crate::Error = err.into();
        assert!(err.message.starts_with("services.web.ports.0: "));
    }

    #[test]
    fn wrong_types_read_well() {
        let err = error_of(json!({"services": {"web": {"image": ["a"]}}}));
        assert_eq!(err.path, ["services", "web", "image"]);
        assert_eq!(err.message, "invalid type: sequence, expected a string");
        let err = error_of(json!({"services": {"web": ["image"]}}));
        assert_eq!(err.path, ["services", "web"]);
        assert_eq!(err.message, "invalid type: sequence, expected a mapping");
        let err = error_of(json!({"services": []}));
        assert_eq!(err.path, ["services"]);
        assert_eq!(err.message, "invalid type: sequence, expected a map");
    }

    #[test]
    fn empty_project() {
        let p = Project::from_value(json!({"name": "x"})).unwrap();
        assert_eq!(p.name, "x");
        assert!(p.services.is_empty());
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            json!({"name": "x", "services": {}})
        );
    }
}
