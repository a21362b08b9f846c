//! The event subscription against the real engine: waits end on the engine's own events, for
//! containers that exit, turn healthy, or were already done before the wait began.

mod support;

use std::collections::HashMap;

use bollard::models::{ContainerCreateBody, HealthConfig};
use bollard::query_parameters::CreateContainerOptionsBuilder;
use rcompose::engine::events::{Outcome, Subscription};
use rcompose::engine::{connection, containers, labels, observe};
use support::{TestProject, test_image};

async fn create(
    engine: &connection::Engine,
    project: &TestProject,
    service: &str,
    cmd: &[&str],
    healthcheck: Option<HealthConfig>,
) -> String {
    let name = labels::container_name(&project.name, service, 1);
    let body = ContainerCreateBody {
        image: Some(test_image().to_string()),
        cmd: Some(cmd.iter().map(|s| s.to_string()).collect()),
        healthcheck,
        labels: Some(HashMap::from([
            (labels::PROJECT.to_string(), project.name.clone()),
            (labels::SERVICE.to_string(), service.to_string()),
            (labels::CONTAINER_NUMBER.to_string(), "1".to_string()),
            (labels::ONEOFF.to_string(), "False".to_string()),
        ])),
        ..Default::default()
    };
    let options = CreateContainerOptionsBuilder::default().name(&name).build();
    match engine.docker.create_container(Some(options), body).await {
        Ok(created) => created.id,
        Err(e) => panic!("cannot create {name}: {e}"),
    }
}

#[tokio::test]
async fn waits_follow_engine_events() {
    let project = TestProject::new("events");
    let engine = match connection::connect().await {
        Ok(engine) => engine,
        Err(e) => panic!("{e}"),
    };
    let fails = create(&engine, &project, "fails", &["sh", "-c", "exit 3"], None).await;
    let healthy = create(
        &engine,
        &project,
        "healthy",
        &["sh", "-c", "touch /tmp/ready; exec sleep 60"],
        Some(HealthConfig {
            test: Some(vec![
                "CMD".into(),
                "test".into(),
                "-f".into(),
                "/tmp/ready".into(),
            ]),
            interval: Some(200_000_000),
            timeout: Some(1_000_000_000),
            retries: Some(3),
            ..Default::default()
        }),
    )
    .await;

    let events = Subscription::start(&engine.docker, &project.name);
    for (id, name) in [(&fails, "fails"), (&healthy, "healthy")] {
        if let Err(e) = containers::start(&engine.docker, id, name).await {
            panic!("{e}");
        }
    }
    let completed = events.wait_completed(&fails, None).await.ok();
    assert_eq!(completed, Some(Outcome::Exited(3)));
    let health = events.wait_healthy(&healthy, None).await.ok();
    assert_eq!(health, Some(Outcome::Healthy));
    // Already decided before the wait: answered by the confirming inspect.
    let again = events.wait_completed(&fails, None).await.ok();
    assert_eq!(again, Some(Outcome::Exited(3)));
    let running = events.wait_running(&healthy, None).await.ok();
    assert_eq!(running, Some(Outcome::Running));

    let observed = match observe::project_containers(&engine.docker, &project.name).await {
        Ok(list) => list,
        Err(e) => panic!("{e}"),
    };
    let states: Vec<(String, String)> = observed
        .iter()
        .map(|c| (c.service.clone(), c.state_text()))
        .collect();
    assert_eq!(
        states,
        [
            ("fails".to_string(), "exited (3)".to_string()),
            ("healthy".to_string(), "running (healthy)".to_string()),
        ]
    );
}
