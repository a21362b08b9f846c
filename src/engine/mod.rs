//! Talking to the Docker Engine: connecting ([`connection`]) and the compose labels and
//! naming rules shared by everything that creates or finds engine objects ([`labels`]).

pub mod connection;
pub mod labels;
