//! How a service's image is built (`build:`), normalized from a bare context path or the
//! long mapping.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::de as d;
use super::fields::{self, ServiceFileRef, Ulimit};
use super::units::Bytes;

/// Build settings. `context` defaults to `.` and `dockerfile` to `Dockerfile` (unless
/// `dockerfile_inline` is set), as compose fills them in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct BuildConfig {
    /// Directory (absolute after loading) or URL of the build context.
    #[serde(default = "default_context")]
    pub context: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dockerfile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dockerfile_inline: Option<String>,
    #[serde(
        default,
        deserialize_with = "d::string_or_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub entitlements: Vec<String>,
    /// Build arguments; `None` takes the value from the environment.
    #[serde(
        default,
        deserialize_with = "d::env_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub args: BTreeMap<String, Option<String>>,
    /// Provenance attestation: `true`, `false` or buildx options.
    #[serde(
        default,
        deserialize_with = "d::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub provenance: Option<String>,
    /// SBOM attestation: `true`, `false` or buildx options.
    #[serde(
        default,
        deserialize_with = "d::opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub sbom: Option<String>,
    /// SSH agent sockets or keys by id (`default` → `None` uses the agent).
    #[serde(
        default,
        deserialize_with = "ssh",
        serialize_with = "ser_ssh",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub ssh: BTreeMap<String, Option<String>>,
    #[serde(
        default,
        deserialize_with = "d::label_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub labels: BTreeMap<String, String>,
    #[serde(
        default,
        deserialize_with = "d::string_or_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub cache_from: Vec<String>,
    #[serde(
        default,
        deserialize_with = "d::string_or_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub cache_to: Vec<String>,
    #[serde(
        default,
        deserialize_with = "d::flag",
        skip_serializing_if = "d::is_false"
    )]
    pub no_cache: bool,
    /// Named contexts (`name: path-or-url`), list `name=value` accepted.
    #[serde(
        default,
        deserialize_with = "d::label_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub additional_contexts: BTreeMap<String, String>,
    #[serde(
        default,
        deserialize_with = "d::flag",
        skip_serializing_if = "d::is_false"
    )]
    pub pull: bool,
    #[serde(
        default,
        deserialize_with = "fields::extra_hosts",
        serialize_with = "fields::ser_extra_hosts",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extra_hosts: BTreeMap<String, Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isolation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(
        default,
        deserialize_with = "fields::file_refs",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub secrets: Vec<ServiceFileRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shm_size: Option<Bytes>,
    #[serde(
        default,
        deserialize_with = "d::string_or_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub tags: Vec<String>,
    #[serde(
        default,
        deserialize_with = "d::or_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub ulimits: BTreeMap<String, Ulimit>,
    #[serde(
        default,
        deserialize_with = "d::string_or_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub platforms: Vec<String>,
    #[serde(
        default,
        deserialize_with = "d::flag",
        skip_serializing_if = "d::is_false"
    )]
    pub privileged: bool,
    #[serde(
        flatten,
        deserialize_with = "d::extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Value>,
}

fn default_context() -> String {
    ".".to_string()
}

impl Default for BuildConfig {
    fn default() -> Self {
        BuildConfig::from_context(default_context())
    }
}

impl BuildConfig {
    /// A build of `context` with the default Dockerfile.
    pub fn from_context(context: impl Into<String>) -> Self {
        BuildConfig {
            context: context.into(),
            dockerfile: Some("Dockerfile".to_string()),
            dockerfile_inline: None,
            entitlements: Vec::new(),
            args: BTreeMap::new(),
            provenance: None,
            sbom: None,
            ssh: BTreeMap::new(),
            labels: BTreeMap::new(),
            cache_from: Vec::new(),
            cache_to: Vec::new(),
            no_cache: false,
            additional_contexts: BTreeMap::new(),
            pull: false,
            extra_hosts: BTreeMap::new(),
            isolation: None,
            network: None,
            target: None,
            secrets: Vec::new(),
            shm_size: None,
            tags: Vec::new(),
            ulimits: BTreeMap::new(),
            platforms: Vec::new(),
            privileged: false,
            extensions: BTreeMap::new(),
        }
    }
}

/// `build:` as a context path or the long mapping.
pub(crate) fn build<'de, D: Deserializer<'de>>(d: D) -> Result<Option<BuildConfig>, D::Error> {
    struct BuildVisitor;
    impl<'de> Visitor<'de> for BuildVisitor {
        type Value = Option<BuildConfig>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a build context path or a mapping")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(BuildConfig::from_context(v)))
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            let mut build: BuildConfig = d::from_map(map)?;
            if build.dockerfile.is_none() && build.dockerfile_inline.is_none() {
                build.dockerfile = Some("Dockerfile".to_string());
            }
            Ok(Some(build))
        }
    }
    d.deserialize_any(BuildVisitor)
}

/// One `ssh` list entry: `default`, `default=/path/to/socket` or `id=/path/to/key`.
struct SshEntry(String, Option<String>);

impl<'de> Deserialize<'de> for SshEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let entry: String = d::lenient(d)?;
        match entry.split_once('=') {
            Some((id, path)) if !id.is_empty() => {
                Ok(SshEntry(id.to_string(), Some(path.to_string())))
            }
            None if entry == "default" => Ok(SshEntry(entry, None)),
            _ => Err(de::Error::custom(format!(
                "invalid ssh entry \"{entry}\": use default or ID=PATH"
            ))),
        }
    }
}

fn ssh<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, Option<String>>, D::Error> {
    struct SshVisitor;
    impl<'de> Visitor<'de> for SshVisitor {
        type Value = BTreeMap<String, Option<String>>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list such as [default, key=/path] or a mapping")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(BTreeMap::new())
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            let SshEntry(id, path) =
                SshEntry::deserialize(de::value::StrDeserializer::<E>::new(v))?;
            Ok(BTreeMap::from([(id, path)]))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some(SshEntry(id, path)) = seq.next_element()? {
                out.insert(id, path);
            }
            Ok(out)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some((id, path)) = map.next_entry::<String, d::Scalar>()? {
                out.insert(id, path.into_text());
            }
            Ok(out)
        }
    }
    d.deserialize_any(SshVisitor)
}

fn ser_ssh<S: Serializer>(ssh: &BTreeMap<String, Option<String>>, s: S) -> Result<S::Ok, S::Error> {
    let mut seq = s.serialize_seq(Some(ssh.len()))?;
    for (id, path) in ssh {
        match path {
            Some(path) => seq.serialize_element(&format!("{id}={path}"))?,
            None => seq.serialize_element(id)?,
        }
    }
    seq.end()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Deserialize)]
    struct Probe {
        #[serde(default, deserialize_with = "build")]
        build: Option<BuildConfig>,
    }

    fn parse(v: Value) -> Result<BuildConfig, String> {
        serde_json::from_value::<Probe>(json!({ "build": v }))
            .map_err(|e| e.to_string())
            .map(|p| p.build.unwrap_or_default())
    }

    #[test]
    fn short_form_is_a_context() {
        let b = parse(json!("/src/app")).unwrap();
        assert_eq!(b, BuildConfig::from_context("/src/app"));
        assert_eq!(b.dockerfile.as_deref(), Some("Dockerfile"));
    }

    #[test]
    fn long_form() {
        let b = parse(json!({
            "context": "/src", "dockerfile": "web.Dockerfile",
            "args": ["A=1", "B"], "ssh": ["default", "key=/k"],
            "cache_from": ["type=local,src=/c"], "no_cache": "true",
            "additional_contexts": {"base": "docker-image://alpine"},
            "extra_hosts": ["h=1.2.3.4"], "shm_size": "2g",
            "secrets": ["token"], "tags": ["x:1"], "ulimits": {"nofile": 1024},
            "platforms": ["linux/amd64"], "provenance": false, "privileged": true,
            "x-extra": "kept"
        }))
        .unwrap();
        assert_eq!(b.context, "/src");
        assert_eq!(b.dockerfile.as_deref(), Some("web.Dockerfile"));
        assert_eq!(b.args.get("A"), Some(&Some("1".to_string())));
        assert_eq!(b.args.get("B"), Some(&None));
        assert_eq!(b.ssh.get("default"), Some(&None));
        assert_eq!(b.ssh.get("key"), Some(&Some("/k".to_string())));
        assert!(b.no_cache && b.privileged);
        assert_eq!(b.shm_size, Some(Bytes(2 << 30)));
        assert_eq!(b.secrets[0].source, "token");
        assert_eq!(
            b.secrets[0].target, None,
            "build secrets keep no default target"
        );
        assert_eq!(b.ulimits["nofile"], Ulimit::single(1024));
        assert_eq!(b.provenance.as_deref(), Some("false"));
        assert_eq!(b.extensions.get("x-extra"), Some(&json!("kept")));
        let out = serde_json::to_value(&b).unwrap();
        assert_eq!(out["ssh"], json!(["default", "key=/k"]));
        assert_eq!(out["extra_hosts"], json!(["h=1.2.3.4"]));
        assert_eq!(out["shm_size"], json!("2147483648"));
    }

    #[test]
    fn defaults_are_filled() {
        let b = parse(json!({"dockerfile_inline": "FROM alpine"})).unwrap();
        assert_eq!(b.context, ".");
        assert_eq!(b.dockerfile, None);
        let b = parse(json!({"target": "dev"})).unwrap();
        assert_eq!(b.dockerfile.as_deref(), Some("Dockerfile"));
    }

    #[test]
    fn bad_ssh_entry() {
        assert_eq!(
            parse(json!({"ssh": ["mykey"]})).unwrap_err(),
            "invalid ssh entry \"mykey\": use default or ID=PATH"
        );
    }
}
