//! `graph`: the services' dependency graph as Graphviz DOT or Mermaid, one edge from each
//! dependency to the service that waits for it, labelled with the condition. Deterministic
//! (services and edges in name order), so it can be diffed and snapshot-tested.

use crate::error::Result;
use crate::graph::ServiceGraph;
use crate::project::model::{Project, ServiceDependency};

/// An edge: `from` must reach `condition` before `to` starts.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub label: String,
    pub required: bool,
}

/// The services and the edges between them.
pub struct Graph {
    pub name: String,
    pub services: Vec<String>,
    pub edges: Vec<Edge>,
}

fn label(dep: &ServiceDependency) -> String {
    let mut label = dep.condition.as_str().to_string();
    if !dep.required {
        label.push_str(", optional");
    }
    if dep.restart {
        label.push_str(", restart");
    }
    label
}

/// The graph of `project`.
pub fn graph(project: &Project) -> Result<Graph> {
    let services = ServiceGraph::from_project(project);
    let mut edges: Vec<Edge> = services
        .services()
        .flat_map(|service| {
            let declared = services.declared(service).into_iter().flatten();
            declared.map(move |(dep, how)| Edge {
                from: dep.clone(),
                to: service.to_string(),
                label: label(how),
                required: how.required,
            })
        })
        .collect();
    edges.sort();
    Ok(Graph {
        name: project.name.clone(),
        services: project.services.keys().cloned().collect(),
        edges,
    })
}

fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Graphviz DOT.
pub fn dot(graph: &Graph) -> String {
    let mut out = format!("digraph {} {{\n", quoted(&graph.name));
    out.push_str("  rankdir=LR;\n  node [shape=box];\n");
    for service in &graph.services {
        out.push_str(&format!("  {};\n", quoted(service)));
    }
    for edge in &graph.edges {
        let style = if edge.required { "" } else { ", style=dashed" };
        out.push_str(&format!(
            "  {} -> {} [label={}{style}];\n",
            quoted(&edge.from),
            quoted(&edge.to),
            quoted(&edge.label)
        ));
    }
    out.push_str("}\n");
    out
}

/// A Mermaid node ID: the name with anything but letters, digits and `_` replaced.
fn mermaid_id(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A Mermaid flowchart.
pub fn mermaid(graph: &Graph) -> String {
    let mut out = String::from("flowchart LR\n");
    for service in &graph.services {
        out.push_str(&format!(
            "  {}[\"{}\"]\n",
            mermaid_id(service),
            service.replace('"', "#quot;")
        ));
    }
    for edge in &graph.edges {
        let arrow = if edge.required { "-->" } else { "-.->" };
        out.push_str(&format!(
            "  {} {arrow}|{}| {}\n",
            mermaid_id(&edge.from),
            edge.label,
            mermaid_id(&edge.to)
        ));
    }
    out
}
