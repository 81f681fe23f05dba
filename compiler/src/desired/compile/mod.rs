//! The compiler pipeline, one stage per file: load (`load.rs`) -> the [`modules`] the stack
//! calls (read and parsed once) -> [`collect`] the top-level blocks (of the stack and of each
//! module) -> [`variables`] -> [`settings`] (the `stack` and `aws` blocks) -> block [`order`]
//! (cycles) -> [`evaluate`] (locals, `for_each` expansion, lower, resolve; module instances
//! through [`module_call`]; imports) -> [`instance_graph`] -> checks (`check.rs`). Problems are collected; the pipeline only stops
//! between stages. `compile_bodies` reads as that list.

use crate::desired::graph::ResourceGraph;
use crate::desired::model::*;
use crate::diag::{Diagnostic, Diagnostics, SourceMap};
use crate::kinds::lowering::Ctx;
use crate::language::call::FileReader;

mod collect;
mod evaluate;
mod frame;
mod inputs;
mod instance_graph;
mod module_call;
mod modules;
mod order;
mod settings;
mod variables;

use collect::Collected;
use frame::{Blocks, Evaluated, Walk};
use modules::ModuleTree;
use settings::Settings;

pub use inputs::{
    Facts, Values, VarInputs, E_CYCLE, E_FOR_EACH, E_MODULE_BLOCK, E_MODULE_INPUT, E_MODULE_SOURCE,
    E_STACK, E_VAR_MISSING, E_VAR_VALUE,
};

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
    /// True when the stack gives its account id (`stack { account_id }`, `--account-id` or
    /// the caller identity); false when validate runs with a placeholder.
    pub account_known: bool,
    /// What derives from `sensitive` variables (empty without them).
    pub sensitive: crate::desired::sensitive::Sensitive,
    /// Clusters whose OIDC issuer is not known (not set, not read from EKS) and the
    /// resources whose values derive from it, in resource order.
    pub unknown_issuers: Vec<crate::desired::unknowns::UnknownIssuer>,
    /// The stack's variables, locals and module outputs as evaluated (what evaluation
    /// reached, even when the stack has errors); `None` when it stopped before evaluating.
    pub values: Option<Values>,
}

impl Compiled {
    /// Refuses the stack for a file the reader did not open (too large, or outside the stack):
    /// the diagnostic is added and nothing is planned.
    pub fn refuse(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
        self.desired = None;
        self.graph = None;
    }
}

pub fn compile(input: CompileInput<'_>) -> Compiled {
    let (mut loaded, mut diags) = crate::language::load::load(input.files);
    let tree = modules::load_modules(
        &mut loaded.sources,
        &loaded.bodies,
        input.reader,
        &mut diags,
    );
    let sources = loaded.sources.clone();
    let mut out = Compiled {
        sources,
        diagnostics: Diagnostics::default(),
        desired: None,
        graph: None,
        account_known: false,
        sensitive: Default::default(),
        unknown_issuers: vec![],
        values: None,
    };
    let mut taint = crate::desired::sensitive::VarTaint::default();
    let (reader, vars, facts) = (input.reader, &input.vars, &input.facts);
    let (result, values) =
        compile_bodies(&loaded, &tree, reader, vars, facts, &mut taint, &mut diags);
    out.values = values;
    if let Some((desired, graph, known, reads)) = result {
        if !diags.has_errors() {
            crate::lints::check::check(&desired, &mut diags);
            out.unknown_issuers = crate::desired::unknowns::unknown_issuers(&desired, &reads);
            out.desired = Some(desired);
            out.graph = Some(graph);
            out.account_known = known;
        }
    }
    if !taint.values.is_empty() {
        // A second run, with the sensitive values perturbed, tells what derives from them.
        let perturbed = (1..=crate::desired::sensitive::PERTURBATIONS)
            .filter(|_| out.desired.is_some())
            .find_map(|perturb| {
                let mut t = crate::desired::sensitive::VarTaint {
                    perturb,
                    ..Default::default()
                };
                let mut d = Diagnostics::default();
                let (r, _) = compile_bodies(&loaded, &tree, reader, vars, facts, &mut t, &mut d);
                r.filter(|_| !d.has_errors()).map(|o| o.0)
            });
        let s = crate::desired::sensitive::analyse(
            out.desired.as_ref(),
            perturbed.as_ref(),
            &taint.values,
        );
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
    crate::desired::unknowns::ExportReads,
);

fn compile_bodies(
    loaded: &crate::language::load::Loaded,
    tree: &ModuleTree,
    reader: &dyn FileReader,
    inputs: &VarInputs,
    facts: &Facts,
    taint: &mut crate::desired::sensitive::VarTaint,
    diags: &mut Diagnostics,
) -> (Option<Output>, Option<Values>) {
    let collected = collect::collect(&loaded.bodies, &loaded.sources, false, diags);
    let Collected {
        stacks,
        variables,
        locals,
        aws,
        ..
    } = &collected;
    // Each module directory's blocks and their order, once however often it is called.
    let modules: Vec<Blocks<'_>> = tree
        .dirs
        .iter()
        .map(|d| {
            let collected = collect::collect(&d.bodies, &loaded.sources, true, diags);
            let order = order::block_order(
                &collected.locals,
                &collected.resources,
                &collected.modules,
                diags,
            );
            Blocks { collected, order }
        })
        .collect();

    let files = reader;

    // --- variables ---
    let vars = variables::resolve_variables(variables, inputs, files, diags);
    let vars = crate::desired::sensitive::taint_variables(variables, vars, taint);

    // --- stack and aws blocks ---
    let Settings {
        stack,
        aws: aws_settings,
        account_known,
        account,
        partition,
    } = settings::settings(loaded, stacks, aws, locals, &vars, files, facts, diags);

    // --- block-level dependency graph (locals, resource and module blocks) ---
    let order = order::block_order(locals, &collected.resources, &collected.modules, diags);
    let root = Blocks { collected, order };

    // --- evaluate locals, expand `for_each`, lower and resolve each instance, in order ---
    let ctx = Ctx {
        account: &account,
        partition: &partition,
        default_region: aws_settings.region.as_deref(),
        issuers: &facts.cluster_issuers,
    };
    let walk = Walk {
        run: evaluate::run,
        files,
        ctx: &ctx,
        names: order::names(),
        sources: &loaded.sources,
        tree,
        modules: &modules,
    };
    let Evaluated {
        instances,
        instance_deps,
        export_reads,
        imports,
        values,
    } = evaluate::evaluate(&root, &vars, &walk, diags);
    let Some(stack) = stack else {
        return (None, Some(values));
    };
    if diags.has_errors() {
        return (None, Some(values));
    }

    // --- instance graph ---
    let graph = instance_graph::instance_graph(&instances, &instance_deps, diags);
    let mut desired = DesiredState::new(stack, aws_settings, instances);
    desired.imports = imports;
    crate::plan::adopt::check_imports(&desired, diags);
    let out = (desired, graph, account_known.is_some(), export_reads);
    (Some(out), Some(values))
}
