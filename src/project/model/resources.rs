//! Top-level resources services refer to: `networks`, `volumes`, `configs`, `secrets` and
//! `models`.

use std::collections::BTreeMap;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::de as d;

/// A network services can join.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct Network {
    /// Name on the engine; by default `<project>_<key>` (see [`Network::engine_name`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(
        default,
        deserialize_with = "d::label_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub driver_opts: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipam: Option<Ipam>,
    /// Created outside compose; only looked up.
    #[serde(
        default,
        deserialize_with = "external",
        skip_serializing_if = "d::is_false"
    )]
    pub external: bool,
    /// Without external connectivity.
    #[serde(
        default,
        deserialize_with = "d::flag",
        skip_serializing_if = "d::is_false"
    )]
    pub internal: bool,
    #[serde(
        default,
        deserialize_with = "d::flag",
        skip_serializing_if = "d::is_false"
    )]
    pub attachable: bool,
    #[serde(
        default,
        deserialize_with = "d::label_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub labels: BTreeMap<String, String>,
    #[serde(
        default,
        deserialize_with = "d::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub enable_ipv4: Option<bool>,
    #[serde(
        default,
        deserialize_with = "d::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub enable_ipv6: Option<bool>,
    #[serde(
        flatten,
        deserialize_with = "d::extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Value>,
}

impl Network {
    /// The name of this network on the engine: `name`, else the key for an external
    /// network, else `<project>_<key>`.
    pub fn engine_name(&self, project: &str, key: &str) -> String {
        engine_name(self.name.as_deref(), self.external, project, key)
    }
}

fn engine_name(name: Option<&str>, external: bool, project: &str, key: &str) -> String {
    match name {
        Some(name) => name.to_string(),
        None if external => key.to_string(),
        None => format!("{project}_{key}"),
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct Ipam {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(
        default,
        deserialize_with = "d::or_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub config: Vec<IpamPool>,
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

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct IpamPool {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_range: Option<String>,
    #[serde(
        default,
        deserialize_with = "d::label_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub aux_addresses: BTreeMap<String, String>,
    #[serde(
        flatten,
        deserialize_with = "d::extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Value>,
}

/// A named volume services can mount.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct Volume {
    /// Name on the engine; by default `<project>_<key>` (see [`Volume::engine_name`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(
        default,
        deserialize_with = "d::label_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub driver_opts: BTreeMap<String, String>,
    #[serde(
        default,
        deserialize_with = "external",
        skip_serializing_if = "d::is_false"
    )]
    pub external: bool,
    #[serde(
        default,
        deserialize_with = "d::label_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub labels: BTreeMap<String, String>,
    #[serde(
        flatten,
        deserialize_with = "d::extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Value>,
}

impl Volume {
    /// The name of this volume on the engine: `name`, else the key for an external
    /// volume, else `<project>_<key>`.
    pub fn engine_name(&self, project: &str, key: &str) -> String {
        engine_name(self.name.as_deref(), self.external, project, key)
    }
}

/// A config or a secret: content from a file, an environment variable, inline text, or
/// an existing engine object (`external`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct FileObject {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Host path (absolute after loading).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Name of the environment variable holding the content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// Inline content (configs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(
        default,
        deserialize_with = "external",
        skip_serializing_if = "d::is_false"
    )]
    pub external: bool,
    #[serde(
        default,
        deserialize_with = "d::label_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub labels: BTreeMap<String, String>,
    /// Secrets only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    /// Secrets only.
    #[serde(
        default,
        deserialize_with = "d::label_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub driver_opts: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_driver: Option<String>,
    #[serde(
        flatten,
        deserialize_with = "d::extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Value>,
}

/// A top-level `configs` entry.
pub type Config = FileObject;
/// A top-level `secrets` entry.
pub type Secret = FileObject;

/// A language model services can use (top-level `models`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct Model {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The model reference, such as `ai/smollm2`.
    #[serde(default)]
    pub model: String,
    #[serde(
        default,
        deserialize_with = "d::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub context_size: Option<i64>,
    #[serde(
        default,
        deserialize_with = "d::string_or_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub runtime_flags: Vec<String>,
    #[serde(
        flatten,
        deserialize_with = "d::extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Value>,
}

/// `external` as a boolean, or the deprecated `{name: x}` (true; the name is moved to the
/// resource by [`super::Project::from_value`]).
fn external<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    struct ExternalVisitor;
    impl<'de> Visitor<'de> for ExternalVisitor {
        type Value = bool;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("true or false")
        }
        fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
            Ok(v)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
            <bool as d::Lenient>::from_scalar(d::Scalar::Str(v.to_string())).map_err(E::custom)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
            while map
                .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
                .is_some()
            {}
            Ok(true)
        }
    }
    d.deserialize_any(ExternalVisitor)
}

/// Move the deprecated `external: {name: x}` to `name: x, external: true` in a raw
/// resource definition. Errors when both names are given and differ.
pub(crate) fn lift_external_name(resource: &mut Value) -> Result<(), String> {
    let Some(map) = resource.as_object_mut() else {
        return Ok(());
    };
    let Some(Value::Object(external)) = map.get("external") else {
        return Ok(());
    };
    let external_name = external.get("name").cloned();
    map.insert("external".to_string(), Value::Bool(true));
    if let Some(external_name) = external_name {
        match map.get("name") {
            Some(name) if *name != external_name => {
                return Err(format!(
                    "name {name} and external.name {external_name} differ; \
                     use only name (external.name is deprecated)"
                ));
            }
            _ => {
                map.insert("name".to_string(), external_name);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn network_long_form() {
        let n: Network = serde_json::from_value(json!({
            "driver": "bridge", "driver_opts": {"com.docker.network.bridge.name": "br0", "mtu": 1400},
            "ipam": {"driver": "default", "config": [{"subnet": "172.28.0.0/16",
                     "ip_range": "172.28.5.0/24", "gateway": "172.28.5.254",
                     "aux_addresses": {"host1": "172.28.1.5"}}], "options": {"foo": "bar"}},
            "internal": "true", "attachable": true, "enable_ipv6": "false", "enable_ipv4": true,
            "labels": ["com.example=1"], "x-meta": {"a": 1}
        }))
        .unwrap();
        assert_eq!(n.driver_opts["mtu"], "1400");
        let ipam = n.ipam.as_ref().unwrap();
        assert_eq!(ipam.config[0].subnet.as_deref(), Some("172.28.0.0/16"));
        assert_eq!(ipam.config[0].aux_addresses["host1"], "172.28.1.5");
        assert_eq!(ipam.options["foo"], "bar");
        assert!(n.internal && n.attachable && !n.external);
        assert_eq!((n.enable_ipv4, n.enable_ipv6), (Some(true), Some(false)));
        assert_eq!(n.labels["com.example"], "1");
        assert_eq!(n.extensions["x-meta"], json!({"a": 1}));
        assert_eq!(n.engine_name("proj", "front"), "proj_front");
    }

    #[test]
    fn external_forms() {
        for (input, want) in [
            (json!({"external": true}), true),
            (json!({"external": "yes"}), true),
            (json!({"external": false}), false),
            (json!({"external": {"name": "x"}}), true),
            (json!({}), false),
        ] {
            let v: Volume = serde_json::from_value(input.clone()).unwrap();
            assert_eq!(v.external, want, "{input}");
        }
        let v = Volume {
            external: true,
            ..Volume::default()
        };
        assert_eq!(v.engine_name("proj", "data"), "data");
    }

    #[test]
    fn lifting_external_names() {
        let mut v = json!({"external": {"name": "shared"}});
        lift_external_name(&mut v).unwrap();
        assert_eq!(v, json!({"external": true, "name": "shared"}));
        let mut v = json!({"external": {"name": "a"}, "name": "b"});
        assert_eq!(
            lift_external_name(&mut v).unwrap_err(),
            "name \"b\" and external.name \"a\" differ; use only name (external.name is deprecated)"
        );
        let mut v = json!({"external": true});
        lift_external_name(&mut v).unwrap();
        assert_eq!(v, json!({"external": true}));
    }

    #[test]
    fn config_and_secret_sources() {
        let c: Config =
            serde_json::from_value(json!({"content": "debug=1", "template_driver": "golang"}))
                .unwrap();
        assert_eq!(c.content.as_deref(), Some("debug=1"));
        let s: Secret =
            serde_json::from_value(json!({"environment": "TOKEN", "labels": {"a": "b"}})).unwrap();
        assert_eq!(s.environment.as_deref(), Some("TOKEN"));
    }
}
