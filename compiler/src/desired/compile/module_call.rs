//! A `module` block, evaluated: its inputs (E0802 for an attribute that is no variable of
//! the module and for a variable without default that is not set, with "did you mean"; each
//! value converted to the variable's type as a stack variable's is), one [`Frame`] per
//! instance (`for_each` as on resources) whose resources get the instance's address, and
//! the instance's outputs, which the caller reads as `module.NAME.OUTPUT`
//! (`module.NAME["k"].OUTPUT` under `for_each`). Diagnostics from inside an instance carry a
//! note naming it and the block that called it. `depends_on` on the block makes every
//! resource of the module wait for what it names.

use super::frame::{eval_for_each, instances_of, push_eval_error, Derived, Frame, Walk};
use super::inputs::{E_MODULE_INPUT, E_VAR_VALUE};
use crate::diag::{Diagnostic, Diagnostics, FileId, Span};
use crate::language::call::{span_of, suggest};
use crate::language::eval::{references, Env};
use crate::language::evblock::{head_span, label_text};
use crate::language::lower::eval_block;
use crate::language::schema;
use crate::language::value::{Address, Value};
use crate::language::var_type;
use hcl_edit::structure::{Attribute, Block};
use hcl_edit::Span as _;
use indexmap::IndexMap;

/// The attributes of a `module` block that are no input.
const META: &[&str] = &["source", "for_each", "depends_on"];

pub(super) fn call(
    frame: &mut Frame,
    file: FileId,
    block: &Block,
    walk: &Walk<'_, '_>,
    diags: &mut Diagnostics,
) {
    let head = head_span(file, block);
    let label = label_text(&block.labels[0]);
    let Some(&dir) = walk.tree.calls.get(&(file, head.range.start)) else {
        return; // its source was not read: reported by `modules`
    };
    let blocks = &walk.modules[dir];
    let vars = &blocks.collected.variables;
    if !check_inputs(file, block, &label, vars, diags) {
        return;
    }
    let me = Address::new("module", &label, None).in_module(&frame.prefix);
    let mut env = frame.env(walk);
    let each_items = eval_for_each(file, block, &me, &mut env, diags);
    let for_each = frame.derive(&mut env);
    drop(env);
    let waits = waits_for(frame, file, block, walk, diags);
    let called_at = walk
        .sources
        .locate(&head)
        .map(|(f, l, c)| format!("{f}:{l}:{c}"))
        .unwrap_or_default();
    let mut exported: IndexMap<String, Value> = IndexMap::new();
    let mut read = for_each;
    let mut resources: Vec<Address> = vec![];
    for (key, each) in instances_of(&each_items) {
        let instance = match (&frame.prefix, &key) {
            (p, k) if p.is_empty() => module_address(&label, k.as_deref()),
            (p, k) => format!("{p}.{}", module_address(&label, k.as_deref())),
        };
        let mut child = Frame {
            prefix: instance.clone(),
            dir: walk.tree.dirs[dir].dir.clone(),
            ..Default::default()
        };
        let mut inner = Diagnostics::default();
        inputs(frame, &mut child, file, block, each, vars, walk, &mut inner);
        if !inner.has_errors() {
            (walk.run)(&mut child, blocks, walk, &mut inner);
        }
        let note = format!("in {instance}, called at {called_at}");
        for mut d in inner.0 {
            d.notes.push(note.clone());
            diags.push(d);
        }
        for r in &child.out.instances {
            let deps = child
                .out
                .instance_deps
                .entry(r.address.clone())
                .or_default();
            deps.extend(waits.iter().cloned());
            resources.push(r.address.clone());
        }
        let out = std::mem::take(&mut child.out);
        frame.out.instances.extend(out.instances);
        frame.out.instance_deps.extend(out.instance_deps);
        frame.out.export_reads.extend(out.export_reads);
        read.touched.extend(child.outputs_read.touched);
        read.reads.extend(child.outputs_read.reads);
        exported.insert(key.unwrap_or_default(), Value::Map(child.outputs));
    }
    read.touched.sort();
    read.touched.dedup();
    read.reads.sort();
    read.reads.dedup();
    frame
        .derived
        .insert(Address::new("module", &label, None), read);
    frame.module_resources.insert(label.clone(), resources);
    let entry = frame.table.entry("module".to_string()).or_default();
    if each_items.is_some() {
        entry.insert(label, Value::Map(exported));
    } else if let Some(v) = exported.swap_remove("") {
        entry.insert(label, v);
    }
}

/// `module.NAME` or `module.NAME["key"]`.
fn module_address(label: &str, key: Option<&str>) -> String {
    match key {
        Some(k) => format!("module.{label}[\"{k}\"]"),
        None => format!("module.{label}"),
    }
}

/// E0802: inputs that are no variable of the module, variables without a default that are
/// not set. False when there is one (the module is then not evaluated).
fn check_inputs(
    file: FileId,
    block: &Block,
    label: &str,
    vars: &[(FileId, &Block)],
    diags: &mut Diagnostics,
) -> bool {
    let names: Vec<String> = vars.iter().map(|(_, b)| label_text(&b.labels[0])).collect();
    let mut ok = true;
    for a in block.body.attributes() {
        let name = a.key.value().as_str();
        if META.contains(&name) || names.iter().any(|n| n == name) {
            continue;
        }
        ok = false;
        let help = suggest(name, names.iter().map(String::as_str))
            .map(|s| format!("did you mean `{s}`?"))
            .unwrap_or_else(|| variables_help(&names));
        diags.push(
            Diagnostic::error(
                E_MODULE_INPUT,
                format!("module `{label}` has no variable `{name}`"),
            )
            .at(Some(Span::new(file, a.key.span().unwrap_or(0..0))))
            .help(help),
        );
    }
    for (_, v) in vars {
        let name = label_text(&v.labels[0]);
        if v.body.get_attribute("default").is_some() || block.body.get_attribute(&name).is_some() {
            continue;
        }
        ok = false;
        let given: Vec<&str> = block
            .body
            .attributes()
            .map(|a| a.key.value().as_str())
            .filter(|n| !META.contains(n) && !names.iter().any(|x| x == n))
            .collect();
        let help = match suggest(&name, given.iter().copied()) {
            Some(s) => format!("set `{name} = ...` in the `module` block (did you mean `{s}`?)"),
            None => format!("set `{name} = ...` in the `module` block"),
        };
        diags.push(
            Diagnostic::error(
                E_MODULE_INPUT,
                format!("module `{label}` needs a value for its variable `{name}`"),
            )
            .at(Some(head_span(file, block)))
            .help(help),
        );
    }
    ok
}

fn variables_help(names: &[String]) -> String {
    if names.is_empty() {
        "the module declares no variables".to_string()
    } else {
        format!("its variables: {}", names.join(", "))
    }
}

/// The module instance's variables: each input evaluated in the caller's frame (with `each`)
/// and converted to the variable's type at the attribute, or the default.
#[allow(clippy::too_many_arguments)]
fn inputs(
    caller: &Frame,
    child: &mut Frame,
    file: FileId,
    block: &Block,
    each: Option<(Value, Value)>,
    vars: &[(FileId, &Block)],
    walk: &Walk<'_, '_>,
    diags: &mut Diagnostics,
) {
    for (vfile, v) in vars {
        let name = label_text(&v.labels[0]);
        let (empty, table) = (IndexMap::new(), Default::default());
        let mut const_env = Env::new(&empty, &empty, &table, &[], walk.files, walk.ctx.partition);
        let ev = eval_block(*vfile, v, &schema::VARIABLE, &mut const_env, diags);
        let (ty, _) = super::variables::declared_type(*vfile, v, &mut const_env, diags);
        let given: Option<&Attribute> = block.body.get_attribute(&name);
        let (value, derived, at) = match given {
            Some(a) => {
                let mut env = Env {
                    each: each.clone(),
                    ..caller.env(walk)
                };
                let r = env.eval(&a.value);
                let d = caller.derive(&mut env);
                match r {
                    Ok(val) => (val, d, Span::new(file, span_of(&a.value))),
                    Err(e) => {
                        push_eval_error(diags, file, e);
                        continue;
                    }
                }
            }
            None => (
                ev.get("default").cloned().unwrap_or_default(),
                Derived::default(),
                ev.span.clone(),
            ),
        };
        match ty.convert(value) {
            Ok(val) => {
                child.vars.insert(name.clone(), val);
                child
                    .derived
                    .insert(Address::new("var", &name, None), derived);
            }
            Err(m) => {
                let sensitive = matches!(ev.get("sensitive"), Some(Value::Bool(true)));
                let path = m.path_text(&format!("var.{name}"), sensitive);
                let range = match given {
                    Some(a) if !sensitive => var_type::value_span(&a.value, &m.path),
                    _ => at.range.clone(),
                };
                diags.push(
                    Diagnostic::error(E_VAR_VALUE, format!("{path}: {}", m.problem))
                        .at(Some(Span::new(at.file, range))),
                );
            }
        }
    }
}

/// What the block's `depends_on` names: resource instances, and every resource of the
/// modules it names.
fn waits_for(
    frame: &Frame,
    file: FileId,
    block: &Block,
    walk: &Walk<'_, '_>,
    diags: &mut Diagnostics,
) -> Vec<Address> {
    let Some(d) = block.body.get_attribute("depends_on") else {
        return vec![];
    };
    let mut out = vec![];
    for (a, _) in references(&d.value, walk.names) {
        if a.kind == "module" {
            out.extend(
                frame
                    .module_resources
                    .get(&a.label)
                    .into_iter()
                    .flatten()
                    .cloned(),
            );
        }
    }
    let mut env = frame.env(walk);
    if let Err(e) = env.eval(&d.value) {
        push_eval_error(diags, file, e);
    }
    out.extend(std::mem::take(&mut env.touched).into_iter().filter(|a| {
        !(a.module.is_empty() && ["local", "var", "module"].contains(&a.kind.as_str()))
    }));
    out.sort();
    out.dedup();
    out
}
