//! Types of individual service fields, each with the short forms compose accepts and the
//! one long form the model keeps: `depends_on`, `env_file`, `healthcheck`, `ulimits`,
//! `extra_hosts`, `devices`, `configs`/`secrets`, `networks`, hooks, `logging`,
//! `blkio_config`, `credential_spec`, `provider`, `models`, `extends`.
//!
//! Longer than most files (about 860 lines of code, then its tests): one short section per
//! field type listed above, each independent; it is a catalogue, not one mixed concern.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::de::{self as d, Scalar, string_enum};
use super::units::{Bytes, Duration, FileMode};

// ---------------------------------------------------------------- depends_on

string_enum! {
    /// What a dependency must reach before the dependent service starts.
    #[derive(Default)]
    pub enum DependencyCondition ("depends_on condition") {
        #[default]
        ServiceStarted = "service_started",
        ServiceHealthy = "service_healthy",
        ServiceCompletedSuccessfully = "service_completed_successfully",
    }
}

/// One entry of `depends_on`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct ServiceDependency {
    #[serde(default)]
    pub condition: DependencyCondition,
    /// Restart this service when the dependency is restarted by compose.
    #[serde(
        default,
        deserialize_with = "d::flag",
        skip_serializing_if = "d::is_false"
    )]
    pub restart: bool,
    /// When false, a missing or failing dependency only warns.
    #[serde(default = "d::yes", deserialize_with = "d::lenient")]
    pub required: bool,
    #[serde(
        flatten,
        deserialize_with = "d::extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Value>,
}

impl Default for ServiceDependency {
    fn default() -> Self {
        ServiceDependency {
            condition: DependencyCondition::ServiceStarted,
            restart: false,
            required: true,
            extensions: BTreeMap::new(),
        }
    }
}

/// `depends_on` as a list of names or a mapping; list entries get the defaults.
pub(crate) fn depends_on<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, ServiceDependency>, D::Error> {
    Ok(d::names_or_map::<D, ServiceDependency>(d)?
        .into_iter()
        .map(|(name, dep)| (name, dep.unwrap_or_default()))
        .collect())
}

// ---------------------------------------------------------------- env_file

/// A file of environment variables to read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct EnvFile {
    pub path: String,
    /// When false, a missing file is ignored.
    #[serde(default = "d::yes", deserialize_with = "d::lenient")]
    pub required: bool,
    /// The file format; `None` is the dotenv format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
}

impl EnvFile {
    pub fn new(path: impl Into<String>) -> Self {
        EnvFile {
            path: path.into(),
            required: true,
            format: None,
        }
    }
}

struct EnvFileEntry(EnvFile);

impl<'de> Deserialize<'de> for EnvFileEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntryVisitor;
        impl<'de> Visitor<'de> for EntryVisitor {
            type Value = EnvFileEntry;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a path or a mapping with path")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<EnvFileEntry, E> {
                Ok(EnvFileEntry(EnvFile::new(v)))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<EnvFileEntry, A::Error> {
                d::from_map(map).map(EnvFileEntry)
            }
        }
        deserializer.deserialize_any(EntryVisitor)
    }
}

/// `env_file` as a path, a list of paths, or a list of `{path, required, format}`.
pub(crate) fn env_files<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<EnvFile>, D::Error> {
    struct FilesVisitor;
    impl<'de> Visitor<'de> for FilesVisitor {
        type Value = Vec<EnvFile>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a path or a list of env files")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Vec<EnvFile>, E> {
            Ok(Vec::new())
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<EnvFile>, E> {
            Ok(vec![EnvFile::new(v)])
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<EnvFile>, A::Error> {
            let mut out = Vec::new();
            while let Some(EnvFileEntry(file)) = seq.next_element()? {
                out.push(file);
            }
            Ok(out)
        }
    }
    d.deserialize_any(FilesVisitor)
}

// ---------------------------------------------------------------- healthcheck

/// How to tell whether a container is healthy.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct HealthCheck {
    /// `["CMD", ...]`, `["CMD-SHELL", "..."]` or `["NONE"]`; a string `s` is
    /// `["CMD-SHELL", s]`. `None` keeps the image's test.
    #[serde(
        default,
        deserialize_with = "health_test",
        skip_serializing_if = "Option::is_none"
    )]
    pub test: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<Duration>,
    #[serde(
        default,
        deserialize_with = "d::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub retries: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_period: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_interval: Option<Duration>,
    /// Disables the image's check; the test is then `["NONE"]`.
    #[serde(
        default,
        deserialize_with = "d::flag",
        skip_serializing_if = "d::is_false"
    )]
    pub disable: bool,
    #[serde(
        flatten,
        deserialize_with = "d::extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Value>,
}

impl HealthCheck {
    /// Whether this check turns health checking off.
    pub fn is_disabled(&self) -> bool {
        self.disable
            || self
                .test
                .as_deref()
                .and_then(<[String]>::first)
                .map(String::as_str)
                == Some("NONE")
    }
}

fn health_test<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    struct TestVisitor;
    impl<'de> Visitor<'de> for TestVisitor {
        type Value = Option<Vec<String>>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a command string or a list such as [\"CMD\", \"curl\", \"-f\", \"http://localhost\"]")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(vec!["CMD-SHELL".to_string(), v.to_string()]))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            Vec::<String>::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(Some)
        }
    }
    d.deserialize_any(TestVisitor)
}

/// `healthcheck`. `disable: true` is kept as written (with or without a test, as docker compose
/// keeps it): [`HealthCheck::is_disabled`] is what the back ends ask.
pub(crate) fn healthcheck<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<HealthCheck>, D::Error> {
    Option::<HealthCheck>::deserialize(d)
}

// ---------------------------------------------------------------- ulimits

/// A resource limit; a single number sets both soft and hard. `-1` is unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ulimit {
    pub soft: i64,
    pub hard: i64,
    /// Written as one number (printed back that way, as docker compose does).
    pub single: bool,
}

impl Ulimit {
    /// Soft and hard limits both `n`, written as one number.
    pub fn single(n: i64) -> Ulimit {
        Ulimit {
            soft: n,
            hard: n,
            single: true,
        }
    }
}

impl Serialize for Ulimit {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        if self.single && self.soft == self.hard {
            return serializer.serialize_i64(self.soft);
        }
        let mut s = serializer.serialize_struct("Ulimit", 2)?;
        s.serialize_field("soft", &self.soft)?;
        s.serialize_field("hard", &self.hard)?;
        s.end()
    }
}

#[derive(Deserialize)]
#[serde(expecting = "a mapping")]
struct UlimitLong {
    #[serde(deserialize_with = "d::lenient")]
    soft: i64,
    #[serde(deserialize_with = "d::lenient")]
    hard: i64,
    #[serde(flatten, deserialize_with = "d::extensions")]
    _extensions: BTreeMap<String, Value>,
}

impl<'de> Deserialize<'de> for Ulimit {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct UlimitVisitor;
        impl<'de> Visitor<'de> for UlimitVisitor {
            type Value = Ulimit;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number or a mapping with soft and hard")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Ulimit, E> {
                Ok(Ulimit::single(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Ulimit, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Ulimit, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Ulimit, E> {
                let n = v.trim().parse::<i64>().map_err(|_| {
                    E::custom(format!("invalid ulimit \"{v}\": use a whole number or -1"))
                })?;
                Ok(Ulimit::single(n))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Ulimit, A::Error> {
                let long: UlimitLong = d::from_map(map)?;
                Ok(Ulimit {
                    soft: long.soft,
                    hard: long.hard,
                    single: false,
                })
            }
        }
        deserializer.deserialize_any(UlimitVisitor)
    }
}

// ---------------------------------------------------------------- extra_hosts

/// One `host=ip` / `host:ip` entry (IPs may be comma-separated).
struct HostEntry(String, Vec<String>);

fn strip_brackets(ip: &str) -> String {
    match ip.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
        Some(bare) if !bare.is_empty() => bare.to_string(),
        _ => ip.to_string(),
    }
}

fn check_host_name<E: de::Error>(host: &str, entry: &str) -> Result<(), E> {
    if host.is_empty() || host.contains([':', '=']) {
        return Err(E::custom(format!(
            "invalid extra host \"{entry}\": use HOSTNAME=IP"
        )));
    }
    Ok(())
}

impl<'de> Deserialize<'de> for HostEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let entry: String = d::lenient(d)?;
        let (host, ips) = entry
            .split_once('=')
            .or_else(|| entry.split_once(':'))
            .ok_or_else(|| {
                de::Error::custom(format!(
                    "invalid extra host \"{entry}\": the IP is missing, use HOSTNAME=IP"
                ))
            })?;
        check_host_name::<D::Error>(host, &entry)?;
        Ok(HostEntry(
            host.to_string(),
            ips.split(',').map(strip_brackets).collect(),
        ))
    }
}

/// `extra_hosts` as a list (`host=ip`, `host:ip`) or a mapping (value an IP or a list of IPs).
pub(crate) fn extra_hosts<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, Vec<String>>, D::Error> {
    struct HostsVisitor;
    impl<'de> Visitor<'de> for HostsVisitor {
        type Value = BTreeMap<String, Vec<String>>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of HOSTNAME=IP or a mapping of host names to IPs")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(BTreeMap::new())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out: Self::Value = BTreeMap::new();
            while let Some(HostEntry(host, ips)) = seq.next_element()? {
                out.entry(host).or_default().extend(ips);
            }
            Ok(out)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some(host) = map.next_key::<String>()? {
                let ips = map.next_value_seed(StringOrListSeed)?;
                check_host_name::<A::Error>(&host, &host)?;
                out.insert(host, ips.iter().map(|ip| strip_brackets(ip)).collect());
            }
            Ok(out)
        }
    }
    d.deserialize_any(HostsVisitor)
}

struct StringOrListSeed;

impl<'de> de::DeserializeSeed<'de> for StringOrListSeed {
    type Value = Vec<String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<String>, D::Error> {
        let list = d::string_or_list(d)?;
        Ok(if list.is_empty() {
            vec![String::new()]
        } else {
            list
        })
    }
}

/// `extra_hosts` printed as compose prints it: a list of `host=ip`.
pub(crate) fn ser_extra_hosts<S: Serializer>(
    hosts: &BTreeMap<String, Vec<String>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    let mut seq = s.serialize_seq(None)?;
    for (host, ips) in hosts {
        for ip in ips {
            seq.serialize_element(&format!("{host}={ip}"))?;
        }
    }
    seq.end()
}

// ---------------------------------------------------------------- devices

/// A host device made available in the container.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct DeviceMapping {
    pub source: String,
    /// Path in the container; the source path when not given.
    #[serde(default)]
    pub target: String,
    /// Cgroup permissions, `rwm` when not given.
    #[serde(default)]
    pub permissions: String,
    #[serde(
        flatten,
        deserialize_with = "d::extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Value>,
}

impl DeviceMapping {
    fn fill_defaults(mut self) -> Self {
        if self.target.is_empty() {
            self.target = self.source.clone();
        }
        if self.permissions.is_empty() {
            self.permissions = "rwm".to_string();
        }
        self
    }
}

/// Parse `/dev/x`, `/dev/x:/dev/y` or `/dev/x:/dev/y:rwm`.
pub fn parse_device_spec(spec: &str) -> Result<DeviceMapping, String> {
    let parts: Vec<&str> = spec.split(':').collect();
    let (source, target, permissions) = match parts.as_slice() {
        [source] => (*source, "", ""),
        [source, target] => (*source, *target, ""),
        [source, target, permissions] => (*source, *target, *permissions),
        _ => {
            return Err(format!(
                "invalid device \"{spec}\": use SOURCE[:TARGET[:PERMISSIONS]] or the long syntax"
            ));
        }
    };
    if source.is_empty() {
        return Err(format!("invalid device \"{spec}\": the source is empty"));
    }
    Ok(DeviceMapping {
        source: source.to_string(),
        target: target.to_string(),
        permissions: permissions.to_string(),
        extensions: BTreeMap::new(),
    }
    .fill_defaults())
}

struct DeviceEntry(DeviceMapping);

impl<'de> Deserialize<'de> for DeviceEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntryVisitor;
        impl<'de> Visitor<'de> for EntryVisitor {
            type Value = DeviceEntry;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a device such as \"/dev/ttyUSB0:/dev/ttyUSB0:rwm\" or a mapping")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<DeviceEntry, E> {
                parse_device_spec(v).map(DeviceEntry).map_err(E::custom)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<DeviceEntry, A::Error> {
                d::from_map::<A, DeviceMapping>(map).map(|m| DeviceEntry(m.fill_defaults()))
            }
        }
        deserializer.deserialize_any(EntryVisitor)
    }
}

pub(crate) fn devices<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<DeviceMapping>, D::Error> {
    let entries = Option::<Vec<DeviceEntry>>::deserialize(d)?.unwrap_or_default();
    Ok(entries.into_iter().map(|e| e.0).collect())
}

// ---------------------------------------------------------------- configs / secrets

/// A config or secret granted to a service (or to a build, for secrets).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct ServiceFileRef {
    /// Key under the top-level `configs` / `secrets`.
    pub source: String,
    /// Where it appears in the container. Secrets default to `/run/secrets/<source>`;
    /// configs to `/<source>` (left `None` here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<FileMode>,
    #[serde(
        flatten,
        deserialize_with = "d::extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Value>,
}

struct FileRefEntry(ServiceFileRef);

impl<'de> Deserialize<'de> for FileRefEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntryVisitor;
        impl<'de> Visitor<'de> for EntryVisitor {
            type Value = FileRefEntry;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a name or a mapping with source")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<FileRefEntry, E> {
                Ok(FileRefEntry(ServiceFileRef {
                    source: v.to_string(),
                    ..ServiceFileRef::default()
                }))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<FileRefEntry, A::Error> {
                d::from_map(map).map(FileRefEntry)
            }
        }
        deserializer.deserialize_any(EntryVisitor)
    }
}

/// `configs` of a service, or `secrets` of a build: names or long mappings.
pub(crate) fn file_refs<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ServiceFileRef>, D::Error> {
    let entries = Option::<Vec<FileRefEntry>>::deserialize(d)?.unwrap_or_default();
    Ok(entries.into_iter().map(|e| e.0).collect())
}

/// `secrets` of a service: like [`file_refs`], with the target defaulting to
/// `/run/secrets/<source>` as compose does.
pub(crate) fn secret_refs<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Vec<ServiceFileRef>, D::Error> {
    let mut refs = file_refs(d)?;
    for r in &mut refs {
        if r.target.is_none() {
            r.target = Some(format!("/run/secrets/{}", r.source));
        }
    }
    Ok(refs)
}

// ---------------------------------------------------------------- networks

/// How a service joins one network.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct ServiceNetwork {
    #[serde(
        default,
        deserialize_with = "d::string_or_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub aliases: Vec<String>,
    #[serde(
        default,
        deserialize_with = "d::label_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub driver_opts: BTreeMap<String, String>,
    /// The network with the highest value provides the default gateway.
    #[serde(
        default,
        deserialize_with = "d::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub gw_priority: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv4_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv6_address: Option<String>,
    #[serde(
        default,
        deserialize_with = "d::string_or_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub link_local_ips: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac_address: Option<String>,
    /// Order in which networks are connected (highest first).
    #[serde(
        default,
        deserialize_with = "d::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub priority: Option<i64>,
    #[serde(
        flatten,
        deserialize_with = "d::extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Value>,
}

// ---------------------------------------------------------------- hooks

/// A command run in (or, for `pre_start`, next to) the service container.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct ServiceHook {
    #[serde(
        default,
        deserialize_with = "d::command",
        skip_serializing_if = "Option::is_none"
    )]
    pub command: Option<Vec<String>>,
    /// `pre_start` only: the image of the ephemeral container (the service's by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(
        default,
        deserialize_with = "d::flag",
        skip_serializing_if = "d::is_false"
    )]
    pub privileged: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    #[serde(
        default,
        deserialize_with = "d::env_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub environment: BTreeMap<String, Option<String>>,
    /// `pre_start` only: run once per replica instead of once per service.
    #[serde(
        default,
        deserialize_with = "d::flag",
        skip_serializing_if = "d::is_false"
    )]
    pub per_replica: bool,
    #[serde(
        flatten,
        deserialize_with = "d::extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Value>,
}

// ---------------------------------------------------------------- logging

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct Logging {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
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

// ---------------------------------------------------------------- blkio_config

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct BlkioConfig {
    /// Relative weight, 10 to 1000.
    #[serde(
        default,
        deserialize_with = "d::opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub weight: Option<u16>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub weight_device: Vec<BlkioWeight>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub device_read_bps: Vec<BlkioLimit>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub device_read_iops: Vec<BlkioLimit>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub device_write_bps: Vec<BlkioLimit>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub device_write_iops: Vec<BlkioLimit>,
}

/// A rate limit on a device: bytes per second (`12mb` allowed) or operations per second.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct BlkioLimit {
    pub path: String,
    pub rate: Bytes,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct BlkioWeight {
    pub path: String,
    #[serde(deserialize_with = "d::lenient")]
    pub weight: u16,
}

// ---------------------------------------------------------------- credential_spec

/// Windows gMSA credential spec.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct CredentialSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<String>,
    #[serde(
        flatten,
        deserialize_with = "d::extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Value>,
}

// ---------------------------------------------------------------- provider

/// A service managed by an external provider instead of as containers.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct Provider {
    #[serde(rename = "type")]
    pub type_: String,
    /// Options passed to the provider; each may repeat, so each has a list of values.
    #[serde(
        default,
        deserialize_with = "multi_options",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub options: BTreeMap<String, Vec<String>>,
    #[serde(
        flatten,
        deserialize_with = "d::extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Value>,
}

fn multi_options<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, Vec<String>>, D::Error> {
    struct Values(Vec<String>);
    impl<'de> Deserialize<'de> for Values {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d::string_or_list(d).map(Values)
        }
    }
    let map = Option::<BTreeMap<String, Values>>::deserialize(d)?.unwrap_or_default();
    Ok(map.into_iter().map(|(k, v)| (k, v.0)).collect())
}

// ---------------------------------------------------------------- models

/// How a service uses a model from the top-level `models`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct ServiceModel {
    /// Variable that receives the model's endpoint URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_var: Option<String>,
    /// Variable that receives the model's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_var: Option<String>,
    #[serde(
        flatten,
        deserialize_with = "d::extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Value>,
}

// ---------------------------------------------------------------- extends

/// `extends` (normally resolved by the loader before the model is built).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct ExtendsConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    pub service: String,
}

pub(crate) fn extends<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ExtendsConfig>, D::Error> {
    struct ExtendsVisitor;
    impl<'de> Visitor<'de> for ExtendsVisitor {
        type Value = Option<ExtendsConfig>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a service name or a mapping with service and file")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(ExtendsConfig {
                file: None,
                service: v.to_string(),
            }))
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            d::from_map(map).map(Some)
        }
    }
    d.deserialize_any(ExtendsVisitor)
}

// ---------------------------------------------------------------- small lists

/// Lists whose items may be numbers (`expose`, `group_add`) → strings.
pub(crate) fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    d::string_or_list(d)
}

/// `cpu_rt_period` / `cpu_rt_runtime`: microseconds as a number, or a duration (`400ms`).
pub(crate) fn opt_micros<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Scalar::deserialize(d)? {
        Scalar::Null => Ok(None),
        Scalar::Str(text) => match text.trim().parse::<i64>() {
            Ok(n) => Ok(Some(n)),
            Err(_) => Duration::parse(&text)
                .map(|dur| Some(dur.as_micros()))
                .map_err(de::Error::custom),
        },
        other => d::Lenient::from_scalar(other)
            .map(Some)
            .map_err(de::Error::custom),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Deserialize, Debug)]
    struct Probe {
        #[serde(default, deserialize_with = "depends_on")]
        depends_on: BTreeMap<String, ServiceDependency>,
        #[serde(default, deserialize_with = "env_files")]
        env_file: Vec<EnvFile>,
        #[serde(default, deserialize_with = "healthcheck")]
        healthcheck: Option<HealthCheck>,
        #[serde(default)]
        ulimits: BTreeMap<String, Ulimit>,
        #[serde(default, deserialize_with = "extra_hosts")]
        extra_hosts: BTreeMap<String, Vec<String>>,
        #[serde(default, deserialize_with = "devices")]
        devices: Vec<DeviceMapping>,
        #[serde(default, deserialize_with = "secret_refs")]
        secrets: Vec<ServiceFileRef>,
        #[serde(default, deserialize_with = "opt_micros")]
        cpu_rt_period: Option<i64>,
    }

    fn probe(v: Value) -> Result<Probe, String> {
        serde_json::from_value(v).map_err(|e| e.to_string())
    }

    fn dep(condition: DependencyCondition, required: bool, restart: bool) -> ServiceDependency {
        ServiceDependency {
            condition,
            required,
            restart,
            extensions: BTreeMap::new(),
        }
    }

    #[test]
    fn depends_on_forms() {
        use DependencyCondition::*;
        let cases = [
            (
                json!(["db", "cache"]),
                vec![
                    ("cache", dep(ServiceStarted, true, false)),
                    ("db", dep(ServiceStarted, true, false)),
                ],
            ),
            (
                json!({"db": {"condition": "service_healthy", "restart": "true"},
                       "init": {"condition": "service_completed_successfully", "required": false},
                       "x": {}, "y": null}),
                vec![
                    ("db", dep(ServiceHealthy, true, true)),
                    ("init", dep(ServiceCompletedSuccessfully, false, false)),
                    ("x", dep(ServiceStarted, true, false)),
                    ("y", dep(ServiceStarted, true, false)),
                ],
            ),
        ];
        for (input, want) in cases {
            let got = probe(json!({ "depends_on": input })).unwrap().depends_on;
            let want: BTreeMap<String, ServiceDependency> =
                want.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
            assert_eq!(got, want);
        }
        assert_eq!(
            probe(json!({"depends_on": {"db": {"condition": "ready"}}})).unwrap_err(),
            "invalid depends_on condition \"ready\": use service_started, service_healthy \
             or service_completed_successfully"
        );
        let out = serde_json::to_value(dep(ServiceHealthy, true, false)).unwrap();
        assert_eq!(
            out,
            json!({"condition": "service_healthy", "required": true})
        );
        let out = serde_json::to_value(dep(ServiceStarted, true, true)).unwrap();
        assert_eq!(
            out,
            json!({"condition": "service_started", "restart": true, "required": true})
        );
    }

    #[test]
    fn env_file_forms() {
        let file = |path: &str, required: bool, format: Option<&str>| EnvFile {
            path: path.to_string(),
            required,
            format: format.map(str::to_string),
        };
        let cases = [
            (json!("/p/.env"), vec![file("/p/.env", true, None)]),
            (
                json!(["/a.env", "/b.env"]),
                vec![file("/a.env", true, None), file("/b.env", true, None)],
            ),
            (
                json!([{"path": "/a.env", "required": false}, {"path": "/b", "format": "raw"},
                       {"path": "/c", "required": "true"}]),
                vec![
                    file("/a.env", false, None),
                    file("/b", true, Some("raw")),
                    file("/c", true, None),
                ],
            ),
            (json!(null), vec![]),
        ];
        for (input, want) in cases {
            assert_eq!(probe(json!({ "env_file": input })).unwrap().env_file, want);
        }
    }

    #[test]
    fn healthcheck_forms() {
        let test = |input: Value| {
            probe(json!({"healthcheck": input})).map(|p| p.healthcheck.and_then(|h| h.test))
        };
        let strings = |w: &[&str]| Some(w.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            test(json!({"test": "curl -f http://localhost || exit 1"})),
            Ok(strings(&[
                "CMD-SHELL",
                "curl -f http://localhost || exit 1"
            ]))
        );
        assert_eq!(
            test(json!({"test": ["CMD", "curl", "-f", "http://localhost"]})),
            Ok(strings(&["CMD", "curl", "-f", "http://localhost"]))
        );
        assert_eq!(test(json!({"disable": true})), Ok(None));
        assert_eq!(
            test(json!({"disable": true, "test": ["NONE"]})),
            Ok(strings(&["NONE"]))
        );
        assert_eq!(test(json!({"interval": "5s"})), Ok(None));
        // docker compose keeps both; `disable` wins.
        assert_eq!(
            test(json!({"disable": true, "test": "true"})),
            Ok(strings(&["CMD-SHELL", "true"]))
        );
        let disabled = probe(json!({"healthcheck": {"disable": true, "test": "true"}})).unwrap();
        assert!(disabled.healthcheck.unwrap().is_disabled());
        let h = probe(
            json!({"healthcheck": {"interval": "1m30s", "timeout": "10s",
            "retries": "3", "start_period": "40s", "start_interval": "5s"}}),
        )
        .unwrap()
        .healthcheck
        .unwrap();
        assert_eq!(h.interval, Some(Duration::from_secs(90)));
        assert_eq!(h.timeout, Some(Duration::from_secs(10)));
        assert_eq!(h.retries, Some(3));
        assert_eq!(h.start_period, Some(Duration::from_secs(40)));
        assert_eq!(h.start_interval, Some(Duration::from_secs(5)));
        assert!(!h.is_disabled());
        assert_eq!(
            probe(json!({"healthcheck": {"interval": "1x"}})).unwrap_err(),
            "invalid duration \"1x\": use a number with a unit such as 10s, 1m30s"
        );
    }

    #[test]
    fn ulimit_forms() {
        let p = probe(json!({"ulimits": {
            "nproc": 65535, "core": "-1", "memlock": -1,
            "nofile": {"soft": 20000, "hard": "40000"}
        }}))
        .unwrap();
        let u = |soft, hard| Ulimit {
            soft,
            hard,
            single: soft == hard,
        };
        assert_eq!(p.ulimits["nproc"], u(65535, 65535));
        assert_eq!(p.ulimits["core"], u(-1, -1));
        assert_eq!(p.ulimits["memlock"], u(-1, -1));
        assert_eq!(p.ulimits["nofile"], u(20000, 40000));
        assert_eq!(
            probe(json!({"ulimits": {"nofile": "lots"}})).unwrap_err(),
            "invalid ulimit \"lots\": use a whole number or -1"
        );
        assert!(probe(json!({"ulimits": {"nofile": {"soft": 1}}})).is_err());
        assert_eq!(
            serde_json::to_value(u(1, 2)).unwrap(),
            json!({"soft": 1, "hard": 2})
        );
    }

    #[test]
    fn extra_hosts_forms() {
        let hosts = |pairs: &[(&str, &[&str])]| -> BTreeMap<String, Vec<String>> {
            pairs
                .iter()
                .map(|(h, ips)| (h.to_string(), ips.iter().map(|s| s.to_string()).collect()))
                .collect()
        };
        let cases = [
            (
                json!([
                    "somehost=162.242.195.82",
                    "otherhost:50.31.209.229",
                    "v6=[::1]",
                    "v6b:::1",
                    "multi=1.1.1.1,2.2.2.2"
                ]),
                hosts(&[
                    ("multi", &["1.1.1.1", "2.2.2.2"]),
                    ("otherhost", &["50.31.209.229"]),
                    ("somehost", &["162.242.195.82"]),
                    ("v6", &["::1"]),
                    ("v6b", &["::1"]),
                ]),
            ),
            (
                json!({"somehost": "162.242.195.82", "v6": "[::1]", "many": ["1.1.1.1", "::2"]}),
                hosts(&[
                    ("many", &["1.1.1.1", "::2"]),
                    ("somehost", &["162.242.195.82"]),
                    ("v6", &["::1"]),
                ]),
            ),
        ];
        for (input, want) in cases {
            assert_eq!(
                probe(json!({ "extra_hosts": input })).unwrap().extra_hosts,
                want
            );
        }
        assert_eq!(
            probe(json!({"extra_hosts": ["nohost"]})).unwrap_err(),
            "invalid extra host \"nohost\": the IP is missing, use HOSTNAME=IP"
        );
    }

    #[test]
    fn device_forms() {
        let p = probe(json!({"devices": [
            "/dev/ttyUSB0", "/dev/a:/dev/b", "/dev/c:/dev/d:r",
            {"source": "/dev/e"}, {"source": "/dev/f", "target": "/dev/g", "permissions": "rw"}
        ]}))
        .unwrap();
        let triples: Vec<(&str, &str, &str)> = p
            .devices
            .iter()
            .map(|d| (d.source.as_str(), d.target.as_str(), d.permissions.as_str()))
            .collect();
        assert_eq!(
            triples,
            [
                ("/dev/ttyUSB0", "/dev/ttyUSB0", "rwm"),
                ("/dev/a", "/dev/b", "rwm"),
                ("/dev/c", "/dev/d", "r"),
                ("/dev/e", "/dev/e", "rwm"),
                ("/dev/f", "/dev/g", "rw"),
            ]
        );
        assert_eq!(
            parse_device_spec("a:b:c:d"),
            Err(
                "invalid device \"a:b:c:d\": use SOURCE[:TARGET[:PERMISSIONS]] or the long syntax"
                    .to_string()
            )
        );
    }

    #[test]
    fn secret_forms() {
        let p = probe(
            json!({"secrets": ["token", {"source": "key", "target": "/k", "uid": "1",
                                                   "gid": "2", "mode": "0400"}]}),
        )
        .unwrap();
        assert_eq!(p.secrets[0].source, "token");
        assert_eq!(p.secrets[0].target.as_deref(), Some("/run/secrets/token"));
        assert_eq!(p.secrets[1].target.as_deref(), Some("/k"));
        assert_eq!(p.secrets[1].mode, Some(FileMode(0o400)));
    }

    #[test]
    fn realtime_cpu_accepts_micros_or_durations() {
        for (input, want) in [
            (json!(1000), 1000),
            (json!("1000"), 1000),
            (json!("400ms"), 400_000),
        ] {
            assert_eq!(
                probe(json!({ "cpu_rt_period": input }))
                    .unwrap()
                    .cpu_rt_period,
                Some(want)
            );
        }
    }
}
