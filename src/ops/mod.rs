//! Operations on a project, one file each: the convergence [`plan`], and the operations that
//! execute it or act on the project's containers.

pub mod attach;
pub mod down;
pub mod lifecycle;
pub mod plan;
pub mod ps;
pub mod up;
