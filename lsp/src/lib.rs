//! eksfed's language server (`eksfed lsp`): the Language Server Protocol over a connection
//! (standard input and output for the CLI), on top of the compiler's public API.
//!
//! [`server`] runs the loop and the diagnostics worker; [`stack`] reads a file's stack (open
//! buffers over disk) and compiles it; [`index`] and [`analysis`] hold the syntax the
//! requests ([`requests`]) read: [`hover`], [`complete`], [`nav`] (definition, references,
//! rename, symbols). [`pos`] converts byte offsets to positions in the negotiated encoding.

pub mod analysis;
pub mod complete;
pub mod diagnostics;
pub mod hover;
pub mod index;
pub mod nav;
pub mod pos;
pub mod requests;
pub mod server;
pub mod stack;

/// Serves the protocol on standard input and output until the client exits.
pub fn run_stdio() -> Result<(), String> {
    let (conn, io) = lsp_server::Connection::stdio();
    server::serve(conn)?;
    io.join().map_err(|e| e.to_string())
}
