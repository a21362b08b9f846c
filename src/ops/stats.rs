//! `stats`: CPU, memory, network, block I/O and process counts of the project's running
//! containers, computed from the engine's samples the way `docker stats` does.

use bollard::Docker;
use bollard::models::ContainerStatsResponse;
use bollard::query_parameters::StatsOptions;
use futures_util::StreamExt;
use futures_util::future::join_all;
use serde_json::json;

use crate::engine::errors::message_of;
use crate::engine::observe::ObservedContainer;
use crate::error::{Error, Result};
use crate::ops::images::human_size;

/// One container's figures.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub id: String,
    pub name: String,
    pub cpu_percent: f64,
    pub memory: u64,
    pub memory_limit: u64,
    pub memory_percent: f64,
    pub net_rx: u64,
    pub net_tx: u64,
    pub block_read: u64,
    pub block_write: u64,
    pub pids: u64,
}

/// The figures of one engine answer (pure).
pub fn sample(id: &str, name: &str, stats: &ContainerStatsResponse) -> Sample {
    let total = |c: &Option<bollard::models::ContainerCpuStats>| {
        c.as_ref()
            .and_then(|c| c.cpu_usage.as_ref())
            .and_then(|u| u.total_usage)
            .unwrap_or(0)
    };
    let system = |c: &Option<bollard::models::ContainerCpuStats>| {
        c.as_ref().and_then(|c| c.system_cpu_usage).unwrap_or(0)
    };
    let cpu_delta = total(&stats.cpu_stats).saturating_sub(total(&stats.precpu_stats));
    let system_delta = system(&stats.cpu_stats).saturating_sub(system(&stats.precpu_stats));
    let cpus = stats
        .cpu_stats
        .as_ref()
        .and_then(|c| {
            c.online_cpus.map(u64::from).or_else(|| {
                c.cpu_usage
                    .as_ref()
                    .and_then(|u| u.percpu_usage.as_ref())
                    .map(|p| p.len() as u64)
            })
        })
        .unwrap_or(1);
    let cpu_percent = if cpu_delta > 0 && system_delta > 0 {
        cpu_delta as f64 / system_delta as f64 * cpus as f64 * 100.0
    } else {
        0.0
    };

    let memory_stats = stats.memory_stats.as_ref();
    let usage = memory_stats.and_then(|m| m.usage).unwrap_or(0);
    // The page cache is not the container's own memory: cgroup v1 and v2 name it differently.
    let cache = memory_stats
        .and_then(|m| m.stats.as_ref())
        .and_then(|s| {
            s.get("total_inactive_file")
                .or_else(|| s.get("inactive_file"))
                .copied()
        })
        .unwrap_or(0);
    let memory = if cache < usage { usage - cache } else { usage };
    let memory_limit = memory_stats.and_then(|m| m.limit).unwrap_or(0);
    let memory_percent = if memory_limit > 0 {
        memory as f64 / memory_limit as f64 * 100.0
    } else {
        0.0
    };

    let (net_rx, net_tx) = stats
        .networks
        .iter()
        .flat_map(|n| n.values())
        .fold((0, 0), |(rx, tx), n| {
            (rx + n.rx_bytes.unwrap_or(0), tx + n.tx_bytes.unwrap_or(0))
        });
    let (block_read, block_write) = stats
        .blkio_stats
        .as_ref()
        .and_then(|b| b.io_service_bytes_recursive.as_ref())
        .into_iter()
        .flatten()
        .fold((0, 0), |(r, w), e| {
            let value = e.value.unwrap_or(0);
            match e.op.as_deref().map(str::to_ascii_lowercase).as_deref() {
                Some("read") => (r + value, w),
                Some("write") => (r, w + value),
                _ => (r, w),
            }
        });
    Sample {
        id: id.to_string(),
        name: name.to_string(),
        cpu_percent,
        memory,
        memory_limit,
        memory_percent,
        net_rx,
        net_tx,
        block_read,
        block_write,
        pids: stats
            .pids_stats
            .as_ref()
            .and_then(|p| p.current)
            .unwrap_or(0),
    }
}

/// Memory as docker prints it: binary units (`12.5MiB`).
pub fn binary_size(bytes: u64) -> String {
    const UNITS: &[&str] = &["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes}B")
    } else {
        format!("{value:.2}{}", UNITS[unit])
    }
}

fn decimal(bytes: u64) -> String {
    human_size(i64::try_from(bytes).unwrap_or(i64::MAX))
}

/// One sample of every running container of `containers`.
pub async fn collect(docker: &Docker, containers: &[ObservedContainer]) -> Result<Vec<Sample>> {
    collect_all(docker, containers, false).await
}

/// [`collect`]; with `all`, containers that do not run come too, with zero figures (`stats
/// --all`), in the order given.
pub async fn collect_all(
    docker: &Docker,
    containers: &[ObservedContainer],
    all: bool,
) -> Result<Vec<Sample>> {
    let mut out = collect_running(docker, containers).await?;
    if all {
        for c in containers.iter().filter(|c| !c.state.is_up()) {
            out.push(Sample {
                id: c.id.clone(),
                name: c.name.clone(),
                cpu_percent: 0.0,
                memory: 0,
                memory_limit: 0,
                memory_percent: 0.0,
                net_rx: 0,
                net_tx: 0,
                block_read: 0,
                block_write: 0,
                pids: 0,
            });
        }
    }
    Ok(out)
}

async fn collect_running(docker: &Docker, containers: &[ObservedContainer]) -> Result<Vec<Sample>> {
    let running: Vec<&ObservedContainer> = containers.iter().filter(|c| c.state.is_up()).collect();
    let samples = join_all(running.iter().map(|c| async move {
        let options = StatsOptions {
            stream: false,
            one_shot: false,
        };
        let mut stream = docker.stats(&c.id, Some(options));
        match stream.next().await {
            Some(Ok(stats)) => Ok(Some(sample(&c.id, &c.name, &stats))),
            Some(Err(e)) => Err(Error::new(format!(
                "cannot read the stats of {}: {}",
                c.name,
                message_of(&e)
            ))),
            None => Ok(None),
        }
    }))
    .await;
    let mut out = Vec::new();
    for s in samples {
        if let Some(s) = s? {
            out.push(s);
        }
    }
    Ok(out)
}

/// The `docker stats` table.
pub fn table(samples: &[Sample], no_trunc: bool) -> String {
    let mut rows = vec![
        [
            "CONTAINER ID",
            "NAME",
            "CPU %",
            "MEM USAGE / LIMIT",
            "MEM %",
            "NET I/O",
            "BLOCK I/O",
            "PIDS",
        ]
        .map(str::to_string)
        .to_vec(),
    ];
    for s in samples {
        let id = if no_trunc {
            s.id.clone()
        } else {
            s.id.chars().take(12).collect()
        };
        rows.push(vec![
            id,
            s.name.clone(),
            format!("{:.2}%", s.cpu_percent),
            format!(
                "{} / {}",
                binary_size(s.memory),
                binary_size(s.memory_limit)
            ),
            format!("{:.2}%", s.memory_percent),
            format!("{} / {}", decimal(s.net_rx), decimal(s.net_tx)),
            format!("{} / {}", decimal(s.block_read), decimal(s.block_write)),
            s.pids.to_string(),
        ]);
    }
    super::table::render(&rows)
}

/// One JSON object per container, with `docker stats --format json`'s keys.
pub fn json_lines(samples: &[Sample]) -> String {
    samples
        .iter()
        .map(|s| {
            let value = json!({
                "ID": s.id.chars().take(12).collect::<String>(),
                "Name": s.name,
                "CPUPerc": format!("{:.2}%", s.cpu_percent),
                "MemUsage": format!("{} / {}", binary_size(s.memory), binary_size(s.memory_limit)),
                "MemPerc": format!("{:.2}%", s.memory_percent),
                "NetIO": format!("{} / {}", decimal(s.net_rx), decimal(s.net_tx)),
                "BlockIO": format!("{} / {}", decimal(s.block_read), decimal(s.block_write)),
                "PIDs": s.pids.to_string(),
            });
            format!("{value}\n")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::{ContainerCpuStats, ContainerCpuUsage, ContainerMemoryStats};
    use std::collections::HashMap;

    #[test]
    fn figures_follow_docker_stats() {
        let cpu = |total: u64, system: u64| ContainerCpuStats {
            cpu_usage: Some(ContainerCpuUsage {
                total_usage: Some(total),
                ..Default::default()
            }),
            system_cpu_usage: Some(system),
            online_cpus: Some(2),
            ..Default::default()
        };
        let stats = ContainerStatsResponse {
            cpu_stats: Some(cpu(300, 2000)),
            precpu_stats: Some(cpu(100, 1000)),
            memory_stats: Some(ContainerMemoryStats {
                usage: Some(10 * 1024 * 1024),
                limit: Some(100 * 1024 * 1024),
                stats: Some(HashMap::from([("inactive_file".to_string(), 1024 * 1024)])),
                ..Default::default()
            }),
            ..Default::default()
        };
        let s = sample("0123456789abcdef", "p-web-1", &stats);
        assert!((s.cpu_percent - 40.0).abs() < 1e-9);
        assert_eq!(s.memory, 9 * 1024 * 1024);
        assert!((s.memory_percent - 9.0).abs() < 1e-9);
        let table = table(&[s], false);
        assert!(table.contains("0123456789ab   p-web-1   40.00%   9.00MiB / 100.00MiB   9.00%"));
        assert_eq!(binary_size(512), "512B");
    }
}
