//! Talking to the Docker Engine: connecting ([`connection`]) to the engine [`endpoint`] chooses
//! (also over [`ssh`]), the compose labels and naming rules ([`labels`]), what the engine reports
//! about a project ([`observe`]), its event stream ([`events`]), one-call primitives for
//! containers, networks and volumes, and raw JSON answers where bollard's models lose fields
//! ([`raw`]).

pub mod api_version;
pub mod archive;
pub mod build;
pub mod config_hash;
pub mod connection;
pub mod containers;
pub mod context;
pub mod convert;
pub mod dockerignore;
pub mod endpoint;
pub mod errors;
pub mod events;
pub mod exec;
pub mod images;
pub mod labels;
pub mod logs;
pub mod name_lock;
pub mod observe;
pub mod raw;
pub mod resources;
pub mod ssh;

pub use api_version::ApiVersion;
