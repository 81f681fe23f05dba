//! Stage *evaluate*: locals and resource blocks in dependency order. A resource's `for_each`
//! is expanded into instances; each instance is lowered against its schema (`eval_block`) and
//! resolved to its typed kind, and its exports become what later blocks read. What each local
//! and instance reads (resources: the instance edges; exports: `unknowns`) is carried through
//! locals. `import` blocks last, once every resource is known.

use super::collect::ResourceBlock;
use super::inputs::E_FOR_EACH;
use crate::desired::model::Resource;
use crate::desired::resolve::{self};
use crate::diag::{Diagnostic, Diagnostics, FileId, Span};
use crate::kinds::lowering::Ctx;
use crate::language::call::span_of;
use crate::language::call::FileReader;
use crate::language::eval::{Env, ResourceTable};
use crate::language::evblock::EvBlock;
use crate::language::lower::eval_block;
use crate::language::schema::{self, RESOURCE_KINDS};
use crate::language::value::{Address, ResourceValue, Value};
use hcl_edit::structure::{Attribute, Block};
use indexmap::IndexMap;
use std::collections::HashMap;

/// One instance to evaluate: its `for_each` key and `each` values.
type Instance = (Option<String>, Option<(Value, Value)>);

pub(super) struct Evaluated {
    pub instances: Vec<Resource>,
    /// What each instance reads: the reference edges of the instance graph.
    pub instance_deps: HashMap<Address, Vec<Address>>,
    pub export_reads: crate::desired::unknowns::ExportReads,
    pub imports: Vec<crate::desired::existing::Import>,
}

#[allow(clippy::too_many_arguments)]
pub(super) fn evaluate(
    order: &[Address],
    locals: &[(FileId, &Attribute)],
    resources: &[ResourceBlock<'_>],
    import_blocks: &[(FileId, &Block)],
    vars: &IndexMap<String, Value>,
    files: &dyn FileReader,
    ctx: &Ctx<'_>,
    diags: &mut Diagnostics,
) -> Evaluated {
    let sources = Sources {
        vars,
        files,
        partition: ctx.partition,
    };
    let mut local_values: IndexMap<String, Value> = IndexMap::new();
    // What each local (transitively) reads, and what each instance reads: the instance edges.
    let mut local_touched: HashMap<String, Vec<Address>> = HashMap::new();
    let mut instance_deps: HashMap<Address, Vec<Address>> = HashMap::new();
    // The same for the exports read: what each local reads (transitively), each instance.
    let mut local_reads: HashMap<String, Vec<(Address, String)>> = HashMap::new();
    let mut export_reads = crate::desired::unknowns::ExportReads::default();
    let mut table = ResourceTable::new();
    let mut instances: Vec<Resource> = vec![];
    // Each block looked up by its address once: linear in the stack, not quadratic.
    let local_by_name: HashMap<&str, &(FileId, &Attribute)> = locals
        .iter()
        .map(|l| (l.1.key.value().as_str(), l))
        .collect();
    let resource_by_addr: HashMap<Address, &ResourceBlock<'_>> =
        resources.iter().map(|r| (r.address(), r)).collect();
    for addr in order {
        if addr.kind == "local" {
            let Some((f, a)) = local_by_name.get(addr.label.as_str()).copied() else {
                continue;
            };
            let mut env = sources.env(&local_values, &table);
            let result = env.eval(&a.value);
            let touched = std::mem::take(&mut env.touched);
            let reads = expand_reads(std::mem::take(&mut env.reads), &touched, &local_reads);
            local_reads.insert(addr.label.clone(), reads);
            let deps = expand_locals(touched, &local_touched);
            local_touched.insert(addr.label.clone(), deps);
            match result {
                Ok(v) => {
                    local_values.insert(addr.label.clone(), v);
                }
                Err(e) => push_eval_error(diags, *f, e),
            }
            continue;
        }
        let Some(rb) = resource_by_addr.get(addr).copied() else {
            continue;
        };
        let sch = schema::top_level(rb.kind).unwrap_or(&crate::kinds::role::SCHEMA);
        let mut env = sources.env(&local_values, &table);
        let each_items = eval_for_each(rb, addr, &mut env, diags);
        let for_each_touched = std::mem::take(&mut env.touched);
        let for_each_reads = expand_reads(
            std::mem::take(&mut env.reads),
            &for_each_touched,
            &local_reads,
        );
        let for_each_deps = expand_locals(for_each_touched, &local_touched);
        let instances_of: Vec<Instance> = match &each_items {
            None => vec![(None, None)],
            Some(items) => items
                .iter()
                .map(|(k, v)| (Some(k.clone()), Some((Value::String(k.clone()), v.clone()))))
                .collect(),
        };
        let mut exported: IndexMap<String, Value> = IndexMap::new();
        for (key, each) in instances_of {
            let inst_addr = Address::new(rb.kind, &rb.label, key.clone());
            let mut env = Env {
                each,
                ..sources.env(&local_values, &table)
            };
            let ev: EvBlock = eval_block(rb.file, rb.block, sch, &mut env, diags);
            let touched = std::mem::take(&mut env.touched);
            let mut reads = expand_reads(std::mem::take(&mut env.reads), &touched, &local_reads);
            reads.extend(for_each_reads.iter().cloned());
            export_reads.insert(&inst_addr, reads);
            let mut deps = expand_locals(touched, &local_touched);
            deps.extend(for_each_deps.iter().cloned());
            instance_deps.insert(inst_addr.clone(), deps);
            let mut local_diags = Diagnostics::default();
            let kind = resolve::resolve(&inst_addr, &ev, ctx, &mut local_diags);
            for mut d in local_diags.0 {
                d.address.get_or_insert(inst_addr.to_string());
                diags.push(d);
            }
            let attrs = crate::kinds::exports(&kind, ctx);
            let value = Value::Resource(Box::new(ResourceValue {
                address: inst_addr.clone(),
                attrs,
            }));
            // A block without `for_each` is its one instance, under "".
            exported.insert(key.clone().unwrap_or_default(), value);
            let depends_on = depends_on(&ev);
            let prevent_destroy = ev
                .blocks_of("lifecycle")
                .any(|l| l.bool("prevent_destroy").unwrap_or(false));
            instances.push(Resource {
                address: inst_addr,
                kind,
                depends_on,
                prevent_destroy,
                allow_lints: ev.list("allow_lints"),
                block: ev,
            });
        }
        let entry = table.entry(rb.kind.to_string()).or_default();
        if each_items.is_some() {
            entry.insert(rb.label.clone(), Value::Map(exported));
        } else if let Some(v) = exported.swap_remove("") {
            entry.insert(rb.label.clone(), v);
        }
    }
    // `import` blocks: evaluated once every resource is known.
    let mut imports = vec![];
    for (file, b) in import_blocks {
        let mut env = sources.env(&local_values, &table);
        let ev = eval_block(*file, b, &schema::IMPORT, &mut env, diags);
        imports.extend(crate::plan::adopt::lower_import(&ev));
    }
    Evaluated {
        instances,
        instance_deps,
        export_reads,
        imports,
    }
}

/// What every `Env` of the walk is made from, beside the locals and resources so far.
struct Sources<'a> {
    vars: &'a IndexMap<String, Value>,
    files: &'a dyn FileReader,
    partition: &'a str,
}

impl Sources<'_> {
    fn env<'e>(&'e self, locals: &'e IndexMap<String, Value>, table: &'e ResourceTable) -> Env<'e> {
        Env::new(
            self.vars,
            locals,
            table,
            RESOURCE_KINDS,
            self.files,
            self.partition,
        )
    }
}

/// A block's `for_each`, as (key, value) pairs: a map gives its entries, a set or list of
/// strings (s, s). `None` without `for_each`; no pairs after a diagnostic.
fn eval_for_each(
    rb: &ResourceBlock<'_>,
    addr: &Address,
    env: &mut Env<'_>,
    diags: &mut Diagnostics,
) -> Option<Vec<(String, Value)>> {
    let fe = rb.block.body.get_attribute("for_each")?;
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
                    .at(Some(Span::new(rb.file, span_of(&fe.value))))
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
                .at(Some(Span::new(rb.file, span_of(&fe.value))))
                .address(addr.to_string())
                .help("use a map (`{ a = ..., b = ... }`) or `toset([...])`"),
            );
            vec![]
        }
        Err(e) => {
            push_eval_error(diags, rb.file, e);
            vec![]
        }
    })
}

/// The addresses named by an instance's `depends_on` (resources, or every instance of one).
fn depends_on(ev: &EvBlock) -> Vec<Address> {
    match ev.get("depends_on") {
        Some(Value::List(l)) => l
            .iter()
            .flat_map(|v| match v {
                Value::Resource(r) => vec![r.address.clone()],
                Value::Map(m) => m
                    .values()
                    .filter_map(|x| {
                        if let Value::Resource(r) = x {
                            Some(r.address.clone())
                        } else {
                            None
                        }
                    })
                    .collect(),
                _ => vec![],
            })
            .collect(),
        _ => vec![],
    }
}

/// Adds to `reads` the exports read by the locals in `touched`; de-duplicates.
fn expand_reads(
    mut reads: Vec<(Address, String)>,
    touched: &[Address],
    locals: &HashMap<String, Vec<(Address, String)>>,
) -> Vec<(Address, String)> {
    for a in touched.iter().filter(|a| a.kind == "local") {
        reads.extend(locals.get(&a.label).into_iter().flatten().cloned());
    }
    reads.sort();
    reads.dedup();
    reads
}

/// Replaces `local.NAME` entries by what that local reads; de-duplicates.
fn expand_locals(touched: Vec<Address>, locals: &HashMap<String, Vec<Address>>) -> Vec<Address> {
    let mut out: Vec<Address> = vec![];
    for a in touched {
        if a.kind == "local" {
            out.extend(locals.get(&a.label).into_iter().flatten().cloned());
        } else {
            out.push(a);
        }
    }
    out.sort();
    out.dedup();
    out
}

fn push_eval_error(diags: &mut Diagnostics, file: FileId, e: crate::language::call::EvalError) {
    let mut d = Diagnostic::error(e.code, e.message).at(Some(Span::new(file, e.range)));
    d.help = e.help;
    diags.push(d);
}
