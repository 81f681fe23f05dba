//! Criterion benchmarks of the compiler's stages, per stack size (the generated stacks of
//! `eksfed_compiler::synthetic`: N roles made with `for_each`, each with an IRSA trust, the one
//! shared managed policy, an inline policy and a service account):
//!
//! - `parse`: HCL text to syntax trees (`load::load`);
//! - `compile`: parse, evaluate (variables, locals, `for_each`, templates), lower, graph and
//!   check (every lint) — what `eksfed validate` does;
//! - `check`: the lints and quota checks alone, on the compiled state;
//! - `render`: the desired state to the rendered JSON shape;
//! - `graph_order`: the topological order apply follows;
//! - `diff`: the plan's in-process half, against a live state equal to the stack (a plan
//!   after apply: every resource compared, nothing to do).
//!
//! `cargo bench -p eksfed-compiler --bench stages` (all sizes) or
//! `cargo bench -p eksfed-compiler --bench stages -- 'compile/5000'`. Peak memory is measured by
//! the `compile` bench (a fresh process per size), not here.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use eksfed_compiler::language::call::FileReader;
use eksfed_compiler::plan::diff::{diff, DiffOptions};
use eksfed_compiler::plan::live::{self, LiveState};
use eksfed_compiler::{
    desired::compile::compile, desired::compile::CompileInput, desired::compile::Compiled,
    desired::compile::Facts, desired::compile::VarInputs, plan::render,
};
use std::collections::BTreeMap;
use std::time::Duration;

const ACCOUNT: &str = "123456789012";

struct NoFiles;
impl FileReader for NoFiles {
    fn read(&self, path: &str) -> Result<String, String> {
        Err(format!("no file {path}"))
    }
}

fn compile_text(text: &str) -> Compiled {
    compile(CompileInput {
        files: vec![("main.hcl".into(), text.to_string())],
        reader: &NoFiles,
        vars: VarInputs::default(),
        facts: Facts::default(),
    })
}

/// The live state a perfect apply of `c` leaves: every piece, owned by the stack.
fn live_equal_to(c: &Compiled) -> LiveState {
    let desired = c.desired.as_ref().expect("compiled");
    let objects = render::render(desired)
        .resources
        .into_iter()
        .flat_map(|r| {
            eksfed_compiler::kinds::keys(&r.kind)
                .into_iter()
                .take(1)
                .map(move |k| {
                    live::live_object(
                        k,
                        Some(desired.stack.name.clone()),
                        r.kind.clone(),
                        BTreeMap::new(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect();
    LiveState {
        account_id: ACCOUNT.into(),
        objects,
    }
}

fn stages(c: &mut Criterion) {
    for n in [100usize, 1000, 5000] {
        let text = eksfed_compiler::synthetic::stack(n, ACCOUNT);
        let compiled = compile_text(&text);
        assert!(
            !compiled.diagnostics.has_errors(),
            "the generated stack must compile"
        );
        let desired = compiled.desired.as_ref().expect("desired");
        let graph = compiled.graph.as_ref().expect("graph");
        let live = live_equal_to(&compiled);
        let (plan, _) = diff(desired, graph, &live, &DiffOptions::default());
        assert!(
            !plan.has_changes(),
            "a live state equal to the stack plans nothing"
        );

        let mut g = c.benchmark_group(format!("roles_{n}"));
        // Few, long samples for the big sizes: 10 samples of a 0.3 s compile is 3 s.
        g.sample_size(if n >= 5000 { 10 } else { 20 });
        g.measurement_time(Duration::from_secs(if n >= 5000 { 8 } else { 4 }));
        g.warm_up_time(Duration::from_secs(1));
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(BenchmarkId::new("parse", n), |b| {
            b.iter(|| {
                eksfed_compiler::language::load::load(vec![("main.hcl".into(), text.clone())])
            })
        });
        g.bench_function(BenchmarkId::new("compile", n), |b| {
            b.iter(|| compile_text(&text))
        });
        g.bench_function(BenchmarkId::new("check", n), |b| {
            b.iter(|| {
                let mut diags = eksfed_compiler::diag::Diagnostics::default();
                eksfed_compiler::lints::check::check(desired, &mut diags);
                diags
            })
        });
        g.bench_function(BenchmarkId::new("render", n), |b| {
            b.iter(|| render::render(desired))
        });
        g.bench_function(BenchmarkId::new("graph_order", n), |b| {
            b.iter(|| graph.order())
        });
        g.bench_function(BenchmarkId::new("diff", n), |b| {
            b.iter(|| diff(desired, graph, &live, &DiffOptions::default()))
        });
        g.finish();
    }
}

criterion_group!(benches, stages);
criterion_main!(benches);
