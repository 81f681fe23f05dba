//! The state of the walk of `evaluate`: a [`Frame`] per stack or module instance, what every
//! frame shares ([`Walk`]), and what `evaluate.rs` and `module_call.rs` both use (so neither
//! imports the other: `module_call` gets the frame's walk as a [`RunFrame`]).

use super::collect::Collected;
use super::inputs::E_FOR_EACH;
use super::modules::ModuleTree;
use crate::desired::model::Resource;
use crate::diag::{Diagnostic, Diagnostics, FileId, Span};
use crate::kinds::lowering::Ctx;
use crate::language::call::span_of;
use crate::language::call::FileReader;
use crate::language::eval::{Env, ResourceTable};
use crate::language::value::{Address, Value};
use hcl_edit::structure::Block;
use indexmap::IndexMap;
use std::collections::HashMap;

/// Evaluates one frame's blocks (`evaluate::run`), handed to `module_call`.
pub(super) type RunFrame = fn(&mut Frame, &Blocks<'_>, &Walk<'_, '_>, &mut Diagnostics);

/// One instance to evaluate: its `for_each` key and `each` values.
pub(super) type Instance = (Option<String>, Option<(Value, Value)>);

#[derive(Default)]
pub(super) struct Evaluated {
    pub instances: Vec<Resource>,
    /// What each instance reads: the reference edges of the instance graph.
    pub instance_deps: HashMap<Address, Vec<Address>>,
    pub export_reads: crate::desired::unknowns::ExportReads,
    pub imports: Vec<crate::desired::existing::Import>,
    /// The root frame's variables, locals and module outputs (set by `evaluate`).
    pub values: super::inputs::Values,
}

/// The blocks of the stack or of one module directory, and the order to evaluate them in.
pub(super) struct Blocks<'b> {
    pub collected: Collected<'b>,
    pub order: Vec<Address>,
}

/// What every frame of the walk shares: the reader, the account, the names expressions may
/// start with, the sources (for notes), the module directories and their blocks.
pub(super) struct Walk<'a, 'b> {
    pub run: RunFrame,
    pub files: &'a dyn FileReader,
    pub ctx: &'a Ctx<'a>,
    pub names: &'static [&'static str],
    pub sources: &'a crate::diag::SourceMap,
    pub tree: &'a ModuleTree,
    pub modules: &'a [Blocks<'b>],
}

/// What a local, a variable or a module's outputs read: resources (instance edges) and their
/// exports (`unknowns`), so what reads it reads them too.
#[derive(Default, Clone)]
pub(super) struct Derived {
    pub touched: Vec<Address>,
    pub reads: Vec<(Address, String)>,
}

/// The state of evaluating the stack or one module instance.
#[derive(Default)]
pub(super) struct Frame {
    /// The module instance (`module.a["k"]`); empty for the stack.
    pub prefix: String,
    /// The module's directory (for `path.module`); empty for the stack.
    pub dir: String,
    pub vars: IndexMap<String, Value>,
    pub locals: IndexMap<String, Value>,
    pub table: ResourceTable,
    /// By pseudo-address `local.NAME`, `var.NAME`, `module.NAME`.
    pub derived: HashMap<Address, Derived>,
    /// Every resource instance of each module block called here (what `depends_on` names).
    pub module_resources: HashMap<String, Vec<Address>>,
    pub out: Evaluated,
    /// The module's outputs (after the walk) and what they read.
    pub outputs: IndexMap<String, Value>,
    pub outputs_read: Derived,
}

impl Frame {
    pub fn env<'e>(&'e self, walk: &'e Walk<'_, '_>) -> Env<'e> {
        let mut env = Env::new(
            &self.vars,
            &self.locals,
            &self.table,
            walk.names,
            walk.files,
            walk.ctx.partition,
        );
        if !self.prefix.is_empty() {
            let path = IndexMap::from([
                ("module".to_string(), Value::String(self.dir.clone())),
                ("root".to_string(), Value::String(".".to_string())),
            ]);
            env.scopes.push(("path".to_string(), Value::Map(path)));
        }
        env
    }

    /// What an evaluation read, with locals, variables and modules replaced by what they
    /// read; the env's records are taken.
    pub fn derive(&self, env: &mut Env<'_>) -> Derived {
        let touched = std::mem::take(&mut env.touched);
        let mut reads = std::mem::take(&mut env.reads);
        let mut out: Vec<Address> = vec![];
        for a in touched {
            if is_pseudo(&a) {
                if let Some(d) = self.derived.get(&a) {
                    out.extend(d.touched.iter().cloned());
                    reads.extend(d.reads.iter().cloned());
                }
            } else {
                out.push(a);
            }
        }
        out.sort();
        out.dedup();
        reads.sort();
        reads.dedup();
        Derived {
            touched: out,
            reads,
        }
    }
}

/// A local, variable or module named in an expression (not a resource).
fn is_pseudo(a: &Address) -> bool {
    a.module.is_empty() && matches!(a.kind.as_str(), "local" | "var" | "module")
}

/// The instances of a block: one without `for_each`, one per element with it.
pub(super) fn instances_of(each_items: &Option<Vec<(String, Value)>>) -> Vec<Instance> {
    match each_items {
        None => vec![(None, None)],
        Some(items) => items
            .iter()
            .map(|(k, v)| (Some(k.clone()), Some((Value::String(k.clone()), v.clone()))))
            .collect(),
    }
}

/// A block's `for_each`, as (key, value) pairs: a map gives its entries, a set or list of
/// strings (s, s). `None` without `for_each`; no pairs after a diagnostic.
pub(super) fn eval_for_each(
    file: FileId,
    block: &Block,
    addr: &Address,
    env: &mut Env<'_>,
    diags: &mut Diagnostics,
) -> Option<Vec<(String, Value)>> {
    let fe = block.body.get_attribute("for_each")?;
    Some(match env.eval(&fe.value) {
        Ok(Value::Map(m)) => m.into_iter().collect(),
        Ok(Value::List(l)) => {
            let mut items = vec![];
            let mut ok = true;
            for v in l {
                match v.as_string() {
                    Some(s) => items.push((s.clone(), Value::String(s))),
                    None => ok = false,
                }
            }
            if !ok {
                diags.push(
                    Diagnostic::error(
                        E_FOR_EACH,
                        "`for_each` over a list must hold only strings (a set of strings)",
                    )
                    .at(Some(Span::new(file, span_of(&fe.value))))
                    .address(addr.to_string()),
                );
            }
            items
        }
        Ok(other) => {
            diags.push(
                Diagnostic::error(
                    E_FOR_EACH,
                    format!(
                        "`for_each` must be a map or a set of strings, got a {}",
                        other.type_name()
                    ),
                )
                .at(Some(Span::new(file, span_of(&fe.value))))
                .address(addr.to_string())
                .help("use a map (`{ a = ..., b = ... }`) or `toset([...])`"),
            );
            vec![]
        }
        Err(e) => {
            push_eval_error(diags, file, e);
            vec![]
        }
    })
}

pub(super) fn push_eval_error(
    diags: &mut Diagnostics,
    file: FileId,
    e: crate::language::call::EvalError,
) {
    let mut d = Diagnostic::error(e.code, e.message).at(Some(Span::new(file, e.range)));
    d.help = e.help;
    diags.push(d);
}
