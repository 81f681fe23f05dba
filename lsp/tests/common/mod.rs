//! An in-process client for the protocol tests: the server on one end of
//! `Connection::memory()`, this client on the other, and a stack in a temporary directory.

#![allow(dead_code)]

use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::Duration;

pub struct Client {
    conn: Connection,
    server: Option<JoinHandle<Result<(), String>>>,
    next: i32,
    /// Notifications received while waiting for a response.
    pub queued: Vec<Notification>,
    pub init: Value,
    pub dir: PathBuf,
}

/// A fresh directory with these files.
pub fn stack(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("eksfed-lsp-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    for (f, text) in files {
        let p = dir.join(f);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("dir");
        std::fs::write(p, text).expect("write");
    }
    dir
}

pub fn uri(path: &Path) -> String {
    eksfed_lsp::stack::uri_of(path).as_str().to_string()
}

impl Client {
    /// Starts the server; `encodings` is what the client offers (`None`: nothing).
    pub fn start(dir: PathBuf, encodings: Option<&[&str]>) -> Client {
        let (server, client) = Connection::memory();
        let handle = std::thread::spawn(move || eksfed_lsp::server::serve(server));
        let mut c = Client {
            conn: client,
            server: Some(handle),
            next: 0,
            queued: vec![],
            init: Value::Null,
            dir,
        };
        let general = encodings.map(|e| json!({ "positionEncodings": e }));
        let caps = match general {
            Some(g) => json!({ "general": g }),
            None => json!({}),
        };
        c.init = c.request(
            "initialize",
            json!({ "capabilities": caps, "processId": null, "rootUri": null }),
        );
        c.notify("initialized", json!({}));
        c
    }

    pub fn notify(&self, method: &str, params: Value) {
        let n = Notification::new(method.into(), params);
        self.conn
            .sender
            .send(Message::Notification(n))
            .expect("send");
    }

    fn recv(&self) -> Message {
        self.conn
            .receiver
            .recv_timeout(Duration::from_secs(30))
            .expect("the server answers within 30 s")
    }

    /// Sends a request and waits for its result; an error response is `{"error": ...}`.
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        self.next += 1;
        let id = RequestId::from(self.next);
        let req = Request::new(id.clone(), method.into(), params);
        self.conn.sender.send(Message::Request(req)).expect("send");
        loop {
            match self.recv() {
                Message::Response(r) if r.id == id => {
                    return match r.response_result {
                        Err(e) => json!({ "error": { "code": e.code, "message": e.message } }),
                        Ok(v) => v,
                    }
                }
                Message::Notification(n) => self.queued.push(n),
                _ => {}
            }
        }
    }

    /// The diagnostics published for `path` at `version` (any version: `None`), skipping
    /// (and dropping) every notification before it.
    pub fn diagnostics_at(&mut self, path: &Path, version: Option<i32>) -> Vec<Value> {
        let want = uri(path);
        let is_for = |n: &Notification| {
            n.method == "textDocument/publishDiagnostics"
                && n.params["uri"] == want.as_str()
                && version.is_none_or(|v| n.params["version"] == v)
        };
        let found = |n: Notification| {
            n.params["diagnostics"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        };
        if let Some(i) = self.queued.iter().position(is_for) {
            let n = self.queued.remove(i);
            self.queued.drain(..i);
            return found(n);
        }
        self.queued.clear();
        loop {
            if let Message::Notification(n) = self.recv() {
                if is_for(&n) {
                    return found(n);
                }
            }
        }
    }

    /// The next diagnostics published for `path`.
    pub fn diagnostics(&mut self, path: &Path) -> Vec<Value> {
        self.diagnostics_at(path, None)
    }

    pub fn open(&self, name: &str) -> PathBuf {
        let path = self.dir.join(name);
        let text = std::fs::read_to_string(&path).expect("read");
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri(&path), "languageId": "hcl", "version": 1, "text": text } }),
        );
        path
    }

    pub fn change(&self, path: &Path, version: i32, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri(path), "version": version }, "contentChanges": [{ "text": text }] }),
        );
    }

    /// A request at a position of a file.
    pub fn at(
        &mut self,
        method: &str,
        path: &Path,
        line: u32,
        character: u32,
        extra: Value,
    ) -> Value {
        let mut params = json!({
            "textDocument": { "uri": uri(path) },
            "position": { "line": line, "character": character },
        });
        if let (Some(p), Some(e)) = (params.as_object_mut(), extra.as_object()) {
            p.extend(e.clone());
        }
        self.request(method, params)
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        if let Some(h) = self.server.take() {
            let r = h.join().expect("the server thread ends");
            if !std::thread::panicking() {
                r.expect("the server ends cleanly");
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The (line, character) of the first occurrence of `needle` in `text` (+ `skip` characters),
/// in UTF-16 code units or in bytes.
pub fn find(text: &str, needle: &str, skip: usize, utf16: bool) -> (u32, u32) {
    let at = text.find(needle).expect("needle in text") + skip;
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = text[..at].matches('\n').count() as u32;
    let col = &text[line_start..at];
    let character = if utf16 {
        col.encode_utf16().count()
    } else {
        col.len()
    };
    (line, character as u32)
}
