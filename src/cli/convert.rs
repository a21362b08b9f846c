//! `rcompose convert`: the project as another platform's configuration. `kubernetes` writes
//! Kubernetes manifests, one multi-document stream or one file per object.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use super::{GlobalArgs, load_project, write_output};
use crate::error::{Error, Result};
use crate::k8s;

#[derive(Debug, Args)]
pub struct ConvertArgs {
    #[command(subcommand)]
    pub target: Target,
}

#[derive(Debug, Subcommand)]
pub enum Target {
    /// Kubernetes manifests: a Deployment, StatefulSet, DaemonSet or Job and a Service per
    /// service, PersistentVolumeClaims, ConfigMaps (configs, env files) and Secrets
    Kubernetes(KubernetesArgs),
}

#[derive(Debug, Args)]
pub struct KubernetesArgs {
    /// Write one file per object (`<kind>-<name>.yaml`) into this directory, made if missing
    /// (default: one multi-document stream on standard output)
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,
}

pub fn run(global: GlobalArgs, args: ConvertArgs) -> Result<i32> {
    match args.target {
        Target::Kubernetes(args) => kubernetes(global, args),
    }
}

fn kubernetes(global: GlobalArgs, args: KubernetesArgs) -> Result<i32> {
    let opts = global.load_options(&[])?;
    let loaded = load_project(&global, &opts)?;
    loaded.require_environment(&[], false)?;
    let conversion = k8s::convert(&k8s::Inputs {
        project: &loaded.project,
        environment: &loaded.environment,
        working_dir: &loaded.working_dir,
    })?;
    let progress = global.warnings();
    for warning in &conversion.warnings {
        progress.warn(warning.clone());
    }
    match &args.output {
        None => write_output(&conversion.to_stream(), None)?,
        Some(dir) => write_files(&conversion, dir)?,
    }
    Ok(0)
}

fn write_files(conversion: &k8s::Conversion, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::new(format!("cannot create {}: {e}", dir.display())))?;
    for manifest in &conversion.manifests {
        let path = dir.join(manifest.file_name());
        std::fs::write(&path, manifest.to_yaml())
            .map_err(|e| Error::new(format!("cannot write {}: {e}", path.display())))?;
    }
    // What the command did, not a warning: the conversion's only output besides the files
    // (standard output stays free for `kubernetes` without `--output`).
    eprintln!(
        "wrote {} manifests to {}",
        conversion.manifests.len(),
        dir.display()
    );
    Ok(())
}
