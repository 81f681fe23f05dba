//! eksfed's compiler: pure (no network, no clock, no environment beyond what it is handed).
//!
//! The folders follow the pipeline, from text to plan (see ARCHITECTURE.md):
//!
//! 1. [`language`]: files to evaluated blocks — load and confinement, evaluation, values,
//!    functions, `dynamic`, typed variable types, lowering, `fmt`, the schema;
//! 2. [`desired`]: the desired state — compile stages, the typed model, resolution, what is
//!    unknown or sensitive, the dependency graph;
//! 3. [`kinds`]: one file per resource kind, with everything the pipeline knows about it;
//! 4. [`iam`]: the one policy engine — documents, statements, their normal form, patterns;
//! 5. [`lints`]: the checks of the desired state (lint rules and quotas);
//! 6. [`plan`]: render, the live snapshot, diff, adoption and the plan's integrity;
//! 7. [`review`]: the security review and the access model;
//! 8. [`output`]: reports, CI formats, diagnostic codes, JSON Schemas and `eksfed generate`.
//!
//! [`diag`] is the diagnostics every stage reports with; [`synthetic`] writes the stacks the
//! benchmarks and scale tests compile. [`desired::compile::compile`] runs the stages up to
//! the checked desired state.

pub mod desired;
pub mod diag;
pub mod iam;
pub mod kinds;
pub mod language;
pub mod lints;
pub mod output;
pub mod plan;
pub mod review;
pub mod synthetic;
