//! `include:`: other compose projects loaded on their own (their own directory, env files and
//! variables) and merged into this one, with conflicts reported by name.

use super::*;

impl Loader<'_> {
    pub(super) fn include(
        &mut self,
        tree: &mut Node,
        include: Node,
        base: &Path,
        env: &BTreeMap<String, String>,
        chain: &mut Vec<PathBuf>,
    ) -> Result<()> {
        let Value::Seq(entries) = include.value else {
            return Err(Error::at(
                &include.mark,
                format!("`include` must be a list, but it is {}", include.kind()),
            ));
        };
        for entry in entries {
            let (path_nodes, project_directory, env_file_nodes): (
                Vec<Node>,
                Option<Node>,
                Vec<Node>,
            ) = match &entry.value {
                Value::Str(_) => (vec![entry.clone()], None, Vec::new()),
                Value::Map(_) => {
                    let list = |key: &str| -> Vec<Node> {
                        match entry.get(key) {
                            Some(Node {
                                value: Value::Seq(items),
                                ..
                            }) => items.clone(),
                            Some(n) => vec![n.clone()],
                            None => Vec::new(),
                        }
                    };
                    (
                        list("path"),
                        entry.get("project_directory").cloned(),
                        list("env_file"),
                    )
                }
                _ => {
                    return Err(Error::at(
                        &entry.mark,
                        "an `include` entry must be a path or a mapping with `path`",
                    ));
                }
            };
            if path_nodes.is_empty() {
                return Err(Error::at(&entry.mark, "an `include` entry needs a `path`"));
            }
            let home = self.home();
            let mut paths_abs = Vec::new();
            for node in &path_nodes {
                let text = node.scalar_text().unwrap_or_default();
                let abs = PathBuf::from(paths::absolute(base, &text, home.as_deref()));
                if !abs.is_file() {
                    return Err(Error::at(
                        &node.mark,
                        format!("included file {} does not exist", abs.display()),
                    )
                    .with_hint("fix the path under `include`"));
                }
                paths_abs.push(abs);
            }
            if chain.contains(&paths_abs[0]) || chain.len() >= MAX_CHAIN {
                return Err(Error::at(
                    &entry.mark,
                    format!("include cycle: {} includes itself", paths_abs[0].display()),
                ));
            }
            let sub_dir = match &project_directory {
                Some(d) => PathBuf::from(paths::absolute(
                    base,
                    &d.scalar_text().unwrap_or_default(),
                    home.as_deref(),
                )),
                None => paths_abs[0]
                    .parent()
                    .map_or(base.to_path_buf(), Path::to_path_buf),
            };
            let mut sub_env_files = Vec::new();
            for node in &env_file_nodes {
                let p = PathBuf::from(paths::absolute(
                    base,
                    &node.scalar_text().unwrap_or_default(),
                    home.as_deref(),
                ));
                if !p.is_file() {
                    return Err(Error::at(
                        &node.mark,
                        format!(
                            "env file {} of the included project does not exist",
                            p.display()
                        ),
                    ));
                }
                sub_env_files.push(p);
            }
            if env_file_nodes.is_empty() && sub_dir.join(".env").is_file() {
                sub_env_files.push(sub_dir.join(".env"));
            }
            let sub_env = self.environment(&sub_env_files, env)?;
            chain.push(paths_abs[0].clone());
            let sub = self.load_tree(&paths_abs, &sub_dir, &sub_env, chain)?;
            chain.pop();
            // An `environment:` secret or config of the included project takes its content
            // from the include's environment (the parent's variables win, as in compose).
            for kind in ["configs", "secrets"] {
                for (key, object) in sub.get(kind).and_then(Node::as_map).into_iter().flatten() {
                    if let Some(value) = object
                        .get("environment")
                        .and_then(Node::as_str)
                        .and_then(|variable| sub_env.get(variable))
                    {
                        self.included_values
                            .insert(format!("{kind}.{}", key.name), value.clone());
                    }
                }
            }
            for kind in ["services", "networks", "volumes", "configs", "secrets"] {
                let Some(Value::Map(imported)) = sub.get(kind).map(|n| n.value.clone()) else {
                    continue;
                };
                if tree.get(kind).is_none() {
                    tree.set(kind, Node::new(Value::Map(Vec::new()), entry.mark.clone()));
                }
                let Some(target) = tree.get_mut(kind).and_then(Node::as_map_mut) else {
                    continue;
                };
                for (key, value) in imported {
                    if let Some((existing, _)) = target.iter().find(|(k, _)| k.name == key.name) {
                        return Err(Error::at(
                            &existing.mark,
                            format!(
                                "{kind}.{} conflicts with the one imported from {}",
                                key.name,
                                paths_abs[0].display()
                            ),
                        )
                        .with_hint("rename one of them: included resources are not merged"));
                    }
                    target.push((key, value));
                }
            }
        }
        Ok(())
    }
}
