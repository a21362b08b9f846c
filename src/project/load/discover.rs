//! Finding the compose files and the project name, as docker compose does.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The names compose looks for, in order of preference.
pub const DEFAULT_FILES: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];

/// Search `dir` and its parents for a compose file; return it with its override file, if any.
pub fn find_default_files(dir: &Path) -> Option<Vec<PathBuf>> {
    let mut current = Some(dir);
    while let Some(d) = current {
        for name in DEFAULT_FILES {
            let candidate = d.join(name);
            if candidate.is_file() {
                let mut files = vec![candidate];
                if let Some(over) = override_for(d, name) {
                    files.push(over);
                }
                return Some(files);
            }
        }
        current = d.parent();
    }
    None
}

/// `compose.yaml` → `compose.override.yaml` (or `.yml`), when it exists.
fn override_for(dir: &Path, name: &str) -> Option<PathBuf> {
    let stem = name.rsplit_once('.').map(|(s, _)| s)?;
    ["yaml", "yml"]
        .iter()
        .map(|ext| dir.join(format!("{stem}.override.{ext}")))
        .find(|p| p.is_file())
}

/// The error when no compose file is found.
pub fn not_found(dir: &Path) -> Error {
    Error::new(format!(
        "no configuration file provided: not found in {} or its parents",
        dir.display()
    ))
    .with_hint(format!(
        "create one of {} or pass one with -f",
        DEFAULT_FILES.join(", ")
    ))
    .with_exit_code(14)
}

/// Normalize a project name as compose does: lowercase, only `[a-z0-9_-]`, starting with a
/// letter or digit.
pub fn normalize_project_name(name: &str) -> String {
    let lowered: String = name
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect();
    lowered.trim_start_matches(['_', '-']).to_string()
}

/// Check an explicitly given name (`-p`, `COMPOSE_PROJECT_NAME`, `name:`): compose refuses
/// names that are not already normalized.
pub fn check_project_name(name: &str, source: &str) -> Result<String> {
    let valid = !name.is_empty()
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if valid {
        Ok(name.to_string())
    } else {
        Err(Error::new(format!(
            "invalid project name \"{name}\" (from {source})"
        ))
        .with_hint(format!(
            "a project name must contain only lowercase letters, digits, dashes and underscores, and start with a letter or digit; for example \"{}\"",
            normalize_project_name(name)
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_normalize_like_compose() {
        assert_eq!(normalize_project_name("My App"), "myapp");
        assert_eq!(normalize_project_name("elastic.stack"), "elasticstack");
        assert_eq!(normalize_project_name("_x-Y_1"), "x-y_1");
    }

    #[test]
    fn explicit_names_must_be_valid() {
        assert!(check_project_name("ok-name_1", "-p").is_ok());
        let err = check_project_name("Bad Name", "-p").unwrap_err();
        assert!(
            err.to_string()
                .contains("invalid project name \"Bad Name\" (from -p)")
        );
        assert!(err.to_string().contains("\"badname\""));
    }

    #[test]
    fn discovery_walks_up_and_finds_override() {
        let root = std::env::temp_dir().join(format!("rcompose-discover-{}", std::process::id()));
        let sub = root.join("a/b");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(root.join("docker-compose.yml"), "services: {}\n").unwrap();
        std::fs::write(root.join("docker-compose.override.yml"), "services: {}\n").unwrap();
        let found = find_default_files(&sub).unwrap();
        assert_eq!(
            found,
            vec![
                root.join("docker-compose.yml"),
                root.join("docker-compose.override.yml")
            ]
        );
        // compose.yaml wins over docker-compose.yml in the same directory.
        std::fs::write(root.join("compose.yaml"), "services: {}\n").unwrap();
        assert_eq!(
            find_default_files(&sub).unwrap(),
            vec![root.join("compose.yaml")]
        );
        std::fs::remove_dir_all(&root).unwrap();
    }
}
