//! eksfed runtime: all IO.
