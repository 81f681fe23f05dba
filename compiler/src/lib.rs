//! eksfed compiler: pure.
