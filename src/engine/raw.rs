//! Engine answers as raw JSON, for the few places where bollard's typed models lose fields.
//!
//! bollard 0.21 reads a container spec's health check from `HealthCheck`, but the engine (Go's
//! `ContainerSpec.Healthcheck`, no JSON tag) writes `Healthcheck`. A swarm service or task read
//! through bollard has therefore lost its health check, and `swarm up` could neither see that a
//! health check changed nor that tasks run the new one. Sending is unaffected: the engine
//! matches JSON keys case-insensitively.
//!
//! Rather than a second HTTP client (with its own TLS and socket handling), [`get_json`] reuses
//! bollard's connection: it issues bollard's `ping()`, whose body bollard hands back as text,
//! through a clone of the client whose request modifier points the request at another path of
//! the same API version. Only `GET`s without a body are made this way.

use std::collections::HashMap;

use bollard::Docker;
use serde_json::Value;

/// `GET /v<api><path_and_query>` (for example `/services/abc` or `/tasks?filters=...`) and parse
/// the body as JSON.
pub async fn get_json(
    docker: &Docker,
    path_and_query: &str,
) -> Result<Value, bollard::errors::Error> {
    let target = path_and_query.to_string();
    let client = docker.clone().with_request_modifier(move |mut request| {
        let uri = request.uri().to_string();
        // bollard builds `<scheme>://<host>/v<major>.<minor>/_ping`; keep all but the endpoint.
        if let Some(at) = uri.rfind("/_ping")
            && let Ok(redirected) = format!("{}{}", &uri[..at], target).parse()
        {
            *request.uri_mut() = redirected;
        }
        request
    });
    let text = client.ping().await?;
    serde_json::from_str(&text).map_err(bollard::errors::Error::from)
}

/// `filters=<url-encoded JSON>` for a list endpoint.
pub fn filters_query(filters: &HashMap<String, Vec<String>>) -> String {
    let json = serde_json::to_string(filters).unwrap_or_else(|_| "{}".to_string());
    format!("filters={}", percent_encode(&json))
}

/// Percent-encode everything but RFC 3986 unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_url_encoded_json() {
        let filters = HashMap::from([("id".to_string(), vec!["a b".to_string()])]);
        assert_eq!(
            filters_query(&filters),
            "filters=%7B%22id%22%3A%5B%22a%20b%22%5D%7D"
        );
    }
}
