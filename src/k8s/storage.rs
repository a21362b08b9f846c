//! What a service mounts, as pod volumes: named volumes as shared PersistentVolumeClaims,
//! anonymous volumes and tmpfs as emptyDirs, configs as ConfigMaps and secrets as Secrets
//! (each mounted as one file), and bind mounts as well as a cluster allows.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapVolumeSource, EmptyDirVolumeSource, PersistentVolumeClaim,
    PersistentVolumeClaimSpec, PersistentVolumeClaimVolumeSource, Secret, SecretVolumeSource,
    Volume, VolumeMount, VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use super::Converter;
use super::container::memory_quantity;
use super::names::{self, UniqueNames};
use crate::error::{Error, Result};
use crate::project::model::{Bytes, FileObject, MountType, Service, ServiceFileRef};

/// Size of every PersistentVolumeClaim: compose volumes have no size.
pub const CLAIM_SIZE: &str = "1Gi";

/// The largest ConfigMap Kubernetes stores.
const MAX_CONFIG_MAP_BYTES: u64 = 1 << 20;

/// Which of the two kinds of mounted files: a config (in a ConfigMap) or a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FileKind {
    Config,
    Secret,
}

impl FileKind {
    /// The top-level key of its definitions.
    fn section(self) -> &'static str {
        match self {
            FileKind::Config => "configs",
            FileKind::Secret => "secrets",
        }
    }

    fn what(self) -> &'static str {
        match self {
            FileKind::Config => "config",
            FileKind::Secret => "secret",
        }
    }

    /// Where relative targets are taken from: `/` for configs, `/run/secrets` for secrets.
    fn target_base(self) -> &'static str {
        match self {
            FileKind::Config => "",
            FileKind::Secret => "/run/secrets",
        }
    }

    /// The Kubernetes kind that holds it.
    fn kind(self) -> &'static str {
        match self {
            FileKind::Config => "ConfigMap",
            FileKind::Secret => "Secret",
        }
    }
}

/// The pod volumes of a service and where its container mounts them.
#[derive(Debug, Default)]
pub struct PodStorage {
    pub volumes: Vec<Volume>,
    pub mounts: Vec<VolumeMount>,
    /// Whether a PersistentVolumeClaim is mounted (the service then runs as a StatefulSet).
    pub uses_claims: bool,
}

impl PodStorage {
    fn add(&mut self, volume: Volume, mount: VolumeMount) {
        self.volumes.push(volume);
        self.mounts.push(mount);
    }
}

fn empty_dir(name: String, memory: bool, size: Option<Bytes>) -> Volume {
    Volume {
        name,
        empty_dir: Some(EmptyDirVolumeSource {
            medium: memory.then(|| "Memory".to_string()),
            size_limit: size
                .filter(|s| s.get() > 0)
                .map(|s| memory_quantity(s.get())),
        }),
        ..Volume::default()
    }
}

fn mount(name: &str, path: &str, read_only: bool, sub_path: Option<String>) -> VolumeMount {
    VolumeMount {
        name: name.to_string(),
        mount_path: path.to_string(),
        read_only: read_only.then_some(true),
        sub_path,
        ..VolumeMount::default()
    }
}

/// `size=` of a tmpfs option list such as `size=64m,mode=1777`, and whether others are set.
fn tmpfs_size(options: &str) -> (Option<Bytes>, bool) {
    let mut size = None;
    let mut others = false;
    for option in options.split(',').filter(|o| !o.is_empty()) {
        match option.strip_prefix("size=") {
            Some(value) => size = Bytes::parse(value).ok(),
            None => others = true,
        }
    }
    (size, others)
}

/// Where a config or secret appears in the container: its target, relative targets taken
/// under `base`.
fn file_target(reference: &ServiceFileRef, base: &str) -> String {
    match reference.target.as_deref() {
        Some(t) if t.starts_with('/') => t.to_string(),
        Some(t) if !t.is_empty() => format!("{base}/{t}"),
        _ => format!("{base}/{}", reference.source),
    }
}

fn file_mode(reference: &ServiceFileRef) -> Option<i32> {
    reference.mode.and_then(|m| i32::try_from(m.0).ok())
}

impl Converter<'_> {
    /// The pod volumes and mounts of one service.
    pub(super) fn pod_storage(
        &mut self,
        compose_name: &str,
        k8s_name: &str,
        service: &Service,
    ) -> Result<PodStorage> {
        let mut storage = PodStorage::default();
        let mut volume_names = UniqueNames::default();
        // A named volume mounted twice is one pod volume.
        let mut claim_volumes: BTreeMap<String, String> = BTreeMap::new();
        for entry in &service.volumes {
            let target = entry.target.as_str();
            match (entry.type_, entry.source.as_deref()) {
                (MountType::Volume, Some(source)) => {
                    let sub_path = entry.volume.as_ref().and_then(|v| v.subpath.clone());
                    let volume_name = match claim_volumes.get(source) {
                        Some(name) => name.clone(),
                        None => {
                            let claim = self.claim_for(source, compose_name);
                            let name = volume_names.unique(
                                &names::dns_label(source).unwrap_or_else(|| "volume".into()),
                            );
                            storage.volumes.push(Volume {
                                name: name.clone(),
                                persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                                    claim_name: claim,
                                    read_only: None,
                                }),
                                ..Volume::default()
                            });
                            claim_volumes.insert(source.to_string(), name.clone());
                            name
                        }
                    };
                    storage.uses_claims = true;
                    storage
                        .mounts
                        .push(mount(&volume_name, target, entry.read_only, sub_path));
                }
                (MountType::Volume, None) => {
                    let name = volume_names.unique("anonymous");
                    let m = mount(&name, target, entry.read_only, None);
                    storage.add(empty_dir(name, false, None), m);
                }
                (MountType::Tmpfs, _) => {
                    let options = entry.tmpfs.as_ref();
                    if options.and_then(|t| t.mode).is_some() {
                        self.warnings.service(
                            compose_name,
                            "volumes",
                            format!(
                                "tmpfs mode at {target} has no Kubernetes equivalent; left out"
                            ),
                        );
                    }
                    let name = volume_names.unique("tmpfs");
                    let m = mount(&name, target, entry.read_only, None);
                    storage.add(empty_dir(name, true, options.and_then(|t| t.size)), m);
                }
                (MountType::Bind, Some(source)) => {
                    if let Some((volume, m)) =
                        self.bind_mount(compose_name, k8s_name, source, target, &mut volume_names)?
                    {
                        storage.add(volume, m);
                    }
                }
                (other, _) => self.warnings.service(
                    compose_name,
                    "volumes",
                    format!(
                        "{} mount at {target} has no Kubernetes equivalent; left out",
                        other.as_str()
                    ),
                ),
            }
        }
        for entry in &service.tmpfs {
            let (path, options) = entry.split_once(':').unwrap_or((entry.as_str(), ""));
            let (size, others) = tmpfs_size(options);
            if others {
                self.warnings.service(
                    compose_name,
                    "tmpfs",
                    format!(
                        "options of {path} other than size have no Kubernetes equivalent; left out"
                    ),
                );
            }
            let name = volume_names.unique("tmpfs");
            let m = mount(&name, path, false, None);
            storage.add(empty_dir(name, true, size), m);
        }
        if let Some(size) = service.shm_size.filter(|s| s.get() > 0) {
            let name = volume_names.unique("dshm");
            let m = mount(&name, "/dev/shm", false, None);
            storage.add(empty_dir(name, true, Some(size)), m);
        }
        for (kind, references) in [
            (FileKind::Config, &service.configs),
            (FileKind::Secret, &service.secrets),
        ] {
            for reference in references {
                let Some((object, key)) = self.file_object_for(kind, &reference.source)? else {
                    self.warnings.service(
                        compose_name,
                        kind.section(),
                        format!(
                            "{} \"{}\" is not defined; left out",
                            kind.what(),
                            reference.source
                        ),
                    );
                    continue;
                };
                self.warn_owner(compose_name, kind.section(), reference);
                let name = volume_names.unique(&format!("{}-{object}", kind.what()));
                let default_mode = file_mode(reference);
                let volume = match kind {
                    FileKind::Config => Volume {
                        name: name.clone(),
                        config_map: Some(ConfigMapVolumeSource {
                            name: object,
                            default_mode,
                            ..ConfigMapVolumeSource::default()
                        }),
                        ..Volume::default()
                    },
                    FileKind::Secret => Volume {
                        name: name.clone(),
                        secret: Some(SecretVolumeSource {
                            secret_name: Some(object),
                            default_mode,
                            ..SecretVolumeSource::default()
                        }),
                        ..Volume::default()
                    },
                };
                let target = file_target(reference, kind.target_base());
                storage.add(volume, mount(&name, &target, true, Some(key)));
            }
        }
        Ok(storage)
    }

    fn warn_owner(&mut self, compose_name: &str, key: &str, reference: &ServiceFileRef) {
        if reference.uid.is_some() || reference.gid.is_some() {
            self.warnings.service(
                compose_name,
                key,
                format!(
                    "uid and gid of \"{}\" have no Kubernetes equivalent (files belong to \
                     root, or to the pod's fsGroup); left out",
                    reference.source
                ),
            );
        }
    }

    /// A bind mount: a file becomes a ConfigMap holding a copy of it; a directory, or a path
    /// that does not exist (which compose creates as a directory), an empty directory.
    fn bind_mount(
        &mut self,
        compose_name: &str,
        k8s_name: &str,
        source: &str,
        target: &str,
        volume_names: &mut UniqueNames,
    ) -> Result<Option<(Volume, VolumeMount)>> {
        let shown = self.display_path(source);
        let metadata = std::fs::metadata(source);
        let as_empty_dir = |this: &mut Self, names: &mut UniqueNames, why: &str| {
            this.warnings.service(
                compose_name,
                "volumes",
                format!(
                    "bind mount of {shown} at {target}: {why}; mounted as an empty directory \
                     (bake the files into the image, or use a ConfigMap)"
                ),
            );
            let name = names.unique("bind");
            let m = mount(&name, target, false, None);
            Some((empty_dir(name, false, None), m))
        };
        let metadata = match metadata {
            Err(_) => {
                return Ok(as_empty_dir(
                    self,
                    volume_names,
                    "the path does not exist (compose would create an empty directory)",
                ));
            }
            Ok(m) => m,
        };
        if metadata.is_dir() {
            return Ok(as_empty_dir(
                self,
                volume_names,
                "a cluster cannot mount a directory of this machine",
            ));
        }
        if !metadata.is_file() || metadata.len() > MAX_CONFIG_MAP_BYTES {
            let why = if metadata.is_file() {
                "the file is larger than a ConfigMap can hold (1 MiB)"
            } else {
                "not a regular file"
            };
            self.warnings.service(
                compose_name,
                "volumes",
                format!("bind mount of {shown} at {target}: {why}; left out"),
            );
            return Ok(None);
        }
        let content = std::fs::read(source).map_err(|e| {
            Error::new(format!(
                "cannot read {shown}, bind-mounted at {target}: {e}"
            ))
        })?;
        let file_name = std::path::Path::new(source)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let key = names::data_key(&file_name);
        let base = names::dns_label(&format!("{k8s_name}-{file_name}"))
            .unwrap_or_else(|| k8s_name.to_string());
        let config_map = self.config_map_names.unique(&base);
        self.warnings.service(
            compose_name,
            "volumes",
            format!(
                "bind mount of file {shown} at {target} becomes ConfigMap \"{config_map}\": a \
                 read-only copy made now, which does not follow changes on this machine"
            ),
        );
        let labels = names::service_labels(&self.project.name, k8s_name);
        self.push_config_map(&config_map, &key, content, labels, BTreeMap::new())?;
        let name = volume_names.unique("bind");
        let volume = Volume {
            name: name.clone(),
            config_map: Some(ConfigMapVolumeSource {
                name: config_map,
                ..ConfigMapVolumeSource::default()
            }),
            ..Volume::default()
        };
        let m = mount(&name, target, true, Some(key));
        Ok(Some((volume, m)))
    }

    /// The claim a service mounts for the named volume `key`; remembers who mounts it.
    fn claim_for(&mut self, key: &str, compose_name: &str) -> String {
        self.volume_users
            .entry(key.to_string())
            .or_default()
            .insert(compose_name.to_string());
        match (self.project.volumes.get(key), self.claim_names.get(key)) {
            (_, Some(claim)) => claim.clone(),
            (Some(volume), None) => volume.name.clone().unwrap_or_else(|| key.to_string()),
            (None, None) => names::dns_label(key).unwrap_or_else(|| key.to_string()),
        }
    }

    /// One PersistentVolumeClaim for every non-external volume that a service mounts.
    pub(super) fn push_claims(&mut self) -> Result<()> {
        let users = std::mem::take(&mut self.volume_users);
        for (key, services) in &users {
            let Some(volume) = self.project.volumes.get(key) else {
                continue;
            };
            let Some(claim) = self.claim_names.get(key).cloned() else {
                if volume.external {
                    let name = volume.name.as_deref().unwrap_or(key);
                    self.warnings.project(
                        &format!("volumes.{key}"),
                        format!("external: expected to exist as PersistentVolumeClaim \"{name}\""),
                    );
                }
                continue;
            };
            if let Some(driver) = volume.driver.as_deref().filter(|d| *d != "local") {
                self.warnings.project(
                    &format!("volumes.{key}.driver"),
                    format!("\"{driver}\" has no Kubernetes equivalent; the claim uses the cluster's default storage class"),
                );
            }
            if !volume.driver_opts.is_empty() {
                self.warnings.project(
                    &format!("volumes.{key}.driver_opts"),
                    "no Kubernetes equivalent; left out",
                );
            }
            let pods: u32 = services
                .iter()
                .filter_map(|s| self.project.services.get(s))
                .map(|s| s.replicas().max(1))
                .sum();
            if pods > 1 {
                let list: Vec<&str> = services.iter().map(String::as_str).collect();
                self.warnings.project(
                    &format!("volumes.{key}"),
                    format!(
                        "shared by {pods} pods ({}): a ReadWriteOnce claim serves pods on one \
                         node only; on a cluster of several nodes give it a storage class \
                         with ReadWriteMany",
                        list.join(", ")
                    ),
                );
            }
            let claim_object = PersistentVolumeClaim {
                metadata: self.metadata(
                    &claim,
                    names::project_labels(&self.project.name),
                    volume.labels.clone(),
                ),
                spec: Some(PersistentVolumeClaimSpec {
                    access_modes: Some(vec!["ReadWriteOnce".to_string()]),
                    resources: Some(VolumeResourceRequirements {
                        requests: Some(BTreeMap::from([(
                            "storage".to_string(),
                            Quantity(CLAIM_SIZE.to_string()),
                        )])),
                        ..VolumeResourceRequirements::default()
                    }),
                    ..PersistentVolumeClaimSpec::default()
                }),
                ..PersistentVolumeClaim::default()
            };
            self.push(&claim_object)?;
        }
        Ok(())
    }

    fn push_config_map(
        &mut self,
        name: &str,
        key: &str,
        content: Vec<u8>,
        labels: BTreeMap<String, String>,
        annotations: BTreeMap<String, String>,
    ) -> Result<()> {
        let (data, binary_data) = match String::from_utf8(content) {
            Ok(text) => (Some(BTreeMap::from([(key.to_string(), text)])), None),
            Err(e) => (
                None,
                Some(BTreeMap::from([(
                    key.to_string(),
                    ByteString(e.into_bytes()),
                )])),
            ),
        };
        let object = ConfigMap {
            metadata: self.metadata(name, labels, annotations),
            data,
            binary_data,
            ..ConfigMap::default()
        };
        self.push(&object)
    }

    /// The content of a config or secret: from its file, inline, or from a variable.
    pub(super) fn file_object_content(
        &self,
        what: &str,
        key: &str,
        object: &FileObject,
    ) -> Result<Vec<u8>> {
        if let Some(file) = object.file.as_deref() {
            return std::fs::read(file).map_err(|e| {
                Error::new(format!(
                    "{what} \"{key}\": cannot read {}: {e}",
                    self.display_path(file)
                ))
                .with_hint("create the file or fix its path")
            });
        }
        if let Some(content) = object.content.as_deref() {
            return Ok(content.as_bytes().to_vec());
        }
        if let Some(variable) = object.environment.as_deref() {
            return self
                .inputs
                .environment
                .get(variable)
                .map(|v| v.as_bytes().to_vec())
                .ok_or_else(|| {
                    Error::new(format!(
                        "{what} \"{key}\": environment variable {variable} is not set"
                    ))
                    .with_hint(format!("set {variable} in the environment or in .env"))
                });
        }
        Err(Error::new(format!(
            "{what} \"{key}\" has no file, content or environment to take its content from"
        )))
    }

    /// The object (ConfigMap or Secret) and key holding config or secret `key`, made on
    /// first use. `None` when the project does not define it.
    pub(super) fn file_object_for(
        &mut self,
        kind: FileKind,
        key: &str,
    ) -> Result<Option<(String, String)>> {
        let project = self.project;
        let (definitions, k8s_names) = match kind {
            FileKind::Config => (&project.configs, &self.config_names),
            FileKind::Secret => (&project.secrets, &self.secret_names),
        };
        let Some(object) = definitions.get(key) else {
            return Ok(None);
        };
        let name = if object.external {
            object.name.clone().unwrap_or_else(|| key.to_string())
        } else {
            match k8s_names.get(key) {
                Some(name) => name.clone(),
                None => return Ok(None),
            }
        };
        let data_key = names::data_key(key);
        if !self
            .made_file_objects
            .insert((kind.section(), key.to_string()))
        {
            return Ok(Some((name, data_key)));
        }
        let section = kind.section();
        if object.external {
            self.warnings.project(
                &format!("{section}.{key}"),
                format!(
                    "external: expected to exist as {} \"{name}\" with the key \"{data_key}\"",
                    kind.kind()
                ),
            );
            return Ok(Some((name, data_key)));
        }
        for (set, field) in [
            (object.driver.is_some(), "driver"),
            (!object.driver_opts.is_empty(), "driver_opts"),
            (object.template_driver.is_some(), "template_driver"),
        ] {
            if set {
                self.warnings.project(
                    &format!("{section}.{key}.{field}"),
                    "no Kubernetes equivalent; the content is used as it is",
                );
            }
        }
        let content = self.file_object_content(kind.what(), key, object)?;
        let labels = names::project_labels(&project.name);
        match kind {
            FileKind::Config => {
                self.push_config_map(&name, &data_key, content, labels, object.labels.clone())?
            }
            FileKind::Secret => {
                let secret = Secret {
                    metadata: self.metadata(&name, labels, object.labels.clone()),
                    data: Some(BTreeMap::from([(data_key.clone(), ByteString(content))])),
                    type_: Some("Opaque".to_string()),
                    ..Secret::default()
                };
                self.push(&secret)?;
            }
        }
        Ok(Some((name, data_key)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tmpfs_options() {
        assert_eq!(tmpfs_size("size=64m"), (Some(Bytes(64 << 20)), false));
        assert_eq!(
            tmpfs_size("size=1g,mode=1777"),
            (Some(Bytes(1 << 30)), true)
        );
        assert_eq!(tmpfs_size(""), (None, false));
    }

    #[test]
    fn file_targets() {
        let r = |source: &str, target: Option<&str>| ServiceFileRef {
            source: source.to_string(),
            target: target.map(str::to_string),
            ..ServiceFileRef::default()
        };
        assert_eq!(file_target(&r("conf", None), ""), "/conf");
        assert_eq!(
            file_target(&r("conf", Some("/etc/app.ini")), ""),
            "/etc/app.ini"
        );
        assert_eq!(
            file_target(&r("key", Some("tls/key")), "/run/secrets"),
            "/run/secrets/tls/key"
        );
    }
}
