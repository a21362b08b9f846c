//! A service: every key the compose spec allows on a service, each in one normalized form,
//! printed in alphabetical key order as `docker compose config` does.
//!
//! Over 700 lines because the struct has one documented field per compose key (about 450
//! lines) and its tests follow.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::build::{self, BuildConfig};
use super::de as d;
use super::deploy::{self, DeployConfig, DeviceRequest};
use super::develop::DevelopConfig;
use super::fields::{
    self, BlkioConfig, CredentialSpec, DeviceMapping, EnvFile, ExtendsConfig, HealthCheck, Logging,
    Provider, ServiceDependency, ServiceFileRef, ServiceHook, ServiceModel, ServiceNetwork, Ulimit,
};
use super::mounts::{self, ServiceVolume};
use super::ports::{self, ServicePort};
use super::units::{Bytes, Duration};

/// One service of a project. Fields are declared in alphabetical order so that they
/// serialize in the order compose prints them.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
#[serde(default)]
pub struct Service {
    #[serde(
        deserialize_with = "d::label_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub annotations: BTreeMap<String, String>,
    /// Whether `up` attaches to this service's output (default: yes).
    #[serde(deserialize_with = "d::opt", skip_serializing_if = "Option::is_none")]
    pub attach: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blkio_config: Option<BlkioConfig>,
    #[serde(
        deserialize_with = "build::build",
        skip_serializing_if = "Option::is_none"
    )]
    pub build: Option<BuildConfig>,
    #[serde(
        deserialize_with = "d::string_or_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub cap_add: Vec<String>,
    #[serde(
        deserialize_with = "d::string_or_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub cap_drop: Vec<String>,
    /// `host` or `private`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cgroup: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cgroup_parent: Option<String>,
    /// Overrides the image's CMD; `Some([])` clears it.
    #[serde(
        deserialize_with = "d::command",
        skip_serializing_if = "Option::is_none"
    )]
    pub command: Option<Vec<String>>,
    #[serde(
        deserialize_with = "fields::file_refs",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub configs: Vec<ServiceFileRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_name: Option<String>,
    #[serde(deserialize_with = "d::opt", skip_serializing_if = "Option::is_none")]
    pub cpu_count: Option<i64>,
    #[serde(deserialize_with = "d::opt", skip_serializing_if = "Option::is_none")]
    pub cpu_percent: Option<f64>,
    #[serde(deserialize_with = "d::opt", skip_serializing_if = "Option::is_none")]
    pub cpu_period: Option<i64>,
    #[serde(deserialize_with = "d::opt", skip_serializing_if = "Option::is_none")]
    pub cpu_quota: Option<i64>,
    /// Microseconds.
    #[serde(
        deserialize_with = "fields::opt_micros",
        skip_serializing_if = "Option::is_none"
    )]
    pub cpu_rt_period: Option<i64>,
    /// Microseconds.
    #[serde(
        deserialize_with = "fields::opt_micros",
        skip_serializing_if = "Option::is_none"
    )]
    pub cpu_rt_runtime: Option<i64>,
    #[serde(deserialize_with = "d::opt", skip_serializing_if = "Option::is_none")]
    pub cpu_shares: Option<i64>,
    #[serde(deserialize_with = "d::opt", skip_serializing_if = "Option::is_none")]
    pub cpus: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpuset: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential_spec: Option<CredentialSpec>,
    #[serde(
        deserialize_with = "fields::depends_on",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub depends_on: BTreeMap<String, ServiceDependency>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deploy: Option<DeployConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub develop: Option<DevelopConfig>,
    #[serde(
        deserialize_with = "d::string_or_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub device_cgroup_rules: Vec<String>,
    #[serde(
        deserialize_with = "fields::devices",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub devices: Vec<DeviceMapping>,
    #[serde(
        deserialize_with = "d::string_or_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub dns: Vec<String>,
    #[serde(
        deserialize_with = "d::string_or_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub dns_opt: Vec<String>,
    #[serde(
        deserialize_with = "d::string_or_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub dns_search: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domainname: Option<String>,
    /// Overrides the image's ENTRYPOINT; `Some([])` clears it.
    #[serde(
        deserialize_with = "d::command",
        skip_serializing_if = "Option::is_none"
    )]
    pub entrypoint: Option<Vec<String>>,
    #[serde(
        deserialize_with = "fields::env_files",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub env_file: Vec<EnvFile>,
    /// `None` means "take the value from the environment" (resolved by the loader).
    #[serde(
        deserialize_with = "d::env_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub environment: BTreeMap<String, Option<String>>,
    /// Ports or ranges (`"3000-3005"`).
    #[serde(
        deserialize_with = "fields::string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub expose: Vec<String>,
    /// Normally resolved by the loader before the model is built.
    #[serde(
        deserialize_with = "fields::extends",
        skip_serializing_if = "Option::is_none"
    )]
    pub extends: Option<ExtendsConfig>,
    #[serde(
        deserialize_with = "d::string_or_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub external_links: Vec<String>,
    /// Host name → IPs; printed as a list of `host=ip`.
    #[serde(
        deserialize_with = "fields::extra_hosts",
        serialize_with = "fields::ser_extra_hosts",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extra_hosts: BTreeMap<String, Vec<String>>,
    #[serde(
        deserialize_with = "deploy::gpus",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub gpus: Vec<DeviceRequest>,
    #[serde(
        deserialize_with = "fields::string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub group_add: Vec<String>,
    #[serde(
        deserialize_with = "fields::healthcheck",
        skip_serializing_if = "Option::is_none"
    )]
    pub healthcheck: Option<HealthCheck>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(deserialize_with = "d::opt", skip_serializing_if = "Option::is_none")]
    pub init: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipc: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub isolation: Option<String>,
    #[serde(
        deserialize_with = "d::string_or_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub label_file: Vec<String>,
    #[serde(
        deserialize_with = "d::label_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub labels: BTreeMap<String, String>,
    #[serde(
        deserialize_with = "d::string_or_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub links: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logging: Option<Logging>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mem_limit: Option<Bytes>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mem_reservation: Option<Bytes>,
    #[serde(deserialize_with = "d::opt", skip_serializing_if = "Option::is_none")]
    pub mem_swappiness: Option<i64>,
    /// `-1` for unlimited swap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memswap_limit: Option<Bytes>,
    /// Models from the top-level `models`; `None` when listed by name only.
    #[serde(
        deserialize_with = "d::names_or_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub models: BTreeMap<String, Option<ServiceModel>>,
    /// `bridge`, `host`, `none`, `service:NAME` or `container:NAME`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_mode: Option<String>,
    /// Networks to join; `None` when listed by name only (printed as `null`).
    #[serde(
        deserialize_with = "d::names_or_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub networks: BTreeMap<String, Option<ServiceNetwork>>,
    #[serde(deserialize_with = "d::flag", skip_serializing_if = "d::is_false")]
    pub oom_kill_disable: bool,
    #[serde(deserialize_with = "d::opt", skip_serializing_if = "Option::is_none")]
    pub oom_score_adj: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<String>,
    /// `-1` for unlimited.
    #[serde(deserialize_with = "d::opt", skip_serializing_if = "Option::is_none")]
    pub pids_limit: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    #[serde(
        deserialize_with = "ports::ports",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub ports: Vec<ServicePort>,
    #[serde(
        deserialize_with = "d::or_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub post_start: Vec<ServiceHook>,
    /// Steps run to completion in their own containers before the service starts.
    #[serde(
        deserialize_with = "d::or_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub pre_start: Vec<ServiceHook>,
    #[serde(
        deserialize_with = "d::or_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub pre_stop: Vec<ServiceHook>,
    #[serde(deserialize_with = "d::flag", skip_serializing_if = "d::is_false")]
    pub privileged: bool,
    #[serde(
        deserialize_with = "d::string_or_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub profiles: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<Provider>,
    /// `always`, `never`, `missing`, `build`, `if_not_present`, `refresh`, `daily`,
    /// `weekly` or `every_<duration>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pull_policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pull_refresh_after: Option<String>,
    #[serde(deserialize_with = "d::flag", skip_serializing_if = "d::is_false")]
    pub read_only: bool,
    /// `no`, `always`, `on-failure[:N]` or `unless-stopped`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    #[serde(deserialize_with = "d::opt", skip_serializing_if = "Option::is_none")]
    pub scale: Option<u32>,
    #[serde(
        deserialize_with = "fields::secret_refs",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub secrets: Vec<ServiceFileRef>,
    #[serde(
        deserialize_with = "d::string_or_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub security_opt: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shm_size: Option<Bytes>,
    #[serde(deserialize_with = "d::flag", skip_serializing_if = "d::is_false")]
    pub stdin_open: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_grace_period: Option<Duration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
    #[serde(
        deserialize_with = "d::label_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub storage_opt: BTreeMap<String, String>,
    #[serde(
        deserialize_with = "d::label_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub sysctls: BTreeMap<String, String>,
    /// `PATH[:OPTIONS]` entries.
    #[serde(
        deserialize_with = "d::string_or_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub tmpfs: Vec<String>,
    #[serde(deserialize_with = "d::flag", skip_serializing_if = "d::is_false")]
    pub tty: bool,
    #[serde(
        deserialize_with = "d::or_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub ulimits: BTreeMap<String, Ulimit>,
    #[serde(deserialize_with = "d::flag", skip_serializing_if = "d::is_false")]
    pub use_api_socket: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub userns_mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uts: Option<String>,
    #[serde(
        deserialize_with = "mounts::mounts",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub volumes: Vec<ServiceVolume>,
    /// `service[:ro|rw]` or `container:name[:ro|rw]`.
    #[serde(
        deserialize_with = "d::string_or_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub volumes_from: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    #[serde(
        flatten,
        deserialize_with = "d::extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Value>,
}

/// The service named by `service:NAME`, if `mode` has that form.
fn service_reference(mode: Option<&str>) -> Option<&str> {
    mode?.strip_prefix("service:").filter(|s| !s.is_empty())
}

impl Service {
    /// `environment` as the engine takes it: `KEY=VALUE`, or a bare `KEY` for a variable
    /// without a value (which unsets what the image sets, as docker compose passes it).
    pub fn environment_entries(&self) -> Vec<String> {
        self.environment
            .iter()
            .map(|(k, v)| match v {
                Some(v) => format!("{k}={v}"),
                None => k.clone(),
            })
            .collect()
    }

    /// The image this service runs: `image`, or `<project>-<service>` for a service that is
    /// only built (compose v2 naming).
    pub fn image_name(&self, project: &str, service: &str) -> String {
        match &self.image {
            Some(image) if !image.is_empty() => image.clone(),
            _ => format!("{project}-{service}"),
        }
    }

    /// Services that must be handled before this one, as compose orders them: `depends_on`
    /// keys, `links` targets, `service:` references in `network_mode`, `ipc`, `pid`, `uts`
    /// and `cgroup`, and services in `volumes_from`. Sorted, without duplicates.
    pub fn dependency_names(&self) -> Vec<String> {
        let mut names: BTreeSet<String> = self.depends_on.keys().cloned().collect();
        for link in &self.links {
            let target = link.split_once(':').map_or(link.as_str(), |(s, _)| s);
            names.insert(target.to_string());
        }
        for mode in [
            &self.network_mode,
            &self.ipc,
            &self.pid,
            &self.uts,
            &self.cgroup,
        ] {
            if let Some(name) = service_reference(mode.as_deref()) {
                names.insert(name.to_string());
            }
        }
        for source in &self.volumes_from {
            if source.starts_with("container:") {
                continue;
            }
            let name = source.split(':').next().unwrap_or(source);
            if !name.is_empty() {
                names.insert(name.to_string());
            }
        }
        names.into_iter().collect()
    }

    /// The services whose containers must exist before this one's can be created: links,
    /// `service:X` modes and volumes_from (depends_on alone only orders the start).
    pub fn creation_dependency_names(&self) -> Vec<String> {
        let mut names = self.dependency_names();
        names.retain(|n| {
            !self.depends_on.contains_key(n)
                || self
                    .links
                    .iter()
                    .any(|l| l.split_once(':').map_or(l.as_str(), |(s, _)| s) == n)
                || self
                    .volumes_from
                    .iter()
                    .any(|v| v.split(':').next() == Some(n))
                || [
                    &self.network_mode,
                    &self.ipc,
                    &self.pid,
                    &self.uts,
                    &self.cgroup,
                ]
                .iter()
                .any(|m| service_reference(m.as_deref()) == Some(n.as_str()))
        });
        names
    }

    /// How many containers to run: `scale`, else `deploy.replicas`, else 1.
    pub fn replicas(&self) -> u32 {
        self.scale
            .or_else(|| self.deploy.as_ref().and_then(|d| d.replicas))
            .unwrap_or(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::model::deploy::DeviceCount;
    use crate::project::model::fields::DependencyCondition;
    use crate::project::model::mounts::MountType;
    use serde_json::json;

    fn service(v: Value) -> Service {
        serde_json::from_value(v).unwrap()
    }

    fn full_service_value() -> Value {
        let text = r#"{
            "annotations": ["com.example.a=1"],
            "attach": "false",
            "blkio_config": {"weight": "300", "weight_device": [{"path": "/dev/sda", "weight": 400}],
                             "device_read_bps": [{"path": "/dev/sdb", "rate": "12mb"}],
                             "device_write_iops": [{"path": "/dev/sdb", "rate": 120}]},
            "build": "/src/web",
            "cap_add": ["NET_ADMIN"], "cap_drop": ["ALL"],
            "cgroup": "private", "cgroup_parent": "m-executor",
            "command": "bundle exec thin -p 3000",
            "configs": ["my_config", {"source": "other", "target": "/etc/o", "mode": 288}],
            "container_name": "web-1",
            "cpu_count": "2", "cpu_percent": 50, "cpu_period": 100000, "cpu_quota": "50000",
            "cpu_rt_period": "1400us", "cpu_rt_runtime": 95000, "cpu_shares": 512,
            "cpus": "0.5", "cpuset": "0-3",
            "credential_spec": {"config": "my_credential_spec"},
            "depends_on": ["db"],
            "deploy": {"replicas": "3", "resources": {"limits": {"memory": "1g"}}},
            "develop": {"watch": [{"path": "/src/web", "action": "rebuild"}]},
            "device_cgroup_rules": ["c 1:3 mr"],
            "devices": ["/dev/ttyUSB0:/dev/ttyUSB1"],
            "dns": "8.8.8.8", "dns_opt": ["use-vc"], "dns_search": ["example.com"],
            "domainname": "example.com",
            "entrypoint": ["/entry.sh"],
            "env_file": "/src/.env",
            "environment": {"RACK_ENV": "development", "SHOW": true, "N": 1, "EMPTY": null},
            "expose": [3000, "8000-8010"],
            "external_links": ["redis_1"],
            "extra_hosts": {"somehost": "162.242.195.82"},
            "gpus": "all",
            "group_add": ["mail", 1001],
            "healthcheck": {"test": "curl -f http://localhost", "interval": "1m30s"},
            "hostname": "web", "image": "example/web:1",
            "init": "true", "ipc": "shareable", "isolation": "default",
            "label_file": "/src/labels", "labels": {"com.example.b": "2"},
            "links": ["db:database"],
            "logging": {"driver": "json-file", "options": {"max-size": "10m", "max-file": 3}},
            "mac_address": "02:42:ac:11:65:43",
            "mem_limit": "1073741824", "mem_reservation": "512m", "mem_swappiness": "60",
            "memswap_limit": -1,
            "models": ["llm"],
            "networks": {"front": {"aliases": ["www"], "ipv4_address": "172.16.238.10",
                                    "priority": "100", "gw_priority": 1, "interface_name": "eth9",
                                    "link_local_ips": ["57.123.22.11"], "mac_address": "02:42:ac:11:00:02",
                                    "driver_opts": {"com.docker.network.endpoint.sysctls": "x=1"}},
                         "back": null},
            "oom_kill_disable": "true", "oom_score_adj": "-500",
            "pid": "host", "pids_limit": "-1", "platform": "linux/amd64",
            "ports": ["8080:80"],
            "post_start": [{"command": "./started.sh", "user": "root", "privileged": true,
                            "environment": ["FOO=BAR"]}],
            "pre_start": [{"command": ["./manage.py", "migrate"], "per_replica": true}],
            "pre_stop": [{"command": "./stopping.sh"}],
            "privileged": "true", "profiles": ["debug"],
            "provider": {"type": "awesomecloud", "options": {"type": "mysql", "size": 256,
                                                             "tag": ["a", "b"]}},
            "pull_policy": "always", "pull_refresh_after": "1h",
            "read_only": "false", "restart": "unless-stopped", "runtime": "runc",
            "scale": "2",
            "secrets": ["server-certificate"],
            "security_opt": ["label=user:USER"],
            "shm_size": "64m", "stdin_open": true,
            "stop_grace_period": "1m30s", "stop_signal": "SIGUSR1",
            "storage_opt": {"size": "1G"},
            "sysctls": ["net.core.somaxconn=1024"],
            "tmpfs": "/run", "tty": "yes",
            "ulimits": {"nofile": {"soft": 20000, "hard": 40000}, "nproc": 65535},
            "use_api_socket": true,
            "user": "1000:1000", "userns_mode": "host", "uts": "host",
            "volumes": ["db-data:/var/lib/db", "./static:/static:ro"],
            "volumes_from": ["logger:ro", "container:legacy"],
            "working_dir": "/app",
            "x-custom": {"k": "v"}
        }"#;
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn full_service() {
        let s = service(full_service_value());
        assert_eq!(s.annotations["com.example.a"], "1");
        assert_eq!(s.attach, Some(false));
        let blkio = s.blkio_config.as_ref().unwrap();
        assert_eq!(blkio.weight, Some(300));
        assert_eq!(blkio.weight_device[0].weight, 400);
        assert_eq!(blkio.device_read_bps[0].rate, Bytes(12 << 20));
        assert_eq!(blkio.device_write_iops[0].rate, Bytes(120));
        assert_eq!(s.build, Some(BuildConfig::from_context("/src/web")));
        assert_eq!(s.cap_add, ["NET_ADMIN"]);
        assert_eq!(
            s.command.as_deref(),
            Some(&["bundle", "exec", "thin", "-p", "3000"].map(String::from)[..])
        );
        assert_eq!(s.configs[0].source, "my_config");
        assert_eq!(s.configs[0].target, None);
        assert_eq!(s.configs[1].target.as_deref(), Some("/etc/o"));
        assert_eq!(s.cpu_count, Some(2));
        assert_eq!(s.cpu_percent, Some(50.0));
        assert_eq!(s.cpu_quota, Some(50000));
        assert_eq!(s.cpu_rt_period, Some(1400));
        assert_eq!(s.cpu_rt_runtime, Some(95000));
        assert_eq!(s.cpus, Some(0.5));
        assert_eq!(s.depends_on["db"], ServiceDependency::default());
        assert_eq!(s.deploy.as_ref().unwrap().replicas, Some(3));
        assert_eq!(s.devices[0].target, "/dev/ttyUSB1");
        assert_eq!(s.dns, ["8.8.8.8"]);
        assert_eq!(
            s.entrypoint.as_deref(),
            Some(&["/entry.sh".to_string()][..])
        );
        assert_eq!(s.env_file, [EnvFile::new("/src/.env")]);
        assert_eq!(s.environment["SHOW"].as_deref(), Some("true"));
        assert_eq!(s.environment["N"].as_deref(), Some("1"));
        assert_eq!(s.environment["EMPTY"], None);
        assert_eq!(s.expose, ["3000", "8000-8010"]);
        assert_eq!(s.extra_hosts["somehost"], ["162.242.195.82"]);
        assert_eq!(s.gpus[0].count, Some(DeviceCount::All));
        assert_eq!(s.group_add, ["mail", "1001"]);
        let health = s.healthcheck.as_ref().unwrap();
        assert_eq!(health.interval, Some(Duration::from_secs(90)));
        assert_eq!(s.init, Some(true));
        assert_eq!(s.label_file, ["/src/labels"]);
        assert_eq!(s.logging.as_ref().unwrap().options["max-file"], "3");
        assert_eq!(s.mem_limit, Some(Bytes(1 << 30)));
        assert_eq!(s.mem_reservation, Some(Bytes(512 << 20)));
        assert_eq!(s.mem_swappiness, Some(60));
        assert_eq!(s.memswap_limit, Some(Bytes(-1)));
        assert_eq!(s.models["llm"], None);
        let front = s.networks["front"].as_ref().unwrap();
        assert_eq!(front.aliases, ["www"]);
        assert_eq!(front.priority, Some(100));
        assert_eq!(front.gw_priority, Some(1));
        assert_eq!(s.networks["back"], None);
        assert!(s.oom_kill_disable);
        assert_eq!(s.oom_score_adj, Some(-500));
        assert_eq!(s.pids_limit, Some(-1));
        assert_eq!(s.ports[0].published.as_deref(), Some("8080"));
        assert!(s.post_start[0].privileged);
        assert_eq!(s.post_start[0].environment["FOO"].as_deref(), Some("BAR"));
        assert!(s.pre_start[0].per_replica);
        assert_eq!(
            s.pre_stop[0].command.as_deref(),
            Some(&["./stopping.sh".to_string()][..])
        );
        assert!(s.privileged);
        let provider = s.provider.as_ref().unwrap();
        assert_eq!(provider.type_, "awesomecloud");
        assert_eq!(provider.options["size"], ["256"]);
        assert_eq!(provider.options["tag"], ["a", "b"]);
        assert!(!s.read_only);
        assert_eq!(s.scale, Some(2));
        assert_eq!(
            s.secrets[0].target.as_deref(),
            Some("/run/secrets/server-certificate")
        );
        assert_eq!(s.shm_size, Some(Bytes(64 << 20)));
        assert!(s.stdin_open && s.tty && s.use_api_socket);
        assert_eq!(s.stop_grace_period, Some(Duration::from_secs(90)));
        assert_eq!(s.sysctls["net.core.somaxconn"], "1024");
        assert_eq!(s.tmpfs, ["/run"]);
        assert_eq!(s.ulimits["nproc"], Ulimit::single(65535));
        assert_eq!(s.volumes[0].type_, MountType::Volume);
        assert_eq!(s.volumes[1].type_, MountType::Bind);
        assert!(s.volumes[1].read_only);
        assert_eq!(s.extensions["x-custom"], json!({"k": "v"}));

        assert_eq!(s.replicas(), 2);
        assert_eq!(s.dependency_names(), ["db", "logger"]);
        assert_eq!(s.image_name("proj", "web"), "example/web:1");
    }

    #[test]
    fn full_service_round_trips() {
        let s = service(full_service_value());
        let value = serde_json::to_value(&s).unwrap();
        assert_eq!(service(value.clone()), s);
        assert_eq!(value["extra_hosts"], json!(["somehost=162.242.195.82"]));
        assert_eq!(value["gpus"], json!([{"count": -1}]));
        assert_eq!(value["configs"][1]["mode"], json!("0440"));
        assert_eq!(value["cpu_rt_period"], json!(1400));
        assert_eq!(value["provider"]["options"]["size"], json!(["256"]));
    }

    #[test]
    fn unknown_keys_are_dropped_and_extensions_kept() {
        let s = service(json!({"image": "a", "x-one": 1, "version_of_the_future": true}));
        assert_eq!(s.extensions.len(), 1);
        assert_eq!(s.extensions["x-one"], json!(1));
    }

    #[test]
    fn null_values_mean_unset() {
        let s = service(json!({
            "environment": null, "ports": null, "volumes": null, "command": null,
            "cap_add": null, "networks": null, "depends_on": null, "ulimits": null,
            "healthcheck": null, "deploy": null, "develop": null, "pid": null,
            "build": null, "gpus": null, "extra_hosts": null, "post_start": null
        }));
        assert_eq!(s, Service::default());
    }

    #[test]
    fn creation_dependencies_are_the_references_not_the_start_order() {
        let s = service(json!({
            "image": "a",
            "depends_on": {"db": {"condition": "service_healthy"}, "cache": {"condition": "service_started"}},
            "links": ["cache:redis"],
            "network_mode": "service:vpn",
            "volumes_from": ["data:ro", "container:other"]
        }));
        assert_eq!(s.dependency_names(), ["cache", "data", "db", "vpn"]);
        assert_eq!(s.creation_dependency_names(), ["cache", "data", "vpn"]);
    }

    #[test]
    fn image_names() {
        let built = Service {
            build: Some(BuildConfig::default()),
            ..Service::default()
        };
        assert_eq!(built.image_name("shop", "api"), "shop-api");
        let both = Service {
            image: Some("registry/api:2".into()),
            ..built
        };
        assert_eq!(both.image_name("shop", "api"), "registry/api:2");
    }

    #[test]
    fn dependencies_as_compose_orders_them() {
        let s = service(json!({
            "depends_on": {"db": {"condition": "service_healthy"}},
            "links": ["cache:redis", "queue"],
            "network_mode": "service:vpn",
            "ipc": "service:shm",
            "pid": "container:abc",
            "volumes_from": ["data:ro", "container:other", "logs"],
        }));
        assert_eq!(
            s.dependency_names(),
            ["cache", "data", "db", "logs", "queue", "shm", "vpn"]
        );
        assert_eq!(
            s.depends_on["db"].condition,
            DependencyCondition::ServiceHealthy
        );
    }

    #[test]
    fn replicas_prefer_scale_then_deploy() {
        assert_eq!(Service::default().replicas(), 1);
        assert_eq!(service(json!({"deploy": {"replicas": 4}})).replicas(), 4);
        assert_eq!(
            service(json!({"scale": 2, "deploy": {"replicas": 4}})).replicas(),
            2
        );
        assert_eq!(service(json!({"scale": 0})).replicas(), 0);
    }

    #[test]
    fn serializes_keys_in_alphabetical_order() {
        let s = service(json!({
            "working_dir": "/w", "image": "i", "volumes": ["/v"], "cpus": 1,
            "cap_add": ["A"], "environment": {"A": null}, "command": [],
            "networks": ["default"], "depends_on": ["db"], "x-a": 1,
            "mem_limit": "1g", "memswap_limit": "2g", "mem_reservation": "1m",
            "dns": ["d"], "dns_opt": ["o"], "dns_search": ["s"], "cpuset": "1", "cpu_shares": 2,
            "stop_grace_period": "1m30s", "read_only": false, "privileged": true
        }));
        let text = serde_json::to_string(&s).unwrap();
        let value: Value = serde_json::from_str(&text).unwrap();
        let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        // Key order in the text itself follows the declaration order.
        let positions: Vec<usize> = keys
            .iter()
            .map(|k| text.find(&format!("\"{k}\":")).unwrap())
            .collect();
        let mut ordered = positions.clone();
        ordered.sort();
        assert_eq!(positions, ordered, "{text}");
        assert_eq!(value["command"], json!([]));
        assert_eq!(value["environment"], json!({"A": null}));
        assert_eq!(value["networks"], json!({"default": null}));
        assert_eq!(
            value["depends_on"],
            json!({"db": {"condition": "service_started", "required": true}})
        );
        assert_eq!(value["mem_limit"], json!("1073741824"));
        assert_eq!(value["stop_grace_period"], json!("1m30s"));
        assert_eq!(value["cpus"], json!(1.0));
        assert_eq!(value.get("read_only"), None);
        assert_eq!(value["privileged"], json!(true));
        assert_eq!(
            value["volumes"],
            json!([{"type": "volume", "target": "/v", "volume": {}}])
        );
        assert_eq!(value["x-a"], json!(1));
    }
}
