//! `volumes` of a service as swarm mounts.

use super::*;

impl ServiceConverter<'_> {
    pub(super) fn mounts(&mut self, volumes: &[ServiceVolume]) -> Vec<Mount> {
        let stack = self.opts.stack.clone();
        let mut mounts = Vec::new();
        for volume in volumes {
            let typ = match volume.type_ {
                ComposeMount::Volume => MountType::VOLUME,
                ComposeMount::Bind => MountType::BIND,
                ComposeMount::Tmpfs => MountType::TMPFS,
                ComposeMount::Npipe => MountType::NPIPE,
                ComposeMount::Cluster | ComposeMount::Image => {
                    self.warn(
                        "volumes",
                        format!(
                            "mounts of type {} are not supported by swarm up; {} is not mounted",
                            volume.type_, volume.target
                        ),
                    );
                    continue;
                }
            };
            let mut mount = Mount {
                target: Some(volume.target.clone()),
                typ: Some(typ),
                read_only: volume.read_only.then_some(true),
                consistency: volume.consistency.clone(),
                ..Mount::default()
            };
            match volume.type_ {
                ComposeMount::Volume => {
                    let options = volume.volume.as_ref();
                    let nocopy = options.is_some_and(|o| o.nocopy);
                    if options.is_some_and(|o| o.subpath.is_some()) {
                        self.needs_api("volumes.volume.subpath", true, ApiVersion(1, 45));
                    }
                    let subpath = if self.opts.api_version >= ApiVersion(1, 45) {
                        options.and_then(|o| o.subpath.clone())
                    } else {
                        None
                    };
                    match volume.source.as_deref() {
                        Some(source) => {
                            let declared = self.project.volumes.get(source);
                            let external = declared.is_some_and(|v| v.external);
                            let name = match declared {
                                Some(v) => v.engine_name(&stack, source),
                                None => labels::volume_name(&stack, source),
                            };
                            mount.source = Some(name);
                            let mut volume_labels =
                                declared.map(|v| v.labels.clone()).unwrap_or_default();
                            if let Some(o) = options {
                                volume_labels.extend(o.labels.clone());
                            }
                            let driver_config = declared
                                .filter(|v| v.driver.is_some() || !v.driver_opts.is_empty())
                                .map(|v| MountVolumeOptionsDriverConfig {
                                    name: v.driver.clone(),
                                    options: (!v.driver_opts.is_empty()).then(|| {
                                        v.driver_opts
                                            .iter()
                                            .map(|(k, v)| (k.clone(), v.clone()))
                                            .collect()
                                    }),
                                });
                            mount.volume_options = Some(MountVolumeOptions {
                                no_copy: nocopy.then_some(true),
                                labels: (!external)
                                    .then(|| with_stack_label(&stack, &volume_labels)),
                                driver_config: if external { None } else { driver_config },
                                subpath,
                            });
                        }
                        None => {
                            if nocopy || subpath.is_some() {
                                mount.volume_options = Some(MountVolumeOptions {
                                    no_copy: nocopy.then_some(true),
                                    subpath,
                                    ..MountVolumeOptions::default()
                                });
                            }
                        }
                    }
                }
                ComposeMount::Bind | ComposeMount::Npipe => {
                    mount.source = volume.source.clone();
                    if let Some(bind) = &volume.bind {
                        if bind.selinux.is_some() {
                            self.warn(
                                "volumes.bind.selinux",
                                "SELinux relabeling (z, Z) is not supported by swarm mounts; \
                                 ignored",
                            );
                        }
                        if bind.recursive.is_some() {
                            self.warn(
                                "volumes.bind.recursive",
                                "not supported by swarm up; ignored",
                            );
                        }
                        let propagation = bind.propagation.as_deref().and_then(|p| {
                            let parsed = p.parse().ok();
                            if parsed.is_none() {
                                self.warn(
                                    "volumes.bind.propagation",
                                    format!("unknown propagation {p:?}; ignored"),
                                );
                            }
                            parsed
                        });
                        if propagation.is_some() {
                            mount.bind_options = Some(MountBindOptions {
                                propagation,
                                ..MountBindOptions::default()
                            });
                        }
                    }
                }
                ComposeMount::Tmpfs => {
                    if let Some(tmpfs) = &volume.tmpfs {
                        mount.tmpfs_options = Some(MountTmpfsOptions {
                            size_bytes: tmpfs.size.map(|s| s.0),
                            mode: tmpfs.mode.map(i64::from),
                            options: None,
                        });
                    }
                }
                ComposeMount::Cluster | ComposeMount::Image => {}
            }
            mounts.push(mount);
        }
        mounts
    }
}
