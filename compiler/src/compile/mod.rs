//! The compiler pipeline: load -> collect blocks -> variables -> block graph -> evaluate in
//! dependency order -> typed resources -> instance graph -> checks. Problems are collected;
//! the pipeline only stops between stages.

use crate::diag::{Diagnostic, Diagnostics, FileId, SourceMap, Span};
use crate::eval::{references, span_of, Env, FileReader, ResourceTable};
use crate::graph::ResourceGraph;
use crate::lower::{eval_block, head_span, EvBlock};
use crate::model::*;
use crate::resolve::{self, Ctx, UNKNOWN_ACCOUNT};
use crate::schema::{self, RESOURCE_KINDS};
use crate::value::{Address, ResourceValue, Value};
use indexmap::IndexMap;
use std::collections::HashMap;

mod collect;
mod instance_graph;
mod order;
mod variables;

use collect::Collected;
use order::collect_body_refs;

pub const E_VAR_MISSING: &str = "E0301";
pub const E_FOR_EACH: &str = "E0302";
pub const E_VAR_VALUE: &str = "E0303";
pub const E_CYCLE: &str = "E0401";
pub const E_STACK: &str = "E0601";

/// Variable values from outside the stack, lowest precedence first (DSL.md: `--var`, then
/// `--var-file`, then `EKSFED_VAR_name`, each over the default).
#[derive(Debug, Clone, Default)]
pub struct VarInputs {
    /// `--var name=value`, raw.
    pub cli: Vec<(String, String)>,
    /// `--var-file`: path and text.
    pub files: Vec<(String, String)>,
    /// `EKSFED_VAR_name` values, raw.
    pub env: Vec<(String, String)>,
}

#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// `--account-id` or STS GetCallerIdentity; overrides nothing given in `stack`.
    pub account_id: Option<String>,
    /// Cluster issuers read with DescribeCluster, by cluster address.
    pub cluster_issuers: HashMap<String, String>,
}

pub struct CompileInput<'a> {
    /// Stack files (path as shown to the user, text), in name order.
    pub files: Vec<(String, String)>,
    pub reader: &'a dyn FileReader,
    pub vars: VarInputs,
    pub facts: Facts,
}

/// What the compiler produces: always the sources and diagnostics; the desired state and graph
/// when no error stopped the pipeline.
pub struct Compiled {
    pub sources: SourceMap,
    pub diagnostics: Diagnostics,
    pub desired: Option<DesiredState>,
    pub graph: Option<ResourceGraph>,
    /// True when the account id is a placeholder (validate without one).
    pub account_known: bool,
    /// What derives from `sensitive` variables (empty without them).
    pub sensitive: crate::sensitive::Sensitive,
    /// Clusters whose OIDC issuer is not known (not set, not read from EKS) and the
    /// resources whose values derive from it, in resource order.
    pub unknown_issuers: Vec<crate::unknowns::UnknownIssuer>,
}

/// One instance to evaluate: its `for_each` key and `each` values.
type Instance = (Option<String>, Option<(Value, Value)>);

pub fn compile(input: CompileInput<'_>) -> Compiled {
    let (loaded, mut diags) = crate::load::load(input.files);
    let sources = loaded.sources.clone();
    let mut out = Compiled {
        sources,
        diagnostics: Diagnostics::default(),
        desired: None,
        graph: None,
        account_known: false,
        sensitive: Default::default(),
        unknown_issuers: vec![],
    };
    let mut taint = crate::sensitive::VarTaint::default();
    let (reader, vars, facts) = (input.reader, &input.vars, &input.facts);
    let result = compile_bodies(&loaded, reader, vars, facts, &mut taint, &mut diags);
    if let Some((desired, graph, known, reads)) = result {
        if !diags.has_errors() {
            crate::check::check(&desired, &graph, &mut diags);
            out.unknown_issuers = crate::unknowns::unknown_issuers(&desired, &reads);
            out.desired = Some(desired);
            out.graph = Some(graph);
            out.account_known = known;
        }
    }
    if !taint.values.is_empty() {
        // A second run, with the sensitive values perturbed, tells what derives from them.
        let perturbed = (1..=crate::sensitive::PERTURBATIONS)
            .filter(|_| out.desired.is_some())
            .find_map(|perturb| {
                let mut t = crate::sensitive::VarTaint {
                    perturb,
                    ..Default::default()
                };
                let mut d = Diagnostics::default();
                let r = compile_bodies(&loaded, reader, vars, facts, &mut t, &mut d);
                r.filter(|_| !d.has_errors()).map(|o| o.0)
            });
        let s = crate::sensitive::analyse(out.desired.as_ref(), perturbed.as_ref(), &taint.values);
        out.sources.secrets = s.secrets.clone();
        out.sensitive = s;
    }
    diags.sort();
    out.diagnostics = diags;
    out
}

type Output = (
    DesiredState,
    ResourceGraph,
    bool,
    crate::unknowns::ExportReads,
);

fn compile_bodies(
    loaded: &crate::load::Loaded,
    reader: &dyn FileReader,
    inputs: &VarInputs,
    facts: &Facts,
    taint: &mut crate::sensitive::VarTaint,
    diags: &mut Diagnostics,
) -> Option<Output> {
    let Collected {
        stacks,
        variables,
        locals,
        aws,
        resources,
        import_blocks,
    } = collect::collect(loaded, diags);

    let files = reader;
    let no_resources = ResourceTable::new();

    // --- variables ---
    let vars = variables::resolve_variables(&variables, inputs, files, &loaded.sources, diags);
    let vars = crate::sensitive::taint_variables(&variables, vars, taint);

    // --- stack and aws blocks ---
    if stacks.is_empty() && loaded.bodies.len() == loaded.sources.files.len() {
        diags.push(
            Diagnostic::error(
                E_STACK,
                "no `stack \"NAME\" { ... }` block: every stack needs exactly one",
            )
            .help("add `stack \"my-stack\" {}` to one of the .hcl files"),
        );
    }
    for (f, b) in stacks.iter().skip(1) {
        diags.push(
            Diagnostic::error(E_STACK, "more than one `stack` block").at(Some(head_span(*f, b))),
        );
    }
    for (f, b) in aws.iter().skip(1) {
        diags.push(
            Diagnostic::error(E_STACK, "more than one `aws` block").at(Some(head_span(*f, b))),
        );
    }
    // Locals the stack and aws blocks read are evaluated first (only those, and only when
    // they do not depend on resources, whose ARNs need the stack's account and partition).
    let early_locals = {
        // Only the first of each is evaluated (more than one is an error above).
        let wanted: Vec<(Address, FileId, std::ops::Range<usize>)> = stacks
            .iter()
            .take(1)
            .chain(aws.iter().take(1))
            .flat_map(|(f, b)| {
                let mut refs = vec![];
                collect_body_refs(&b.body, &mut refs);
                refs.into_iter()
                    .filter(|(a, _)| a.kind == "local")
                    .map(move |(a, r)| (a, *f, r))
            })
            .collect();
        if wanted.is_empty() {
            IndexMap::new()
        } else {
            early_local_values(&wanted, &locals, &vars, files, diags)
        }
    };
    let mut env = Env::new(
        &vars,
        &early_locals,
        &no_resources,
        RESOURCE_KINDS,
        files,
        "aws",
    );
    let stack_block = stacks
        .first()
        .map(|(f, b)| eval_block(*f, b, &schema::STACK, &mut env, diags));
    let aws_block = aws
        .first()
        .map(|(f, b)| eval_block(*f, b, &schema::AWS, &mut env, diags));
    let stack = stack_block.as_ref().map(|b| Stack {
        name: b.labels.first().cloned().unwrap_or_default(),
        account_id: b.str("account_id"),
        partition: b.str("partition").unwrap_or_else(|| "aws".into()),
        trust_policy_limit: b
            .num("trust_policy_limit")
            .map(|n| n as usize)
            .unwrap_or(2048),
        managed_policies_per_role: b
            .num("managed_policies_per_role")
            .map(|n| n as usize)
            .unwrap_or(10),
        allow_lints: b.list("allow_lints"),
    });
    if let (Some(s), Some(b)) = (&stack, &stack_block) {
        if !["aws", "aws-cn", "aws-us-gov"].contains(&s.partition.as_str()) {
            diags.push(
                Diagnostic::error(
                    resolve::E_ENUM,
                    format!(
                        "`partition` must be \"aws\", \"aws-cn\" or \"aws-us-gov\", got \"{}\"",
                        s.partition
                    ),
                )
                .at(Some(b.span_of("partition"))),
            );
        }
        if let Some(a) = &s.account_id {
            if a.len() != 12 || !a.chars().all(|c| c.is_ascii_digit()) {
                diags.push(
                    Diagnostic::error(
                        resolve::E_SEMANTIC,
                        format!("`account_id` must be 12 digits, got \"{a}\""),
                    )
                    .at(Some(b.span_of("account_id"))),
                );
            }
        }
    }
    let aws_settings = aws_block
        .as_ref()
        .map(|b| AwsSettings {
            region: b.str("region"),
            profile: b.str("profile"),
            endpoint: b.str("endpoint"),
        })
        .unwrap_or_default();
    let account_known = stack
        .as_ref()
        .and_then(|s| s.account_id.clone())
        .or_else(|| facts.account_id.clone());
    let account = account_known
        .clone()
        .unwrap_or_else(|| UNKNOWN_ACCOUNT.to_string());
    let partition = stack
        .as_ref()
        .map(|s| s.partition.clone())
        .unwrap_or_else(|| "aws".into());

    // --- block-level dependency graph (locals and resource blocks) ---
    let order = order::block_order(&locals, &resources, diags);

    // --- evaluate in dependency order ---
    let mut local_values: IndexMap<String, Value> = IndexMap::new();
    // What each local (transitively) reads, and what each instance reads: the instance edges.
    let mut local_touched: HashMap<String, Vec<Address>> = HashMap::new();
    let mut instance_deps: HashMap<Address, Vec<Address>> = HashMap::new();
    // The same for the exports read: what each local reads (transitively), each instance.
    let mut local_reads: HashMap<String, Vec<(Address, String)>> = HashMap::new();
    let mut export_reads = crate::unknowns::ExportReads::default();
    let mut table = ResourceTable::new();
    let mut instances: Vec<Resource> = vec![];
    let region = aws_settings.region.clone();
    let ctx = Ctx {
        account: &account,
        partition: &partition,
        default_region: region.as_deref(),
        issuers: &facts.cluster_issuers,
    };
    for addr in &order {
        if addr.kind == "local" {
            let Some((f, a)) = locals
                .iter()
                .find(|(_, a)| a.key.value().as_str() == addr.label)
            else {
                continue;
            };
            let mut env = Env::new(
                &vars,
                &local_values,
                &table,
                RESOURCE_KINDS,
                files,
                &partition,
            );
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
        let Some(rb) = resources.iter().find(|r| &r.address() == addr) else {
            continue;
        };
        let sch = schema::top_level(rb.kind).unwrap_or(&schema::ROLE);
        let mut env = Env::new(
            &vars,
            &local_values,
            &table,
            RESOURCE_KINDS,
            files,
            &partition,
        );
        // for_each: map -> (key, value); set/list of strings -> (s, s)
        let each_items: Option<Vec<(String, Value)>> = match rb.block.body.get_attribute("for_each")
        {
            None => None,
            Some(fe) => {
                match env.eval(&fe.value) {
                    Ok(Value::Map(m)) => Some(m.into_iter().collect()),
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
                            diags.push(Diagnostic::error(E_FOR_EACH, "`for_each` over a list must hold only strings (a set of strings)").at(Some(Span::new(rb.file, span_of(&fe.value)))).address(addr.to_string()));
                        }
                        Some(items)
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
                        Some(vec![])
                    }
                    Err(e) => {
                        push_eval_error(diags, rb.file, e);
                        Some(vec![])
                    }
                }
            }
        };
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
                ..Env::new(
                    &vars,
                    &local_values,
                    &table,
                    RESOURCE_KINDS,
                    files,
                    &partition,
                )
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
            let kind = resolve::resolve(&inst_addr, &ev, &ctx, &mut local_diags);
            for mut d in local_diags.0 {
                d.address.get_or_insert(inst_addr.to_string());
                diags.push(d);
            }
            let attrs = resolve::exports(&kind, &ctx);
            let value = Value::Resource(Box::new(ResourceValue {
                address: inst_addr.clone(),
                attrs,
            }));
            match &key {
                Some(k) => {
                    exported.insert(k.clone(), value);
                }
                None => {
                    exported.insert(String::new(), value);
                }
            }
            let depends_on = match ev.get("depends_on") {
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
            };
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
    for (file, b) in &import_blocks {
        let mut env = Env::new(
            &vars,
            &local_values,
            &table,
            RESOURCE_KINDS,
            files,
            &partition,
        );
        let ev = eval_block(*file, b, &schema::IMPORT, &mut env, diags);
        imports.extend(crate::adopt::lower_import(&ev));
    }
    let stack = stack?;
    if diags.has_errors() {
        return None;
    }

    // --- instance graph ---
    let graph = instance_graph::instance_graph(&instances, &instance_deps, diags);
    let mut desired = DesiredState::new(stack, aws_settings, instances);
    desired.imports = imports;
    crate::adopt::check_imports(&desired, diags);
    Some((desired, graph, account_known.is_some(), export_reads))
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

fn push_eval_error(diags: &mut Diagnostics, file: FileId, e: crate::eval::EvalError) {
    let mut d = Diagnostic::error(e.code, e.message).at(Some(Span::new(file, e.range)));
    d.help = e.help;
    diags.push(d);
}

/// The values of the locals `wanted` (read by the stack and aws blocks) and of the locals
/// they read, in dependency order. A local that reads a resource cannot be known before the
/// stack block: that is an error at the reference. Evaluation errors are left to the main
/// pass, which evaluates every local again and reports them once.
fn early_local_values(
    wanted: &[(Address, FileId, std::ops::Range<usize>)],
    locals: &[(FileId, &hcl_edit::structure::Attribute)],
    vars: &IndexMap<String, Value>,
    files: &dyn FileReader,
    diags: &mut Diagnostics,
) -> IndexMap<String, Value> {
    let find = |name: &str| locals.iter().find(|(_, a)| a.key.value().as_str() == name);
    // Depth-first: dependencies before dependents; `visiting` stops cycles (the main pass
    // reports them).
    fn visit<'a>(
        name: &str,
        find: &dyn Fn(&str) -> Option<&'a (FileId, &'a hcl_edit::structure::Attribute)>,
        order: &mut Vec<String>,
        visiting: &mut Vec<String>,
        resource: &mut Option<Address>,
    ) {
        if order.iter().any(|n| n == name) || visiting.iter().any(|n| n == name) {
            return;
        }
        let Some((_, a)) = find(name) else { return };
        visiting.push(name.to_string());
        for (dep, _) in references(&a.value, RESOURCE_KINDS) {
            if dep.kind == "local" {
                visit(&dep.label, find, order, visiting, resource);
            } else if resource.is_none() {
                *resource = Some(dep);
            }
        }
        visiting.pop();
        order.push(name.to_string());
    }
    let mut values = IndexMap::new();
    let resources = ResourceTable::new();
    for (addr, file, range) in wanted {
        let mut order = vec![];
        let mut resource = None;
        visit(&addr.label, &find, &mut order, &mut vec![], &mut resource);
        if let Some(r) = resource {
            diags.push(
                Diagnostic::error(
                    E_STACK,
                    format!("`{addr}` depends on `{r}`, which cannot be known before the `stack` and `aws` blocks"),
                )
                .at(Some(Span::new(*file, range.clone())))
                .help("the stack and aws blocks may use variables and locals built from variables only"),
            );
            // Known to be unusable: null, so the block does not also call it undeclared.
            values.insert(addr.label.clone(), Value::Null);
            continue;
        }
        for name in order {
            if values.contains_key(&name) {
                continue;
            }
            let Some((_, a)) = find(&name) else { continue };
            let mut env = Env::new(vars, &values, &resources, RESOURCE_KINDS, files, "aws");
            if let Ok(v) = env.eval(&a.value) {
                values.insert(name, v);
            }
        }
    }
    values
}
