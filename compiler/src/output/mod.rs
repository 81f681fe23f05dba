//! What eksfed prints and writes: reports, CI formats, diagnostic codes, JSON Schemas and
//! `eksfed generate`'s stacks from live state.

pub mod ci_formats;
pub mod codes;
pub mod generate;
pub mod report;
pub mod schemas;
