//! Coverage-guided fuzzing of the compiler front end: arbitrary bytes as a stack file through
//! load, lower, eval, check and render. Any panic is a bug: every failure must be a
//! diagnostic. And `eksfed fmt` never changes meaning: a stack that compiles renders the same
//! after `fmt`, and `fmt` is idempotent. Run: `cargo fuzz run compile -- -max_total_time=600` (see RELIABILITY.md);
//! seed corpus: the fixtures and examples (`fuzz/seed.sh`).
#![no_main]

use eksfed_compiler::language::call::FileReader;
use eksfed_compiler::{desired::compile::compile, desired::compile::CompileInput, desired::compile::Facts, desired::compile::VarInputs};
use libfuzzer_sys::fuzz_target;

struct NoFiles;
impl FileReader for NoFiles {
    fn read(&self, path: &str) -> Result<String, String> {
        Err(format!("no file {path}"))
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).to_string();
    let c = compile(CompileInput { files: vec![("main.hcl".into(), text)], reader: &NoFiles, vars: VarInputs::default(), facts: Facts::default() });
    for d in c.diagnostics.iter() {
        let _ = c.sources.render(d);
    }
    if let Some(d) = &c.desired {
        let _ = eksfed_compiler::plan::render::render(d);
    }
    if !c.diagnostics.has_errors() {
        let formatted = eksfed_compiler::language::fmt::format(&text);
        assert_eq!(eksfed_compiler::language::fmt::format(&formatted), formatted, "fmt is not idempotent");
        let f = compile(CompileInput { files: vec![("main.hcl".into(), formatted)], reader: &NoFiles, vars: VarInputs::default(), facts: Facts::default() });
        assert!(!f.diagnostics.has_errors(), "fmt broke a stack that compiled");
        if let (Some(a), Some(b)) = (&c.desired, &f.desired) {
            assert!(
                eksfed_compiler::plan::render::render(a) == eksfed_compiler::plan::render::render(b),
                "fmt changed what the stack renders"
            );
        }
    }
});
