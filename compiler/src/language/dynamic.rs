//! Terraform's `dynamic` blocks, expanded while a body is evaluated (before anything reads
//! the `EvBlock`), so schema checks, lints, spans and rendering see ordinary blocks:
//!
//! ```hcl
//! dynamic "statement" {
//!   for_each = local.buckets          # a list, set or map
//!   iterator = bucket                 # optional; the block's name by default
//!   labels   = [bucket.key]           # for labelled blocks (`inline_policy "NAME"`)
//!   content {
//!     actions   = ["s3:GetObject"]
//!     resources = ["arn:aws:s3:::${bucket.value}/*"]
//!   }
//! }
//! ```
//!
//! Inside `content`, `ITERATOR.key` is the list index or map key and `ITERATOR.value` the
//! element. `dynamic` blocks nest; each `content` is evaluated against the schema of the block
//! it generates, so a diagnostic in it points at its line in `content`.

use crate::diag::{Diagnostic, Diagnostics, FileId, Span};
use crate::language::call::span_of;
use crate::language::call::suggest;
use crate::language::eval::{iterate, Env};
use crate::language::evblock::{head_span, label_text, EvBlock, E_DUPLICATE, E_LABELS};
use crate::language::evblock::{E_MISSING_ATTR, E_TYPE, E_UNKNOWN_ATTR, E_UNKNOWN_BLOCK};
use crate::language::schema::BlockSchema;
use crate::language::value::Value;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Body, Structure};
use hcl_edit::Span as _;
use indexmap::IndexMap;

/// How a `content` body is evaluated: `lower::eval_body`, passed in by its caller (which
/// expands nested `dynamic` blocks in turn) so this file does not import `lower`.
pub type EvalBody = fn(
    FileId,
    &Body,
    &'static BlockSchema,
    Span,
    Vec<String>,
    &mut Env<'_>,
    &mut Diagnostics,
) -> EvBlock;

/// Expands `dynamic "NAME" { ... }` found in a body of kind `parent` into the blocks it
/// generates, appended to `out`.
pub fn expand(
    file: FileId,
    block: &Block,
    parent: &'static BlockSchema,
    env: &mut Env<'_>,
    diags: &mut Diagnostics,
    out: &mut Vec<EvBlock>,
    eval_body: EvalBody,
) {
    let head = head_span(file, block);
    let Some((name, inner, many)) = generated(file, block, parent, diags) else {
        return;
    };
    let Parts {
        for_each,
        iterator,
        labels,
        content,
    } = parts(file, block, diags);
    let (Some(for_each), Some(content)) = (for_each, content) else {
        let missing = if for_each.is_none() {
            "the attribute `for_each` (a list, set or map)"
        } else {
            "a `content` block"
        };
        diags.push(
            Diagnostic::error(E_MISSING_ATTR, format!("`dynamic` needs {missing}")).at(Some(head)),
        );
        return;
    };
    let items = match env.eval(for_each).and_then(|v| match v {
        Value::List(_) | Value::Map(_) | Value::Null => iterate(v, span_of(for_each)),
        other => Err(crate::language::call::EvalError::new(
            crate::language::call::E_EXPR,
            format!(
                "`for_each` of a `dynamic` block must be a list, set or map, not {}",
                other.type_name()
            ),
            span_of(for_each),
        )),
    }) {
        Ok(items) => items,
        Err(e) => {
            let mut d = Diagnostic::error(e.code, e.message).at(Some(Span::new(file, e.range)));
            d.help = e.help;
            diags.push(d);
            return;
        }
    };
    let already = out.iter().filter(|b| b.kind == inner.name).count();
    if !many && items.len() + already > 1 {
        diags.push(
            Diagnostic::error(
                E_DUPLICATE,
                format!(
                    "only one `{name}` block is allowed here, but `for_each` gives {}{}",
                    items.len(),
                    if already > 0 { " more" } else { "" }
                ),
            )
            .at(Some(Span::new(file, span_of(for_each)))),
        );
        return;
    }
    let iter_name = iterator.map(|(n, _)| n).unwrap_or_else(|| name.clone());
    let content_span = head_span(file, content);
    // Each iteration evaluates the same `content`: a mistake in it is reported once.
    let before = diags.0.len();
    let mut iter_diags = Diagnostics::default();
    for (k, v) in items {
        let diags = &mut iter_diags;
        env.scopes.push((
            iter_name.clone(),
            Value::Map(IndexMap::from([
                ("key".to_string(), k),
                ("value".to_string(), v),
            ])),
        ));
        let labels = eval_labels(file, labels, inner, &name, &head, env, diags);
        if let Some(labels) = labels {
            out.push(eval_body(
                file,
                &content.body,
                inner,
                content_span.clone(),
                labels,
                env,
                diags,
            ));
        }
        env.scopes.pop();
    }
    for d in iter_diags.0 {
        let dup = diags.0[before..]
            .iter()
            .any(|x| x.code == d.code && x.message == d.message && x.span == d.span);
        if !dup {
            diags.push(d);
        }
    }
}

/// The block a `dynamic` block generates, from its label: (name, schema, whether the parent
/// takes many). `None` after a diagnostic.
fn generated(
    file: FileId,
    block: &Block,
    parent: &'static BlockSchema,
    diags: &mut Diagnostics,
) -> Option<(String, &'static BlockSchema, bool)> {
    let head = head_span(file, block);
    if block.labels.len() != 1 {
        diags.push(
            Diagnostic::error(
                E_LABELS,
                "`dynamic` takes one label: the type of block it generates",
            )
            .at(Some(head)),
        );
        return None;
    }
    let name = label_text(&block.labels[0]);
    let Some((inner, many)) = parent.block(&name) else {
        let cands: Vec<&str> = parent.blocks.iter().map(|(b, _)| b.name).collect();
        let help = suggest(&name, cands.iter().copied())
            .map(|s| format!("did you mean `{s}`?"))
            .unwrap_or_else(|| {
                if cands.is_empty() {
                    format!("`{}` has no nested blocks", parent.name)
                } else {
                    format!("`{}` takes the blocks: {}", parent.name, cands.join(", "))
                }
            });
        diags.push(
            Diagnostic::error(
                E_UNKNOWN_BLOCK,
                format!(
                    "`dynamic` block of unknown type `{name}` in `{}`",
                    parent.name
                ),
            )
            .at(Some(head))
            .help(help),
        );
        return None;
    };

    Some((name, inner, many))
}

/// What a `dynamic` block's body holds, each part checked as it is read.
struct Parts<'b> {
    for_each: Option<&'b Expression>,
    iterator: Option<(String, std::ops::Range<usize>)>,
    labels: Option<&'b Expression>,
    content: Option<&'b Block>,
}

fn parts<'b>(file: FileId, block: &'b Block, diags: &mut Diagnostics) -> Parts<'b> {
    let mut for_each: Option<&Expression> = None;
    let mut iterator: Option<(String, std::ops::Range<usize>)> = None;
    let mut labels: Option<&Expression> = None;
    let mut content: Option<&Block> = None;
    for s in block.body.iter() {
        match s {
            Structure::Attribute(a) => match a.key.value().as_str() {
                "for_each" => for_each = Some(&a.value),
                "labels" => labels = Some(&a.value),
                "iterator" => match &a.value {
                    Expression::Variable(v) => {
                        iterator = Some((v.value().to_string(), span_of(&a.value)))
                    }
                    other => diags.push(
                        Diagnostic::error(E_TYPE, "`iterator` must be a bare name, e.g. `bucket`")
                            .at(Some(Span::new(file, span_of(other)))),
                    ),
                },
                other => diags.push(
                    Diagnostic::error(
                        E_UNKNOWN_ATTR,
                        format!("unknown attribute `{other}` in `dynamic`"),
                    )
                    .at(Some(Span::new(file, a.key.span().unwrap_or(0..0))))
                    .help(
                        suggest(other, ["for_each", "iterator", "labels"])
                            .map(|s| format!("did you mean `{s}`?"))
                            .unwrap_or_else(|| {
                                "`dynamic` takes: for_each, iterator, labels, and a `content` block"
                                    .to_string()
                            }),
                    ),
                ),
            },
            Structure::Block(b) if b.ident.value().as_str() == "content" => {
                if content.is_some() {
                    diags.push(
                        Diagnostic::error(E_DUPLICATE, "only one `content` block is allowed here")
                            .at(Some(head_span(file, b))),
                    );
                } else {
                    content = Some(b);
                }
            }
            Structure::Block(b) => diags.push(
                Diagnostic::error(
                    E_UNKNOWN_BLOCK,
                    format!("unknown block `{}` in `dynamic`", b.ident.value().as_str()),
                )
                .at(Some(head_span(file, b)))
                .help("`dynamic` holds one `content` block"),
            ),
        }
    }
    Parts {
        for_each,
        iterator,
        labels,
        content,
    }
}

fn eval_labels(
    file: FileId,
    labels: Option<&Expression>,
    inner: &'static BlockSchema,
    name: &str,
    head: &Span,
    env: &mut Env<'_>,
    diags: &mut Diagnostics,
) -> Option<Vec<String>> {
    let got: Vec<String> = match labels {
        None => vec![],
        Some(e) => match env.eval(e) {
            Ok(Value::List(l)) => {
                let mut out = vec![];
                for x in l {
                    match x.as_string() {
                        Some(s) => out.push(s),
                        None => {
                            diags.push(
                                Diagnostic::error(
                                    E_TYPE,
                                    format!("`labels` must be strings, got a {}", x.type_name()),
                                )
                                .at(Some(Span::new(file, span_of(e)))),
                            );
                            return None;
                        }
                    }
                }
                out
            }
            Ok(other) => {
                diags.push(
                    Diagnostic::error(
                        E_TYPE,
                        format!(
                            "`labels` must be a list of strings, got a {}",
                            other.type_name()
                        ),
                    )
                    .at(Some(Span::new(file, span_of(e)))),
                );
                return None;
            }
            Err(err) => {
                let mut d =
                    Diagnostic::error(err.code, err.message).at(Some(Span::new(file, err.range)));
                d.help = err.help;
                diags.push(d);
                return None;
            }
        },
    };
    if got.len() != inner.labels.len() {
        let at = labels
            .map(|e| Span::new(file, span_of(e)))
            .unwrap_or_else(|| head.clone());
        diags.push(
            Diagnostic::error(
                E_LABELS,
                format!(
                    "`{name}` takes {} label(s) ({}), `dynamic` gives {}",
                    inner.labels.len(),
                    inner.labels.join(", "),
                    got.len()
                ),
            )
            .at(Some(at))
            .help(if inner.labels.is_empty() {
                "remove `labels`".to_string()
            } else {
                "set `labels = [...]` in the `dynamic` block".to_string()
            }),
        );
        return None;
    }
    Some(got)
}
