//! The Engine API version spoken with the engine, to tell which fields it understands. One
//! notion for every back end: the engine's container specs ([`super::convert`]) and swarm's
//! service specs ([`crate::swarm::convert`]) both send a field only from the version that knows
//! it, and warn by name otherwise.

use std::fmt;

use bollard::Docker;

/// An Engine API version such as `1.41`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ApiVersion(pub u32, pub u32);

impl ApiVersion {
    /// The first API that knows `HostConfig.Annotations`.
    pub const ANNOTATIONS: ApiVersion = ApiVersion(1, 43);
    /// The first API that knows `healthcheck.start_interval`.
    pub const START_INTERVAL: ApiVersion = ApiVersion(1, 44);

    /// `"1.41"` → `ApiVersion(1, 41)`; anything unreadable counts as the newest API.
    pub fn parse(text: &str) -> ApiVersion {
        let mut parts = text.trim().splitn(2, '.');
        let major = parts.next().and_then(|p| p.parse().ok());
        let minor = parts.next().and_then(|p| p.parse().ok());
        match (major, minor) {
            (Some(major), Some(minor)) => ApiVersion(major, minor),
            _ => ApiVersion(u32::MAX, u32::MAX),
        }
    }

    /// The version negotiated with the engine behind `docker`.
    pub fn of(docker: &Docker) -> ApiVersion {
        let version = docker.client_version();
        let narrow = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        ApiVersion(narrow(version.major_version), narrow(version.minor_version))
    }

    /// Whether this version knows what `min` introduced.
    pub fn knows(self, min: ApiVersion) -> bool {
        self >= min
    }

    /// The warning for a key set on a service that this version does not know.
    pub fn too_old_for(self, min: ApiVersion) -> String {
        format!("needs Engine API {min} or later (this engine speaks {self}); ignored")
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.0, self.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_compare() {
        assert_eq!(ApiVersion::parse("1.41"), ApiVersion(1, 41));
        assert!(ApiVersion::parse("1.41") < ApiVersion(1, 44));
        assert!(ApiVersion::parse("garbage") > ApiVersion(1, 99));
        assert_eq!(ApiVersion(1, 41).to_string(), "1.41");
        assert!(ApiVersion(1, 44).knows(ApiVersion::START_INTERVAL));
        assert!(!ApiVersion(1, 41).knows(ApiVersion::ANNOTATIONS));
        assert_eq!(
            ApiVersion(1, 41).too_old_for(ApiVersion(1, 44)),
            "needs Engine API 1.44 or later (this engine speaks 1.41); ignored"
        );
    }
}
