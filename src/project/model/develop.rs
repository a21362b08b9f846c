//! Development settings of a service (`develop:`): which file changes to watch and what to
//! do about them (sync, rebuild, restart, exec).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::de::{self as d, string_enum};
use super::fields::ServiceHook;

string_enum! {
    /// What `watch` does when a watched path changes.
    pub enum WatchAction ("watch action") {
        Rebuild = "rebuild",
        Sync = "sync",
        Restart = "restart",
        SyncRestart = "sync+restart",
        SyncExec = "sync+exec",
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct DevelopConfig {
    #[serde(
        default,
        deserialize_with = "d::or_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub watch: Vec<WatchRule>,
    #[serde(
        flatten,
        deserialize_with = "d::extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Value>,
}

/// One watched path and its action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(expecting = "a mapping")]
pub struct WatchRule {
    /// Host path (absolute after loading).
    pub path: String,
    pub action: WatchAction,
    /// Container path for `sync` actions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The command for `sync+exec`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec: Option<ServiceHook>,
    #[serde(
        default,
        deserialize_with = "d::string_or_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub include: Vec<String>,
    #[serde(
        default,
        deserialize_with = "d::string_or_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub ignore: Vec<String>,
    /// Sync the files once when watching starts.
    #[serde(
        default,
        deserialize_with = "d::flag",
        skip_serializing_if = "d::is_false"
    )]
    pub initial_sync: bool,
    #[serde(
        flatten,
        deserialize_with = "d::extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn watch_rules() {
        let dev: DevelopConfig = serde_json::from_value(json!({"watch": [
            {"path": "/src", "action": "sync", "target": "/app", "ignore": "node_modules/",
             "initial_sync": true},
            {"path": "/pkg.json", "action": "rebuild"},
            {"path": "/conf", "action": "sync+exec", "target": "/etc/app",
             "exec": {"command": "kill -HUP 1"}, "include": ["*.conf"]},
        ]}))
        .unwrap();
        assert_eq!(dev.watch[0].action, WatchAction::Sync);
        assert_eq!(dev.watch[0].ignore, ["node_modules/"]);
        assert!(dev.watch[0].initial_sync);
        assert_eq!(dev.watch[1].action, WatchAction::Rebuild);
        let exec = dev.watch[2].exec.as_ref().unwrap();
        assert_eq!(
            exec.command.as_deref(),
            Some(&["kill".to_string(), "-HUP".to_string(), "1".to_string()][..])
        );
        let err = serde_json::from_value::<DevelopConfig>(
            json!({"watch": [{"path": "/a", "action": "reload"}]}),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid watch action \"reload\": use rebuild, sync, restart, sync+restart or sync+exec"
        );
    }
}
