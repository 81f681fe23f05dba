//! The language: text to evaluated blocks. Loading and confinement, evaluation with its values,
//! functions and `dynamic` blocks, typed variable types, lowering, `fmt` and the schema.

pub mod call;
pub mod confine;
pub mod dynamic;
pub mod eval;
pub mod evblock;
pub mod fmt;
pub mod functions;
pub mod load;
pub mod lower;
pub mod schema;
pub mod value;
pub mod var_type;
pub mod workspace;
