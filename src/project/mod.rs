//! The compose project: its typed model and how it is loaded from files.

pub mod emit;
pub mod load;
pub mod model;
