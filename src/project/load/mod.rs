//! Loading a compose project: discover → read YAML with positions → interpolate → merge
//! (files, extends, include) → profiles → validate → typed model.

pub mod dotenv;
pub mod template;
pub mod yaml;
