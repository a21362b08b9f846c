//! Privileges and isolation: capabilities, privileged mode, security options, groups, a
//! read-only root, sysctls, and the namespaces (`pid`, `ipc`, `uts`, `userns_mode`, `cgroup`).

use bollard::models::{HostConfig, HostConfigCgroupnsModeEnum};

use super::{Target, networks::resolve_mode};

/// Fill the privileges and namespaces of `host`.
pub(super) fn apply(target: &Target<'_>, host: &mut HostConfig) {
    let Target {
        project, service, ..
    } = *target;
    let list = |items: &Vec<String>| (!items.is_empty()).then(|| items.clone());
    host.cap_add = list(&service.cap_add);
    host.cap_drop = list(&service.cap_drop);
    host.privileged = service.privileged.then_some(true);
    host.security_opt = list(&service.security_opt);
    host.group_add = list(&service.group_add);
    host.readonly_rootfs = service.read_only.then_some(true);
    host.sysctls = (!service.sysctls.is_empty()).then(|| {
        service
            .sysctls
            .iter()
            .map(|(a, b)| (a.clone(), b.clone()))
            .collect()
    });
    host.pid_mode = service.pid.as_deref().map(|m| resolve_mode(project, m));
    host.ipc_mode = service.ipc.as_deref().map(|m| resolve_mode(project, m));
    host.uts_mode = service.uts.clone();
    host.userns_mode = service.userns_mode.clone();
    host.cgroupns_mode = match service.cgroup.as_deref() {
        Some("host") => Some(HostConfigCgroupnsModeEnum::HOST),
        Some("private") => Some(HostConfigCgroupnsModeEnum::PRIVATE),
        // The schema allows only the two.
        _ => None,
    };
}
