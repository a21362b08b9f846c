//! `pull`: the images of the selected services, all at once, each image once, as their
//! `pull_policy` allows; and the policy itself, which `up` honours too.

use std::collections::BTreeMap;

use bollard::Docker;
use futures_util::future::join_all;

use crate::engine::images;
use crate::error::{Error, Result};
use crate::progress::{Action, Progress};
use crate::project::model::{Project, Service};

/// When an image is pulled (`pull_policy`, `up --pull`, `pull --policy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PullPolicy {
    /// Pull every time.
    Always,
    /// Pull when the image is not present (`missing`, `if_not_present`, and the default).
    Missing,
    /// Never pull: the image must be present (or be built).
    Never,
    /// Always build, never pull.
    Build,
}

impl PullPolicy {
    /// Parse a policy as compose files and flags spell it. `refresh`, `daily`, `weekly` and
    /// `every_<duration>` are taken as `missing`.
    pub fn parse(text: &str) -> Option<PullPolicy> {
        match text {
            "always" => Some(PullPolicy::Always),
            "missing" | "if_not_present" | "refresh" | "daily" | "weekly" => {
                Some(PullPolicy::Missing)
            }
            "never" => Some(PullPolicy::Never),
            "build" => Some(PullPolicy::Build),
            other if other.starts_with("every_") => Some(PullPolicy::Missing),
            _ => None,
        }
    }

    /// The policy of `service` (`None` when it sets none).
    pub fn of(name: &str, service: &Service) -> Result<Option<PullPolicy>> {
        match service.pull_policy.as_deref() {
            None | Some("") => Ok(None),
            Some(text) => PullPolicy::parse(text).map(Some).ok_or_else(|| {
                Error::new(format!(
                    "service \"{name}\": invalid pull_policy \"{text}\""
                ))
                .with_hint("use always, missing, never, build or if_not_present")
            }),
        }
    }
}

/// Options of `pull`.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Services named on the command line (empty: all).
    pub services: Vec<String>,
    /// `--include-deps`.
    pub include_deps: bool,
    /// `--ignore-pull-failures`: failures are warnings.
    pub ignore_failures: bool,
    /// `--ignore-buildable`: skip services that have a `build:` section.
    pub ignore_buildable: bool,
    /// `--policy`: overrides each service's `pull_policy`.
    pub policy: Option<PullPolicy>,
    /// Report each layer's progress (off with `-q`).
    pub layers: bool,
}

/// Pull the images of the selected services.
pub async fn pull(
    docker: &Docker,
    project: &Project,
    options: &Options,
    progress: &Progress,
) -> Result<()> {
    let selected = super::select_services(project, &options.services, options.include_deps)?;
    // Image → the services that use it (the first one decides whether it can be built).
    let mut wanted: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for name in &selected {
        let Some(service) = project.services.get(name) else {
            continue;
        };
        let Some(image) = service.image.as_deref().filter(|i| !i.is_empty()) else {
            let built = service.image_name(&project.name, name);
            progress.image(&built, Action::Skipped("No image to be pulled".into()));
            continue;
        };
        let policy = match options.policy {
            Some(policy) => policy,
            None => PullPolicy::of(name, service)?.unwrap_or(PullPolicy::Always),
        };
        match policy {
            PullPolicy::Never | PullPolicy::Build => {
                progress.image(
                    image,
                    Action::Skipped(format!("pull_policy is {}", policy_name(policy))),
                );
                continue;
            }
            PullPolicy::Missing => {
                let latest = images::split_reference(image).1 == "latest";
                if !latest && images::local_id(docker, image).await?.is_some() {
                    progress.image(image, Action::Skipped("already present".into()));
                    continue;
                }
            }
            PullPolicy::Always => {}
        }
        if options.ignore_buildable && service.build.is_some() {
            progress.image(image, Action::Skipped("can be built".into()));
            continue;
        }
        wanted.entry(image.to_string()).or_default().push(name);
    }

    let pulls = wanted.keys().map(|image| async move {
        images::pull(docker, image, progress, options.layers)
            .await
            .err()
            .map(|e| (image.clone(), e))
    });
    let failures: Vec<(String, Error)> = join_all(pulls).await.into_iter().flatten().collect();

    let mut errors = Vec::new();
    for (image, error) in failures {
        let users = wanted.get(&image).cloned().unwrap_or_default();
        let buildable: Vec<&str> = users
            .iter()
            .copied()
            .filter(|s| project.services.get(*s).is_some_and(|s| s.build.is_some()))
            .collect();
        if !buildable.is_empty() {
            let warning = format!(
                "{}; it can be built instead: rcompose build {}",
                error.message,
                buildable.join(" ")
            );
            progress.image(&image, Action::Warning(warning));
        } else if options.ignore_failures {
            progress.image(&image, Action::Warning(error.message));
        } else {
            errors.push(error);
        }
    }
    Error::none_or_several(errors)
}

fn policy_name(policy: PullPolicy) -> &'static str {
    match policy {
        PullPolicy::Always => "always",
        PullPolicy::Missing => "missing",
        PullPolicy::Never => "never",
        PullPolicy::Build => "build",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_parse_as_compose_spells_them() {
        assert_eq!(PullPolicy::parse("always"), Some(PullPolicy::Always));
        assert_eq!(
            PullPolicy::parse("if_not_present"),
            Some(PullPolicy::Missing)
        );
        assert_eq!(PullPolicy::parse("missing"), Some(PullPolicy::Missing));
        assert_eq!(PullPolicy::parse("never"), Some(PullPolicy::Never));
        assert_eq!(PullPolicy::parse("build"), Some(PullPolicy::Build));
        assert_eq!(PullPolicy::parse("every_12h"), Some(PullPolicy::Missing));
        assert_eq!(PullPolicy::parse("sometimes"), None);
    }
}
