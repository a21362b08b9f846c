//! `build`: the images of the selected services that have a `build:` section, each image once,
//! named `image:` or `<project>-<service>` and labelled with the project and service as
//! docker compose labels them; `--push` pushes them afterwards.

use std::collections::BTreeMap;

use bollard::Docker;
use futures_util::future::join_all;

use crate::engine::build::{self as engine_build, BuildSpec};
use crate::engine::context::Dockerfile;
use crate::engine::{images, labels};
use crate::error::{Error, Result};
use crate::progress::{Action, Progress};
use crate::project::model::{BuildConfig, Project, Service};

/// Options of `build` (and of the builds `up` makes).
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Services named on the command line (empty: all).
    pub services: Vec<String>,
    /// `--with-dependencies`.
    pub with_deps: bool,
    /// `--build-arg KEY[=VALUE]`, over the service's own `build.args`.
    pub args: BTreeMap<String, Option<String>>,
    pub no_cache: bool,
    /// `--pull`: pull newer base images.
    pub pull: bool,
    /// Report the build output (off with `-q`).
    pub output: bool,
    /// `--push`: push each image (and its tags) once built.
    pub push: bool,
    /// `--memory`: memory limit of the build's containers, in bytes.
    pub memory: Option<i64>,
}

/// The build of `service` (which has a `build:` section) as the engine needs it.
/// `environment` resolves arguments given without a value.
pub fn spec(
    project: &Project,
    environment: &BTreeMap<String, String>,
    name: &str,
    service: &Service,
    options: &Options,
) -> Result<BuildSpec> {
    let Some(build) = &service.build else {
        return Err(Error::new(format!(
            "service \"{name}\" has no build section"
        )));
    };
    let mut args: BTreeMap<String, String> = BTreeMap::new();
    for (key, value) in build.args.iter().chain(options.args.iter()) {
        let value = value.clone().or_else(|| environment.get(key).cloned());
        match value {
            Some(value) => {
                args.insert(key.clone(), value);
            }
            None => {
                args.remove(key);
            }
        }
    }
    let mut image_labels = build.labels.clone();
    for (key, value) in labels::image_labels(&project.name, name) {
        image_labels.insert(key, value);
    }
    let dockerfile = match (&build.dockerfile_inline, &build.dockerfile) {
        (Some(inline), _) => Dockerfile::Inline(inline.clone()),
        // An empty name (`dockerfile: ${UNSET}`) is the default, as in docker compose.
        (None, Some(path)) if !path.is_empty() => Dockerfile::Path(path.clone()),
        (None, _) => Dockerfile::Path("Dockerfile".to_string()),
    };
    let shm_size = match build.shm_size {
        Some(size) => Some(u64::try_from(size.0).map_err(|_| {
            Error::new(format!(
                "service \"{name}\": build.shm_size must not be negative"
            ))
        })?),
        None => None,
    };
    Ok(BuildSpec {
        image: service.image_name(&project.name, name),
        tags: build.tags.clone(),
        context: build.context.clone(),
        dockerfile,
        args,
        target: build.target.clone().filter(|t| !t.is_empty()),
        labels: image_labels,
        cache_from: build.cache_from.clone(),
        network: build.network.clone().filter(|n| !n.is_empty()),
        shm_size,
        extra_hosts: build
            .extra_hosts
            .iter()
            .flat_map(|(host, ips)| ips.iter().map(move |ip| format!("{host}:{ip}")))
            .collect(),
        no_cache: options.no_cache || build.no_cache,
        pull: options.pull || build.pull,
        memory: options.memory,
    })
}

/// The keys of `build` that only BuildKit understands, when set: the classic builder rcompose
/// drives ignores them.
pub fn buildkit_only(build: &BuildConfig) -> Vec<&'static str> {
    let set = [
        ("ssh", !build.ssh.is_empty()),
        ("secrets", !build.secrets.is_empty()),
        ("cache_to", !build.cache_to.is_empty()),
        ("additional_contexts", !build.additional_contexts.is_empty()),
        ("platforms", !build.platforms.is_empty()),
        ("entitlements", !build.entitlements.is_empty()),
        ("privileged", build.privileged),
    ];
    set.iter()
        .filter(|(_, on)| *on)
        .map(|(key, _)| *key)
        .collect()
}

/// Build the images of `services` (those with a `build:` section), all at once, each image
/// once. Returns image name → ID.
pub async fn build_services(
    docker: &Docker,
    project: &Project,
    environment: &BTreeMap<String, String>,
    services: &[String],
    options: &Options,
    progress: &Progress,
) -> Result<BTreeMap<String, String>> {
    let mut specs: BTreeMap<String, (String, BuildSpec)> = BTreeMap::new();
    for name in services {
        let Some(service) = project.services.get(name) else {
            continue;
        };
        if service.build.is_none() {
            continue;
        }
        let spec = spec(project, environment, name, service, options)?;
        if let Some(build) = &service.build {
            let ignored = buildkit_only(build);
            if !ignored.is_empty() {
                progress.image(
                    &spec.image,
                    Action::Warning(format!(
                        "service \"{name}\": build.{} need BuildKit and are ignored by the classic builder",
                        ignored.join(", build.")
                    )),
                );
            }
        }
        specs
            .entry(spec.image.clone())
            .or_insert((name.clone(), spec));
    }
    let builds = specs.values().map(|(name, spec)| async move {
        let id = engine_build::build(docker, spec, progress, options.output)
            .await
            .map_err(|e| e.context(format!("service \"{name}\"")))?;
        if options.push {
            for image in std::iter::once(&spec.image).chain(spec.tags.iter()) {
                images::push(docker, image, progress, options.output).await?;
            }
        }
        Ok::<_, Error>((spec.image.clone(), id))
    });
    let mut built = BTreeMap::new();
    let mut errors = Vec::new();
    for result in join_all(builds).await {
        match result {
            Ok((image, id)) => {
                built.insert(image, id);
            }
            Err(e) => errors.push(e),
        }
    }
    Error::none_or_several(errors)?;
    Ok(built)
}

/// `rcompose build`: the selected services' images. Warns when there is nothing to build.
pub async fn build(
    docker: &Docker,
    project: &Project,
    environment: &BTreeMap<String, String>,
    options: &Options,
    progress: &Progress,
) -> Result<BTreeMap<String, String>> {
    let selected = super::select_services(project, &options.services, options.with_deps)?;
    let buildable: Vec<String> = selected
        .into_iter()
        .filter(|s| project.services.get(s).is_some_and(|s| s.build.is_some()))
        .collect();
    if buildable.is_empty() {
        progress.warn("no services to build");
        return Ok(BTreeMap::new());
    }
    build_services(docker, project, environment, &buildable, options, progress).await
}
