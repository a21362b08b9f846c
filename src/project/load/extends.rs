//! `extends:`: a service built on another one, from the same file or another, resolved
//! (through chains, with cycles reported) before the files are merged.

use super::*;

impl Loader<'_> {
    /// Replace every service that `extends` another by the merged result.
    pub(super) fn resolve_extends(
        &mut self,
        tree: &mut Node,
        file: &Path,
        env: &BTreeMap<String, String>,
    ) -> Result<()> {
        let names: Vec<String> = tree
            .get("services")
            .and_then(Node::as_map)
            .map(|m| {
                m.iter()
                    .filter(|(_, s)| s.get("extends").is_some())
                    .map(|(k, _)| k.name.clone())
                    .collect()
            })
            .unwrap_or_default();
        for name in names {
            let snapshot = tree.clone();
            let resolved = self.extended_service(&snapshot, file, &name, env, &mut Vec::new())?;
            if let Some(services) = tree.get_mut("services") {
                services.set(&name, resolved);
            }
        }
        Ok(())
    }

    fn extended_service(
        &mut self,
        file_tree: &Node,
        file: &Path,
        name: &str,
        env: &BTreeMap<String, String>,
        chain: &mut Vec<(PathBuf, String)>,
    ) -> Result<Node> {
        let service = file_tree
            .get("services")
            .and_then(|s| s.get(name))
            .cloned()
            .ok_or_else(|| {
                // No mark: the caller points at the `extends` that named it.
                Error::new(format!(
                    "cannot extend service \"{name}\": no such service in {}",
                    file.display()
                ))
                .with_hint("fix the service name under `extends`")
            })?;
        let Some(extends) = service.get("extends").cloned() else {
            return Ok(service);
        };
        let (base_name, base_file) = match &extends.value {
            Value::Str(s) => (s.clone(), None),
            Value::Map(_) => {
                let base_name = extends
                    .get("service")
                    .and_then(Node::scalar_text)
                    .ok_or_else(|| {
                        Error::at(&extends.mark, "`extends` needs the `service` to extend")
                    })?;
                let base_file = extends
                    .get("file")
                    .and_then(Node::scalar_text)
                    .map(PathBuf::from);
                (base_name, base_file)
            }
            _ => {
                return Err(Error::at(
                    &extends.mark,
                    "`extends` must be a service name or a mapping with `service` and `file`",
                ));
            }
        };
        let key = (file.to_path_buf(), name.to_string());
        if chain.contains(&key) || chain.len() >= MAX_CHAIN {
            let mut names: Vec<String> = chain.iter().map(|(_, n)| n.clone()).collect();
            names.push(name.to_string());
            return Err(Error::at(
                &extends.mark,
                format!("circular `extends`: {}", names.join(" -> ")),
            ));
        }
        chain.push(key);
        let base = match base_file {
            Some(other) if other != file => {
                if !other.is_file() {
                    return Err(Error::at(
                        &extends.mark,
                        format!(
                            "cannot extend service \"{base_name}\": file {} does not exist",
                            other.display()
                        ),
                    ));
                }
                let other_tree = match self.extends_cache.get(&other) {
                    Some(t) => t.clone(),
                    None => {
                        let dir = other.parent().map_or(PathBuf::new(), Path::to_path_buf);
                        let t = self.parse_file(&other, &dir, env)?;
                        self.extends_cache.insert(other.clone(), t.clone());
                        t
                    }
                };
                self.extended_service(&other_tree, &other, &base_name, env, chain)
            }
            _ => self.extended_service(file_tree, file, &base_name, env, chain),
        }
        .map_err(|e| e.with_mark(extends.mark.clone()))?;
        chain.pop();
        let mut result = base;
        result.remove("extends");
        let mut child = service;
        child.remove("extends");
        merge::merge_service(&mut result, child);
        Ok(result)
    }
}
