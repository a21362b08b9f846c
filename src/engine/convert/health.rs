//! `healthcheck`: the container's health probe.

use bollard::models::HealthConfig;

use crate::engine::ApiVersion;
use crate::project::model::Service;

/// The engine's health config; `start_interval` only where the engine knows it (see
/// [`super::warnings`] for the warning otherwise).
pub(super) fn config(service: &Service, api: ApiVersion) -> Option<HealthConfig> {
    let h = service.healthcheck.as_ref()?;
    if h.is_disabled() {
        return Some(HealthConfig {
            test: Some(vec!["NONE".to_string()]),
            ..Default::default()
        });
    }
    Some(HealthConfig {
        test: h.test.clone(),
        interval: h.interval.map(|d| d.as_nanos()),
        timeout: h.timeout.map(|d| d.as_nanos()),
        retries: h.retries.map(|r| i64::try_from(r).unwrap_or(i64::MAX)),
        start_period: h.start_period.map(|d| d.as_nanos()),
        start_interval: h
            .start_interval
            .filter(|_| api.knows(ApiVersion::START_INTERVAL))
            .map(|d| d.as_nanos()),
    })
}
