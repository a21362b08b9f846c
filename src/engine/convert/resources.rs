//! Resources: memory, CPU, processes, ulimits, devices and block I/O. The service keys win over
//! `deploy.resources`, as in compose.

use bollard::models::{
    DeviceMapping, HostConfig, ResourcesBlkioWeightDevice, ResourcesUlimits, ThrottleDevice,
};

use crate::project::model::{BlkioLimit, Service};

/// Fill the resource limits of `host`.
pub(super) fn apply(service: &Service, host: &mut HostConfig) {
    let resources = service.deploy.as_ref().and_then(|d| d.resources.as_ref());
    let limits = resources.and_then(|r| r.limits.as_ref());
    let reservations = resources.and_then(|r| r.reservations.as_ref());
    host.memory = service
        .mem_limit
        .map(|b| b.0)
        .or_else(|| limits.and_then(|l| l.memory).map(|b| b.0));
    host.memory_reservation = service
        .mem_reservation
        .map(|b| b.0)
        .or_else(|| reservations.and_then(|r| r.memory).map(|b| b.0));
    host.memory_swap = service.memswap_limit.map(|b| b.0);
    host.memory_swappiness = service.mem_swappiness;
    let cpus = service.cpus.or_else(|| limits.and_then(|l| l.cpus));
    host.nano_cpus = cpus.map(|c| (c * 1e9).round() as i64);
    host.cpu_shares = service.cpu_shares;
    host.cpu_period = service.cpu_period;
    host.cpu_quota = service.cpu_quota;
    host.cpu_realtime_period = service.cpu_rt_period;
    host.cpu_realtime_runtime = service.cpu_rt_runtime;
    host.cpuset_cpus = service.cpuset.clone();
    host.cpu_count = service.cpu_count;
    host.cpu_percent = service.cpu_percent.map(|p| p as i64);
    host.pids_limit = service.pids_limit.or_else(|| limits.and_then(|l| l.pids));
    let ulimits: Vec<ResourcesUlimits> = service
        .ulimits
        .iter()
        .map(|(k, u)| ResourcesUlimits {
            name: Some(k.clone()),
            soft: Some(u.soft),
            hard: Some(u.hard),
        })
        .collect();
    host.ulimits = (!ulimits.is_empty()).then_some(ulimits);
    host.shm_size = service.shm_size.map(|b| b.0);
    host.oom_kill_disable = service.oom_kill_disable.then_some(true);
    host.oom_score_adj = service.oom_score_adj;
    host.cgroup_parent = service.cgroup_parent.clone();
    host.storage_opt = (!service.storage_opt.is_empty()).then(|| {
        service
            .storage_opt
            .iter()
            .map(|(a, b)| (a.clone(), b.clone()))
            .collect()
    });
    let devices: Vec<DeviceMapping> = service
        .devices
        .iter()
        .map(|d| DeviceMapping {
            path_on_host: Some(d.source.clone()),
            path_in_container: Some(d.target.clone()),
            cgroup_permissions: Some(if d.permissions.is_empty() {
                "rwm".to_string()
            } else {
                d.permissions.clone()
            }),
        })
        .collect();
    host.devices = (!devices.is_empty()).then_some(devices);
    host.device_cgroup_rules =
        (!service.device_cgroup_rules.is_empty()).then(|| service.device_cgroup_rules.clone());
    block_io(service, host);
}

/// `blkio_config`: the weight and the per-device weights and rate limits.
fn block_io(service: &Service, host: &mut HostConfig) {
    let Some(blkio) = &service.blkio_config else {
        return;
    };
    let throttle = |limits: &[BlkioLimit]| {
        (!limits.is_empty()).then(|| {
            limits
                .iter()
                .map(|l| ThrottleDevice {
                    path: Some(l.path.clone()),
                    rate: Some(l.rate.0),
                })
                .collect()
        })
    };
    host.blkio_weight = blkio.weight;
    host.blkio_weight_device = (!blkio.weight_device.is_empty()).then(|| {
        blkio
            .weight_device
            .iter()
            .map(|w| ResourcesBlkioWeightDevice {
                path: Some(w.path.clone()),
                weight: Some(usize::from(w.weight)),
            })
            .collect()
    });
    host.blkio_device_read_bps = throttle(&blkio.device_read_bps);
    host.blkio_device_read_iops = throttle(&blkio.device_read_iops);
    host.blkio_device_write_bps = throttle(&blkio.device_write_bps);
    host.blkio_device_write_iops = throttle(&blkio.device_write_iops);
}
