//! Kubernetes names and labels for compose names: object names are DNS labels (lowercase
//! letters, digits and `-`, at most 63 characters), label values are shorter still.

use std::collections::{BTreeMap, BTreeSet};

/// The label every object of a service carries, with the service's Kubernetes name.
pub const NAME_LABEL: &str = "app.kubernetes.io/name";
/// The label every object carries, with the project name.
pub const PART_OF_LABEL: &str = "app.kubernetes.io/part-of";
/// The label every object carries, naming the tool that made it.
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";

/// Prefix of rcompose's own annotations.
pub const ANNOTATION_PREFIX: &str = "rcompose/";

/// The longest DNS label.
const MAX_LABEL: usize = 63;

/// `name` as a DNS-1035 label, as a Service name must be: lowercase, `_` and `.` (and any
/// other character) turned into `-`, starting with a letter, at most 63 characters.
/// `None` when nothing usable is left.
pub fn dns_label(name: &str) -> Option<String> {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let trimmed = out.trim_matches('-');
    if trimmed.is_empty() {
        return None;
    }
    let mut label = if trimmed.starts_with(|c: char| c.is_ascii_digit()) {
        format!("s-{trimmed}")
    } else {
        trimmed.to_string()
    };
    label.truncate(MAX_LABEL);
    Some(label.trim_end_matches('-').to_string())
}

/// `text` with every character other than `[A-Za-z0-9._-]` replaced by `with`.
fn replace_others(text: &str, with: char) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                with
            }
        })
        .collect()
}

/// `text` as a label value: at most 63 characters of `[A-Za-z0-9._-]`, beginning and ending
/// with a letter or digit.
pub fn label_value(text: &str) -> String {
    let mut value = replace_others(text, '-')
        .trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_string();
    value.truncate(MAX_LABEL);
    value
        .trim_end_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_string()
}

/// `text` as a ConfigMap or Secret key: `[-._a-zA-Z0-9]`, other characters turned into `_`.
pub fn data_key(text: &str) -> String {
    let key = replace_others(text, '_');
    if key.is_empty() || key == "." || key == ".." {
        "file".to_string()
    } else {
        key
    }
}

/// The labels of every object of the project.
pub fn project_labels(project: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (MANAGED_BY_LABEL.to_string(), "rcompose".to_string()),
        (PART_OF_LABEL.to_string(), label_value(project)),
    ])
}

/// The labels that select the pods of one service.
pub fn selector_labels(project: &str, service: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (NAME_LABEL.to_string(), label_value(service)),
        (PART_OF_LABEL.to_string(), label_value(project)),
    ])
}

/// The labels of the objects of one service: its selector labels and the project's.
pub fn service_labels(project: &str, service: &str) -> BTreeMap<String, String> {
    let mut labels = project_labels(project);
    labels.extend(selector_labels(project, service));
    labels
}

/// Hands out names that are unique within one scope (the volumes of a pod, the ConfigMaps
/// of a project), adding `-2`, `-3`... to a name already taken.
#[derive(Debug, Default)]
pub struct UniqueNames {
    taken: BTreeSet<String>,
}

impl UniqueNames {
    /// Reserve `name` as it is; false when it was already taken.
    pub fn reserve(&mut self, name: &str) -> bool {
        self.taken.insert(name.to_string())
    }

    /// `base` (a DNS label) or the first free `base-N`.
    pub fn unique(&mut self, base: &str) -> String {
        if self.taken.insert(base.to_string()) {
            return base.to_string();
        }
        let mut n: u64 = 2;
        loop {
            let suffix = format!("-{n}");
            let mut stem = base.to_string();
            stem.truncate(MAX_LABEL.saturating_sub(suffix.len()));
            let candidate = format!("{}{suffix}", stem.trim_end_matches('-'));
            if self.taken.insert(candidate.clone()) {
                return candidate;
            }
            n += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_labels() {
        assert_eq!(dns_label("web").as_deref(), Some("web"));
        assert_eq!(dns_label("db_data").as_deref(), Some("db-data"));
        assert_eq!(dns_label("My.Service__1").as_deref(), Some("my-service-1"));
        assert_eq!(dns_label("_x_").as_deref(), Some("x"));
        assert_eq!(dns_label("1st").as_deref(), Some("s-1st"));
        assert_eq!(dns_label("__"), None);
        let long = "a".repeat(70);
        assert_eq!(dns_label(&long).map(|s| s.len()), Some(63));
        let dashed = format!("{}_b", "a".repeat(62));
        assert_eq!(dns_label(&dashed), Some("a".repeat(62)));
    }

    #[test]
    fn label_values_and_keys() {
        assert_eq!(label_value("my_project"), "my_project");
        assert_eq!(label_value("-x y-"), "x-y");
        assert_eq!(data_key("nginx.conf"), "nginx.conf");
        assert_eq!(data_key("a b/c"), "a_b_c");
        assert_eq!(data_key(""), "file");
    }

    #[test]
    fn unique_names_get_a_number() {
        let mut names = UniqueNames::default();
        assert_eq!(names.unique("data"), "data");
        assert_eq!(names.unique("data"), "data-2");
        assert_eq!(names.unique("data"), "data-3");
        assert!(!names.reserve("data-2"));
        let long = "a".repeat(63);
        assert_eq!(names.unique(&long), long);
        assert_eq!(names.unique(&long).len(), 63);
    }
}
