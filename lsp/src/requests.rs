//! The requests the server answers, each from an analysis of the file's stack.

use crate::pos;
use crate::server::Server;
use crate::stack::path_of;
use lsp_server::{ErrorCode, Request};
use lsp_types::request::{self, Request as _};
use lsp_types::*;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::path::PathBuf;

type Answer = Result<Value, (ErrorCode, String)>;

fn params<P: DeserializeOwned>(req: Request) -> Result<P, (ErrorCode, String)> {
    serde_json::from_value(req.params).map_err(|e| (ErrorCode::InvalidParams, e.to_string()))
}

fn file(uri: &Uri) -> Result<PathBuf, (ErrorCode, String)> {
    path_of(uri).ok_or_else(|| {
        (
            ErrorCode::InvalidParams,
            format!("not a file URI: {}", uri.as_str()),
        )
    })
}

fn json<T: serde::Serialize>(v: T) -> Answer {
    serde_json::to_value(v).map_err(|e| (ErrorCode::InternalError, e.to_string()))
}

pub fn handle(s: &mut Server, req: Request) -> Answer {
    let enc = s.enc;
    match req.method.as_str() {
        request::HoverRequest::METHOD => {
            let p: HoverParams = params(req)?;
            let (path, pos) = (
                file(&p.text_document_position_params.text_document.uri)?,
                p.text_document_position_params.position,
            );
            let a = s.analysis(&path);
            let offset = pos::offset(a.text(&path), pos, enc);
            json(crate::hover::hover(&a, &path, offset).map(|(md, r)| Hover {
                contents: HoverContents::Markup(MarkupContent {
                    kind: MarkupKind::Markdown,
                    value: md,
                }),
                range: Some(pos::range(a.text(&path), r, enc)),
            }))
        }
        request::Completion::METHOD => {
            let p: CompletionParams = params(req)?;
            let (path, pos) = (
                file(&p.text_document_position.text_document.uri)?,
                p.text_document_position.position,
            );
            let a = s.analysis(&path);
            let offset = pos::offset(a.text(&path), pos, enc);
            json(CompletionResponse::Array(crate::complete::complete(
                &a, &path, offset,
            )))
        }
        request::GotoDefinition::METHOD => {
            let p: GotoDefinitionParams = params(req)?;
            let (path, pos) = (
                file(&p.text_document_position_params.text_document.uri)?,
                p.text_document_position_params.position,
            );
            let a = s.analysis(&path);
            let offset = pos::offset(a.text(&path), pos, enc);
            json(GotoDefinitionResponse::Array(crate::nav::definition(
                &a, &path, offset, enc,
            )))
        }
        request::References::METHOD => {
            let p: ReferenceParams = params(req)?;
            let (path, pos) = (
                file(&p.text_document_position.text_document.uri)?,
                p.text_document_position.position,
            );
            let a = s.analysis(&path);
            let offset = pos::offset(a.text(&path), pos, enc);
            json(crate::nav::references(
                &a,
                &path,
                offset,
                p.context.include_declaration,
                enc,
            ))
        }
        request::PrepareRenameRequest::METHOD => {
            let p: TextDocumentPositionParams = params(req)?;
            let path = file(&p.text_document.uri)?;
            let a = s.analysis(&path);
            let offset = pos::offset(a.text(&path), p.position, enc);
            json(crate::nav::prepare_rename(&a, &path, offset).map(|(r, t)| {
                PrepareRenameResponse::RangeWithPlaceholder {
                    range: pos::range(a.text(&path), r, enc),
                    placeholder: t.name,
                }
            }))
        }
        request::Rename::METHOD => {
            let p: RenameParams = params(req)?;
            let (path, pos) = (
                file(&p.text_document_position.text_document.uri)?,
                p.text_document_position.position,
            );
            let a = s.analysis(&path);
            let offset = pos::offset(a.text(&path), pos, enc);
            let edit = crate::nav::rename(&a, &path, offset, &p.new_name, enc)
                .map_err(|m| (ErrorCode::InvalidParams, m))?;
            json(edit)
        }
        request::Formatting::METHOD => {
            let p: DocumentFormattingParams = params(req)?;
            let path = file(&p.text_document.uri)?;
            let a = s.analysis(&path);
            let text = a.text(&path);
            let formatted = eksfed_compiler::language::fmt::format(text);
            let edits = (formatted != text).then(|| {
                vec![TextEdit::new(
                    pos::range(text, 0..text.len(), enc),
                    formatted,
                )]
            });
            json(edits.unwrap_or_default())
        }
        request::DocumentSymbolRequest::METHOD => {
            let p: DocumentSymbolParams = params(req)?;
            let path = file(&p.text_document.uri)?;
            let a = s.analysis(&path);
            json(DocumentSymbolResponse::Nested(crate::nav::symbols(
                &a, &path, enc,
            )))
        }
        m => Err((
            ErrorCode::MethodNotFound,
            format!("eksfed lsp does not answer `{m}`"),
        )),
    }
}
