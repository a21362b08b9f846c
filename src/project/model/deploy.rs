//! Deployment settings of a service (`deploy:`): replicas, resources, restart and update
//! policies, placement; and device requests, which `gpus:` shares.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use super::de as d;
use super::units::{Bytes, Duration};

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct DeployConfig {
    /// `replicated` (the default) or `global`; also `replicated-job`, `global-job`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(
        default,
        deserialize_with = "d::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub replicas: Option<u32>,
    #[serde(
        default,
        deserialize_with = "d::label_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_config: Option<UpdateConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback_config: Option<UpdateConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<RestartPolicy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<Placement>,
    /// `vip` or `dnsrr`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_mode: Option<String>,
    #[serde(
        flatten,
        deserialize_with = "d::extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Value>,
}

/// How updates (or rollbacks) roll through replicas.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct UpdateConfig {
    #[serde(
        default,
        deserialize_with = "d::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub parallelism: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<Duration>,
    /// `continue`, `rollback` or `pause`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitor: Option<Duration>,
    #[serde(
        default,
        deserialize_with = "d::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_failure_ratio: Option<f64>,
    /// `stop-first` or `start-first`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<String>,
    #[serde(
        flatten,
        deserialize_with = "d::extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct Resources {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<Resource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reservations: Option<Resource>,
    #[serde(
        flatten,
        deserialize_with = "d::extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Value>,
}

/// Limits or reservations. `devices` and `generic_resources` only apply to reservations.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct Resource {
    #[serde(
        default,
        deserialize_with = "d::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub cpus: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Bytes>,
    #[serde(
        default,
        deserialize_with = "d::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub pids: Option<i64>,
    #[serde(
        default,
        deserialize_with = "device_requests",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub devices: Vec<DeviceRequest>,
    #[serde(
        default,
        deserialize_with = "d::or_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub generic_resources: Vec<GenericResource>,
    #[serde(
        flatten,
        deserialize_with = "d::extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct GenericResource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discrete_resource_spec: Option<DiscreteResourceSpec>,
    #[serde(
        flatten,
        deserialize_with = "d::extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct DiscreteResourceSpec {
    #[serde(default)]
    pub kind: String,
    #[serde(default, deserialize_with = "d::lenient")]
    pub value: i64,
    #[serde(
        flatten,
        deserialize_with = "d::extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct RestartPolicy {
    /// `none`, `on-failure` or `any`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<Duration>,
    #[serde(
        default,
        deserialize_with = "d::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_attempts: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Duration>,
    #[serde(
        flatten,
        deserialize_with = "d::extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct Placement {
    #[serde(
        default,
        deserialize_with = "d::string_or_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub constraints: Vec<String>,
    #[serde(
        default,
        deserialize_with = "d::or_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub preferences: Vec<PlacementPreference>,
    #[serde(
        default,
        deserialize_with = "d::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_replicas_per_node: Option<u64>,
    #[serde(
        flatten,
        deserialize_with = "d::extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct PlacementPreference {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spread: Option<String>,
    #[serde(
        flatten,
        deserialize_with = "d::extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Value>,
}

/// How many devices a request wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeviceCount {
    /// Every matching device (`count: all`).
    #[default]
    All,
    Count(u64),
}

impl Serialize for DeviceCount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            // Printed as docker compose prints it.
            DeviceCount::All => s.serialize_i64(-1),
            DeviceCount::Count(n) => s.serialize_u64(*n),
        }
    }
}

impl<'de> Deserialize<'de> for DeviceCount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let bad = |shown: &str| format!("invalid device count {shown}: use all or a number");
        match d::Scalar::deserialize(d)? {
            d::Scalar::Str(s) if s.trim().eq_ignore_ascii_case("all") => Ok(DeviceCount::All),
            d::Scalar::Int(-1) => Ok(DeviceCount::All),
            d::Scalar::Str(s) => match s.trim().parse::<i64>() {
                Ok(-1) => Ok(DeviceCount::All),
                Ok(n) => u64::try_from(n)
                    .map(DeviceCount::Count)
                    .map_err(|_| de::Error::custom(bad(&format!("\"{s}\"")))),
                Err(_) => Err(de::Error::custom(bad(&format!("\"{s}\"")))),
            },
            other => {
                let shown = other.clone().into_text().unwrap_or_default();
                <u64 as d::Lenient>::from_scalar(other)
                    .map(DeviceCount::Count)
                    .map_err(|_| de::Error::custom(bad(&shown)))
            }
        }
    }
}

/// A request for devices such as GPUs (`deploy.resources.reservations.devices`, `gpus`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct DeviceRequest {
    #[serde(
        default,
        deserialize_with = "d::string_or_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub capabilities: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    /// `All` when neither a count nor device ids are given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<DeviceCount>,
    #[serde(
        default,
        deserialize_with = "d::string_or_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub device_ids: Vec<String>,
    #[serde(
        default,
        deserialize_with = "d::label_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub options: BTreeMap<String, String>,
    #[serde(
        flatten,
        deserialize_with = "d::extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Value>,
}

fn with_default_count(mut requests: Vec<DeviceRequest>) -> Vec<DeviceRequest> {
    for r in &mut requests {
        if r.count.is_none() && r.device_ids.is_empty() {
            r.count = Some(DeviceCount::All);
        }
    }
    requests
}

pub(crate) fn device_requests<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Vec<DeviceRequest>, D::Error> {
    Ok(with_default_count(
        Option::<Vec<DeviceRequest>>::deserialize(d)?.unwrap_or_default(),
    ))
}

/// `gpus:` as `all` or a list of device requests.
pub(crate) fn gpus<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<DeviceRequest>, D::Error> {
    struct GpusVisitor;
    impl<'de> Visitor<'de> for GpusVisitor {
        type Value = Vec<DeviceRequest>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("all or a list of device requests")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            if v.eq_ignore_ascii_case("all") {
                Ok(vec![DeviceRequest {
                    count: Some(DeviceCount::All),
                    ..DeviceRequest::default()
                }])
            } else {
                Err(E::custom(format!(
                    "invalid gpus \"{v}\": use all or a list of device requests"
                )))
            }
        }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            Vec::<DeviceRequest>::deserialize(de::value::SeqAccessDeserializer::new(seq))
                .map(with_default_count)
        }
    }
    d.deserialize_any(GpusVisitor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn full_deploy() {
        let deploy: DeployConfig = serde_json::from_value(json!({
            "mode": "replicated", "replicas": "3", "endpoint_mode": "vip",
            "labels": ["a=b"],
            "update_config": {"parallelism": 2, "delay": "10s", "order": "start-first",
                              "max_failure_ratio": "0.5", "monitor": "1m", "failure_action": "pause"},
            "rollback_config": {"parallelism": "1"},
            "restart_policy": {"condition": "on-failure", "delay": "5s", "max_attempts": 3,
                               "window": "120s"},
            "placement": {"constraints": ["node.role==manager"],
                          "preferences": [{"spread": "node.labels.zone"}],
                          "max_replicas_per_node": 1},
            "resources": {
                "limits": {"cpus": "0.50", "memory": "50M", "pids": 1},
                "reservations": {"cpus": 0.25, "memory": "20M",
                    "devices": [{"capabilities": ["gpu"], "driver": "nvidia"},
                                {"capabilities": ["gpu"], "device_ids": ["0", "3"]},
                                {"capabilities": ["gpu"], "count": 2}],
                    "generic_resources": [{"discrete_resource_spec": {"kind": "SSD", "value": "1"}}]}
            }
        }))
        .unwrap();
        assert_eq!(deploy.replicas, Some(3));
        assert_eq!(deploy.labels["a"], "b");
        let update = deploy.update_config.unwrap();
        assert_eq!(update.parallelism, Some(2));
        assert_eq!(update.delay, Some(Duration::from_secs(10)));
        assert_eq!(update.max_failure_ratio, Some(0.5));
        assert_eq!(update.monitor, Some(Duration::from_secs(60)));
        assert_eq!(deploy.rollback_config.unwrap().parallelism, Some(1));
        let restart = deploy.restart_policy.unwrap();
        assert_eq!(restart.max_attempts, Some(3));
        assert_eq!(restart.window, Some(Duration::from_secs(120)));
        assert_eq!(deploy.placement.unwrap().max_replicas_per_node, Some(1));
        let resources = deploy.resources.unwrap();
        let limits = resources.limits.unwrap();
        assert_eq!(limits.cpus, Some(0.5));
        assert_eq!(limits.memory, Some(Bytes(50 << 20)));
        assert_eq!(limits.pids, Some(1));
        let reservations = resources.reservations.unwrap();
        let counts: Vec<Option<DeviceCount>> =
            reservations.devices.iter().map(|d| d.count).collect();
        assert_eq!(
            counts,
            [Some(DeviceCount::All), None, Some(DeviceCount::Count(2))]
        );
        let spec = reservations.generic_resources[0]
            .discrete_resource_spec
            .as_ref()
            .unwrap();
        assert_eq!((spec.kind.as_str(), spec.value), ("SSD", 1));
    }

    #[derive(Deserialize)]
    struct Probe {
        #[serde(deserialize_with = "gpus")]
        gpus: Vec<DeviceRequest>,
    }

    #[test]
    fn gpus_forms() {
        let all: Probe = serde_json::from_value(json!({"gpus": "all"})).unwrap();
        assert_eq!(all.gpus.len(), 1);
        assert_eq!(all.gpus[0].count, Some(DeviceCount::All));
        let listed: Probe =
            serde_json::from_value(json!({"gpus": [{"driver": "3dfx", "count": "2"}]})).unwrap();
        assert_eq!(listed.gpus[0].count, Some(DeviceCount::Count(2)));
        assert_eq!(listed.gpus[0].driver.as_deref(), Some("3dfx"));
        assert_eq!(
            serde_json::to_value(&all.gpus).unwrap(),
            json!([{"count": -1}])
        );
        let err = serde_json::from_value::<Probe>(json!({"gpus": "some"})).err();
        assert_eq!(
            err.map(|e| e.to_string()).as_deref(),
            Some("invalid gpus \"some\": use all or a list of device requests")
        );
    }
}
