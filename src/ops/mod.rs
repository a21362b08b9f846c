//! Operations on a project, one file each: the convergence [`plan`], and the operations that
//! execute it or act on the project's containers.

pub mod attach;
pub mod attach_service;
pub mod cp;
pub mod down;
pub mod events;
pub mod exec;
pub mod graph;
pub mod images;
pub mod lifecycle;
pub mod logs;
pub mod ls;
pub mod plan;
pub mod port;
pub mod ps;
pub mod run;
pub mod session;
pub mod stats;
pub mod table;
pub mod top;
pub mod up;
pub mod wait;
