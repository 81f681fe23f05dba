//! `eksfed lsp` driven by a real client: Neovim headless (Debian's package, installed by
//! tests/run.sh; EKSFED_NVIM overrides) with its built-in LSP client and the Lua config
//! tests/editors/nvim.lua. The config records what the editor got; this test judges it.

use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const MAIN: &str = r#"stack "demo" {
  account_id = "123456789012"
}

locals {
  prefix = "prod-team"
}

cluster "prod" {
  name            = "prod"
  region          = "eu-west-1"
  oidc_issuer_url = "https://oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF0123456789"
}
"#;

const ROLES: &str = r#"role "app" {
  description = "Équipe données"
  name        = "${var.team}-app"
  trust_service_account {
    cluster   = cluster.prod
    namespace = "apps"
    names     = ["app"]
  }
}

output "app_arn" {
  value = role.app.arn
}
"#;

fn nvim() -> String {
    let p = std::env::var("EKSFED_NVIM").unwrap_or_else(|_| "nvim".into());
    let found = Command::new(&p)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "{p} is missing: run tests/run.sh (it installs Debian's neovim), or set EKSFED_NVIM"
    );
    p
}

#[test]
fn neovim_gets_diagnostics_hover_completion_definition_and_rename() {
    let nvim = nvim();
    let dir = std::env::temp_dir().join(format!("eksfed-nvim-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("main.hcl"), MAIN).expect("write");
    std::fs::write(dir.join("roles.hcl"), ROLES).expect("write");
    let out = dir.join("results.json");
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/editors/nvim.lua");
    let mut child = Command::new(nvim)
        .args(["--headless", "--clean", "-n", "-u"])
        .arg(&config)
        .env("EKSFED_BIN", env!("CARGO_BIN_EXE_eksfed"))
        .env("EKSFED_STACK", &dir)
        .env("EKSFED_OUT", &out)
        .stdin(std::process::Stdio::null())
        .spawn()
        .expect("nvim starts");
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("nvim did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let text = std::fs::read_to_string(&out).expect("nvim wrote its results");
    let r: Value = serde_json::from_str(&text).expect("JSON");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(r.get("failure").is_none(), "{r:#}");

    let d = r["diagnostics"].as_array().cloned().unwrap_or_default();
    assert_eq!(d.len(), 1, "{r:#}");
    assert!(
        d[0]["message"].as_str().unwrap_or("").contains("var.team"),
        "{r:#}"
    );
    assert_eq!(
        (d[0]["line"].as_u64(), d[0]["col"].as_u64()),
        (Some(2), Some(19)),
        "{r:#}"
    );
    assert_eq!(d[0]["severity"], 1);
    assert_eq!(r["fixed"], serde_json::json!([]), "{r:#}");

    let hover = r["hover"]["contents"]["value"].as_str().unwrap_or("");
    assert!(hover.contains("\"prod-team\""), "{r:#}");
    let def = &r["definition"][0];
    assert!(
        def["uri"].as_str().unwrap_or("").ends_with("/main.hcl"),
        "{r:#}"
    );
    assert_eq!(
        def["range"]["start"],
        serde_json::json!({ "line": 5, "character": 2 })
    );
    let labels: Vec<&str> = r["completion"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["label"].as_str())
        .collect();
    assert_eq!(labels, ["app"], "{r:#}");
    let main: Vec<&str> = r["renamed_main"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(main[5], "  team_prefix = \"prod-team\"", "{r:#}");
    let roles: Vec<&str> = r["renamed_roles"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        roles[2], "  name        = \"${local.team_prefix}-app\"",
        "{r:#}"
    );
}
