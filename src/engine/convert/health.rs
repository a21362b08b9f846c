//! `healthcheck`: the container's health probe.

use bollard::models::HealthConfig;

use crate::engine::ApiVersion;
use crate::error::{Error, Result};
use crate::project::model::Service;

/// The engine's health config; `start_interval` only where the engine knows it (see
/// [`super::warnings`] for the warning otherwise). `start_interval` without `start_period` is
/// an error, as docker compose makes it when it creates the container.
pub(super) fn config(service: &Service, api: ApiVersion) -> Result<Option<HealthConfig>> {
    let Some(h) = service.healthcheck.as_ref() else {
        return Ok(None);
    };
    if h.is_disabled() {
        return Ok(Some(HealthConfig {
            test: Some(vec!["NONE".to_string()]),
            ..Default::default()
        }));
    }
    if h.start_interval.is_some() && h.start_period.is_none() {
        return Err(Error::new(
            "healthcheck.start_interval requires healthcheck.start_period to be set",
        )
        .with_hint("add healthcheck.start_period (the time start_interval applies for), or remove start_interval"));
    }
    Ok(Some(HealthConfig {
        test: h.test.clone(),
        interval: h.interval.map(|d| d.as_nanos()),
        timeout: h.timeout.map(|d| d.as_nanos()),
        retries: h.retries.map(|r| i64::try_from(r).unwrap_or(i64::MAX)),
        start_period: h.start_period.map(|d| d.as_nanos()),
        start_interval: h
            .start_interval
            .filter(|_| api.knows(ApiVersion::START_INTERVAL))
            .map(|d| d.as_nanos()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(healthcheck: serde_json::Value) -> Service {
        serde_json::from_value(serde_json::json!({"image": "busybox", "healthcheck": healthcheck}))
            .expect("service")
    }

    #[test]
    fn start_interval_needs_start_period() {
        let alone = service(serde_json::json!({"test": "true", "start_interval": "1s"}));
        let err = config(&alone, ApiVersion(1, 44)).expect_err("start_interval alone");
        assert_eq!(
            err.message,
            "healthcheck.start_interval requires healthcheck.start_period to be set"
        );
        // Whatever the engine knows: docker compose checks before it looks at the API.
        assert!(config(&alone, ApiVersion(1, 41)).is_err());
        let with_period = service(
            serde_json::json!({"test": "true", "start_interval": "1s", "start_period": "10s"}),
        );
        let h = config(&with_period, ApiVersion(1, 44))
            .expect("valid")
            .expect("a health config");
        assert_eq!(h.start_interval, Some(1_000_000_000));
        let old = config(&with_period, ApiVersion(1, 41)).expect("valid");
        assert_eq!(old.and_then(|h| h.start_interval), None);
    }
}
