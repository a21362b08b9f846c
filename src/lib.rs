//! rcompose: a compose-style multi-container launcher.
//!
//! Data flows one way: CLI args → project options → [`project::load`] → [`project::model::Project`]
//! → [`ops`] plan → execute through [`engine`] → [`progress`] events → renderer.

pub mod cli;
pub mod docker_cli;
pub mod engine;
pub mod error;
pub mod graph;
pub mod k8s;
pub mod ops;
pub mod progress;
pub mod project;
pub mod swarm;
pub mod templates;
pub mod terminal;
pub mod time;

pub use error::{Error, Result};
