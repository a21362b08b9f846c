//! `ls`: the compose projects on the engine, with their status and compose files, as a table or
//! JSON (docker compose's keys).

use serde_json::json;

use crate::engine::observe::ObservedProject;

/// Running projects, or all with `all`; `name` keeps those whose name contains it.
pub fn select(
    projects: Vec<ObservedProject>,
    all: bool,
    name: Option<&str>,
) -> Vec<ObservedProject> {
    projects
        .into_iter()
        .filter(|p| all || p.states.keys().any(|s| s.is_up()))
        .filter(|p| name.is_none_or(|n| p.name.contains(n)))
        .collect()
}

fn files(p: &ObservedProject) -> String {
    let files: Vec<String> = p
        .config_files
        .iter()
        .map(|f| f.display().to_string())
        .collect();
    files.join(",")
}

/// NAME STATUS CONFIG FILES.
pub fn table(projects: &[ObservedProject]) -> String {
    let mut rows = vec![vec![
        "NAME".to_string(),
        "STATUS".to_string(),
        "CONFIG FILES".to_string(),
    ]];
    for p in projects {
        rows.push(vec![p.name.clone(), p.status_text(), files(p)]);
    }
    super::table::render(&rows)
}

/// A JSON array of `{"Name", "Status", "ConfigFiles"}`.
pub fn json(projects: &[ObservedProject]) -> String {
    let list: Vec<serde_json::Value> = projects
        .iter()
        .map(|p| json!({"Name": p.name, "Status": p.status_text(), "ConfigFiles": files(p)}))
        .collect();
    format!("{}\n", serde_json::Value::Array(list))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::observe::State;
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    fn project(name: &str, states: &[(State, usize)]) -> ObservedProject {
        ObservedProject {
            name: name.to_string(),
            working_dir: None,
            config_files: vec![PathBuf::from(format!("/src/{name}/compose.yml"))],
            states: states.iter().copied().collect::<BTreeMap<_, _>>(),
        }
    }

    #[test]
    fn running_projects_unless_all() {
        let list = vec![
            project("up", &[(State::Running, 2), (State::Exited, 1)]),
            project("down", &[(State::Exited, 1)]),
        ];
        let shown = select(list.clone(), false, None);
        assert_eq!(shown.len(), 1);
        assert_eq!(
            table(&shown),
            "NAME   STATUS                  CONFIG FILES\nup     running(2), exited(1)   /src/up/compose.yml\n"
        );
        assert_eq!(select(list.clone(), true, None).len(), 2);
        assert_eq!(select(list, true, Some("do")).len(), 1);
        assert_eq!(
            json(&[project("x", &[(State::Running, 1)])]),
            "[{\"Name\":\"x\",\"Status\":\"running(1)\",\"ConfigFiles\":\"/src/x/compose.yml\"}]\n"
        );
    }
}
