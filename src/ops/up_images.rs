//! The images `up` (and `create`) needs before creating containers: per service, kept when
//! present, pulled or built as its `pull_policy` and `--build`/`--no-build`/`--pull` say.
//! Pulls run all at once first, then builds (a failed pull of a service that can be built is
//! only a warning).

use std::collections::BTreeMap;

use bollard::Docker;
use futures_util::future::join_all;

use super::build;
use super::pull::PullPolicy;
use crate::engine::images;
use crate::error::{Error, Result};
use crate::progress::{Action, Progress};
use crate::project::model::Project;

/// Whether `up` builds images.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BuildMode {
    /// Build images that are missing (and those with `pull_policy: build`).
    #[default]
    Missing,
    /// `--build`: build every service that has a `build:` section.
    Always,
    /// `--no-build`: never build; a missing image that only a build can give is an error.
    Never,
}

/// Options of the image step of `up`.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub build_mode: BuildMode,
    /// `--pull`: overrides each service's `pull_policy`.
    pub pull: Option<PullPolicy>,
    /// `--quiet-pull`: no layer progress.
    pub quiet_pull: bool,
    /// Builds (arguments, output...).
    pub build: build::Options,
    /// Variables that resolve build arguments given without a value.
    pub environment: BTreeMap<String, String>,
}

/// What to do for one image.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Need {
    Present(String),
    Pull,
    Build,
}

/// Make sure the images of `services` exist. Returns image name → ID.
pub async fn ensure(
    docker: &Docker,
    project: &Project,
    services: &[String],
    options: &Options,
    progress: &Progress,
) -> Result<BTreeMap<String, String>> {
    // Image → (first service using it, what to do).
    let mut needs: BTreeMap<String, (String, Need)> = BTreeMap::new();
    for name in services {
        let Some(service) = project.services.get(name) else {
            continue;
        };
        let image = service.image_name(&project.name, name);
        if needs.contains_key(&image) {
            continue;
        }
        let policy = match options.pull {
            Some(policy) => policy,
            None => PullPolicy::of(name, service)?.unwrap_or(PullPolicy::Missing),
        };
        let buildable = service.build.is_some();
        let named = service.image.as_deref().is_some_and(|i| !i.is_empty());
        let wants_build =
            buildable && (options.build_mode == BuildMode::Always || policy == PullPolicy::Build);
        let need = if wants_build {
            Need::Build
        } else {
            let local = images::local_id(docker, &image).await?;
            match (policy, local) {
                (PullPolicy::Always, _) if named => Need::Pull,
                (_, Some(id)) => Need::Present(id),
                (PullPolicy::Never, None) if !buildable => {
                    return Err(Error::new(format!(
                        "service \"{name}\": image {image} is not present and pull_policy is never"
                    ))
                    .with_hint(format!(
                        "pull it first (rcompose pull --policy always {name}) or change its pull_policy"
                    )));
                }
                (PullPolicy::Never, None) => Need::Build,
                (_, None) if named => Need::Pull,
                (_, None) => Need::Build,
            }
        };
        if need == Need::Build && options.build_mode == BuildMode::Never {
            return Err(Error::new(format!(
                "service \"{name}\": image {image} must be built, and --no-build was given"
            )));
        }
        needs.insert(image, (name.clone(), need));
    }

    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    let layers = !options.quiet_pull;
    let pulls = needs
        .iter()
        .filter(|(_, (_, need))| *need == Need::Pull)
        .map(|(image, (name, _))| async move {
            let result = images::pull(docker, image, progress, layers).await;
            (image.clone(), name.clone(), result)
        });
    let mut to_build: Vec<String> = Vec::new();
    let mut errors = Vec::new();
    for (image, name, result) in join_all(pulls).await {
        let buildable = project
            .services
            .get(&name)
            .is_some_and(|s| s.build.is_some());
        match result {
            Ok(()) => {
                ids.insert(image.clone(), images::pulled_id(docker, &image).await?);
            }
            Err(e) if buildable && options.build_mode != BuildMode::Never => {
                progress.image(
                    &image,
                    Action::Warning(format!("{}; building it instead", e.message)),
                );
                to_build.push(name);
            }
            Err(e) => errors.push(e),
        }
    }
    Error::none_or_several(errors)?;
    for (image, (name, need)) in &needs {
        match need {
            Need::Present(id) => {
                ids.insert(image.clone(), id.clone());
            }
            Need::Build => to_build.push(name.clone()),
            Need::Pull => {}
        }
    }
    if !to_build.is_empty() {
        let built = build::build_services(
            docker,
            project,
            &options.environment,
            &to_build,
            &options.build,
            progress,
        )
        .await?;
        ids.extend(built);
    }
    Ok(ids)
}

/// The local IDs of the images of `services`, without pulling or building (`--dry-run`).
pub async fn local(
    docker: &Docker,
    project: &Project,
    services: &[String],
) -> Result<BTreeMap<String, String>> {
    let mut ids = BTreeMap::new();
    for name in services {
        if let Some(service) = project.services.get(name) {
            let image = service.image_name(&project.name, name);
            if let Some(id) = images::local_id(docker, &image).await? {
                ids.insert(image, id);
            }
        }
    }
    Ok(ids)
}
