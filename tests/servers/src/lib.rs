//! Test-only servers (see the binaries under `src/bin`).
