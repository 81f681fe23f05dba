//! The desired state: compile stages, the typed model, resolution, what is unknown or sensitive,
//! and the dependency graph.

pub mod compile;
pub mod existing;
pub mod graph;
pub mod model;
pub mod redact;
pub mod resolve;
pub mod sensitive;
pub mod unknowns;
