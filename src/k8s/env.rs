//! The environment of a container: each `env_file` as a ConfigMap the container takes
//! with `envFrom`, a value equal to the content of a compose secret as a `secretKeyRef` to
//! that Secret (a secret stays a Secret, never a plain value in a manifest), and the rest
//! of `environment` as plain `env` entries, which win over `envFrom` as `environment` wins
//! over `env_file` under compose.

use std::collections::BTreeMap;
use std::path::Path;

use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapEnvSource, EnvFromSource, EnvVar, EnvVarSource, SecretKeySelector,
};

use super::Converter;
use super::container::escape_dollars;
use super::names::{self, ANNOTATION_PREFIX};
use super::storage::FileKind;
use crate::error::Result;
use crate::project::load::dotenv;
use crate::project::model::Service;

/// What the container gets: ConfigMaps to take whole, then single variables.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ContainerEnv {
    pub env_from: Option<Vec<EnvFromSource>>,
    pub env: Option<Vec<EnvVar>>,
}

/// One env file as a ConfigMap.
#[derive(Debug, Clone)]
pub(super) struct EnvConfigMap {
    pub name: String,
    pub data: BTreeMap<String, String>,
}

/// Whether Kubernetes takes `key` as a ConfigMap key (`[-._a-zA-Z0-9]+`, at most 253).
pub fn is_config_map_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 253
        && key != "."
        && key != ".."
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

impl Converter<'_> {
    /// The contents of the project's own secrets that are text, by secret key, for telling
    /// secret values in the environment apart. A secret that cannot be read is skipped here:
    /// it is reported where a service mounts it.
    pub(super) fn secret_values(&self) -> Vec<(String, String)> {
        self.project
            .secrets
            .iter()
            .filter(|(_, object)| !object.external)
            .filter_map(|(key, object)| {
                let content = self.file_object_content("secret", key, object).ok()?;
                let text = String::from_utf8(content).ok()?;
                (!text.is_empty()).then(|| (key.clone(), text))
            })
            .collect()
    }

    /// The compose secret whose content is `value`, if any.
    fn secret_holding(&self, value: &str) -> Option<String> {
        self.secret_values
            .iter()
            .find(|(_, content)| content == value)
            .map(|(key, _)| key.clone())
    }

    /// The ConfigMap of the env file at `path` (absolute), made on first use.
    fn env_config_map(&mut self, path: &str) -> Result<EnvConfigMap> {
        if let Some(made) = self.env_config_maps.get(path) {
            return Ok(made.clone());
        }
        let vars = self.inputs.environment;
        let lookup = |k: &str| vars.get(k).cloned();
        let entries = dotenv::parse_file(Path::new(path), &lookup)?;
        let mut data = BTreeMap::new();
        for (key, value) in entries {
            // Secret values and keys a ConfigMap cannot hold go into the container's `env`.
            if is_config_map_key(&key) && self.secret_holding(&value).is_none() {
                data.insert(key, value);
            } else {
                data.remove(&key);
            }
        }
        let file_name = Path::new(path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let base = names::dns_label(&file_name).unwrap_or_else(|| "env".to_string());
        let name = self.config_map_names.unique(&base);
        let made = EnvConfigMap { name, data };
        if !made.data.is_empty() {
            let annotations = BTreeMap::from([(
                format!("{ANNOTATION_PREFIX}env-file"),
                self.display_path(path),
            )]);
            let object = ConfigMap {
                metadata: self.metadata(
                    &made.name,
                    names::project_labels(&self.project.name),
                    annotations,
                ),
                data: Some(made.data.clone()),
                ..ConfigMap::default()
            };
            self.push(&object)?;
        }
        self.env_config_maps.insert(path.to_string(), made.clone());
        Ok(made)
    }

    /// The environment of the container of `service`.
    pub(super) fn container_env(
        &mut self,
        compose_name: &str,
        service: &Service,
    ) -> Result<ContainerEnv> {
        let mut maps = Vec::new();
        for file in &service.env_file {
            if !Path::new(&file.path).is_file() && !file.required {
                continue;
            }
            let map = self.env_config_map(&file.path)?;
            if !map.data.is_empty() {
                maps.push(map);
            }
        }
        // What `envFrom` gives each key: the last ConfigMap that has it wins.
        let mut from_maps: BTreeMap<&str, &str> = BTreeMap::new();
        for map in &maps {
            for (key, value) in &map.data {
                from_maps.insert(key, value);
            }
        }
        let mut vars = Vec::new();
        for (name, value) in &service.environment {
            let Some(value) = value else {
                vars.push(EnvVar {
                    name: name.clone(),
                    ..EnvVar::default()
                });
                continue;
            };
            if let Some(secret) = self.secret_holding(value)
                && let Some((object, key)) = self.file_object_for(FileKind::Secret, &secret)?
            {
                vars.push(EnvVar {
                    name: name.clone(),
                    value_from: Some(EnvVarSource {
                        secret_key_ref: Some(SecretKeySelector {
                            name: object,
                            key,
                            optional: None,
                        }),
                        ..EnvVarSource::default()
                    }),
                    ..EnvVar::default()
                });
                continue;
            }
            if from_maps.get(name.as_str()) == Some(&value.as_str()) {
                continue;
            }
            vars.push(EnvVar {
                name: name.clone(),
                value: Some(escape_dollars(value)),
                ..EnvVar::default()
            });
        }
        for key in from_maps.keys() {
            if !service.environment.contains_key(*key) {
                self.warnings.service(
                    compose_name,
                    &format!("environment.{key}"),
                    "unset here but set by an env file: the container gets the env file's \
                     value from its ConfigMap",
                );
            }
        }
        let env_from: Vec<EnvFromSource> = maps
            .into_iter()
            .map(|map| EnvFromSource {
                config_map_ref: Some(ConfigMapEnvSource {
                    name: map.name,
                    optional: None,
                }),
                ..EnvFromSource::default()
            })
            .collect();
        Ok(ContainerEnv {
            env_from: (!env_from.is_empty()).then_some(env_from),
            env: (!vars.is_empty()).then_some(vars),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_map_keys() {
        assert!(is_config_map_key("DATABASE_URL"));
        assert!(is_config_map_key("a.b-c"));
        assert!(!is_config_map_key("a b"));
        assert!(!is_config_map_key("x[0]"));
        assert!(!is_config_map_key(".."));
        assert!(!is_config_map_key(""));
    }
}
