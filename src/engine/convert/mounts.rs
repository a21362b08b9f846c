//! `volumes`, `tmpfs`, `volumes_from`, `secrets` and `configs`: what is mounted into the
//! container, and the secret and config files written into it before it starts.

use std::collections::HashMap;

use bollard::models::{
    ContainerCreateBody, HostConfig, Mount, MountTmpfsOptions, MountType as EngineMountType,
    MountVolumeOptions,
};

use super::networks::first_container;
use super::{INJECTED_MODE, InjectedFile, InjectedSource, ProjectContext, Target};
use crate::error::{Error, Result};
use crate::project::model::{MountType, Project, Service};

/// Fill the binds, mounts, tmpfs and `volumes_from` of `host`; return the files to inject.
pub(super) fn apply(
    target: &Target<'_>,
    context: &ProjectContext,
    host: &mut HostConfig,
) -> Result<Vec<InjectedFile>> {
    let Target {
        project,
        name,
        service,
    } = *target;
    // Volumes: binds as `Binds` (the engine creates missing host directories, as compose does
    // for the short syntax), named/anonymous volumes and tmpfs as mounts.
    let mut binds: Vec<String> = Vec::new();
    let mut mounts: Vec<Mount> = Vec::new();
    for volume in &service.volumes {
        match volume.type_ {
            MountType::Bind => {
                let source = volume.source.clone().unwrap_or_default();
                let mut options: Vec<String> = Vec::new();
                if volume.read_only {
                    options.push("ro".to_string());
                }
                if let Some(bind) = &volume.bind {
                    if let Some(p) = &bind.propagation {
                        options.push(p.clone());
                    }
                    if let Some(s) = &bind.selinux {
                        options.push(s.clone());
                    }
                }
                let mut spec = format!("{source}:{}", volume.target);
                if !options.is_empty() {
                    spec.push(':');
                    spec.push_str(&options.join(","));
                }
                binds.push(spec);
            }
            MountType::Volume => {
                let source = volume
                    .source
                    .as_ref()
                    .map(|key| match project.volumes.get(key) {
                        Some(v) => v.engine_name(&project.name, key),
                        None => key.clone(),
                    });
                let options = volume.volume.as_ref().map(|v| MountVolumeOptions {
                    no_copy: v.nocopy.then_some(true),
                    labels: (!v.labels.is_empty()).then(|| {
                        v.labels
                            .iter()
                            .map(|(a, b)| (a.clone(), b.clone()))
                            .collect()
                    }),
                    ..Default::default()
                });
                // SELinux relabeling exists only in the bind form (`name:/target:Z`), which
                // is what docker compose sends for a relabeled named volume.
                let relabel = volume.bind.as_ref().and_then(|b| b.selinux.clone());
                if let (Some(label), Some(source)) = (relabel, &source) {
                    let mode = if volume.read_only { "ro" } else { "rw" };
                    binds.push(format!("{source}:{}:{mode},{label}", volume.target));
                    continue;
                }
                mounts.push(Mount {
                    target: Some(volume.target.clone()),
                    source,
                    typ: Some(EngineMountType::VOLUME),
                    read_only: volume.read_only.then_some(true),
                    volume_options: options,
                    ..Default::default()
                });
            }
            MountType::Tmpfs => {
                let options = volume.tmpfs.as_ref().map(|t| MountTmpfsOptions {
                    size_bytes: t.size.map(|s| s.0),
                    mode: t.mode.map(i64::from),
                    ..Default::default()
                });
                mounts.push(Mount {
                    target: Some(volume.target.clone()),
                    typ: Some(EngineMountType::TMPFS),
                    read_only: volume.read_only.then_some(true),
                    tmpfs_options: options,
                    ..Default::default()
                });
            }
            other => {
                return Err(Error::new(format!(
                    "service \"{name}\": volumes of type {other:?} are not supported by this engine"
                )));
            }
        }
    }

    let files = secret_and_config_files(project, context, name, service, &mut mounts)?;
    let tmpfs: HashMap<String, String> = service
        .tmpfs
        .iter()
        .map(|entry| match entry.split_once(':') {
            Some((path, options)) => (path.to_string(), options.to_string()),
            None => (entry.clone(), String::new()),
        })
        .collect();

    host.binds = (!binds.is_empty()).then_some(binds);
    host.mounts = (!mounts.is_empty()).then_some(mounts);
    host.tmpfs = (!tmpfs.is_empty()).then_some(tmpfs);
    host.volumes_from = volumes_from(project, service);
    Ok(files)
}

/// `volumes_from`: `service[:mode]` as the service's first container, `container:name[:mode]`
/// as the container.
fn volumes_from(project: &Project, service: &Service) -> Option<Vec<String>> {
    (!service.volumes_from.is_empty()).then(|| {
        service
            .volumes_from
            .iter()
            .map(|v| match v.strip_prefix("container:") {
                Some(rest) => rest.to_string(),
                None => {
                    let (svc, mode) = v.split_once(':').unwrap_or((v.as_str(), ""));
                    let target = first_container(project, svc);
                    if mode.is_empty() {
                        target
                    } else {
                        format!("{target}:{mode}")
                    }
                }
            })
            .collect()
    })
}

/// Secrets and configs of a service: read-only bind mounts of their files (added to
/// `mounts`), and the files to write into the container for the others.
fn secret_and_config_files(
    project: &Project,
    context: &ProjectContext,
    name: &str,
    service: &Service,
    mounts: &mut Vec<Mount>,
) -> Result<Vec<InjectedFile>> {
    let mut files = Vec::new();
    let kinds = [
        (
            "secret",
            &service.secrets,
            &project.secrets,
            "/run/secrets/",
        ),
        ("config", &service.configs, &project.configs, "/"),
    ];
    for (kind, refs, declared, base) in kinds {
        for r in refs {
            let what = format!("{kind} \"{}\"", r.source);
            let fail =
                |message: String| Error::new(format!("service \"{name}\": {what}: {message}"));
            let object = declared
                .get(&r.source)
                .ok_or_else(|| fail("not declared at the top level".to_string()))?;
            let target = match r.target.as_deref() {
                Some(t) if t.starts_with('/') => t.to_string(),
                Some(t) => format!("{base}{t}"),
                None => format!("{base}{}", r.source),
            };
            let id = |value: &Option<String>, key: &str| -> Result<Option<u32>> {
                value
                    .as_deref()
                    .map(|v| {
                        v.trim().parse::<u32>().map_err(|_| {
                            fail(format!("{key} \"{v}\" is not a numeric ID"))
                                .with_hint(format!("give the {key} as a number, such as 1000"))
                        })
                    })
                    .transpose()
            };
            let uid = id(&r.uid, "uid")?;
            let gid = id(&r.gid, "gid")?;
            let mode = r.mode.map(|m| m.0);
            let source = if object.external {
                return Err(fail(
                    "external secrets and configs exist only in Docker Swarm".to_string(),
                )
                .with_hint("use `file:` or `environment:` to run without Swarm"));
            } else if let Some(variable) = &object.environment {
                let included = context
                    .included_values
                    .get(&format!("{kind}s.{}", r.source));
                let value = included.or_else(|| context.environment.get(variable)).ok_or_else(|| {
                    fail(format!(
                        "takes its content from the environment variable {variable}, which is not set"
                    ))
                    .with_hint(format!("set {variable} in the environment or in the .env file"))
                })?;
                InjectedSource::Content(value.clone())
            } else if let Some(content) = &object.content {
                InjectedSource::Content(content.clone())
            } else if let Some(file) = &object.file {
                if uid.is_none() && gid.is_none() && mode.is_none() {
                    mounts.push(Mount {
                        target: Some(target),
                        source: Some(file.clone()),
                        typ: Some(EngineMountType::BIND),
                        read_only: Some(true),
                        ..Default::default()
                    });
                    continue;
                }
                InjectedSource::File(file.clone())
            } else {
                return Err(fail(
                    "has no source: give it `file:`, `environment:` or `content:`".to_string(),
                ));
            };
            files.push(InjectedFile {
                what,
                target,
                source,
                mode: mode.unwrap_or(INJECTED_MODE),
                uid: uid.unwrap_or(0),
                gid: gid.unwrap_or(0),
            });
        }
    }
    Ok(files)
}

/// Give a replacement container the anonymous volumes of the container it replaces, as
/// compose does, so that their data survives a recreate. `old_volumes` are the old
/// container's volume mounts (engine volume name, path in the container); `named` are the
/// engine names of the project's named volumes, which are mounted by name anyway. A path the
/// new configuration mounts otherwise (a named volume, a bind, a tmpfs) keeps that mount.
pub fn inherit_anonymous_volumes(
    body: &mut ContainerCreateBody,
    old_volumes: &[(String, String)],
    named: &[String],
) {
    let Some(host) = body.host_config.as_mut() else {
        return;
    };
    let mut taken: Vec<String> = host
        .binds
        .iter()
        .flatten()
        .filter_map(|b| b.split(':').nth(1).map(str::to_string))
        .collect();
    taken.extend(host.tmpfs.iter().flat_map(|t| t.keys().cloned()));
    let mounts = host.mounts.get_or_insert_with(Vec::new);
    for (volume, path) in old_volumes {
        if named.contains(volume) || taken.contains(path) {
            continue;
        }
        let same_path = mounts
            .iter_mut()
            .find(|m| m.target.as_deref() == Some(path.as_str()));
        match same_path {
            // An anonymous volume in the new configuration too: the old one serves.
            Some(m) if m.typ == Some(EngineMountType::VOLUME) && m.source.is_none() => {
                m.source = Some(volume.clone());
            }
            Some(_) => {}
            None => mounts.push(Mount {
                target: Some(path.clone()),
                source: Some(volume.clone()),
                typ: Some(EngineMountType::VOLUME),
                ..Default::default()
            }),
        }
    }
    if mounts.is_empty() {
        host.mounts = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(binds: &[&str], mounts: Vec<Mount>) -> ContainerCreateBody {
        ContainerCreateBody {
            host_config: Some(HostConfig {
                binds: (!binds.is_empty()).then(|| binds.iter().map(|b| b.to_string()).collect()),
                mounts: Some(mounts),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn volume(source: Option<&str>, target: &str) -> Mount {
        Mount {
            target: Some(target.to_string()),
            source: source.map(str::to_string),
            typ: Some(EngineMountType::VOLUME),
            ..Default::default()
        }
    }

    #[test]
    fn a_replacement_keeps_the_anonymous_volumes_only() {
        let mut b = body(
            &["/host:/etc/app:ro"],
            vec![volume(None, "/cache"), volume(Some("p_data"), "/data")],
        );
        let old = [
            ("anon1".to_string(), "/cache".to_string()),
            ("p_data".to_string(), "/data".to_string()),
            ("anon2".to_string(), "/var/lib/image-volume".to_string()),
            ("anon3".to_string(), "/etc/app".to_string()),
        ];
        inherit_anonymous_volumes(&mut b, &old, &["p_data".to_string()]);
        let mounts = b.host_config.and_then(|h| h.mounts).unwrap_or_default();
        let found: Vec<(Option<&str>, Option<&str>)> = mounts
            .iter()
            .map(|m| (m.source.as_deref(), m.target.as_deref()))
            .collect();
        assert_eq!(
            found,
            [
                (Some("anon1"), Some("/cache")),
                (Some("p_data"), Some("/data")),
                (Some("anon2"), Some("/var/lib/image-volume")),
            ]
        );
    }
}
