//! Compile-time benchmark: generated stacks of N roles made with `for_each` (IRSA trust, one
//! shared managed policy, one inline policy each, a service account each), through the whole
//! compiler (parse, eval, check, render, graph). Run: `cargo bench -p eksfed-compiler --bench compile`.
//! Prints the median of several runs and the process's peak resident memory.

use eksfed_compiler::language::call::FileReader;
use eksfed_compiler::{
    desired::compile::compile, desired::compile::CompileInput, desired::compile::Facts,
    desired::compile::VarInputs, plan::render,
};
use std::time::{Duration, Instant};

struct NoFiles;
impl FileReader for NoFiles {
    fn read(&self, path: &str) -> Result<String, String> {
        Err(format!("no file {path}"))
    }
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![100, 1000, 5000]
    } else {
        sizes
    };
    println!("| roles | compile (median) | compile + render | resources | peak RSS |");
    println!("| ---: | ---: | ---: | ---: | ---: |");
    for n in sizes {
        let text = eksfed_compiler::synthetic::stack(n, "123456789012");
        let mut times: Vec<Duration> = vec![];
        let mut with_render: Vec<Duration> = vec![];
        let mut count = 0;
        for _ in 0..5 {
            let t = Instant::now();
            let c = compile(CompileInput {
                files: vec![("main.hcl".into(), text.clone())],
                reader: &NoFiles,
                vars: VarInputs::default(),
                facts: Facts::default(),
            });
            times.push(t.elapsed());
            assert!(!c.diagnostics.has_errors(), "benchmark stack has errors");
            let d = c.desired.expect("compiled");
            let r = render::render(&d);
            with_render.push(t.elapsed());
            count = r.resources.len();
        }
        times.sort();
        with_render.sort();
        println!(
            "| {n} | {:.1} ms | {:.1} ms | {count} | {:.0} MB |",
            times[2].as_secs_f64() * 1e3,
            with_render[2].as_secs_f64() * 1e3,
            peak_rss_mb()
        );
    }
}
