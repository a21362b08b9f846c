//! `push`: the images of the selected services that are built and named (`build:` and
//! `image:`), with their extra `build.tags`, all at once.

use bollard::Docker;
use futures_util::future::join_all;

use crate::engine::images;
use crate::error::{Error, Result};
use crate::progress::{Action, Progress};
use crate::project::model::Project;

/// Options of `push`.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Services named on the command line (empty: all).
    pub services: Vec<String>,
    /// `--include-deps`.
    pub include_deps: bool,
    /// `--ignore-push-failures`: failures are warnings.
    pub ignore_failures: bool,
    /// Report each layer's progress (off with `-q`).
    pub layers: bool,
}

/// Push the images of the selected services.
pub async fn push(
    docker: &Docker,
    project: &Project,
    options: &Options,
    progress: &Progress,
) -> Result<()> {
    let selected = super::select_services(project, &options.services, options.include_deps)?;
    let mut wanted: Vec<String> = Vec::new();
    for name in &selected {
        let Some(service) = project.services.get(name) else {
            continue;
        };
        let image = service.image.as_deref().filter(|i| !i.is_empty());
        let (Some(image), Some(build)) = (image, &service.build) else {
            let shown = service.image_name(&project.name, name);
            progress.image(
                &shown,
                Action::Skipped("not built here, or not named".into()),
            );
            continue;
        };
        for tag in std::iter::once(image).chain(build.tags.iter().map(String::as_str)) {
            if !wanted.iter().any(|w| w == tag) {
                wanted.push(tag.to_string());
            }
        }
    }
    let pushes = wanted.iter().map(|image| async move {
        images::push(docker, image, progress, options.layers)
            .await
            .err()
            .map(|e| (image.clone(), e))
    });
    let mut errors = Vec::new();
    for (image, error) in join_all(pushes).await.into_iter().flatten() {
        if options.ignore_failures {
            progress.image(&image, Action::Warning(error.message));
        } else {
            errors.push(error);
        }
    }
    Error::none_or_several(errors)
}
