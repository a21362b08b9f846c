//! Talking to the Docker Engine: connecting ([`connection`]), the compose labels and naming
//! rules shared by everything that creates or finds engine objects ([`labels`]), and raw JSON
//! answers where bollard's models lose fields ([`raw`]).

pub mod connection;
pub mod labels;
pub mod raw;
