//! Stage *evaluate*: locals, resource blocks and module calls in dependency order, in a
//! [`Frame`] per stack or module instance. A resource's `for_each` is expanded into
//! instances; each instance is lowered against its schema (`eval_block`) and resolved to its
//! typed kind, and its exports become what later blocks read. A `module` block evaluates the
//! module's blocks in a frame of their own (`module_call.rs`), its resources under the
//! instance's address. What each local, variable, module and instance reads (resources: the
//! instance edges; exports: `unknowns`) is carried through them. `import` blocks last, once
//! every resource is known.

use super::collect::ResourceBlock;
use super::frame::{eval_for_each, instances_of, push_eval_error, Blocks, Evaluated, Frame, Walk};
use crate::desired::model::Resource;
use crate::desired::resolve::{self};
use crate::diag::{Diagnostics, FileId};
use crate::language::eval::{references, Env};
use crate::language::evblock::{label_text, EvBlock};
use crate::language::lower::eval_block;
use crate::language::schema;
use crate::language::value::{Address, ResourceValue, Value};
use hcl_edit::structure::{Attribute, Block};
use indexmap::IndexMap;
use std::collections::HashMap;

/// The stack's blocks, then its `import` blocks once every resource is known.
pub(super) fn evaluate(
    root: &Blocks<'_>,
    vars: &IndexMap<String, Value>,
    walk: &Walk<'_, '_>,
    diags: &mut Diagnostics,
) -> Evaluated {
    let mut frame = Frame {
        vars: vars.clone(),
        ..Default::default()
    };
    run(&mut frame, root, walk, diags);
    let mut imports = vec![];
    for (file, b) in &root.collected.import_blocks {
        let mut env = frame.env(walk);
        let ev = eval_block(*file, b, &schema::IMPORT, &mut env, diags);
        imports.extend(crate::plan::adopt::lower_import(&ev));
    }
    frame.out.imports = imports;
    frame.out.values = super::inputs::Values {
        vars: frame.vars.clone(),
        locals: frame.locals.clone(),
        modules: frame.table.get("module").cloned().unwrap_or_default(),
    };
    frame.out
}

/// Locals, resources and module calls of one frame in dependency order, then its outputs.
pub(super) fn run(
    frame: &mut Frame,
    blocks: &Blocks<'_>,
    walk: &Walk<'_, '_>,
    diags: &mut Diagnostics,
) {
    let c = &blocks.collected;
    // Each block looked up by its address once: linear in the stack, not quadratic.
    let local_by_name: HashMap<&str, &(FileId, &Attribute)> = c
        .locals
        .iter()
        .map(|l| (l.1.key.value().as_str(), l))
        .collect();
    let resource_by_addr: HashMap<Address, &ResourceBlock<'_>> =
        c.resources.iter().map(|r| (r.address(), r)).collect();
    let module_by_name: HashMap<String, &(FileId, &Block)> = c
        .modules
        .iter()
        .map(|m| (label_text(&m.1.labels[0]), m))
        .collect();
    for addr in &blocks.order {
        match addr.kind.as_str() {
            "local" => {
                if let Some((f, a)) = local_by_name.get(addr.label.as_str()).copied() {
                    local(frame, addr, *f, a, walk, diags);
                }
            }
            "module" => {
                if let Some((f, b)) = module_by_name.get(&addr.label).copied() {
                    super::module_call::call(frame, *f, b, walk, diags);
                }
            }
            _ => {
                if let Some(rb) = resource_by_addr.get(addr).copied() {
                    resource(frame, rb, walk, diags);
                }
            }
        }
    }
    for (file, b) in &c.outputs {
        let mut env = frame.env(walk);
        let ev = eval_block(*file, b, &schema::OUTPUT, &mut env, diags);
        let d = frame.derive(&mut env);
        frame.outputs_read.touched.extend(d.touched);
        frame.outputs_read.reads.extend(d.reads);
        let name = label_text(&b.labels[0]);
        frame
            .outputs
            .insert(name, ev.get("value").cloned().unwrap_or_default());
    }
}

fn local(
    frame: &mut Frame,
    addr: &Address,
    f: FileId,
    a: &Attribute,
    walk: &Walk<'_, '_>,
    diags: &mut Diagnostics,
) {
    let mut env = frame.env(walk);
    let result = env.eval(&a.value);
    let d = frame.derive(&mut env);
    drop(env);
    frame.derived.insert(addr.clone(), d);
    match result {
        Ok(v) => {
            frame.locals.insert(addr.label.clone(), v);
        }
        Err(e) => push_eval_error(diags, f, e),
    }
}

fn resource(
    frame: &mut Frame,
    rb: &ResourceBlock<'_>,
    walk: &Walk<'_, '_>,
    diags: &mut Diagnostics,
) {
    let addr = rb.address();
    let sch = schema::top_level(rb.kind).unwrap_or(&crate::kinds::role::SCHEMA);
    let mut env = frame.env(walk);
    let each_items = eval_for_each(
        rb.file,
        rb.block,
        &addr.clone().in_module(&frame.prefix),
        &mut env,
        diags,
    );
    let for_each = frame.derive(&mut env);
    drop(env);
    // `depends_on = [module.x]` waits for every resource of the module.
    let mut module_deps: Vec<Address> = vec![];
    if let Some(d) = rb.block.body.get_attribute("depends_on") {
        for (a, _) in references(&d.value, walk.names) {
            if a.kind == "module" {
                module_deps.extend(
                    frame
                        .module_resources
                        .get(&a.label)
                        .into_iter()
                        .flatten()
                        .cloned(),
                );
            }
        }
    }
    let mut exported: IndexMap<String, Value> = IndexMap::new();
    for (key, each) in instances_of(&each_items) {
        let inst_addr = Address::new(rb.kind, &rb.label, key.clone()).in_module(&frame.prefix);
        let mut env = Env {
            each,
            ..frame.env(walk)
        };
        let ev: EvBlock = eval_block(rb.file, rb.block, sch, &mut env, diags);
        let mut d = frame.derive(&mut env);
        drop(env);
        d.reads.extend(for_each.reads.iter().cloned());
        frame.out.export_reads.insert(&inst_addr, d.reads);
        d.touched.extend(for_each.touched.iter().cloned());
        d.touched.extend(module_deps.iter().cloned());
        frame.out.instance_deps.insert(inst_addr.clone(), d.touched);
        let mut local_diags = Diagnostics::default();
        let kind = resolve::resolve(&inst_addr, &ev, walk.ctx, &mut local_diags);
        for mut d in local_diags.0 {
            d.address.get_or_insert(inst_addr.to_string());
            diags.push(d);
        }
        let attrs = crate::kinds::exports(&kind, walk.ctx);
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
        frame.out.instances.push(Resource {
            address: inst_addr,
            kind,
            depends_on,
            prevent_destroy,
            allow_lints: ev.list("allow_lints"),
            block: ev,
        });
    }
    let entry = frame.table.entry(rb.kind.to_string()).or_default();
    if each_items.is_some() {
        entry.insert(rb.label.clone(), Value::Map(exported));
    } else if let Some(v) = exported.swap_remove("") {
        entry.insert(rb.label.clone(), v);
    }
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
