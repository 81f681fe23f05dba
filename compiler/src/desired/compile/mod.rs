//! The compiler pipeline, one stage per file: load (`load.rs`) -> [`collect`] the top-level
//! blocks -> [`variables`] -> [`settings`] (the `stack` and `aws` blocks) -> block [`order`]
//! (cycles) -> [`evaluate`] (locals, `for_each` expansion, lower, resolve; imports) ->
//! [`instance_graph`] -> checks (`check.rs`). Problems are collected; the pipeline only stops
//! between stages. `compile_bodies` reads as that list.

use crate::desired::graph::ResourceGraph;
use crate::desired::model::*;
use crate::diag::{Diagnostic, Diagnostics, SourceMap};
use crate::kinds::lowering::Ctx;
use crate::language::call::FileReader;

mod collect;
mod evaluate;
mod inputs;
mod instance_graph;
mod order;
mod settings;
mod variables;

use collect::Collected;
use evaluate::Evaluated;
use settings::Settings;

pub use inputs::{Facts, VarInputs, E_CYCLE, E_FOR_EACH, E_STACK, E_VAR_MISSING, E_VAR_VALUE};

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
    let (loaded, mut diags) = crate::language::load::load(input.files);
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
    let mut taint = crate::desired::sensitive::VarTaint::default();
    let (reader, vars, facts) = (input.reader, &input.vars, &input.facts);
    let result = compile_bodies(&loaded, reader, vars, facts, &mut taint, &mut diags);
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
                let r = compile_bodies(&loaded, reader, vars, facts, &mut t, &mut d);
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
    reader: &dyn FileReader,
    inputs: &VarInputs,
    facts: &Facts,
    taint: &mut crate::desired::sensitive::VarTaint,
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

    // --- variables ---
    let vars = variables::resolve_variables(&variables, inputs, files, diags);
    let vars = crate::desired::sensitive::taint_variables(&variables, vars, taint);

    // --- stack and aws blocks ---
    let Settings {
        stack,
        aws: aws_settings,
        account_known,
        account,
        partition,
    } = settings::settings(loaded, &stacks, &aws, &locals, &vars, files, facts, diags);

    // --- block-level dependency graph (locals and resource blocks) ---
    let order = order::block_order(&locals, &resources, diags);

    // --- evaluate locals, expand `for_each`, lower and resolve each instance, in order ---
    let Evaluated {
        instances,
        instance_deps,
        export_reads,
        imports,
    } = evaluate::evaluate(
        &order,
        &locals,
        &resources,
        &import_blocks,
        &vars,
        files,
        &Ctx {
            account: &account,
            partition: &partition,
            default_region: aws_settings.region.as_deref(),
            issuers: &facts.cluster_issuers,
        },
        diags,
    );
    let stack = stack?;
    if diags.has_errors() {
        return None;
    }

    // --- instance graph ---
    let graph = instance_graph::instance_graph(&instances, &instance_deps, diags);
    let mut desired = DesiredState::new(stack, aws_settings, instances);
    desired.imports = imports;
    crate::plan::adopt::check_imports(&desired, diags);
    Some((desired, graph, account_known.is_some(), export_reads))
}
