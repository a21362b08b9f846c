//! `top`: the processes running in each of the project's containers, one table per container.

use bollard::Docker;
use bollard::query_parameters::TopOptionsBuilder;

use crate::engine::errors::engine_error;
use crate::engine::observe::ObservedContainer;
use crate::error::Result;

/// `name` then a table of its processes, for every running container of `containers`.
pub async fn top(docker: &Docker, containers: &[ObservedContainer]) -> Result<String> {
    let mut out = String::new();
    for c in containers.iter().filter(|c| c.state.is_up()) {
        let options = TopOptionsBuilder::default().ps_args("-ef").build();
        let top = docker
            .top_processes(&c.id, Some(options))
            .await
            .map_err(|e| engine_error(format!("cannot list the processes of {}", c.name), &e))?;
        let mut rows: Vec<Vec<String>> = vec![top.titles.unwrap_or_default()];
        rows.extend(top.processes.unwrap_or_default());
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&c.name);
        out.push('\n');
        out.push_str(&super::table::render(&rows));
    }
    Ok(out)
}
