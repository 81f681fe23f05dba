//! Reviews of a plan for people: the security review of what a change widens, and the access model
//! (who can reach what, from the stack and the live state).

pub mod access_model;
pub mod security;
