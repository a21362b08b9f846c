//! Building an image with the engine's classic builder (API 1.41, no BuildKit session): the
//! context goes as a tar (see [`super::context`]), the output comes back as lines reported
//! through progress events, and the image gets its extra tags afterwards.

use std::collections::{BTreeMap, HashMap};

use bollard::Docker;
use bollard::query_parameters::{BuildImageOptionsBuilder, BuilderVersion};
use futures_util::StreamExt;

use super::context::{self, Dockerfile};
use super::errors::message_of;
use super::images;
use crate::error::{Error, Result};
use crate::progress::{Action, Progress};

/// Everything one build needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildSpec {
    /// The name the image gets.
    pub image: String,
    /// More names for it (`build.tags`).
    pub tags: Vec<String>,
    /// A directory (absolute) or a Git/HTTP URL.
    pub context: String,
    pub dockerfile: Dockerfile,
    pub args: BTreeMap<String, String>,
    pub target: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub cache_from: Vec<String>,
    /// Network mode of `RUN` steps.
    pub network: Option<String>,
    pub shm_size: Option<u64>,
    /// `host:ip` entries for `/etc/hosts` of `RUN` steps.
    pub extra_hosts: Vec<String>,
    pub no_cache: bool,
    /// Pull newer versions of the base images.
    pub pull: bool,
    /// Memory limit of the build's containers, in bytes (`build --memory`).
    pub memory: Option<i64>,
}

/// Whether a context is a remote one the engine fetches itself.
pub fn is_remote_context(context: &str) -> bool {
    ["http://", "https://", "git://", "git@", "github.com/"]
        .iter()
        .any(|p| context.starts_with(p))
}

/// Build `spec`, reporting `Building`, each output line (when `output`), then `Built`. Returns
/// the image ID.
pub async fn build(
    docker: &Docker,
    spec: &BuildSpec,
    progress: &Progress,
    output: bool,
) -> Result<String> {
    progress.image(&spec.image, Action::Building);
    match run(docker, spec, progress, output).await {
        Ok(id) => {
            progress.image(&spec.image, Action::Built);
            Ok(id)
        }
        Err(e) => {
            progress.image(&spec.image, Action::Error(e.message.clone()));
            Err(Error::new(format!(
                "cannot build image {}: {}",
                spec.image, e.message
            )))
        }
    }
}

async fn run(
    docker: &Docker,
    spec: &BuildSpec,
    progress: &Progress,
    output: bool,
) -> Result<String> {
    let remote = is_remote_context(&spec.context);
    let (body, dockerfile) = if remote {
        let dockerfile = match &spec.dockerfile {
            Dockerfile::Path(path) => path.clone(),
            Dockerfile::Inline(_) => {
                return Err(Error::new(
                    "dockerfile_inline needs a local build context, not a URL",
                ));
            }
        };
        (None, dockerfile)
    } else {
        let root = std::path::PathBuf::from(&spec.context);
        let which = spec.dockerfile.clone();
        let made = tokio::task::spawn_blocking(move || context::tar(&root, &which))
            .await
            .map_err(|e| Error::new(format!("cannot prepare the build context: {e}")))??;
        (Some(bollard::body_full(made.tar.into())), made.dockerfile)
    };

    let args: HashMap<String, String> = spec.args.clone().into_iter().collect();
    let labels: HashMap<String, String> = spec.labels.clone().into_iter().collect();
    let mut options = BuildImageOptionsBuilder::default()
        .dockerfile(&dockerfile)
        .t(&spec.image)
        .nocache(spec.no_cache)
        .rm(true)
        .forcerm(true)
        .buildargs(&args)
        .labels(&labels)
        .version(BuilderVersion::BuilderV1);
    if remote {
        options = options.remote(&spec.context);
    }
    if !spec.cache_from.is_empty() {
        options = options.cachefrom(&spec.cache_from);
    }
    if let Some(target) = &spec.target {
        options = options.target(target);
    }
    if let Some(network) = &spec.network {
        options = options.networkmode(network);
    }
    if spec.pull {
        options = options.pull("1");
    }
    // The options type holds one `extrahosts` and an `i32` shm size: the rest goes on the query
    // as the engine reads it (the parameter repeated).
    let extra = extra_query(spec);
    let client = if extra.is_empty() {
        docker.clone()
    } else {
        docker.clone().with_request_modifier(move |mut request| {
            append_query(&mut request, "/build", &extra);
            request
        })
    };

    let mut stream = client.build_image(options.build(), None, body);
    let mut image_id = None;
    let mut partial = String::new();
    while let Some(item) = stream.next().await {
        let info = match item {
            Ok(info) => info,
            Err(bollard::errors::Error::DockerStreamError { error }) => {
                return Err(Error::new(error.trim().replace('\n', " ")));
            }
            Err(e) => return Err(Error::new(message_of(&e))),
        };
        if let Some(message) = info.error_detail.and_then(|d| d.message) {
            return Err(Error::new(message.trim().replace('\n', " ")));
        }
        if let Some(id) = info.aux.and_then(|a| a.id) {
            image_id = Some(id);
        }
        if let Some(text) = info.stream {
            partial.push_str(&text);
            while let Some(end) = partial.find('\n') {
                let line: String = partial.drain(..=end).collect();
                let line = line.trim_end();
                if output && !line.is_empty() {
                    progress.image(&spec.image, Action::Output(line.to_string()));
                }
            }
        }
    }
    if output && !partial.trim().is_empty() {
        progress.image(&spec.image, Action::Output(partial.trim_end().to_string()));
    }
    for tag in &spec.tags {
        images::tag(&client, &spec.image, tag).await?;
    }
    match image_id {
        Some(id) => Ok(id),
        None => images::local_id(&client, &spec.image)
            .await?
            .ok_or_else(|| Error::new("the build finished without an image")),
    }
}

/// Query parameters the options type cannot carry: every extra host and the shm size.
fn extra_query(spec: &BuildSpec) -> String {
    let mut pairs: Vec<String> = spec
        .extra_hosts
        .iter()
        .map(|h| format!("extrahosts={}", encode(h)))
        .collect();
    if let Some(size) = spec.shm_size {
        pairs.push(format!("shmsize={size}"));
    }
    if let Some(memory) = spec.memory {
        pairs.push(format!("memory={memory}"));
    }
    pairs.join("&")
}

/// Percent-encode a query value.
fn encode(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:/[]".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Append `extra` to the query of `request` when its path ends with `path`.
fn append_query(request: &mut bollard::BollardRequest, path: &str, extra: &str) {
    let mut parts = request.uri().clone().into_parts();
    let Some(current) = parts.path_and_query.as_ref() else {
        return;
    };
    if !current.path().ends_with(path) {
        return;
    }
    let joined = match current.query() {
        Some(query) if !query.is_empty() => format!("{}?{query}&{extra}", current.path()),
        _ => format!("{}?{extra}", current.path()),
    };
    let Ok(path_and_query) = joined.parse() else {
        return;
    };
    parts.path_and_query = Some(path_and_query);
    if let Ok(uri) = http::Uri::from_parts(parts) {
        *request.uri_mut() = uri;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_query_repeats_hosts() {
        let spec = BuildSpec {
            image: "x".into(),
            tags: vec![],
            context: "/tmp".into(),
            dockerfile: Dockerfile::Path("Dockerfile".into()),
            args: BTreeMap::new(),
            target: None,
            labels: BTreeMap::new(),
            cache_from: vec![],
            network: None,
            shm_size: Some(3 << 30),
            extra_hosts: vec!["a:1.1.1.1".into(), "b:::1".into()],
            no_cache: false,
            pull: false,
            memory: None,
        };
        assert_eq!(
            extra_query(&spec),
            "extrahosts=a:1.1.1.1&extrahosts=b:::1&shmsize=3221225472"
        );
        let limited = BuildSpec {
            memory: Some(512 << 20),
            extra_hosts: vec![],
            shm_size: None,
            ..spec
        };
        assert_eq!(extra_query(&limited), "memory=536870912");
    }

    #[test]
    fn queries_are_appended_to_the_build_request_only() {
        let mut request = bollard::BollardRequest::new(bollard::body_full(Vec::new().into()));
        *request.uri_mut() = "http://localhost/v1.41/build?t=x".parse().unwrap();
        append_query(&mut request, "/build", "extrahosts=a:1");
        assert_eq!(
            request.uri().to_string(),
            "http://localhost/v1.41/build?t=x&extrahosts=a:1"
        );
        *request.uri_mut() = "http://localhost/v1.41/images/x/tag".parse().unwrap();
        append_query(&mut request, "/build", "extrahosts=a:1");
        assert_eq!(
            request.uri().to_string(),
            "http://localhost/v1.41/images/x/tag"
        );
    }

    #[test]
    fn remote_contexts() {
        assert!(is_remote_context("https://github.com/o/r.git"));
        assert!(is_remote_context("git@github.com:o/r.git"));
        assert!(!is_remote_context("/src/app"));
    }
}
