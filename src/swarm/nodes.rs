//! The swarm's nodes as `swarm ps` and `swarm up` report them: by hostname, and whether the
//! manager sees them down. A node that is down cannot say what became of its tasks: the manager
//! keeps their last reported state (often "running") and reschedules them elsewhere where
//! placement allows, so neither command may count or show such a task as running there.

use std::collections::HashMap;

use bollard::Docker;
use bollard::models::NodeState;
use bollard::query_parameters::ListNodesOptions;

use super::engine_error;
use crate::error::Result;

/// One node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeView {
    pub hostname: String,
    /// The manager does not hear from it (down, unknown or disconnected).
    pub down: bool,
}

impl NodeView {
    /// The node as a task table shows it: `node3`, or `node3 (down)`.
    pub fn label(&self) -> String {
        if self.down {
            format!("{} (down)", self.hostname)
        } else {
            self.hostname.clone()
        }
    }
}

/// The swarm's nodes by ID.
pub async fn nodes(docker: &Docker) -> Result<HashMap<String, NodeView>> {
    let listed = docker
        .list_nodes(None::<ListNodesOptions>)
        .await
        .map_err(|e| engine_error("cannot list nodes", e))?;
    Ok(listed
        .into_iter()
        .filter_map(|node| {
            let state = node.status.as_ref().and_then(|s| s.state);
            let hostname = node
                .description
                .as_ref()
                .and_then(|d| d.hostname.clone())
                .unwrap_or_default();
            Some((
                node.id?,
                NodeView {
                    hostname,
                    down: state != Some(NodeState::READY),
                },
            ))
        })
        .collect())
}

/// The hostnames of the nodes that are down, sorted.
pub fn down(nodes: &HashMap<String, NodeView>) -> Vec<String> {
    let mut names: Vec<String> = nodes
        .values()
        .filter(|n| n.down)
        .map(|n| n.hostname.clone())
        .collect();
    names.sort();
    names
}

/// "node3 is down" / "node2 and node3 are down", for messages.
pub fn down_sentence(names: &[String]) -> Option<String> {
    match names {
        [] => None,
        [one] => Some(format!("node {one} is down")),
        [first @ .., last] => Some(format!("nodes {} and {last} are down", first.join(", "))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn down_nodes_are_named() {
        let node = |hostname: &str, down| NodeView {
            hostname: hostname.to_string(),
            down,
        };
        let nodes = HashMap::from([
            ("a".to_string(), node("node1", false)),
            ("c".to_string(), node("node3", true)),
            ("b".to_string(), node("node2", true)),
        ]);
        assert_eq!(down(&nodes), ["node2", "node3"]);
        assert_eq!(
            down_sentence(&down(&nodes)).as_deref(),
            Some("nodes node2 and node3 are down")
        );
        assert_eq!(
            down_sentence(&["node3".to_string()]).as_deref(),
            Some("node node3 is down")
        );
        assert_eq!(down_sentence(&[]), None);
        assert_eq!(node("node3", true).label(), "node3 (down)");
        assert_eq!(node("node1", false).label(), "node1");
    }
}
