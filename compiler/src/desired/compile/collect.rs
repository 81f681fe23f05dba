//! Stage *collect*: the top-level blocks of the loaded files, sorted by kind; unknown blocks,
//! wrong label counts and duplicates reported.

use crate::diag::{Diagnostic, Diagnostics, FileId, Span};
use crate::kinds::id::KindId;
use crate::language::call::suggest;
use crate::language::evblock::head_span;
use crate::language::evblock::label_text;
use crate::language::schema;
use crate::language::value::Address;
use hcl_edit::structure::{Attribute, Block, Structure};
use hcl_edit::Span as _;
use std::collections::{HashMap, HashSet};

pub(super) struct ResourceBlock<'b> {
    pub file: FileId,
    pub block: &'b Block,
    pub kind: &'static str,
    pub label: String,
}

impl ResourceBlock<'_> {
    pub fn address(&self) -> Address {
        Address::new(self.kind, &self.label, None)
    }
}

/// The top-level blocks, by kind, in file order.
pub(super) struct Collected<'b> {
    pub stacks: Vec<(FileId, &'b Block)>,
    pub variables: Vec<(FileId, &'b Block)>,
    pub locals: Vec<(FileId, &'b Attribute)>,
    pub aws: Vec<(FileId, &'b Block)>,
    pub resources: Vec<ResourceBlock<'b>>,
    pub import_blocks: Vec<(FileId, &'b Block)>,
    pub modules: Vec<(FileId, &'b Block)>,
    pub outputs: Vec<(FileId, &'b Block)>,
}

/// The blocks of a stack's files, or of a module's (`in_module`: the blocks that belong to
/// the stack are E0801 there).
pub(super) fn collect<'b>(
    bodies: &'b [(FileId, hcl_edit::structure::Body)],
    sources: &crate::diag::SourceMap,
    in_module: bool,
    diags: &mut Diagnostics,
) -> Collected<'b> {
    let mut stacks: Vec<(FileId, &Block)> = vec![];
    let mut variables: Vec<(FileId, &Block)> = vec![];
    let mut locals: Vec<(FileId, &Attribute)> = vec![];
    let mut aws: Vec<(FileId, &Block)> = vec![];
    let mut resources: Vec<ResourceBlock<'_>> = vec![];
    let mut import_blocks: Vec<(FileId, &Block)> = vec![];
    let mut modules: Vec<(FileId, &Block)> = vec![];
    let mut outputs: Vec<(FileId, &Block)> = vec![];
    let mut seen: HashMap<String, Span> = HashMap::new();
    let mut local_names: HashSet<String> = HashSet::new();
    for (file, body) in bodies {
        for s in body.iter() {
            match s {
                Structure::Attribute(a) => {
                    diags.push(
                        Diagnostic::error(
                            crate::language::evblock::E_UNKNOWN_ATTR,
                            format!("attribute `{}` outside of a block", a.key.value()),
                        )
                        .at(Some(Span::new(*file, a.key.span().unwrap_or(0..0))))
                        .help("put it in `locals { ... }` or in a resource block"),
                    );
                }
                Structure::Block(b) => {
                    let name = b.ident.value().as_str();
                    if !known_block(*file, b, diags) {
                        continue;
                    }
                    if in_module && STACK_ONLY.contains(&name) {
                        diags.push(stack_only(*file, b));
                        continue;
                    }
                    let span = head_span(*file, b);
                    let key = format!(
                        "{name}.{}",
                        b.labels.first().map(label_text).unwrap_or_default()
                    );
                    if !["locals", "aws", "stack", "import"].contains(&name) {
                        if let Some(prev) = seen.get(&key) {
                            let at = sources
                                .locate(prev)
                                .map(|(f, l, c)| format!("{f}:{l}:{c}"))
                                .unwrap_or_default();
                            diags.push(
                                Diagnostic::error(
                                    crate::language::evblock::E_DUPLICATE,
                                    format!("duplicate `{key}`; first declared at {at}"),
                                )
                                .at(Some(span))
                                .address(key.clone()),
                            );
                            continue;
                        }
                        seen.insert(key.clone(), span);
                    }
                    match name {
                        "stack" => stacks.push((*file, b)),
                        "variable" => variables.push((*file, b)),
                        "aws" => aws.push((*file, b)),
                        "import" => import_blocks.push((*file, b)),
                        "module" => modules.push((*file, b)),
                        "output" => outputs.push((*file, b)),
                        "locals" => collect_locals(*file, b, &mut local_names, &mut locals, diags),
                        kind => {
                            // Unknown block types were reported above.
                            let Some(id) = KindId::parse(kind) else {
                                continue;
                            };
                            resources.push(ResourceBlock {
                                file: *file,
                                block: b,
                                kind: id.name(),
                                label: label_text(&b.labels[0]),
                            });
                        }
                    }
                }
            }
        }
    }
    Collected {
        stacks,
        variables,
        locals,
        aws,
        resources,
        import_blocks,
        modules,
        outputs,
    }
}

/// The blocks that belong to the stack, never to a module.
const STACK_ONLY: &[&str] = &["stack", "aws", "cluster", "import"];

/// E0801: a block of the stack in a module's file.
fn stack_only(file: FileId, b: &Block) -> Diagnostic {
    let name = b.ident.value().as_str();
    let help = match name {
        "cluster" => "declare the cluster in the stack and pass it in: `cluster = cluster.prod` in the `module` block, `var.cluster` inside",
        "import" => "import blocks stay in the stack's own files (they may target module addresses)",
        _ => "the stack's files say where everything goes; a module takes what it needs as variables",
    };
    Diagnostic::error(
        super::inputs::E_MODULE_BLOCK,
        format!("`{name}` blocks belong to the stack, not to a module"),
    )
    .at(Some(head_span(file, b)))
    .help(help)
}

/// Whether a top-level block is of a known type with the right number of labels; if not,
/// says so.
fn known_block(file: FileId, b: &Block, diags: &mut Diagnostics) -> bool {
    let name = b.ident.value().as_str();
    let Some(sch) = schema::top_level(name) else {
        let cands = schema::TOP_LEVEL.iter().map(|b| b.name);
        diags.push(
            Diagnostic::error(
                crate::language::evblock::E_UNKNOWN_BLOCK,
                format!("unknown block type `{name}`"),
            )
            .at(Some(head_span(file, b)))
            .help(
                suggest(name, cands)
                    .map(|s| format!("did you mean `{s}`?"))
                    .unwrap_or_else(|| {
                        format!(
                            "blocks: {}",
                            schema::TOP_LEVEL
                                .iter()
                                .map(|b| b.name)
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    }),
            ),
        );
        return false;
    };
    if b.labels.len() != sch.labels.len() {
        diags.push(
            Diagnostic::error(
                crate::language::evblock::E_LABELS,
                format!(
                    "`{name}` takes {} label(s), got {}",
                    sch.labels.len(),
                    b.labels.len()
                ),
            )
            .at(Some(head_span(file, b)))
            .help(if sch.labels.is_empty() {
                format!("write `{name} {{ ... }}`")
            } else {
                format!("write `{name} \"NAME\" {{ ... }}`")
            }),
        );
        return false;
    }
    true
}

/// The attributes of a `locals` block, each name once across the stack.
fn collect_locals<'b>(
    file: FileId,
    b: &'b Block,
    local_names: &mut HashSet<String>,
    locals: &mut Vec<(FileId, &'b Attribute)>,
    diags: &mut Diagnostics,
) {
    for s in b.body.iter() {
        match s {
            Structure::Attribute(a) => {
                let lname = a.key.value().to_string();
                if !local_names.insert(lname.clone()) {
                    diags.push(
                        Diagnostic::error(
                            crate::language::evblock::E_DUPLICATE,
                            format!("duplicate local value `{lname}`"),
                        )
                        .at(Some(Span::new(file, a.key.span().unwrap_or(0..0)))),
                    );
                } else {
                    locals.push((file, a));
                }
            }
            Structure::Block(ib) => diags.push(
                Diagnostic::error(
                    crate::language::evblock::E_UNKNOWN_BLOCK,
                    "`locals` holds attributes only",
                )
                .at(Some(head_span(file, ib))),
            ),
        }
    }
}
