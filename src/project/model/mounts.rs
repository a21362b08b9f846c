//! Mounts of a service (`volumes:` on a service): the short syntax `SOURCE:TARGET:MODE`
//! normalized to the long syntax compose prints.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::de::{self as d, string_enum};
use super::units::{Bytes, octal_or_number};

string_enum! {
    /// What is mounted.
    #[derive(Default)]
    pub enum MountType ("volume type") {
        #[default]
        Volume = "volume",
        Bind = "bind",
        Tmpfs = "tmpfs",
        Npipe = "npipe",
        Cluster = "cluster",
        Image = "image",
    }
}

/// One mount of a service, in long syntax.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct ServiceVolume {
    #[serde(rename = "type")]
    pub type_: MountType,
    /// Volume name, host path (absolute after loading) or image; `None` for anonymous
    /// volumes and tmpfs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Path inside the container.
    #[serde(
        default,
        deserialize_with = "clean_target",
        skip_serializing_if = "String::is_empty"
    )]
    pub target: String,
    #[serde(
        default,
        deserialize_with = "d::flag",
        skip_serializing_if = "d::is_false"
    )]
    pub read_only: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consistency: Option<String>,
    /// Bind options; also SELinux relabeling (`:z`/`:Z`) of a named volume.
    /// Present for every short-syntax bind (`{}` when all options are defaults), absent for a
    /// long-syntax one without `bind:`, as compose-go has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bind: Option<BindOptions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume: Option<VolumeOptions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tmpfs: Option<TmpfsOptions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageOptions>,
    #[serde(
        flatten,
        deserialize_with = "d::extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Value>,
}

/// Options of a bind mount.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct BindOptions {
    /// `z` (shared) or `Z` (private) SELinux relabeling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selinux: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub propagation: Option<String>,
    /// Create the host path when missing. True unless set to false (printed only then, as
    /// docker compose prints it).
    #[serde(
        default = "d::yes",
        deserialize_with = "d::lenient",
        skip_serializing_if = "d::is_true"
    )]
    pub create_host_path: bool,
    /// `enabled`, `disabled`, `writable` or `readonly`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recursive: Option<String>,
    #[serde(
        flatten,
        deserialize_with = "d::extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Value>,
}

impl Default for BindOptions {
    fn default() -> Self {
        BindOptions {
            selinux: None,
            propagation: None,
            create_host_path: true,
            recursive: None,
            extensions: BTreeMap::new(),
        }
    }
}

/// Options of a named or anonymous volume mount.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct VolumeOptions {
    #[serde(
        default,
        deserialize_with = "d::label_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub labels: BTreeMap<String, String>,
    /// Do not copy the image's data into a new volume.
    #[serde(
        default,
        deserialize_with = "d::flag",
        skip_serializing_if = "d::is_false"
    )]
    pub nocopy: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subpath: Option<String>,
    #[serde(
        flatten,
        deserialize_with = "d::extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Value>,
}

/// Options of a tmpfs mount.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct TmpfsOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<Bytes>,
    /// Permission bits; a string is read as octal.
    #[serde(
        default,
        deserialize_with = "opt_mode",
        skip_serializing_if = "Option::is_none"
    )]
    pub mode: Option<u32>,
    #[serde(
        flatten,
        deserialize_with = "d::extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Value>,
}

/// Options of an image mount.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct ImageOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subpath: Option<String>,
    #[serde(
        flatten,
        deserialize_with = "d::extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Value>,
}

fn opt_mode<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    struct Mode(u32);
    impl<'de> Deserialize<'de> for Mode {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            octal_or_number(d).map(Mode)
        }
    }
    Ok(Option::<Mode>::deserialize(d)?.map(|m| m.0))
}

fn clean_target<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(clean_path(
        &Option::<String>::deserialize(d)?.unwrap_or_default(),
    ))
}

/// Lexically clean a container path like Go's `path.Clean` (`/data/` → `/data`,
/// `/a/./b/../c` → `/a/c`). Empty stays empty.
pub fn clean_path(path: &str) -> String {
    if path.is_empty() {
        return String::new();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// Whether the source of a short-syntax mount is a host path rather than a volume name.
fn is_host_path(source: &str) -> bool {
    let bytes = source.as_bytes();
    match bytes.first() {
        None => false,
        Some(b'.' | b'/' | b'~') => true,
        _ => {
            source.starts_with("\\\\")
                || (bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':')
        }
    }
}

/// Split a short mount spec on `:`. A source that starts with a Windows drive letter
/// (`C:\data:/data`, `C:/data:/data`) keeps its colon when a target follows.
fn split_spec(spec: &str) -> Vec<String> {
    let bytes = spec.as_bytes();
    let drive = bytes.len() > 3
        && bytes[0].is_ascii_alphabetic()
        && bytes[1] == b':'
        && matches!(bytes[2], b'\\' | b'/')
        && spec[2..].contains(':');
    let (prefix, rest) = if drive { spec.split_at(2) } else { ("", spec) };
    let mut parts: Vec<String> = rest.split(':').map(str::to_string).collect();
    if let Some(first) = parts.first_mut() {
        first.insert_str(0, prefix);
    }
    parts
}

/// Parse the short syntax: `/in` (anonymous), `name:/in[:opts]` (named volume),
/// `./host:/in[:opts]` (bind; the host path is created when missing, as in compose).
/// Options: `ro`, `rw`, `z`, `Z`, propagation modes, `nocopy`; others are ignored.
pub fn parse_volume_spec(spec: &str) -> Result<ServiceVolume, String> {
    if spec.is_empty() {
        return Err("invalid volume \"\": the spec is empty".to_string());
    }
    let parts = split_spec(spec);
    if parts.iter().any(String::is_empty) {
        return Err(format!(
            "invalid volume \"{spec}\": a part between colons is empty"
        ));
    }
    let (source, target, options) = match parts.as_slice() {
        [target] => (None, target.clone(), None),
        [source, target] => (Some(source.clone()), target.clone(), None),
        [source, target, options] => (Some(source.clone()), target.clone(), Some(options)),
        _ => {
            return Err(format!(
                "invalid volume \"{spec}\": too many colons, use SOURCE:TARGET:OPTIONS"
            ));
        }
    };
    let mut mount = ServiceVolume {
        target: clean_path(&target),
        ..ServiceVolume::default()
    };
    let host_path = source.as_deref().is_some_and(is_host_path);
    let mut bind = BindOptions::default();
    let mut volume = VolumeOptions::default();
    for option in options.iter().flat_map(|o| o.split(',')) {
        match option {
            "ro" => mount.read_only = true,
            "rw" => mount.read_only = false,
            "nocopy" => volume.nocopy = true,
            "z" | "Z" => bind.selinux = Some(option.to_string()),
            "rprivate" | "private" | "rshared" | "shared" | "rslave" | "slave" => {
                bind.propagation = Some(option.to_string())
            }
            _ => {}
        }
    }
    if host_path {
        mount.type_ = MountType::Bind;
        // Bind options even when all are defaults (not printed then): compose-go gives a
        // short-syntax bind options, which docker compose's config hash takes in.
        mount.bind = Some(bind);
        if volume.nocopy {
            mount.volume = Some(volume);
        }
    } else {
        mount.type_ = MountType::Volume;
        mount.volume = Some(volume);
        // `:z`/`:Z` relabel a named volume too.
        if bind.selinux.is_some() {
            mount.bind = Some(bind);
        }
    }
    mount.source = source;
    Ok(mount)
}

/// One entry of a service's `volumes:` list, short or long.
struct MountEntry(ServiceVolume);

impl<'de> Deserialize<'de> for MountEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntryVisitor;
        impl<'de> Visitor<'de> for EntryVisitor {
            type Value = MountEntry;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a volume such as \"data:/data\" or a mapping with type")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<MountEntry, E> {
                parse_volume_spec(v).map(MountEntry).map_err(E::custom)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<MountEntry, A::Error> {
                d::from_map(map).map(MountEntry)
            }
        }
        deserializer.deserialize_any(EntryVisitor)
    }
}

/// The `volumes` list of a service, normalized to long syntax.
pub(crate) fn mounts<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ServiceVolume>, D::Error> {
    let entries = Option::<Vec<MountEntry>>::deserialize(d)?.unwrap_or_default();
    Ok(entries.into_iter().map(|e| e.0).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn named(source: Option<&str>, target: &str) -> ServiceVolume {
        ServiceVolume {
            type_: MountType::Volume,
            source: source.map(str::to_string),
            target: target.to_string(),
            volume: Some(VolumeOptions::default()),
            ..ServiceVolume::default()
        }
    }

    fn bind(source: &str, target: &str) -> ServiceVolume {
        ServiceVolume {
            type_: MountType::Bind,
            source: Some(source.to_string()),
            target: target.to_string(),
            bind: Some(BindOptions::default()),
            ..ServiceVolume::default()
        }
    }

    #[test]
    fn short_syntax() {
        let mut ro_named = named(Some("data"), "/path");
        ro_named.read_only = true;
        let mut relabeled = bind("/abs", "/in");
        relabeled.bind = Some(BindOptions {
            selinux: Some("z".into()),
            ..BindOptions::default()
        });
        let mut propagated = bind("/abs", "/in");
        propagated.read_only = true;
        propagated.bind = Some(BindOptions {
            propagation: Some("rshared".into()),
            ..BindOptions::default()
        });
        let mut nocopy = named(Some("data"), "/d");
        nocopy.volume.as_mut().unwrap().nocopy = true;
        let cases = [
            ("data:/path:ro", ro_named),
            ("data:/path", named(Some("data"), "/path")),
            ("/abs:/in:rw,z", relabeled),
            ("/abs:/in:ro,rshared", propagated),
            ("/in", named(None, "/in")),
            ("/in/", named(None, "/in")),
            ("./data:/data", bind("./data", "/data")),
            ("../up:/up", bind("../up", "/up")),
            ("~/cache:/cache", bind("~/cache", "/cache")),
            ("C:\\data:/data", bind("C:\\data", "/data")),
            ("C:/data:/data:ro", {
                let mut v = bind("C:/data", "/data");
                v.read_only = true;
                v
            }),
            ("a:/b", named(Some("a"), "/b")),
            ("data:/d:nocopy", nocopy),
            ("/x:/a/./b/../c/", bind("/x", "/a/c")),
        ];
        for (spec, want) in cases {
            assert_eq!(parse_volume_spec(spec), Ok(want), "{spec}");
        }
    }

    #[test]
    fn short_syntax_errors() {
        let cases = [
            ("", "invalid volume \"\": the spec is empty"),
            (
                "a::/b",
                "invalid volume \"a::/b\": a part between colons is empty",
            ),
            (
                "data:/b:ro:x",
                "invalid volume \"data:/b:ro:x\": too many colons, use SOURCE:TARGET:OPTIONS",
            ),
        ];
        for (spec, want) in cases {
            assert_eq!(parse_volume_spec(spec), Err(want.to_string()), "{spec}");
        }
    }

    #[derive(Deserialize)]
    struct Probe {
        #[serde(deserialize_with = "mounts")]
        volumes: Vec<ServiceVolume>,
    }

    #[test]
    fn long_syntax() {
        let probe: Probe = serde_json::from_value(json!({"volumes": [
            {"type": "volume", "source": "db", "target": "/var/lib/db/",
             "volume": {"nocopy": "true", "subpath": "sub"}},
            {"type": "bind", "source": "/run/x.sock", "target": "/run/x.sock", "read_only": true,
             "bind": {"propagation": "rslave"}},
            {"type": "bind", "source": "/h", "target": "/c", "bind": {"create_host_path": false}},
            {"type": "tmpfs", "target": "/tmp", "tmpfs": {"size": "64m", "mode": "1777"}},
            {"type": "image", "source": "alpine", "target": "/img", "image": {"subpath": "etc"}},
        ]}))
        .unwrap();
        let v = &probe.volumes;
        assert_eq!(v[0].target, "/var/lib/db");
        assert_eq!(
            v[0].volume,
            Some(VolumeOptions {
                nocopy: true,
                subpath: Some("sub".into()),
                ..VolumeOptions::default()
            })
        );
        assert!(v[1].read_only);
        let b = v[1].bind.as_ref().unwrap();
        assert_eq!(b.propagation.as_deref(), Some("rslave"));
        assert!(
            b.create_host_path,
            "bind options default create_host_path to true"
        );
        assert!(!v[2].bind.as_ref().unwrap().create_host_path);
        assert_eq!(v[3].type_, MountType::Tmpfs);
        assert_eq!(
            v[3].tmpfs,
            Some(TmpfsOptions {
                size: Some(Bytes(64 << 20)),
                mode: Some(0o1777),
                ..TmpfsOptions::default()
            })
        );
        assert_eq!(v[4].image.as_ref().unwrap().subpath.as_deref(), Some("etc"));
    }

    #[test]
    fn bad_type_is_explained() {
        let err = serde_json::from_value::<Probe>(json!({"volumes": [{"type": "disk"}]}))
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("invalid volume type \"disk\": use volume, bind, tmpfs, npipe, cluster or image")
        );
    }

    #[test]
    fn serializes_in_compose_shape() {
        let v = serde_json::to_value(parse_volume_spec("./data:/data:ro").unwrap()).unwrap();
        assert_eq!(
            v,
            json!({"type": "bind", "source": "./data", "target": "/data", "read_only": true, "bind": {}}),
            "a short-syntax bind has its bind options, `{{}}` when all are defaults, as compose prints it"
        );
        let v = serde_json::to_value(parse_volume_spec("data:/data").unwrap()).unwrap();
        assert_eq!(
            v,
            json!({"type": "volume", "source": "data", "target": "/data", "volume": {}})
        );
    }

    #[test]
    fn clean_paths() {
        for (input, want) in [
            ("/a/b/", "/a/b"),
            ("/a//b", "/a/b"),
            ("/../a", "/a"),
            ("a/../..", ".."),
            ("./", "."),
            ("/", "/"),
            ("", ""),
        ] {
            assert_eq!(clean_path(input), want, "{input}");
        }
    }
}
