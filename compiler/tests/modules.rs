//! Local modules (issue 26): a stack written through a module renders the same objects as
//! written out flat (only addresses differ), diagnostics inside a module carry the instance
//! note in text, JSON and SARIF, and `depends_on` on a module orders its resources.
#![allow(clippy::unwrap_used)]

use eksfed_compiler::{
    desired::compile::compile, desired::compile::CompileInput, desired::compile::Compiled,
    desired::compile::Facts, desired::compile::VarInputs, language::call::FileReader, plan::render,
};
use std::path::{Path, PathBuf};

struct DirReader(PathBuf);
impl FileReader for DirReader {
    fn read(&self, path: &str) -> Result<String, String> {
        std::fs::read_to_string(self.0.join(path)).map_err(|e| e.to_string())
    }
    fn read_hcl_dir(&self, dir: &str) -> Result<Vec<(String, String)>, String> {
        Ok(hcl_files(&self.0.join(dir))
            .into_iter()
            .map(|(n, t)| (format!("{dir}/{n}"), t))
            .collect())
    }
}

fn hcl_files(dir: &Path) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "hcl"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn compile_dir(dir: &Path) -> Compiled {
    compile(CompileInput {
        files: hcl_files(dir),
        reader: &DirReader(dir.to_path_buf()),
        vars: VarInputs::default(),
        facts: Facts::default(),
    })
}

/// The rendered objects without their addresses, in a stable order.
fn objects(c: &Compiled) -> Vec<String> {
    let r = serde_json::to_value(render::render(c.desired.as_ref().unwrap())).unwrap();
    let mut out: Vec<String> = r["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let mut o = o.clone();
            o.as_object_mut().unwrap().remove("address");
            o.to_string()
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_stack_through_a_module_renders_what_the_flat_stack_does() {
    let with = compile_dir(&root().join("examples/modules"));
    let flat = compile_dir(&root().join("compiler/tests/modules_cases/irsa-flat"));
    assert!(!with.diagnostics.has_errors(), "{:?}", with.diagnostics);
    assert!(!flat.diagnostics.has_errors(), "{:?}", flat.diagnostics);
    let (a, b) = (objects(&with), objects(&flat));
    assert_eq!(a.len(), 7);
    assert_eq!(a, b);
    // ...under Terraform's addresses.
    let addrs: Vec<String> = with
        .desired
        .as_ref()
        .unwrap()
        .resources
        .iter()
        .map(|r| r.address.to_string())
        .collect();
    assert!(
        addrs.contains(&"module.ebs_csi.role.this".to_string()),
        "{addrs:?}"
    );
    assert!(
        addrs.contains(&"module.external_dns.policy.preset[\"external-dns\"]".to_string()),
        "{addrs:?}"
    );
}

#[test]
fn an_error_in_a_module_names_the_instance_in_text_json_and_sarif() {
    let c = compile_dir(&root().join("tests/fixtures/err_module_block"));
    let d: Vec<_> = c.diagnostics.iter().filter(|d| d.code == "E0201").collect();
    assert_eq!(d.len(), 2, "one per instance");
    let text = c.sources.render(d[1]);
    assert!(
        text.starts_with("modules/bad/main.hcl:11:17: error[E0201]"),
        "{text}"
    );
    assert!(
        text.contains("= note: in module.bad[\"two\"], called at main.hcl:5:1"),
        "{text}"
    );
    let json = c.sources.to_json(d[0]);
    assert_eq!(json["file"], "modules/bad/main.hcl");
    assert_eq!(
        json["notes"][0],
        "in module.bad[\"one\"], called at main.hcl:5:1"
    );
    let sarif = eksfed_compiler::output::ci_formats::sarif(
        &[json],
        &eksfed_compiler::output::ci_formats::SarifInput {
            stack_dir: ".",
            stack_dir_uri: None,
            tool_version: "test",
        },
    );
    let msg = sarif["runs"][0]["results"][0]["message"]["text"]
        .as_str()
        .unwrap();
    assert!(
        msg.contains("note: in module.bad[\"one\"], called at main.hcl:5:1"),
        "{msg}"
    );
}

#[test]
fn module_dependencies_are_instance_edges() {
    let c = compile_dir(&root().join("tests/fixtures/mod_compose"));
    let g = c.graph.as_ref().unwrap();
    let order: Vec<String> = g.order().unwrap().iter().map(|a| a.to_string()).collect();
    let at = |a: &str| {
        order
            .iter()
            .position(|x| x == a)
            .unwrap_or_else(|| panic!("{a}: {order:?}"))
    };
    // `depends_on = [oidc_provider.prod]` on the module: its resources wait for it.
    assert!(at("oidc_provider.prod") < at("module.apps[\"api\"].role.app"));
    assert!(at("oidc_provider.prod") < at("module.apps[\"worker\"].module.read.policy.read"));
    // A string output (an ARN) still carries the edge to the resource it comes from.
    assert!(at("module.apps[\"worker\"].module.read.policy.read") < at("role.ci"));
    assert!(at("module.apps[\"api\"].role.app") < at("service_account.api"));
}

#[test]
fn module_addresses_parse_and_print_as_terraform_writes_them() {
    use eksfed_compiler::language::value::{split_module_prefix, Address};
    for s in [
        "role.x",
        "role.x[\"k\"]",
        "module.a.role.x",
        "module.a[\"k.1\"].role.x[\"y\"]",
        "module.a.module.b[\"z\"].policy.p",
    ] {
        assert_eq!(Address::parse(s).unwrap().to_string(), s);
    }
    let a = Address::parse("module.a[\"k\"].module.b.role.x").unwrap();
    assert_eq!(a.module, "module.a[\"k\"].module.b");
    assert_eq!(a.block(), "module.a[\"k\"].module.b.role.x");
    assert_eq!(Address::parse("module.a"), None);
    assert_eq!(
        split_module_prefix("module.a[\"k\"]"),
        Some(("module.a[\"k\"]", ""))
    );
    assert_eq!(split_module_prefix("role.x"), Some(("", "role.x")));
}
