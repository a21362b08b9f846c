//! The engine floor of the benchmark (`bench/run.py`): the same networks, volumes and containers
//! as a generated stack, made straight through the Engine API with nothing around it — every
//! create in parallel, each container started as soon as its own dependencies allow (engine
//! events decide `service_healthy`), and for `down` each container stopped once its dependents
//! are stopped, then everything removed. It reads the stack from the JSON file `run.py` writes;
//! it does not use rcompose's code, so it measures the engine, not rcompose.
//!
//!     floor up STACK.json       create and start; returns when every container has started
//!     floor stop STACK.json     stop the containers (each once its dependents are stopped)
//!     floor down STACK.json     stop and remove containers, the networks and the volumes
//!     floor latency IMAGE N SUBNET
//!                               start N already created containers one at a time (on a new
//!                               network with that subnet); prints one JSON line per start:
//!                               the request time (Unix ns) and the engine's StartedAt

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use bollard::Docker;
use bollard::models::{
    ContainerCreateBody, EndpointSettings, HealthConfig, HostConfig, Ipam, IpamConfig, Mount,
    MountType, NetworkCreateRequest, NetworkingConfig, VolumeCreateRequest,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, EventsOptionsBuilder, RemoveContainerOptionsBuilder,
    RemoveVolumeOptionsBuilder,
};
use futures_util::StreamExt;
use futures_util::future::{join_all, try_join_all};
use serde::Deserialize;
use tokio::sync::watch;

type Failure = Box<dyn std::error::Error + Send + Sync>;
type Outcome<T> = Result<T, Failure>;

#[derive(Deserialize)]
struct Stack {
    project: String,
    image: String,
    networks: Vec<Network>,
    volumes: Vec<String>,
    services: Vec<Service>,
}

#[derive(Deserialize)]
struct Network {
    name: String,
    /// The harness gives every network its own subnet.
    subnet: String,
}

#[derive(Deserialize)]
struct Service {
    name: String,
    /// The network it joins.
    network: String,
    container: String,
    command: Vec<String>,
    environment: Vec<String>,
    labels: HashMap<String, String>,
    /// (volume name, target path)
    mounts: Vec<(String, String)>,
    healthcheck: Option<Healthcheck>,
    depends_on: Vec<Dependency>,
}

#[derive(Deserialize)]
struct Healthcheck {
    test: Vec<String>,
    interval_ns: i64,
    timeout_ns: i64,
    retries: i64,
}

#[derive(Deserialize)]
struct Dependency {
    service: String,
    /// `service_started` or `service_healthy`.
    condition: String,
}

/// How far a container has come, as its dependents need to know.
#[derive(Clone, Copy, Default)]
struct Progress {
    started: bool,
    healthy: bool,
    failed: bool,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let result = runtime.block_on(async {
        let docker = Docker::connect_with_unix_defaults()?
            .negotiate_version()
            .await?;
        match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
            ["up", file] => up(&docker, &read_stack(file)?).await,
            ["stop", file] => stop(&docker, &read_stack(file)?, false).await,
            ["down", file] => down(&docker, &read_stack(file)?).await,
            ["latency", image, n, subnet] => latency(&docker, image, n.parse()?, subnet).await,
            _ => Err("usage: floor up|stop|down STACK.json | floor latency IMAGE N SUBNET".into()),
        }
    });
    if let Err(e) = result {
        eprintln!("floor: {e}");
        std::process::exit(1);
    }
}

fn read_stack(path: &str) -> Outcome<Stack> {
    let text = std::fs::read_to_string(path)?;
    Ok(serde_json::from_str(&text)?)
}

fn unix_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

fn project_labels(project: &str) -> HashMap<String, String> {
    HashMap::from([(
        "com.docker.compose.project".to_string(),
        project.to_string(),
    )])
}

async fn up(docker: &Docker, stack: &Stack) -> Outcome<()> {
    // One watch per service; the event task and the start calls feed them.
    let mut senders = HashMap::new();
    let mut receivers = HashMap::new();
    for s in &stack.services {
        let (tx, rx) = watch::channel(Progress::default());
        senders.insert(s.name.clone(), tx);
        receivers.insert(s.name.clone(), rx);
    }
    let senders = Arc::new(senders);
    let by_id: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    let events = listen(docker, &stack.project, senders.clone(), by_id.clone());

    let networks = try_join_all(
        stack
            .networks
            .iter()
            .map(|n| docker.create_network(network_request(&stack.project, n))),
    );
    let volumes = try_join_all(stack.volumes.iter().map(|name| {
        docker.create_volume(VolumeCreateRequest {
            name: Some(name.clone()),
            labels: Some(project_labels(&stack.project)),
            ..Default::default()
        })
    }));
    let (networks, volumes) = tokio::join!(networks, volumes);
    networks?;
    volumes?;

    let services = stack.services.iter().map(|s| {
        let receivers = &receivers;
        let senders = &senders;
        let by_id = &by_id;
        async move {
            let options = CreateContainerOptionsBuilder::default()
                .name(&s.container)
                .build();
            let id = docker
                .create_container(Some(options), body(stack, s))
                .await?
                .id;
            if let Ok(mut map) = by_id.lock() {
                map.insert(id.clone(), s.name.clone());
            }
            for dep in &s.depends_on {
                let mut rx = receivers[&dep.service].clone();
                let healthy = dep.condition == "service_healthy";
                let state = rx
                    .wait_for(|p| p.failed || if healthy { p.healthy } else { p.started })
                    .await?;
                if state.failed {
                    return Err(format!("{} failed, needed by {}", dep.service, s.name).into());
                }
            }
            docker.start_container(&id, None).await?;
            senders[&s.name].send_modify(|p| p.started = true);
            Ok::<(), Failure>(())
        }
    });
    let result = try_join_all(services).await.map(|_| ());
    events.abort();
    result
}

/// Follow the project's container events: health and exits update the services' progress.
fn listen(
    docker: &Docker,
    project: &str,
    senders: Arc<HashMap<String, watch::Sender<Progress>>>,
    by_id: Arc<Mutex<HashMap<String, String>>>,
) -> tokio::task::JoinHandle<()> {
    let since = unix_nanos();
    let since = format!("{}.{:09}", since / 1_000_000_000, since % 1_000_000_000);
    let filters = HashMap::from([
        ("type".to_string(), vec!["container".to_string()]),
        (
            "label".to_string(),
            vec![format!("com.docker.compose.project={project}")],
        ),
    ]);
    let options = EventsOptionsBuilder::default()
        .since(&since)
        .filters(&filters)
        .build();
    let mut stream = docker.events(Some(options));
    tokio::spawn(async move {
        while let Some(Ok(event)) = stream.next().await {
            let (Some(action), Some(id)) = (event.action, event.actor.and_then(|a| a.id)) else {
                continue;
            };
            let service = by_id.lock().ok().and_then(|m| m.get(&id).cloned());
            let Some(sender) = service.and_then(|s| senders.get(&s)) else {
                continue;
            };
            match action.as_str() {
                "health_status: healthy" => sender.send_modify(|p| p.healthy = true),
                "health_status: unhealthy" | "die" => sender.send_modify(|p| p.failed = true),
                _ => {}
            }
        }
    })
}

fn network_request(project: &str, network: &Network) -> NetworkCreateRequest {
    NetworkCreateRequest {
        name: network.name.clone(),
        labels: Some(project_labels(project)),
        ipam: Some(Ipam {
            config: Some(vec![IpamConfig {
                subnet: Some(network.subnet.clone()),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn body(stack: &Stack, s: &Service) -> ContainerCreateBody {
    let mut labels = s.labels.clone();
    labels.extend(project_labels(&stack.project));
    ContainerCreateBody {
        image: Some(stack.image.clone()),
        cmd: Some(s.command.clone()),
        env: Some(s.environment.clone()),
        labels: Some(labels),
        healthcheck: s.healthcheck.as_ref().map(|h| HealthConfig {
            test: Some(h.test.clone()),
            interval: Some(h.interval_ns),
            timeout: Some(h.timeout_ns),
            retries: Some(h.retries),
            ..Default::default()
        }),
        host_config: Some(HostConfig {
            network_mode: Some(s.network.clone()),
            mounts: Some(
                s.mounts
                    .iter()
                    .map(|(source, target)| Mount {
                        source: Some(source.clone()),
                        target: Some(target.clone()),
                        typ: Some(MountType::VOLUME),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        }),
        networking_config: Some(NetworkingConfig {
            endpoints_config: Some(HashMap::from([(
                s.network.clone(),
                EndpointSettings {
                    aliases: Some(vec![s.name.clone()]),
                    ..Default::default()
                },
            )])),
        }),
        ..Default::default()
    }
}

async fn down(docker: &Docker, stack: &Stack) -> Outcome<()> {
    stop(docker, stack, true).await?;
    let networks = try_join_all(
        stack
            .networks
            .iter()
            .map(|n| remove_network(docker, &n.name)),
    );
    let volumes = try_join_all(stack.volumes.iter().map(|name| {
        let options = RemoveVolumeOptionsBuilder::default().build();
        docker.remove_volume(name, Some(options))
    }));
    let (networks, volumes) = tokio::join!(networks, volumes);
    networks?;
    volumes?;
    Ok(())
}

/// Stop every container once every container depending on it has stopped; with `remove`,
/// remove each one as soon as it is stopped. A container already stopped is left as it is.
async fn stop(docker: &Docker, stack: &Stack, remove: bool) -> Outcome<()> {
    let mut stopped_tx = HashMap::new();
    let mut stopped_rx = HashMap::new();
    for s in &stack.services {
        let (tx, rx) = watch::channel(false);
        stopped_tx.insert(s.name.clone(), tx);
        stopped_rx.insert(s.name.clone(), rx);
    }
    let mut dependents: HashMap<&str, Vec<&str>> = HashMap::new();
    for s in &stack.services {
        for dep in &s.depends_on {
            dependents
                .entry(dep.service.as_str())
                .or_default()
                .push(s.name.as_str());
        }
    }
    let services = stack.services.iter().map(|s| {
        let stopped_tx = &stopped_tx;
        let stopped_rx = &stopped_rx;
        let dependents = &dependents;
        async move {
            for d in dependents.get(s.name.as_str()).into_iter().flatten() {
                stopped_rx[*d].clone().wait_for(|done| *done).await?;
            }
            // Already stopped (a `down` after a `stop`): the engine answers 304, which
            // bollard counts as success.
            docker.stop_container(&s.container, None).await?;
            stopped_tx[&s.name].send_replace(true);
            if remove {
                let options = RemoveContainerOptionsBuilder::default().v(true).build();
                docker.remove_container(&s.container, Some(options)).await?;
            }
            Ok::<(), Failure>(())
        }
    });
    try_join_all(services).await?;
    Ok(())
}

/// Remove a network. Right after its last container is removed the engine may still count an
/// endpoint for a moment ("has active endpoints"): ask again then.
async fn remove_network(docker: &Docker, name: &str) -> Outcome<()> {
    let mut tries = 0;
    loop {
        match docker.remove_network(name).await {
            Err(e) if tries < 50 && e.to_string().contains("active endpoints") => {
                tries += 1;
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            other => return Ok(other?),
        }
    }
}

/// The engine's own start latency: the time from asking to start an already created container
/// to the `StartedAt` the engine records, one container at a time on a fresh network.
async fn latency(docker: &Docker, image: &str, n: usize, subnet: &str) -> Outcome<()> {
    let project = format!("rcb-latency-{}", std::process::id());
    let network = Network {
        name: format!("{project}_default"),
        subnet: subnet.to_string(),
    };
    let stack = Stack {
        project: project.clone(),
        image: image.to_string(),
        networks: Vec::new(),
        volumes: Vec::new(),
        services: Vec::new(),
    };
    docker
        .create_network(network_request(&project, &network))
        .await?;
    let mut ids = Vec::new();
    let mut result = Ok(());
    for i in 0..n {
        let service = Service {
            name: format!("probe{i}"),
            network: network.name.clone(),
            container: format!("{project}-probe{i}-1"),
            command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
                .map(String::from)
                .to_vec(),
            environment: Vec::new(),
            labels: HashMap::new(),
            mounts: Vec::new(),
            healthcheck: None,
            depends_on: Vec::new(),
        };
        let options = CreateContainerOptionsBuilder::default()
            .name(&service.container)
            .build();
        let id = match docker
            .create_container(Some(options), body(&stack, &service))
            .await
        {
            Ok(created) => created.id,
            Err(e) => {
                result = Err(e.into());
                break;
            }
        };
        ids.push(id.clone());
        let requested = unix_nanos();
        if let Err(e) = docker.start_container(&id, None).await {
            result = Err(e.into());
            break;
        }
        let started_at = docker
            .inspect_container(&id, None)
            .await?
            .state
            .and_then(|s| s.started_at)
            .unwrap_or_default();
        println!("{{\"requested_ns\": {requested}, \"started_at\": \"{started_at}\"}}");
    }
    let options = RemoveContainerOptionsBuilder::default()
        .force(true)
        .v(true)
        .build();
    join_all(
        ids.iter()
            .map(|id| docker.remove_container(id, Some(options.clone()))),
    )
    .await;
    remove_network(docker, &network.name).await?;
    result
}
