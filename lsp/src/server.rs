//! The server: initialisation (capabilities, position encoding), the message loop, and the
//! diagnostics worker. Requests are answered on the reader's thread from the open buffers'
//! syntax; compiles for diagnostics run on a worker thread, which coalesces bursts of changes
//! (a debounce) and publishes for every file of the stack.

use crate::analysis::Analysis;
use crate::index::FileIndex;
use crate::pos::Encoding;
use crate::stack::{path_of, uri_of, Overlay, Stack};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use lsp_server::{Connection, Message, Notification, Response};
use lsp_types::notification::Notification as _;
use lsp_types::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How long the worker waits for more changes before it compiles.
pub const DEBOUNCE: Duration = Duration::from_millis(40);

pub fn capabilities(enc: Encoding) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(enc.kind()),
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".into()]),
            ..Default::default()
        }),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: Default::default(),
        })),
        document_formatting_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        ..Default::default()
    }
}

/// Runs the server on a connection until the client shuts it down and exits. Errors are the
/// protocol's (a closed connection, a malformed initialisation), as text.
pub fn serve(conn: Connection) -> Result<(), String> {
    let (id, params) = conn.initialize_start().map_err(|e| e.to_string())?;
    let init: InitializeParams = serde_json::from_value(params).map_err(|e| e.to_string())?;
    let offered = init
        .capabilities
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.as_deref());
    let enc = Encoding::negotiate(offered);
    let result = serde_json::json!({
        "capabilities": capabilities(enc),
        "serverInfo": { "name": "eksfed", "version": env!("CARGO_PKG_VERSION") },
    });
    conn.initialize_finish(id, result)
        .map_err(|e| e.to_string())?;
    let (jobs, job_rx) = crossbeam_channel::unbounded();
    let sender = conn.sender.clone();
    let compiles = crate::stack::Compiles::default();
    let cache = compiles.clone();
    let worker = std::thread::spawn(move || diagnostics_worker(&job_rx, &sender, enc, &cache));
    let mut server = Server {
        enc,
        open: HashMap::new(),
        versions: HashMap::new(),
        compiles,
        last_good: HashMap::new(),
        jobs,
    };
    for msg in &conn.receiver {
        match msg {
            Message::Request(req) => {
                if conn.handle_shutdown(&req).map_err(|e| e.to_string())? {
                    break;
                }
                let id = req.id.clone();
                let resp = match crate::requests::handle(&mut server, req) {
                    Ok(v) => Response::new_ok(id, v),
                    Err((code, message)) => Response::new_err(id, code as i32, message),
                };
                conn.sender
                    .send(Message::Response(resp))
                    .map_err(|e| e.to_string())?;
            }
            Message::Notification(n) => server.notification(n),
            Message::Response(_) => {}
        }
    }
    drop(server);
    worker
        .join()
        .map_err(|_| "the diagnostics worker panicked".to_string())
}

/// The server's state: the negotiated encoding, the open buffers, each file's last index
/// that parsed, and the worker's queue.
pub struct Server {
    pub enc: Encoding,
    open: HashMap<PathBuf, String>,
    /// The open buffers' versions, published with their diagnostics.
    versions: HashMap<PathBuf, i32>,
    compiles: crate::stack::Compiles,
    last_good: HashMap<PathBuf, FileIndex>,
    jobs: Sender<Job>,
}

/// A stack to compile, and the versions of its open files.
struct Job {
    stack: Stack,
    versions: HashMap<PathBuf, i32>,
}

fn stack_dir(path: &Path) -> PathBuf {
    path.parent().map(Path::to_path_buf).unwrap_or_default()
}

impl Server {
    fn overlay(&self) -> Overlay {
        Arc::new(self.open.clone())
    }

    /// The stack of a file (its directory), as open and on disk, with its indexes.
    pub fn analysis(&mut self, path: &Path) -> Analysis {
        let stack = Stack::read(&stack_dir(path), self.overlay());
        Analysis::new(stack, &mut self.last_good, self.compiles.clone())
    }

    fn notification(&mut self, n: Notification) {
        let changed = match n.method.as_str() {
            notification::DidOpenTextDocument::METHOD => {
                serde_json::from_value::<DidOpenTextDocumentParams>(n.params)
                    .ok()
                    .and_then(|p| {
                        let path = path_of(&p.text_document.uri)?;
                        Some((path, p.text_document.version, p.text_document.text))
                    })
            }
            notification::DidChangeTextDocument::METHOD => {
                serde_json::from_value::<DidChangeTextDocumentParams>(n.params)
                    .ok()
                    .and_then(|p| {
                        let text = p.content_changes.into_iter().last()?.text;
                        let path = path_of(&p.text_document.uri)?;
                        Some((path, p.text_document.version, text))
                    })
            }
            notification::DidCloseTextDocument::METHOD => {
                let closed = serde_json::from_value::<DidCloseTextDocumentParams>(n.params)
                    .ok()
                    .and_then(|p| path_of(&p.text_document.uri));
                if let Some(path) = closed {
                    self.open.remove(&path);
                    self.versions.remove(&path);
                    self.schedule(&path);
                }
                None
            }
            _ => None,
        };
        if let Some((path, version, text)) = changed {
            self.open.insert(path.clone(), text);
            self.versions.insert(path.clone(), version);
            self.schedule(&path);
        }
    }

    /// Queues the file's stack (or the stacks that call its module) for the diagnostics worker.
    fn schedule(&self, path: &Path) {
        let overlay = self.overlay();
        for dir in crate::stack::stack_dirs(path, &overlay) {
            let stack = Stack::read(&dir, overlay.clone());
            let versions = self.versions.clone();
            // The worker ends only when the server drops its sender, so this cannot fail.
            let _ = self.jobs.send(Job { stack, versions });
        }
    }
}

fn diagnostics_worker(
    jobs: &Receiver<Job>,
    out: &Sender<Message>,
    enc: Encoding,
    cache: &crate::stack::Compiles,
) {
    let mut published: HashMap<PathBuf, BTreeSet<PathBuf>> = HashMap::new();
    while let Ok(first) = jobs.recv() {
        let mut pending: BTreeMap<PathBuf, Job> = BTreeMap::new();
        pending.insert(first.stack.dir.clone(), first);
        loop {
            match jobs.recv_timeout(DEBOUNCE) {
                Ok(job) => {
                    pending.insert(job.stack.dir.clone(), job);
                }
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        for (dir, job) in pending {
            let compiled = Arc::new(job.stack.compile());
            let files = crate::diagnostics::by_file(&compiled, enc);
            let before = published.remove(&dir).unwrap_or_default();
            for gone in before.iter().filter(|p| !files.contains_key(*p)) {
                publish(out, gone, vec![], job.versions.get(gone).copied());
            }
            for (path, diags) in &files {
                publish(out, path, diags.clone(), job.versions.get(path).copied());
            }
            published.insert(dir.clone(), files.into_keys().collect());
            if let Ok(mut m) = cache.lock() {
                m.insert(
                    dir,
                    (job.stack.files.clone(), job.stack.overlay(), compiled),
                );
            }
        }
    }
}

fn publish(out: &Sender<Message>, path: &Path, diagnostics: Vec<Diagnostic>, version: Option<i32>) {
    let params = PublishDiagnosticsParams::new(uri_of(path), diagnostics, version);
    let n = Notification::new(notification::PublishDiagnostics::METHOD.into(), params);
    // A closed connection ends the server's loop; nothing to do here.
    let _ = out.send(Message::Notification(n));
}
