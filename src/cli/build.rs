//! `rcompose build`: build the images of the services that have a `build:` section, with the
//! engine's classic builder, streaming the build output.

use std::collections::BTreeMap;

use clap::Args;

use super::GlobalArgs;
use super::target::{block_on, engine};
use crate::error::{Error, Result};
use crate::ops::build;
use crate::project::model::Bytes;

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Set a build-time variable (KEY=VALUE, or KEY to take it from the environment)
    #[arg(long = "build-arg", value_name = "KEY[=VALUE]")]
    pub build_args: Vec<String>,
    /// Do not use the cache when building
    #[arg(long)]
    pub no_cache: bool,
    /// Always attempt to pull newer versions of the base images
    #[arg(long)]
    pub pull: bool,
    /// Push the images once built
    #[arg(long)]
    pub push: bool,
    /// Don't print the build output
    #[arg(short, long)]
    pub quiet: bool,
    /// Also build the services' dependencies
    #[arg(long)]
    pub with_dependencies: bool,
    /// Memory limit of the build's containers (e.g. 512m)
    #[arg(short, long, value_name = "BYTES")]
    pub memory: Option<String>,
    /// Print the equivalent BuildKit bake file (needs BuildKit: not available)
    #[arg(long)]
    pub print: bool,
    /// Check the build configuration with BuildKit's checks (needs BuildKit: not available)
    #[arg(long)]
    pub check: bool,
    /// SSH authentications for the build (needs BuildKit: not available)
    #[arg(long, value_name = "SPEC")]
    pub ssh: Option<String>,
    /// The buildx builder to use (needs BuildKit: not available)
    #[arg(long, value_name = "NAME")]
    pub builder: Option<String>,
    /// Provenance attestation (needs BuildKit: not available)
    #[arg(long, value_name = "VALUE", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub provenance: Option<String>,
    /// SBOM attestation (needs BuildKit: not available)
    #[arg(long, value_name = "VALUE", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub sbom: Option<String>,
    /// Services to build (all when none is given)
    pub services: Vec<String>,
}

/// The flags that only BuildKit implements, when given: rcompose drives the engine's classic
/// builder.
fn buildkit_only(args: &BuildArgs) -> Option<&'static str> {
    if args.print {
        Some("--print (a BuildKit bake file)")
    } else if args.check {
        Some("--check (BuildKit's build checks)")
    } else if args.ssh.as_deref().is_some_and(|s| !s.is_empty()) {
        Some("--ssh (SSH agent forwarding into the build)")
    } else if args.builder.is_some() {
        Some("--builder (a buildx builder)")
    } else if args.provenance.as_deref().is_some_and(|v| v != "false") {
        Some("--provenance (build attestations)")
    } else if args.sbom.as_deref().is_some_and(|v| v != "false") {
        Some("--sbom (build attestations)")
    } else {
        None
    }
}

/// `KEY=VALUE` → (KEY, Some(VALUE)); `KEY` → (KEY, None).
pub fn parse_build_args(items: &[String]) -> BTreeMap<String, Option<String>> {
    items
        .iter()
        .map(|item| match item.split_once('=') {
            Some((key, value)) => (key.to_string(), Some(value.to_string())),
            None => (item.clone(), None),
        })
        .collect()
}

pub fn run(mut global: GlobalArgs, args: BuildArgs) -> Result<i32> {
    if let Some(what) = buildkit_only(&args) {
        return Err(Error::new(format!(
            "build {what} needs BuildKit, and rcompose builds with the engine's classic builder"
        ))
        .with_hint("leave the flag out, or build this project with `docker buildx bake`"));
    }
    let memory = args
        .memory
        .as_deref()
        .map(|m| {
            Bytes::parse(m)
                .map(|b| b.0)
                .map_err(|e| Error::new(format!("build --memory {m:?}: {e}")))
        })
        .transpose()?;
    let services = global.take_file_arguments(&args.services);
    let loaded = super::load_project(&global, &global.load_options(&services)?)?;
    let progress = if args.quiet {
        crate::progress::Progress::quiet()
    } else {
        global.progress("Building")
    };
    let options = build::Options {
        services,
        with_deps: args.with_dependencies,
        args: parse_build_args(&args.build_args),
        no_cache: args.no_cache,
        pull: args.pull,
        output: !args.quiet,
        push: args.push,
        memory,
    };
    let result = block_on(async {
        let engine = engine().await?;
        let building = build::build(
            &engine.docker,
            &loaded.project,
            &loaded.environment,
            &options,
            &progress,
        );
        // Ctrl-C cancels the build: dropping the request closes the connection, and the
        // engine stops the build; exit status 130 as with docker compose.
        tokio::select! {
            built = building => built.map(|_| 0),
            _ = tokio::signal::ctrl_c() => Ok(130),
        }
    });
    progress.finish();
    if let Ok(130) = result {
        // The answer to the user's Ctrl+C, shown in every --progress mode (as `up` does).
        eprintln!("interrupted: the build was cancelled");
    }
    result
}
