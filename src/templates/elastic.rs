//! The data of the `elastic` template, computed from its checked variables.

use super::*;
use values::*;

/// The data of the elastic template: the checked settings and one entry per node.
pub(super) fn elastic_data(values: &Values, passwords: &Passwords) -> Result<Value> {
    let node_count = parse_nodes(values, "nodes")?;
    let version = parse_image_tag(values, "version")?;
    let memory = parse_byte_value(values, "memory")?;
    let kibana = parse_bool(values, "kibana")?;
    let security = parse_bool(values, "security")?;
    let port = parse_port(values, "port")?;

    let names: Vec<String> = (1..=node_count).map(|i| format!("es{i:02}")).collect();
    let nodes: Vec<Value> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let others: Vec<&str> = names
                .iter()
                .filter(|other| *other != name)
                .map(String::as_str)
                .collect();
            json!({
                "name": name,
                "data_volume": format!("esdata{:02}", i + 1),
                "seed_hosts": others.join(","),
                // Nodes start one after the other, as in Elastic's example.
                "after": i.checked_sub(1).map(|prev| names[prev].as_str()),
            })
        })
        .collect();

    let summary = format!(
        "{node_count} node{}{}",
        if node_count == 1 { "" } else { "s" },
        if kibana { " with Kibana" } else { "" },
    );
    Ok(json!({
        "summary": summary,
        "version": version,
        "memory": memory,
        "port": port,
        "kibana": kibana,
        "security": security,
        "single_node": node_count == 1,
        "nodes": nodes,
        "initial_master_nodes": names.join(","),
        "elastic_password": passwords.elastic,
        "kibana_password": passwords.kibana,
    }))
}
